# Failing closed across sessions and servers: what one session's temporary
# objects, catalog changes and locks can and cannot do to another's cache,
# and a PATTERN invalidation that would make a backtracking matcher spin,
# run on a primary and replayed on a hot standby.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = cc_node('hardening', init => { allows_streaming => 1 });
$node->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, label text);
	INSERT INTO items VALUES (1, 'public one'), (2, 'public two');
	CREATE FUNCTION ident() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
	CREATE ROLE app LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO app;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
	                          cascade_cache.cascade_invalidate(jsonb) TO app;
	GRANT SELECT ON items TO app;
});

my $sa = cc_dbh($node);
my $sb = cc_dbh($node);
sub cq
{
	my ($dbh, $sql, $params) = @_;
	return $dbh->selectrow_array('SELECT cascade_cache.cached_query(?, ?::jsonb)::text',
		undef, $sql, $params // '[]');
}
sub stat_of
{
	my ($col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM cascade_cache.cache_stats()");
}

# --- a temporary table that shadows a name, in another session ---
is(cq($sa, 'SELECT label FROM items WHERE id = 1'), '[{"label": "public one"}]',
	'session A caches a read of public.items');
$sb->do(q{CREATE TEMP TABLE items (id int, label text)});
$sb->do(q{INSERT INTO items VALUES (1, 'temporary one')});
is(cq($sb, 'SELECT label FROM items WHERE id = 1'), '[{"label": "temporary one"}]',
	'session B reads its own temporary items, not A\'s entry');
is(cq($sa, 'SELECT label FROM items WHERE id = 1'), '[{"label": "public one"}]',
	'session A still reads public.items');

# --- within one session that already has a temporary schema ---
is(cq($sb, 'SELECT label FROM public.items WHERE id = 2'), '[{"label": "public two"}]',
	'B caches a qualified read');
$sb->do(q{DROP TABLE items});
is(cq($sb, 'SELECT label FROM items WHERE id = 1'), '[{"label": "public one"}]',
	'after B drops its temporary table, B reads public.items');
$sb->do(q{CREATE TEMP TABLE items (id int, label text)});
$sb->do(q{INSERT INTO items VALUES (1, 'temporary again')});
is(cq($sb, 'SELECT label FROM items WHERE id = 1'), '[{"label": "temporary again"}]',
	'a temporary table created later in the same session shadows the cached read');

# --- temporary functions of the same name in two sessions ---
$sa->do(q{CREATE FUNCTION pg_temp.f() RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'from A'$$});
$sb->do(q{CREATE FUNCTION pg_temp.f() RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'from B'$$});
is(cq($sa, 'SELECT pg_temp.f() AS f'), '[{"f": "from A"}]', 'A gets its pg_temp.f');
is(cq($sb, 'SELECT pg_temp.f() AS f'), '[{"f": "from B"}]', 'B gets its pg_temp.f');
is(cq($sa, 'SELECT pg_temp.f() AS f'), '[{"f": "from A"}]', 'A again gets its own');

# --- temporary objects never flush anyone's entries, even at disconnect ---
my $c = cc_dbh($node);
cq($c, 'SELECT ident() AS i');
cq($c, 'SELECT ident() AS i');
my ($inv0, $entries0) = split /\|/, $node->safe_psql('postgres',
	'SELECT invalidations, entries FROM cascade_cache.cache_stats()');
my $t = cc_dbh($node);
$t->do(q{CREATE TEMP TABLE scratch (a int PRIMARY KEY, b text DEFAULT 'x', c serial)});
$t->do(q{CREATE TEMP VIEW scratch_v AS SELECT a FROM scratch});
$t->do(q{CREATE FUNCTION pg_temp.g() RETURNS int LANGUAGE sql AS 'SELECT 2'});
$t->do(q{CREATE TYPE pg_temp.e AS ENUM ('x', 'y')});
$t->disconnect;
# the temporary objects are dropped as the backend exits
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_class WHERE relname = 'scratch' AND relpersistence = 't'})
  or die 'temporary table never dropped';
