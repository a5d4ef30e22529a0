--
-- Automatic dependencies and commit-time invalidation
--
SET search_path = public, cascade_cache;
SET client_min_messages = warning;

CREATE TABLE tb_author (id int PRIMARY KEY, name text);
CREATE TABLE tb_book (id int PRIMARY KEY, author_id int REFERENCES tb_author ON DELETE CASCADE,
                      title text);
CREATE TABLE tb_other (id int PRIMARY KEY, v text);
INSERT INTO tb_author VALUES (1, 'Le Guin'), (2, 'Lem');
INSERT INTO tb_book VALUES (10, 1, 'The Dispossessed'), (11, 1, 'Lathe of Heaven'), (20, 2, 'Solaris');
INSERT INTO tb_other VALUES (1, 'x');

CREATE VIEW v_author AS
  SELECT a.id, jsonb_build_object('__typename', 'Author', 'id', a.id, 'name', a.name,
           'books', (SELECT coalesce(jsonb_agg(b.title ORDER BY b.id), '[]')
                       FROM tb_book b WHERE b.author_id = a.id)) AS data
    FROM tb_author a;

-- q_author: the author document through the view (reads tb_author and tb_book)
-- q_other: reads tb_other only
\set q_author 'SELECT data FROM v_author WHERE id = $1'
\set q_other 'SELECT v FROM tb_other WHERE id = 1'

-- prime(): fill both entries and show that they are cached
CREATE FUNCTION prime() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT probe('SELECT data FROM v_author WHERE id = $1', '[1]')
  UNION ALL SELECT probe('SELECT v FROM tb_other WHERE id = 1')
  UNION ALL SELECT probe('SELECT data FROM v_author WHERE id = $1', '[1]')
  UNION ALL SELECT probe('SELECT v FROM tb_other WHERE id = 1') $$;
-- check(): is each entry still cached?
CREATE FUNCTION check_entries() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT 'author: ' || probe('SELECT data FROM v_author WHERE id = $1', '[1]')
  UNION ALL SELECT 'other:  ' || probe('SELECT v FROM tb_other WHERE id = 1') $$;

SELECT cache_flush() >= 0 AS ok;
SELECT prime();

-- INSERT into a table under the view
INSERT INTO tb_book VALUES (12, 1, 'The Left Hand of Darkness');
SELECT check_entries();
-- UPDATE
UPDATE tb_author SET name = 'Ursula K. Le Guin' WHERE id = 1;
SELECT check_entries();
-- DELETE
DELETE FROM tb_book WHERE id = 11;
SELECT check_entries();
-- MERGE
MERGE INTO tb_book t USING (VALUES (12, 'The Left Hand of Darkness (1969)')) s(id, title)
  ON t.id = s.id WHEN MATCHED THEN UPDATE SET title = s.title;
SELECT check_entries();
-- INSERT ... ON CONFLICT
INSERT INTO tb_book VALUES (12, 1, 'LHoD') ON CONFLICT (id) DO UPDATE SET title = excluded.title;
SELECT check_entries();
-- a data-modifying WITH
WITH moved AS (UPDATE tb_book SET title = title || '.' WHERE id = 10 RETURNING id) SELECT count(*) FROM moved;
SELECT check_entries();
-- COPY FROM
COPY tb_book FROM stdin;
13	1	Always Coming Home
\.
SELECT check_entries();
-- a write made by a trigger on another table
CREATE TABLE tb_log (id serial PRIMARY KEY, note text);
CREATE FUNCTION log_to_book() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tb_book VALUES (100 + NEW.id, 2, NEW.note);
  RETURN NEW;
