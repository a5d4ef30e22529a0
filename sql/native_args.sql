--
-- The _args forms: the values of $1..$n passed as native SQL values
-- (VARIADIC "any"), each with its type
--
SET search_path = public, cascade_cache;

CREATE SCHEMA args_test;
SET search_path = args_test, public, cascade_cache;

-- the signatures, the result types, the privileges
SELECT p.oid::regprocedure, p.prorettype::regtype, p.provolatile, p.proparallel,
       p.provariadic::regtype AS variadic
  FROM pg_proc p WHERE p.proname LIKE 'cached_%_args'
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT p.oid::regprocedure,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p WHERE p.proname LIKE 'cached_%_args'
 ORDER BY p.oid::regprocedure::text COLLATE "C";

-- outcome(stmt) is core_api's
CREATE TABLE users (id int PRIMARY KEY, name text, born date, tags text[], data jsonb);
INSERT INTO users VALUES
  (1, 'Ada', '1815-12-10', '{math,engines}', '{"__typename": "User", "id": 1, "name": "Ada"}'),
  (2, 'Grace', '1906-12-09', '{navy}', '{"__typename": "User", "id": 2, "name": "Grace"}');

SELECT cache_flush() >= 0 AS flushed;

-- each form: a miss, then a hit, the same result as the JSON form
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
SELECT outcome($$SELECT cached_query_json_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
SELECT outcome($$SELECT cached_query_json_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
SELECT outcome($$SELECT cached_document_args('SELECT data FROM users WHERE id = $1', 2)$$);
SELECT outcome($$SELECT cached_document_args('SELECT data FROM users WHERE id = $1', 2)$$);
SELECT outcome($$SELECT cached_document_json_args('SELECT data FROM users WHERE id = $1', 2)$$);
SELECT outcome($$SELECT cached_document_json_args('SELECT data FROM users WHERE id = $1', 2)$$);
SELECT outcome($$SELECT cached_document_json_args('SELECT data FROM users WHERE id = $1', 99)$$);
SELECT outcome($$SELECT cached_document_json_args('SELECT data FROM users WHERE id = $1', 99)$$);
SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)
       = cached_query('SELECT id, name FROM users WHERE id = $1', '[1]') AS same_rows,
       cached_document_json_args('SELECT data FROM users WHERE id = $1', 2)::text
       = cached_document_json('SELECT data FROM users WHERE id = $1', '[2]')::text AS same_text;

-- the values' types reach the query
SELECT cached_document_args('SELECT pg_typeof($1)::text', 42) AS int4,
       cached_document_args('SELECT pg_typeof($1)::text', 42::bigint) AS int8,
       cached_document_args('SELECT pg_typeof($1)::text', 4.2) AS numeric,
       cached_document_args('SELECT pg_typeof($1)::text', now()::date) AS date,
       cached_document_args('SELECT pg_typeof($1)::text', ARRAY[1, 2]) AS array,
       cached_document_args('SELECT pg_typeof($1)::text', '{"a": 1}'::jsonb) AS jsonb;
SELECT cached_query_args('SELECT id FROM users WHERE born < $1 AND $2 = ANY (tags) ORDER BY id',
                         date '1900-01-01', 'math'::text) AS typed_values,
       cached_query_args('SELECT id FROM users WHERE id = ANY ($1) ORDER BY id',
                         ARRAY[1, 2, 3]) AS an_array,
       cached_document_args('SELECT $1 + interval ''1 day''', timestamp '2020-02-28 12:00') AS a_timestamp,
       cached_document_args('SELECT $1 -> ''a''', '{"a": [1, 2]}'::jsonb) AS a_jsonb;
-- an undecorated literal (type unknown) takes the type the query infers
SELECT cached_query_args('SELECT id FROM users WHERE name = $1', 'Grace') AS inferred_text,
       cached_query_args('SELECT name FROM users WHERE id = $1', '1') AS inferred_int,
       cached_document_args('SELECT pg_typeof($1)::text', 'x'::text) AS text_value;
-- NULL values, typed and not
SELECT cached_document_args('SELECT $1 IS NULL', NULL::int) AS typed_null,
       cached_query_args('SELECT id FROM users WHERE id = $1', NULL) AS unknown_null;

-- the type is part of the key: the same bytes as int4 and as date, or
-- the same digits as int4, int8 and text, are different entries
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', 1)$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', 1::bigint)$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', '1'::text)$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', '1')$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', 0)$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', date '2000-01-01')$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::text', 1::bigint)$$);
-- and native values never share an entry with JSON ones
SELECT outcome($$SELECT cached_document('SELECT $1::int', '[7]')$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1::int', 7)$$);
SELECT outcome($$SELECT cached_document('SELECT $1::int', '[7]')$$);

-- a value is keyed by its bytes, however it is stored: a long text
-- compressed in a table's TOAST and the same text built in place are one
-- key; a different text is another
CREATE TABLE big (id int, t text);
INSERT INTO big VALUES (1, repeat('abcdefgh', 20000)), (2, repeat('abcdefgh', 19999) || 'abcdefgX');
SELECT pg_column_size(t) < octet_length(t) AS stored_compressed FROM big WHERE id = 1;
SELECT outcome($$SELECT cached_document_args('SELECT length($1)', (SELECT t FROM big WHERE id = 1))$$);
SELECT outcome($$SELECT cached_document_args('SELECT length($1)', repeat('abcdefgh', 20000))$$);
SELECT outcome($$SELECT cached_document_args('SELECT length($1)', (SELECT t FROM big WHERE id = 2))$$);

-- VARIADIC with an array: its elements are the values (the same key as
-- passing them one by one); a NULL array is no values
SELECT outcome($$SELECT cached_document_args('SELECT $1 + $2', 20, 22)$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1 + $2', VARIADIC ARRAY[20, 22])$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1 + $2', VARIADIC ARRAY[20, 23])$$);
CREATE DOMAIN int_list AS int[];
SELECT cached_document_args('SELECT $1 + $2', VARIADIC '{40,2}'::int_list) AS domain_over_array;
SELECT cached_document_args('SELECT 1', VARIADIC NULL::int[]) AS no_values,
       cached_document_args('SELECT count(*) FROM unnest(ARRAY[$1, $2, $3])',
                            VARIADIC '{1,NULL,3}'::int[]) AS with_a_null;

