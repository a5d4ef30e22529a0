# Through a real PgBouncer in transaction pooling (Debian's pgbouncer):
# two tenants of one role share one server connection, each naming its
# tenant with SET LOCAL inside its transaction, and never see each other's
# rows; a second role gets nothing of the first's entries; a write through
# another connection is seen at once; reads hit; and the hazard README
# warns of (a session-level SET outlives its client under transaction
# pooling) is real.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use DBI;

my $pgbouncer = '/usr/sbin/pgbouncer';
ok(-x $pgbouncer, 'pgbouncer is installed (make test installs it)')
  or BAIL_OUT('no pgbouncer');

my $node = cc_node('pgbouncer');
$node->safe_psql('postgres', q{
	CREATE TABLE tenant_rows (tenant text, v text);
	INSERT INTO tenant_rows VALUES ('t1', 'one of t1'), ('t2', 'one of t2');
	CREATE TABLE other_rows (v text);
	INSERT INTO other_rows VALUES ('other');
	CREATE ROLE app_a LOGIN;
	CREATE ROLE app_b LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO app_a, app_b;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
	                          cascade_cache.cached_query_json(text, jsonb, interval, text)
	   TO app_a, app_b;
	GRANT SELECT ON tenant_rows TO app_a;
	GRANT SELECT ON other_rows TO app_b;
});

# PgBouncer: transaction pooling, one server connection per (database,
# role), so that the two tenants of app_a take turns on one connection
my $dir = PostgreSQL::Test::Utils::tempdir;
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $nhost = $node->host;
my $nport = $node->port;
open(my $users, '>', "$dir/userlist.txt") or die;
print $users qq{"app_a" ""\n"app_b" ""\n};
close($users);
open(my $ini, '>', "$dir/pgbouncer.ini") or die;
print $ini <<"INI";
[databases]
postgres = host=$nhost port=$nport dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 20
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
close($ini);
system($pgbouncer, '-d', "$dir/pgbouncer.ini") == 0
  or BAIL_OUT("pgbouncer did not start: " . slurp_file("$dir/pgbouncer.log"));
END
{
	if (defined $dir && -f "$dir/pgbouncer.pid")
	{
		my $pid = slurp_file("$dir/pgbouncer.pid");
		chomp $pid;
		kill 'TERM', $pid if $pid =~ /^\d+$/;
	}
}

# a client of PgBouncer: no named prepared statements (PgBouncer 1.18 does
# not carry them across server connections in transaction pooling)
sub bouncer_client
{
	my ($role) = @_;
	my $dbh;
	for my $try (1 .. 50)
	{
		$dbh = eval {
			DBI->connect("dbi:Pg:dbname=postgres;host=127.0.0.1;port=$port",
				$role, '',
				{ AutoCommit => 1, RaiseError => 1, PrintError => 0,
				  pg_server_prepare => 0 });
		};
		last if $dbh;
		select(undef, undef, undef, 0.1);
	}
	die "cannot connect through pgbouncer as $role: $DBI::errstr" unless $dbh;
	return $dbh;
}

my $q = q{SELECT v FROM tenant_rows WHERE tenant = current_setting('app.tenant_id')};

# one transaction of a tenant: SET LOCAL, a cached read; returns the result
# and the server backend's pid
sub tenant_read
{
	my ($dbh, $tenant, $fn) = @_;
	$fn //= 'cached_query';
	$dbh->begin_work;
	$dbh->do('SET LOCAL app.tenant_id = ' . $dbh->quote($tenant));
	my ($r) = $dbh->selectrow_array("SELECT cascade_cache.$fn(?)::text", undef, $q);
	my ($pid) = $dbh->selectrow_array('SELECT pg_backend_pid()');
	$dbh->commit;
	return ($r, $pid);
}

my $a1 = bouncer_client('app_a');
my $a2 = bouncer_client('app_a');
my $b1 = bouncer_client('app_b');

my $hits0 = cc_stats($node, 'hits');
my ($r1, $pid1) = tenant_read($a1, 't1');
my ($r2, $pid2) = tenant_read($a2, 't2');
is($pid1, $pid2, 'the two tenants share one server connection');
is($r1, '[{"v": "one of t1"}]', 'tenant t1 reads its rows');
is($r2, '[{"v": "one of t2"}]', 'tenant t2, on the same server connection, reads its own');
for my $round (1 .. 3)
{
	my ($x1) = tenant_read($a1, 't1');
	my ($x2) = tenant_read($a2, 't2');
	is($x1, $r1, "round $round: t1 still reads only its rows");
	is($x2, $r2, "round $round: t2 still reads only its rows");
}
my ($j1) = tenant_read($a2, 't1', 'cached_query_json');
is($j1, $r1, 'cached_query_json through PgBouncer: the same text');
cmp_ok(cc_stats($node, 'hits'), '>=', $hits0 + 6, 'the repeated reads are hits');

# after the transaction, the tenant is gone from the server connection
my ($after) = $a1->selectrow_array(q{SELECT coalesce(current_setting('app.tenant_id', true), '')});
is($after, '', 'SET LOCAL ends with its transaction');

# another role: its own key, its own privileges
my $err = eval { tenant_read($b1, 't1'); 1 } ? '' : $@;
like($err, qr/permission denied for table tenant_rows/,
	'a second role gets nothing of the first role\'s entries: its own privileges apply');
$b1->rollback if !$b1->{AutoCommit};
is($b1->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM other_rows')::text}),
	'[{"v": "other"}]', 'the second role reads what it may');

# a write through another connection is seen at once
$node->safe_psql('postgres', q{UPDATE tenant_rows SET v = 'new of t1' WHERE tenant = 't1'});
my ($fresh) = tenant_read($a2, 't1');
is($fresh, '[{"v": "new of t1"}]', 'a committed write from another connection is seen at once');
my ($other) = tenant_read($a1, 't2');
is($other, '[{"v": "one of t2"}]', 't2 still reads its own rows');

# the hazard: a session-level SET stays on the server connection after the
# client's statement, where the next client of the pool finds it
$a1->do(q{SET app.tenant_id = 't1'});
my ($leaked) = $a2->selectrow_array(q{SELECT coalesce(current_setting('app.tenant_id', true), '')});
is($leaked, 't1',
	'a session-level SET leaks to the next client of the server connection (use SET LOCAL)');
$a2->do(q{RESET app.tenant_id});

$_->disconnect for ($a1, $a2, $b1);
done_testing();
