# A hot standby caches on its own once it has replayed a record that shows
# the primary logs invalidations (the primary's worker announces itself at
# start); before that, and on a standby of a primary that does not preload
# cascade_cache, every call is a 'standby' bypass.  A standby that does not
# preload it refuses to replay the primary's records.  After promotion the
# former standby caches and invalidates as a primary.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use lib 't';
use CCTest;

my $primary = cc_node('primary', init => { allows_streaming => 1 });
$primary->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
$primary->backup('b1');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

my $q = 'SELECT v FROM t WHERE id = 1';
# the primary's announcement came before the base backup: any invalidation
# it logs tells the standby too
$primary->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
$standby->poll_query_until('postgres',
	"SELECT cascade_cache.cached_query('$q') IS NOT NULL AND hits + misses > 0 FROM cascade_cache.cache_stats()")
  or die 'the standby never started caching';
is(cc_query($standby, $q), '[{"v": "a"}]', 'the standby answers');
cmp_ok((split /,/, cc_stats($standby, 'hits'))[0], '>=', 1, 'from its own cache');

$primary->safe_psql('postgres', "UPDATE t SET v = 'b' WHERE id = 1");
$primary->wait_for_catchup($standby);
is(cc_query($standby, $q), '[{"v": "b"}]', 'a replayed commit invalidates the standby cache');
is(cc_query($standby, $q), '[{"v": "b"}]', 'and the new result is cached');

# a standby without the library cannot replay the primary's invalidation
# records: its startup process stops at the first one, rather than serve
# from a cache nobody invalidates (here: right after the base backup)
my $bare = PostgreSQL::Test::Cluster->new('bare_standby');
$bare->init_from_backup($primary, 'b1', has_streaming => 1);
$bare->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
# (pg_ctl without -w: the server may be gone before pg_ctl would look)
system_log('pg_ctl', '-D', $bare->data_dir, '-l', $bare->logfile, 'start');
ok($bare->wait_for_log(qr/resource manager with ID 199 not registered/),
	'a standby without cascade_cache in shared_preload_libraries refuses to replay');
like(slurp_file($bare->logfile),
	qr/HINT:  Include the extension module that implements this resource manager in "?shared_preload_libraries"?/,
	'and says what to do');
my $down = 0;
for (1 .. 300)
{
	$down = system('pg_ctl', 'status', '-D', $bare->data_dir) != 0 and last;
	usleep(100_000);
}
ok($down, 'and the standby shuts down');

# the primary caches as usual
is(cc_query($primary, $q), '[{"v": "b"}]', 'primary miss');
is(cc_query($primary, $q), '[{"v": "b"}]', 'primary hit');
is(cc_stats($primary, 'hits, misses'), '1,1', 'the primary uses its cache');

