--
-- Failing closed: session state, the clock, temporary objects, catalog
-- changes, row-level security, input checks, bounded work, who may flush
--
SET search_path = public, cascade_cache;
SELECT cache_flush() >= 0 AS ok;
SELECT cache_stats_reset();
SET TimeZone = 'UTC';
-- an application role with exactly the grants README recommends
CREATE ROLE hard_app LOGIN;
GRANT USAGE ON SCHEMA cascade_cache TO hard_app;
GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
                          cascade_cache.cascade_invalidate(jsonb) TO hard_app;
GRANT pg_monitor TO hard_app;	-- for probe()'s statistics

-- === 1. every setting is part of the key ===
-- timezone_abbreviations changes what '... IST' means
SELECT probe('SELECT $1::timestamptz AS t', '["2024-01-01 12:00 IST"]');
SET timezone_abbreviations = 'India';
SELECT probe('SELECT $1::timestamptz AS t', '["2024-01-01 12:00 IST"]');
RESET timezone_abbreviations;
SELECT probe('SELECT $1::timestamptz AS t', '["2024-01-01 12:00 IST"]');
-- a placeholder setting read by a STABLE function (or operator)
CREATE FUNCTION app_level() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT current_setting('app.level', true) $$;
SET app.level = 'gold';
SELECT probe('SELECT app_level() AS level');
SET app.level = 'silver';
SELECT probe('SELECT app_level() AS level');
SET app.level = 'gold';
SELECT probe('SELECT app_level() AS level');
-- settings known not to change a result are not in the key ...
SET work_mem = '8MB';
SELECT probe('SELECT app_level() AS level');
RESET work_mem;
-- ... and reading one keeps a query out of the cache
SELECT probe('SELECT current_setting(''application_name'') AS a');
-- unless key_settings names it; a changed key_settings is seen at once
SET cascade_cache.key_settings = 'application_name';
SET application_name = 'one';
SELECT probe('SELECT current_setting(''application_name'') AS a');
SET application_name = 'two';
SELECT probe('SELECT current_setting(''application_name'') AS a');
SET cascade_cache.key_settings = 'app.xyzzy';
SELECT probe('SELECT current_setting(''application_name'') AS a');
RESET cascade_cache.key_settings;
RESET application_name;
-- the settings in the key, as cache_key_settings() lists them
SELECT count(*) > 40 AS many,
       bool_and(s NOT IN ('application_name', 'work_mem', 'statement_timeout')) AS not_those,
       count(*) FILTER (WHERE s IN ('TimeZone', 'search_path', 'timezone_abbreviations',
                                    'app.level', 'DateStyle', 'lc_numeric')) AS these
  FROM cache_key_settings() s;
SET cascade_cache.key_settings = 'application_name';
SELECT 'application_name' IN (SELECT * FROM cache_key_settings()) AS keyed_on_request;
RESET cascade_cache.key_settings;
-- a setting defined later in the session (a new placeholder) joins the key
SELECT probe('SELECT 40 + 2 AS answer');
SET app.brand_new = 'x';
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT 40 + 2 AS answer');

-- === 2. the clock and session-private objects ===
SELECT probe('SELECT ''now''::timestamptz > ''2000-01-01'' AS t');
SELECT probe('SELECT ''today''::date > ''2000-01-01'' AS t');
SELECT probe('SELECT date ''tomorrow'' > ''2000-01-01'' AS t');
SELECT probe('SELECT ''[yesterday,tomorrow)''::daterange @> ''2000-01-01''::date AS t');
SELECT probe('SELECT ARRAY[''Now'', ''2020-01-01'']::timestamptz[] IS NOT NULL AS t');
SELECT probe('SELECT $1::timestamptz > ''2000-01-01'' AS t', '["now"]');
SELECT probe('SELECT $1::date > ''2000-01-01'' AS t', '[" TODAY "]');
SELECT probe('SELECT cardinality($1::timestamptz[]) AS n', '[["2020-01-01", "tomorrow"]]');
-- text converted to a date or time while the query runs
SELECT probe('SELECT ($1::text)::timestamptz > ''2000-01-01'' AS t', '["2020-01-01"]');
SELECT probe('SELECT count(*) FROM jsonb_to_recordset(''[{"at": "now"}]'') AS r(at timestamptz)');
-- ... but not a date literal, nor text that merely contains such a word
SELECT probe('SELECT ''2020-01-01''::date AS d');
SELECT probe('SELECT ''2020-01-01''::date AS d');
SELECT probe('SELECT ''Now is the time'' AS t, ''2020-01-01''::date AS d');
SELECT probe('SELECT ''Now is the time'' AS t, ''2020-01-01''::date AS d');
SELECT probe('SELECT $1::timestamptz AS t', '["2020-01-01 00:00+00"]');
SELECT probe('SELECT count(*) FROM jsonb_to_recordset(''[{"a": 1}]'') AS r(a int)');
SELECT probe('SELECT count(*) FROM jsonb_to_recordset(''[{"a": 1}]'') AS r(a int)');
-- timetz read from text takes its zone's offset on today's date (with a
-- zone that changes to summer time tomorrow, '12:00' reads differently):
-- every literal or parameter of it, or of a type built from it, is the
-- clock, whatever its text; a timetz read from a table is not
SELECT probe('SELECT ''12:00''::timetz AS t');
SELECT probe('SELECT ''12:00+02''::timetz AS t');
SELECT probe('SELECT ARRAY[''12:00'']::timetz[] AS t');
SELECT probe('SELECT $1::timetz AS t', '["12:00"]');
SELECT probe('SELECT $1::timetz[] AS t', '[["12:00+02"]]');
CREATE TABLE tz_stored (t timetz);
INSERT INTO tz_stored VALUES ('12:00+02');
SELECT probe('SELECT t FROM tz_stored');
SELECT probe('SELECT t FROM tz_stored');
-- SQL/JSON (PostgreSQL 17 and later) converts to its RETURNING type with
-- the type's input function: a JSON string "today" is the clock too.  (On
-- 15 the same outcomes are printed without running the queries.)
CREATE FUNCTION since_17(q text, outcome_on_15 text) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN current_setting('server_version_num')::int >= 170000
              THEN split_part(probe(q), ' ', 1) ELSE outcome_on_15 END
$$;
SELECT since_17($q$SELECT JSON_VALUE('"today"', '$' RETURNING date) AS d$q$, 'bypass:clock') AS json_value;
SELECT since_17($q$SELECT JSON_QUERY('["now"]', '$[0]' RETURNING timestamptz) AS t$q$, 'bypass:clock') AS json_query;
SELECT since_17($q$SELECT * FROM JSON_TABLE('[{"d": "now"}]', '$[*]' COLUMNS (d timestamptz PATH '$.d')) jt$q$,
                'bypass:clock') AS json_table;
