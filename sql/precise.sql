--
-- Precise invalidation: a write to a watched table invalidates the entries
-- that looked up the keys it changed, and the entries that scanned the
-- table; the others stay.
--
CREATE SCHEMA precise_test;
SET search_path = precise_test, public, cascade_cache;
SET client_min_messages = warning;
SELECT cache_flush() >= 0 AS ok;
-- these tables are small: make the planner use their indexes, as it would
-- on real data (planner settings are not part of the key)
SET enable_seqscan = off;
SET enable_bitmapscan = off;

CREATE TABLE author (id int PRIMARY KEY, name text, country text);
CREATE TABLE post (id int PRIMARY KEY,
                   author_id int REFERENCES author ON DELETE CASCADE,
                   title text, published bool, score int);
CREATE INDEX post_author ON post (author_id);
CREATE INDEX post_score ON post (score);
CREATE INDEX post_lower_title ON post (lower(title));
CREATE TABLE tag (post_id int, label text);		-- not watched
INSERT INTO author VALUES (1, 'ada', 'uk'), (2, 'grace', 'us'), (3, 'edsger', 'nl');
INSERT INTO post VALUES (10, 1, 'notes', true, 10), (11, 1, 'more notes', true, 20),
                        (20, 2, 'cobol', true, 30), (21, 2, 'draft', false, 40),
                        (30, 3, 'goto', true, 50);
INSERT INTO tag VALUES (10, 'math');
SELECT cascade_watch('author'), cascade_watch('post');
ANALYZE author, post, tag;

CREATE VIEW v_author AS
  SELECT a.id, jsonb_build_object('__typename', 'Author', 'id', a.id, 'name', a.name,
           'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'title', p.title)
                                               ORDER BY p.id), '[]')
                       FROM post p WHERE p.author_id = a.id AND p.published)) AS data
    FROM author a;

-- The queries under watch, and what each one does to the tables
CREATE TABLE watched_queries (name text PRIMARY KEY, q text, p jsonb);
INSERT INTO watched_queries VALUES
  ('a1',      'SELECT name FROM author WHERE id = $1', '[1]'),            -- author.id = 1
  ('a2',      'SELECT name FROM author WHERE id = $1', '[2]'),            -- author.id = 2
  ('posts1',  'SELECT id, title FROM post WHERE author_id = $1 ORDER BY id', '[1]'),
  ('posts2',  'SELECT id, title FROM post WHERE author_id = $1 ORDER BY id', '[2]'),
  ('v1',      'SELECT data FROM v_author WHERE id = $1', '[1]'),          -- a correlated subplan
  ('v2',      'SELECT data FROM v_author WHERE id = $1', '[2]'),
  ('join10',  'SELECT p.title, a.name FROM post p JOIN author a ON a.id = p.author_id WHERE p.id = $1', '[10]'),
  ('in',      'SELECT id FROM post WHERE id IN (10, 20) ORDER BY id', '[]'),   -- = ANY
  ('ionly2',  'SELECT count(*) FROM post WHERE author_id = $1', '[2]'),   -- index-only
  ('range',   'SELECT count(*) FROM post WHERE score BETWEEN $1 AND $2', '[0, 35]'),  -- a scan
  ('agg',     'SELECT author_id, count(*) FROM post GROUP BY author_id ORDER BY 1', '[]'),
  ('exists',  'SELECT id FROM author a WHERE EXISTS (SELECT 1 FROM post p WHERE p.author_id = a.id AND p.published) ORDER BY id', '[]'),
  ('expr',    'SELECT id FROM post WHERE lower(title) = $1', '["cobol"]'),     -- expression index
  ('cross',   'SELECT name FROM author WHERE id = $1::bigint', '[3]'),   -- int4 = int8
  ('tag10',   'SELECT label FROM tag WHERE post_id = $1', '[10]');       -- unwatched table

