# The psycopg 3 example (examples/python, Debian's python3-psycopg): its
# reads through the _args functions as server-side prepared statements and
# in pipeline mode, native values with their types, the JSON text passed
# through, a mutation's cascade and the fresh read after it, a write from
# another connection, a tenant in the key with SET LOCAL, and errors with
# their SQLSTATE and the position inside the query text.  The checks are
# examples/python/check.py's; each of its lines is one test here, and the
# number of checks is fixed, so that a check that did not run fails.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Debian's python3 (the one python3-psycopg is installed for)
my $python = '/usr/bin/python3';
my $expected_checks = 18;

ok(-x $python
	  && system($python, '-c', 'import psycopg') == 0,
	'python3 with psycopg 3 is installed (make test installs python3-psycopg)')
  or BAIL_OUT('no psycopg');

my $node = cc_node('psycopg');
my $top = "$FindBin::RealBin/..";
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'users=50',
		'-d', $node->connstr('postgres'), '-f', "$top/bench/schema.sql"
	],
	'the demo schema loads');

my $conninfo = $node->connstr('postgres');
my ($stdout, $stderr);
my $rc = IPC::Run::run(
	[ $python, "$top/examples/python/check.py", $conninfo ],
	'>', \$stdout, '2>', \$stderr);
note("check.py stderr: $stderr") if $stderr ne '';

my $n = 0;
for my $line (split /\n/, $stdout)
{
	if ($line =~ /^ok - (.*)$/)
	{
		pass($1);
		$n++;
	}
	elsif ($line =~ /^not ok - (.*)$/)
	{
		fail($1);
		$n++;
	}
}
is($n, $expected_checks, 'every check of check.py ran');
like($stdout, qr/^checks: $expected_checks$/m, 'check.py finished');
ok($rc, 'check.py exited 0');

$node->stop;
done_testing();
