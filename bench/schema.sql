-- The FraiseQL-style demo application used by `make demo` and `make bench`.
--
--   tb_user (10,000 rows), tb_post (100,000 rows, 10 per user)
--   v_user, v_post: JSON views (id, data jsonb) with __typename and id inside
--     data; a user's posts are nested in the user (about 4.5 kB per user)
--   tv_user: the same user documents precomputed into a table, the usual
--     hand-maintained alternative to a cache
--   create_post, update_user, delete_post: mutations that return a GraphQL
--     Cascade and report it with cascade_invalidate()
--
-- psql variables: :users (default 10000), :posts_per_user (default 10).
\set ON_ERROR_STOP on
\if :{?users}
\else
\set users 10000
\endif
\if :{?posts_per_user}
\else
\set posts_per_user 10
\endif

SET client_min_messages = warning;
DROP VIEW IF EXISTS v_user, v_post;
DROP TABLE IF EXISTS tb_post, tb_user, tv_user, bench_version CASCADE;
DROP SEQUENCE IF EXISTS tb_post_id_seq;
DROP FUNCTION IF EXISTS create_post(int, text, text), update_user(int, text),
                        delete_post(int), bump_version(int), check_version(int),
                        check_version(int, text);

CREATE TABLE tb_user (
    id integer PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    bio text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT '2024-01-01'
);

CREATE TABLE tb_post (
    id integer PRIMARY KEY,
    author_id integer NOT NULL REFERENCES tb_user,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT '2024-01-01'
);
CREATE INDEX tb_post_author ON tb_post (author_id);
CREATE SEQUENCE tb_post_id_seq;

INSERT INTO tb_user
SELECT g, 'user' || g || '@example.org', 'User ' || g,
       'Writes about ' || (ARRAY['databases', 'caching', 'graphs', 'compilers'])[1 + g % 4]
       || '. ' || repeat('Lorem ipsum dolor sit amet. ', 3)
  FROM generate_series(1, :users) g;

INSERT INTO tb_post
SELECT g, 1 + (g - 1) / :posts_per_user, 'Post number ' || g,
       'Body of post ' || g || ': ' || repeat('consectetur adipiscing elit ', 12)
  FROM generate_series(1, :users * :posts_per_user) g;
SELECT setval('tb_post_id_seq', :users * :posts_per_user);

CREATE VIEW v_post AS
SELECT p.id,
       jsonb_build_object('__typename', 'Post', 'id', p.id, 'title', p.title,
                          'body', p.body, 'createdAt', p.created_at,
                          'author', jsonb_build_object('__typename', 'User',
                                                       'id', u.id, 'name', u.name)) AS data
  FROM tb_post p JOIN tb_user u ON u.id = p.author_id;

CREATE VIEW v_user AS
SELECT u.id,
       jsonb_build_object('__typename', 'User', 'id', u.id, 'email', u.email,
                          'name', u.name, 'bio', u.bio, 'createdAt', u.created_at,
                          'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                               '__typename', 'Post', 'id', p.id,
                                               'title', p.title, 'body', p.body)
                                             ORDER BY p.id), '[]'::jsonb)
                                      FROM tb_post p WHERE p.author_id = u.id)) AS data
  FROM tb_user u;

-- the precomputed alternative: a table of the same documents
CREATE TABLE tv_user (id integer PRIMARY KEY, data jsonb NOT NULL);
INSERT INTO tv_user SELECT id, data FROM v_user;

-- A version counter for the stale-read checker: writers bump it, readers
-- read it directly and then through cached_query.  The checker uses ids 1
-- to 100; the other rows make the lookup an index scan (a table of one
-- page is read with a sequential scan, which precise invalidation tracks
-- at the relation level: every bump would invalidate all 100 entries).
CREATE TABLE bench_version (id integer PRIMARY KEY, v bigint NOT NULL);
INSERT INTO bench_version SELECT g, 0 FROM generate_series(1, 10000) g;

CREATE FUNCTION bump_version(i int) RETURNS void LANGUAGE sql AS $$
  UPDATE bench_version SET v = v + 1 WHERE id = i $$;

-- (name: the query name of the cached read; refresh-ahead's scenario names
-- its reads, so that cascade_cache.refetch_names can name them)
CREATE FUNCTION check_version(i int, name text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  direct bigint;
  cached bigint;
BEGIN
  SELECT v INTO direct FROM bench_version WHERE id = i;
  cached := (cascade_cache.cached_query('SELECT v FROM bench_version WHERE id = $1',
                                        jsonb_build_array(i), NULL, name) -> 0 ->> 'v')::bigint;
  IF cached < direct THEN
    RAISE EXCEPTION 'stale read of version %: direct %, cached %', i, direct, cached;
  END IF;
END $$;

-- Mutations: each returns a mutation response whose "cascade" says what it
-- changed, and reports that cascade to the cache.
CREATE FUNCTION create_post(author integer, title text, body text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  new_id integer := nextval('tb_post_id_seq');
  response jsonb;
BEGIN
  INSERT INTO tb_post (id, author_id, title, body) VALUES (new_id, author, title, body);
  response := jsonb_build_object(
    'status', 'success',
    'post', jsonb_build_object('__typename', 'Post', 'id', new_id, 'title', title),
    'cascade', jsonb_build_object(
      'updated', jsonb_build_array(
        jsonb_build_object('__typename', 'Post', 'id', new_id, 'operation', 'CREATED'),
        jsonb_build_object('__typename', 'User', 'id', author, 'operation', 'UPDATED')),
      'metadata', jsonb_build_object('affectedCount', 2)));
  PERFORM cascade_cache.cascade_invalidate(response);
  RETURN response;
END $$;

CREATE FUNCTION update_user(user_id integer, new_name text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  response jsonb;
BEGIN
  UPDATE tb_user SET name = new_name WHERE id = user_id;
  response := jsonb_build_object(
    'status', 'success',
    'cascade', jsonb_build_object(
      'updated', jsonb_build_array(
        jsonb_build_object('__typename', 'User', 'id', user_id, 'operation', 'UPDATED'))));
  PERFORM cascade_cache.cascade_invalidate(response);
  RETURN response;
END $$;

CREATE FUNCTION delete_post(post_id integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  author integer;
  response jsonb;
BEGIN
  DELETE FROM tb_post WHERE id = post_id RETURNING author_id INTO author;
  response := jsonb_build_object(
    'status', CASE WHEN author IS NULL THEN 'noop' ELSE 'success' END,
    'cascade', jsonb_build_object(
      'deleted', CASE WHEN author IS NULL THEN '[]'::jsonb
                      ELSE jsonb_build_array(jsonb_build_object('__typename', 'Post', 'id', post_id)) END,
      'updated', CASE WHEN author IS NULL THEN '[]'::jsonb
                      ELSE jsonb_build_array(jsonb_build_object('__typename', 'User', 'id', author,
                                                                'operation', 'UPDATED')) END));
  PERFORM cascade_cache.cascade_invalidate(response);
  RETURN response;
END $$;

VACUUM ANALYZE tb_user, tb_post, tv_user, bench_version;
