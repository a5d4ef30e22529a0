-- cascade_cache 1.5 -> 1.6: warm restart and refresh-ahead.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.6'" to load this file. \quit

--
-- cache_warm_status(): the warm restart.  state is off
-- (cascade_cache.warm_entries = 0), idle (no recipes to run: no file at
-- start), queuing (the file's recipes are being queued for the runners) or
-- done; recipes: in the file read at start; queued: of those, queued so
-- far; waiting: warm recipes queued and not yet run; the time queuing
-- started and ended; the last write of the file and the recipes it held.
--
CREATE FUNCTION cache_warm_status(
    OUT state text,
    OUT recipes bigint,
    OUT queued bigint,
    OUT waiting bigint,
    OUT started_at timestamptz,
    OUT finished_at timestamptz,
    OUT last_write_at timestamptz,
    OUT last_write_recipes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'cache_warm_status'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_warm_status() IS
'The warm restart: its state, the recipes read at start and queued, the last write of the recipe file';

--
-- cache_recipe_stats(): one row per kind of fill the runners make, warm
-- (a warm restart's recipes) and refresh (refresh-ahead): how many were
-- queued, and what running them came to: filled (run and stored), present
-- (already cached), skipped (not reproducible: role, database, settings,
-- key), not_stored (run, not stored: the fence, or no longer cacheable),
-- failed (an error); dropped (refresh only: not queued, the queue was
-- full); waiting (queued now).
--
CREATE FUNCTION cache_recipe_stats(
    OUT kind text,
    OUT queued bigint,
    OUT filled bigint,
    OUT present bigint,
    OUT skipped bigint,
    OUT not_stored bigint,
    OUT failed bigint,
    OUT dropped bigint,
    OUT waiting bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cache_recipe_stats'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_recipe_stats() IS
'Fills made by the recipe runners (warm restart, refresh-ahead) and what they came to';

REVOKE ALL ON FUNCTION cache_warm_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_recipe_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_warm_status(), cache_recipe_stats() TO pg_monitor;
