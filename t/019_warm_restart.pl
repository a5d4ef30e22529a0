# Warm restart (issue 17): the recipes of the hottest entries are written
# to $PGDATA/cascade_cache.warm (0600) at a clean shutdown and every
# cascade_cache.warm_interval, and run again by runners after a start or a
# crash-restart.  This proves that
#   - entries filled by a role (named, with a ttl, with native parameters)
#     come back after a clean restart, once each, and are then hits;
#   - the settings the filling session chose (SET app.tenant) are replayed:
#     the entry comes back under the same key, never for another tenant;
#   - a crash-restart warms from the last periodic write;
#   - recipes of a dropped role are skipped (counted and logged), those of
#     a role that lost its SELECT privilege fail, those whose key a role's
#     new setting changes are skipped, and none of them stores anything;
#   - cascade_cache.warm_entries bounds the file to the entries with the
#     most hits, and 0 turns warm restart off (nothing read, nothing
#     written);
#   - writing the file never parses a recipe's parameters (the worker
#     would end on a JSON nesting deeper than its stack allows);
#   - a stream of refreshes does not hold warming back: a runner takes a
#     warm recipe after three refreshes in a row;
#   - reads while recipes are being run, and after a table they read was
#     updated meanwhile, get correct results;
#   - jsonb parameters of every kind, which recipes keep as JSON text, come
#     back under the same key;
#   - a damaged file, and a file of another format (an earlier version's),
#     are ignored;
#   - the file is never larger than max_memory.
#
# DROP ROLE flushes the cache and REVOKE removes the entries that read the
# table, so the entries they concern would never reach a file written after
# them: the test drops the role and revokes the privilege while the server
# runs with warm_entries = 0, between the write at a clean shutdown and the
# start that reads the file.  (ALTER ROLE ... SET removes nothing: it is
# made before the shutdown.)
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = cc_node('warm', conf => "restart_after_crash = on\n");
my $warm_file = $node->data_dir . '/cascade_cache.warm';

$node->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g;
});
for my $role (qw(app tenant gone lost drifter))
{
	$node->safe_psql('postgres', qq{
		CREATE ROLE $role LOGIN;
		GRANT USAGE ON SCHEMA cascade_cache TO $role;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA cascade_cache TO $role;
		GRANT SELECT ON t TO $role;
	});
}

# psql as a role; dies on an error
sub as_role
{
	my ($role, $sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

# the warm restart's state, as "state,recipes,queued,waiting"
sub warm_status
{
	return $node->safe_psql('postgres',
		q{SELECT concat_ws(',', state, recipes, queued, waiting) FROM cascade_cache.cache_warm_status()});
}

# the warm row of cache_recipe_stats(), as "queued,filled,present,skipped,not_stored,failed"
sub warm_stats
{
	return $node->safe_psql('postgres', q{
		SELECT concat_ws(',', queued, filled, present, skipped, not_stored, failed)
		  FROM cascade_cache.cache_recipe_stats() WHERE kind = 'warm'});
}

sub wait_warmed { cc_wait_warmed($node, @_) }

my $by_id = 'SELECT v FROM t WHERE id = $1';
my $by_id_args = 'SELECT v, $2::text AS k FROM t WHERE id = $1';
my $tenant_q = q{SELECT current_setting('app.tenant') AS tenant, v FROM t WHERE id = $1};
(my $tenant_lit = $tenant_q) =~ s/'/''/g;

# The app's entries: named, with a ttl, and with native parameters
my $app_reads = qq{
	SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g), NULL, 'byId'))
	  FROM generate_series(1, 6) g;
	SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g), '1 hour'))
	  FROM generate_series(7, 8) g;
	SELECT count(cascade_cache.cached_query_args('$by_id_args', g, 'k' || g))
	  FROM generate_series(9, 14) g;
};
my $n_app = 14;
is(as_role('app', $app_reads), "6\n2\n6", 'app fills its entries');
# The tenant role's entries: three read with app.tenant = 'x' (each hit
# once, so that they rank first and their recipes run first), and one read
# without it
is(as_role('tenant', qq{
	SET app.tenant = 'x';
	SELECT string_agg(cascade_cache.cached_query('$tenant_lit', jsonb_build_array(g))::text, ' ' ORDER BY g)
	  FROM generate_series(1, 3) g;
	SELECT count(cascade_cache.cached_query('$tenant_lit', jsonb_build_array(g)))
	  FROM generate_series(1, 3) g;
	SELECT string_agg(e.detail, ' ' ORDER BY g)
	  FROM generate_series(1, 3) g, cascade_cache.cache_explain('$tenant_lit', jsonb_build_array(g)) e
	 WHERE e.item = 'hits';
}), '[{"v": "v1", "tenant": "x"}] [{"v": "v2", "tenant": "x"}] [{"v": "v3", "tenant": "x"}]' . "\n3\n1 1 1",
	'the tenant role fills three entries for tenant x and hits each once');
