# A clean restart and a crash-restart (a backend killed with SIGKILL in the
# middle of a fill) both bring the cache back empty and working, with warm
# restart off (t/019_warm_restart.pl tests it on).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('main',
	conf => "restart_after_crash = on\ncascade_cache.warm_entries = 0\n");
$node->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
my $q = 'SELECT v FROM t WHERE id = $1';

is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'first call computes the result');
is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'second call returns it');
is(cc_stats($node, 'hits, misses, entries'), '1,1,1', 'one miss, one hit, one entry');

# clean restart
$node->restart;
is(cc_stats($node, 'hits, misses, entries, bytes_used'),
	'0,0,0,0', 'after a clean restart the cache is empty');
is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'miss after restart');
is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'hit after restart');
is(cc_stats($node, 'hits, misses, entries'), '1,1,1', 'cache works after restart');

# crash: kill a backend that is in the middle of a fill
my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(77)');
my $filler = $node->background_psql('postgres', on_error_stop => 0);
$filler->query_safe('SET cascade_cache.debug_fill_pause = 77');
my $filler_pid = $filler->query_safe('SELECT pg_backend_pid()');
$filler->query_until(qr/start/, q(
\echo start
SELECT cascade_cache.cached_query('SELECT v FROM t WHERE id = 1 AND v IS NOT NULL');
));
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $filler_pid"
) or die 'the fill never paused';

my $log_offset = -s $node->logfile;
kill 'KILL', $filler_pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server did not come back after the crash';
# both sessions died with the crash
eval { $holder->quit };
eval { $filler->quit };

is(cc_stats($node, 'hits, misses, entries, bytes_used'),
	'0,0,0,0', 'after a crash-restart the cache is empty');
is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'miss after crash');
is(cc_query($node, $q, '[1]'), '[{"v": "a"}]', 'hit after crash');
is(cc_stats($node, 'hits, misses, entries'), '1,1,1', 'cache works after crash');
$node->safe_psql('postgres', "UPDATE t SET v = 'b' WHERE id = 1");
is(cc_query($node, $q, '[1]'), '[{"v": "b"}]', 'invalidation works after crash');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'"
	),
	'the worker runs again after the crash');

$node->stop;
done_testing();
