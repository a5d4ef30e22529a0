# When the system refuses the cache more shared memory (a /dev/shm smaller
# than cascade_cache.max_memory, as in a container by default; a segment
# file that cannot be created; too many segments), the cache stops growing
# and nothing else fails.  This test proves that:
#   - a PREPARE TRANSACTION takes nothing from the area: one with more
#     invalidation marks than its slot holds prepares with a coarse slot,
#     which holds its database, or every database if it invalidated them
#     all, until it ends;
#   - a cached_query() whose result needs a new segment returns its result,
#     uncached (counted as the no_memory bypass), and the reason is logged;
#     it evicts nothing (evicting cannot make a segment);
#   - a small result is still cached, and hit, in the room there is;
#   - a commit whose refresh-ahead recipes need a new segment commits: the
#     recipes copied before the refusal are queued, the rest are dropped
#     and counted, and every one queued ends with an outcome.
# The refusal: dynamic_shared_memory_type = mmap, whose segments are files
# in the data directory's pg_dynshmem, made read-only for the server: first
# before the cache's area has a segment (the part in the fixed shared
# memory is taken by its tables), then once it has its first one (1 MB).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = cc_node('shm_refused',
	conf => "dynamic_shared_memory_type = mmap\n"
	  . "max_parallel_workers_per_gather = 0\n"
	  . "cascade_cache.max_entry_size = '4MB'\n"
	  . "cascade_cache.warm_entries = 0\n"
	  . "max_prepared_transactions = 2\n");
$node->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, v text);
	INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 40) g;
});

my $dynshmem = $node->data_dir . '/pg_dynshmem';
ok(-d $dynshmem, 'the segments of dynamic_shared_memory_type = mmap are files in pg_dynshmem');
my $log_offset = -s $node->logfile;

# --- 0. PREPAREs with more marks than a slot holds ---
# A PREPARE takes nothing from the area: its slot, in fixed shared memory,
# holds up to 256 fence stripes until the transaction ends.  60,000
# entities mark about 40,000 (fewer than the 65,536 dependencies past
# which a commit flushes its database instead): a coarse slot, which holds
# its database's stripe, or the cluster's if it invalidated every database
# (a role membership change does).  With the segments refused, the PREPARE
# does not care.
$node->safe_psql('postgres', q{
	CREATE DATABASE other;
	CREATE ROLE grantee;
});
$node->safe_psql('other', q{CREATE EXTENSION cascade_cache});
chmod(0555, $dynshmem) or die "chmod $dynshmem: $!";
# the server runs as the owner of the directory: check it is refused now
ok(!open(my $probe, '>', "$dynshmem/probe"), 'pg_dynshmem refuses new files');
my $entities = q{jsonb_build_object('updated',
	  (SELECT jsonb_agg(jsonb_build_object('__typename', 'User', 'id', g))
	     FROM generate_series(1, 60000) g))};
my ($ret, $out, $err) = $node->psql('postgres', qq{
	BEGIN;
	SET LOCAL cascade_cache.cascade_max_updated = 100000;
	SELECT cascade_cache.cascade_invalidate($entities) >= 0;
	PREPARE TRANSACTION 'refused_db';
});
is($ret, 0, 'a PREPARE with more marks than a slot holds prepares') or diag($err);
($ret, $out, $err) = $node->psql('postgres', qq{
	BEGIN;
	SET LOCAL cascade_cache.cascade_max_updated = 100000;
	SELECT cascade_cache.cascade_invalidate($entities) >= 0;
	GRANT pg_monitor TO grantee;
	PREPARE TRANSACTION 'refused_all';
});
is($ret, 0, 'and one that also invalidates every database') or diag($err);
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_prepared_xacts}),
	'2', 'both are prepared');