is(as_role('tenant', qq{SELECT cascade_cache.cached_query('$by_id', '[15]')}),
	'[{"v": "v15"}]', 'and fills one entry without a tenant');
my $n_tenant = 4;

# entries of the roles that will be dropped, lose SELECT, get a new datestyle
for my $r ([ 'gone', 21 ], [ 'lost', 31 ], [ 'drifter', 41 ])
{
	my ($role, $first) = @$r;
	is(as_role($role, qq{
		SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g)))
		  FROM generate_series($first, $first + 3) g}), '4', "$role fills 4 entries");
}
is(as_role('drifter', q{SELECT source FROM pg_settings WHERE name = 'DateStyle'}),
	'configuration file', 'drifter\'s session did not choose its datestyle itself');
$node->safe_psql('postgres', q{ALTER ROLE drifter SET datestyle = 'SQL, DMY'});
my $n_other = 12;
my $n_all = $n_app + $n_tenant + $n_other;
is(cc_stats($node, 'entries'), $n_all, "$n_all entries before the restart, after ALTER ROLE drifter");

# --- a restart with warm restart off: the file is kept, neither read nor written ---
$node->safe_psql('postgres', 'ALTER SYSTEM SET cascade_cache.warm_entries = 0');
$node->restart;    # the shutdown writes the file (the worker still had 10000)
ok(-f $warm_file, 'the clean shutdown wrote cascade_cache.warm');
is((stat $warm_file)[2] & 07777, 0600, 'the file is readable and writable by its owner only');
my $file_before = slurp_file($warm_file);
is(warm_status(), 'off,0,0,0', 'warm_entries = 0: state off, nothing read');
is(warm_stats(), '0,0,0,0,0,0', 'warm_entries = 0: nothing queued, nothing run');
is(cc_stats($node, 'entries, stores'), '0,0', 'warm_entries = 0: the cache starts empty');

# the catalog changes, and entries a write would record
my $gone_oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_roles WHERE rolname = 'gone'});
my $db_oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'postgres'});
$node->safe_psql('postgres', q{
	DROP OWNED BY gone;
	DROP ROLE gone;
	REVOKE SELECT ON t FROM lost;
});
is(as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(90, 99) g}),
	'10', 'app fills 10 entries with warm restart off');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET cascade_cache.warm_entries');
$node->restart;    # the worker still had 0: no write
# (being warmed from, the file is renamed .used until its recipes have run)
ok(!-f $warm_file && slurp_file("$warm_file.used") eq $file_before,
	'warm_entries = 0: a clean shutdown left the file as it was');

# --- the warm restart ---
wait_warmed('clean restart');
is(warm_status(), "done,$n_all,$n_all,0", "the file's $n_all recipes were read and queued");
my ($queued, $filled, $present, $skipped, $not_stored, $failed) = split /,/, warm_stats();
is($filled, $n_app + $n_tenant,
	'the recipes of app (named, ttl, native) and of the tenant role were filled');
is($present + $not_stored, 0, 'none was present already, none ran without being stored');
is($failed, 4, 'the 4 recipes of the role that lost SELECT failed');
is($skipped, 8, 'the 4 recipes of the dropped role and the 4 whose key the role setting changes were skipped');
my ($entries, $stores) = split /,/, cc_stats($node, 'entries, stores');
is($entries, $n_app + $n_tenant, 'the entries of app and of the tenant role came back, no others');
cmp_ok($stores, '<=', 1.1 * $n_all, 'warming stored at most 1.1 times as many entries as recipes');
is($stores, $filled, 'every store was a filled recipe');
like(slurp_file($node->logfile),
	qr/cascade_cache skipped \d+ queued fills of role $gone_oid in database $db_oid/,
	'the server log has the skipped fills of the dropped role');