my ($inv1, $entries1) = split /\|/, $node->safe_psql('postgres',
	'SELECT invalidations, entries FROM cascade_cache.cache_stats()');
is($inv1, $inv0, 'a session with temporary objects came and went: nothing invalidated');
my $hits0 = stat_of('hits');
cq($c, 'SELECT ident() AS i');
is(stat_of('hits'), $hits0 + 1, 'and the other session still hits');

# --- an unprivileged role cannot flush the cache ---
my $app = DBI->connect(
	'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port,
	'app', undef, { AutoCommit => 1, RaiseError => 1, PrintError => 0 });
$app->do(q{ALTER ROLE CURRENT_USER PASSWORD 'x'}) for 1 .. 5;
$app->do(q{CREATE TEMP TABLE t (a int)});
$app->do(q{CREATE FUNCTION pg_temp.h() RETURNS int LANGUAGE sql AS 'SELECT 3'});
$app->do(q{DISCARD ALL});
is(stat_of('invalidations'), $inv1, 'password changes and temporary objects of an unprivileged role invalidate nothing');
$hits0 = stat_of('hits');
cq($c, 'SELECT ident() AS i');
is(stat_of('hits'), $hits0 + 1, 'the entry is still served');

# --- the audit table locked by hand costs a row, never the commit ---
my $locker = cc_dbh($node);
$locker->begin_work;
$locker->do('LOCK cascade_cache.audit_log IN ACCESS EXCLUSIVE MODE');
$app->{PrintWarn} = 0;
my $started = time;
$app->do(q{BEGIN});
$app->do(q{SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "Locked", "id": 1}]}')});
my $ok = eval { $app->do(q{COMMIT}); 1 };
ok($ok, 'COMMIT succeeds while the audit table is locked');
cmp_ok(time - $started, '<', 5, 'and does not wait for the lock');
$locker->rollback;
my $log = slurp_file($node->logfile);
like($log, qr/cascade_cache could not write an audit row: relation "audit_log" is locked/,
	'the server log has the WARNING');

# --- which columns are keys follows operator classes, in a long-lived writer ---
$node->safe_psql('postgres', q{
	CREATE TABLE mt (id int PRIMARY KEY, price money, label text);
	CREATE INDEX mt_price ON mt (price);
	INSERT INTO mt SELECT g, g::money, 'l' || g FROM generate_series(1, 10) g;
	SELECT cascade_cache.cascade_watch('mt');
});
my $writer = cc_dbh($node);
# the writer learns mt's key columns: id only (money has no hash support)
$writer->do(q{UPDATE mt SET label = label WHERE id = 1});
$node->safe_psql('postgres', q{
	CREATE FUNCTION money_hash(money) RETURNS int LANGUAGE sql IMMUTABLE STRICT
	  AS 'SELECT hashint8($1::numeric::int8)';
	CREATE OPERATOR CLASS money_hash_ops DEFAULT FOR TYPE money USING hash AS
	  OPERATOR 1 =, FUNCTION 1 money_hash(money);
});
$sa->do(q{SET enable_seqscan = off});
my $by_price = 'SELECT id, label FROM mt WHERE price = $1';
is(cq($sa, $by_price, '["$5.00"]'), '[{"id": 5, "label": "l5"}]',
	'a lookup by price, a key column now');
like($sa->selectrow_array(q{SELECT string_agg(e::text, ' ') FROM cascade_cache.cache_explain($1, '["$5.00"]') e},
		undef, $by_price),
	qr/mt\.price/, 'cache_explain shows the price key');
$writer->do(q{UPDATE mt SET price = 9999 WHERE id = 5});
is(cq($sa, $by_price, '["$5.00"]'), '[]',
	'the writer that knew mt before the operator class invalidates the lookup');
$sa->do(q{RESET enable_seqscan});