-- from PL/pgSQL variables (an array variable is an expanded object) and a
-- prepared statement's parameters
CREATE FUNCTION user_names(ids int[]) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v int[] := ids;
BEGIN
    v := v || 0;
    RETURN cascade_cache.cached_document_args(
        'SELECT jsonb_agg(name ORDER BY id) FROM args_test.users WHERE id = ANY ($1)', v);
END $$;
SELECT outcome($$SELECT user_names(ARRAY[1, 2])$$);
SELECT outcome($$SELECT user_names(ARRAY[1, 2])$$);
SELECT outcome($$SELECT user_names(ARRAY[2])$$);
PREPARE get_user(int) AS
  SELECT cached_document_json_args('SELECT data FROM users WHERE id = $1', $1);
SELECT outcome('EXECUTE get_user(1)');
SELECT outcome('EXECUTE get_user(1)');
SELECT outcome('EXECUTE get_user(2)');
DEALLOCATE get_user;

-- a committed write removes the entries, as for every form
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
UPDATE users SET name = 'Ada L.' WHERE id = 1;
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 1)$$);
-- a cascade removes the documents tagged with its entities
SELECT outcome($$SELECT cached_document_args('SELECT data FROM users WHERE id = $1', 2)$$);
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 2}]}') >= 0 AS reported;
SELECT outcome($$SELECT cached_document_args('SELECT data FROM users WHERE id = $1', 2)$$);

-- bypasses: a transaction that has written runs the query, with the values
BEGIN;
UPDATE users SET name = 'Grace H.' WHERE id = 2;
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 2)$$);
SELECT outcome($$SELECT cached_query_args('SELECT id, name FROM users WHERE id = $1', 2)$$);
ROLLBACK;
SET cascade_cache.enabled = off;
SELECT outcome($$SELECT cached_document_args('SELECT $1 * 2', 21)$$);
RESET cascade_cache.enabled;
-- a literal naming the current time, inferred as a time: never stored
SELECT outcome($$SELECT cached_document_args('SELECT $1::timestamptz > ''2000-01-01''', 'now')$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1 > timestamptz ''2000-01-01''', 'now')$$);
-- a fixed time value is a value like any other
SELECT outcome($$SELECT cached_document_args('SELECT $1 > timestamptz ''2000-01-01''', timestamptz '2020-01-01 00:00+00')$$);
SELECT outcome($$SELECT cached_document_args('SELECT $1 > timestamptz ''2000-01-01''', timestamptz '2020-01-01 00:00+00')$$);

-- errors
SELECT cached_query_args(NULL, 1);
SELECT cached_query_args('SELECT $1', row(1, 'a'));
SELECT cached_query_args('SELECT $1', ARRAY[row(1, 'a')]);
SELECT cached_query_args('SELECT $1', 'x'::cstring);
SELECT cached_query_args('SELECT $1, $2', 1);
SELECT cached_query_args('SELECT $1', 1, 2);
SELECT cached_query_args('SELECT $2::int', 1, 2);
SELECT cached_query_args('SELECT 1', 'x');
SELECT cached_query_args('SELECT id FROM users WHERE id = $1', 'abc');
SELECT cached_query_args('SELECT id FROM users WHERE id = $1', 'abc'::text);
SELECT cached_document_args('SELECT 1', VARIADIC array_fill(1, ARRAY[70000]));
SELECT cached_query_args('DELETE FROM users WHERE id = $1', 1);
SELECT cached_query_args('SELECT 1/$1', 0);
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
SELECT cached_query_args('SELECT $1::positive', 0);
SELECT cached_query_args('SELECT id FROM users WHERE id = $1::positive', '-1');
-- a named composite value is accepted
CREATE TYPE pair AS (a int, b text);
SELECT outcome($$SELECT cached_document_args('SELECT ($1).b', row(1, 'b')::pair)$$);
SELECT outcome($$SELECT cached_document_args('SELECT ($1).b', row(1, 'b')::pair)$$);

DROP SCHEMA args_test CASCADE;
