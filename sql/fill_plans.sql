--
-- The plans a session keeps of the statements its fills run: a kept plan
-- is used only where parsing the text afresh would give the same
--
SET search_path = public, cascade_cache;
SET client_min_messages = warning;
SELECT cache_flush() >= 0 AS ok;

CREATE SCHEMA fp;
SET search_path = fp, public, cascade_cache;
CREATE TABLE fp_user (id int PRIMARY KEY, name text);
INSERT INTO fp_user SELECT g, 'user ' || g FROM generate_series(1, 40) g;

-- the plan cache entries this session holds for a text
CREATE FUNCTION fp_plans(q text, OUT sources bigint, OUT generic bigint)
LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE name = 'CachedPlanSource'),
         count(*) FILTER (WHERE name = 'CachedPlan')
    FROM pg_backend_memory_contexts WHERE ident = q
$$;

-- eight misses of one statement: analyzed once, then the generic plan
SELECT string_agg(probe('SELECT name FROM fp_user WHERE id = $1',
                        jsonb_build_array(g)), ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT * FROM fp_plans('SELECT name FROM fp_user WHERE id = $1');
-- the results are the statement's, and the entries depend on the rows read
SELECT cached_query('SELECT name FROM fp_user WHERE id = $1', '[7]');
UPDATE fp_user SET name = 'renamed' WHERE id = 7;
SELECT probe('SELECT name FROM fp_user WHERE id = $1', '[7]');
SELECT cached_query('SELECT name FROM fp_user WHERE id = $1', '[7]');
SELECT probe('SELECT name FROM fp_user WHERE id = $1', '[8]');

-- a statement filled once keeps no plan; filled again, it does
SELECT cached_query('SELECT name, $1::int AS once FROM fp_user WHERE id = 1', '[1]');
SELECT * FROM fp_plans('SELECT name, $1::int AS once FROM fp_user WHERE id = 1');
SELECT cached_query('SELECT name, $1::int AS once FROM fp_user WHERE id = 1', '[2]');
SELECT * FROM fp_plans('SELECT name, $1::int AS once FROM fp_user WHERE id = 1');

-- JSON and native values of one text: each analyzed for its own types
SELECT string_agg(cached_query('SELECT $1 || $$$$ AS v, pg_typeof($1)::text AS t',
                               jsonb_build_array(g))::text, ' ' ORDER BY g)
  FROM generate_series(1, 3) g;
SELECT cached_query_args('SELECT $1 || $$$$ AS v, pg_typeof($1)::text AS t', 4);
SELECT cached_query_args('SELECT $1 || $$$$ AS v, pg_typeof($1)::text AS t', 5);
SELECT cached_query('SELECT $1 || $$$$ AS v, pg_typeof($1)::text AS t', '[6]');

-- using a kept plan locks what PostgreSQL locks for it, no more: not a
-- relation whose OID is only a constant in the query
SELECT 'fp_user'::regclass::oid AS fp_user_oid \gset
BEGIN;
SELECT count(cached_query(format('SELECT $1::int AS n, %s::oid AS o', :fp_user_oid),
                          jsonb_build_array(g)))
  FROM generate_series(1, 4) g;
SELECT count(*) AS locked FROM pg_locks
 WHERE pid = pg_backend_pid() AND relation = :fp_user_oid;
COMMIT;

-- precise invalidation through the generic plan: the key its index scan
-- looks up is a parameter, read when the scan runs
SELECT cascade_watch('fp_user');
SELECT string_agg(probe('SELECT name FROM fp_user WHERE id = $1',
                        jsonb_build_array(g)), ' ' ORDER BY g)
  FROM generate_series(11, 18) g;
SELECT * FROM fp_plans('SELECT name FROM fp_user WHERE id = $1');
UPDATE fp_user SET name = 'renamed' WHERE id = 17;
SELECT probe('SELECT name FROM fp_user WHERE id = $1', '[18]');
SELECT probe('SELECT name FROM fp_user WHERE id = $1', '[17]');
SELECT cascade_unwatch('fp_user');

-- a new overload of a function the statement calls: no plan is invalidated,
-- but the catalog change flushes, and the kept analysis is not used again
CREATE FUNCTION fp_f(numeric) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$SELECT 'numeric'$$;
SELECT string_agg(cached_query('SELECT fp_f(1) AS f, $1::int AS n',
                               jsonb_build_array(g))->0->>'f', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT * FROM fp_plans('SELECT fp_f(1) AS f, $1::int AS n');
CREATE FUNCTION fp_f(integer) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$SELECT 'integer'$$;
SELECT cached_query('SELECT fp_f(1) AS f, $1::int AS n', '[9]');
SELECT cached_query('SELECT fp_f(1) AS f, $1::int AS n', '[1]');

-- a collation that shadows another on the search_path: no plan is
-- invalidated and no verdict changes, but the catalog change flushes
CREATE SCHEMA fp_c1;
CREATE SCHEMA fp_c2;
CREATE COLLATION fp_c2.fp_coll (provider = libc, locale = 'C');
CREATE TABLE fp_words (w text);
INSERT INTO fp_words VALUES ('b'), ('B'), ('a');
SET search_path = fp_c1, fp_c2, fp, public, cascade_cache;
SELECT string_agg(cached_query('SELECT string_agg(w, $$,$$ ORDER BY w COLLATE fp_coll) AS s, $1::int AS n FROM fp_words',
                               jsonb_build_array(g))->0->>'s', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
CREATE COLLATION fp_c1.fp_coll (provider = icu, locale = 'und');
SELECT cached_query('SELECT string_agg(w, $$,$$ ORDER BY w COLLATE fp_coll) AS s, $1::int AS n FROM fp_words', '[9]');
SET search_path = fp, public, cascade_cache;

-- a redefined view: PostgreSQL invalidates the kept plan
CREATE VIEW fp_v AS SELECT 'first' AS v;
SELECT string_agg(cached_query('SELECT v, $1::int AS n FROM fp_v',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
CREATE OR REPLACE VIEW fp_v AS SELECT 'second' AS v;
SELECT cached_query('SELECT v, $1::int AS n FROM fp_v', '[9]');
SELECT cached_query('SELECT v, $1::int AS n FROM fp_v', '[1]');

-- a literal read under another DateStyle: the same text, another context
SET DateStyle = 'ISO, MDY';
SELECT string_agg(cached_query('SELECT $$03/04/2026$$::date AS d, $1::int AS n',
                               jsonb_build_array(g))->0->>'d', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SET DateStyle = 'ISO, DMY';
SELECT cached_query('SELECT $$03/04/2026$$::date AS d, $1::int AS n', '[9]');
RESET DateStyle;

-- another search_path: the same text names another table
CREATE SCHEMA fp2;
CREATE TABLE fp2.fp_user (id int PRIMARY KEY, name text);
INSERT INTO fp2.fp_user VALUES (30, 'in fp2');
SET search_path = fp2, fp, public, cascade_cache;
SELECT cached_query('SELECT name FROM fp_user WHERE id = $1', '[30]');
SET search_path = fp, public, cascade_cache;
SELECT cached_query('SELECT name FROM fp_user WHERE id = $1', '[30]');

-- native values of another type: analyzed for their own types
SELECT cached_query_args('SELECT pg_typeof($1)::text AS t, $1::text AS v', 5);
SELECT cached_query_args('SELECT pg_typeof($1)::text AS t, $1::text AS v', 'five'::text);
SELECT cached_query_args('SELECT pg_typeof($1)::text AS t, $1::text AS v', 6);

-- a function labeled IMMUTABLE that reads a table, folded by the planner:
-- what it reads is recorded while planning, so that plan is never reused
CREATE TABLE fp_conf (k int PRIMARY KEY, v text);
INSERT INTO fp_conf VALUES (1, 'old');
CREATE FUNCTION fp_conf_v(int) RETURNS text IMMUTABLE LANGUAGE plpgsql
  AS $$BEGIN RETURN (SELECT v FROM fp_conf WHERE k = $1); END$$;
SELECT string_agg(cached_query('SELECT fp_conf_v(1) AS v, $1::int AS n',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT * FROM fp_plans('SELECT fp_conf_v(1) AS v, $1::int AS n');
UPDATE fp_conf SET v = 'new';
SELECT string_agg(cached_query('SELECT fp_conf_v(1) AS v, $1::int AS n',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 9) g;

-- a function labeled IMMUTABLE that reads a table, folded only in the
-- generic plan (the custom plans drop the CASE arm that calls it): what the
-- generic plan's planning recorded is seen, and that plan is not reused
SELECT string_agg(cached_query('SELECT CASE WHEN $1::int > 0 THEN $$x$$ ELSE fp_conf_v(1) END AS v',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT cached_query('SELECT CASE WHEN $1::int > 0 THEN $$x$$ ELSE fp_conf_v(1) END AS v', '[-1]');
UPDATE fp_conf SET v = 'newer';
SELECT cached_query('SELECT CASE WHEN $1::int > 0 THEN $$x$$ ELSE fp_conf_v(1) END AS v', '[-1]');
SELECT cached_query('SELECT CASE WHEN $1::int > 0 THEN $$x$$ ELSE fp_conf_v(1) END AS v', '[-2]');

-- the same through the pass-through's kept plans (the cache off): a plan
-- whose planning ran the function's query is used once, never again (a
-- statement without parameters gets its generic plan at once)
SET cascade_cache.enabled = off;
UPDATE fp_conf SET v = 'pt1';
SELECT string_agg(cached_query('SELECT fp_conf_v(1) AS v')->0->>'v', ' ')
  FROM generate_series(1, 3) g;
UPDATE fp_conf SET v = 'pt2';
SELECT cached_query('SELECT fp_conf_v(1) AS v');
SELECT string_agg(cached_query('SELECT fp_conf_v(1) AS v, $1::int AS n',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
UPDATE fp_conf SET v = 'pt3';
SELECT string_agg(cached_query('SELECT fp_conf_v(1) AS v, $1::int AS n',
                               jsonb_build_array(g))->0->>'v', ' ' ORDER BY g)
  FROM generate_series(1, 3) g;
RESET cascade_cache.enabled;

-- what the planner folded was judged under the verdicts of then: a
-- function it calls no longer trusted is judged again, as a fresh parse would
CREATE FUNCTION fp_h() RETURNS text STABLE LANGUAGE plpgsql
  AS $$BEGIN RETURN 'h'; END$$;
CREATE FUNCTION fp_g() RETURNS text IMMUTABLE LANGUAGE plpgsql
  AS $$BEGIN RETURN fp_h(); END$$;
SET cascade_cache.trusted_functions = 'fp_h';
SELECT string_agg(probe('SELECT fp_g() AS x, $1::int AS n',
                        jsonb_build_array(g)), ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT * FROM fp_plans('SELECT fp_g() AS x, $1::int AS n');
SET cascade_cache.trusted_functions = '';
SELECT probe('SELECT fp_g() AS x, $1::int AS n', '[9]');
SELECT probe('SELECT fp_g() AS x, $1::int AS n', '[9]');
RESET cascade_cache.trusted_functions;

-- a statement that fails while running from its kept plan is parsed afresh
SELECT string_agg(cached_query('SELECT 10 / $1::int AS q',
                               jsonb_build_array(g))->0->>'q', ' ' ORDER BY g)
  FROM generate_series(1, 8) g;
SELECT cached_query('SELECT 10 / $1::int AS q', '[0]');
SELECT cached_query('SELECT 10 / $1::int AS q', '[10]');

-- an INSERT that a rule turns into a SELECT is not a SELECT
CREATE TABLE fp_ruled (v int);
CREATE RULE fp_ruled_select AS ON INSERT TO fp_ruled DO INSTEAD SELECT 42 AS v;
SELECT cached_query('INSERT INTO fp_ruled VALUES (1)');
SET cascade_cache.enabled = off;
SELECT cached_query('INSERT INTO fp_ruled VALUES (1)');
RESET cascade_cache.enabled;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA fp CASCADE;
DROP SCHEMA fp2 CASCADE;
DROP SCHEMA fp_c1 CASCADE;
DROP SCHEMA fp_c2 CASCADE;