-- Probe every watched query: which ones were still cached?  (A miss
-- refills the entry for the next round.)
CREATE FUNCTION survivors() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(name || ':' || split_part(probe(q, p), ' ', 1), ' ' ORDER BY name)
    FROM precise_test.watched_queries $$;
-- Which ones were invalidated
CREATE FUNCTION invalidated() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(s, ' ' ORDER BY s), '(none)')
    FROM regexp_split_to_table(precise_test.survivors(), ' ') s
   WHERE s NOT LIKE '%:hit' $$;

SELECT survivors();		-- every one a miss: the first fill
SELECT survivors();		-- every one a hit
SELECT invalidated();

-- a point write: the entries that looked up author 1, and those that
-- scanned author
UPDATE author SET name = 'ada l.' WHERE id = 1;
SELECT invalidated();

-- a new post of author 1: author 1's lists, and the scans of post
INSERT INTO post VALUES (12, 1, 'new notes', true, 60);
SELECT invalidated();

-- a post that moves from author 1 to author 2: both authors' lists
UPDATE post SET author_id = 2 WHERE id = 11;
SELECT invalidated();

-- a row that moves into a filtered list (v2 shows published posts only)
UPDATE post SET published = true WHERE id = 21;
SELECT invalidated();

-- a row looked up by id = ANY
UPDATE post SET title = 'COBOL' WHERE id = 20;
SELECT invalidated();

-- a write that changes nothing any entry looked up: the scans only
UPDATE post SET score = 70 WHERE id = 30;
SELECT invalidated();

-- a delete cascading to post through the foreign key
DELETE FROM author WHERE id = 3;
SELECT invalidated();
INSERT INTO author VALUES (3, 'edsger', 'nl');
SELECT invalidated();

-- a table that is not watched is invalidated as a whole
INSERT INTO tag VALUES (99, 'other');
SELECT invalidated();

-- a rolled-back savepoint invalidates nothing
BEGIN;
SAVEPOINT s;
UPDATE author SET name = 'grace h.' WHERE id = 2;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT invalidated();

-- the watch trigger fires under session_replication_role = replica too
SET session_replication_role = replica;
UPDATE author SET name = 'grace h.' WHERE id = 2;
RESET session_replication_role;
SELECT invalidated();

-- relation level whenever the rows are not reported one by one:
-- TRUNCATE,
TRUNCATE tag;
TRUNCATE post;
SELECT invalidated();
INSERT INTO post VALUES (10, 1, 'notes', true, 10), (11, 2, 'more notes', true, 20),
                        (20, 2, 'COBOL', true, 30), (21, 2, 'draft', true, 40);
