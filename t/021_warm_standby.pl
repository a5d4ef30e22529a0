# Warm restart on hot standbys (issue 17): a standby started from a base
# backup that holds the primary's cascade_cache.warm warms the primary's hot
# set (the file keeps the key seed, so the keys are the same) once it may
# cache; and a standby that restarts warms its own hot set (internal
# settings such as in_hot_standby are not part of a recipe).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $primary = cc_node('primary', init => { allows_streaming => 1 },
	conf => "cascade_cache.warm_interval = 1\n");
$primary->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;
	CREATE TABLE u (i int);
});
for my $i (1 .. 50)
{
	cc_query($primary, 'SELECT v FROM t WHERE id = $1', "[$i]") for 1 .. 2;
}
ok( $primary->poll_query_until('postgres',
		'SELECT last_write_recipes >= 50 FROM cascade_cache.cache_warm_status()'),
	'the primary wrote its 50 recipes');
$primary->backup('b1');
ok(-f $primary->backup_dir . '/b1/cascade_cache.warm', 'the base backup holds the file');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;

# A replayed invalidation (a row $row into u, a table nobody cached) lets
# the standby cache; then wait until its warm restart is done.  Returns
# the standby's warm outcome, "filled,skipped,failed".
sub replay_and_warm
{
	my ($row, $what) = @_;
	$primary->safe_psql('postgres', "INSERT INTO u VALUES ($row)");
	$primary->wait_for_catchup($standby);
	cc_wait_warmed($standby, $what);
	return $standby->safe_psql('postgres', q{
		SELECT concat_ws(',', filled, skipped, failed)
		  FROM cascade_cache.cache_recipe_stats() WHERE kind = 'warm'});
}

is(replay_and_warm(1, 'standby from a base backup'),
	'50,0,0', 'the standby filled the 50 recipes of the primary');
is(cc_stats($standby, 'entries'), '50', 'the standby holds the hot set');
$standby->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
cc_query($standby, 'SELECT v FROM t WHERE id = $1', "[$_]") for 1 .. 10;
is(cc_stats($standby, 'hits, misses'), '10,0', 'and its reads are hits');

# the standby's own hot set, after the standby restarts
$primary->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
$primary->wait_for_catchup($standby);
$standby->poll_query_until('postgres', q{SELECT entries = 0 FROM cascade_cache.cache_stats()})
  or die 'the flush was not replayed';
for my $i (1 .. 20)
{
	cc_query($standby, 'SELECT v FROM t WHERE id = $1', "[$i]") for 1 .. 2;
}
is(cc_stats($standby, 'entries'), '20', 'the standby cached 20 entries of its own');
$standby->restart;
is(replay_and_warm(2, 'standby restart'),
	'20,0,0', 'the standby warmed its own 20 recipes (none skipped for in_hot_standby)');
$standby->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
cc_query($standby, 'SELECT v FROM t WHERE id = $1', "[$_]") for 1 .. 20;
is(cc_stats($standby, 'hits, misses'), '20,0', 'all hits');

$standby->stop;
$primary->stop;
done_testing();