SELECT since_17($q$SELECT JSON_VALUE('"2020-01-01"', '$' RETURNING int DEFAULT 0 ON ERROR) AS n$q$, 'miss') AS json_int;
SELECT since_17($q$SELECT JSON_VALUE('"2020-01-01"', '$' RETURNING int DEFAULT 0 ON ERROR) AS n$q$, 'hit') AS json_int;
-- XMLTABLE fills its columns with their types' input functions while the
-- query runs (without XML support, the same outcomes are printed)
CREATE FUNCTION with_xml(q text, outcome_without text) RETURNS text
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM '<a/>'::xml;
  RETURN split_part(probe(q), ' ', 1);
EXCEPTION WHEN feature_not_supported THEN
  RETURN outcome_without;
END $$;
SELECT with_xml($q$SELECT * FROM XMLTABLE('/r' PASSING ('<r><d>today</d></r>'::xml) COLUMNS d date PATH 'd')$q$, 'bypass:clock') AS xml_date;
SELECT with_xml($q$SELECT * FROM XMLTABLE('/r' PASSING ('<r><t>12:00</t></r>'::xml) COLUMNS t timetz PATH 't')$q$, 'bypass:clock') AS xml_timetz;
SELECT with_xml($q$SELECT * FROM XMLTABLE('/r' PASSING ('<r><n>1</n></r>'::xml) COLUMNS n int PATH 'n')$q$, 'miss') AS xml_int;
SELECT with_xml($q$SELECT * FROM XMLTABLE('/r' PASSING ('<r><n>1</n></r>'::xml) COLUMNS n int PATH 'n')$q$, 'hit') AS xml_int;
-- TABLESAMPLE without REPEATABLE is random
CREATE TABLE sample_t AS SELECT g AS id FROM generate_series(1, 10) g;
SELECT probe('SELECT count(*) >= 0 AS t FROM sample_t TABLESAMPLE BERNOULLI (50)');
SELECT probe('SELECT count(*) >= 0 AS t FROM sample_t TABLESAMPLE BERNOULLI (50) REPEATABLE (7)');
-- (objects of a temporary schema: section 9, last, since a session with
-- a temporary schema has keys of its own)
-- a SQL function is judged by its body; other STABLE ones are trusted only
-- when listed in cascade_cache.trusted_functions
CREATE FUNCTION sql_now() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT now()';
CREATE FUNCTION sql_literal_now() RETURNS timestamptz LANGUAGE sql STABLE
  AS $$ SELECT 'now'::timestamptz $$;
CREATE FUNCTION sql_fine(i int) RETURNS int LANGUAGE sql STABLE AS 'SELECT i * 2';
CREATE FUNCTION sql_atomic(i int) RETURNS int LANGUAGE sql STABLE
  BEGIN ATOMIC SELECT i * 3; END;