SELECT survivors() IS NOT NULL AS refilled;
-- a disabled watch trigger (the ALTER itself invalidates author's readers:
-- they are filled again before the write),
ALTER TABLE author DISABLE TRIGGER cascade_cache_watch;
SELECT invalidated() IS NOT NULL AS refilled;
UPDATE author SET country = 'UK' WHERE id = 1;
SELECT invalidated();
ALTER TABLE author ENABLE ALWAYS TRIGGER cascade_cache_watch;
SELECT invalidated() IS NOT NULL AS refilled;
-- a watch trigger enabled on origin only: whether it fires is decided row
-- by row, under session_replication_role as it is then, and a function the
-- statement calls can set that (here while it computes row 1's new
-- version: no row is reported, and their readers must go all the same),
ALTER TABLE author ENABLE TRIGGER cascade_cache_watch;
CREATE FUNCTION flip_role(i int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF i = 1 THEN
    PERFORM set_config('session_replication_role', 'replica', true);
  END IF;
  RETURN '';
END $$;
SELECT invalidated() IS NOT NULL AS refilled;
BEGIN;
UPDATE author SET name = name || flip_role(id) || '+' WHERE id IN (1, 2);
COMMIT;
SHOW session_replication_role;
SELECT cached_query('SELECT name FROM author WHERE id = $1', '[2]') AS a2;
SELECT invalidated();
ALTER TABLE author ENABLE ALWAYS TRIGGER cascade_cache_watch;
DROP FUNCTION flip_role(int);
UPDATE author SET name = rtrim(name, '+') WHERE id IN (1, 2);
SELECT invalidated() IS NOT NULL AS refilled;
-- COPY,
COPY author FROM stdin;
4	barbara	us
\.
SELECT invalidated();
-- a bulk write (past 10000 rows of the table in one transaction),
INSERT INTO post SELECT g, 3, 'bulk', false, 0 FROM generate_series(1000, 11500) g;
SELECT invalidated();
DELETE FROM post WHERE id >= 1000;
SELECT survivors() IS NOT NULL AS refilled;
-- DDL (a change of columns flushes the whole database),
ALTER TABLE post ADD COLUMN extra int;
SELECT invalidated();
-- and with precise_invalidation off
SET cascade_cache.precise_invalidation = off;
UPDATE author SET name = 'ada' WHERE id = 1;
SELECT invalidated();
RESET cascade_cache.precise_invalidation;

-- An entry that looked up too many keys depends on the whole relation
SET enable_hashjoin = off;
SET enable_mergejoin = off;
INSERT INTO post SELECT g, 3, 'many', false, 0 FROM generate_series(2000, 3500) g;
SELECT probe('SELECT count(*) FROM generate_series(2000, 3200) g JOIN post p ON p.id = g');
SELECT probe('SELECT count(*) FROM generate_series(2000, 2900) g JOIN post p ON p.id = g');
UPDATE post SET score = 1 WHERE id = 3300;	-- looked up by neither
SELECT probe('SELECT count(*) FROM generate_series(2000, 3200) g JOIN post p ON p.id = g');
SELECT probe('SELECT count(*) FROM generate_series(2000, 2900) g JOIN post p ON p.id = g');
UPDATE post SET score = 2 WHERE id = 2500;	-- looked up by both
SELECT probe('SELECT count(*) FROM generate_series(2000, 2900) g JOIN post p ON p.id = g');
RESET enable_hashjoin;
RESET enable_mergejoin;

-- The same lookups through bitmap heap scans
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_bitmapscan = on;
SELECT cache_flush() >= 0 AS ok;
SELECT survivors() IS NOT NULL AS refilled;
SELECT invalidated();
INSERT INTO post VALUES (13, 1, 'bitmap', true, 5);
SELECT invalidated();
UPDATE author SET name = 'grace' WHERE id = 2;
SELECT invalidated();
RESET enable_indexscan;
RESET enable_indexonlyscan;
SET enable_bitmapscan = off;
SELECT cache_flush() >= 0 AS ok;

-- Invalidation precision: an invalidated entry that is stored again tells
-- whether its result had changed
SELECT cache_stats_reset();
SELECT split_part(probe('SELECT name FROM author WHERE id = $1', '[1]'), ' ', 1) AS first;
UPDATE author SET country = country WHERE id = 1;	-- the name does not change
SELECT split_part(probe('SELECT name FROM author WHERE id = $1', '[1]'), ' ', 1) AS unchanged;
UPDATE author SET name = 'ada b.' WHERE id = 1;
SELECT split_part(probe('SELECT name FROM author WHERE id = $1', '[1]'), ' ', 1) AS changed;
SELECT invalidations, refills_unchanged, refills_changed, invalidation_precision_pct
  FROM cache_stats();

-- Watched again (cascade_watch() replaces its triggers): still precise
SELECT cascade_watch('author');
SELECT survivors() IS NOT NULL AS refilled;
UPDATE author SET name = 'grace h.' WHERE id = 2;
SELECT invalidated();

SELECT cascade_unwatch('author'), cascade_unwatch('post');
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP SCHEMA precise_test CASCADE;
SELECT cache_flush() >= 0 AS ok;
