--
-- What is not cached: executed and returned, counted as a bypass with its reason
--
SET search_path = public, cascade_cache;
CREATE TABLE items (id int PRIMARY KEY, label text, price numeric);
INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5) g;
SELECT cache_flush() >= 0 AS ok;

-- a plain query is cached
SELECT probe('SELECT label FROM items WHERE id = 1');
SELECT probe('SELECT label FROM items WHERE id = 1');

-- volatile functions
SELECT probe('SELECT random() < 2 AS r');
SELECT probe('SELECT id FROM items WHERE id = 1 AND random() < 2');
CREATE SEQUENCE seq;
SELECT probe('SELECT nextval(''seq'') AS n');
SELECT probe('SELECT nextval(''seq'') AS n');
SELECT probe('SELECT clock_timestamp() IS NOT NULL AS t');

-- functions of the clock and the session
SELECT probe('SELECT now() IS NOT NULL AS t');
SELECT probe('SELECT CURRENT_DATE IS NOT NULL AS t');
SELECT probe('SELECT localtimestamp IS NOT NULL AS t');
SELECT probe('SELECT count(*) FROM items WHERE $1::timestamptz < now()', '["2000-01-01"]');
SELECT probe('SELECT pg_backend_pid() > 0 AS t');
SELECT probe('SELECT has_table_privilege(''items'', ''SELECT'') AS t');
SELECT probe('SELECT to_regclass(''items'') IS NOT NULL AS t');
-- an aclitem shows its roles by name, or a role's OID as a number until
-- a CREATE ROLE (which flushes nothing) takes it
SELECT probe('SELECT makeaclitem(10, 10, ''SELECT'', false) AS a');
SELECT probe('SELECT makeaclitem(10, 10, ''SELECT'', false)::text AS a');
SELECT probe('SELECT ARRAY[makeaclitem(10, 10, ''SELECT'', false)] AS a');
-- pg_get_keywords() translates its categories (lc_messages)
SELECT probe('SELECT count(*) > 400 AS many FROM pg_get_keywords()');
SELECT probe('SELECT current_setting(''application_name'') IS NOT NULL AS t');
SELECT probe('SELECT age(''2000-01-01''::timestamp) IS NOT NULL AS t');
-- ... but settings that are part of the key, and stable functions of the
-- data, are fine
SELECT probe('SELECT current_setting(''TimeZone'') IS NOT NULL AS t');
SELECT probe('SELECT current_setting(''TimeZone'') IS NOT NULL AS t');
SELECT probe('SELECT jsonb_build_object(''id'', id, ''at'', ''2020-01-01''::timestamptz) AS o FROM items WHERE id = 2');
SELECT probe('SELECT jsonb_build_object(''id'', id, ''at'', ''2020-01-01''::timestamptz) AS o FROM items WHERE id = 2');
SELECT probe('SELECT current_user = session_user AS same');
SELECT probe('SELECT current_user = session_user AS same');

-- a volatile function hidden in a view is seen too
CREATE VIEW v_items_random AS SELECT id, random() AS r FROM items;
SELECT probe('SELECT count(*) FROM v_items_random');

-- row locking
SELECT probe('SELECT id FROM items WHERE id = 1 FOR UPDATE');
SELECT probe('SELECT id FROM items WHERE id = 1 FOR SHARE');
SELECT probe('SELECT * FROM (SELECT id FROM items WHERE id = 1 FOR KEY SHARE) s');

-- temporary tables, system catalogs, sequences, foreign tables
CREATE TEMP TABLE tmp_items AS SELECT * FROM items;
SELECT probe('SELECT count(*) FROM tmp_items');
SELECT probe('SELECT count(*) FROM tmp_items');
SELECT probe('SELECT relname FROM pg_class WHERE relname = ''items''');
SELECT probe('SELECT table_name FROM information_schema.tables WHERE table_name = ''items''');
SELECT probe('SELECT last_value > 0 AS t FROM seq');
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE ft_empty (a int) SERVER files OPTIONS (filename '/dev/null');
SELECT probe('SELECT count(*) FROM ft_empty');

