# The randomized differential test of the write paths
# (test/differential_writes.pl): on top of differential.pl's tables, a
# watched table with keys of many kinds (numeric, float8 under a hash
# index, collations, arrays, composite, partial and expression indexes, a
# generated column), a deferred foreign key, a partitioned and an
# inheritance tree, views with rules and INSTEAD OF triggers, user
# triggers; writers use MERGE, COPY, writable CTEs, ON CONFLICT, UPDATE ...
# FROM, partition-moving updates, session_replication_role = replica, a
# watch trigger disabled in the transaction, prepared transactions,
# savepoints and failing subtransactions.  After every commit every cached
# entry is compared with a fresh execution: there must be no difference.
# CC_DIFFW_OPS (default 1500) and CC_DIFFW_SEED (default: random, printed)
# control the run; a failure prints the seed to replay.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $ops = $ENV{CC_DIFFW_OPS} // 1500;
my $node = cc_node('differential_writes',
	conf => "max_connections = 40\nmax_prepared_transactions = 10\n");

my @cmd = ($^X, "$FindBin::RealBin/../test/differential_writes.pl",
	'--host', $node->host, '--port', $node->port, '--ops', $ops);
push @cmd, '--seed', $ENV{CC_DIFFW_SEED} if defined $ENV{CC_DIFFW_SEED};

my ($stdout, $stderr);
my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
note $stdout;
diag $stderr if $stderr ne '';
ok($ok, 'the differential run found no stale entry')
  or diag $stdout;

my ($seed, $done, $commits, $prepared, $compared, $hits, $invalidations,
	$differences) =
  $stdout =~ /seed=(\d+) ops=(\d+) commits=(\d+) prepared=(\d+) checks=\d+ compared=(\d+) hits=(\d+) invalidations=(\d+) differences=(\d+)/;
is($differences, 0, "no differences (seed $seed)");
is($done, $ops, "all $ops operations ran");
# the run exercised what it claims to: commits, prepared transactions,
# hits served from entries that survived other commits, and invalidations
cmp_ok($commits, '>=', $ops / 20, 'enough commits');
cmp_ok($prepared, '>=', 1, 'transactions were prepared');
cmp_ok($compared, '>=', $ops, 'enough comparisons');
cmp_ok($hits, '>=', $ops, 'entries survived commits and were served');
cmp_ok($invalidations, '>=', $ops / 10, 'writes invalidated entries');

$node->stop;
done_testing();