# the app's entries are hits, with the same results
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('app', $app_reads), "6\n2\n6", 'app reads its entries again');
is(cc_stats($node, 'hits, misses'), "$n_app,0", 'every read of the app is a hit');

# the tenant's settings were replayed: x hits, y misses and gets its own
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('tenant', qq{SET app.tenant = 'x'; SELECT cascade_cache.cached_query('$tenant_lit', '[2]')}),
	'[{"v": "v2", "tenant": "x"}]', 'tenant x reads its result');
is(cc_stats($node, 'hits, misses'), '1,0', 'tenant x hits the warmed entry');
is(as_role('tenant', qq{SET app.tenant = 'y'; SELECT cascade_cache.cached_query('$tenant_lit', '[2]')}),
	'[{"v": "v2", "tenant": "y"}]', 'tenant y reads its own result, never x\'s');
is(cc_stats($node, 'hits, misses'), '1,1', 'tenant y misses');
# The runner ran the tenant role's recipes in rank order in one session:
# the three with app.tenant = 'x' first, then the one without a tenant.
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('tenant', qq{SELECT cascade_cache.cached_query('$by_id', '[15]')}),
	'[{"v": "v15"}]', 'the tenant role reads its entry without a tenant');
is(cc_stats($node, 'hits, misses'), '1,0',
	'a recipe without a tenant, run after that role\'s tenant recipes, was filled (the runner must not keep app.tenant)');

# nothing was stored for the other roles
my ($rc, $out, $err) = $node->psql('postgres',
	qq{SELECT cascade_cache.cached_query('$by_id', '[31]')}, extra_params => [ '-U', 'lost' ]);
like($err, qr/permission denied for table t/,
	'the role that lost SELECT gets an error, not a warmed entry');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('drifter', qq{SET datestyle = 'ISO, MDY'; SELECT cascade_cache.cached_query('$by_id', '[41]')}),
	'[{"v": "v41"}]', 'drifter reads with its old datestyle');
is(cc_stats($node, 'hits, misses'), '0,1', 'and misses: the skipped recipe stored nothing');

# --- a crash-restart warms from the last periodic write ---
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.warm_interval = '1s';
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
is(as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(51, 58) g}),
	'8', 'app fills 8 entries');
my $t0 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
ok( $node->poll_query_until('postgres', qq{
		SELECT last_write_recipes = 8 AND last_write_at > '$t0'
		  FROM cascade_cache.cache_warm_status()}),
	'a periodic write recorded the 8 recipes');

my $victim = $node->background_psql('postgres', on_error_stop => 0);
my $victim_pid = $victim->query_safe('SELECT pg_backend_pid()');
my $log_offset = -s $node->logfile;
kill 'KILL', $victim_pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server did not come back after the crash';
eval { $victim->quit };
wait_warmed('crash-restart');
is(warm_status(), 'done,8,8,0', 'after the crash, the 8 recipes of the last write were queued');
is((split /,/, warm_stats())[1], 8, 'and filled');
is(cc_stats($node, 'entries'), 8, 'the 8 entries are back');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(51, 58) g}),
	'8', 'app reads them again');
is(cc_stats($node, 'hits, misses'), '8,0', 'all hits after the crash-restart');

# --- warm_entries keeps the entries with the most hits ---
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.warm_entries = 5;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
is(as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(61, 72) g}),
	'12', 'app fills 12 entries');
# 61..65 are hit 10 times each; cache_explain counts this session's hits in
is(as_role('app', qq{
	SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g)))
	  FROM generate_series(61, 65) g, generate_series(1, 10) n;
	SELECT string_agg(e.detail, ' ' ORDER BY g)
	  FROM generate_series(61, 66) g, cascade_cache.cache_explain('$by_id', jsonb_build_array(g)) e
	 WHERE e.item = 'hits'}),
	"50\n10 10 10 10 10 0", 'entries 61..65 have 10 hits, 66 none');
$t0 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
ok( $node->poll_query_until('postgres', qq{
		SELECT last_write_recipes = 5 AND last_write_at > '$t0'
		  FROM cascade_cache.cache_warm_status()}),
	'a periodic write recorded warm_entries = 5 recipes of 12 entries');
