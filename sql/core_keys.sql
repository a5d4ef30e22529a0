--
-- What the key covers: role, search_path, output settings, key_settings;
-- row-level security with two roles and two tenants
--
SET search_path = public, cascade_cache;
SET client_min_messages = warning;
SELECT cache_flush() >= 0 AS ok;

-- search_path: the same text can mean different tables
CREATE SCHEMA s1;
CREATE SCHEMA s2;
CREATE TABLE s1.t (v text);
CREATE TABLE s2.t (v text);
INSERT INTO s1.t VALUES ('from s1');
INSERT INTO s2.t VALUES ('from s2');
SET search_path = s1, public, cascade_cache;
SELECT probe('SELECT v FROM t');
SET search_path = s2, public, cascade_cache;
SELECT probe('SELECT v FROM t');
SET search_path = s1, public, cascade_cache;
SELECT probe('SELECT v FROM t');
SET search_path = public, cascade_cache;

-- settings that change output are part of the key
CREATE TABLE ev (at timestamptz, d date, f float8, b bytea, i interval);
INSERT INTO ev VALUES ('2024-03-01 12:00:00+00', '2024-03-01', 0.1, '\x0102', '1 day 2 hours');
SET TimeZone = 'UTC';
SELECT probe('SELECT at FROM ev');
SET TimeZone = 'Asia/Tokyo';
SELECT probe('SELECT at FROM ev');
SET TimeZone = 'UTC';
SELECT probe('SELECT at FROM ev');
SET DateStyle = 'ISO, MDY';
SELECT probe('SELECT d::text AS d FROM ev');
SET DateStyle = 'German';
SELECT probe('SELECT d::text AS d FROM ev');
RESET DateStyle;
SET extra_float_digits = 0;
SELECT probe('SELECT (f * 3)::text AS f FROM ev');
SET extra_float_digits = 3;
SELECT probe('SELECT (f * 3)::text AS f FROM ev');
RESET extra_float_digits;
SET bytea_output = 'hex';
SELECT probe('SELECT b::text AS b FROM ev');
SET bytea_output = 'escape';
SELECT probe('SELECT b::text AS b FROM ev');
RESET bytea_output;
-- client_encoding: the send functions convert text to it (textsend)
SELECT probe('SELECT textsend(''abc'') AS b');
SET client_encoding = 'LATIN1';
SELECT probe('SELECT textsend(''abc'') AS b');
RESET client_encoding;
SELECT probe('SELECT textsend(''abc'') AS b');
SET IntervalStyle = 'postgres';
SELECT probe('SELECT i::text AS i FROM ev');
SET IntervalStyle = 'iso_8601';
SELECT probe('SELECT i::text AS i FROM ev');
RESET IntervalStyle;
RESET TimeZone;

-- roles: a role never gets another role's entry
CREATE ROLE cc_alice;
CREATE ROLE cc_bob;
CREATE ROLE cc_carol;
GRANT USAGE ON SCHEMA cascade_cache TO cc_alice, cc_bob, cc_carol;
GRANT EXECUTE ON FUNCTION probe(text, jsonb, text) TO cc_alice, cc_bob, cc_carol;
GRANT EXECUTE ON FUNCTION cache_stats(), cache_bypass_stats() TO cc_alice, cc_bob, cc_carol;
GRANT EXECUTE ON FUNCTION cached_query(text, jsonb, interval, text) TO cc_alice, cc_bob, cc_carol;
CREATE TABLE notes (id int, body text);
INSERT INTO notes VALUES (1, 'note one');
GRANT SELECT ON notes TO cc_alice, cc_bob;
SET ROLE cc_alice;
SELECT probe('SELECT body FROM notes');
SELECT probe('SELECT body FROM notes');
SET ROLE cc_bob;
SELECT probe('SELECT body FROM notes');
-- carol may not read notes: the entries of the others do not help her
SET ROLE cc_carol;
SELECT probe('SELECT body FROM notes');
RESET ROLE;

-- row-level security: two tenants, two roles
CREATE TABLE docs (id int, tenant text, body text);
INSERT INTO docs VALUES (1, 't1', 'doc of t1'), (2, 't2', 'doc of t2'), (3, 't1', 'another of t1');
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON docs USING (tenant = current_setting('app.tenant_id'));
GRANT SELECT ON docs TO cc_alice, cc_bob;
\set q_docs 'SELECT id, body FROM docs ORDER BY id'

-- without key_settings, tables with row-level security are not cached
SET ROLE cc_alice;
SET app.tenant_id = 't1';
SELECT probe(:'q_docs');
RESET ROLE;

-- with the policy's input listed, each tenant gets its own entries
SET cascade_cache.key_settings = 'app.tenant_id';
SET ROLE cc_alice;
SET app.tenant_id = 't1';
SELECT probe(:'q_docs');
SELECT probe(:'q_docs');
SET app.tenant_id = 't2';
SELECT probe(:'q_docs');
SELECT probe(:'q_docs');
SET app.tenant_id = 't1';
SELECT probe(:'q_docs');
-- another role with the same tenant computes its own entry
SET ROLE cc_bob;
SET app.tenant_id = 't1';
SELECT probe(:'q_docs');
SET app.tenant_id = 't2';
SELECT probe(:'q_docs');
RESET ROLE;
-- the table owner is not subject to the policy and gets everything
SELECT probe(:'q_docs');
-- key settings may be read by the query itself
SELECT probe('SELECT current_setting(''app.tenant_id'') AS tenant');
SET app.tenant_id = 't2';
SELECT probe('SELECT current_setting(''app.tenant_id'') AS tenant');

