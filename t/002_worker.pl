# The background worker: killed alone it restarts and the cache keeps
# serving; it expires entries with a ttl; it evicts to stay under
# cascade_cache.max_memory, including after max_memory is lowered.  Backends
# also evict for themselves, so the cache keeps storing when full.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('worker', conf => "cascade_cache.max_memory = '4MB'\n");
$node->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, pad text);
	 INSERT INTO t SELECT g, repeat('x', 400) FROM generate_series(1, 20000) g;");

my $worker_query =
  "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'";
$node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($worker_query) w")
  or die 'the worker did not start';
my $pid1 = $node->safe_psql('postgres', $worker_query);
like($pid1, qr/^\d+$/, 'the worker shows in pg_stat_activity');

# --- the worker dies alone: the cache keeps serving -------------------------
cc_query($node, 'SELECT pad FROM t WHERE id = $1', "[$_]") for 1 .. 10;
is(cc_stats($node, 'entries'), '10', 'ten entries cached');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid1)");
is(cc_query($node, 'SELECT id FROM t WHERE id = $1', '[1]'), '[{"id": 1}]',
	'cached_query works while the worker is down');
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM ($worker_query) w WHERE pid <> $pid1")
  or die 'the worker did not restart';
isnt($node->safe_psql('postgres', $worker_query), $pid1, 'the worker restarted with a new pid');
my $hits0 = cc_stats($node, 'hits');
cc_query($node, 'SELECT pad FROM t WHERE id = $1', "[$_]") for 1 .. 10;
is(cc_stats($node, 'hits') - $hits0, 10, 'entries made before the restart are still served');
is(cc_stats($node, 'entries'), '11', 'and none were lost');

# --- ttl expiry ---------------------------------------------------------------
$node->safe_psql('postgres',
	q{DO $$ BEGIN
	    FOR i IN 1..50 LOOP
	      PERFORM cascade_cache.cached_query('SELECT id, 1 AS short FROM t WHERE id = $1',
	                                          jsonb_build_array(i), ttl => '1 second');
	    END LOOP;
	  END $$});
is(cc_stats($node, 'entries'), '61', 'fifty entries with a one-second ttl');
$node->poll_query_until('postgres',
	'SELECT entries = 11 FROM cascade_cache.cache_stats()')
  or die 'expired entries were not removed';
pass('the worker removed the expired entries without anyone reading them');
cmp_ok(cc_stats($node, 'expirations'), '>=', 50, 'and counted them as expirations');

# an expired entry is a miss even before the worker removes it
$node->safe_psql('postgres', 'SET cascade_cache.default_ttl = 0');
$node->safe_psql('postgres',
	"SELECT cascade_cache.cached_query('SELECT 1 AS one', ttl => '100 milliseconds')");
my $misses0 = cc_stats($node, 'misses');
$node->safe_psql('postgres',
	"SELECT pg_sleep(0.2); SELECT cascade_cache.cached_query('SELECT 1 AS one', ttl => '1 hour')");
is(cc_stats($node, 'misses') - $misses0, 1, 'an expired entry is not served');

# cascade_cache.default_ttl applies when no ttl is given
$node->safe_psql('postgres', "ALTER SYSTEM SET cascade_cache.default_ttl = '1s'");
$node->reload;
$node->safe_psql('postgres',
	"SELECT cascade_cache.cached_query('SELECT 2 AS two')");
$node->poll_query_until('postgres',
	"SELECT cascade_cache.cached_query('SELECT 2 AS two') IS NOT NULL AND
	        (SELECT misses FROM cascade_cache.cache_stats()) >= $misses0 + 3")
  or die 'default_ttl did not expire the entry';
pass('default_ttl expires entries');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET cascade_cache.default_ttl');
$node->reload;

# --- memory: filling far beyond max_memory -----------------------------------
my ($budget, $limit) = split /,/, cc_stats($node, 'memory_budget, memory_limit');
is($limit, 4 * 1024 * 1024, 'memory_limit is max_memory');
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	q{DO $$ BEGIN
	    FOR i IN 1..20000 LOOP
	      PERFORM cascade_cache.cached_query('SELECT pad FROM t WHERE id = $1',
	                                          jsonb_build_array(i));
	    END LOOP;
	  END $$});
is($ret, 0, 'storing 20000 entries (about 9MB) into a 4MB cache raises no error');
is($stderr, '', 'and no warning');
my ($bytes, $evictions, $stores, $entries) =
  split /,/, cc_stats($node, 'bytes_used, evictions, stores, entries');
cmp_ok($bytes, '<=', $budget, 'the accounted bytes stay within the budget');
cmp_ok($evictions, '>', 5000, 'entries were evicted');
cmp_ok($stores, '>=', 20000, 'every result was stored');
cmp_ok($entries, '>', 1000, 'the cache holds what fits');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM cascade_cache.cache_bypass_stats() WHERE reason = 'no_memory' AND count > 0"),
	'0', 'no result was refused for lack of memory');

# CLOCK keeps what is used: touch a small hot set while streaming cold keys
$node->safe_psql('postgres',
	q{DO $$ BEGIN
	    FOR round IN 1..40 LOOP
	      FOR i IN 1..50 LOOP
	        PERFORM cascade_cache.cached_query('SELECT pad FROM t WHERE id = $1',
	                                            jsonb_build_array(i));
	      END LOOP;
	      FOR i IN 1..500 LOOP
	        PERFORM cascade_cache.cached_query('SELECT pad FROM t WHERE id = $1',
	                                            jsonb_build_array(1000 + round * 500 + i));
	      END LOOP;
	    END LOOP;
	  END $$});
my $hits_before = cc_stats($node, 'hits');
$node->safe_psql('postgres',
	q{DO $$ BEGIN
	    FOR i IN 1..50 LOOP
	      PERFORM cascade_cache.cached_query('SELECT pad FROM t WHERE id = $1',
	                                          jsonb_build_array(i));
	    END LOOP;
	  END $$});
cmp_ok(cc_stats($node, 'hits') - $hits_before, '>=', 45,
	'the hot set survives a stream of cold keys');

# lowering max_memory: the worker evicts down to the new budget
$node->safe_psql('postgres', "ALTER SYSTEM SET cascade_cache.max_memory = '2MB'");
$node->reload;
$node->poll_query_until('postgres',
	'SELECT bytes_used <= memory_budget AND memory_limit = 2 * 1024 * 1024
	   FROM cascade_cache.cache_stats()')
  or die 'the worker did not shrink the cache';
pass('after max_memory is lowered the worker evicts down to the new budget');

# everything still works
$node->safe_psql('postgres', "UPDATE t SET pad = 'changed' WHERE id = 1");
is(cc_query($node, 'SELECT pad FROM t WHERE id = $1', '[1]'), '[{"pad": "changed"}]',
	'invalidation still works');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
is(cc_stats($node, 'entries, bytes_used'), '0,0',
	'a flush leaves nothing accounted');

$node->stop;
done_testing();
