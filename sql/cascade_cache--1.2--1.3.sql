-- cascade_cache 1.2 -> 1.3: results served as stored JSON text.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.3'" to load this file. \quit

--
-- cached_query_json(): cached_query() returning json, its text exactly
-- cached_query(...)::text, stored once in that form so that a hit returns
-- the stored bytes.  Same keys (plus the form), invalidation, coalescing,
-- bypass rules and guarantees; entries of its own.  Like every function
-- of the extension, callable only by the roles it is granted to.
--
CREATE FUNCTION cached_query_json(query text,
                                  params jsonb DEFAULT '[]',
                                  ttl interval DEFAULT NULL,
                                  name text DEFAULT NULL)
RETURNS json
AS 'MODULE_PATHNAME', 'cached_query_json'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_query_json(text, jsonb, interval, text) IS
'cached_query() returning its rows as JSON text (exactly cached_query()::text), served from the shared cache as stored bytes';

REVOKE ALL ON FUNCTION cached_query_json(text, jsonb, interval, text) FROM PUBLIC;
