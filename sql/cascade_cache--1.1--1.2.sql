-- cascade_cache 1.1 -> 1.2: what the audit lost; the settings in the key.
\echo Use "ALTER EXTENSION cascade_cache UPDATE TO '1.2'" to load this file. \quit

--
-- cascade_audit_metrics() also counts the audit rows that could not be
-- written (the transactions committed all the same) and those whose
-- payloads were cut down to cascade_cache.audit_max_payload.
--
DROP VIEW cascade_metrics;
DROP FUNCTION cascade_audit_metrics();

CREATE FUNCTION cascade_audit_metrics(
    OUT total_mutations bigint,
    OUT success bigint,
    OUT partial bigint,
    OUT failed bigint,
    OUT failure_rate double precision,
    OUT total_invalidations bigint,
    OUT avg_invalidations_per_mutation double precision,
    OUT last_failure timestamptz,
    OUT rows_dropped bigint,
    OUT rows_truncated bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'cascade_audit_metrics'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cascade_audit_metrics() IS
'Audited mutations since the last cache_stats_reset(): outcomes, invalidations, and audit rows dropped or cut down';

CREATE VIEW cascade_metrics AS
SELECT m.total_mutations, m.success, m.partial, m.failed,
       round((100.0 * m.failure_rate)::numeric, 4) AS failure_rate_pct,
       m.total_invalidations,
       round(m.avg_invalidations_per_mutation::numeric, 2) AS avg_invalidations_per_mutation,
       m.last_failure, m.rows_dropped AS audit_rows_dropped,
       m.rows_truncated AS audit_rows_truncated
  FROM cascade_cache.cascade_audit_metrics() m;

COMMENT ON VIEW cascade_metrics IS
'Audited mutations: outcomes, failure rate, invalidations, audit rows dropped or cut down';

--
-- The settings that are part of every key in this session (all but those
-- known not to change a result, plus cascade_cache.key_settings)
--
CREATE FUNCTION cache_key_settings()
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'cache_key_settings'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cache_key_settings() IS
'The settings whose values are part of every cache key in this session';

REVOKE ALL ON FUNCTION cascade_audit_metrics() FROM PUBLIC;
REVOKE ALL ON FUNCTION cache_key_settings() FROM PUBLIC;
REVOKE ALL ON cascade_metrics FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cascade_audit_metrics(), cache_key_settings() TO pg_monitor;
GRANT SELECT ON cascade_metrics TO pg_monitor;
