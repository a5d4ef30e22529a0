--
-- GraphQL cascades, watched tables and the audit trail
--
CREATE SCHEMA cascade_test;
SET search_path = cascade_test, public, cascade_cache;
SELECT cache_flush() >= 0 AS ok;
TRUNCATE cascade_cache.audit_log;
SELECT cache_stats_reset();

-- A FraiseQL-style schema: tables, JSON views with __typename and id, and
-- a denormalised copy (tv_user) that the triggers never see being read
CREATE TABLE tb_user (id int PRIMARY KEY, name text);
CREATE TABLE tb_post (id int PRIMARY KEY, author_id int REFERENCES tb_user, title text);
INSERT INTO tb_user VALUES (1, 'ada'), (2, 'grace'), (3, 'edsger');
INSERT INTO tb_post VALUES (10, 1, 'notes'), (11, 1, 'more notes'), (20, 2, 'cobol');
CREATE VIEW v_user AS
  SELECT u.id, jsonb_build_object('__typename', 'User', 'id', u.id, 'name', u.name,
           'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object('__typename', 'Post',
                                 'id', p.id, 'title', p.title) ORDER BY p.id), '[]')
                       FROM tb_post p WHERE p.author_id = u.id)) AS data
    FROM tb_user u;
CREATE TABLE tv_user (id int PRIMARY KEY, data jsonb);
INSERT INTO tv_user SELECT id, data FROM v_user;

-- entries: named, tagged with every Type:id in their result
CREATE FUNCTION fill() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT 'getUser(1)  ' || probe('SELECT data FROM tv_user WHERE id = $1', '[1]', 'getUser')
  UNION ALL SELECT 'getUser(2)  ' || left(probe('SELECT data FROM tv_user WHERE id = $1', '[2]', 'getUser'), 4)
  UNION ALL SELECT 'listUsers   ' || left(probe('SELECT data FROM tv_user ORDER BY id', '[]', 'listUsers'), 4)
  UNION ALL SELECT 'listUsersBy ' || left(probe('SELECT data FROM tv_user WHERE id > $1 ORDER BY id', '[0]', 'listUsersByAge'), 4)
  UNION ALL SELECT 'searchUsers ' || left(probe('SELECT count(*) FROM tv_user', '[]', 'searchUsers'), 4)
  UNION ALL SELECT 'unnamed     ' || left(probe('SELECT id FROM tv_user WHERE id = 3'), 4) $$;
-- which of them are still cached (hit) and which were invalidated (miss)
CREATE FUNCTION still_cached() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT 'getUser(1)  ' || left(probe('SELECT data FROM tv_user WHERE id = $1', '[1]', 'getUser'), 4)
  UNION ALL SELECT 'getUser(2)  ' || left(probe('SELECT data FROM tv_user WHERE id = $1', '[2]', 'getUser'), 4)
  UNION ALL SELECT 'listUsers   ' || left(probe('SELECT data FROM tv_user ORDER BY id', '[]', 'listUsers'), 4)
  UNION ALL SELECT 'listUsersBy ' || left(probe('SELECT data FROM tv_user WHERE id > $1 ORDER BY id', '[0]', 'listUsersByAge'), 4)
  UNION ALL SELECT 'searchUsers ' || left(probe('SELECT count(*) FROM tv_user', '[]', 'searchUsers'), 4)
  UNION ALL SELECT 'unnamed     ' || left(probe('SELECT id FROM tv_user WHERE id = 3'), 4) $$;

SELECT fill();

-- === entity invalidation ===
-- an updated entity: every entry that holds User:1, at any depth
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1, "operation": "UPDATED",
                                         "entity": {"id": 1, "name": "ada"}}]}');
SELECT still_cached();
-- ids given as numbers and as strings are the same entity
SELECT fill();
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": "2"}]}');
SELECT still_cached();
-- a nested entity (a post inside the user document)
SELECT fill();
SELECT cascade_invalidate('{"deleted": [{"__typename": "Post", "id": 10, "deletedAt": "2024-01-01"}]}');
SELECT still_cached();
-- an entity nobody holds matches nothing
SELECT fill();
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 999}]}');
SELECT still_cached();

