-- cascade_cache 1.8 -> 1.9: cache_holds() also shows, on a hot standby,
-- what replayed transactions keep from being stored and the wait before
-- the standby caches at all; cache_health() reports the long ones.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.9'" to load this file. \quit

--
-- cache_holds() is unchanged in shape, and its C function new (that of
-- 1.8, which a standby runs until the primary has updated the extension,
-- shows none of these).  Two kinds are new, both on a hot standby: replay
-- (a transaction replayed from the primary whose end has not been
-- replayed yet: a prepared one, as long as nobody finishes it on the
-- primary, where pg_prepared_xacts names it), and standby (the standby
-- caches nothing yet: transaction is the oldest of those running on the
-- primary when its replay began that it still waits for; NULL when it
-- waits for the primary's first record, or, for a moment, for replay to
-- finish the record that ended the last of them; scope cluster, stripes
-- NULL, since: when its replay began).
--
CREATE OR REPLACE FUNCTION cache_holds(
    OUT kind text,
    OUT gid text,
    OUT transaction xid,
    OUT database name,
    OUT scope text,
    OUT stripes integer,
    OUT state text,
    OUT since timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cache_holds_1_9'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION cache_holds() IS
'What keeps results from being stored for a while: prepared transactions (kind prepared, apply, restart) and, on a hot standby, replayed ones (replay) and the wait before it caches (standby); their GID, database, scope (rows, database, cluster), state and since when';

--
-- cache_health(): as in 1.8, and on a hot standby also degraded when it
-- has cached nothing for longer than cascade_cache.health_hold (the
-- transaction it waits for is named), and when a replayed prepared
-- transaction has kept a database or every database from being stored for
-- that long (info for one that holds only what it changed).
--
CREATE OR REPLACE FUNCTION cache_health(OUT status text, OUT warnings text[],
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
    on_primary bool := false;
    on_standby bool := false;
    no_record bool := false;
    who text;
    hold interval := current_setting('cascade_cache.health_hold')::interval;
BEGIN
    SELECT * INTO base FROM cascade_cache.cache_health_1_7();
    status := base.status;
    warnings := base.warnings;
    recommendation := base.recommendation;

    -- a hot standby that caches nothing yet
    FOR h IN SELECT * FROM cascade_cache.cache_holds()
              WHERE kind = 'standby' AND since < now() - hold
    LOOP
        degraded := true;
        IF h.transaction IS NULL THEN
            no_record := true;
            warnings := array_append(warnings, format('warning: this standby caches nothing: since its replay began at %s it has not replayed a record showing that its primary logs invalidations (the primary needs cascade_cache in shared_preload_libraries; its worker writes one when it starts and once a minute in which the primary writes)',
                h.since));
        ELSE
            on_standby := true;
            warnings := array_append(warnings, format('warning: this standby caches nothing: it waits for the end of transaction %s, which was running on the primary when its replay began at %s',
                h.transaction, h.since));
        END IF;
    END LOOP;

    -- prepared transactions keeping results from being stored for longer
    -- than health_hold: those that hold a database or every database
    -- (degraded), those that hold what they changed (info); on a standby,
    -- the replayed transactions (only a prepared one holds for long)
    FOR h IN SELECT * FROM cascade_cache.cache_holds()
              WHERE kind IN ('prepared', 'apply', 'replay') AND state = 'held'
                AND stripes > 0 AND since < now() - hold
              ORDER BY scope = 'rows', since, gid
    LOOP
        nholds := nholds + 1;
        CONTINUE WHEN nholds > 3;
        who := CASE h.kind
                   WHEN 'apply' THEN format('prepared transaction of a logical replication apply worker (transaction %s)', h.transaction)
                   WHEN 'replay' THEN format('transaction %s, replayed from the primary,', h.transaction)
                   ELSE 'prepared transaction ' || quote_literal(h.gid) END;
        IF h.scope = 'rows' THEN
            warnings := array_append(warnings, format('info: %s keeps the results that depend on what it changed from being stored since %s',
                who, h.since));
        ELSE
            degraded := true;
            IF h.kind = 'replay' THEN
                on_standby := true;
            ELSE
                on_primary := true;
            END IF;
            warnings := array_append(warnings, format('warning: %s keeps every result of %s from being stored since %s',
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
        IF on_primary THEN
            recommendation := concat_ws('; ', recommendation,
                'finish the prepared transactions that hold the cache with COMMIT PREPARED or ROLLBACK PREPARED (SELECT h.*, p.owner, p.prepared FROM cascade_cache.cache_holds() h JOIN pg_prepared_xacts p USING (transaction) shows them with their owners)');
        END IF;
        IF no_record THEN
            recommendation := concat_ws('; ', recommendation,
                'check that the primary has cascade_cache in shared_preload_libraries; a write on the primary makes its worker announce itself within a minute');
        END IF;
        IF on_standby THEN
            recommendation := concat_ws('; ', recommendation,
                'end the transactions named above on the primary (pg_prepared_xacts there shows a prepared one, to finish with COMMIT PREPARED or ROLLBACK PREPARED; pg_stat_activity the others)');
        END IF;
    END IF;
END
$$;