CREATE FUNCTION pl_now() RETURNS timestamptz LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN now(); END $$;
CREATE FUNCTION pl_fine(i int) RETURNS int LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN i * 4; END $$;
CREATE FUNCTION pl_immutable(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN RETURN i * 5; END $$;
CREATE FUNCTION sql_calls_pl() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT pl_now()';
SELECT probe('SELECT sql_now() IS NOT NULL AS t');
SELECT probe('SELECT sql_literal_now() IS NOT NULL AS t');
SELECT probe('SELECT sql_fine(1) AS n');
SELECT probe('SELECT sql_atomic(1) AS n');
SELECT probe('SELECT pl_now() IS NOT NULL AS t');
SELECT probe('SELECT pl_fine(1) AS n');
SELECT probe('SELECT pl_immutable(1) AS n');
SELECT probe('SELECT sql_calls_pl() IS NOT NULL AS t');
SET cascade_cache.trusted_functions = 'public.pl_fine';
SELECT probe('SELECT pl_fine(1) AS n');
SELECT probe('SELECT pl_fine(1) AS n');
RESET cascade_cache.trusted_functions;
SELECT probe('SELECT pl_fine(1) AS n');
-- a function reached only while the query runs is judged too
CREATE TABLE fn_names (f text);
INSERT INTO fn_names VALUES ('pl_now');
CREATE FUNCTION call_by_name(f text) RETURNS text LANGUAGE plpgsql STABLE
  AS $$ DECLARE r text; BEGIN EXECUTE format('SELECT %I()::text', f) INTO r; RETURN r; END $$;
SET cascade_cache.trusted_functions = 'call_by_name';
SELECT probe('SELECT call_by_name(f) IS NOT NULL AS t FROM fn_names');
RESET cascade_cache.trusted_functions;

-- a function is judged whole: the defaults of arguments left out, an
-- aggregate's support functions and initial state, its own SET search_path
-- (or the caller's), and one implementation, not every overload of a name
CREATE FUNCTION def_arg(t timestamptz DEFAULT now()) RETURNS bool
  LANGUAGE sql IMMUTABLE AS $$ SELECT t > '2000-01-01' $$;
SELECT probe('SELECT def_arg() AS t');
SELECT probe('SELECT def_arg(''2020-01-01'') AS t');
CREATE AGGREGATE agg_init_now(timestamptz) (SFUNC = timestamptz_larger,
  STYPE = timestamptz, INITCOND = 'now');
SELECT probe('SELECT agg_init_now(t) > ''2000-01-01'' AS t FROM (VALUES (''2001-01-01''::timestamptz)) v(t)');
CREATE FUNCTION final_age(timestamptz) RETURNS interval LANGUAGE sql STABLE
  AS 'SELECT age($1)';
CREATE AGGREGATE agg_final_age(timestamptz) (SFUNC = timestamptz_larger,
  STYPE = timestamptz, FINALFUNC = final_age);
SELECT probe('SELECT agg_final_age(t) > ''0''::interval AS t FROM (VALUES (''2001-01-01''::timestamptz)) v(t)');
CREATE AGGREGATE agg_fine(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
SELECT probe('SELECT agg_fine(g) AS s FROM generate_series(1, 3) g');
SELECT probe('SELECT agg_fine(g) AS s FROM generate_series(1, 3) g');
SELECT probe('SELECT timetz(''12:00''::time) IS NOT NULL AS t');
SELECT probe('SELECT timezone(''UTC'', ''12:00+02''::timetz) IS NOT NULL AS t');
SELECT probe('SELECT timetz(''2020-01-01 12:00+00''::timestamptz) AS t');
SELECT probe('SELECT timezone(''UTC'', ''2020-01-01 12:00+02''::timestamptz) AS t');
CREATE SCHEMA hard_s;
CREATE FUNCTION hard_s.stamp() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT now()';
CREATE FUNCTION public.stamp() RETURNS timestamptz LANGUAGE sql IMMUTABLE
  AS $$ SELECT '2020-01-01 00:00+00'::timestamptz $$;
CREATE FUNCTION via_own_path() RETURNS timestamptz LANGUAGE sql STABLE
  SET search_path = hard_s AS 'SELECT stamp()';
CREATE FUNCTION via_caller_path() RETURNS timestamptz LANGUAGE sql STABLE
  AS 'SELECT stamp()';
SELECT probe('SELECT via_own_path() IS NOT NULL AS t');
SELECT probe('SELECT via_caller_path() AS t');
SET search_path = hard_s, public, cascade_cache;
SELECT probe('SELECT via_caller_path() IS NOT NULL AS t');
SET search_path = public, cascade_cache;
SELECT probe('SELECT via_caller_path() AS t');
-- whether current_setting(x) is in the key follows key_settings at once
CREATE FUNCTION read_timeout() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT current_setting('statement_timeout') $$;
SET statement_timeout = '5s';
SELECT probe('SELECT read_timeout() AS s');
SET cascade_cache.key_settings = 'statement_timeout';
SELECT probe('SELECT read_timeout() AS s');
SET statement_timeout = '6s';
SELECT probe('SELECT read_timeout() AS s');
SET statement_timeout = '5s';
SELECT probe('SELECT read_timeout() AS s');
RESET cascade_cache.key_settings;
SELECT probe('SELECT read_timeout() AS s');
RESET statement_timeout;
-- a setting nobody defined is not in the key: current_setting(x, true) of
-- it is not cached
SELECT probe('SELECT current_setting(''hard.undefined'', true) AS s');
-- ... nor one an extension defined at its boot value (a session that has
-- not loaded plpgsql has the same key, and no such setting)
SELECT probe('SELECT current_setting(''plpgsql.variable_conflict'') AS s');
SET plpgsql.variable_conflict = 'use_column';
SELECT probe('SELECT current_setting(''plpgsql.variable_conflict'') AS s');
RESET plpgsql.variable_conflict;
-- a verdict is remade when what the body reads changes (a view replaced)
CREATE TABLE hard_ev (ts timestamptz);
INSERT INTO hard_ev VALUES ('2020-01-01');
CREATE VIEW hard_vv AS SELECT ts FROM hard_ev;
CREATE FUNCTION hard_fv() RETURNS SETOF timestamptz LANGUAGE sql STABLE
  AS 'SELECT ts FROM hard_vv';
SELECT probe('SELECT hard_fv() > ''2000-01-01'' AS x');
CREATE OR REPLACE VIEW hard_vv AS SELECT clock_timestamp() AS ts;
SELECT probe('SELECT hard_fv() > ''2000-01-01'' AS x');
-- ... and holds for one role: a function's own search_path can say "$user"
CREATE SCHEMA hard_app AUTHORIZATION hard_app;
CREATE VIEW public.hard_uv AS SELECT '2020-01-01 00:00+00'::timestamptz AS ts;
GRANT SELECT ON public.hard_uv TO PUBLIC;
CREATE VIEW hard_app.hard_uv AS SELECT clock_timestamp() AS ts;
ALTER VIEW hard_app.hard_uv OWNER TO hard_app;
CREATE FUNCTION hard_uf() RETURNS timestamptz LANGUAGE sql STABLE
  SET search_path = "$user", public AS 'SELECT ts FROM hard_uv';
SELECT probe('SELECT hard_uf() > ''2000-01-01'' AS x');
SET ROLE hard_app;
SELECT probe('SELECT hard_uf() > ''2000-01-01'' AS x');
RESET ROLE;
-- a polymorphic argument shown as text is judged by its type
SELECT probe('SELECT ''id-'' || 42 AS g');
SELECT probe('SELECT ''id-'' || 42 AS g');
SELECT probe('SELECT quote_literal(''2020-01-01''::date) AS q');
SELECT probe('SELECT ''at '' || now() IS NOT NULL AS t');
SELECT probe('SELECT ''t:'' || ''hard_ev''::regclass AS t');
-- domain checks run when a value is converted to the domain
CREATE DOMAIN hard_notpast AS date CHECK (VALUE >= current_date);
CREATE TABLE hard_dd (d date);
INSERT INTO hard_dd VALUES ('2999-01-01');
SELECT probe('SELECT d::hard_notpast AS x FROM hard_dd');
SELECT probe('SELECT $1::hard_notpast AS x', '["2999-01-01"]');
SELECT probe('SELECT d FROM hard_dd');
CREATE DOMAIN hard_positive AS int CHECK (VALUE > 0);
SELECT probe('SELECT 5::hard_positive AS x');
SELECT probe('SELECT 5::hard_positive AS x');
ALTER DOMAIN hard_positive ADD CONSTRAINT hard_positive_now CHECK (now() > '2000-01-01');
SELECT probe('SELECT 6::hard_positive AS x');
CREATE FUNCTION hard_np() RETURNS hard_notpast LANGUAGE sql STABLE
  AS $$ SELECT '2999-01-01'::date $$;
SELECT probe('SELECT hard_np() AS x');
CREATE TABLE hard_rec (a int, p hard_notpast);
SELECT probe('SELECT (jsonb_populate_record(NULL::hard_rec, ''{"a": 1}'')).a AS a');
-- a row type's verdict follows its columns
CREATE TABLE hard_r (a int);
SELECT probe('SELECT (jsonb_populate_record(NULL::hard_r, ''{"a": 1}'')).a AS a');
ALTER TABLE hard_r ADD COLUMN ts timestamptz;
SELECT probe('SELECT (jsonb_populate_record(NULL::hard_r, ''{"a": 1, "ts": "now"}'')).a AS a');

-- === 3. catalog changes that change results flush ===
CREATE TEXT SEARCH CONFIGURATION hard_cfg (COPY = english);
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
ALTER TEXT SEARCH CONFIGURATION hard_cfg ALTER MAPPING FOR asciiword WITH simple;
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
CREATE TEXT SEARCH DICTIONARY hard_dict (TEMPLATE = simple, STOPWORDS = english);
ALTER TEXT SEARCH CONFIGURATION hard_cfg ALTER MAPPING FOR asciiword WITH hard_dict;
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
ALTER TEXT SEARCH DICTIONARY hard_dict (ACCEPT = false);
SELECT probe('SELECT to_tsvector(''hard_cfg'', ''The running dogs'') AS v');
-- a composite type's attributes, seen through row_to_json
CREATE TYPE hard_pair AS (a int, b int);
SELECT probe('SELECT row_to_json(ROW(1, 2)::hard_pair) AS j');
SELECT probe('SELECT row_to_json(ROW(1, 2)::hard_pair) AS j');
ALTER TYPE hard_pair RENAME ATTRIBUTE a TO x;
SELECT probe('SELECT row_to_json(ROW(1, 2)::hard_pair) AS j');
-- reg* values show objects by name, and an index's name changes without a
-- flush: a reg* value shown in the result (or as text) is not cached; one
-- taken as an OID is (to_tsvector's regconfig above), but not a regclass,
-- whose name can come to mean another relation without a flush
CREATE TABLE hard_named (id int);
INSERT INTO hard_named VALUES (1);
CREATE INDEX hard_named_idx ON hard_named (id);
SELECT probe('SELECT ''hard_named''::regclass::text AS r');
SELECT probe('SELECT ''hard_named''::regclass AS r');
SELECT probe('SELECT format(''%s'', ''hard_named''::regclass) AS r');
SELECT probe('SELECT ARRAY[''hard_named''::regclass] AS r');
SELECT probe('SELECT row_to_json(row(''hard_named''::regclass)) AS r');
SELECT probe('SELECT ''hard_named_idx''::regclass AS r');
SELECT probe('SELECT count(*) AS n FROM hard_named WHERE tableoid = ''hard_named''::regclass');
SELECT probe('SELECT $1::regclass::oid > 0 AS o', '["hard_named_idx"]');
SELECT probe($$SELECT x FROM jsonb_to_record('{"r": "hard_named_idx"}') AS x(r regclass)$$);
SELECT probe('SELECT ''simple''::regconfig::oid > 0 AS o');
SELECT probe('SELECT ''simple''::regconfig::oid > 0 AS o');
-- a relation renamed onto a name that shadows another one on the
-- search_path flushes, even when an index took and left the old name
CREATE SCHEMA hard_s1;
CREATE TABLE public.hard_shadow AS SELECT 'public' AS src;
CREATE TABLE hard_s1.hard_x AS SELECT 's1' AS src;
SET search_path = hard_s1, public, cascade_cache;
SELECT probe('SELECT src FROM hard_shadow');
SELECT probe('SELECT src FROM hard_shadow');
BEGIN;
ALTER TABLE hard_s1.hard_x RENAME TO hard_shadow;
CREATE INDEX hard_x ON hard_s1.hard_shadow (src);
DROP INDEX hard_s1.hard_x;
COMMIT;
SELECT probe('SELECT src FROM hard_shadow');
-- an index created with, or renamed to, the name of a relation of a schema
-- later on the search_path hides it (the query now fails): that flushes.
-- An index whose name no other relation has flushes nothing.
CREATE FUNCTION probe_or_state(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN probe(q);
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE;
END $$;
CREATE TABLE public.hard_hidden (v int);
INSERT INTO public.hard_hidden VALUES (42);
CREATE TABLE public.hard_hidden2 (v int);
INSERT INTO public.hard_hidden2 VALUES (43);
CREATE TABLE hard_s1.hard_other (x int);
SELECT probe_or_state('SELECT v FROM hard_hidden');
SELECT probe_or_state('SELECT v FROM hard_hidden');
CREATE INDEX hard_other_x ON hard_s1.hard_other (x);
SELECT probe_or_state('SELECT v FROM hard_hidden');
CREATE INDEX hard_hidden ON hard_s1.hard_other (x);
SELECT probe_or_state('SELECT v FROM hard_hidden');
SELECT probe_or_state('SELECT v FROM hard_hidden2');
SELECT probe_or_state('SELECT v FROM hard_hidden2');
ALTER INDEX hard_s1.hard_other_x RENAME TO hard_hidden2;
SELECT probe_or_state('SELECT v FROM hard_hidden2');
SET search_path = public, cascade_cache;
-- an enum label renamed
CREATE TYPE hard_mood AS ENUM ('sad', 'ok');
SELECT probe('SELECT ''ok''::hard_mood::text AS m, enum_range(NULL::hard_mood) AS r');
ALTER TYPE hard_mood RENAME VALUE 'ok' TO 'fine';
SELECT probe('SELECT enum_range(NULL::hard_mood) AS r');
-- the database's owner (the member of pg_database_owner) changing flushes
SELECT current_database() AS db, datdba::regrole AS db_owner
  FROM pg_database WHERE datname = current_database() \gset
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT 40 + 2 AS answer');
ALTER DATABASE :"db" OWNER TO hard_app;
SELECT probe('SELECT 40 + 2 AS answer');
ALTER DATABASE :"db" OWNER TO :"db_owner";
-- a new table that could shadow another name flushes
SELECT probe('SELECT 40 + 2 AS answer');
CREATE TABLE hard_new (a int);
SELECT probe('SELECT 40 + 2 AS answer');

-- ... and those that cannot change a result do not: indexes, statistics,
-- VACUUM, privileges on a table, REINDEX (the table's own readers excepted)
CREATE TABLE hard_quiet (id int, v text);
INSERT INTO hard_quiet VALUES (1, 'q');
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0, invalidations AS i0 FROM cache_stats() \gset
CREATE INDEX hard_quiet_id ON hard_quiet (id);
ANALYZE hard_quiet;
VACUUM hard_quiet;
GRANT SELECT ON hard_quiet TO PUBLIC;
REVOKE SELECT ON hard_quiet FROM PUBLIC;
REINDEX TABLE hard_quiet;
DROP INDEX hard_quiet_id;
SELECT entries = :e0 AS kept, invalidations = :i0 AS nothing_invalidated FROM cache_stats();
SELECT probe('SELECT 40 + 2 AS answer');
-- nor do CLUSTER, VACUUM FULL and REFRESH MATERIALIZED VIEW, whose new
-- copy of the table is created and dropped unseen, nor OWNER TO (the row
-- type's owner); the readers of the relation itself are invalidated
CREATE INDEX hard_quiet_id ON hard_quiet (id);
CREATE MATERIALIZED VIEW hard_quiet_mv AS SELECT * FROM hard_quiet;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT v FROM hard_quiet WHERE id = 1');
SELECT probe('SELECT count(*) AS n FROM hard_quiet_mv');
SELECT entries AS e0 FROM cache_stats() \gset
CLUSTER hard_quiet USING hard_quiet_id;
SELECT entries = :e0 - 1 AS only_its_reader FROM cache_stats();
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT v FROM hard_quiet WHERE id = 1');
VACUUM FULL hard_quiet;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT v FROM hard_quiet WHERE id = 1');
INSERT INTO hard_quiet VALUES (2, 'r');
REFRESH MATERIALIZED VIEW hard_quiet_mv;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT count(*) AS n FROM hard_quiet_mv');
ALTER TABLE hard_quiet OWNER TO hard_app;
ALTER TABLE hard_quiet OWNER TO CURRENT_USER;
ALTER MATERIALIZED VIEW hard_quiet_mv OWNER TO hard_app;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT count(*) AS n FROM hard_quiet_mv');
DROP MATERIALIZED VIEW hard_quiet_mv;
-- but an existing function replaced and then dropped in one transaction was
-- seen by everyone: CREATE OR REPLACE runs the creation hook too, and only
-- a new catalog row counts as created here
CREATE FUNCTION hard_rd(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE FUNCTION hard_rd(numeric) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2';
CREATE FUNCTION hard_rd0() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 7';
CREATE AGGREGATE hard_rd_agg(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
SELECT probe('SELECT hard_rd(1) AS x');
SELECT probe('SELECT hard_rd0() AS y');
SELECT probe('SELECT hard_rd_agg(x) AS s FROM (VALUES (1), (2)) v(x)');
BEGIN;
CREATE OR REPLACE FUNCTION hard_rd(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
DROP FUNCTION hard_rd(int);
CREATE OR REPLACE FUNCTION hard_rd0() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 7';
DROP FUNCTION hard_rd0();
CREATE OR REPLACE AGGREGATE hard_rd_agg(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
DROP AGGREGATE hard_rd_agg(int);
COMMIT;
SELECT probe('SELECT hard_rd(1) AS x');
SELECT hard_s1.probe_or_state('SELECT hard_rd0() AS y');
SELECT hard_s1.probe_or_state('SELECT hard_rd_agg(x) AS s FROM (VALUES (1), (2)) v(x)');
-- one created, replaced and dropped in one transaction was seen by nobody
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0, invalidations AS i0 FROM cache_stats() \gset
BEGIN;
CREATE FUNCTION hard_rd_new() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE OR REPLACE FUNCTION hard_rd_new() RETURNS int LANGUAGE sql AS 'SELECT 2';
DROP FUNCTION hard_rd_new();
COMMIT;
SELECT entries = :e0 AS kept, invalidations = :i0 AS nothing_invalidated FROM cache_stats();
-- nor one whose drop a rolled-back subtransaction undid: it exists, new
SELECT probe('SELECT hard_rd(1) AS x');
BEGIN;
CREATE FUNCTION hard_rd(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
SAVEPOINT s;
DROP FUNCTION hard_rd(int);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT probe('SELECT hard_rd(1) AS x');
-- nor the name of one created and dropped that another object took or left
-- in the same transaction: an index renamed to it, which hides a table of
-- a later schema; an array type PostgreSQL moved out of its way
CREATE SCHEMA hard_un1;
CREATE SCHEMA hard_un2;
CREATE TABLE hard_un2.w (x int);
INSERT INTO hard_un2.w VALUES (1);
CREATE TABLE hard_un2.v (x int);
CREATE TABLE hard_un1.holder (x int);
CREATE INDEX holder_x ON hard_un1.holder (x);
SET search_path = hard_un1, hard_un2, public, cascade_cache;
SELECT probe('SELECT x FROM w');
SELECT probe($q$SELECT '{"(1)"}'::_v AS a$q$);
BEGIN;
CREATE TABLE hard_un1.w (x int);
DROP TABLE hard_un1.w;
ALTER INDEX hard_un1.holder_x RENAME TO w;
COMMIT;
SELECT hard_s1.probe_or_state('SELECT x FROM w');
BEGIN;
CREATE TYPE hard_un2._v AS ENUM ('z');
DROP TYPE hard_un2._v;
ANALYZE hard_un2.v;
COMMIT;
SELECT hard_s1.probe_or_state($q$SELECT '{"(1)"}'::_v AS a$q$);
SET search_path = public, cascade_cache;
DROP FUNCTION hard_rd(int);
DROP FUNCTION hard_rd(numeric);
DROP SCHEMA hard_un1 CASCADE;
DROP SCHEMA hard_un2 CASCADE;

-- a partition detached concurrently (the first of its transactions sees it
-- as a partition whose parent no longer lists it)
CREATE TABLE hard_dp (k int) PARTITION BY RANGE (k);
CREATE TABLE hard_dp1 PARTITION OF hard_dp FOR VALUES FROM (0) TO (10);
INSERT INTO hard_dp VALUES (1);
SELECT probe('SELECT count(*) AS n FROM hard_dp');
ALTER TABLE hard_dp DETACH PARTITION hard_dp1 CONCURRENTLY;
SELECT probe('SELECT count(*) AS n FROM hard_dp');
-- COPY invalidates the table it was given, even when a trigger changes
-- the search_path before the name is looked at again
CREATE SCHEMA hard_other;
CREATE TABLE hard_ct (v int);
INSERT INTO hard_ct VALUES (1);
CREATE FUNCTION hard_ct_trg() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN PERFORM set_config('search_path', 'hard_other', false); RETURN NEW; END$$;
CREATE TRIGGER hard_ct_trg BEFORE INSERT ON hard_ct FOR EACH ROW EXECUTE FUNCTION hard_ct_trg();
SELECT probe('SELECT sum(v) AS s FROM public.hard_ct');
COPY hard_ct FROM STDIN;
5
\.
SET search_path = public, cascade_cache;
SELECT probe('SELECT sum(v) AS s FROM public.hard_ct');
-- precise lookups only through the type's own equality: an index with a
-- case-insensitive operator class on a key column is no lookup
CREATE TABLE hard_ci (id int PRIMARY KEY, email text UNIQUE);
INSERT INTO hard_ci VALUES (0, 'alice@x'), (1, 'carol@x');
SELECT cascade_watch('hard_ci');
CREATE FUNCTION hard_ci_eq(text, text) RETURNS bool LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT lower($1) = lower($2)';
CREATE FUNCTION hard_ci_hash(text) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT hashtext(lower($1))';
CREATE OPERATOR =~= (LEFTARG = text, RIGHTARG = text, FUNCTION = hard_ci_eq);
CREATE OPERATOR CLASS hard_ci_ops FOR TYPE text USING hash AS
  OPERATOR 1 =~=, FUNCTION 1 hard_ci_hash(text);
CREATE INDEX hard_ci_email_ci ON hard_ci USING hash (email hard_ci_ops);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT probe('SELECT id, email FROM hard_ci WHERE email =~= $1', '["ALICE@X"]');
SELECT probe('SELECT id, email FROM hard_ci WHERE email =~= $1', '["ALICE@X"]');
UPDATE hard_ci SET email = 'bob@x' WHERE id = 0;
SELECT probe('SELECT id, email FROM hard_ci WHERE email =~= $1', '["ALICE@X"]');
RESET enable_seqscan;
RESET enable_bitmapscan;
-- a cached_query() nested in the query (or in a function it calls) is
-- judged like the outer query
SELECT probe($$SELECT cascade_cache.cached_query('SELECT now() > ''2000-01-01'' AS t') AS i$$);
CREATE FUNCTION hard_wq() RETURNS jsonb LANGUAGE sql STABLE
  AS $$SELECT cascade_cache.cached_query('SELECT random() < 2 AS r')$$;
SELECT probe('SELECT hard_wq() AS w');
SELECT probe('SELECT hard_wq() AS w');
SELECT probe($$SELECT cascade_cache.cached_query('SELECT 1 AS one') AS i$$);
SELECT probe($$SELECT cascade_cache.cached_query('SELECT 1 AS one') AS i$$);

-- === 4. row-level security anywhere in the fill ===
CREATE TABLE hard_docs (id int, tenant text, body text);
INSERT INTO hard_docs VALUES (1, 't1', 'one'), (2, 't2', 'two');
ALTER TABLE hard_docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON hard_docs USING (tenant = current_setting('app.tenant'));
GRANT SELECT ON hard_docs TO hard_app;
CREATE FUNCTION docs_of_tenant() RETURNS text LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN (SELECT string_agg(body, ',') FROM hard_docs); END $$;
SET cascade_cache.key_settings = 'app.tenant';
SET cascade_cache.trusted_functions = 'docs_of_tenant';
SET ROLE hard_app;
SET app.tenant = 't1';
SELECT probe('SELECT docs_of_tenant() AS d');
SET app.tenant = 't2';
SELECT probe('SELECT docs_of_tenant() AS d');
SET app.tenant = 't1';
SELECT probe('SELECT docs_of_tenant() AS d');
RESET ROLE;
-- a policy that reads the clock, seen at store time through a function
CREATE POLICY recent ON hard_docs AS RESTRICTIVE USING (now() > '2000-01-01');
SET ROLE hard_app;
SELECT probe('SELECT docs_of_tenant() AS d');
RESET ROLE;
DROP POLICY recent ON hard_docs;
RESET cascade_cache.trusted_functions;
RESET cascade_cache.key_settings;

-- === 5. bad input gets PostgreSQL's own checks ===
CREATE DOMAIN hard_json AS jsonb CHECK (VALUE ? 'ok');
CREATE DOMAIN hard_short AS int[] CHECK (cardinality(VALUE) < 3);
CREATE DOMAIN hard_nn AS int NOT NULL;
\set VERBOSITY sqlstate
SELECT cached_query('SELECT $1::hard_json AS j', '[{"nope": 1}]');
SELECT cached_query('SELECT $1::hard_short AS a', '[[1, 2, 3]]');
SELECT cached_query('SELECT $1::hard_nn AS n', '[null]');
SELECT cached_query('SELECT $1::hard_nn[] AS n', '[[1, null]]');
-- (the same as PREPARE / EXECUTE)
PREPARE p_json(hard_json) AS SELECT $1;
EXECUTE p_json('{"nope": 1}');
PREPARE p_nn(hard_nn) AS SELECT $1;
EXECUTE p_nn(NULL);
\set VERBOSITY default
SELECT cached_query('SELECT $1::hard_json AS j', '[{"ok": 1}]');
SELECT cached_query('SELECT $1::hard_nn[] AS n', '[[1, 2]]');
-- ttl: a clear error instead of an overflow
SELECT cached_query('SELECT 1 AS one', '[]', '100000000 years');
SELECT cached_query('SELECT 1 AS one', '[]', '2147483647 days');
SELECT cached_query('SELECT 1 AS one', '[]', make_interval(days => 2147483647, hours => 2147483647));
SELECT cached_query('SELECT 1 AS one', '[]', '-1 second');
SELECT cached_query('SELECT 1 AS one', '[]', '100 years') AS ok;
-- configurable cascade limits, recorded as failures
SET cascade_cache.cascade_max_updated = 2;
SELECT cascade_invalidate('{"updated": [{"__typename": "T", "id": 1}, {"__typename": "T", "id": 2}, {"__typename": "T", "id": 3}]}');
RESET cascade_cache.cascade_max_updated;
SET cascade_cache.cascade_max_invalidations = 1;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "a"}, {"queryName": "b"}]}');
RESET cascade_cache.cascade_max_invalidations;
SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
         jsonb_build_object('__typename', repeat('T', 200), 'id', 1))));
SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
         jsonb_build_object('__typename', 'T', 'id', repeat('9', 2000)))));
SET cascade_cache.invalid_cascade = 'error';
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": 7, "scope": "PATTERN"}]}');
RESET cascade_cache.invalid_cascade;
SELECT status, left(error, 60) AS error FROM cascade_audit ORDER BY id DESC LIMIT 4;
-- an index on the audit table that could make the insert wait (unique, or
-- running functions) costs the row, never the commit
CREATE UNIQUE INDEX hard_audit_uq ON cascade_cache.audit_log (id);
SELECT audit_rows_dropped AS dropped0 FROM cascade_metrics \gset
SELECT cascade_invalidate('{"updated": [{"__typename": "Uq", "id": 1}]}');
SELECT audit_rows_dropped - :dropped0 AS dropped FROM cascade_metrics;
DROP INDEX cascade_cache.hard_audit_uq;
-- so does a sequence at its limit (set by hand), foreseen rather than
-- caught, in a transaction block too
SELECT last_value AS audit_last FROM cascade_cache.audit_seq \gset
ALTER SEQUENCE cascade_cache.audit_seq MAXVALUE :audit_last;
BEGIN;
SELECT cascade_invalidate('{"updated": [{"__typename": "Spent", "id": 1}]}');
COMMIT;
SELECT audit_rows_dropped - :dropped0 AS dropped FROM cascade_metrics;
ALTER SEQUENCE cascade_cache.audit_seq NO MAXVALUE;
-- the audit never fails a commit: many large cascades in one transaction
-- are kept as a note of their size
BEGIN;
SELECT count(*) FROM (
  SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
           jsonb_build_object('__typename', 'Big', 'id', g, 'blob', repeat('x', 4 * 1024 * 1024)))))
    FROM generate_series(1, 70) g) s;
