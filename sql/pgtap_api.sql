--
-- pgTAP: the installed API, privileges, GUCs and SQLSTATEs
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SET search_path = public, cascade_cache;
\pset format unaligned
\pset tuples_only on

SELECT plan(105);

-- objects
SELECT has_schema('cascade_cache');
SELECT has_function('cascade_cache', 'cached_query', ARRAY['text', 'jsonb', 'interval', 'text']);
SELECT function_returns('cascade_cache', 'cached_query', ARRAY['text', 'jsonb', 'interval', 'text'], 'jsonb');
SELECT volatility_is('cascade_cache', 'cached_query', ARRAY['text', 'jsonb', 'interval', 'text'], 'volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cached_query'::regproc), 'u',
          'cached_query is PARALLEL UNSAFE');
SELECT has_function('cascade_cache', 'cached_query_json', ARRAY['text', 'jsonb', 'interval', 'text']);
SELECT function_returns('cascade_cache', 'cached_query_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'json');
SELECT volatility_is('cascade_cache', 'cached_query_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cached_query_json'::regproc), 'u',
          'cached_query_json is PARALLEL UNSAFE');
SELECT has_function('cascade_cache', 'cached_document', ARRAY['text', 'jsonb', 'interval', 'text']);
SELECT function_returns('cascade_cache', 'cached_document', ARRAY['text', 'jsonb', 'interval', 'text'], 'jsonb');
SELECT volatility_is('cascade_cache', 'cached_document', ARRAY['text', 'jsonb', 'interval', 'text'], 'volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cached_document'::regproc), 'u',
          'cached_document is PARALLEL UNSAFE');
SELECT has_function('cascade_cache', 'cached_document_json', ARRAY['text', 'jsonb', 'interval', 'text']);
SELECT function_returns('cascade_cache', 'cached_document_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'json');
SELECT volatility_is('cascade_cache', 'cached_document_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cached_document_json'::regproc), 'u',
          'cached_document_json is PARALLEL UNSAFE');
SELECT has_function('cascade_cache', 'cached_query_args', ARRAY['text', '"any"']);
SELECT function_returns('cascade_cache', 'cached_query_args', ARRAY['text', '"any"'], 'jsonb');
SELECT has_function('cascade_cache', 'cached_query_json_args', ARRAY['text', '"any"']);
SELECT function_returns('cascade_cache', 'cached_query_json_args', ARRAY['text', '"any"'], 'json');
SELECT has_function('cascade_cache', 'cached_document_args', ARRAY['text', '"any"']);
SELECT function_returns('cascade_cache', 'cached_document_args', ARRAY['text', '"any"'], 'jsonb');
SELECT has_function('cascade_cache', 'cached_document_json_args', ARRAY['text', '"any"']);
SELECT function_returns('cascade_cache', 'cached_document_json_args', ARRAY['text', '"any"'], 'json');
-- the statistics that first flush this session's batched hit counts run
-- in the leader only
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cache_query_stats'::regproc), 'r',
          'cache_query_stats is PARALLEL RESTRICTED');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'cascade_cache.cache_relation_stats'::regproc), 'r',
          'cache_relation_stats is PARALLEL RESTRICTED');
SELECT has_function('cascade_cache', 'cache_flush', '{}'::name[]);
SELECT function_returns('cascade_cache', 'cache_flush', '{}'::name[], 'bigint');
SELECT has_function('cascade_cache', 'cache_invalidate_relation', ARRAY['regclass']);
SELECT function_returns('cascade_cache', 'cache_invalidate_relation', ARRAY['regclass'], 'bigint');
SELECT has_function('cascade_cache', 'cache_stats', '{}'::name[]);
SELECT has_function('cascade_cache', 'cache_bypass_stats', '{}'::name[]);
SELECT has_function('cascade_cache', 'cache_stats_reset', '{}'::name[]);
SELECT is((SELECT proargnames::text[] FROM pg_proc WHERE oid = 'cascade_cache.cache_stats'::regproc),
          ARRAY['hits', 'misses', 'bypasses', 'stores', 'rejected_stores', 'store_races',
                'evictions', 'expirations', 'invalidations', 'invalidation_events',
                'refills_unchanged', 'refills_changed', 'invalidation_precision_pct',
                'coalesce_leaders', 'coalesce_waits', 'coalesce_takeovers',
                'coalesce_timeouts', 'coalesce_unshareable', 'coalesce_table_full',
                'coalesce_wait_total_ms', 'coalesce_wait_max_ms', 'db_calls_saved',
                'db_call_reduction_pct', 'inflight',
                'entries', 'bytes_used', 'memory_budget', 'memory_limit', 'stats_reset'],
          'cache_stats() columns');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'cascade_cache'), false,
          'the extension is not relocatable');