$node->restart;
wait_warmed('restart with warm_entries = 5');
is(warm_status(), 'done,5,5,0', 'the file held 5 recipes');
is((split /,/, warm_stats())[1], 5, 'the 5 were filled');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(61, 65) g});
is(cc_stats($node, 'hits, misses'), '5,0', 'the hot entries were warmed: hits');
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(66, 72) g});
is(cc_stats($node, 'hits, misses'), '5,7', 'the cold entries were not: misses');

# --- reads while the recipes run ---
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET cascade_cache.warm_entries;
	ALTER SYSTEM RESET cascade_cache.warm_interval;
	ALTER SYSTEM SET cascade_cache.warm_rate = 10;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
my $all_reads = qq{
	SELECT string_agg(cascade_cache.cached_query('$by_id', jsonb_build_array(g))::text, ' ' ORDER BY g)
	  FROM generate_series(81, 100) g};
my $truth = q{
	SELECT string_agg(jsonb_build_array(jsonb_build_object('v', v))::text, ' ' ORDER BY id)
	  FROM t WHERE id BETWEEN 81 AND 100};
is(as_role('app', $all_reads), $node->safe_psql('postgres', $truth), 'app fills 20 entries');
$node->restart;
ok( $node->poll_query_until('postgres',
		q{SELECT state = 'queuing' AND queued >= 3 FROM cascade_cache.cache_warm_status()}),
	'warming at 10 recipes a second is under way');
$node->safe_psql('postgres', q{UPDATE t SET v = v || ' updated' WHERE id BETWEEN 81 AND 100 AND id % 2 = 0});
my $expect = $node->safe_psql('postgres', $truth);
$t0 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
is(as_role('app', $all_reads), $expect, 'reads during warming see the update');
is($node->safe_psql('postgres',
		qq{SELECT finished_at IS NULL OR finished_at > '$t0' FROM cascade_cache.cache_warm_status()}),
	't', 'those reads started before the last recipe was queued');
wait_warmed('slow warming');
is(as_role('app', $all_reads), $expect, 'and so do reads after warming');

# --- a restart while recipes still wait for a runner keeps them all ---
# With no background worker slot left for a runner (the cache's worker and
# the logical replication launcher take both), every recipe is queued and
# none runs; the clean shutdown must not replace the file with the few
# entries the cache holds then.
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET cascade_cache.warm_rate;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(31, 36) g});
$node->restart;
wait_warmed('six recipes');
$node->append_conf('postgresql.conf', "max_worker_processes = 2\n");
$node->restart;
ok( $node->poll_query_until('postgres',
		q{SELECT state = 'done' AND waiting = 6 FROM cascade_cache.cache_warm_status()}),
	'no worker slot for a runner: the six recipes wait');
$node->restart;
like(slurp_file($node->logfile), qr/warming the cache with 6 recipes(?!.*warming the cache with [0-5] recipes)/s,
	'a restart while they waited wrote no smaller file');
$node->append_conf('postgresql.conf', "max_worker_processes = 8\n");
$node->restart;
wait_warmed('runners again');
is((split /,/, warm_stats())[1], 6, 'and the six recipes are filled once runners can start');

# --- secrets stay out of the file (warm_skip_settings, default request.*) ---
$node->safe_psql('postgres', q{SELECT cascade_cache.cache_flush()});
as_role('app', qq{
	SET request.jwt.claims = '{"sub": "secret-token-4711"}';
	SELECT cascade_cache.cached_query('$by_id', '[41]');});
as_role('app', qq{SELECT cascade_cache.cached_query('$by_id', '[42]')});
$node->restart;
my $written = -f $warm_file ? $warm_file : "$warm_file.used";
ok(-f $written && slurp_file($written) !~ /secret-token-4711/,
	'the recipe of a session holding request.jwt.claims is not written');
wait_warmed('after the secret');
is((split /,/, warm_stats())[1], 1, 'only the other recipe was written and filled');

# --- a crash while warming does not warm again (no crash loop) ---
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.warm_rate = 1;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(51, 60) g});
$node->restart;
ok( $node->poll_query_until('postgres',
		q{SELECT state = 'queuing' FROM cascade_cache.cache_warm_status()}),
	'warming at 1 recipe a second is under way');
