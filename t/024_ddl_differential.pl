# The randomized differential test of invalidation by DDL
# (test/ddl_differential.pl): readers of three roles fill entries through
# cached_query() from queries over views, functions, inheritance,
# partitions, row-level security, domains, enums, collations and text
# search, named unqualified through a two-schema search_path; writers run
# random transactions of DDL and DML (shadowing, renames, replaced views
# and functions, policies, grants, memberships, rewrites), some of them
# prepared and finished later, and cascades; after every
# commit every cached call is compared with a fresh run.  There must be no
# difference.  CC_DDL_DIFF_OPS (default 1000) and CC_DDL_DIFF_SEED
# (default: random, printed) control the run; a failure prints the seed to
# replay.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $ops = $ENV{CC_DDL_DIFF_OPS} // 1000;
my $node = cc_node('ddl_differential',
	conf => "max_connections = 40\nmax_prepared_transactions = 10\n"
	  . "cascade_cache.key_settings = 'app.tenant'\n");

my @cmd = ($^X, "$FindBin::RealBin/../test/ddl_differential.pl",
	'--host', $node->host, '--port', $node->port, '--ops', $ops, '--quiet');
push @cmd, '--seed', $ENV{CC_DDL_DIFF_SEED} if defined $ENV{CC_DDL_DIFF_SEED};

my ($stdout, $stderr);
my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
note $stdout;
diag $stderr if $stderr ne '';
ok($ok, 'the DDL differential run found no stale result')
  or diag $stdout;

my ($seed, $done, $commits, $compared, $hits, $differences) =
  $stdout =~ /seed=(\d+) ops=(\d+) commits=(\d+) rollbacks=\d+ checks=\d+ compared=(\d+) hits=(\d+) .*differences=(\d+)/;
is($differences, 0, "no differences (seed " . ($seed // '?') . ")");
is($done, $ops, "all $ops operations ran");
# the run exercised what it claims to: commits, comparisons, and hits of
# entries that survived other commits
cmp_ok($commits, '>=', $ops / 5, 'enough commits');
cmp_ok($compared, '>=', $ops * 5, 'enough comparisons');
cmp_ok($hits, '>=', $ops * 5, 'entries survived commits and were served');

$node->stop;
done_testing();
