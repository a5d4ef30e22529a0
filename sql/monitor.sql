--
-- Observability: the views, the breakdowns, cache_explain, cache_health
-- (thresholds that do not depend on rates), the dashboard and privileges
--
CREATE SCHEMA monitor_test;
SET search_path = monitor_test, public, cascade_cache;
SET client_min_messages = warning;
SELECT cache_flush() >= 0 AS ok;
SELECT cache_stats_reset();
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- the same plans on every version: 16 and later would read tb_book through
-- its primary key, in the order the view's jsonb_agg(... ORDER BY b.id)
-- wants, rather than look the books up by author
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
            THEN set_config('enable_presorted_aggregate', 'off', false) = 'off'
            ELSE true END AS same_plans;

CREATE TABLE tb_author (id int PRIMARY KEY, name text);
CREATE TABLE tb_book (id int PRIMARY KEY, author_id int REFERENCES tb_author, title text);
CREATE INDEX tb_book_author ON tb_book (author_id);
INSERT INTO tb_author VALUES (1, 'ursula'), (2, 'iain');
INSERT INTO tb_book VALUES (10, 1, 'the dispossessed'), (11, 1, 'the lathe of heaven'),
                           (20, 2, 'excession');
SELECT cascade_watch('tb_author'), cascade_watch('tb_book');
ANALYZE tb_author, tb_book;
CREATE VIEW v_author AS
  SELECT a.id, jsonb_build_object('__typename', 'Author', 'id', a.id, 'name', a.name,
           'books', (SELECT jsonb_agg(jsonb_build_object('__typename', 'Book', 'id', b.id,
                                                         'title', b.title) ORDER BY b.id)
                       FROM tb_book b WHERE b.author_id = a.id)) AS data
    FROM tb_author a;

-- some traffic: two named queries, one unnamed, hits, a write
SELECT count(*) FROM (
  SELECT cached_query('SELECT data FROM v_author WHERE id = $1', jsonb_build_array(i % 2 + 1), name => 'getAuthor')
    FROM generate_series(1, 10) i) s;
SELECT count(*) FROM (
  SELECT cached_query('SELECT id, title FROM tb_book ORDER BY id', name => 'listBooks')
    FROM generate_series(1, 4) i) s;
SELECT count(*) FROM (SELECT cached_query('SELECT count(*) FROM tb_author') FROM generate_series(1, 3) i) s;
UPDATE tb_book SET title = 'excession!' WHERE id = 20;

-- the views
SELECT hits, misses, bypasses, hit_rate_pct, entries, stores, invalidations,
       avg_entry_bytes > 0 AS has_avg, max_entry_bytes > 100 AS has_max,
       memory_used_pct < 1 AS small
  FROM cache_metrics;
SELECT inflight, leaders, coalesced, db_calls_saved, timeouts, takeovers FROM coalesce_metrics;
SELECT total_mutations, success, partial, failed, failure_rate_pct FROM cascade_metrics;
SELECT reason, count FROM cache_bypasses WHERE count > 0;
SELECT window_minutes, lookups >= 0 AS ok FROM cache_rates ORDER BY 1;

-- breakdowns: by query name, by relation
SELECT query_name, entries, hits, stores, invalidations, bytes > 0 AS has_bytes
  FROM cache_query_stats(1000, 'hits')
 WHERE database = current_database() AND query_name IN ('getAuthor', 'listBooks');
SELECT array_agg(query_name) AS by_hits FROM cache_query_stats(1000, 'hits')
 WHERE query_name IN ('getAuthor', 'listBooks');
SELECT relation, entries, hits, writes, invalidations
  FROM cache_relation_stats(1000, 'entries')
 WHERE database = current_database() AND relation LIKE 'monitor_test.%'
 ORDER BY relation;
SELECT * FROM cache_query_stats(5, 'nonsense');