-- === query-name invalidation: scopes and strategies ===
SELECT cascade_invalidate('{"invalidations": [{"queryName": "listUsers", "strategy": "INVALIDATE", "scope": "EXACT"}]}');
SELECT still_cached();
SELECT fill();
SELECT cascade_invalidate('{"invalidations": [{"queryName": "listUsers", "strategy": "REFETCH", "scope": "PREFIX"}]}');
-- REFETCH: removed at commit, then computed again by a runner
-- (refresh-ahead): once it is done, both are hits
DO $$
BEGIN
    FOR i IN 1..400 LOOP
        EXIT WHEN (SELECT waiting = 0 AND
                          filled + present + skipped + not_stored + failed + dropped = queued
                     FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT still_cached();
SELECT fill();
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "*Users*", "strategy": "REMOVE", "scope": "PATTERN"}]}');
SELECT still_cached();
SELECT fill();
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "get?ser", "scope": "PATTERN"}]}');
SELECT still_cached();
SELECT fill();
-- EXACT with arguments: only the entry with those parameters
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getUser", "arguments": ["2"], "scope": "EXACT"}]}');
SELECT still_cached();
SELECT fill();
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getUser", "arguments": [1], "scope": "EXACT"}]}');
SELECT still_cached();
SELECT fill();
-- arguments as an object match an entry called with that object as its
-- single parameter
SELECT probe('SELECT data FROM tv_user WHERE id = ($1::jsonb ->> ''id'')::int', '[{"id": "3"}]', 'getUserByVars');
SELECT probe('SELECT data FROM tv_user WHERE id = ($1::jsonb ->> ''id'')::int', '[{"id": "3"}]', 'getUserByVars') ~ '^hit' AS cached;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "getUserByVars", "arguments": {"id": "3"}}]}');
SELECT probe('SELECT data FROM tv_user WHERE id = ($1::jsonb ->> ''id'')::int', '[{"id": "3"}]', 'getUserByVars') ~ '^miss' AS invalidated;
-- ALL: every entry of this database
SELECT cascade_invalidate('{"invalidations": [{"scope": "ALL"}]}') >= 6 AS matched_all;
SELECT still_cached();
SELECT fill();
-- the default rule for a created entity with no invalidations: list<Type>s by PREFIX
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 4, "operation": "CREATED"}]}');
SELECT still_cached();
-- ... but not when the cascade lists its own invalidations
SELECT fill();
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 5, "operation": "CREATED"}],
                            "invalidations": [{"queryName": "searchUsers", "scope": "EXACT"}]}');
SELECT still_cached();

-- === accepted shapes ===
SELECT fill();
-- a whole mutation response with the cascade under "cascade" or "_cascade"
SELECT cascade_invalidate('{"status": "ok", "cascade": {"updated": [{"__typename": "User", "id": 1}]}}');
SELECT cascade_invalidate('{"status": "ok", "_cascade": {"updated": [{"__typename": "User", "id": 2}]}}');
-- a GraphQL response: data.<mutation>.cascade
SELECT cascade_invalidate('{"data": {"updateUser": {"user": {"id": 3}, "cascade": {"updated": [{"__typename": "User", "id": 3}]}}}}');
-- snake_case keys
SELECT cascade_invalidate('{"invalidations": [{"query_name": "searchUsers", "scope": "exact"}], "metadata": {"transaction_id": "tx-42"}}');
SELECT still_cached();
-- FraiseQL's mutation_response composite, through to_jsonb()
CREATE TYPE mutation_response AS (status text, message text, object_data jsonb, cascade jsonb);
CREATE FUNCTION update_user(i int, n text) RETURNS mutation_response LANGUAGE sql AS $$
  UPDATE tb_user SET name = n WHERE id = i;
  SELECT ROW('success', 'updated', jsonb_build_object('id', i),
             jsonb_build_object('updated', jsonb_build_array(
               jsonb_build_object('__typename', 'User', 'id', i, 'operation', 'UPDATED'))))::mutation_response;
