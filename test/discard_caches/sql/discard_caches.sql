--
-- The cache with every catalog and relation cache entry discarded at each
-- chance (debug_discard_caches = 1, an assert-enabled build only: run by
-- `make test-debug`, test/run-built.sh).  What PostgreSQL would rebuild at
-- a cache reset (sinval overflow) is rebuilt here every time, so any
-- pointer held into a cache entry across a catalog lookup reads freed
-- memory, and every fallback taken on an invalidation is exercised.
--
CREATE EXTENSION cascade_cache;
SET search_path = public, cascade_cache;
SET client_min_messages = warning;

-- outcome(stmt): hit, miss or bypass:<reason>, then the value as text
CREATE FUNCTION outcome(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    h0 bigint; m0 bigint; b0 bigint;
    h1 bigint; m1 bigint; b1 bigint;
    r text;
BEGIN
    SELECT hits, misses, bypasses INTO h0, m0, b0 FROM cascade_cache.cache_stats();
    EXECUTE stmt INTO r;
    SELECT hits, misses, bypasses INTO h1, m1, b1 FROM cascade_cache.cache_stats();
    RETURN CASE WHEN h1 > h0 THEN 'hit' WHEN m1 > m0 THEN 'miss'
                WHEN b1 > b0 THEN 'bypass' ELSE '?' END || ' ' || coalesce(r, 'NULL');
END $$;
CREATE FUNCTION probe(q text, p jsonb DEFAULT '[]') RETURNS text
LANGUAGE sql AS $$
  SELECT outcome(format('SELECT cascade_cache.cached_query(%L, %L)::text', q, p))
$$;

CREATE TABLE dc_user (id int PRIMARY KEY, name text);
INSERT INTO dc_user SELECT g, 'user ' || g FROM generate_series(1, 20) g;
CREATE TABLE dc_post (id int PRIMARY KEY, author int, title text);
INSERT INTO dc_post SELECT g, g % 3 + 1, 'post ' || g FROM generate_series(1, 9) g;
CREATE SEQUENCE dc_seq;
CREATE VIEW dc_v AS
  SELECT u.id, u.name, (SELECT count(*) FROM dc_post p WHERE p.author = u.id) AS posts
    FROM dc_user u;
SELECT cascade_watch('dc_user', 'DcUser');

SET debug_discard_caches = 1;

-- fills and hits, from a fresh parse and from a kept plan
SELECT string_agg(probe('SELECT name FROM dc_user WHERE id = $1',
                        jsonb_build_array(g)), ' ' ORDER BY g)
  FROM generate_series(16, 18) g;
SELECT probe('SELECT name FROM dc_user WHERE id = $1', '[17]');
SELECT probe('SELECT * FROM dc_v WHERE id = $1', '[2]');
SELECT probe('SELECT * FROM dc_v WHERE id = $1', '[2]');

-- a watched table's row trigger describes the write row by row: the
-- entries of other rows stay (the trigger's relation information is
-- rebuilt from a copy of the triggers, not from the relcache entry a
-- lookup of the trigger's function can free)
UPDATE dc_user SET name = 'renamed' WHERE id = 17;
SELECT probe('SELECT name FROM dc_user WHERE id = $1', '[18]');
SELECT probe('SELECT name FROM dc_user WHERE id = $1', '[17]');
SELECT probe('SELECT name FROM dc_user WHERE id = $1', '[17]');

-- an unwatched table: the write invalidates every entry that read it
UPDATE dc_post SET title = 'edited' WHERE id = 2;
SELECT probe('SELECT * FROM dc_v WHERE id = $1', '[2]');

-- a cascade removes the entries whose result shows the entity
SELECT probe($$SELECT '{"__typename": "DcUser"}'::jsonb || jsonb_build_object('id', id) AS u
                FROM dc_user WHERE id = $1$$, '[16]');
SELECT cascade_invalidate('{"updated": [{"__typename": "DcUser", "id": 16}]}');
SELECT probe($$SELECT '{"__typename": "DcUser"}'::jsonb || jsonb_build_object('id', id) AS u
                FROM dc_user WHERE id = $1$$, '[16]');
SELECT probe('SELECT name FROM dc_user WHERE id = $1', '[16]');

-- a view redefined: its readers go, and the next fill reads the new one
CREATE OR REPLACE VIEW dc_v AS
  SELECT u.id, upper(u.name) AS name, 0::bigint AS posts FROM dc_user u;
SELECT probe('SELECT * FROM dc_v WHERE id = $1', '[2]');

-- the other forms of the call
SELECT cached_query_json('SELECT name FROM dc_user WHERE id = $1', '[3]');
SELECT cached_query_json('SELECT name FROM dc_user WHERE id = $1', '[3]');
SELECT cached_query_args('SELECT name FROM dc_user WHERE id = $1', 4);
SELECT cached_query_args('SELECT name FROM dc_user WHERE id = $1', 4);

-- statements refused before and after analysis
SELECT probe('SELECT nextval(''dc_seq'')');
SELECT cached_query('INSERT INTO dc_user VALUES (99, ''x'')');

RESET debug_discard_caches;
SELECT cascade_unwatch('dc_user');
SELECT count(*) > 0 AS audited FROM cascade_audit;

-- The main suite's core_api and fill_plans run next, every session under
-- debug_discard_caches = 1, from a database without the extension, as in
-- the main suite.  fill_plans's expected output here differs only in that
-- no plan is ever kept (every discard runs the relation invalidation
-- callbacks, which advance the generation of the function verdicts that a
-- plan is kept under): every fill takes the fresh parse, with the same
-- results.
DROP FUNCTION probe(text, jsonb);
DROP FUNCTION outcome(text);
DROP VIEW dc_v;
DROP TABLE dc_user, dc_post;
DROP SEQUENCE dc_seq;
DROP EXTENSION cascade_cache;
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET debug_discard_caches = 1',
                   current_database());
END $$;