-- relations read inside functions count too
CREATE FUNCTION count_tmp() RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) FROM tmp_items $$;
CREATE FUNCTION count_classes() RETURNS bigint LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN (SELECT count(*) FROM pg_class WHERE relname = 'items'); END $$;
SELECT probe('SELECT count_tmp() AS n');
SET cascade_cache.trusted_functions = 'count_classes';
SELECT probe('SELECT count_classes() AS n');
RESET cascade_cache.trusted_functions;

-- row-level security: not cached unless cascade_cache.key_settings is set
CREATE TABLE secret (id int, owner text);
ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
SELECT probe('SELECT count(*) FROM secret');

-- results over cascade_cache.max_entry_size are returned, not stored
SET cascade_cache.max_entry_size = '1kB';
SELECT probe('SELECT length(repeat(''x'', 100)) AS n');
SELECT probe('SELECT repeat(''x'', 2000) AS big') =
       'bypass:too_large [{"big": "' || repeat('x', 2000) || '"}]' AS returned_whole;
SELECT probe('SELECT repeat(''x'', 2000) AS big') ~ '^bypass:too_large' AS still_not_stored;
RESET cascade_cache.max_entry_size;

-- transactions that have written anything neither serve nor store
BEGIN;
SELECT probe('SELECT label FROM items WHERE id = 1');
UPDATE items SET label = 'changed' WHERE id = 3;
SELECT probe('SELECT label FROM items WHERE id = 1');
SELECT probe('SELECT label FROM items WHERE id = 3');
ROLLBACK;
-- (the first read above missed because CREATE EXTENSION file_fdw created
-- functions, which flushes the database's entries)
-- the uncommitted write was never cached
SELECT probe('SELECT label FROM items WHERE id = 3');
SELECT probe('SELECT label FROM items WHERE id = 3');

-- REPEATABLE READ and SERIALIZABLE bypass
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT probe('SELECT label FROM items WHERE id = 1');
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT probe('SELECT label FROM items WHERE id = 1');
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT probe('SELECT label FROM items WHERE id = 1');
COMMIT;

-- cached_query inside a query that cached_query is computing runs uncached,
-- and what it reads becomes a dependency of the outer entry
CREATE FUNCTION inner_label(i int) RETURNS jsonb LANGUAGE sql STABLE
  AS $$ SELECT cascade_cache.cached_query('SELECT label FROM items WHERE id = $1', jsonb_build_array(i)) $$;
SELECT probe('SELECT inner_label(4) AS l');
SELECT (SELECT count FROM cache_bypass_stats() WHERE reason = 'nested') > 0 AS inner_bypassed;
SELECT probe('SELECT inner_label(4) AS l');
UPDATE items SET label = 'four' WHERE id = 4;
SELECT probe('SELECT inner_label(4) AS l');

-- the pass-through keeps a session's plans as prepared statements do, but
-- behaves exactly as a fresh parse: after DDL on what it reads (a new
-- column, a parameter's column of another type), under another search_path
-- (the same text naming other tables, with other types), after an error
SET cascade_cache.enabled = off;
CREATE TABLE pt (id int, v text);
INSERT INTO pt VALUES (1, 'one');
SELECT probe('SELECT * FROM pt WHERE id = $1', '[1]');
SELECT probe('SELECT * FROM pt WHERE id = $1', '[1]');
-- the kept plan: one plan cache entry of this text
SELECT count(*) AS kept FROM pg_backend_memory_contexts
 WHERE name = 'CachedPlanSource' AND ident = 'SELECT * FROM pt WHERE id = $1';
ALTER TABLE pt ADD COLUMN w int DEFAULT 7;
SELECT probe('SELECT * FROM pt WHERE id = $1', '[1]');
ALTER TABLE pt ALTER COLUMN id TYPE text;
SELECT probe('SELECT * FROM pt WHERE id = $1', '["1"]');
CREATE SCHEMA pt_a;
CREATE SCHEMA pt_b;
CREATE TABLE pt_a.t (k int, v text);
CREATE TABLE pt_b.t (k text, v text);
INSERT INTO pt_a.t VALUES (1, 'a');
INSERT INTO pt_b.t VALUES ('x', 'b');
SET search_path = pt_a, public, cascade_cache;
SELECT probe('SELECT v FROM t WHERE k = $1', '[1]');
SET search_path = pt_b, public, cascade_cache;
SELECT probe('SELECT v FROM t WHERE k = $1', '["x"]');
SET search_path = pt_a, public, cascade_cache;
SELECT probe('SELECT v FROM t WHERE k = $1', '[1]');
SET search_path = public, cascade_cache;
SELECT probe('SELECT 1 / $1 AS q', '[0]');
SELECT probe('SELECT 1 / $1 AS q', '[1]');
-- ... and only in the session state it was made in: a literal parsed
-- under other settings (the key's context)
SELECT probe($$SELECT '01/02/2020'::date AS d, '1 day'::interval AS i,
                      (NULL = $1::int) AS eq$$, '[1]');
SELECT probe($$SELECT '01/02/2020'::date AS d, '1 day'::interval AS i,
                      (NULL = $1::int) AS eq$$, '[1]');
SET DateStyle = 'ISO, DMY';
SET IntervalStyle = 'sql_standard';
SET transform_null_equals = on;
SELECT probe($$SELECT '01/02/2020'::date AS d, '1 day'::interval AS i,
                      (NULL = $1::int) AS eq$$, '[1]');
RESET DateStyle;
RESET IntervalStyle;
RESET transform_null_equals;
-- a new overload that a fresh parse picks, which invalidates no plan (the
-- function verdicts' generation, and the fence for other sessions' commits)
CREATE FUNCTION pt_f(numeric) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'numeric' $$;
SELECT probe('SELECT pt_f($1::int) AS f', '[1]');
SELECT probe('SELECT pt_f($1::int) AS f', '[1]');
CREATE FUNCTION pt_f(int) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT 'int' $$;
SELECT probe('SELECT pt_f($1::int) AS f', '[1]');
-- a catalog change of the transaction itself that no plan or verdict
-- notices (an enum label renamed): no kept plan in that transaction (in a
-- new session, without the temporary schema whose key changes with every
-- catalog change of the session)
\c
SET search_path = public, cascade_cache;
SET cascade_cache.enabled = off;
CREATE TYPE pt_e AS ENUM ('old');
SELECT probe($$SELECT 'old'::pt_e AS e, $1::int AS n$$, '[1]');
SELECT probe($$SELECT 'old'::pt_e AS e, $1::int AS n$$, '[1]');
BEGIN;
ALTER TYPE pt_e RENAME VALUE 'old' TO 'new';
SELECT cascade_cache.cached_query($$SELECT 'old'::pt_e AS e, $1::int AS n$$, '[1]');
ROLLBACK;
SELECT probe($$SELECT 'old'::pt_e AS e, $1::int AS n$$, '[1]');
-- binding the values can run code (a domain's CHECK) that passes more
-- texts through than the session keeps plans for: the outer call's plan
-- is not dropped or reused meanwhile
CREATE FUNCTION pt_churn(v int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
    FOR g IN 1..40 LOOP
        PERFORM cascade_cache.cached_query('SELECT ' || g || ' AS inner_n');
    END LOOP;
    RETURN true;
END $$;
CREATE DOMAIN pt_d AS int CHECK (pt_churn(VALUE));
SELECT cascade_cache.cached_query('SELECT $1::pt_d AS outer_v', '[7]');
SELECT cascade_cache.cached_query('SELECT $1::pt_d AS outer_v', '[7]');
SELECT cascade_cache.cached_query('SELECT $1::pt_d AS outer_v', '[7]');
-- a generic plan folds what the values would have pruned (here a division
-- by zero): never an error a fresh planning, with the values, would not
-- raise; the kept plan makes custom plans from then on
SELECT string_agg(cascade_cache.cached_query(
         $$SELECT CASE WHEN $1::int > 0 THEN 1 ELSE 1 / 0 END AS r$$, '[1]')::text,
         ' ') AS ten_runs
  FROM generate_series(1, 10);
SELECT cascade_cache.cached_query(
         $$SELECT CASE WHEN $1::int > 0 THEN 1 ELSE 1 / 0 END AS r$$, '[0]');
-- the same for a fill's kept plan, with the cache on
RESET cascade_cache.enabled;
SELECT string_agg(cascade_cache.cached_query(
         $$SELECT CASE WHEN $1::int > 0 THEN $1 ELSE 1 / 0 END AS r$$,
         jsonb_build_array(g))::text, ' ') AS ten_fills
  FROM generate_series(1, 10) g;
-- and with plan_cache_mode = force_generic_plan, which PostgreSQL lets
-- override a plan's own choice of custom plans
SET plan_cache_mode = force_generic_plan;
SELECT string_agg(cascade_cache.cached_query(
         $$SELECT CASE WHEN $1::int > 1 THEN $1 ELSE 1 / 0 END AS r$$,
         jsonb_build_array(g))::text, ' ') AS ten_fills_forced
  FROM generate_series(2, 11) g;
SET cascade_cache.enabled = off;
SELECT string_agg(cascade_cache.cached_query(
         $$SELECT CASE WHEN $1::int > 1 THEN 2 ELSE 1 / 0 END AS r$$, '[2]')::text,
         ' ') AS ten_runs_forced
  FROM generate_series(1, 10);
RESET plan_cache_mode;
SET cascade_cache.enabled = off;
DROP DOMAIN pt_d;
DROP FUNCTION pt_churn(int);
DROP FUNCTION pt_f(numeric), pt_f(int);
DROP TYPE pt_e;
-- more texts than the session keeps plans for
SELECT count(cascade_cache.cached_query('SELECT $1::int + ' || g || ' AS n', '[1]')) AS ran
  FROM generate_series(1, 40) g;
SELECT count(*) AS kept FROM pg_backend_memory_contexts
 WHERE name = 'CachedPlanSource' AND ident LIKE 'SELECT $1::int + %';
SELECT cascade_cache.cached_query('SELECT $1::int + 3 AS n', '[1]') AS again;
RESET cascade_cache.enabled;
DROP SCHEMA pt_a, pt_b CASCADE;
DROP TABLE pt;

-- a function's verdict holds in the session context it was made in, not
-- under a list of what it read: a body lexed under another
-- standard_conforming_strings is another body (here a call of the clock
-- instead of a literal) ...
SET escape_string_warning = off;
CREATE FUNCTION vc_scs() RETURNS TABLE(a text, b text) LANGUAGE sql STABLE
  AS $body$ SELECT 'a\' AS c1, ' AS c2, clock_timestamp()::text AS c3 -- ' $body$;
SELECT cached_query('SELECT * FROM vc_scs()') AS scs_on;
SELECT count AS volatile_before FROM cache_bypass_stats()
 WHERE reason = 'volatile_function' \gset
SET standard_conforming_strings = off;
SELECT cached_query('SELECT * FROM vc_scs()') IS NOT NULL AS scs_off_ran;
SELECT count - :volatile_before AS scs_off_not_cached FROM cache_bypass_stats()
 WHERE reason = 'volatile_function';
RESET standard_conforming_strings;
RESET escape_string_warning;
-- ... and whether current_setting() may read an extension's setting
-- depends on its value: at its boot value it is left out of the key (a
-- session that has not loaded the extension has the same keys)
CREATE FUNCTION vc_setting() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT current_setting('plpgsql.variable_conflict', true) $$;
DO $$ BEGIN END $$;
SET plpgsql.variable_conflict = use_column;
SELECT cached_query('SELECT vc_setting() AS v') AS not_at_boot;
RESET plpgsql.variable_conflict;
SELECT count AS session_before FROM cache_bypass_stats()
 WHERE reason = 'session_function' \gset
SELECT cached_query('SELECT vc_setting() AS v') AS at_boot;
SELECT count - :session_before AS at_boot_not_cached FROM cache_bypass_stats()
 WHERE reason = 'session_function';
DROP FUNCTION vc_scs(), vc_setting();

-- every reason seen in this file
SELECT reason FROM cache_bypass_stats() WHERE count > 0 ORDER BY reason;