$$;
SELECT fill();
SELECT cascade_invalidate(to_jsonb(r)) FROM update_user(1, 'Ada') r;
SELECT still_cached();
-- empty cascades are fine and do nothing
SELECT cascade_invalidate('{}'), cascade_invalidate('{"cascade": null}'),
       cascade_invalidate('{"updated": [], "deleted": [], "invalidations": []}');
SELECT cascade_invalidate(NULL);

-- === malformed input (cascade_cache.invalid_cascade = record, the default) ===
-- each: a WARNING, a failed audit row, conservative invalidation
SELECT fill();
SELECT cascade_invalidate('[1, 2]');
SELECT still_cached();
SELECT fill();
SELECT cascade_invalidate('{"updated": [{"__typename": "User"}]}');
SELECT still_cached();
SELECT cascade_invalidate('"just a string"');
SELECT cascade_invalidate('{"foo": 1}');
SELECT cascade_invalidate('{"cascade": [1]}');
SELECT cascade_invalidate('{"updated": {"__typename": "User", "id": 1}}');
SELECT cascade_invalidate('{"updated": [1]}');
SELECT cascade_invalidate('{"updated": [{"id": 1}]}');
SELECT cascade_invalidate('{"updated": [{"__typename": 5, "id": 1}]}');
SELECT cascade_invalidate('{"updated": [{"__typename": "", "id": 1}]}');
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": true}]}');
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": null}]}');
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1, "operation": "MERGED"}]}');
SELECT cascade_invalidate('{"deleted": "User:1"}');
SELECT cascade_invalidate('{"deleted": [{"__typename": "User"}]}');
SELECT cascade_invalidate('{"invalidations": {"queryName": "x"}}');
SELECT cascade_invalidate('{"invalidations": ["listUsers"]}');
SELECT cascade_invalidate('{"invalidations": [{"queryName": "x", "strategy": "IGNORE"}]}');
SELECT cascade_invalidate('{"invalidations": [{"queryName": "x", "scope": "FUZZY"}]}');
SELECT cascade_invalidate('{"invalidations": [{"scope": "EXACT"}]}');
SELECT cascade_invalidate('{"invalidations": [{"scope": "PATTERN"}]}');
SELECT cascade_invalidate('{"invalidations": [{"queryName": 7}]}');
SELECT cascade_invalidate('{"invalidations": [{"queryName": "x", "arguments": 7}]}');
SELECT cascade_invalidate('{"metadata": [1]}');
SELECT cascade_invalidate('{"metadata": {"transactionId": {"a": 1}}}');
SELECT cascade_invalidate(jsonb_build_object('updated',
         (SELECT jsonb_agg(jsonb_build_object('__typename', 'User', 'id', g)) FROM generate_series(1, 501) g)));
SELECT cascade_invalidate(jsonb_build_object('deleted',
         (SELECT jsonb_agg(jsonb_build_object('__typename', 'User', 'id', g)) FROM generate_series(1, 101) g)));
SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
         jsonb_build_object('__typename', 'User', 'id', 1, 'entity', repeat('x', 5 * 1024 * 1024)))));
-- at the limits is fine
SELECT cascade_invalidate(jsonb_build_object('updated',
         (SELECT jsonb_agg(jsonb_build_object('__typename', 'User', 'id', g)) FROM generate_series(1, 500) g),
                                             'deleted',
         (SELECT jsonb_agg(jsonb_build_object('__typename', 'Post', 'id', g)) FROM generate_series(1, 100) g))) >= 0 AS ok;