ok(-f "$warm_file.used" && !-f $warm_file, 'the file is renamed .used while it is warmed from');
my $log_at = -s $node->logfile;
$victim = $node->background_psql('postgres', on_error_stop => 0);
my $vpid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $vpid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_at);
eval { $victim->quit };
ok( $node->poll_query_until('postgres', q{SELECT state FROM cascade_cache.cache_warm_status()}, 'idle'),
	'after the crash-restart: nothing is warmed');
like(slurp_file($node->logfile, $log_at), qr/does not warm the cache: the last warm restart did not finish/,
	'and the log says why');
# a clean restart right after does not warm from that file either (the
# cache is empty: nothing is written, and the file that crashed is gone)
$node->restart;
is((split /,/, warm_status())[1], 0, 'a clean restart after it warms nothing from that file');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET cascade_cache.warm_rate; SELECT pg_reload_conf();});

# --- a stream of refreshes does not hold a warm restart back ---
# One runner, busy with a slow warm recipe (the hottest, so taken first)
# while four refreshes of the same role are queued, one commit each: it
# takes three refreshes (newest first), then a warm recipe, then the last
# refresh, then the last warm recipe.  Taking refreshes only while any
# wait would store both warm entries last.
# (a set-returning function in the select list: streamed, not kept in a
# tuplestore that would spill to disk)
my $slow_q = 'SELECT sum(g) AS n FROM (SELECT generate_series(1, $1::bigint) AS g) s';
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.recipe_workers = 1;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
as_role('app', qq{SELECT cascade_cache.cached_query('$slow_q', '[40000000]')}) for 1 .. 4;
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(41, 42) g});
# 41 before 42: two hits more, counted in the blob before the shutdown
# writes the file (the statistics function hands this session's over)
as_role('app', qq{
	SELECT cascade_cache.cached_query('$by_id', '[41]');
	SELECT cascade_cache.cached_query('$by_id', '[41]');
	SELECT count(*) FROM cascade_cache.cache_query_stats();});
$node->restart;
ok( $node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'cascade_cache runner' AND state = 'active'
		   AND query = 'cascade_cache: warm restart recipe'}),
	'streak: the runner computes the slow warm recipe');
as_role('app', join('', map {
	"SELECT cascade_cache.cached_query('$by_id', '[5$_]', NULL, 'streak$_');\n"
} 1 .. 4));
as_role('app', join('', map {
	"SELECT cascade_cache.cascade_invalidate('{\"invalidations\": [{\"queryName\": \"streak$_\", \"strategy\": \"REFETCH\", \"scope\": \"EXACT\"}]}');\n"
} 1 .. 4));
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity
		 WHERE backend_type = 'cascade_cache runner' AND state = 'active'
		   AND query = 'cascade_cache: warm restart recipe'}),
	'1', 'streak: the four refreshes were queued while the slow recipe ran');
wait_warmed('streak');
$node->poll_query_until('postgres', q{
	SELECT waiting = 0 AND filled + present + skipped + not_stored + failed + dropped = queued
	  FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'})
  or die 'refreshes never finished';
my $stored_in_order = as_role('app', qq{
	SELECT string_agg(what, ' ' ORDER BY s)
	  FROM (VALUES ('warm41', '[41]', NULL), ('warm42', '[42]', NULL),
	               ('streak1', '[51]', 'streak1'), ('streak2', '[52]', 'streak2'),
	               ('streak3', '[53]', 'streak3'), ('streak4', '[54]', 'streak4')) v(what, p, n)
	  LEFT JOIN LATERAL (SELECT detail::timestamptz AS s
	                       FROM cascade_cache.cache_explain('$by_id', p::jsonb, n)
	                      WHERE item = 'stored_at') e ON true});
is($stored_in_order, 'streak4 streak3 streak2 warm41 streak1 warm42',
	'streak: a warm recipe after three refreshes in a row');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET cascade_cache.recipe_workers; SELECT pg_reload_conf();});

