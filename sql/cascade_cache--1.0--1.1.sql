-- cascade_cache 1.0 -> 1.1: monitoring views, rates, health, breakdowns,
-- cache_explain, the dashboard; nothing granted to PUBLIC.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.1'" to load this file. \quit

--
-- Rates over 1, 5 and 15 minutes, from the worker's samples
--
CREATE FUNCTION cache_rate_windows(
    OUT window_minutes integer,
    OUT read_qps double precision,
    OUT mutation_qps double precision,
    OUT invalidations_per_s double precision,
    OUT evictions_per_s double precision,
    OUT lookups bigint,
    OUT hit_rate_pct double precision,
    OUT covered_seconds double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cache_rate_windows'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_rate_windows() IS
'Calls, mutations, invalidations and evictions per second, and the hit rate, over the last 1, 5 and 15 minutes';

CREATE FUNCTION cache_max_entry_bytes()
RETURNS bigint
AS 'MODULE_PATHNAME', 'cache_max_entry_bytes'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_max_entry_bytes() IS
'The largest result stored since the last cache_stats_reset(), in bytes';

--
-- Views
--
CREATE VIEW cache_metrics AS
SELECT s.hits, s.misses, s.bypasses,
       round((100.0 * s.hits / nullif(s.hits + s.misses, 0))::numeric, 2) AS hit_rate_pct,
       s.entries, s.bytes_used, s.memory_budget, s.memory_limit,
       round((100.0 * s.bytes_used / nullif(s.memory_budget, 0))::numeric, 2) AS memory_used_pct,
       s.stores, s.rejected_stores, s.evictions, s.expirations,
       s.invalidations, s.invalidation_events,
       round(s.invalidation_precision_pct::numeric, 2) AS invalidation_precision_pct,
       CASE WHEN s.entries > 0 THEN s.bytes_used / s.entries END AS avg_entry_bytes,
       cascade_cache.cache_max_entry_bytes() AS max_entry_bytes,
       s.stats_reset
  FROM cascade_cache.cache_stats() s;

COMMENT ON VIEW cache_metrics IS
'The cache: lookups, hit rate, entries, memory, stores, evictions, expirations, invalidations, entry sizes';

CREATE VIEW coalesce_metrics AS
SELECT s.inflight, s.coalesce_leaders AS leaders, s.coalesce_waits AS coalesced,
       s.db_calls_saved,
       round(s.db_call_reduction_pct::numeric, 2) AS db_call_reduction_pct,
       round((s.coalesce_wait_total_ms / nullif(s.coalesce_waits, 0))::numeric, 3) AS avg_wait_ms,
       round(s.coalesce_wait_max_ms::numeric, 3) AS max_wait_ms,
       s.coalesce_timeouts AS timeouts, s.coalesce_takeovers AS takeovers,
       s.coalesce_unshareable AS unshareable, s.coalesce_table_full AS table_full,
       s.stats_reset
  FROM cascade_cache.cache_stats() s;

COMMENT ON VIEW coalesce_metrics IS
'Request coalescing: fills in flight, waits, executions saved, wait times, timeouts, takeovers';

CREATE VIEW cascade_metrics AS
SELECT m.total_mutations, m.success, m.partial, m.failed,
       round((100.0 * m.failure_rate)::numeric, 4) AS failure_rate_pct,
       m.total_invalidations,
       round(m.avg_invalidations_per_mutation::numeric, 2) AS avg_invalidations_per_mutation,
       m.last_failure
  FROM cascade_cache.cascade_audit_metrics() m;

COMMENT ON VIEW cascade_metrics IS
'Audited mutations: outcomes, failure rate, invalidations';

CREATE VIEW cache_bypasses AS
SELECT reason, count FROM cascade_cache.cache_bypass_stats();

COMMENT ON VIEW cache_bypasses IS 'Calls that ran their query without the cache, by reason';

CREATE VIEW cache_rates AS
SELECT window_minutes,
       round(read_qps::numeric, 1) AS read_qps,
       round(mutation_qps::numeric, 1) AS mutation_qps,
       round(invalidations_per_s::numeric, 1) AS invalidations_per_s,
       round(evictions_per_s::numeric, 1) AS evictions_per_s,
       lookups,
       round(hit_rate_pct::numeric, 2) AS hit_rate_pct,
       round(covered_seconds::numeric, 0) AS covered_seconds
  FROM cascade_cache.cache_rate_windows();

COMMENT ON VIEW cache_rates IS
'Read calls, mutations, invalidations and evictions per second, and the hit rate, over 1, 5 and 15 minutes';

--
-- Health
--
CREATE FUNCTION cache_health(OUT status text, OUT warnings text[],
                             OUT recommendation text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    c record;
    a record;
    r1 record;
    r5 record;
    lookups bigint;
    hit_rate double precision;
    recs text[] := '{}';
    worst int := 0;     -- 0 healthy, 1 degraded, 2 critical
    s text;
BEGIN
    SELECT * INTO m FROM cascade_cache.cache_metrics;
    SELECT * INTO c FROM cascade_cache.coalesce_metrics;
    SELECT * INTO a FROM cascade_cache.cascade_metrics;
    SELECT * INTO r1 FROM cascade_cache.cache_rates WHERE window_minutes = 1;
    SELECT * INTO r5 FROM cascade_cache.cache_rates WHERE window_minutes = 5;
    warnings := '{}';

    -- the hit rate: over five minutes, or since the last reset
    IF coalesce(r5.lookups, 0) >= current_setting('cascade_cache.health_min_lookups')::int THEN
        lookups := r5.lookups;
        hit_rate := r5.hit_rate_pct;
    ELSE
        lookups := m.hits + m.misses;
        hit_rate := m.hit_rate_pct;
    END IF;
    IF lookups >= current_setting('cascade_cache.health_min_lookups')::int THEN
        IF hit_rate < current_setting('cascade_cache.health_hit_rate_critical')::int THEN
            worst := 2;
            warnings := array_append(warnings, format('critical: hit rate %s%% is below %s%%',
                round(hit_rate::numeric, 1), current_setting('cascade_cache.health_hit_rate_critical')));
        ELSIF hit_rate < current_setting('cascade_cache.health_hit_rate_warning')::int THEN
            worst := greatest(worst, 1);
            warnings := array_append(warnings, format('warning: hit rate %s%% is below %s%%',
                round(hit_rate::numeric, 1), current_setting('cascade_cache.health_hit_rate_warning')));
        END IF;
        IF hit_rate < current_setting('cascade_cache.health_hit_rate_warning')::int THEN
            recs := array_append(recs, 'find the queries that churn with cache_query_stats(20, ''invalidations'') and the tables behind them with cache_relation_stats(); watch those tables (cascade_watch) for precise invalidation; check cascade_audit for failed cascades; raise cascade_cache.max_memory if evictions are high');
        END IF;
    END IF;

    -- memory: near the budget and evicting
    IF m.memory_used_pct > current_setting('cascade_cache.health_memory_pct')::int
       AND coalesce(r5.evictions_per_s, 0) > 0 THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: memory %s%% of the budget, evicting %s entries/s',
            m.memory_used_pct, round(r5.evictions_per_s::numeric, 1)));
        recs := array_append(recs, 'raise cascade_cache.max_memory (now ' || pg_size_pretty(m.memory_limit) || ')');
    END IF;

    -- fills in flight
    IF c.inflight > current_setting('cascade_cache.health_inflight')::int THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('degraded: %s fills in flight (more than %s): the database is the bottleneck or a mutation spike is invalidating hot entries',
            c.inflight, current_setting('cascade_cache.health_inflight')));
        recs := array_append(recs, 'look for slow queries in pg_stat_activity and the invalidation rate in cache_rates; add read replicas if reads are the load');
    END IF;

    -- cascades
    IF a.total_mutations > 0 AND a.failure_rate_pct > current_setting('cascade_cache.health_cascade_failure_pct')::float8 THEN
        worst := 2;
        warnings := array_append(warnings, format('critical: cascade failure rate %s%% (more than %s%%), last failure %s',
            a.failure_rate_pct, current_setting('cascade_cache.health_cascade_failure_pct'), a.last_failure));
        recs := array_append(recs, 'fix the mutations whose cascades fail: SELECT * FROM cascade_cache.cascade_audit WHERE status <> ''success'' ORDER BY id DESC');
    END IF;

    -- entry size
    IF m.avg_entry_bytes > pg_size_bytes(current_setting('cascade_cache.health_entry_size')) THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: average entry %s (more than %s)',
            pg_size_pretty(m.avg_entry_bytes), current_setting('cascade_cache.health_entry_size')));
        recs := array_append(recs, 'paginate large results (first/after arguments) so that entries stay small');
    END IF;

    -- load
    IF r1.read_qps > current_setting('cascade_cache.health_read_qps')::int THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: %s reads/s (more than %s)',
            round(r1.read_qps::numeric), current_setting('cascade_cache.health_read_qps')));
        recs := array_append(recs, 'add PostgreSQL read replicas and spread cached_query reads over them');
    END IF;
    IF r1.mutation_qps > current_setting('cascade_cache.health_mutation_qps')::int THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: %s mutations/s (more than %s)',
            round(r1.mutation_qps::numeric), current_setting('cascade_cache.health_mutation_qps')));
        recs := array_append(recs, 'batch mutations, or scale writes (partitioning, a larger primary)');
    END IF;
    IF r1.read_qps + r1.mutation_qps > current_setting('cascade_cache.health_mixed_ops')::int
       AND r1.mutation_qps >= 0.1 * (r1.read_qps + r1.mutation_qps) THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: %s operations/s with %s%% mutations (more than %s at a mixed load)',
            round((r1.read_qps + r1.mutation_qps)::numeric),
            round((100 * r1.mutation_qps / (r1.read_qps + r1.mutation_qps))::numeric),
            current_setting('cascade_cache.health_mixed_ops')));
        recs := array_append(recs, 'plan read replicas: a mixed load above this rate is near what one server sustains');
    END IF;

    status := CASE worst WHEN 0 THEN 'healthy' WHEN 1 THEN 'degraded' ELSE 'critical' END;
    IF cardinality(recs) = 0 THEN
        recommendation := 'System healthy at current load';
    ELSE
        SELECT string_agg(DISTINCT x, '; ') INTO recommendation FROM unnest(recs) x;
    END IF;