# --- a setting that comes back at the address of one freed: the key sees it ---
# Loading an extension frees the placeholders of the names it defines; a
# new placeholder can then be given the same memory, and the same place in
# the list of settings that hold a value (PostgreSQL 16 and later).  Each
# session is a new connection, so plpgsql (whose setting is the freed one)
# is loaded only by the LOAD below.
my $tenant_q = q{SELECT current_setting('app.tenant_id', true) AS t};
my $tq = $tenant_q =~ s/'/''/gr;
my $out_a = $node->safe_psql('postgres', qq{
	SET client_min_messages = error;
	SET plpgsql.extra_errors = 't1';
	SELECT cascade_cache.cached_query('SELECT 1 AS one');
	LOAD 'plpgsql';
	SET app.tenant_id = 't1';
	SELECT cascade_cache.cached_query('$tq');
});
like($out_a, qr/\[\{"t": "t1"\}\]/, 'a session with a tenant set after an extension freed a setting sees its tenant');
is($node->safe_psql('postgres', qq{
	SET plpgsql.extra_errors = 't1';
	SELECT cascade_cache.cached_query('$tq');
}), '[{"t": null}]', 'a session without the tenant does not get its entry');

# --- an error of the moment is no verdict ---
# lock_timeout while a SQL function's body is judged (its parse analysis
# locks the table it reads) fails the call; it must not leave the function
# judged untrusted, bypassing the cache in that session from then on.
$node->safe_psql('postgres', q{
	CREATE TABLE lt (v int); INSERT INTO lt VALUES (1);
	CREATE FUNCTION lt_count() RETURNS bigint STABLE LANGUAGE sql AS 'SELECT count(*) FROM lt';
});
$sb->begin_work;
$sb->do('LOCK lt IN ACCESS EXCLUSIVE MODE');
$sa->do(q{SET lock_timeout = '100ms'});
eval { cq($sa, 'SELECT lt_count() AS n') };
like($@, qr/lock timeout/, 'lock_timeout while the body is judged fails the call');
$sb->commit;
$sa->do('RESET lock_timeout');
my $misses0;
($hits0, $misses0) = split /\|/, stat_of('hits, misses');
is(cq($sa, 'SELECT lt_count() AS n'), '[{"n": 1}]', 'after the lock: the result');
is(cq($sa, 'SELECT lt_count() AS n'), '[{"n": 1}]', 'again');
is(stat_of('hits - ' . $hits0 . ', misses - ' . $misses0), '1|1',
	'cached: the timeout left no verdict behind');

# A missing privilege while a body is judged is no lasting verdict either:
# a GRANT of a role's membership, which changes nothing in the function's
# objects, lifts it (the same holds for a stack too deep, or any error
# that does not tell of the body itself)
# A schema $s with a table x of one row that only role $s_readers may read,
# a function $fn reading it (and $extra, SQL run after); app calls $call
# without the membership (the call fails), then with it, twice in the same
# session: the result $want, and a miss then a hit.
sub privilege_lifted
{
	my ($s, $fn, $extra, $call, $want, $what) = @_;
	$node->safe_psql('postgres', qq{
		CREATE SCHEMA $s;
		CREATE TABLE $s.x (v int); INSERT INTO $s.x VALUES (1);
		CREATE ROLE ${s}_readers NOLOGIN;
		GRANT USAGE ON SCHEMA $s TO ${s}_readers;
		GRANT SELECT ON $s.x TO ${s}_readers;
		CREATE FUNCTION $fn() RETURNS bigint STABLE LANGUAGE sql AS 'SELECT count(*) FROM $s.x';
		$extra});
	eval { cq($app, $call) };
	like($@, qr/permission denied for schema $s/, "$what: without the privilege the call fails");
	$node->safe_psql('postgres', "GRANT ${s}_readers TO app");
	my ($h, $m) = split /\|/, stat_of('hits, misses');
	is(cq($app, $call), $want, "$what: with the membership granted, the result");
	is(cq($app, $call), $want, "$what: again");
	is(stat_of("hits - $h, misses - $m"), '1|1', "$what: cached in the same session");
}
privilege_lifted('priv_s', 'priv_count', '', 'SELECT priv_count() AS n', '[{"n": 1}]',
	'a body that failed for lack of privilege left no verdict behind');