# --- writing the file never parses a recipe's parameters ---
# A superuser session with a larger max_stack_depth caches an entry whose
# parameter is nested deeper than the background worker's stack depth
# allows a JSON parser: writing the file must not parse it (an ERROR there
# would end the worker, at every periodic write).  The nesting is chosen
# here, between the two depths, as stack frames differ between builds
# (and below 32,000, for the recipe to stay under 64kB).
my ($deep, $deep_n);
for my $n (30000, 25000, 20000, 15000, 10000)
{
	my $arr = "(repeat('[', $n) || repeat(']', $n))::jsonb";
	my ($ok_deep) = $node->psql('postgres',
		"SET max_stack_depth = '6MB'; SELECT jsonb_typeof($arr)");
	my ($ok_default) = $node->psql('postgres', "SELECT jsonb_typeof($arr)");
	if ($ok_deep == 0 && $ok_default != 0)
	{
		($deep, $deep_n) = ($arr, $n);
		last;
	}
}
ok(defined $deep, 'deep: a nesting that 6MB of stack parses and 2MB does not');
$deep //= q{'[]'::jsonb};
$deep_n //= 0;
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.warm_interval = '1s';
	SELECT pg_reload_conf();
});
my $worker = cc_worker_pid($node);
$log_at = -s $node->logfile;
$node->safe_psql('postgres', qq{
	SET max_stack_depth = '6MB';
	SELECT cascade_cache.cached_query('SELECT jsonb_typeof(\$1) AS t', $deep);
	SELECT cascade_cache.cached_query('SELECT jsonb_typeof(\$1) AS t', $deep);
});
my $deep_at = $node->safe_psql('postgres', q{SELECT now()});
ok( $node->poll_query_until('postgres',
		qq{SELECT (pg_stat_file('cascade_cache.warm')).modification > '$deep_at'::timestamptz + interval '1s'}),
	'deep: the file was written since');
cmp_ok(-s $warm_file, '>', 2 * $deep_n, 'deep: with the recipe of the deep entry');
is(cc_worker_pid($node), $worker, 'deep: the worker is the same process');
unlike(slurp_file($node->logfile, $log_at), qr/stack depth limit exceeded/,
	'deep: no stack depth error');
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET cascade_cache.warm_interval;
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});

# --- a damaged file is ignored, its key seed too ---
$node->safe_psql('postgres', q{SELECT cascade_cache.cache_flush()});
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(71, 73) g});
$node->stop;
ok(-f $warm_file, 'a clean shutdown wrote the file');
{
	open(my $fh, '+<', $warm_file) or die "open: $!";
	binmode $fh;
	seek($fh, (-s $warm_file) - 20, 0);
	my $byte;
	read($fh, $byte, 1);
	seek($fh, (-s $warm_file) - 20, 0);
	print $fh chr(ord($byte) ^ 0xff);
	close $fh;
}
$log_at = -s $node->logfile;
$node->start;
ok( $node->poll_query_until('postgres', q{SELECT state FROM cascade_cache.cache_warm_status()}, 'idle'),
	'a damaged file: nothing is warmed');
like(slurp_file($node->logfile, $log_at), qr/ignored the warm restart file .* it is damaged/,
	'and the log says so');

# --- a cache with no recipe to write keeps the last file written ---
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.warm_interval = '1s';
	SELECT pg_reload_conf();
	SELECT cascade_cache.cache_flush();
});
as_role('app', qq{SELECT count(cascade_cache.cached_query('$by_id', jsonb_build_array(g))) FROM generate_series(74, 76) g});
my $t1 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
ok( $node->poll_query_until('postgres', qq{
		SELECT last_write_recipes = 3 AND last_write_at > '$t1'
		  FROM cascade_cache.cache_warm_status()}),
	'a periodic write recorded the 3 recipes');
$node->safe_psql('postgres', q{SELECT cascade_cache.cache_flush()});
sleep 2;    # periodic writes of the empty cache
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET cascade_cache.warm_interval;
	SELECT pg_reload_conf();
});
$node->restart;
wait_warmed('the kept file');
is(warm_status(), 'done,3,3,0',
	'the empty cache wrote nothing: the three recipes of the last write are warmed');
is(cc_stats($node, 'entries'), 3, 'and their entries are back');

# --- jsonb parameters of every kind come back under their key ---
# A recipe keeps them as JSON text, of which jsonb_in() must make the same
# jsonb again, byte for byte: strings with escapes and non-ASCII
# characters, numbers of every scale and size, nested objects whose keys
# jsonb sorts.
$node->safe_psql('postgres', q{SELECT cascade_cache.cache_flush()});
my $json_reads = <<'EOS';
SELECT count(cascade_cache.cached_query('SELECT $1::text AS a, $2::text AS b', p::jsonb))
  FROM (VALUES
	('["x\ty\u0001 é 日本 \"q\" \\ /", {"b": 1, "a": [1.50, -0, 1e3, 0.000001, null, true, false]}]'),
	('[[], {}]'),
	('[-1.0E-5, 3.14159265358979323846264338327950288]'),
	('["", " "]'),
	('[{"z": {"y": {"x": [1, [2, [3]]]}}, "aa": "b", "a": "c"}, 123456789012345678901234567890]'),
	('[1e-300, -0.0]')) v(p);
