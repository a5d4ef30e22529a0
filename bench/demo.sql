-- The cascade_cache demo: a miss, a hit, a write, the invalidation, the stats.
\set ON_ERROR_STOP on
\pset footer off
SET search_path = public, cascade_cache;

\echo
\echo '== A small FraiseQL-style schema: tb_user, tb_post and the JSON view v_user'
DROP VIEW IF EXISTS v_user;
DROP TABLE IF EXISTS tb_post, tb_user;
CREATE TABLE tb_user (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE tb_post (id int PRIMARY KEY, author_id int NOT NULL REFERENCES tb_user,
                      title text NOT NULL);
INSERT INTO tb_user SELECT g, 'user ' || g, 'user' || g || '@example.org'
  FROM generate_series(1, 1000) g;
INSERT INTO tb_post SELECT g, 1 + g % 1000, 'post ' || g FROM generate_series(1, 10000) g;
CREATE INDEX ON tb_post (author_id);
CREATE VIEW v_user AS
  SELECT u.id, jsonb_build_object(
           '__typename', 'User', 'id', u.id, 'name', u.name, 'email', u.email,
           'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                               '__typename', 'Post', 'id', p.id, 'title', p.title)
                             ORDER BY p.id), '[]')
                       FROM tb_post p WHERE p.author_id = u.id)) AS data
    FROM tb_user u;
SELECT cache_flush() AS flushed, cache_stats_reset();

\echo
\echo '== 1. First call: a miss.  The query runs and its result is stored.'
SELECT r->0->'data'->>'name' AS name, jsonb_array_length(r->0->'data'->'posts') AS posts,
       pg_column_size(r) AS bytes
  FROM cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') r;
SELECT hits, misses, stores, entries FROM cache_stats();
\echo
\echo '== 2. Second call: a hit, straight from shared memory (no parse, no plan, no SPI).'
SELECT r->0->'data'->>'name' AS name, jsonb_array_length(r->0->'data'->'posts') AS posts,
       pg_column_size(r) AS bytes
  FROM cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') r;
SELECT hits, misses, stores, entries FROM cache_stats();

\echo
\echo '== 3. A write to a table under the view.  At commit, every entry that read'
\echo '==    tb_post is removed before the new row becomes visible.'
INSERT INTO tb_post VALUES (10001, 42, 'a brand new post');
SELECT invalidations, entries FROM cache_stats();

\echo
\echo '== 4. The next call misses and sees the new post.'
SELECT jsonb_path_query_array(
         cached_query('SELECT data FROM v_user WHERE id = $1', '[42]'),
         '$[0].data.posts[*].title') AS titles_of_user_42;

\echo
\echo '== 5. Uncacheable queries run normally and are counted by reason.'
SELECT cached_query('SELECT now() > ''2000-01-01'' AS later') AS with_now;
SELECT * FROM cache_bypass_stats() WHERE count > 0;

\echo
\echo '== 6. The statistics.'
\x on
SELECT * FROM cache_stats();
\x off