# ... nor on a function whose body calls one that failed so
privilege_lifted('priv_s2', 'priv_count2', q{
		CREATE FUNCTION priv_outer() RETURNS bigint STABLE LANGUAGE sql
		  AS 'SELECT priv_count2() + count(*) FROM (VALUES (1)) v';},
	'SELECT priv_outer() AS n', '[{"n": 2}]', 'nor on the function calling it');

# Without two-phase commit (max_prepared_transactions = 0), a PREPARE of a
# transaction that invalidated something fails with PostgreSQL's own error
{
	my ($rc2, $out2, $err2) = $node->psql('postgres',
		"BEGIN; UPDATE items SET label = label WHERE id = 1; PREPARE TRANSACTION 'no_2pc';");
	like($err2, qr/prepared transactions are disabled/,
		'PREPARE without two-phase commit: PostgreSQL\'s error, not the cache\'s');
}

# A verdict that rests on what a name resolves to ends when that name comes
# to exist: a constant naming a text search configuration not created yet
# ('x'::regconfig fails, class 42 like a syntax error).
$node->safe_psql('postgres', q{
	SET check_function_bodies = off;
	CREATE FUNCTION late_cfg_count() RETURNS bigint STABLE LANGUAGE sql
	  AS $$SELECT count(*) FROM items WHERE to_tsvector('late_cfg'::regconfig, 'x') IS NOT NULL$$;});
my $late_cfg = 'SELECT late_cfg_count() - count(*) + 1 AS n FROM items';
eval { cq($app, $late_cfg) };
like($@, qr/text search configuration "late_cfg" does not exist/, 'a missing configuration: the call fails');
$node->safe_psql('postgres', 'CREATE TEXT SEARCH CONFIGURATION late_cfg (COPY = english)');
my ($h0, $m0) = split /\|/, stat_of('hits, misses');
is(cq($app, $late_cfg), '[{"n": 1}]', 'once it is created, the result');
is(cq($app, $late_cfg), '[{"n": 1}]', 'again');
is(stat_of("hits - $h0, misses - $m0"), '1|1', 'cached in the same session: the verdict went with the change');

# --- a function that a parallel worker would run, reading a table ---
# A PARALLEL SAFE function evaluated in a parallel worker starts its own
# queries there, where no fill records what they read: the fill must run
# without workers, so that a write to that table removes the entry.
my $fpm = $node->safe_psql('postgres', q{
	SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
	            THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END});
$node->safe_psql('postgres', q{
	CREATE TABLE par_t (i int); INSERT INTO par_t VALUES (1);
	CREATE TABLE par_big AS SELECT g AS i FROM generate_series(1, 1000) g;
	CREATE FUNCTION par_count() RETURNS bigint LANGUAGE plpgsql STABLE PARALLEL SAFE
	  AS $$BEGIN RETURN (SELECT count(*) FROM par_t); END$$;
	CREATE FUNCTION par_sql_count() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
	  AS $$SELECT count(*) FROM par_t$$;
	CREATE FUNCTION par_sum() RETURNS bigint LANGUAGE plpgsql STABLE PARALLEL SAFE
	  AS $$BEGIN RETURN (SELECT sum(par_sql_count()) FROM par_big); END$$;
	CREATE FUNCTION par_sum_set() RETURNS bigint LANGUAGE plpgsql STABLE PARALLEL SAFE
	  SET max_parallel_workers = 8 SET max_parallel_workers_per_gather = 2
	  AS $$BEGIN RETURN (SELECT sum(par_sql_count()) FROM par_big); END$$;
	CREATE FUNCTION par_wrap(q text) RETURNS jsonb LANGUAGE plpgsql PARALLEL SAFE
	  AS $$BEGIN RETURN cascade_cache.cached_query(q); END$$;
});
$sa->do(q{SET cascade_cache.trusted_functions = 'par_count, par_sum, par_sum_set'});
$sa->do($_) for ('SET parallel_setup_cost = 0', 'SET parallel_tuple_cost = 0',
	'SET min_parallel_table_scan_size = 0', "SET $fpm = on");
