-- cascade_cache 1.3 -> 1.4: documents.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.4'" to load this file. \quit

--
-- cached_document() and cached_document_json(): the first column of the
-- first row of the query (NULL if there is no row, or if the value is
-- NULL), as jsonb and as JSON text (exactly cached_document()::text): the
-- document a resolver returns, with no array of row objects to dig it out
-- of.  Same keys (plus the form), invalidation, coalescing, bypass rules
-- and guarantees as cached_query(); entries of their own.  Like every
-- function of the extension, callable only by the roles it is granted to.
--
CREATE FUNCTION cached_document(query text,
                                params jsonb DEFAULT '[]',
                                ttl interval DEFAULT NULL,
                                name text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'cached_document'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_document(text, jsonb, interval, text) IS
'The first column of the first row of a cached query (NULL if none), as jsonb, served from the shared cache';

REVOKE ALL ON FUNCTION cached_document(text, jsonb, interval, text) FROM PUBLIC;

CREATE FUNCTION cached_document_json(query text,
                                     params jsonb DEFAULT '[]',
                                     ttl interval DEFAULT NULL,
                                     name text DEFAULT NULL)
RETURNS json
AS 'MODULE_PATHNAME', 'cached_document_json'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_document_json(text, jsonb, interval, text) IS
'cached_document() as JSON text (exactly cached_document()::text), served from the shared cache as stored bytes';

REVOKE ALL ON FUNCTION cached_document_json(text, jsonb, interval, text) FROM PUBLIC;

--
-- The per-query and per-relation statistics first add this session's
-- batched per-entry hit counts to the entries; in a parallel worker they
-- would add the worker's (none) and miss the session's.  Leader only.
--
ALTER FUNCTION cache_query_stats(integer, text) PARALLEL RESTRICTED;
ALTER FUNCTION cache_relation_stats(integer, text) PARALLEL RESTRICTED;
