-- cascade_cache 1.4 -> 1.5: parameters as native SQL values.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.5'" to load this file. \quit

--
-- cached_query_args(), cached_query_json_args(), cached_document_args()
-- and cached_document_json_args(): the four forms with the values of
-- $1..$n passed as themselves, VARIADIC "any", instead of a JSON array:
--
--   SELECT cached_document_json_args('SELECT data FROM v_user WHERE id = $1', 42);
--
-- Each value keeps its type, which the query sees as its parameter's type
-- (an undecorated literal, of type unknown, takes the type the query
-- infers, as with PREPARE).  The key holds each value's type and bytes, so
-- these never share entries with the JSON forms.  No ttl and no name
-- (nothing can follow VARIADIC): cascade_cache.default_ttl applies.
-- Same invalidation, coalescing, bypass rules and guarantees otherwise.
-- The functions are not overloads of the JSON forms: cached_query(q, '[1]')
-- would then be ambiguous.
--
CREATE FUNCTION cached_query_args(query text, VARIADIC params "any")
RETURNS jsonb
AS 'MODULE_PATHNAME', 'cached_query_args'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_query_args(text, "any") IS
'cached_query() with the parameters passed as native SQL values (VARIADIC)';

REVOKE ALL ON FUNCTION cached_query_args(text, "any") FROM PUBLIC;

CREATE FUNCTION cached_query_json_args(query text, VARIADIC params "any")
RETURNS json
AS 'MODULE_PATHNAME', 'cached_query_json_args'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_query_json_args(text, "any") IS
'cached_query_json() with the parameters passed as native SQL values (VARIADIC)';

REVOKE ALL ON FUNCTION cached_query_json_args(text, "any") FROM PUBLIC;

CREATE FUNCTION cached_document_args(query text, VARIADIC params "any")
RETURNS jsonb
AS 'MODULE_PATHNAME', 'cached_document_args'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_document_args(text, "any") IS
'cached_document() with the parameters passed as native SQL values (VARIADIC)';

REVOKE ALL ON FUNCTION cached_document_args(text, "any") FROM PUBLIC;

CREATE FUNCTION cached_document_json_args(query text, VARIADIC params "any")
RETURNS json
AS 'MODULE_PATHNAME', 'cached_document_json_args'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_document_json_args(text, "any") IS
'cached_document_json() with the parameters passed as native SQL values (VARIADIC)';

REVOKE ALL ON FUNCTION cached_document_json_args(text, "any") FROM PUBLIC;