-- cascade_cache.invalid_cascade = error: the mutation rolls back
SET cascade_cache.invalid_cascade = error;
BEGIN;
UPDATE tb_user SET name = 'never' WHERE id = 3;
SELECT cascade_invalidate('{"updated": [{"__typename": "User"}]}');
COMMIT;
SELECT name FROM tb_user WHERE id = 3;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "x", "scope": "FUZZY"}]}');
RESET cascade_cache.invalid_cascade;
SET cascade_cache.invalid_cascade = sometimes;

-- === timing: at commit, and not at all on rollback ===
SELECT fill();
BEGIN;
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}');
-- the transaction now reads uncached (it has reported a change)
SELECT left(probe('SELECT data FROM tv_user WHERE id = $1', '[1]', 'getUser'), 25);
ROLLBACK;
SELECT still_cached();
BEGIN;
SAVEPOINT s;
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}');
ROLLBACK TO SAVEPOINT s;
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 2}]}');
COMMIT;
SELECT still_cached();

-- === watched tables ===
SELECT fill();
SELECT cascade_watch('tb_user');
SELECT cascade_watch('tb_post', 'Post');
SELECT * FROM cascade_watched ORDER BY relation;
-- a write to tb_user invalidates the entity in entries that never read tb_user
SELECT still_cached();
UPDATE tb_user SET name = 'Grace' WHERE id = 2;
SELECT still_cached();
SELECT fill();
DELETE FROM tb_post WHERE id = 11;
SELECT still_cached();
SELECT fill();
INSERT INTO tb_user VALUES (6, 'new');
SELECT still_cached();
-- an UPDATE that changes the id invalidates both the old and the new id
SELECT probe('SELECT jsonb_build_object(''__typename'', ''User'', ''id'', 6) AS old_id') ~ '^miss' AS stored;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''User'', ''id'', 9) AS new_id') ~ '^miss' AS stored;
UPDATE tb_user SET id = 9 WHERE id = 6;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''User'', ''id'', 6) AS old_id') ~ '^miss' AS old_invalidated;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''User'', ''id'', 9) AS new_id') ~ '^miss' AS new_invalidated;
-- TRUNCATE invalidates every entity of the type (the tables are created
-- first: creating a table flushes the database)
CREATE TABLE tb_tag (id int PRIMARY KEY, label text);
SELECT cascade_watch('tb_tag', 'User');
CREATE TABLE tb_many (id int PRIMARY KEY);
SELECT cascade_watch('tb_many');
SELECT fill();
TRUNCATE tb_tag;
SELECT still_cached();
-- a bulk write (more than 10000 rows of a type in one transaction)
-- invalidates the whole type instead of recording every row
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 99999) AS m') ~ '^miss' AS stored;
INSERT INTO tb_many SELECT generate_series(1, 10000);
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 99999) AS m') ~ '^hit' AS still_cached;
INSERT INTO tb_many SELECT generate_series(10001, 20001);
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 99999) AS m') ~ '^miss' AS whole_type_invalidated;
SELECT entity_count, cardinality(entities) AS listed FROM cascade_audit ORDER BY id DESC LIMIT 1;
-- rolled back writes to watched tables invalidate nothing
SELECT fill();
BEGIN;
UPDATE tb_user SET name = 'x' WHERE id = 1;
ROLLBACK;
SELECT still_cached();
-- cascade_watch: defaults, explicit arguments and errors
CREATE TABLE tb_blog_post (post_key text PRIMARY KEY);
CREATE TABLE nopk (a int);
CREATE TABLE twokeys (a int, b int, PRIMARY KEY (a, b));
SELECT cascade_watch('tb_blog_post');
SELECT cascade_watch('nopk');
SELECT cascade_watch('twokeys');
SELECT cascade_watch('twokeys', 'Pair', 'a');
SELECT cascade_watch('nopk', 'Thing', 'nosuchcolumn');
SELECT cascade_watch('v_user');
SELECT cascade_watch(NULL);
SELECT cascade_watch('tb_user', '');
SELECT cascade_watch('tb_user', 'Person');
SELECT relation, typename, id_column FROM cascade_watched ORDER BY relation::text;
SELECT cascade_watch('tb_user');
-- partitions and inheritance children are watched too
CREATE TABLE pt_item (id int, kind int, PRIMARY KEY (id, kind)) PARTITION BY LIST (kind);
CREATE TABLE pt_item_1 PARTITION OF pt_item FOR VALUES IN (1);
CREATE TABLE ih_parent (id int PRIMARY KEY);
CREATE TABLE ih_child () INHERITS (ih_parent);
SELECT cascade_watch('pt_item', 'Item', 'id');
CREATE TABLE pt_item_2 PARTITION OF pt_item FOR VALUES IN (2);
SELECT cascade_watch('ih_parent', 'Item');
SELECT c.relname, array_agg(t.tgname ORDER BY t.tgname)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname LIKE 'cascade_cache_watch%' AND c.relname IN ('pt_item', 'pt_item_1', 'pt_item_2', 'ih_parent', 'ih_child')
 GROUP BY c.relname ORDER BY c.relname;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Item'', ''id'', 5) AS item') ~ '^miss' AS stored;
