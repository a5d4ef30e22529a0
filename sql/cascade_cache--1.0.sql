/* cascade_cache--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cascade_cache" to load this file. \quit

CREATE FUNCTION cached_query(query text,
                             params jsonb DEFAULT '[]',
                             ttl interval DEFAULT NULL,
                             name text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'cached_query'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cached_query(text, jsonb, interval, text) IS
'Run a read-only SELECT and return its rows as a jsonb array, from the shared cache when possible';

CREATE FUNCTION cache_flush()
RETURNS bigint
AS 'MODULE_PATHNAME', 'cache_flush'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION cache_flush() IS
'Remove every cached entry of the current database; returns the number removed';

CREATE FUNCTION cache_invalidate_relation(rel regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cache_invalidate_relation'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION cache_invalidate_relation(regclass) IS
'Remove every cached entry that depends on the relation; returns the number removed';

CREATE FUNCTION cache_stats(
    OUT hits bigint,
    OUT misses bigint,
    OUT bypasses bigint,
    OUT stores bigint,
    OUT rejected_stores bigint,
    OUT store_races bigint,
    OUT evictions bigint,
    OUT expirations bigint,
    OUT invalidations bigint,
    OUT invalidation_events bigint,
    OUT coalesce_leaders bigint,
    OUT coalesce_waits bigint,
    OUT coalesce_takeovers bigint,
    OUT coalesce_timeouts bigint,
    OUT coalesce_unshareable bigint,
    OUT coalesce_table_full bigint,
    OUT coalesce_wait_total_ms double precision,
    OUT coalesce_wait_max_ms double precision,
    OUT db_calls_saved bigint,
    OUT db_call_reduction_pct double precision,
    OUT inflight bigint,
    OUT entries bigint,
    OUT bytes_used bigint,
    OUT memory_budget bigint,
    OUT memory_limit bigint,
    OUT stats_reset timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'cache_stats'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_stats() IS
'Cache counters since the last reset, and current entries and memory';

CREATE FUNCTION cache_bypass_stats(OUT reason text, OUT count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cache_bypass_stats'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_bypass_stats() IS
'Calls that ran their query without the cache, by reason';

CREATE FUNCTION cache_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'cache_stats_reset'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION cache_stats_reset() IS
'Reset the cache counters to zero';

-- Administrative functions are for the extension owner (and superusers)
-- unless granted; statistics are for pg_monitor.
REVOKE ALL ON FUNCTION cache_flush() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_invalidate_relation(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_stats_reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_bypass_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_stats() TO pg_monitor;
GRANT EXECUTE ON FUNCTION cache_bypass_stats() TO pg_monitor;