COMMIT;
SELECT status, payload_truncated, payload->'truncated' AS truncated,
       (payload->>'bytes')::bigint > 280000000 AS big, payload->'cascades' AS cascades,
       entity_count
  FROM cascade_audit ORDER BY id DESC LIMIT 1;
-- several small ones over audit_max_payload: the same
SET cascade_cache.audit_max_payload = '1kB';
BEGIN;
SELECT cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(
         jsonb_build_object('__typename', 'Small', 'id', g, 'pad', repeat('y', 600)))))
  FROM generate_series(1, 3) g;
COMMIT;
SELECT payload_truncated, payload->'cascades' AS cascades, entity_count
  FROM cascade_audit ORDER BY id DESC LIMIT 1;
RESET cascade_cache.audit_max_payload;
SELECT audit_rows_truncated AS truncated, audit_rows_dropped AS dropped FROM cascade_metrics;
-- the application role: the audit is trimmed without its privileges, and
-- its commits never fail
ALTER SYSTEM SET cascade_cache.audit_max_rows = 10;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SHOW cascade_cache.audit_max_rows;
SET ROLE hard_app;
DO $$
BEGIN
  FOR i IN 1..60 LOOP
    PERFORM cascade_cache.cascade_invalidate(jsonb_build_object('updated',
              jsonb_build_array(jsonb_build_object('__typename', 'App', 'id', i))));
    COMMIT;
  END LOOP;
