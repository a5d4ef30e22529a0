--
-- Recipes: the settings of warm restart and refresh-ahead, their
-- statistics, and which commits queue a refresh (the runners' work itself,
-- and warm restarts, are tested in t/019_warm_restart.pl and
-- t/020_refresh_ahead.pl)
--
SET search_path = public, cascade_cache;

CREATE SCHEMA recipes_test;
SET search_path = recipes_test, public, cascade_cache;

-- the functions, their result columns and who may call them
SELECT p.oid::regprocedure, pg_get_function_result(p.oid) AS result,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call,
       has_function_privilege('pg_monitor', p.oid, 'EXECUTE') AS monitor_may_call
  FROM pg_proc p
 WHERE p.proname IN ('cache_warm_status', 'cache_recipe_stats')
 ORDER BY 1::text COLLATE "C";

-- the settings: contexts, bounds and list syntax
SELECT name, setting, unit, context, min_val, max_val
  FROM pg_settings
 WHERE name IN ('cascade_cache.warm_entries', 'cascade_cache.warm_interval',
                'cascade_cache.warm_rate', 'cascade_cache.recipe_workers',
                'cascade_cache.recipe_queue', 'cascade_cache.recipe_timeout',
                'cascade_cache.refetch_names',
                'cascade_cache.warm_skip_settings')
 ORDER BY name;
SET cascade_cache.warm_entries = 5;
SET cascade_cache.refetch_names = 'getUser';
SET cascade_cache.recipe_queue = 64;
ALTER SYSTEM SET cascade_cache.warm_entries = -1;
ALTER SYSTEM SET cascade_cache.recipe_workers = 33;
ALTER SYSTEM SET cascade_cache.refetch_names = 'a,"b';
ALTER SYSTEM SET cascade_cache.warm_skip_settings = 'x,,y';

-- the warm restart's state: no file was there when the server started
SELECT state, recipes, queued, waiting, started_at IS NULL AS never_started
  FROM cache_warm_status();

-- the statistics: one row per kind, counting from a reset
SELECT cache_stats_reset();
SELECT * FROM cache_recipe_stats() ORDER BY kind;

-- Which commits queue a refresh.  The count is taken at commit; the
-- runner then recomputes the entry in the background.
CREATE TABLE r_t (id int PRIMARY KEY, v text);
INSERT INTO r_t VALUES (1, 'a'), (2, 'b');
CREATE FUNCTION refresh_queued() RETURNS bigint LANGUAGE sql
  AS $$SELECT queued FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'$$;
-- wait until the runners have done every queued fill
CREATE FUNCTION refresh_settled() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    FOR i IN 1..400 LOOP
        SELECT * INTO s FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh';
        IF s.waiting = 0 AND
           s.filled + s.present + s.skipped + s.not_stored + s.failed = s.queued THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END
$$;

SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[1]', NULL, 'getR') AS v;
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[2]', NULL, 'otherR') AS v;

-- INVALIDATE: removed, not refreshed
BEGIN;
UPDATE r_t SET v = 'a2' WHERE id = 1;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getR", "strategy": "INVALIDATE"}]}');
COMMIT;
SELECT refresh_queued();

-- REFETCH: removed, and queued for a runner (one entry: getR)
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[1]', NULL, 'getR') AS v;
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[2]', NULL, 'otherR') AS v;
BEGIN;
UPDATE r_t SET v = 'a3' WHERE id = 1;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getR", "strategy": "REFETCH"}]}');
COMMIT;
SELECT refresh_queued();
SELECT refresh_settled();
SELECT filled, failed, dropped FROM cache_recipe_stats() WHERE kind = 'refresh';
-- the refreshed entry is a hit with the new value
SELECT outcome($$SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[1]', NULL, 'getR')$$);

-- a REFETCH inside a rolled-back savepoint is forgotten
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[2]', NULL, 'otherR') AS v;
BEGIN;
SAVEPOINT s;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getR", "strategy": "REFETCH", "scope": "PREFIX"}]}');
ROLLBACK TO SAVEPOINT s;
UPDATE r_t SET v = 'a4' WHERE id = 1;
COMMIT;
SELECT refresh_queued();

-- PREFIX and PATTERN scopes
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[1]', NULL, 'getR') AS v;
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[2]', NULL, 'otherR') AS v;
BEGIN;
UPDATE r_t SET v = 'a5' WHERE id = 1;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "*R", "strategy": "REFETCH", "scope": "PATTERN"}]}');
COMMIT;
SELECT refresh_queued();
SELECT refresh_settled();

-- an entry of a session with a temporary schema has no recipe: not queued
SELECT refresh_settled();
SELECT cache_flush() >= 0 AS flushed;
CREATE TEMP TABLE tmp_x (i int);
SELECT cached_query('SELECT v FROM r_t WHERE id = $1', '[1]', NULL, 'getR') AS v;
BEGIN;
UPDATE r_t SET v = 'a6' WHERE id = 1;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getR", "strategy": "REFETCH"}]}');
COMMIT;
SELECT refresh_queued();
DROP TABLE tmp_x;

SELECT refresh_settled();
SELECT kind, queued, filled, failed, dropped, waiting FROM cache_recipe_stats() ORDER BY kind;

RESET search_path;
DROP SCHEMA recipes_test CASCADE;
