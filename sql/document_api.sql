--
-- cached_document() and cached_document_json(): the first column of the
-- first row, as jsonb and as JSON text
--
SET search_path = public, cascade_cache;

CREATE SCHEMA doc_test;
SET search_path = doc_test, public, cascade_cache;

-- the signatures, the result types, the privileges
SELECT p.oid::regprocedure, p.prorettype::regtype, p.provolatile, p.proparallel
  FROM pg_proc p WHERE p.proname IN ('cached_document', 'cached_document_json')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT has_function_privilege('public', 'cascade_cache.cached_document(text, jsonb, interval, text)',
                              'EXECUTE') AS public_may_call,
       has_function_privilege('public', 'cascade_cache.cached_document_json(text, jsonb, interval, text)',
                              'EXECUTE') AS public_may_call_json;

CREATE TABLE users (id int PRIMARY KEY, data jsonb, note text);
INSERT INTO users VALUES
  (1, '{"__typename": "User", "id": 1, "name": "Ada", "tags": ["a", "b"], "n": 1.50}', 'first'),
  (2, '{"__typename": "User", "id": 2, "name": "quote \" é"}', NULL),
  (3, 'null', 'json null');

SELECT cache_flush() >= 0 AS flushed;

-- a miss, then a hit; the JSON text is byte for byte cached_document()::text
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[1]');
SELECT cached_document_json('SELECT data FROM users WHERE id = $1', '[2]')::text
       = cached_document('SELECT data FROM users WHERE id = $1', '[2]')::text AS json_is_jsonb_text,
       cached_document('SELECT data FROM users WHERE id = $1', '[2]')
       = (SELECT data FROM users WHERE id = 2) AS the_document;
SELECT pg_typeof(cached_document('SELECT data FROM users WHERE id = 1')) AS jsonb_type,
       pg_typeof(cached_document_json('SELECT data FROM users WHERE id = 1')) AS json_type;

-- no row, and a NULL first column: NULL, cached like any result
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[99]');
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[99]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[99]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[99]');
SELECT cached_document('SELECT note FROM users WHERE id = 2') IS NULL AS null_column,
       cached_document_json('SELECT note FROM users WHERE id = 2') IS NULL AS null_column_json;
-- a JSON null is a value, not NULL
SELECT cached_document('SELECT data FROM users WHERE id = 3') AS json_null,
       cached_document('SELECT data FROM users WHERE id = 3') IS NULL AS is_sql_null;
-- no column at all
SELECT cached_document('SELECT FROM users') IS NULL AS no_column;

-- the first column of the first row; other types as to_jsonb() gives them
SELECT cached_document('SELECT note, id FROM users ORDER BY id') AS first_of_many;
SELECT cached_document('SELECT 42 AS n, ''x'' AS t') AS int_value,
       cached_document('SELECT ''x''::text') AS text_value,
       cached_document('SELECT true') AS bool_value,
       cached_document('SELECT 1.50::numeric') AS numeric_value,
       cached_document('SELECT date ''2020-02-29''') AS date_value,
       cached_document('SELECT ARRAY[1, 2]') AS array_value,
       cached_document('SELECT row(1, ''a'')') AS record_value;
SELECT cached_document_json('SELECT ''x''::text') AS text_json,
       cached_document_json('SELECT 42') AS int_json;

-- entries of their own: each form misses once, then hits its own entry
SELECT probe_as('cached_document', 'SELECT note FROM users WHERE id = $1', '[1]');
SELECT probe('SELECT note FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document_json', 'SELECT note FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document', 'SELECT note FROM users WHERE id = $1', '[1]');
SELECT probe('SELECT note FROM users WHERE id = $1', '[1]');

-- a committed write removes them like any entry, NULL documents included
UPDATE users SET data = jsonb_set(data, '{name}', '"Ada L."') WHERE id = 1;
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[1]');
INSERT INTO users VALUES (99, '{"__typename": "User", "id": 99}', 'late');
SELECT probe_as('cached_document', 'SELECT data FROM users WHERE id = $1', '[99]');
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[99]');

-- the entities in a document are its tags: a cascade removes it
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[2]');
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 2}]}') >= 0 AS reported;
SELECT probe_as('cached_document_json', 'SELECT data FROM users WHERE id = $1', '[2]');

-- in a transaction that has written, the same result, from the database
BEGIN;
UPDATE users SET note = 'in transaction' WHERE id = 1;
SELECT probe_as('cached_document', 'SELECT note FROM users WHERE id = $1', '[1]');
SELECT probe_as('cached_document_json', 'SELECT note FROM users WHERE id = $1', '[98]');
ROLLBACK;

-- cache_explain shows the document entries of a call
SELECT cached_document('SELECT data FROM users WHERE id = $1', '[1]') IS NOT NULL AS filled,
       cached_document_json('SELECT data FROM users WHERE id = $1', '[98]') IS NULL AS filled_null;
SELECT item, regexp_replace(detail, 'stored at .*, expires', 'stored at ..., expires') AS detail
  FROM cache_explain('SELECT data FROM users WHERE id = $1', '[1]')
 WHERE item LIKE '%entry';
SELECT item, regexp_replace(detail, 'stored at .*, expires', 'stored at ..., expires') AS detail
  FROM cache_explain('SELECT data FROM users WHERE id = $1', '[98]')
 WHERE item LIKE 'document%entry';

-- a name and a ttl
SELECT cached_document('SELECT data FROM users WHERE id = $1', '[1]', '1 hour', 'getUser') ->> 'name' AS name,
       cached_document_json('SELECT data FROM users WHERE id = $1', '[1]', NULL, 'getUser')::jsonb ->> 'name' AS name_json;

-- the same errors as cached_query, naming the function
SELECT cached_document(NULL);
SELECT cached_document_json('SELECT 1', '{}');
SELECT cached_document('SELECT 1', '[]', '-1 second');
SELECT cached_document_json('SELECT 1', '[]', NULL, '');
SELECT cached_document('DELETE FROM users');
SELECT cached_document_json('SELECT 1/0');

-- larger than cascade_cache.max_entry_size: returned, not stored
SET cascade_cache.max_entry_size = '1kB';
SELECT left(probe_as('cached_document_json', 'SELECT repeat(''x'', 2000)'), 30);
RESET cascade_cache.max_entry_size;

DROP SCHEMA doc_test CASCADE;