# entries in both databases, once the area may grow again
chmod(0700, $dynshmem) or die "chmod $dynshmem: $!";
sub hit
{
	my ($db, $sql) = @_;
	my $before = $node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()');
	$node->safe_psql($db, "SELECT cascade_cache.cached_query('$sql')");
	return $node->safe_psql($db, 'SELECT hits FROM cascade_cache.cache_stats()') - $before;
}
# hit() twice: the second is a hit if the first stored its entry
sub cached
{
	hit($_[0], $_[1]);
	return hit($_[0], $_[1]);
}
is(cached('postgres', 'SELECT 1 AS here') . cached('other', 'SELECT 2 AS there'), '00',
	'while they wait, no database caches (one holds every database)');
($ret, $out, $err) = $node->psql('postgres', q{COMMIT PREPARED 'refused_all'});
is($ret, 0, 'COMMIT PREPARED of the coarse slot that invalidated everything succeeds')
  or diag($err);
is(cached('postgres', 'SELECT 1 AS here') . cached('other', 'SELECT 2 AS there'), '01',
	'then the other database caches, not the one the other coarse slot holds');
($ret, $out, $err) = $node->psql('postgres', q{COMMIT PREPARED 'refused_db'});
is($ret, 0, 'COMMIT PREPARED of the coarse slot of its database succeeds') or diag($err);
is(hit('postgres', 'SELECT 1 AS here') . hit('other', 'SELECT 2 AS there'), '01',
	'its database caches again');
is(hit('postgres', 'SELECT 1 AS here'), '1', 'and hits');

# the area's first segment exists now; a small entry in it; then no more
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[2]'), '[{"v": "i2"}]',
	'a first entry is stored');
chmod(0555, $dynshmem) or die "chmod $dynshmem: $!";

sub stat_of
{
	my ($col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM cascade_cache.cache_stats()");
}

sub no_memory
{
	return $node->safe_psql('postgres',
		q{SELECT coalesce(sum(count), 0) FROM cascade_cache.cache_bypass_stats()
		   WHERE reason = 'no_memory'});
}

# 100 small entries, which must survive what follows
$node->safe_psql('postgres',
	q{SELECT count(cascade_cache.cached_query('SELECT $1::int AS n', jsonb_build_array(g)))
	    FROM generate_series(1, 100) g});
my $entries_before = stat_of('entries');
my $evictions_before = stat_of('evictions');
cmp_ok($entries_before, '>=', 101, 'the small entries are stored');

# --- 1. a result that needs a new segment: returned, not cached ---
# 80,000 md5 strings: about 2.9 MB as jsonb, 2.6 MB compressed, more
# than the area's first segment.
my $big = q{SELECT jsonb_agg(md5(i::text)) AS a FROM generate_series(1, 80000) i};
my $len = "jsonb_array_length(cascade_cache.cached_query('$big') -> 0 -> 'a')";
my $nm_before = no_memory();
my $misses_before = stat_of('misses');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT $len");
is($ret, 0, 'a result that needs a new segment: cached_query() does not fail')
  or diag($err);
is($out, '80000', 'a result that needs a new segment: the whole result is returned');
cmp_ok(no_memory(), '>', $nm_before,
	'a result that needs a new segment: counted as the no_memory bypass');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT $len");
is($out, '80000', 'a result that needs a new segment: returned again');
is(stat_of('misses') - $misses_before, 2,
	'a result that needs a new segment: not cached (both calls miss)');
($ret, $out, $err) = $node->psql('postgres', "SELECT $len");
is($out, '80000', 'a result that needs a new segment: returned a third time');
is(stat_of('evictions') - $evictions_before, 0,
	'a result that needs a new segment: evicts nothing');
is(stat_of('entries'), $entries_before,
	'a result that needs a new segment: every other entry is still there');
like(slurp_file($node->logfile, $log_offset),
	qr/LOG:  cascade_cache could not take more shared memory: could not [^\n]*pg_dynshmem/,
	'the refused segment is logged, with the reason');
# cache_health() says so, and what to do (the other checks' thresholds
# out of the way)
my $health = $node->safe_psql('postgres', q{
	SET cascade_cache.health_min_lookups = 1000000000;
	SET cascade_cache.health_entry_size = '1GB';
	SELECT status || ' | ' || array_to_string(warnings, ' / ') || ' | ' || recommendation
	  FROM cascade_cache.cache_health()});
like($health,
	qr/^degraded \|.*warning: \d+ results not stored for lack of shared memory: the system refused a segment \(logged\)[^|]*\| [^|]*lower cascade_cache\.max_memory/,
	'cache_health() warns about the results not stored for lack of shared memory')
  or diag($health);
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
unlike($node->safe_psql('postgres',
		'SELECT array_to_string(warnings, \' / \') FROM cascade_cache.cache_health()'),
	qr/lack of shared memory/,
	'... until the statistics are reset');
# --- 2. a small result is cached in the room there is ---
my $hits_before = stat_of('hits');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "i1"}]',
	'a small result: returned');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "i1"}]',
	'a small result: returned again');