END $$;
RESET ROLE;
SELECT count(*) <= 30 AS bounded, max(entity_count) AS entities
  FROM cascade_cache.audit_log WHERE role = 'hard_app';
ALTER SYSTEM RESET cascade_cache.audit_max_rows;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);

-- === 6. bounded work: a PATTERN that backtracking matchers choke on ===
SET statement_timeout = '20s';
SELECT count(*) FROM (
  SELECT cached_query('SELECT $1::int AS i', jsonb_build_array(g), '0', repeat('a', 1000) || g)
    FROM generate_series(1, 200) g) s;
SELECT cascade_invalidate(jsonb_build_object('invalidations', jsonb_build_array(
         jsonb_build_object('queryPattern', repeat('*a', 40) || '*b', 'scope', 'PATTERN'))));
SELECT cascade_invalidate(jsonb_build_object('invalidations', jsonb_build_array(
         jsonb_build_object('queryPattern', repeat('*a', 40) || '*9', 'scope', 'PATTERN'))));
RESET statement_timeout;
-- glob semantics
SELECT cached_query('SELECT 1 AS one', '[]', NULL, n) IS NOT NULL
  FROM unnest(ARRAY['getUser', 'getUsers', 'listUsers', 'a*b', 'axb']) n;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "get?ser", "scope": "PATTERN"}]}') AS get_user;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "*Users", "scope": "PATTERN"}]}') AS users;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "a\\*b", "scope": "PATTERN"}]}') AS escaped;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "a*b", "scope": "PATTERN"}]}') AS star;