INSERT INTO pt_item_2 VALUES (5, 2);
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Item'', ''id'', 5) AS item') ~ '^miss' AS invalidated_by_partition;
INSERT INTO ih_child VALUES (5);
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Item'', ''id'', 5) AS item') ~ '^miss' AS invalidated_by_child;
SELECT cascade_unwatch('pt_item');
SELECT cascade_unwatch('ih_parent');
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cascade_cache_watch%'
   AND tgrelid::regclass::text IN ('pt_item', 'pt_item_1', 'pt_item_2', 'ih_parent', 'ih_child');

-- === reconciliation ===
TRUNCATE cascade_cache.audit_log;
-- success: the cascade reports every changed row
BEGIN;
UPDATE tb_user SET name = 'ADA' WHERE id = 1;
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}') >= 0 AS ok;
COMMIT;
-- partial: a changed row is missing from the cascade (it is invalidated anyway)
SELECT fill();
BEGIN;
UPDATE tb_user SET name = name || '!' WHERE id IN (1, 2);
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}],
                            "metadata": {"transactionId": "mutation-7"}}') >= 0 AS ok;
COMMIT;
SELECT still_cached();
-- trigger only
UPDATE tb_user SET name = 'edsger' WHERE id = 3;
-- a failed cascade together with watched rows
BEGIN;
UPDATE tb_user SET name = 'edsger!' WHERE id = 3;
SELECT cascade_invalidate('{"updated": [{"id": 3}]}');
COMMIT;
SELECT source, status, error, entities, entity_count, query_names, missing,
       CASE WHEN mutation_id ~ '^[0-9]+$' THEN '(xid)' ELSE mutation_id END AS mutation_id,
       role = current_user AS by_me, database = current_database() AS here,
       payload IS NOT NULL AS has_payload, entries_removed >= 0 AS counted, duration_us >= 0 AS timed
  FROM cascade_audit ORDER BY id;

-- === the audit: rollbacks leave nothing; manual invalidations are rows too ===
TRUNCATE cascade_cache.audit_log;
BEGIN;
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}') >= 0 AS ok;
UPDATE tb_user SET name = 'rolled back' WHERE id = 1;
ROLLBACK;
SELECT count(*) AS rows_after_rollback FROM cascade_audit;
SELECT cache_invalidate_relation('tv_user') >= 0 AS ok;
SELECT cache_flush() >= 0 AS ok;
SELECT source, status, payload FROM cascade_audit ORDER BY id;
-- payloads past cascade_cache.audit_max_payload are replaced by their size
SET cascade_cache.audit_max_payload = '1kB';
SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
         jsonb_build_object('__typename', 'User', 'id', 1, 'entity', repeat('x', 2000))))) >= 0 AS ok;
