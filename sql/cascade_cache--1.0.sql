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
    OUT refills_unchanged bigint,
    OUT refills_changed bigint,
    OUT invalidation_precision_pct double precision,
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

--
-- GraphQL cascades and watched tables
--
CREATE FUNCTION cascade_invalidate(cascade jsonb)
RETURNS integer
AS 'MODULE_PATHNAME', 'cascade_invalidate'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION cascade_invalidate(jsonb) IS
'Invalidate at commit what a GraphQL Cascade reports; returns the number of entries it matches now';

CREATE FUNCTION cascade_watch_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'cascade_watch_trigger'
LANGUAGE C;

CREATE FUNCTION cascade_watch(tbl regclass, typename text DEFAULT NULL,
                              id_column name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'cascade_watch'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cascade_watch(regclass, text, name) IS
'Install triggers that invalidate the entities of changed rows (Type:id) at commit';

CREATE FUNCTION cascade_unwatch(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'cascade_unwatch'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION cascade_unwatch(regclass) IS
'Remove the triggers cascade_watch installed';

CREATE VIEW cascade_watched AS
SELECT t.tgrelid::regclass AS relation,
       pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 1) AS typename,
       pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 2)::name AS id_column
  FROM pg_catalog.pg_trigger t
 WHERE t.tgname = 'cascade_cache_watch'
   AND t.tgfoid = 'cascade_cache.cascade_watch_trigger()'::pg_catalog.regprocedure
   AND t.tgparentid = 0;

COMMENT ON VIEW cascade_watched IS 'Tables watched by cascade_watch()';

--
-- The audit trail: the latest cascade_cache.audit_max_rows rows
--
CREATE SEQUENCE audit_seq;

CREATE UNLOGGED TABLE audit_log (
    id bigint NOT NULL,
    mutation_id text NOT NULL,
    database name NOT NULL,
    role name NOT NULL,
    application_name text,
    committed_at timestamptz NOT NULL,
    source text NOT NULL CHECK (source IN ('cascade', 'trigger', 'both', 'manual')),
    status text NOT NULL CHECK (status IN ('success', 'partial', 'failed')),
    error text,
    payload jsonb,
    payload_truncated boolean NOT NULL DEFAULT false,
    entities text[] NOT NULL DEFAULT '{}',
    entity_count integer NOT NULL DEFAULT 0,
    query_names text[] NOT NULL DEFAULT '{}',
    missing text[] NOT NULL DEFAULT '{}',
    entries_removed bigint NOT NULL,
    duration_us bigint NOT NULL
);
CREATE INDEX audit_log_id ON audit_log (id);

CREATE VIEW cascade_audit AS
SELECT id, mutation_id, database, role, application_name, committed_at,
       source, status, error, payload, payload_truncated, entities,
       entity_count, query_names, missing, entries_removed, duration_us
  FROM audit_log
 WHERE id > (SELECT pg_catalog.max(id) FROM audit_log)
            - coalesce(pg_catalog.current_setting('cascade_cache.audit_max_rows', true), '100000')::bigint;

COMMENT ON VIEW cascade_audit IS
'One row per committed transaction that reported a cascade or changed a watched table, and per manual invalidation';

CREATE FUNCTION cascade_audit_metrics(
    OUT total_mutations bigint,
    OUT success bigint,
    OUT partial bigint,
    OUT failed bigint,
    OUT failure_rate double precision,
    OUT total_invalidations bigint,
    OUT avg_invalidations_per_mutation double precision,
    OUT last_failure timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'cascade_audit_metrics'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cascade_audit_metrics() IS
'Audited mutations since the last cache_stats_reset(): outcomes and invalidations';

CREATE FUNCTION cascade_audit_recent(n integer DEFAULT 20)
RETURNS SETOF cascade_audit
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM cascade_cache.cascade_audit ORDER BY id DESC LIMIT n $$;

COMMENT ON FUNCTION cascade_audit_recent(integer) IS 'The latest n audit rows';

-- Administrative functions are for the extension owner (and superusers)
-- unless granted; statistics are for pg_monitor.
REVOKE ALL ON FUNCTION cache_flush() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_invalidate_relation(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_stats_reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_bypass_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_stats() TO pg_monitor;
GRANT EXECUTE ON FUNCTION cache_bypass_stats() TO pg_monitor;

-- Watching is for the extension owner unless granted (it creates triggers,
-- which also needs the TRIGGER privilege on the table).
REVOKE ALL ON FUNCTION cascade_watch(regclass, text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION cascade_unwatch(regclass) FROM PUBLIC;

-- Audit payloads may hold personal data: pg_monitor and the owner only.
REVOKE ALL ON audit_log, audit_seq, cascade_audit FROM PUBLIC;
REVOKE ALL ON FUNCTION cascade_audit_metrics() FROM PUBLIC;
REVOKE ALL ON FUNCTION cascade_audit_recent(integer) FROM PUBLIC;
GRANT SELECT ON cascade_audit TO pg_monitor;
GRANT EXECUTE ON FUNCTION cascade_audit_metrics() TO pg_monitor;
GRANT EXECUTE ON FUNCTION cascade_audit_recent(integer) TO pg_monitor;