# a standby of a primary without cascade_cache: never caches
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init(allows_streaming => 1);
$plain->start;
$plain->safe_psql('postgres', "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
$plain->backup('b2');
my $plain_standby = PostgreSQL::Test::Cluster->new('plain_standby');
$plain_standby->init_from_backup($plain, 'b2', has_streaming => 1);
$plain_standby->append_conf('postgresql.conf', "shared_preload_libraries = 'cascade_cache'\n");
$plain_standby->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION cascade_cache');
$plain->wait_for_catchup($plain_standby);
is(cc_query($plain_standby, $q), '[{"v": "a"}]', 'a standby of a primary without the library answers');
is(cc_query($plain_standby, $q), '[{"v": "a"}]', 'and again');
is(cc_stats($plain_standby, 'hits, misses'), '0,0', 'without its cache');
is($plain_standby->safe_psql('postgres',
		"SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'standby'"),
	'2', 'both calls counted as standby bypasses');
is($plain_standby->safe_psql('postgres',
		q{SELECT concat_ws('/', kind, coalesce(transaction::text, '-'), scope, coalesce(stripes::text, '-'), state) FROM cascade_cache.cache_holds() WHERE kind = 'standby'}),
	'standby/-/cluster/-/held', 'cache_holds() shows that it waits (for no transaction)');
my ($status, $warnings, $rec) = split /\|/, $plain_standby->safe_psql('postgres',
	q{SET cascade_cache.health_hold = 0; SELECT status, array_to_string(warnings, ' / '), recommendation FROM cascade_cache.cache_health()});
is($status, 'degraded', 'cache_health() is degraded');
like($warnings, qr/warning: this standby caches nothing: since its replay began at .* it has not replayed a record showing that its primary logs invalidations/,
	'and says why');
like($rec, qr/check that the primary has cascade_cache in shared_preload_libraries/, 'and what to check');
$plain->safe_psql('postgres', "UPDATE t SET v = 'b' WHERE id = 1");
$plain->wait_for_catchup($plain_standby);
is(cc_query($plain_standby, $q), '[{"v": "b"}]', 'and sees replayed changes at once');
$plain_standby->stop;
$plain->stop;

# Catalog changes under load: replay makes a commit visible before it sends
# the commit's catalog invalidations, so the standby's marks must stay until
# replay has finished the commit record, or a fill that begins in between
# analyzes the query with the old catalog (here the old body of f()) and
# stores that for good.  Readers on the standby compare a fresh execution
# with the cached one while the primary replaces f() 1,000 times.
$primary->safe_psql('postgres', q{
	CREATE FUNCTION f() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
	CREATE FUNCTION chkf() RETURNS int LANGUAGE plpgsql AS $$
	DECLARE d int; c int;
	BEGIN
		EXECUTE 'SELECT f()' INTO d;
		c := (cascade_cache.cached_query('SELECT f() AS v') -> 0 ->> 'v')::int;
		IF c < d THEN
			RAISE WARNING 'stale on the standby: fresh % cached %', d, c;
		END IF;
		RETURN c;
	END $$;
	CREATE PROCEDURE churn(n int) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN 2..n LOOP
			EXECUTE format('CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql STABLE AS %L',
						   'SELECT ' || i);
			COMMIT;
			PERFORM pg_sleep(0.003);
		END LOOP;
	END $$;});
$primary->wait_for_catchup($standby);
my $log_offset = -s $standby->logfile;
my $script = $standby->basedir . '/chkf.sql';
PostgreSQL::Test::Utils::append_to_file($script, "SELECT chkf();\n");
my ($rout, $rerr) = ('', '');
my $readers = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '4', '-T', '8', '-f', $script,
	  '-h', $standby->host, '-p', $standby->port, 'postgres' ],
	'>', \$rout, '2>', \$rerr);
$primary->safe_psql('postgres', 'CALL churn(1000)');
$primary->wait_for_catchup($standby);
$readers->finish;
my $stale = () = slurp_file($standby->logfile, $log_offset) =~ /stale on the standby/g;
is($stale, 0, 'no stale read on the standby while functions change on the primary');
is($standby->safe_psql('postgres',
		q{SELECT cascade_cache.cached_query('SELECT f() AS v') = jsonb_build_array(jsonb_build_object('v', f()))}),
	't', "and the cached result is the last definition's");
cmp_ok($rout =~ /number of transactions actually processed: (\d+)/ ? $1 : 0,
	'>', 100, 'the readers ran') or diag("$rout\n$rerr");

# after promotion the former standby caches and invalidates on its own
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'promotion failed';
is(cc_query($standby, $q), '[{"v": "b"}]', 'promoted: answers');
my $hits = (split /,/, cc_stats($standby, 'hits'))[0];
is(cc_query($standby, $q), '[{"v": "b"}]', 'promoted: again');
is((split /,/, cc_stats($standby, 'hits'))[0], $hits + 1, 'from its cache');
$standby->safe_psql('postgres', "UPDATE t SET v = 'c' WHERE id = 1");
is(cc_query($standby, $q), '[{"v": "c"}]', 'and invalidates on its own writes');

$standby->stop;
$primary->stop;
done_testing();
