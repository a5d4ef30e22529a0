# On a hot standby cached_query runs every query without the cache (it
# cannot see the primary's commits to invalidate), and says so.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $primary = cc_node('primary', init => { allows_streaming => 1 });
$primary->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
$primary->backup('b1');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;

my $q = 'SELECT v FROM t WHERE id = 1';
is(cc_query($standby, $q), '[{"v": "a"}]', 'the standby answers');
is(cc_query($standby, $q), '[{"v": "a"}]', 'and again');
is(cc_stats($standby, 'hits, misses, entries'), '0,0,0', 'without using the cache');
is($standby->safe_psql('postgres',
		"SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'standby'"),
	'2', 'both calls counted as standby bypasses');

$primary->safe_psql('postgres', "UPDATE t SET v = 'b' WHERE id = 1");
$primary->wait_for_catchup($standby);
is(cc_query($standby, $q), '[{"v": "b"}]', 'the standby sees replayed changes at once');

# the primary caches as usual
is(cc_query($primary, $q), '[{"v": "b"}]', 'primary miss');
is(cc_query($primary, $q), '[{"v": "b"}]', 'primary hit');
is(cc_stats($primary, 'hits, misses'), '1,1', 'the primary uses its cache');

# after promotion the former standby caches
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'promotion failed';
is(cc_query($standby, $q), '[{"v": "b"}]', 'promoted: miss');
is(cc_query($standby, $q), '[{"v": "b"}]', 'promoted: hit');
is(cc_stats($standby, 'hits, misses'), '1,1', 'the promoted node uses its cache');
$standby->safe_psql('postgres', "UPDATE t SET v = 'c' WHERE id = 1");
is(cc_query($standby, $q), '[{"v": "c"}]', 'and invalidates on its own writes');

$standby->stop;
$primary->stop;
done_testing();
