--
-- cached_query(): API, result shape, parameters and errors
--
CREATE EXTENSION cascade_cache;
SET search_path = public, cascade_cache;

-- objects live in the fixed schema cascade_cache
SELECT p.proname, n.nspname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname IN ('cached_query', 'cache_flush', 'cache_invalidate_relation',
                     'cache_stats', 'cache_bypass_stats', 'cache_stats_reset')
 ORDER BY 1;

-- outcome(stmt): run a statement that makes one cached call and returns
-- one value; report whether the call was a hit, a miss or a bypass (with
-- the reason), followed by the value as text (NULL as NULL).
CREATE FUNCTION outcome(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    h0 bigint; m0 bigint; b0 bigint[];
    h1 bigint; m1 bigint; b1 bigint[];
    r text;
    what text;
BEGIN
    SELECT hits, misses INTO h0, m0 FROM cascade_cache.cache_stats();
    SELECT array_agg(count ORDER BY reason) INTO b0 FROM cascade_cache.cache_bypass_stats();
    EXECUTE stmt INTO r;
    SELECT hits, misses INTO h1, m1 FROM cascade_cache.cache_stats();
    SELECT array_agg(count ORDER BY reason) INTO b1 FROM cascade_cache.cache_bypass_stats();
    IF h1 > h0 THEN
        what := 'hit';
    ELSIF m1 > m0 THEN
        what := 'miss';
    ELSE
        SELECT 'bypass:' || reason INTO what
          FROM (SELECT reason, row_number() OVER (ORDER BY reason) AS i
                  FROM cascade_cache.cache_bypass_stats()) x
         WHERE b1[i] > b0[i];
    END IF;
    RETURN coalesce(what, '?') || ' ' || coalesce(r, 'NULL');
END $$;

-- probe(): the outcome of cached_query(q, p, name).  Used by every test.
CREATE FUNCTION probe(q text, p jsonb DEFAULT '[]', name text DEFAULT NULL)
RETURNS text
LANGUAGE sql AS $$
  SELECT outcome(format('SELECT cascade_cache.cached_query(%L, %L, name => %L)::text',
                        q, p, name))
$$;

-- probe_as(fn, ...): the same for another form of the call
-- (cached_query_json, cached_document, cached_document_json).  Used by the
-- tests of those forms.
CREATE FUNCTION probe_as(fn text, q text, p jsonb DEFAULT '[]', name text DEFAULT NULL)
RETURNS text
LANGUAGE sql AS $$
  SELECT outcome(format('SELECT cascade_cache.%I(%L, %L, name => %L)::text',
                        fn, q, p, name))
$$;

CREATE TABLE tb_user (id int PRIMARY KEY, name text, email text, active boolean,
                      score numeric, born date, data jsonb);
INSERT INTO tb_user VALUES
  (1, 'Ada', 'ada@example.org', true, 9.5, '1815-12-10', '{"__typename": "User", "id": 1}'),
  (2, 'Grace', NULL, false, 8, '1906-12-09', '{"__typename": "User", "id": 2}'),
  (3, 'Edsger', 'ed@example.org', true, NULL, '1930-05-11', NULL);

SELECT cache_flush();
SELECT cache_stats_reset();

-- a miss, then a hit with identical bytes
SELECT probe('SELECT id, name FROM tb_user WHERE id = $1', '[1]');
SELECT probe('SELECT id, name FROM tb_user WHERE id = $1', '[1]');
SELECT cached_query('SELECT * FROM tb_user ORDER BY id') AS miss \gset
SELECT cached_query('SELECT * FROM tb_user ORDER BY id') AS hit \gset
SELECT :'miss' = :'hit' AS same_text,
       jsonb_send(:'miss'::jsonb) = jsonb_send(:'hit'::jsonb) AS same_bytes;
SELECT jsonb_pretty(:'hit'::jsonb);

-- no rows: an empty array; zero columns: empty objects
SELECT probe('SELECT id FROM tb_user WHERE id < 0');
SELECT probe('SELECT FROM tb_user WHERE id = 1');

-- types: numbers, booleans, NULLs, dates, arrays, records, nested jsonb
SELECT probe('SELECT 1::int2 AS a, 2::int8 AS b, 1.50::numeric AS c, 0.25::float8 AS d,
                     true AS e, NULL::text AS f, ''2024-01-02''::date AS g,
                     ARRAY[1,2] AS h, ROW(1, ''x'') AS i, ''{"k": [1, {"z": null}]}''::jsonb AS j,
                     ''{"k": 1}''::json AS k, ''abc''::varchar AS l, ''x''::char(3) AS m');

-- parameters are typed from context, like PREPARE without types
SELECT probe('SELECT name FROM tb_user WHERE id = $1', '[2]');
SELECT probe('SELECT name FROM tb_user WHERE id = $1', '["2"]');
SELECT probe('SELECT name FROM tb_user WHERE id = $1 AND active = $2', '[1, true]');
SELECT probe('SELECT name FROM tb_user WHERE id = $1 AND active = $2', '["1", "true"]');
SELECT probe('SELECT name FROM tb_user WHERE score > $1 ORDER BY id', '[8.5]');
SELECT probe('SELECT name FROM tb_user WHERE born < $1 ORDER BY id', '["1900-01-01"]');
SELECT probe('SELECT count(*) FROM tb_user WHERE id = ANY($1)', '[[1, 3, 99]]');
SELECT probe('SELECT count(*) FROM tb_user WHERE name = ANY($1)', '[["Ada", "Grace"]]');
SELECT probe('SELECT $1::jsonb -> ''a'' AS v', '[{"a": [1, 2]}]');
SELECT probe('SELECT $1::jsonb AS v', '["just a string"]');
SELECT probe('SELECT $1::text AS v', '[{"a": 1}]');
-- JSON null binds SQL NULL
SELECT probe('SELECT count(*) FROM tb_user WHERE email IS NOT DISTINCT FROM $1::text', '[null]');
SELECT probe('SELECT $1::int IS NULL AS isnull', '[null]');
-- params default to '[]', and SQL NULL params mean '[]' too
SELECT cached_query('SELECT count(*) AS n FROM tb_user');
SELECT cached_query('SELECT count(*) AS n FROM tb_user', NULL);
-- a repeated column name keeps its last value, as to_jsonb(record) does
SELECT cached_query('SELECT 1 AS a, 2 AS a');

-- bad input: clear errors
SELECT cached_query(NULL);
SELECT cached_query('SELECT 1', '{"a": 1}');
SELECT cached_query('SELECT 1', '5');
SELECT cached_query('SELECT $1::int', '[]');
SELECT cached_query('SELECT $1::int', '[1, 2]');
SELECT cached_query('SELECT 1', '[1]');
SELECT cached_query('SELECT $2::int', '[1, 2]');
SELECT cached_query('SELECT $1', '[1]');
SELECT cached_query('SELECT name FROM tb_user WHERE id = $1', '["one"]');
SELECT cached_query('SELECT name FROM tb_user WHERE id = $1', '[1.5]');
SELECT cached_query('SELECT name FROM tb_user WHERE id = ANY($1)', '[[[1]]]');
SELECT cached_query('SELECT 1; SELECT 2');
SELECT cached_query('');
SELECT cached_query('SELEC 1');
SELECT cached_query('SELECT * FROM no_such_table');
SELECT cached_query('SELECT 1', '[]', '-1 second');
SELECT cached_query('SELECT 1', '[]', NULL, repeat('x', 1025));

-- cached_query is read-only
SELECT cached_query('INSERT INTO tb_user (id) VALUES (10)');
SELECT cached_query('UPDATE tb_user SET name = name');
SELECT cached_query('DELETE FROM tb_user');
SELECT cached_query('MERGE INTO tb_user t USING tb_user s ON t.id = s.id WHEN MATCHED THEN DO NOTHING');
SELECT cached_query('WITH d AS (DELETE FROM tb_user RETURNING id) SELECT * FROM d');
SELECT cached_query('CREATE TABLE t_new (a int)');
SELECT cached_query('SELECT 1 INTO t_new');
SELECT cached_query('SHOW search_path');
SELECT cached_query('EXPLAIN SELECT 1');
SELECT cached_query('VACUUM tb_user');
-- nothing was written
SELECT count(*) FROM tb_user;
SELECT to_regclass('t_new');

-- failures leave no entry behind and no lock held: the next call works
SELECT entries AS entries_before FROM cache_stats() \gset
SELECT cached_query('SELECT 1/0');
SELECT cached_query('SELECT 1/$1', '[0]');
SELECT entries = :entries_before AS no_entry_left FROM cache_stats();
SELECT probe('SELECT id FROM tb_user WHERE id = 3');
SELECT probe('SELECT id FROM tb_user WHERE id = 3');

-- the query name is part of the key; ttl is not
SELECT probe('SELECT 42 AS answer');
SELECT probe('SELECT 42 AS answer', name => 'getAnswer');
SELECT probe('SELECT 42 AS answer', name => 'getAnswer');
SELECT cached_query('SELECT 42 AS answer', '[]', '1 hour', 'getAnswer');
SELECT probe('SELECT 42 AS answer');

-- the counters
SELECT hits > 0 AS some_hits, misses > 0 AS some_misses, stores > 0 AS some_stores,
       entries > 0 AS some_entries, bytes_used > 0 AS some_bytes,
       memory_limit = 64 * 1024 * 1024 AS default_limit,
       memory_budget < memory_limit AS budget_below_limit
  FROM cache_stats();
SELECT reason FROM cache_bypass_stats() ORDER BY reason;

-- cache_flush() removes this database's entries
SELECT cache_flush() > 0 AS flushed;
SELECT entries, bytes_used FROM cache_stats();
SELECT probe('SELECT id, name FROM tb_user WHERE id = $1', '[1]');

-- cascade_cache.enabled = off is a plain pass-through
SET cascade_cache.enabled = off;
SELECT probe('SELECT id, name FROM tb_user WHERE id = $1', '[1]');
RESET cascade_cache.enabled;
SELECT probe('SELECT id, name FROM tb_user WHERE id = $1', '[1]');