-- '?' is one character, also a multibyte one
SELECT cached_query('SELECT 1 AS one', '[]', NULL, 'café') IS NOT NULL AS stored;
SELECT cascade_invalidate('{"invalidations": [{"queryPattern": "caf?", "scope": "PATTERN"}]}') AS one_char;
-- a query name is never empty (NULL: no name)
SELECT cached_query('SELECT 1 AS one', '[]', NULL, '');

-- === 7. who may empty the cache ===
-- an unprivileged role changing its password flushes nothing
GRANT SELECT ON sample_t TO hard_app;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0, invalidations AS i0 FROM cache_stats() \gset
SET ROLE hard_app;
ALTER ROLE CURRENT_USER PASSWORD 'not-a-flush';
RESET ROLE;
SELECT entries = :e0 AS kept, invalidations = :i0 AS nothing_invalidated FROM cache_stats();
SELECT probe('SELECT 40 + 2 AS answer');
-- a role attribute that can change results flushes everything
ALTER ROLE hard_app BYPASSRLS;
SELECT probe('SELECT 40 + 2 AS answer');
ALTER ROLE hard_app NOBYPASSRLS;

-- ... but an attribute changed in the same transaction as a password
-- flushes
SELECT probe('SELECT 40 + 2 AS answer');
BEGIN;
ALTER ROLE hard_app PASSWORD 'not-a-flush';
ALTER ROLE hard_app BYPASSRLS;
COMMIT;
SELECT probe('SELECT 40 + 2 AS answer');
SELECT probe('SELECT 40 + 2 AS answer');
BEGIN;
ALTER ROLE hard_app NOBYPASSRLS;
ALTER ROLE hard_app PASSWORD 'not-a-flush';
COMMIT;
SELECT probe('SELECT 40 + 2 AS answer');