SELECT count(cascade_cache.cached_query('SELECT $1::text AS a, $2::text AS b',
										jsonb_build_array(g, g::numeric / 7)))
  FROM generate_series(1, 4) g;
EOS
is(as_role('app', $json_reads), "6\n4", 'app fills 10 entries with jsonb parameters of every kind');
$node->restart;
wait_warmed('jsonb parameters');
is(warm_stats(), '10,10,0,0,0,0', 'their 10 recipes were filled, none skipped: the keys came out the same');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
is(as_role('app', $json_reads), "6\n4", 'app reads them again');
is(cc_stats($node, 'hits, misses'), '10,0', 'every read is a hit');

# --- a file of another format (an earlier version's) is ignored ---
sub crc32c
{
	my ($data) = @_;
	my $crc = 0xFFFFFFFF;
	for my $byte (unpack('C*', $data))
	{
		$crc ^= $byte;
		$crc = ($crc >> 1) ^ (($crc & 1) ? 0x82F63B78 : 0) for 1 .. 8;
	}
	return $crc ^ 0xFFFFFFFF;
}
$node->stop;
ok(-f $warm_file, 'a clean shutdown wrote the file');
{
	my $file = slurp_file($warm_file);
	# (the magic is a 64-bit integer: its bytes, little-endian, read "20MRAWCC")
	is(scalar reverse(substr($file, 0, 8)), 'CCWARM02', 'its magic is CCWARM02');
	is(unpack('L', substr($file, -4)), crc32c(substr($file, 0, -4)), 'and its CRC is CRC-32C');
	# the same file, as format 01 would have it
	my $old = scalar(reverse('CCWARM01')) . substr($file, 8, -4);
	open(my $fh, '>', $warm_file) or die "open: $!";
	binmode $fh;
	print $fh $old . pack('L', crc32c($old));
	close $fh;
}
$log_at = -s $node->logfile;
$node->start;
ok( $node->poll_query_until('postgres', q{SELECT state FROM cascade_cache.cache_warm_status()}, 'idle'),
	'a file of format 01: nothing is warmed');
like(slurp_file($node->logfile, $log_at),
	qr/ignored the warm restart file .* it is of another format, written by another version of cascade_cache/,
	'and the log says so');
is(cc_stats($node, 'entries'), '0', 'the cache starts empty');

# the file is never larger than max_memory: 200 recipes of a 30 kB
# statement text (the cache keeps the text once, each recipe has it) would
# take 6 MB; with max_memory = 4MB the hottest that fit are written
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.max_memory = '4MB';
	ALTER SYSTEM SET cascade_cache.warm_entries = 10000;
	SELECT pg_reload_conf();});
$node->poll_query_until('postgres', q{SELECT current_setting('cascade_cache.max_memory') = '4MB'})
  or die 'max_memory not reloaded';
my $pad = 'x' x 30000;
is($node->safe_psql('postgres', qq{
	SELECT count(cascade_cache.cached_query('SELECT \$1::int AS n /* $pad */', jsonb_build_array(g)))
	  FROM generate_series(1, 200) g}), '200', '200 entries of a 30 kB statement');
cmp_ok(cc_stats($node, 'entries'), '>=', 200, 'all cached');
$node->stop;
my $size = -s $warm_file;
cmp_ok($size, '<=', 4 * 1024 * 1024, "the file holds no more than max_memory ($size bytes)");
cmp_ok($size, '>', 2 * 1024 * 1024, 'and is filled up to it');
$node->start;
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET cascade_cache.max_memory;
	ALTER SYSTEM RESET cascade_cache.warm_entries;
	SELECT pg_reload_conf();});

$node->stop;
unlike(slurp_file($node->logfile), qr/TRAP:|terminated by signal 11|server process .* was terminated by signal 6/,
	'no assertion failure, no backend crash');

done_testing();