-- cache_explain: a cached entry, with its dependencies
SELECT item, CASE WHEN item IN ('key', 'stored_at', 'expires', 'size') THEN '...' ELSE detail END
  FROM cache_explain('SELECT data FROM v_author WHERE id = $1', '[1]', 'getAuthor');
-- an uncacheable query, not cached
SELECT item, detail FROM cache_explain('SELECT now() AS t') WHERE item IN ('entry', 'cacheable');
-- a scan of a table that is not watched, and a ttl
CREATE TABLE plain (v int);
INSERT INTO plain VALUES (1);
SELECT cached_query('SELECT sum(v) AS s FROM plain', ttl => '1 hour') IS NOT NULL AS ok;
SELECT item, CASE WHEN item IN ('key', 'stored_at', 'size') THEN '...'
                  WHEN item = 'expires' THEN left(detail, 0) || (detail LIKE '%(in 3%' OR detail LIKE '%(in 359%')::text
                  ELSE detail END
  FROM cache_explain('SELECT sum(v) AS s FROM plain');
-- in a transaction that has written, the session bypasses the cache
BEGIN;
INSERT INTO plain VALUES (2);
SELECT item, detail FROM cache_explain('SELECT sum(v) AS s FROM plain') WHERE item = 'cacheable';
ROLLBACK;
SELECT * FROM cache_explain(NULL);
SELECT * FROM cache_explain('SELECT nonsense FROM');

-- health: the hit rate is judged over the whole cluster's last five
-- minutes, which the other tests share, so each check below sets the
-- thresholds it does not test out of the way
SET cascade_cache.health_hit_rate_warning = 0;
SET cascade_cache.health_hit_rate_critical = 0;
SELECT status, warnings, recommendation FROM cache_health();
SET cascade_cache.health_min_lookups = 1;
SET cascade_cache.health_hit_rate_warning = 100;
SELECT status, warnings[1] ~ '^warning: hit rate [0-9.]+% is below 100%$' AS warns,
       recommendation LIKE 'find the queries that churn%' AS recommends
  FROM cache_health();
SET cascade_cache.health_hit_rate_critical = 100;
SELECT status, warnings[1] ~ '^critical: hit rate [0-9.]+% is below 100%$' AS warns
  FROM cache_health();
SET cascade_cache.health_hit_rate_warning = 0;
SET cascade_cache.health_hit_rate_critical = 0;
SET cascade_cache.health_entry_size = 0;
SELECT status, warnings[1] ~ '^warning: average entry \d+ bytes \(more than 0\)$' AS warns,
       recommendation FROM cache_health();
RESET cascade_cache.health_entry_size;
-- a malformed cascade: the failure rate passes 0.1%
SELECT cascade_invalidate('{"updated": "not a list"}') >= 0 AS recorded;
SELECT status, warnings[1] ~ '^critical: cascade failure rate [0-9.]+% \(more than 0.1%\), last failure' AS warns,
       recommendation FROM cache_health();
SELECT cache_stats_reset();
SELECT status FROM cache_health();
-- thresholds are checked
SET cascade_cache.health_inflight = -1;
SET cascade_cache.health_cascade_failure_pct = 101;
RESET cascade_cache.health_min_lookups;
RESET cascade_cache.health_hit_rate_warning;
RESET cascade_cache.health_hit_rate_critical;

-- the dashboard: four boxes, every line the same width
SELECT count(*) AS lines, count(DISTINCT length(line)) AS widths,
       count(*) FILTER (WHERE line LIKE '┌─ %') AS boxes
  FROM cache_dashboard;
SELECT line FROM cache_dashboard WHERE line LIKE '┌─ %';

-- privileges: nothing for PUBLIC; statistics and health for pg_monitor;
-- cached_query and cascade_invalidate for the roles they are granted to
SELECT p.oid::regprocedure AS function
  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE p.pronamespace = 'cascade_cache'::regnamespace AND a.grantee = 0;
SELECT c.relname
  FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
 WHERE c.relnamespace = 'cascade_cache'::regnamespace AND a.grantee = 0;