-- a policy may read any setting: every setting is part of the key
CREATE TABLE regional (id int, region text);
INSERT INTO regional VALUES (1, 'eu'), (2, 'us');
ALTER TABLE regional ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_region ON regional USING (region = current_setting('app.region'));
GRANT SELECT ON regional TO cc_alice;
SET ROLE cc_alice;
SET app.region = 'eu';
SELECT probe('SELECT id FROM regional');
SELECT probe('SELECT id FROM regional');
SET app.region = 'us';
SELECT probe('SELECT id FROM regional');
SET app.region = 'eu';
SELECT probe('SELECT id FROM regional');
RESET ROLE;

-- key_settings is for superusers to set (an ordinary role cannot drop the
-- tenant from the key)
SET ROLE cc_alice;
SET cascade_cache.key_settings = '';
RESET ROLE;
-- ... and it must be a list of names
SET cascade_cache.key_settings = 'a b';
RESET cascade_cache.key_settings;

-- every key setting's value counts, also numeric ones (whose values
-- PostgreSQL formats into one shared buffer), and a change of any one of
-- them, or of search_path, between two calls makes a new key
SET cascade_cache.key_settings = 'work_mem, maintenance_work_mem';
SET work_mem = '1MB';
SET maintenance_work_mem = '8MB';
SELECT probe('SELECT current_setting(''work_mem'') AS w, current_setting(''maintenance_work_mem'') AS m');
SET work_mem = '2MB';
SELECT probe('SELECT current_setting(''work_mem'') AS w, current_setting(''maintenance_work_mem'') AS m');
SET maintenance_work_mem = '16MB';
SELECT probe('SELECT current_setting(''work_mem'') AS w, current_setting(''maintenance_work_mem'') AS m');
SET work_mem = '1MB';
SET maintenance_work_mem = '8MB';
SELECT probe('SELECT current_setting(''work_mem'') AS w, current_setting(''maintenance_work_mem'') AS m');
SET search_path = cascade_cache, public;
SELECT probe('SELECT current_setting(''search_path'') AS p');
SET search_path = public, cascade_cache;
SELECT probe('SELECT current_setting(''search_path'') AS p');
RESET work_mem;
RESET maintenance_work_mem;
RESET cascade_cache.key_settings;

-- placeholders replaced in place: a new session sets every plpgsql setting
-- before plpgsql is loaded (placeholders, which pg_settings does not show),
-- and one plpgsql does not define,
-- calls cached_query, and then loads plpgsql (probe() is plpgsql), which
-- replaces them with its own definitions and frees them: the key is
-- computed again from the real settings, never from a freed placeholder
\c
SET search_path = public, cascade_cache;
SET plpgsql.variable_conflict = 'use_column';
SET plpgsql.print_strict_params = 'on';
SET plpgsql.check_asserts = 'off';
SET plpgsql.extra_warnings = 'shadowed_variables';
SET plpgsql.extra_errors = 'none';
SET plpgsql.not_a_setting = 'x';
SELECT count(*) AS defined FROM pg_settings WHERE name LIKE 'plpgsql.%';
SELECT cached_query('SELECT 7 AS n');
-- between this call and the next, one setting is added to the array
-- (app.added_late, keyed) and one removed (plpgsql reserves its prefix and
-- drops the placeholder it does not define): the array keeps its size
SET app.added_late = 'y';
SELECT probe('SELECT 7 AS n');
SELECT probe('SELECT 7 AS n');
SELECT count(*) AS defined FROM pg_settings WHERE name LIKE 'plpgsql.%';
SHOW plpgsql.variable_conflict;
RESET plpgsql.variable_conflict;
SELECT probe('SELECT 7 AS n');

-- a placeholder without a value of its own (RESET of a name nobody set):
-- on 16 and later the check for settings that appeared cannot see it, so
-- it is not in the key and no cached query may read it; on 15 it is in
-- the key like any setting
RESET app.never_set;
SELECT split_part(probe('SELECT current_setting(''app.never_set'', true) AS v'), ' ', 1)
       = CASE WHEN current_setting('server_version_num')::int >= 160000
              THEN 'bypass:session_function' ELSE 'miss' END AS as_the_version_says;
SET app.never_set = 'now it has one';
SELECT probe('SELECT current_setting(''app.never_set'', true) AS v');
SELECT probe('SELECT current_setting(''app.never_set'', true) AS v');

REVOKE ALL ON docs, notes, regional FROM cc_alice, cc_bob;
REVOKE ALL ON SCHEMA cascade_cache FROM cc_alice, cc_bob, cc_carol;
REVOKE ALL ON FUNCTION probe(text, jsonb, text), cache_stats(), cache_bypass_stats(),
                       cached_query(text, jsonb, interval, text) FROM cc_alice, cc_bob, cc_carol;
DROP ROLE cc_alice, cc_bob, cc_carol;