SELECT payload_truncated, payload ->> 'truncated' AS note, (payload ->> 'bytes')::int > 2000 AS size
  FROM cascade_audit ORDER BY id DESC LIMIT 1;
RESET cascade_cache.audit_max_payload;
-- cascade_cache.audit = off writes no row
SET cascade_cache.audit = off;
SELECT count(*) AS before FROM cascade_audit \gset
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}') >= 0 AS ok;
SELECT count(*) = :before AS no_new_row FROM cascade_audit;
RESET cascade_cache.audit;

-- === the metrics ===
SELECT total_mutations > 0 AS some, success > 0 AS ok, partial > 0 AS part, failed > 0 AS fail,
       failure_rate > 0 AND failure_rate < 1 AS rate, total_invalidations >= 0 AS inv,
       avg_invalidations_per_mutation >= 0 AS avg, last_failure IS NOT NULL AS last
  FROM cascade_audit_metrics();
SELECT count(*) = 3 AS three FROM cascade_audit_recent(3);
SELECT (SELECT max(id) FROM cascade_audit) = (SELECT id FROM cascade_audit_recent(1)) AS latest_first;

-- === trimming: the audit is a ring of audit_max_rows rows ===
ALTER SYSTEM SET cascade_cache.audit_max_rows = 10;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
SHOW cascade_cache.audit_max_rows;
SELECT count(cascade_invalidate('{"updated": [{"__typename": "User", "id": 1}]}')) FROM generate_series(1, 1);
DO $$ BEGIN
  FOR i IN 1..25 LOOP
    PERFORM cascade_cache.cascade_invalidate(jsonb_build_object('updated',
              jsonb_build_array(jsonb_build_object('__typename', 'User', 'id', i))));
  END LOOP;
END $$;
-- all in one transaction: one row
SELECT count(*) <= 10 AS bounded FROM cascade_audit;
CREATE FUNCTION audit_one(i int) RETURNS void LANGUAGE sql AS $$
  SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated',
           jsonb_build_array(jsonb_build_object('__typename', 'User', 'id', i)))) $$;
SELECT audit_one(1); SELECT audit_one(2); SELECT audit_one(3); SELECT audit_one(4); SELECT audit_one(5);
SELECT audit_one(6); SELECT audit_one(7); SELECT audit_one(8); SELECT audit_one(9); SELECT audit_one(10);
SELECT audit_one(11); SELECT audit_one(12); SELECT audit_one(13); SELECT audit_one(14); SELECT audit_one(15);
SELECT count(*) AS ring_rows FROM cascade_audit;
SELECT entities FROM cascade_audit ORDER BY id DESC LIMIT 1;
ALTER SYSTEM RESET cascade_cache.audit_max_rows;
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);

-- === privileges ===
CREATE ROLE cc_app;
CREATE ROLE cc_monitor IN ROLE pg_monitor;
GRANT USAGE ON SCHEMA cascade_cache, cascade_test TO cc_app, cc_monitor;
GRANT SELECT, UPDATE ON tb_user TO cc_app;
-- what the README recommends for an application role
GRANT EXECUTE ON FUNCTION cached_query(text, jsonb, interval, text),
                          cascade_invalidate(jsonb) TO cc_app;
SET ROLE cc_app;
-- an application role can report cascades and write watched tables: its
-- audit rows are written on its behalf
SELECT cascade_invalidate('{"updated": [{"__typename": "User", "id": 2}]}') >= 0 AS ok;
UPDATE tb_user SET name = 'grace' WHERE id = 2;
-- the count a cascade returns is of the caller's own entries: another
-- role's (the superuser's here) do not show, whether matched by entity,
-- by name with arguments, by pattern or all of them, even in a transaction
-- rolled back; but the invalidation reaches them at commit
RESET ROLE;
SELECT cached_query('SELECT jsonb_build_object(''__typename'', ''Secret'', ''id'', 7731) AS doc',
                    '[]', NULL, 'secretByEmail') IS NOT NULL AS cached_as_superuser;