-- === 8. PostgreSQL's internal rules ===
-- a cached_query pre-evaluated by the planner inside a fill is a nested
-- bypass, and leaves no in-flight slot behind
CREATE FUNCTION wrap_cached() RETURNS jsonb LANGUAGE sql IMMUTABLE
  AS $$ SELECT cascade_cache.cached_query('SELECT 7 AS seven') $$;
SELECT probe('SELECT wrap_cached() AS w');
SELECT probe('SELECT wrap_cached() AS w');
SELECT inflight FROM coalesce_metrics;
-- entries that read the audit table are invalidated by new audit rows
SELECT probe('SELECT count(*) > 0 AS any FROM cascade_cache.audit_log');
SELECT probe('SELECT count(*) > 0 AS any FROM cascade_cache.audit_log');
SELECT cascade_invalidate('{"updated": [{"__typename": "AuditMe", "id": 1}]}');
SELECT probe('SELECT count(*) > 0 AS any FROM cascade_cache.audit_log');
SELECT probe('SELECT count(*) > 0 AS any FROM cascade_cache.audit_log');
SELECT cache_flush() >= 0 AS ok;
SELECT probe('SELECT count(*) > 0 AS any FROM cascade_cache.audit_log');

-- === 9. objects of a temporary schema ===
-- (temporary objects made in another session are in t/014_hardening.pl)
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0, invalidations AS i0 FROM cache_stats() \gset
CREATE FUNCTION pg_temp.secret() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 41';
CREATE TEMP TABLE hard_tmp (a int PRIMARY KEY, b text CHECK (b <> ''), c serial);
CREATE TEMP VIEW hard_tmp_v AS SELECT a FROM hard_tmp;
CREATE TYPE pg_temp.hard_tmp_enum AS ENUM ('a');
CREATE TYPE pg_temp.hard_tmp_pair AS (a int);
CREATE DOMAIN pg_temp.hard_tmp_dom AS int CHECK (VALUE > 0);
CREATE FUNCTION pg_temp.hard_eq(pg_temp.hard_tmp_pair, pg_temp.hard_tmp_pair)
  RETURNS bool LANGUAGE sql AS 'SELECT $1.a = $2.a';
CREATE OPERATOR pg_temp.=== (LEFTARG = pg_temp.hard_tmp_pair,
                             RIGHTARG = pg_temp.hard_tmp_pair,
                             FUNCTION = pg_temp.hard_eq);
CREATE CAST (pg_temp.hard_tmp_pair AS text) WITH INOUT;
CREATE AGGREGATE pg_temp.hard_sum(int) (SFUNC = int4pl, STYPE = int);
CREATE COLLATION pg_temp.hard_coll (provider = libc, locale = 'C');
CREATE TYPE pg_temp.hard_range AS RANGE (subtype = int4);
-- renaming them too
CREATE TEMP TABLE hard_tmp_named (x int);
ALTER TABLE hard_tmp_named RENAME TO hard_tmp_renamed;
ALTER TABLE hard_tmp_renamed RENAME COLUMN x TO y;
CREATE FUNCTION pg_temp.to_rename() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION pg_temp.to_rename() RENAME TO renamed;
CREATE TYPE pg_temp.type_to_rename AS (a int);
ALTER TYPE pg_temp.type_to_rename RENAME TO type_renamed;
-- creating them flushed nothing
SELECT entries = :e0 AS kept, invalidations = :i0 AS nothing_invalidated FROM cache_stats();
-- but text search configurations, dictionaries and conversions of a
-- temporary schema flush: a query reaches them unseen (a regconfig
-- column, an integer cast to regconfig, default_text_search_config,
-- convert())
SELECT probe('SELECT 40 + 2 AS answer');
SELECT invalidations AS i1 FROM cache_stats() \gset
CREATE TEXT SEARCH DICTIONARY pg_temp.hard_tdict (TEMPLATE = simple, STOPWORDS = english);
SELECT invalidations > :i1 AS flushed FROM cache_stats();
CREATE TEXT SEARCH CONFIGURATION pg_temp.hard_tcfg (COPY = simple);
CREATE CONVERSION pg_temp.hard_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE TABLE hard_tsdocs (cfg regconfig, body text);
INSERT INTO hard_tsdocs VALUES ('pg_temp.hard_tcfg', 'the fat cats');
SELECT probe('SELECT to_tsvector(cfg, body) AS v FROM hard_tsdocs');
SELECT probe('SELECT to_tsvector(cfg, body) AS v FROM hard_tsdocs');
ALTER TEXT SEARCH CONFIGURATION pg_temp.hard_tcfg
  ALTER MAPPING FOR asciiword WITH pg_temp.hard_tdict;