SELECT has_function('cascade_cache', 'cascade_invalidate', ARRAY['jsonb']);
SELECT function_returns('cascade_cache', 'cascade_invalidate', ARRAY['jsonb'], 'integer');
SELECT has_function('cascade_cache', 'cascade_watch', ARRAY['regclass', 'text', 'name']);
SELECT has_function('cascade_cache', 'cascade_unwatch', ARRAY['regclass']);
SELECT has_function('cascade_cache', 'cascade_audit_metrics', '{}'::name[]);
SELECT has_function('cascade_cache', 'cascade_audit_recent', ARRAY['integer']);
SELECT has_function('cascade_cache', 'cache_key_settings', '{}'::name[]);
SELECT function_returns('cascade_cache', 'cache_key_settings', '{}'::name[], 'setof text');
SELECT is((SELECT proargnames::text[] FROM pg_proc WHERE oid = 'cascade_cache.cascade_audit_metrics'::regproc),
          ARRAY['total_mutations', 'success', 'partial', 'failed', 'failure_rate',
                'total_invalidations', 'avg_invalidations_per_mutation', 'last_failure',
                'rows_dropped', 'rows_truncated'],
          'cascade_audit_metrics() columns');
SELECT has_view('cascade_cache', 'cascade_audit', 'the cascade_audit view');
SELECT has_view('cascade_cache', 'cascade_watched', 'the cascade_watched view');
SELECT is((SELECT relpersistence FROM pg_class WHERE oid = 'cascade_cache.audit_log'::regclass), 'u',
          'the audit table is UNLOGGED');
SELECT columns_are('cascade_cache', 'cascade_audit',
  ARRAY['id', 'mutation_id', 'database', 'role', 'application_name', 'committed_at', 'source',
        'status', 'error', 'payload', 'payload_truncated', 'entities', 'entity_count',
        'query_names', 'missing', 'entries_removed', 'duration_us']);