END
$$;

COMMENT ON FUNCTION cache_health() IS
'healthy, degraded or critical, with warnings and what to do about them (thresholds: the cascade_cache.health_* settings)';

--
-- Privileges: nothing for PUBLIC.  Statistics and health for pg_monitor;
-- cached_query and cascade_invalidate for the roles you grant them to.
--
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA cascade_cache FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cascade_cache FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA cascade_cache FROM PUBLIC;
GRANT USAGE ON SCHEMA cascade_cache TO pg_monitor;
GRANT SELECT ON cache_metrics, coalesce_metrics, cascade_metrics, cache_bypasses,
                cache_rates TO pg_monitor;
GRANT EXECUTE ON FUNCTION cache_rate_windows(), cache_max_entry_bytes(),
                          cache_health() TO pg_monitor;

--
-- cache_explain: would a call be cached, and what is cached for it now
--
CREATE FUNCTION cache_explain(query text, params jsonb DEFAULT '[]',
                              name text DEFAULT NULL)
RETURNS TABLE (item text, detail text)
AS 'MODULE_PATHNAME', 'cache_explain'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION cache_explain(text, jsonb, text) IS
'Whether cached_query(query, params, name) would be cached and why not, its key, the entry stored under it, and what the entry depends on';

REVOKE ALL ON FUNCTION cache_explain(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_explain(text, jsonb, text) TO pg_monitor;

--
-- Breakdowns by query name and by relation
--
CREATE FUNCTION cache_query_stats(top integer DEFAULT 20, order_by text DEFAULT 'hits')
RETURNS TABLE (database text, query_name text, entries bigint, bytes bigint,
               hits bigint, stores bigint, invalidations bigint,
               evictions bigint, expirations bigint)
AS 'MODULE_PATHNAME', 'cache_query_stats'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_query_stats(integer, text) IS
'The top query names (NULL: unnamed calls) by entries, bytes, hits, stores, invalidations, evictions or expirations';

CREATE FUNCTION cache_relation_stats(top integer DEFAULT 20, order_by text DEFAULT 'invalidations')
RETURNS TABLE (database text, relation text, entries bigint, bytes bigint,
               hits bigint, writes bigint, invalidations bigint)
AS 'MODULE_PATHNAME', 'cache_relation_stats'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_relation_stats(integer, text) IS
'The top relations by the entries that read them (entries, bytes, hits) or by the invalidations their writes caused (writes, invalidations)';

--
-- The dashboard: SELECT * FROM cascade_cache.cache_dashboard \watch 1
--
CREATE FUNCTION cache_dashboard_lines()
RETURNS SETOF text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w constant int := 62;
    m record;
    c record;
    a record;
    r1 record;
    r5 record;
    h record;
    mixed_limit int := current_setting('cascade_cache.health_mixed_ops')::int;
    ops double precision;
BEGIN
    SELECT * INTO m FROM cascade_cache.cache_metrics;
    SELECT * INTO c FROM cascade_cache.coalesce_metrics;
    SELECT * INTO a FROM cascade_cache.cascade_metrics;
    SELECT * INTO r1 FROM cascade_cache.cache_rates WHERE window_minutes = 1;
    SELECT * INTO r5 FROM cascade_cache.cache_rates WHERE window_minutes = 5;
    SELECT * INTO h FROM cascade_cache.cache_health();

    RETURN NEXT '┌─ Cache Health ' || repeat('─', w - 17) || '┐';
    RETURN NEXT '│ ' || rpad(format('Status: %s', upper(h.status)), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Hit rate: %s%% (last 5 min: %s)',
        coalesce(m.hit_rate_pct::text, '-'),
        coalesce(r5.hit_rate_pct::text || '%', '-')), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Size: %s / %s (%s%%), %s entries',
        pg_size_pretty(m.bytes_used), pg_size_pretty(m.memory_budget),
        coalesce(m.memory_used_pct, 0), m.entries), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Memory per entry: %s, largest result: %s',
        coalesce(pg_size_pretty(m.avg_entry_bytes), '-'),
        pg_size_pretty(m.max_entry_bytes)), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Evictions: %s, invalidations: %s (%s needed)',
        m.evictions, m.invalidations,
        coalesce(m.invalidation_precision_pct::text || '%', '-')), w - 3) || '│';
    RETURN NEXT '└' || repeat('─', w - 2) || '┘';

    RETURN NEXT '┌─ Request Coalescing ' || repeat('─', w - 23) || '┐';
    RETURN NEXT '│ ' || rpad(format('In flight: %s', c.inflight), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Coalesced: %s waits, %s database calls saved',
        c.coalesced, c.db_calls_saved), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Database call reduction: %s%%',
        coalesce(c.db_call_reduction_pct::text, '-')), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Wait: %s ms average, %s ms longest',
        coalesce(c.avg_wait_ms::text, '-'), c.max_wait_ms), w - 3) || '│';
    RETURN NEXT '└' || repeat('─', w - 2) || '┘';

    RETURN NEXT '┌─ Cascade Health ' || repeat('─', w - 19) || '┐';
    RETURN NEXT '│ ' || rpad(format('Mutations: %s (success %s, partial %s, failed %s)',
        a.total_mutations, a.success, a.partial, a.failed), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Cascade failure rate: %s%%',
        coalesce(a.failure_rate_pct::text, '0')), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Invalidations per mutation: %s',
        coalesce(a.avg_invalidations_per_mutation::text, '-')), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Last failed cascade: %s',
        CASE WHEN a.last_failure IS NULL THEN 'never'
             ELSE date_trunc('second', now() - a.last_failure)::text || ' ago' END), w - 3) || '│';
    RETURN NEXT '└' || repeat('─', w - 2) || '┘';

    ops := coalesce(r1.read_qps, 0) + coalesce(r1.mutation_qps, 0);
    RETURN NEXT '┌─ System Load ' || repeat('─', w - 16) || '┐';
    RETURN NEXT '│ ' || rpad(format('Current: %s ops/s (reads %s, mutations %s)',
        round(ops::numeric), coalesce(round(r1.read_qps::numeric), 0),
        coalesce(round(r1.mutation_qps::numeric), 0)), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Headroom to %s ops/s: %s', mixed_limit,
        CASE WHEN ops > 0 THEN round((mixed_limit / ops)::numeric, 1)::text || 'x'
             ELSE '-' END), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(format('Invalidations: %s/s, evictions: %s/s',
        coalesce(r1.invalidations_per_s, 0), coalesce(r1.evictions_per_s, 0)), w - 3) || '│';
    RETURN NEXT '│ ' || rpad(left('Next: ' || split_part(h.recommendation, ';', 1), w - 3), w - 3) || '│';
    RETURN NEXT '└' || repeat('─', w - 2) || '┘';
    RETURN;
END
$$;

COMMENT ON FUNCTION cache_dashboard_lines() IS
'The lines of the cache_dashboard view';

CREATE VIEW cache_dashboard AS
SELECT line FROM cascade_cache.cache_dashboard_lines() AS line;

COMMENT ON VIEW cache_dashboard IS
'Cache health, request coalescing, cascade health and system load, drawn as four boxes (psql: \watch 1)';

REVOKE ALL ON FUNCTION cache_query_stats(integer, text), cache_relation_stats(integer, text),
                       cache_dashboard_lines() FROM PUBLIC;
REVOKE ALL ON cache_dashboard FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_query_stats(integer, text), cache_relation_stats(integer, text),
                          cache_dashboard_lines() TO pg_monitor;
GRANT SELECT ON cache_dashboard TO pg_monitor;
