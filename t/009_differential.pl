# The randomized differential test of invalidation (test/differential.pl):
# readers fill entries through cached_query, writers change three watched
# tables with foreign keys from several sessions, and after every commit
# every cached entry is compared with a fresh execution.  There must be no
# difference.  CC_DIFF_OPS (default 2000) and CC_DIFF_SEED (default: random,
# printed) control the run; a failure prints the seed to replay.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $ops = $ENV{CC_DIFF_OPS} // 2000;
my $node = cc_node('differential', conf => "max_connections = 40\n");

my @cmd = ($^X, "$FindBin::RealBin/../test/differential.pl",
	'--host', $node->host, '--port', $node->port, '--ops', $ops);
push @cmd, '--seed', $ENV{CC_DIFF_SEED} if defined $ENV{CC_DIFF_SEED};

my ($stdout, $stderr);
my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
note $stdout;
diag $stderr if $stderr ne '';
ok($ok, 'the differential run found no stale entry')
  or diag $stdout;

my ($seed, $done, $commits, $compared, $hits, $invalidations, $differences) =
  $stdout =~ /seed=(\d+) ops=(\d+) commits=(\d+) checks=\d+ compared=(\d+) hits=(\d+) invalidations=(\d+) differences=(\d+)/;
is($differences, 0, "no differences (seed $seed)");
is($done, $ops, "all $ops operations ran");
# the run exercised what it claims to: commits, hits served from entries
# that survived other commits, and invalidations
cmp_ok($commits, '>=', $ops / 20, 'enough commits');
cmp_ok($compared, '>=', $ops, 'enough comparisons');
cmp_ok($hits, '>=', $ops, 'entries survived commits and were served');
cmp_ok($invalidations, '>=', $ops / 10, 'writes invalidated entries');

$node->stop;
done_testing();