# par_sum's plan, with a Gather, kept by PL/pgSQL before any fill
is($sa->selectrow_array('SELECT par_sum()'), '1000', 'par_sum() outside the cache');
my @par_q = ('SELECT par_count() AS n', 'SELECT par_sql_count() AS n',
	'SELECT par_sum() AS n', 'SELECT par_sum_set() AS n');
my @par_before = map { cq($sa, $_) } @par_q;
is("@par_before", '[{"n": 1}] [{"n": 1}] [{"n": 1000}] [{"n": 1000}]', 'filled under parallel plans');
my $par_bypass = q{SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'parallel_mode'};
my $par0 = $node->safe_psql('postgres', $par_bypass);
cq($sa, 'SELECT par_sum_set() AS n');
is($node->safe_psql('postgres', $par_bypass) - $par0, 1,
	'a function whose SET clause lets its plan start workers keeps the result out (parallel_mode)');
$node->safe_psql('postgres', 'INSERT INTO par_t VALUES (2)');
my @par_after = map { cq($sa, $_) } @par_q;
is("@par_after", '[{"n": 2}] [{"n": 2}] [{"n": 2000}] [{"n": 2000}]',
	'after a write to the table the functions read: every result is fresh');
is($sa->selectrow_array('SHOW max_parallel_workers'), '8', 'the fill gave the session its settings back');
# cache_explain()'s dry run runs as a fill does: what the function reads is
# listed
like($sa->selectrow_array(q{SELECT string_agg(detail, '; ') FROM cascade_cache.cache_explain('SELECT par_sql_count() AS n') WHERE item = 'depends_on'}),
	qr/relation par_t/, 'cache_explain lists the table a parallel-safe function reads');
is($sa->selectrow_array('SHOW max_parallel_workers'), '8', 'and gives the session its settings back');
$par0 = $node->safe_psql('postgres', $par_bypass);
is($sa->selectrow_array(q{SELECT par_wrap('SELECT 41 + 1 AS x')::text}), '[{"x": 42}]',
	'cached_query() in a parallel query, from a PARALLEL SAFE function: the result');
cmp_ok($node->safe_psql('postgres', $par_bypass) - $par0, '>=', 1, 'bypassed (parallel_mode)');
$sa->do("RESET $_") for ('cascade_cache.trusted_functions', 'parallel_setup_cost',
	'parallel_tuple_cost', 'min_parallel_table_scan_size', $fpm);

# --- a PATTERN that makes a backtracking matcher spin: primary and standby ---
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
$node->wait_for_catchup($standby);
$standby->poll_query_until('postgres',
	"SELECT hits + misses > 0 FROM (SELECT cascade_cache.cached_query('SELECT 1 AS ready')) x, cascade_cache.cache_stats()")
  or die 'the standby never started caching';
my $fill = q{SELECT count(cascade_cache.cached_query('SELECT $1::int AS i', jsonb_build_array(g), NULL, repeat('a', 1000) || g))
               FROM generate_series(1, 300) g};
is($node->safe_psql('postgres', $fill), '300', 'primary: 300 entries named aaaa...');
is($standby->safe_psql('postgres', $fill), '300', 'standby: the same names');
my $pattern = ('*a' x 60) . '*b';
$started = time;
is($node->safe_psql('postgres',
	"SET statement_timeout = '30s'; SELECT cascade_cache.cascade_invalidate(jsonb_build_object('invalidations', jsonb_build_array(jsonb_build_object('queryPattern', '$pattern', 'scope', 'PATTERN'))))"),
	'0', 'the pattern matches nothing');
