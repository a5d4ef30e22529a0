# A database that uses cascade_cache survives what a DBA does to move it:
# pg_dump and a restore (plain and custom format, the latter with parallel
# jobs), and pg_upgrade of the whole cluster.  Afterwards the watched
# tables' triggers are there (cascade_watched), the application role's
# privileges on the extension's functions are restored, results are cached
# and a write to a watched table invalidates them, with an audit row.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Cwd;

my $old = cc_node('old', no_extension => 1);
$old->safe_psql('postgres', 'CREATE DATABASE app');
$old->safe_psql('app', q{
	CREATE EXTENSION cascade_cache;
	CREATE ROLE app_user LOGIN;
	CREATE TABLE tb_user (id int PRIMARY KEY, name text);
	INSERT INTO tb_user SELECT g, 'user ' || g FROM generate_series(1, 2000) g;
	CREATE TABLE tb_order (id int PRIMARY KEY, user_id int, total int)
		PARTITION BY RANGE (id);
	CREATE TABLE tb_order_1 PARTITION OF tb_order FOR VALUES FROM (0) TO (1000);
	INSERT INTO tb_order VALUES (1, 1, 10), (2, 1, 20);
	SELECT cascade_cache.cascade_watch('tb_user');
	SELECT cascade_cache.cascade_watch('tb_order');
	GRANT USAGE ON SCHEMA cascade_cache TO app_user;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
		cascade_cache.cascade_invalidate(jsonb) TO app_user;
	GRANT SELECT, UPDATE ON tb_user, tb_order TO app_user;
	SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "User", "id": "2"}]}');
});

my $user_q = q{SELECT cascade_cache.cached_query('SELECT name FROM tb_user WHERE id = $1', '[1]')};
my $total_q = q{SELECT cascade_cache.cached_query('SELECT sum(total) AS t FROM tb_order WHERE user_id = $1', '[1]')};
my $watched = 'SELECT relation || \':\' || typename || \':\' || id_column FROM cascade_cache.cascade_watched ORDER BY 1';
my $watched_before = $old->safe_psql('app', $watched);
my $triggers = q{SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cascade_cache_watch%' AND tgenabled = 'A'};
my $triggers_before = $old->safe_psql('app', $triggers);
is($watched_before, "tb_order:Order:id\ntb_user:User:id", 'two watched tables');

# What must hold in a database that was moved: as the application role,
# results are cached, and writes to watched tables invalidate them.
sub check_moved
{
	my ($node, $db, $what) = @_;
	my $as_app = sub {
		my ($sql) = @_;
		return $node->safe_psql($db, $sql, extra_params => [ '-U', 'app_user' ]);
	};
	# precise invalidation needs an index lookup: plans as in production
	$node->safe_psql($db, 'ANALYZE');
	is($node->safe_psql($db, $watched), $watched_before, "$what: the same watched tables");
	is($node->safe_psql($db, $triggers), $triggers_before,
		"$what: the same triggers, still ENABLE ALWAYS");
	my $name = $node->safe_psql($db, 'SELECT name FROM tb_user WHERE id = 1');
	is($as_app->($user_q), qq([{"name": "$name"}]), "$what: the application role's call");
	my $hits = $node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()');
	is($as_app->($user_q), qq([{"name": "$name"}]), "$what: called again");
	is($node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()'), $hits + 1,
		"$what: ... a hit");
	# the other user's entry, which the triggers' row-level precision keeps
	(my $other_q = $user_q) =~ s/\[1\]/[2]/;
	my $other = $as_app->($other_q);
	my $audit = $node->safe_psql($db, 'SELECT count(*) FROM cascade_cache.cascade_audit');
	$as_app->("UPDATE tb_user SET name = name || '+' WHERE id = 1");
	is($as_app->($user_q), qq([{"name": "$name+"}]),
		"$what: a write to a watched table invalidates the entry");
	$hits = $node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()');
	is($as_app->($other_q), $other, "$what: another row's entry ...");
	is($node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()'), $hits + 1,
		"$what: ... is still cached (the triggers' precision)");
	cmp_ok($node->safe_psql($db, 'SELECT count(*) FROM cascade_cache.cascade_audit'), '>', $audit,
		"$what: and leaves an audit row");
	my $total = $as_app->($total_q);
	$as_app->('UPDATE tb_order SET total = total + 1 WHERE id = 2');
	isnt($as_app->($total_q), $total,
		"$what: a write to a watched partitioned table invalidates too");
}

check_moved($old, 'app', 'the original');

# --- pg_dump, plain, restored with psql ---
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $bindir = $old->config_data('--bindir');
$old->command_ok([ "$bindir/pg_dump", '-d', 'app', '-f', "$tmp/app.sql" ], 'pg_dump (plain)');
$old->safe_psql('postgres', 'CREATE DATABASE restored');
$old->command_ok([ "$bindir/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored',
		'-f', "$tmp/app.sql" ], 'the plain dump restores without an error');
check_moved($old, 'restored', 'restored from a plain dump');

# --- pg_dump, custom format, pg_restore with parallel jobs ---
$old->command_ok([ "$bindir/pg_dump", '-Fc', '-d', 'app', '-f', "$tmp/app.dump" ],
	'pg_dump (custom format)');
$old->safe_psql('postgres', 'CREATE DATABASE restored_fc');
$old->command_ok([ "$bindir/pg_restore", '-j', '2', '--exit-on-error', '-d', 'restored_fc',
		"$tmp/app.dump" ], 'pg_restore -j 2 restores without an error');
check_moved($old, 'restored_fc', 'restored by pg_restore -j 2');

# --- pg_upgrade of the whole cluster ---
my $audit_rows = $old->safe_psql('app', 'SELECT count(*) FROM cascade_cache.cascade_audit');
my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;
$new->append_conf('postgresql.conf', "shared_preload_libraries = 'cascade_cache'\n");
$old->stop;
{
	# pg_upgrade writes its logs in the current directory (and PostgreSQL
	# 15 in the new data directory)
	my $cwd = getcwd();
	chdir $tmp or die "chdir $tmp: $!";
	command_ok(
		[ "$bindir/pg_upgrade", '--no-sync',
		  '-d', $old->data_dir, '-D', $new->data_dir,
		  '-b', $bindir, '-B', $bindir,
		  '-s', $new->host, '-p', $old->port, '-P', $new->port ],
		'pg_upgrade of a cluster that uses cascade_cache');
	chdir $cwd;
}
$new->start;
is($new->safe_psql('app', q{SELECT extversion = default_version FROM pg_extension e
	JOIN pg_available_extensions a ON a.name = e.extname WHERE extname = 'cascade_cache'}),
	't', 'upgraded: the extension, at the default version');
is($new->safe_psql('app', 'SELECT count(*) FROM cascade_cache.cascade_audit'), $audit_rows,
	'upgraded: the audit rows of a clean shutdown are kept');
check_moved($new, 'app', 'upgraded with pg_upgrade');
for my $db ('restored', 'restored_fc')
{
	is($new->safe_psql($db, $watched), $watched_before, "upgraded: the watched tables of $db too");
}

$new->stop;
done_testing();
