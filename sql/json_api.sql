--
-- cached_query_json(): the same rows as cached_query(), as JSON text that
-- a hit returns as the stored bytes
--
SET search_path = public, cascade_cache;

CREATE SCHEMA json_test;
SET search_path = json_test, public, cascade_cache;

-- the signature, the result type, the privileges
SELECT p.oid::regprocedure, p.prorettype::regtype, p.provolatile, p.proparallel
  FROM pg_proc p WHERE p.proname = 'cached_query_json';
SELECT has_function_privilege('public', 'cascade_cache.cached_query_json(text, jsonb, interval, text)',
                              'EXECUTE') AS public_may_call;

-- every kind of value, with the formatting jsonb_out gives it
CREATE TABLE doc (id int PRIMARY KEY, n numeric, f float8, b boolean, t text,
                  j jsonb, a int[], d date, nothing text);
INSERT INTO doc VALUES
  (1, 1.50, 1e10, true, 'plain', '{"b": 2, "a": [1, 2.0, "x"], "aa": null}', '{1,2}', '2020-02-29', NULL),
  (2, -0.0, -1.5e-7, false, E'quote " backslash \\ tab \t newline \n unicode é ☃ \u0001',
   '"just a string"', '{}', '0001-01-01', NULL),
  (3, 12345678901234567890.123, 'NaN', NULL, '', '[]', NULL, 'infinity', 'x');

SELECT cache_flush() >= 0 AS flushed;

-- a miss, then a hit: both byte for byte cached_query()::text
SELECT probe_as('cached_query_json', 'SELECT * FROM doc ORDER BY id');
SELECT probe_as('cached_query_json', 'SELECT * FROM doc ORDER BY id');
SELECT cached_query_json('SELECT * FROM doc ORDER BY id')::text
       = cached_query('SELECT * FROM doc ORDER BY id')::text AS same_as_jsonb_text;
SELECT cached_query_json('SELECT id, t FROM doc WHERE id = $1', '[2]')::text AS miss \gset
SELECT cached_query_json('SELECT id, t FROM doc WHERE id = $1', '[2]')::text AS hit \gset
SELECT :'miss' = :'hit' AS hit_is_miss,
       :'hit' = cached_query('SELECT id, t FROM doc WHERE id = $1', '[2]')::text AS same_as_jsonb_text;
SELECT json_typeof(cached_query_json('SELECT 1 AS one')) AS type,
       cached_query_json('SELECT 1 AS one') AS one;
-- no rows: an empty array
SELECT cached_query_json('SELECT id FROM doc WHERE false');

-- its entries are its own: the same query through cached_query is a miss
-- the first time, and each function hits its own entry afterwards
SELECT probe_as('cached_query_json', 'SELECT id FROM doc WHERE id = $1', '[3]');
SELECT probe('SELECT id FROM doc WHERE id = $1', '[3]');
SELECT probe('SELECT id FROM doc WHERE id = $1', '[3]');
SELECT probe_as('cached_query_json', 'SELECT id FROM doc WHERE id = $1', '[3]');

-- a committed write removes it like any entry
SELECT probe_as('cached_query_json', 'SELECT t FROM doc WHERE id = $1', '[1]');
UPDATE doc SET t = 'changed' WHERE id = 1;
SELECT probe_as('cached_query_json', 'SELECT t FROM doc WHERE id = $1', '[1]');
SELECT probe_as('cached_query_json', 'SELECT t FROM doc WHERE id = $1', '[1]');

-- the same bypass rules: a transaction that wrote runs it uncached
BEGIN;
UPDATE doc SET t = 'uncommitted' WHERE id = 1;
SELECT probe_as('cached_query_json', 'SELECT t FROM doc WHERE id = $1', '[1]');
ROLLBACK;
SELECT probe_as('cached_query_json', 'SELECT now() > ''2000-01-01'' AS later');

-- names and cascades reach its entries too
SELECT probe_as('cached_query_json', 'SELECT id FROM doc ORDER BY id', name => 'listDocs');
SELECT probe_as('cached_query_json', 'SELECT id FROM doc ORDER BY id', name => 'listDocs');
SELECT cascade_invalidate('{"updated": [], "deleted": [], "invalidations": [{"queryName": "listDocs", "strategy": "INVALIDATE", "scope": "EXACT"}], "metadata": {}}');
SELECT probe_as('cached_query_json', 'SELECT id FROM doc ORDER BY id', name => 'listDocs');

-- JSON text is stored as it is (a hit copies it), jsonb compressed when that
-- pays: the same 20 kB of 'x' take 20 kB as JSON text and far less as jsonb
SELECT bytes_used AS before_json FROM cache_stats() \gset
SELECT length(cached_query_json('SELECT repeat(''x'', 20000) AS x')::text) AS json_length;
SELECT bytes_used AS before_jsonb FROM cache_stats() \gset
SELECT length(cached_query('SELECT repeat(''x'', 20000) AS x')::text) AS jsonb_length;
SELECT bytes_used AS after FROM cache_stats() \gset
SELECT :before_jsonb - :before_json >= 20000 AS json_stored_plain,
       :after - :before_jsonb < 5000 AS jsonb_stored_compressed;

-- cache_explain reports the cached_query_json entry of a call on a row of
-- its own (json_entry): here only the JSON text is stored, hit twice
SELECT cached_query_json('SELECT 5 AS five') AS five;
SELECT cached_query_json('SELECT 5 AS five') AS five;
SELECT cached_query_json('SELECT 5 AS five') AS five;
SELECT item, regexp_replace(detail, 'stored at .*, expires', 'stored at ..., expires') AS detail
  FROM cache_explain('SELECT 5 AS five') WHERE item IN ('entry', 'json_entry');
SELECT cached_query('SELECT 5 AS five') AS five;
SELECT item, regexp_replace(detail, 'stored at .*, expires', 'stored at ..., expires') AS detail
  FROM cache_explain('SELECT 5 AS five') WHERE item IN ('entry', 'json_entry');

-- a ttl
SELECT cached_query_json('SELECT 2 AS two', ttl => '1 hour') AS two;
SELECT regexp_replace(detail, '.*hits, stored at .*, expires in (3[0-9]{3}\.[0-9]) s', 'expires in an hour') AS detail
  FROM cache_explain('SELECT 2 AS two') WHERE item = 'json_entry';

-- the same errors as cached_query; the checks of the query and the name say
-- which function they belong to
SELECT cached_query_json(NULL);
SELECT cached_query_json('SELECT 1', '{}');
SELECT cached_query_json('SELECT 1', '[]', '-1 second');
SELECT cached_query_json('SELECT 1', '[]', NULL, '');
SELECT cached_query_json('DELETE FROM doc');
SELECT cached_query_json('SELECT 1/0');

-- results larger than cascade_cache.max_entry_size are returned, not stored
SET cascade_cache.max_entry_size = '1kB';
SELECT left(probe_as('cached_query_json', 'SELECT repeat(''x'', 2000) AS big'), 30);
RESET cascade_cache.max_entry_size;

DROP SCHEMA json_test CASCADE;
