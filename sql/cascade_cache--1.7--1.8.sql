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
-- cluster (every result); stripes: the fence stripes held (0: it holds
-- nothing, a transaction that changed nothing cached); state:
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
-- three at most, the wider and older first, and how many more.  The checks
-- of 1.7 stay as they were, in cache_health_1_7(), which this one calls
-- (rather than a copy of them).
--
ALTER FUNCTION cache_health() RENAME TO cache_health_1_7;

COMMENT ON FUNCTION cache_health_1_7() IS
'The checks of cache_health() up to version 1.7, which cache_health() runs first';

CREATE FUNCTION cache_health(OUT status text, OUT warnings text[],
                             OUT recommendation text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base record;
    h record;
    nholds int := 0;
    degraded bool := false;
    who text;
BEGIN
    SELECT * INTO base FROM cascade_cache.cache_health_1_7();
    status := base.status;
    warnings := base.warnings;
    recommendation := base.recommendation;

    -- prepared transactions keeping results from being stored for longer
    -- than health_hold: those that hold a database or every database
    -- (degraded), those that hold what they changed (info)
    FOR h IN SELECT * FROM cascade_cache.cache_holds()
              WHERE kind <> 'restart' AND state = 'held' AND stripes > 0
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
            degraded := true;
            warnings := array_append(warnings, format('warning: prepared transaction %s keeps every result of %s from being stored since %s',
                who, CASE h.scope WHEN 'cluster' THEN 'every database'
                                  ELSE 'database ' || quote_ident(h.database) END,
                h.since));
        END IF;
    END LOOP;
    IF nholds > 3 THEN
        warnings := array_append(warnings, format('info: %s more prepared transactions keep results from being stored (cascade_cache.cache_holds())',
            nholds - 3));
    END IF;

    IF degraded THEN
        IF status = 'healthy' THEN
            status := 'degraded';
            recommendation := NULL;
        END IF;
        recommendation := concat_ws('; ', recommendation,
            'finish the prepared transactions that hold the cache with COMMIT PREPARED or ROLLBACK PREPARED (SELECT h.*, p.owner, p.prepared FROM cascade_cache.cache_holds() h JOIN pg_prepared_xacts p USING (transaction) shows them with their owners)');
    END IF;
END
$$;

COMMENT ON FUNCTION cache_health() IS
'healthy, degraded or critical, with warnings and what to do about them (thresholds: the cascade_cache.health_* settings)';

REVOKE ALL ON FUNCTION cache_health(), cache_health_1_7() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cache_health(), cache_health_1_7() TO pg_monitor;