SELECT cached_query('SELECT $1::text AS email', '["carol@example.com"]', NULL, 'secretByEmail')
  IS NOT NULL AS cached_as_superuser;
SET ROLE cc_app;
BEGIN;
SELECT cascade_invalidate('{"updated": [{"__typename": "Secret", "id": 7731}]}') AS by_entity,
       cascade_invalidate('{"invalidations": [{"queryName": "secretByEmail", "arguments": ["carol@example.com"]}]}') AS by_arguments,
       cascade_invalidate('{"invalidations": [{"queryName": "secret*", "scope": "PATTERN"}]}') AS by_pattern,
       cascade_invalidate('{"invalidations": [{"scope": "ALL"}]}') AS all_of_them;
ROLLBACK;
RESET ROLE;
BEGIN;
SELECT cascade_invalidate('{"updated": [{"__typename": "Secret", "id": 7731}]}') AS by_entity,
       cascade_invalidate('{"invalidations": [{"queryName": "secretByEmail", "arguments": ["carol@example.com"]}]}') AS by_arguments,
       cascade_invalidate('{"invalidations": [{"queryName": "secret*", "scope": "PATTERN"}]}') AS by_pattern;
ROLLBACK;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Secret'', ''id'', 7731) AS doc', '[]', 'secretByEmail');
SET ROLE cc_app;
SELECT cascade_invalidate('{"updated": [{"__typename": "Secret", "id": 7731}]}') AS by_entity;
RESET ROLE;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Secret'', ''id'', 7731) AS doc', '[]', 'secretByEmail');
SET ROLE cc_app;
-- but cannot read the audit, its metrics, or watch tables
SELECT count(*) FROM cascade_audit;
SELECT * FROM cascade_audit_metrics();
SELECT * FROM cascade_audit_recent(1);
SELECT cascade_watch('tb_user');
RESET ROLE;
SET ROLE cc_monitor;
SELECT role, source, entities FROM cascade_audit WHERE role = 'cc_app' ORDER BY id;
SELECT total_mutations > 0 AS readable FROM cascade_audit_metrics();
SELECT count(*) = 1 AS readable FROM cascade_audit_recent(1);
RESET ROLE;
REVOKE ALL ON tb_user FROM cc_app;
REVOKE ALL ON FUNCTION cached_query(text, jsonb, interval, text),
                       cascade_invalidate(jsonb) FROM cc_app;
REVOKE ALL ON SCHEMA cascade_cache, cascade_test FROM cc_app, cc_monitor;
DROP ROLE cc_app, cc_monitor;

-- a result with more entities than are tagged one by one (1024): a change
-- to any entity of its types removes it, by a cascade or a watched table,
-- and a result with few entities keeps its precision
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Many'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 5000) AS one');
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Many'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT cascade_invalidate('{"updated": [{"__typename": "Many", "id": 7}]}') >= 0 AS reported;
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Many'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 5000) AS one');
SELECT cascade_invalidate('{"deleted": [{"__typename": "Many", "id": 123456}]}') >= 0 AS reported;
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Many'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT probe('SELECT jsonb_build_object(''__typename'', ''Many'', ''id'', 5000) AS one');
SELECT item, detail FROM cache_explain('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Many'', ''id'', g)) AS m FROM generate_series(1, 1100) g')
 WHERE detail LIKE 'more than%';
CREATE TABLE many_watched (id int PRIMARY KEY, v int);
INSERT INTO many_watched SELECT g, 0 FROM generate_series(1, 1100) g;
SELECT cascade_watch('many_watched', 'Watched', 'id');
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Watched'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Watched'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
UPDATE many_watched SET v = 1 WHERE id = 3;
SELECT left(probe('SELECT jsonb_agg(jsonb_build_object(''__typename'', ''Watched'', ''id'', g)) AS m FROM generate_series(1, 1100) g'), 4) AS many;
SELECT cascade_unwatch('many_watched');
DROP TABLE many_watched;
