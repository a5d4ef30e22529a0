-- cascade_cache 1.7 -> 1.8: cache_holds() shows what prepared transactions
-- keep from being stored, and cache_health() warns about the long ones.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.8'" to load this file. \quit

--
-- cache_holds(): one row per hold that keeps results from being stored
-- until a prepared transaction ends.  kind: prepared (a PREPARE
-- TRANSACTION), apply (one prepared by a logical replication apply worker,
-- whose GID the cache does not see) or restart (after a restart, until the
-- first fill has listed the prepared transactions); gid, transaction and
-- database: the prepared transaction's; scope: rows (the results that
-- depend on what it changed), database (every result of its database) or
-- cluster (every result); stripes: the fence stripes held; state:
-- preparing (PREPARE TRANSACTION has not returned), held, or ended (the
-- transaction has ended; the next fill releases the hold); since: when the
-- hold began (for a transaction prepared before a restart, the first fill
-- after it).
--
CREATE FUNCTION cache_holds(
    OUT kind text,
    OUT gid text,
    OUT transaction xid,
    OUT database name,
    OUT scope text,
    OUT stripes integer,
    OUT state text,
    OUT since timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cache_holds'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION cache_holds() IS
'What prepared transactions keep from being stored until they end: their GID, database, scope (rows, database, cluster), state and since when';

REVOKE ALL ON FUNCTION cache_holds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_holds() TO pg_monitor;

--
-- cache_health(): also warns (degraded) about a prepared transaction that
-- has kept every result of a database, or of every database, from being
-- stored for longer than cascade_cache.health_hold (10s), and tells (info)
-- of one that has kept the results depending on what it changed as long;
-- three at most, the wider and older first, and how many more.
--
CREATE OR REPLACE FUNCTION cache_health(OUT status text, OUT warnings text[],
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
    w record;
    rf record;
    nomem bigint;
    h record;
    nholds int := 0;
    who text;
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

    -- warm restart and refresh-ahead (1.6)
    SELECT * INTO w FROM cascade_cache.cache_warm_status();
    IF w.state = 'queuing' OR w.waiting > 0 THEN
        warnings := array_append(warnings, format('info: warm restart: %s of %s recipes queued, %s waiting for a runner',
            w.queued, w.recipes, w.waiting));
    END IF;
    SELECT * INTO rf FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh';
    IF rf.dropped > 0 THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: %s refresh-ahead fills dropped: the recipe queue was full', rf.dropped));
        recs := array_append(recs, 'raise cascade_cache.recipe_queue or cascade_cache.recipe_workers, or narrow cascade_cache.refetch_names');
    END IF;

    -- results not stored for lack of shared memory (1.7)
    SELECT coalesce(sum(b.count), 0) INTO nomem
      FROM cascade_cache.cache_bypass_stats() b WHERE b.reason = 'no_memory';
    IF nomem > 0 THEN
        worst := greatest(worst, 1);
        warnings := array_append(warnings, format('warning: %s results not stored for lack of shared memory: the system refused a segment (logged), or the cache''s memory is too fragmented for them',
            nomem));
        recs := array_append(recs, 'let the system give the cache its cascade_cache.max_memory (/dev/shm, a container''s shared memory size), or lower cascade_cache.max_memory to what it gives');
    END IF;

    -- prepared transactions keeping results from being stored for longer
    -- than health_hold (1.8): those that hold a database or every database
    -- (degraded), those that hold what they changed (info)
    FOR h IN SELECT * FROM cascade_cache.cache_holds()
              WHERE kind <> 'restart' AND state = 'held'
                AND since < now() - current_setting('cascade_cache.health_hold')::interval
              ORDER BY scope = 'rows', since, gid
    LOOP
        nholds := nholds + 1;
        CONTINUE WHEN nholds > 3;
        who := CASE h.kind WHEN 'apply'
                   THEN format('of a logical replication apply worker (transaction %s)', h.transaction)
                   ELSE quote_literal(h.gid) END;
        IF h.scope = 'rows' THEN
            warnings := array_append(warnings, format('info: prepared transaction %s keeps the results that depend on what it changed from being stored since %s',
                who, h.since));
        ELSE
            worst := greatest(worst, 1);
            warnings := array_append(warnings, format('warning: prepared transaction %s keeps every result of %s from being stored since %s',
                who, CASE h.scope WHEN 'cluster' THEN 'every database'
                                  ELSE 'database ' || quote_ident(h.database) END,
                h.since));
            recs := array_append(recs, 'finish the prepared transactions that hold the cache with COMMIT PREPARED or ROLLBACK PREPARED (SELECT h.*, p.owner, p.prepared FROM cascade_cache.cache_holds() h JOIN pg_prepared_xacts p USING (transaction) shows them with their owners)');
        END IF;
    END LOOP;
    IF nholds > 3 THEN
        warnings := array_append(warnings, format('info: %s more prepared transactions keep results from being stored (cascade_cache.cache_holds())',
            nholds - 3));
    END IF;

    status := CASE worst WHEN 0 THEN 'healthy' WHEN 1 THEN 'degraded' ELSE 'critical' END;
    IF cardinality(recs) = 0 THEN
        recommendation := 'System healthy at current load';
    ELSE
        SELECT string_agg(DISTINCT x, '; ') INTO recommendation FROM unnest(recs) x;
    END IF;
END
$$;