END $$;
CREATE TRIGGER tb_log_ins AFTER INSERT ON tb_log FOR EACH ROW EXECUTE FUNCTION log_to_book();
SELECT prime();
INSERT INTO tb_log (note) VALUES ('written by a trigger');
SELECT check_entries();
-- a write inside a function (creating the function flushed the database's
-- entries, hence the second miss below)
CREATE FUNCTION rename_author(i int, n text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tb_author SET name = n WHERE id = i;
END $$;
SELECT rename_author(1, 'U. K. Le Guin');
SELECT check_entries();
-- foreign-key actions: deleting an author cascades into tb_book
INSERT INTO tb_author VALUES (3, 'Tiptree');
INSERT INTO tb_book VALUES (30, 3, 'Houston, Houston');
SELECT probe(:'q_author', '[3]');
SELECT probe('SELECT count(*) FROM tb_book');
SELECT probe('SELECT count(*) FROM tb_book');
DELETE FROM tb_author WHERE id = 3;
SELECT probe('SELECT count(*) FROM tb_book');
-- TRUNCATE
SELECT prime();
TRUNCATE tb_other;
SELECT check_entries();
INSERT INTO tb_other VALUES (1, 'y');

-- DDL: ALTER TABLE, rename, DROP.  A change of a table's columns flushes
-- the whole database (its row type can be used without reading the table)
SELECT prime();
ALTER TABLE tb_other ADD COLUMN extra int DEFAULT 7;
SELECT check_entries();
SELECT probe('SELECT * FROM tb_other');
ALTER TABLE tb_other RENAME COLUMN extra TO extra2;
SELECT probe('SELECT * FROM tb_other');
CREATE TABLE tb_gone (a int);
INSERT INTO tb_gone VALUES (1);
SELECT probe('SELECT a FROM tb_gone');
SELECT probe('SELECT a FROM tb_gone');
DROP TABLE tb_gone;
-- an error, not the cached row: the entry is gone
SELECT cached_query('SELECT a FROM tb_gone');
CREATE TABLE tb_gone (a int);
SELECT probe('SELECT a FROM tb_gone');
-- replacing the view
SELECT prime();
CREATE OR REPLACE VIEW v_author AS
  SELECT a.id, jsonb_build_object('__typename', 'Author', 'id', a.id, 'name', upper(a.name),
           'books', (SELECT coalesce(jsonb_agg(b.title ORDER BY b.id), '[]')
                       FROM tb_book b WHERE b.author_id = a.id)) AS data
    FROM tb_author a;
SELECT check_entries();

-- writes to an unrelated table leave entries alone (creating a table
-- flushes the database: a new name can shadow another on a search_path)
CREATE TABLE tb_unrelated (a int);
SELECT prime();
INSERT INTO tb_unrelated VALUES (1);
UPDATE tb_unrelated SET a = 2;
SELECT check_entries();

-- rolled-back transactions and savepoints invalidate nothing
SELECT prime();
BEGIN;
UPDATE tb_other SET v = 'rolled back';
ROLLBACK;
SELECT check_entries();
BEGIN;
SAVEPOINT s1;
UPDATE tb_other SET v = 'rolled back to savepoint';
ROLLBACK TO SAVEPOINT s1;
UPDATE tb_unrelated SET a = 3;
COMMIT;
SELECT check_entries();
-- ... but a released savepoint's writes do
BEGIN;
SAVEPOINT s1;
UPDATE tb_other SET v = 'released';
RELEASE SAVEPOINT s1;
COMMIT;
SELECT check_entries();
-- a failed statement inside a savepoint is forgotten too
SELECT prime();
BEGIN;
SAVEPOINT s1;
INSERT INTO tb_other VALUES (1, 'duplicate');
ROLLBACK TO SAVEPOINT s1;
COMMIT;
SELECT check_entries();
-- an exception block in PL/pgSQL is a savepoint
DO $$
BEGIN
  BEGIN
    UPDATE tb_other SET v = 'never';
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
END $$;
SELECT check_entries();

-- privileges and policies
SELECT prime();
GRANT SELECT ON tb_other TO PUBLIC;
SELECT check_entries();
SELECT prime();
REVOKE SELECT ON tb_other FROM PUBLIC;
SELECT check_entries();
SELECT prime();
CREATE POLICY p_all ON tb_other USING (true);
SELECT check_entries();
SELECT prime();
ALTER POLICY p_all ON tb_other USING (id > 0);
SELECT check_entries();
SELECT prime();
DROP POLICY p_all ON tb_other;
SELECT check_entries();
SELECT prime();
ALTER TABLE tb_other ENABLE ROW LEVEL SECURITY;
SELECT check_entries();
ALTER TABLE tb_other DISABLE ROW LEVEL SECURITY;

-- tables read inside SQL and PL/pgSQL functions are dependencies (a
-- STABLE PL/pgSQL function is cached only when trusted)
SET cascade_cache.trusted_functions = 'other_v';
CREATE FUNCTION books_of(a int) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) FROM tb_book WHERE author_id = a $$;
CREATE FUNCTION other_v() RETURNS text LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN (SELECT v FROM tb_other WHERE id = 1); END $$;
SELECT probe('SELECT books_of(2) AS n');
SELECT probe('SELECT other_v() AS v');
SELECT probe('SELECT books_of(2) AS n');
SELECT probe('SELECT other_v() AS v');
INSERT INTO tb_book VALUES (21, 2, 'The Cyberiad');
UPDATE tb_other SET v = 'from plpgsql';
SELECT probe('SELECT books_of(2) AS n');
SELECT probe('SELECT other_v() AS v');
-- changing a function's definition flushes the database's entries
SELECT probe('SELECT books_of(2) AS n');
CREATE OR REPLACE FUNCTION books_of(a int) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) * 10 FROM tb_book WHERE author_id = a $$;
SELECT probe('SELECT books_of(2) AS n');