is(stat_of('hits') - $hits_before, 1, 'a small result: cached and hit');

# --- 3. a commit whose refresh recipes need a new segment commits ---
# 50 entries of one statement, each recipe about 50 kB (its query text):
# stored, their context kept once; refreshing them all takes a copy of the
# whole recipe each, 2.5 MB, more than the area can take without a segment.
my $padded = 'SELECT v FROM items WHERE id = $1 /* ' . ('x' x 50000) . ' */';
for my $i (1 .. 50)
{
	cc_query_named($padded, "[$i]", 'padded');
}
is( $node->safe_psql('postgres',
		q{SELECT entries FROM cascade_cache.cache_query_stats() WHERE query_name = 'padded'}),
	'50', 'the 50 entries are stored');

my @rcols = qw(queued filled present skipped not_stored failed dropped);
sub refresh_row
{
	return $node->safe_psql('postgres',
		'SELECT ' . join(', ', @rcols)
		  . q{ FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'});
}
my %before;
@before{@rcols} = split /\|/, refresh_row();
($ret, $out, $err) = $node->psql('postgres',
	q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"queryName": "padded", "strategy": "REFETCH", "scope": "EXACT"}]}')});
is($ret, 0, 'a commit whose refresh recipes need a new segment commits')
  or diag($err);
is($out, '50', 'the commit removed the 50 entries');
$node->poll_query_until('postgres', q{
	SELECT waiting = 0 AND filled + present + skipped + not_stored + failed + dropped = queued
	  FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'})
  or die 'the refreshes never finished';
my %after;
@after{@rcols} = split /\|/, refresh_row();
my %d = map { $_ => $after{$_} - $before{$_} } @rcols;
note(join " ", map { "$_=$d{$_}" } @rcols);
is($d{queued}, 50, 'every refresh asked for counts as queued');
cmp_ok($d{dropped}, '>', 0, 'the recipes the area could not take are dropped, counted');
cmp_ok($d{dropped}, '<', 50, 'the recipes copied before the refusal are queued');

# the server is fine: a new session reads, writes and caches
is($node->safe_psql('postgres', q{UPDATE items SET v = 'changed' WHERE id = 1 RETURNING v}),
	'changed', 'writes commit');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "changed"}]',
	'and a read after them sees the new value');

# --- 4. at the system's limit the cache goes on replacing entries ---
# 300 results of about 6 kB, 1.8 MB in all, into what the area has: the
# cache evicts older entries to make room for them, and stores them.
my $evictions_at = stat_of('evictions');
my $stores_at = stat_of('stores');
$node->safe_psql('postgres', q{SELECT count(cascade_cache.cached_query(
	'SELECT jsonb_agg(md5(i::text || $1::text)) AS a FROM generate_series(1, 150) i',
	jsonb_build_array(g))) FROM generate_series(1, 300) g});
cmp_ok(stat_of('stores') - $stores_at, '>=', 290,
	"at the system's limit, new results are still stored");
cmp_ok(stat_of('evictions'), '>', $evictions_at, 'by evicting older entries');

chmod(0700, $dynshmem);
$node->stop;
done_testing();

# cached_query(query, params, NULL, name)
sub cc_query_named
{
	my ($sql, $params, $name) = @_;
	$sql =~ s/'/''/g;
	return $node->safe_psql('postgres',
		"SELECT cascade_cache.cached_query('$sql', '$params', NULL, '$name')");
}