-- privileges: administration is for the owner, statistics for pg_monitor
SELECT function_privs_are('cascade_cache', 'cache_flush', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_invalidate_relation', ARRAY['regclass'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_stats_reset', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_stats', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_stats', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_bypass_stats', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cascade_invalidate', ARRAY['jsonb'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_query', ARRAY['text', 'jsonb', 'interval', 'text'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_query_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_document', ARRAY['text', 'jsonb', 'interval', 'text'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_document_json', ARRAY['text', 'jsonb', 'interval', 'text'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_query_args', ARRAY['text', '"any"'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_query_json_args', ARRAY['text', '"any"'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_document_args', ARRAY['text', '"any"'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cached_document_json_args', ARRAY['text', '"any"'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_health', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_explain', ARRAY['text', 'jsonb', 'text'], 'pg_monitor', ARRAY['EXECUTE']);
SELECT table_privs_are('cascade_cache', 'cache_metrics', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('cascade_cache', 'cache_dashboard', 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cascade_watch', ARRAY['regclass', 'text', 'name'], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cascade_audit_metrics', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_key_settings', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_key_settings', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_warm_status', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_warm_status', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_recipe_stats', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_recipe_stats', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_holds', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_holds', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT function_privs_are('cascade_cache', 'cache_health_1_7', '{}'::name[], 'public', '{}'::text[]);
SELECT function_privs_are('cascade_cache', 'cache_health_1_7', '{}'::name[], 'pg_monitor', ARRAY['EXECUTE']);
SELECT table_privs_are('cascade_cache', 'cascade_audit', 'public', '{}'::text[]);
SELECT table_privs_are('cascade_cache', 'cascade_audit', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('cascade_cache', 'audit_log', 'public', '{}'::text[]);

-- settings, their defaults and contexts
SELECT results_eq(
  $$SELECT name::text, setting::text, coalesce(unit, '')::text, context::text
      FROM pg_settings WHERE name LIKE 'cascade\_cache.%' ORDER BY name$$,
  $$VALUES ('cascade_cache.audit', 'on', '', 'superuser'),
           ('cascade_cache.audit_max_payload', '64', 'kB', 'superuser'),
           ('cascade_cache.audit_max_rows', '100000', '', 'sighup'),
           ('cascade_cache.cascade_max_deleted', '100', '', 'superuser'),
           ('cascade_cache.cascade_max_invalidations', '100', '', 'superuser'),
           ('cascade_cache.cascade_max_size', '5120', 'kB', 'superuser'),
           ('cascade_cache.cascade_max_updated', '500', '', 'superuser'),
           ('cascade_cache.coalesce', 'on', '', 'user'),
           ('cascade_cache.coalesce_timeout', '10000', 'ms', 'user'),
           ('cascade_cache.debug_fill_pause', '0', '', 'superuser'),
           ('cascade_cache.debug_skip_fence', 'off', '', 'superuser'),
           ('cascade_cache.default_ttl', '0', 's', 'user'),
           ('cascade_cache.enabled', 'on', '', 'user'),
           ('cascade_cache.health_cascade_failure_pct', '0.1', '', 'superuser'),
           ('cascade_cache.health_entry_size', '500', 'kB', 'superuser'),
           ('cascade_cache.health_hit_rate_critical', '60', '', 'superuser'),
           ('cascade_cache.health_hit_rate_warning', '70', '', 'superuser'),
           ('cascade_cache.health_hold', '10', 's', 'superuser'),
           ('cascade_cache.health_inflight', '10000', '', 'superuser'),
           ('cascade_cache.health_memory_pct', '90', '', 'superuser'),
           ('cascade_cache.health_min_lookups', '100', '', 'superuser'),
           ('cascade_cache.health_mixed_ops', '8000', '', 'superuser'),
           ('cascade_cache.health_mutation_qps', '5000', '', 'superuser'),
           ('cascade_cache.health_read_qps', '20000', '', 'superuser'),
           ('cascade_cache.invalid_cascade', 'record', '', 'user'),
           ('cascade_cache.key_settings', '', '', 'superuser'),
           ('cascade_cache.max_entry_size', '1024', 'kB', 'superuser'),
           ('cascade_cache.max_inflight', '16384', '', 'postmaster'),
           ('cascade_cache.max_memory', '65536', 'kB', 'sighup'),
           ('cascade_cache.precise_invalidation', 'on', '', 'superuser'),
           ('cascade_cache.recipe_queue', '1024', '', 'postmaster'),
           ('cascade_cache.recipe_timeout', '30000', 'ms', 'sighup'),
           ('cascade_cache.recipe_workers', '2', '', 'sighup'),
           ('cascade_cache.refetch_names', '', '', 'sighup'),
           ('cascade_cache.trusted_functions', '', '', 'superuser'),
           ('cascade_cache.warm_entries', '10000', '', 'sighup'),
           ('cascade_cache.warm_interval', '300', 's', 'sighup'),
           ('cascade_cache.warm_rate', '1000', '', 'sighup'),
           ('cascade_cache.warm_skip_settings', 'request.*', '', 'sighup')$$,
  'GUCs, defaults and contexts');
SELECT throws_ok($$SET cascade_cache.max_memory = '1GB'$$, '55P02', NULL,
                 'max_memory can only change in postgresql.conf');
SELECT throws_ok($$SET cascade_cache.no_such_setting = 1$$, '42602', NULL,
                 'the cascade_cache prefix is reserved');
SELECT is((SELECT max_val::bigint FROM pg_settings WHERE name = 'cascade_cache.max_memory') * 1024
            >= 32::bigint * 1024 * 1024 * 1024, true, 'max_memory accepts at least 32GB');

-- SQLSTATEs of bad input
CREATE TABLE tap_t (id int PRIMARY KEY, v text);
INSERT INTO tap_t VALUES (1, 'one');
SELECT throws_ok($$SELECT cached_query(NULL)$$, '22004', 'cached_query query must not be null');
SELECT throws_ok($$SELECT cached_query('SELECT 1', '{}')$$, '22023', 'cached_query params must be a JSON array');
SELECT throws_ok($$SELECT cached_query('SELECT $1::int', '[]')$$, '22023');
SELECT throws_ok($$SELECT cached_query('SELECT 1', '[1]')$$, '22023');
SELECT throws_ok($$SELECT cached_query('SELECT $2::int', '[1, 2]')$$, '42P18');
SELECT throws_ok($$SELECT cached_query('SELECT v FROM tap_t WHERE id = $1', '["x"]')$$, '22P02');
SELECT throws_ok($$SELECT cached_query('SELECT 1; SELECT 2')$$, '0A000');
SELECT throws_ok($$SELECT cached_query('DELETE FROM tap_t')$$, '0A000',
                 'cached_query only runs read-only SELECT statements');
SELECT throws_ok($$SELECT cached_query('WITH d AS (DELETE FROM tap_t RETURNING 1) SELECT 1')$$, '0A000');
SELECT throws_ok($$SELECT cached_query('SELEC 1')$$, '42601');
SELECT throws_ok($$SELECT cached_query('SELECT 1', ttl => '-1s')$$, '22023');
SELECT throws_ok($$SELECT cache_invalidate_relation(0)$$, '42P01');

-- the happy path, once more through pgTAP
SELECT is(cached_query('SELECT v FROM tap_t WHERE id = $1', '[1]'), '[{"v": "one"}]'::jsonb, 'a result');
SELECT is(cached_query('SELECT v FROM tap_t WHERE id = $1', '["1"]'), '[{"v": "one"}]'::jsonb,
          'a string parameter for an int column');
SELECT lives_ok($$SELECT cache_stats_reset()$$, 'stats reset');
SELECT is((SELECT hits + misses FROM cache_stats()), 0::bigint, 'counters start from zero after a reset');
SELECT is(cached_query('SELECT v FROM tap_t WHERE id = $1', '[1]'), '[{"v": "one"}]'::jsonb, 'a hit');
SELECT is((SELECT hits FROM cache_stats()), 1::bigint, 'counted as a hit');

SELECT * FROM finish();
DROP TABLE tap_t;
