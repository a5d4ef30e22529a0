# Without cascade_cache in shared_preload_libraries, CREATE EXTENSION works
# and every function raises SQLSTATE 55000 with a hint on how to fix it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plain');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION cascade_cache');
pass('CREATE EXTENSION works without preloading');

for my $call (
	"cached_query('SELECT 1')", 'cache_flush()',
	"cache_invalidate_relation('pg_class')", 'cache_stats()',
	'cache_bypass_stats()', 'cache_stats_reset()')
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT * FROM cascade_cache.$call");
	isnt($ret, 0, "$call fails");
	like($err, qr/ERROR:  55000: cascade_cache must be loaded via shared_preload_libraries/,
		"$call: SQLSTATE 55000 and a clear message");
	like($err, qr/HINT:  Add cascade_cache to shared_preload_libraries/,
		"$call: with a hint");
}

# ordinary work is unaffected
$node->safe_psql('postgres', 'CREATE TABLE t (a int); INSERT INTO t VALUES (1)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), '1', 'the server works normally');

$node->stop;
done_testing();