CREATE ROLE cc_app;
CREATE ROLE cc_watcher IN ROLE pg_monitor;
GRANT USAGE ON SCHEMA cascade_cache, monitor_test TO cc_app;
GRANT SELECT ON tb_author TO cc_app;
SET ROLE cc_app;
SELECT cached_query('SELECT name FROM monitor_test.tb_author WHERE id = $1', '[1]');
SELECT cascade_invalidate('{"updated": [{"__typename": "Author", "id": 1}]}');
SELECT * FROM cache_metrics;
RESET ROLE;
GRANT EXECUTE ON FUNCTION cached_query(text, jsonb, interval, text),
                          cascade_invalidate(jsonb) TO cc_app;
SET ROLE cc_app;
SELECT cached_query('SELECT name FROM monitor_test.tb_author WHERE id = $1', '[1]');
SELECT cascade_invalidate('{"updated": [{"__typename": "Author", "id": 1}]}') >= 0 AS ok;
RESET ROLE;
SET ROLE cc_watcher;
SELECT count(*) > 0 AS ok FROM cache_metrics;
SELECT count(*) > 0 AS ok FROM coalesce_metrics;
SELECT count(*) > 0 AS ok FROM cascade_metrics;
SELECT count(*) > 0 AS ok FROM cache_bypasses;
SELECT count(*) = 3 AS ok FROM cache_rates;
SELECT status IS NOT NULL AS ok FROM cache_health();
SELECT count(*) > 0 AS ok FROM cache_query_stats();
SELECT count(*) > 0 AS ok FROM cache_relation_stats();
SELECT count(*) > 20 AS ok FROM cache_dashboard;
SELECT count(*) >= 0 AS ok FROM cascade_audit;
SELECT cache_flush();
SELECT cache_stats_reset();
SELECT cache_invalidate_relation('pg_class');
SELECT cascade_watch('pg_class');
RESET ROLE;
REVOKE ALL ON FUNCTION cached_query(text, jsonb, interval, text),
                       cascade_invalidate(jsonb) FROM cc_app;
REVOKE ALL ON tb_author FROM cc_app;
REVOKE ALL ON SCHEMA cascade_cache, monitor_test FROM cc_app;
DROP ROLE cc_app, cc_watcher;

SELECT cascade_unwatch('tb_author'), cascade_unwatch('tb_book');
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP SCHEMA monitor_test CASCADE;
SELECT cache_flush() >= 0 AS ok;

-- results of 512 bytes or more are stored compressed, and come back
-- byte for byte on a hit
SELECT cached_query('SELECT repeat(''abc'', 1000) AS big')::text
       = jsonb_build_array(jsonb_build_object('big', repeat('abc', 1000)))::text AS miss_same;
SELECT cached_query('SELECT repeat(''abc'', 1000) AS big')::text
       = jsonb_build_array(jsonb_build_object('big', repeat('abc', 1000)))::text AS hit_same;
-- (the sizes depend on the server's compression method: LZ4 or pglz)
SELECT item, regexp_replace(detail, 'stored compressed in [0-9]+, [0-9]+ bytes',
                            'stored compressed in N, M bytes') AS detail
  FROM cache_explain('SELECT repeat(''abc'', 1000) AS big')
 WHERE item IN ('entry', 'hits', 'size');
SELECT m[2]::int < m[1]::int / 10 AS shrunk_tenfold
  FROM cache_explain('SELECT repeat(''abc'', 1000) AS big'),
       regexp_match(detail, '^([0-9]+) bytes of result, stored compressed in ([0-9]+),') m
 WHERE item = 'size';
-- a small one is stored as it is
SELECT cached_query('SELECT 42 AS small') IS NOT NULL AS stored;
SELECT item, detail FROM cache_explain('SELECT 42 AS small') WHERE item = 'size';
SELECT cache_flush() >= 0 AS ok;