cmp_ok(time - $started, '<', 10, 'and is answered at once on the primary');
$started = time;
$node->wait_for_catchup($standby);
cmp_ok(time - $started, '<', 10, 'the standby replays it at once');
my $before = $standby->safe_psql('postgres', 'SELECT entries FROM cascade_cache.cache_stats()');
my $hit_pattern = ('*a' x 60) . '*7';
$node->safe_psql('postgres',
	"SELECT cascade_cache.cascade_invalidate(jsonb_build_object('invalidations', jsonb_build_array(jsonb_build_object('queryPattern', '$hit_pattern', 'scope', 'PATTERN'))))");
$node->wait_for_catchup($standby);
is($before - $standby->safe_psql('postgres', 'SELECT entries FROM cascade_cache.cache_stats()'),
	30, 'on the standby, the 30 names the replayed pattern matches are gone');

# --- a cascade reported on a standby: it commits, and writes no audit row ---
my ($rc, $out, $err) = $standby->psql('postgres',
	q{SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "Doc", "id": 1}]}')});
is($rc, 0, 'cascade_invalidate() in a standby session commits');
unlike($err, qr/ERROR|WARNING/, 'without an error or a warning');
is($standby->safe_psql('postgres',
	q{SELECT audit_rows_dropped FROM cascade_cache.cascade_metrics}),
	'0', 'and without counting a dropped audit row');

# --- a coalescing waiter holding the buffer pin recovery waits for ---
# The startup process waits for a pin of a waiter (a page of the query that
# called cached_query()), whose leader waits for a lock that replay holds.
# Recovery's check for a deadlock through a pin cancels only backends that
# wait for a lock: the waiter must stop waiting at once and run the query
# itself, so that the check finds it, rather than stall replay for
# max_standby_streaming_delay (30 s here) or its coalesce_timeout.
$node->safe_psql('postgres', q{
	CREATE TABLE pin_t (i int); INSERT INTO pin_t SELECT generate_series(1, 3);
	CREATE TABLE pin_u (i int); INSERT INTO pin_u VALUES (1);
	VACUUM pin_t;
	INSERT INTO pin_t VALUES (99); DELETE FROM pin_t WHERE i = 99;
});
$node->wait_for_catchup($standby);
my $p1 = $node->background_psql('postgres', on_error_stop => 0);
$p1->query_safe('BEGIN; LOCK pin_u IN ACCESS EXCLUSIVE MODE');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
$node->wait_for_catchup($standby);
my $pin_q = q{SELECT count(*) AS s FROM pin_u};
my $pin_lead = $standby->background_psql('postgres', on_error_stop => 0);
$pin_lead->query_until(qr/go/, qq(\\echo go
SELECT cascade_cache.cached_query('$pin_q');
));
$standby->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%cached_query%'})
  or die 'the standby leader never waited for the replayed lock';
my $pin_wait = $standby->background_psql('postgres', on_error_stop => 0);
$pin_wait->query_until(qr/go/, qq(\\echo go
SET cascade_cache.coalesce_timeout = '5min';
SELECT i, cascade_cache.cached_query('$pin_q') FROM pin_t;
));
$standby->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%FROM pin_t%'})
  or die 'the standby waiter never waited';
$node->safe_psql('postgres', 'VACUUM pin_t');
my $pin_lsn = $node->lsn('insert');
$started = time;
$standby->poll_query_until('postgres',
	"SELECT pg_last_wal_replay_lsn() >= '$pin_lsn'::pg_lsn")
  or die 'replay never passed the VACUUM';
my $pin_took = time - $started;
cmp_ok($pin_took, '<', 15,
	"replay went past the waiter's pin in ${pin_took}s, not after max_standby_streaming_delay");
$p1->query_safe('COMMIT');
eval { $_->quit } for ($p1, $pin_lead, $pin_wait);
like(slurp_file($standby->logfile), qr/buffer deadlock with recovery/,
	'the waiter, waiting for the lock itself, was cancelled by recovery');

$standby->stop;
$node->stop;
my $server_log = slurp_file($node->logfile) . slurp_file($standby->logfile);
unlike($server_log, qr/TRAP:|terminated by signal|server process .* was terminated/,
	'no assertion failure, no backend crash');

done_testing();
