# The randomized differential test of invalidation by DDL
# (test/ddl_differential.pl), with its readers and checks on a hot standby:
# the writers' DDL, DML, prepared transactions, cascades and flushes commit
# on the primary, the standby replays them, and after every commit (once
# the standby has replayed it) every call the standby's readers have made
# is compared there with a fresh run.  The tables it watches make
# invalidation precise, with DDL that disables, unwatches and watches them.
# There must be no difference.  CC_DDL_STANDBY_OPS (default 600) and
# CC_DDL_STANDBY_SEED (default: random, printed) control the run; a failure
# prints the seed to replay.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $ops = $ENV{CC_DDL_STANDBY_OPS} // 600;
my $primary = cc_node('ddl_primary', init => { allows_streaming => 1 },
	conf => "max_connections = 40\nmax_prepared_transactions = 10\n"
	  . "cascade_cache.key_settings = 'app.tenant'\n");
$primary->backup('b1');
my $standby = PostgreSQL::Test::Cluster->new('ddl_standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
# recovery conflicts cancel the standby's readers quickly rather than hold
# replay back
$standby->append_conf('postgresql.conf', "max_standby_streaming_delay = 2s\n");
$standby->start;
# the standby caches once it has replayed a record of the primary's
$primary->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
$standby->poll_query_until('postgres',
	"SELECT cascade_cache.cached_query('SELECT 1 AS ready') IS NOT NULL AND hits + misses > 0 FROM cascade_cache.cache_stats()")
  or die 'the standby never started caching';

my @cmd = ($^X, "$FindBin::RealBin/../test/ddl_differential.pl",
	'--host', $primary->host, '--port', $primary->port,
	'--standby-host', $standby->host, '--standby-port', $standby->port,
	'--watch', '--ops', $ops, '--quiet');
push @cmd, '--seed', $ENV{CC_DDL_STANDBY_SEED}
  if defined $ENV{CC_DDL_STANDBY_SEED};

my ($stdout, $stderr);
my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
note $stdout;
diag $stderr if $stderr ne '';
ok($ok, 'the DDL differential run on the standby found no stale result')
  or diag $stdout;

my ($seed, $done, $commits, $compared, $differences, $prepared, $standby_hits,
	$lock_skipped) =
  $stdout =~ /seed=(\d+) ops=(\d+) commits=(\d+) rollbacks=\d+ checks=\d+ compared=(\d+) hits=\d+ .*differences=(\d+) prepared=(\d+) standby_hits=(\d+) lock_skipped=(\d+)/;
is($differences, 0, "no differences (seed " . ($seed // '?') . ")");
is($done, $ops, "all $ops operations ran");
# the run exercised what it claims to: commits, prepared transactions,
# comparisons, and hits on the standby of entries that survived commits
cmp_ok($commits, '>=', $ops / 5, 'enough commits');
cmp_ok($prepared, '>=', 1, 'transactions were prepared');
cmp_ok($compared, '>=', $ops * 5, 'enough comparisons');
cmp_ok($standby_hits, '>=', $ops * 5,
	'the standby served entries that survived commits');
# skipped comparisons (a lock or a recovery conflict) stay a minority
cmp_ok($lock_skipped, '<', $compared / 10, 'few comparisons skipped');

$standby->stop;
$primary->stop;
done_testing();