SELECT probe('SELECT to_tsvector(cfg, body) AS v FROM hard_tsdocs');
-- and nothing that uses them is cached
SELECT probe('SELECT pg_temp.secret() AS s');
CREATE FUNCTION uses_temp() RETURNS int LANGUAGE sql STABLE AS 'SELECT pg_temp.secret()';
SELECT probe('SELECT uses_temp() AS s');
SELECT probe('SELECT count(*) FROM hard_tmp_v');
SELECT probe('SELECT ''a''::pg_temp.hard_tmp_enum AS e');
SELECT probe('SELECT ROW(1)::pg_temp.hard_tmp_pair OPERATOR(pg_temp.===) ROW(1)::pg_temp.hard_tmp_pair AS eq');
SELECT probe('SELECT 5::pg_temp.hard_tmp_dom AS d');
SELECT probe('SELECT pg_temp.hard_sum(g) AS s FROM generate_series(1, 3) g');
SELECT probe('SELECT ''a'' < ''b'' COLLATE pg_temp.hard_coll AS lt');
-- reg* values that name them, read as OIDs while the query is analyzed
-- or its parameters bound
SELECT probe('SELECT to_tsvector(''pg_temp.hard_tcfg'', ''fat cats'') AS v');
SELECT probe('SELECT to_tsvector($1::regconfig, ''fat cats'') AS v', '["pg_temp.hard_tcfg"]');
SELECT probe('SELECT ''pg_temp.hard_tmp_pair''::regtype::oid > 0 AS t');
SELECT probe('SELECT $1::regtype::oid > 0 AS t', '["pg_temp.hard_tmp_pair"]');
SELECT probe('SELECT array_length($1::regconfig[], 1) AS n', '[["simple", "pg_temp.hard_tcfg"]]');
-- a default_text_search_config naming one: cached, and its change flushes
SET default_text_search_config = 'pg_temp.hard_tcfg';
SELECT probe('SELECT to_tsvector(''the fat cats'') AS v');
SELECT probe('SELECT to_tsvector(''the fat cats'') AS v');
ALTER TEXT SEARCH CONFIGURATION pg_temp.hard_tcfg
  ALTER MAPPING FOR asciiword WITH simple;
SELECT probe('SELECT to_tsvector(''the fat cats'') AS v');
RESET default_text_search_config;
SELECT probe('SELECT to_tsvector(''simple'', ''fat cats'') AS v');
SELECT probe('SELECT to_tsvector(''simple'', ''fat cats'') AS v');
DROP TABLE hard_tsdocs;
DROP TEXT SEARCH CONFIGURATION pg_temp.hard_tcfg;
DROP TEXT SEARCH DICTIONARY pg_temp.hard_tdict;
DROP CONVERSION pg_temp.hard_conv;
-- a cast to a temporary type from another type flushes: a permanent
-- function can take a temporary type, and the cast changes which function
-- another session's call resolves to (specs/temp_schema_reach.spec)
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0 FROM cache_stats() \gset
CREATE CAST (int AS pg_temp.hard_tmp_enum) WITH INOUT AS IMPLICIT;
SELECT entries < :e0 AS flushed FROM cache_stats();
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0 FROM cache_stats() \gset
DROP CAST (int AS pg_temp.hard_tmp_enum);
SELECT entries < :e0 AS flushed FROM cache_stats();
-- this session's keys are its own now; dropping the objects flushes nothing
SELECT probe('SELECT 40 + 2 AS answer');
SELECT entries AS e0, invalidations AS i0 FROM cache_stats() \gset
DROP CAST (pg_temp.hard_tmp_pair AS text);
DROP OPERATOR pg_temp.=== (pg_temp.hard_tmp_pair, pg_temp.hard_tmp_pair);
DISCARD TEMP;
SELECT entries = :e0 AS kept, invalidations = :i0 AS nothing_invalidated FROM cache_stats();

-- subtransactions rolled back while a transaction block commits or is
-- prepared: the analysis of a SQL function's body (always rolled back) in
-- a WITH HOLD cursor run at COMMIT; a kept plan's generic plan that fails,
-- in a deferred trigger at COMMIT and at PREPARE TRANSACTION.  (Rolled
-- back into the committing block, they would trip an assertion of
-- PostgreSQL 15 in assert-enabled builds: the debug suite runs this.)
CREATE FUNCTION hard_hold_f(int) RETURNS int LANGUAGE sql STABLE
  AS 'SELECT $1 + 1';
BEGIN;
DECLARE hard_hold CURSOR WITH HOLD FOR
  SELECT cached_query('SELECT hard_hold_f(1) AS v') AS r;
COMMIT;
FETCH ALL FROM hard_hold;
CLOSE hard_hold;
CREATE TABLE hard_deferred (id int);
CREATE FUNCTION hard_deferred_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'deferred: %', cascade_cache.cached_query(
    format('SELECT CASE WHEN $1 > 0 THEN 1 ELSE %s / 0 END AS x', NEW.id), '[1]');
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER hard_deferred_t AFTER INSERT ON hard_deferred
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hard_deferred_trg();
SET plan_cache_mode = force_generic_plan;
SELECT cached_query('SELECT CASE WHEN $1 > 0 THEN 1 ELSE 1 / 0 END AS x', '[1]') AS kept1,
       cached_query('SELECT CASE WHEN $1 > 0 THEN 1 ELSE 2 / 0 END AS x', '[1]') AS kept2;
BEGIN;
INSERT INTO hard_deferred VALUES (1);
COMMIT;
BEGIN;
INSERT INTO hard_deferred VALUES (2);
PREPARE TRANSACTION 'hard_deferred';
COMMIT PREPARED 'hard_deferred';
RESET plan_cache_mode;
SELECT count(*) AS deferred_rows FROM hard_deferred;
DROP TABLE hard_deferred;
DROP FUNCTION hard_deferred_trg(), hard_hold_f(int);

-- every reason seen in this file
SELECT reason FROM cache_bypass_stats() WHERE count > 0 ORDER BY reason;
DROP OWNED BY hard_app;
DROP ROLE hard_app;
