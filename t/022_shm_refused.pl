# When the system refuses the cache more shared memory (a /dev/shm smaller
# than cascade_cache.max_memory, as in a container by default; a segment
# file that cannot be created; too many segments), the cache stops growing
# and nothing else fails.  This test proves that:
#   - a cached_query() whose result needs a new segment returns its result,
#     uncached (counted as the no_memory bypass), and the reason is logged;
#     it evicts nothing (evicting cannot make a segment);
#   - a small result is still cached, and hit, in the room there is;
#   - a commit whose refresh-ahead recipes need a new segment commits: the
#     recipes copied before the refusal are queued, the rest are dropped
#     and counted, and every one queued ends with an outcome;
#   - a PREPARE TRANSACTION whose invalidation marks cannot be copied into
#     the area prepares, and its COMMIT PREPARED takes the path of a slot
#     lost in a restart: it flushes the database's entries.
# The refusal: dynamic_shared_memory_type = mmap, whose segments are files
# in the data directory's pg_dynshmem, made read-only for the server once
# the cache's area has its first segment (1 MB, besides the part in the
# fixed shared memory, which its tables fill).  The next segment the area
# would create is refused.
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

# the area's first segment, and a small entry in it
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[2]'), '[{"v": "i2"}]',
	'a first entry is stored');
my $dynshmem = $node->data_dir . '/pg_dynshmem';
my @segments = glob("$dynshmem/mmap.*");
cmp_ok(scalar(@segments), '>=', 2, 'the area has a segment (a file besides the control segment)');
ok(-d $dynshmem, 'the segments of dynamic_shared_memory_type = mmap are files in pg_dynshmem');
chmod(0555, $dynshmem) or die "chmod $dynshmem: $!";
# the server runs as the owner of the directory: check it is refused now
ok(!open(my $probe, '>', "$dynshmem/probe"), 'pg_dynshmem refuses new files');

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
# 80,000 md5 strings: about 2.9 MB as jsonb, about 2 MB compressed, more
# than the area's first segment.
my $big = q{SELECT jsonb_agg(md5(i::text)) AS a FROM generate_series(1, 80000) i};
my $len = "jsonb_array_length(cascade_cache.cached_query('$big') -> 0 -> 'a')";
my $log_offset = -s $node->logfile;
my $nm_before = no_memory();
my $misses_before = stat_of('misses');
my ($ret, $out, $err) = $node->psql('postgres',
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

# --- 2. a small result is cached in the room there is ---
my $hits_before = stat_of('hits');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "i1"}]',
	'a small result: returned');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "i1"}]',
	'a small result: returned again');
is(stat_of('hits') - $hits_before, 1, 'a small result: cached and hit');

# --- 3. a PREPARE whose marks the area cannot take ---
# Fill what the area has with results of about 100 kB (each is its own
# request of DSA pages) until one is refused: no run of free pages as large
# is left (the last refusal, in part 1, was of a larger request).
my $filled = 0;
for my $i (1 .. 60)
{
	my $nm = no_memory();
	$node->safe_psql('postgres',
		"SELECT cascade_cache.cached_query('SELECT jsonb_agg(md5(i::text || \$1::text)) AS a FROM generate_series(1, 3000) i', '[$i]')");
	if (no_memory() > $nm)
	{
		$filled = 1;
		last;
	}
}
ok($filled, 'the area is full: a result of about 100 kB is refused');
cmp_ok(stat_of('entries'), '>', 0, 'the cache holds entries');
# 60,000 entities: about 40,000 fence stripes marked, 160 kB to copy
($ret, $out, $err) = $node->psql('postgres', q{
	BEGIN;
	SET LOCAL cascade_cache.cascade_max_updated = 100000;
	SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated',
	  (SELECT jsonb_agg(jsonb_build_object('__typename', 'User', 'id', g))
	     FROM generate_series(1, 60000) g))) >= 0;
	PREPARE TRANSACTION 'refused';
});
is($ret, 0, 'a PREPARE whose marks the area cannot take prepares') or diag($err);
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'refused'}),
	'1', 'the transaction is prepared');
cmp_ok(stat_of('entries'), '>', 0, 'the entries it did not invalidate stay until its COMMIT PREPARED');
($ret, $out, $err) = $node->psql('postgres', q{COMMIT PREPARED 'refused'});
is($ret, 0, 'COMMIT PREPARED succeeds') or diag($err);
is(stat_of('entries'), '0',
	'COMMIT PREPARED without a slot flushes the database (as after a restart)');
is(cc_query($node, 'SELECT v FROM items WHERE id = $1', '[1]'), '[{"v": "i1"}]',
	'and the cache works on');

# --- 4. a commit whose refresh recipes need a new segment commits ---
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