-- partitions: a write anywhere in a tree invalidates readers of any member
CREATE TABLE parted (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
INSERT INTO parted VALUES (1, 'one'), (15, 'fifteen');
\set q_p1 'SELECT v FROM parted_1 ORDER BY k'
\set q_p2 'SELECT v FROM parted_2 ORDER BY k'
\set q_root 'SELECT v FROM parted WHERE k = 15'
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');
-- insert routed through the root into parted_1
INSERT INTO parted VALUES (2, 'two');
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');
-- write straight into a partition
UPDATE parted_2 SET v = 'FIFTEEN';
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');
-- an update through the root that moves a row between partitions
UPDATE parted SET k = 16 WHERE k = 2;
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');

-- inheritance
CREATE TABLE inh_parent (a int);
CREATE TABLE inh_child (b int) INHERITS (inh_parent);
INSERT INTO inh_child VALUES (1, 1);
SELECT probe('SELECT count(*) FROM inh_parent');
SELECT probe('SELECT count(*) FROM inh_parent');
INSERT INTO inh_child VALUES (2, 2);
SELECT probe('SELECT count(*) FROM inh_parent');
SELECT probe('SELECT count(*) FROM ONLY inh_parent');
SELECT probe('SELECT count(*) FROM ONLY inh_parent');
INSERT INTO inh_child VALUES (3, 3);
SELECT probe('SELECT count(*) FROM ONLY inh_parent');

-- materialized views
CREATE MATERIALIZED VIEW mv_count AS SELECT count(*) AS n FROM tb_book;
SELECT probe('SELECT n FROM mv_count');
INSERT INTO tb_book VALUES (22, 2, 'Fiasco');
SELECT probe('SELECT n FROM mv_count');
REFRESH MATERIALIZED VIEW mv_count;
SELECT probe('SELECT n FROM mv_count');

-- manual invalidation
SELECT prime();
SELECT cache_invalidate_relation('tb_book');
SELECT check_entries();
SELECT probe(:'q_p1'), probe(:'q_p2'), probe(:'q_root');
SELECT cache_invalidate_relation('parted_1');
SELECT cache_invalidate_relation(0);
SELECT cache_invalidate_relation(NULL);

-- two-phase commit: PREPARE removes the entries and keeps fills from being
-- stored until COMMIT PREPARED (or ROLLBACK PREPARED) has finished
SELECT prime();
BEGIN;
UPDATE tb_other SET v = 'prepared';
PREPARE TRANSACTION 'cc_2pc';
-- not committed yet: the old value, computed but not stored
SELECT check_entries();
SELECT check_entries();
COMMIT PREPARED 'cc_2pc';
SELECT check_entries();
SELECT check_entries();
-- ROLLBACK PREPARED leaves the data as it was, and the cache working
BEGIN;
UPDATE tb_other SET v = 'never committed';
PREPARE TRANSACTION 'cc_2pc_rb';
SELECT check_entries();
ROLLBACK PREPARED 'cc_2pc_rb';
SELECT check_entries();
SELECT check_entries();
-- a read-only prepared transaction changes nothing
BEGIN;
SELECT 1;
PREPARE TRANSACTION 'cc_2pc_ro';
COMMIT PREPARED 'cc_2pc_ro';
SELECT check_entries();
-- COMMIT PREPARED of a GID that does not exist (a typo) fails and flushes
-- nothing (one lost in a restart is in t/006)
COMMIT PREPARED 'no_such_gid';
SELECT check_entries();

-- the counters saw all of this
SELECT invalidations > 0 AS invalidated, invalidation_events > 0 AS events FROM cache_stats();

-- ALTER TABLE ... NO INHERIT / INHERIT under a parent without columns: no
-- catalog cache message of PostgreSQL's own says so, and queries of the
-- parent read the child through it
CREATE TABLE tb_ev ();
CREATE TABLE tb_ev_a () INHERITS (tb_ev);
INSERT INTO tb_ev DEFAULT VALUES;
INSERT INTO tb_ev_a DEFAULT VALUES;
SELECT probe('SELECT count(*) AS n FROM tb_ev');
SELECT probe('SELECT count(*) AS n FROM tb_ev');
ALTER TABLE tb_ev_a NO INHERIT tb_ev;
SELECT probe('SELECT count(*) AS n FROM tb_ev'), (SELECT count(*) FROM tb_ev) AS direct;
SELECT probe('SELECT count(*) AS n FROM tb_ev');
ALTER TABLE tb_ev_a INHERIT tb_ev;
SELECT probe('SELECT count(*) AS n FROM tb_ev'), (SELECT count(*) FROM tb_ev) AS direct;
-- the same through a pass-through's kept plan (made from the sixth call)
SET cascade_cache.enabled = off;
SELECT cached_query('SELECT count(*) AS n FROM tb_ev') FROM generate_series(1, 7);
ALTER TABLE tb_ev_a NO INHERIT tb_ev;
SELECT cached_query('SELECT count(*) AS n FROM tb_ev'), (SELECT count(*) FROM tb_ev) AS direct;
RESET cascade_cache.enabled;
DROP TABLE tb_ev, tb_ev_a;

-- system columns: xmax, cmin and cmax change without a write (a row lock,
-- here a foreign key's check; an update that rolls back), so a query that
-- shows one is not cached; ctid, xmin and tableoid change only with a write
-- or a rewrite, which invalidate
CREATE TABLE tb_acct (id int PRIMARY KEY, bal int);
CREATE TABLE tb_xfer (acct_id int REFERENCES tb_acct);
INSERT INTO tb_acct VALUES (1, 10);
CREATE FUNCTION bypassed(reason text) RETURNS bigint LANGUAGE sql
  AS $$ SELECT count FROM cache_bypass_stats() b WHERE b.reason = $1 $$;
SELECT bypassed('system_column') AS sc0 \gset
SELECT probe('SELECT id, xmax::text <> ''0'' AS locked FROM tb_acct');
INSERT INTO tb_xfer VALUES (1);
SELECT probe('SELECT id, xmax::text <> ''0'' AS locked FROM tb_acct');
SELECT probe('SELECT id, cmin::text AS c FROM tb_acct');
SELECT probe('SELECT id, cmax::text AS c FROM tb_acct');
SELECT probe('SELECT x::text <> ''0'' AS locked FROM (SELECT xmax AS x FROM tb_acct) s');
CREATE VIEW v_acct_lock AS SELECT id, xmax AS locker FROM tb_acct;
SELECT probe('SELECT id FROM v_acct_lock');
SELECT bypassed('system_column') - :sc0 AS system_column_bypasses;
SELECT probe('SELECT id, ctid::text AS c, xmin::text <> ''0'' AS x, tableoid::oid <> 0 AS t FROM tb_acct');
SELECT probe('SELECT id, ctid::text AS c, xmin::text <> ''0'' AS x, tableoid::oid <> 0 AS t FROM tb_acct');
-- a rewrite moves rows: VACUUM FULL invalidates what showed their ctid
CREATE TABLE tb_moved (id int PRIMARY KEY, pad text);
INSERT INTO tb_moved SELECT g, repeat('x', 500) FROM generate_series(1, 100) g;
DELETE FROM tb_moved WHERE id <= 50;
SELECT probe('SELECT ctid::text AS c FROM tb_moved WHERE id = 60');
SELECT probe('SELECT ctid::text AS c FROM tb_moved WHERE id = 60');
VACUUM FULL tb_moved;
SELECT probe('SELECT ctid::text AS c FROM tb_moved WHERE id = 60'),
       (SELECT ctid FROM tb_moved WHERE id = 60) AS direct;
DROP VIEW v_acct_lock;
DROP TABLE tb_xfer, tb_acct, tb_moved;
DROP FUNCTION bypassed(text);
