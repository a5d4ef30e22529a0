# Stale-read checker under concurrency.  Writers bump version counters;
# readers read a version directly and then through cached_query(), and fail
# if the cached value is older than the direct read taken just before it.
# Writers also use functions, triggers and TRUNCATE-free bulk updates, and
# readers use a view over two tables.  A single stale read fails the run.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('stale', conf => "max_connections = 40\n");
$node->safe_psql('postgres', q{
	CREATE TABLE ver (id int PRIMARY KEY, v bigint NOT NULL);
	INSERT INTO ver SELECT g, 0 FROM generate_series(1, 8) g;
	CREATE TABLE ver_log (id int, v bigint);
	CREATE TABLE ver_mirror (id int PRIMARY KEY, v bigint NOT NULL);
	INSERT INTO ver_mirror SELECT g, 0 FROM generate_series(1, 8) g;
	-- a trigger keeps a mirror table in step
	CREATE FUNCTION mirror() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  UPDATE ver_mirror SET v = NEW.v WHERE id = NEW.id;
	  RETURN NEW;
	END $$;
	CREATE TRIGGER ver_mirror AFTER UPDATE ON ver FOR EACH ROW EXECUTE FUNCTION mirror();
	CREATE VIEW v_ver AS
	  SELECT a.id, least(a.v, b.v) AS v FROM ver a JOIN ver_mirror b USING (id);
	CREATE FUNCTION bump(i int) RETURNS void LANGUAGE sql AS $$
	  UPDATE ver SET v = v + 1 WHERE id = i $$;

	CREATE FUNCTION check_read(i int) RETURNS void LANGUAGE plpgsql AS $$
	DECLARE
	  direct bigint;
	  cached bigint;
	BEGIN
	  SELECT v INTO direct FROM ver WHERE id = i;
	  cached := (cascade_cache.cached_query('SELECT v FROM ver WHERE id = $1',
	                                        jsonb_build_array(i)) -> 0 ->> 'v')::bigint;
	  IF cached < direct THEN
	    RAISE EXCEPTION 'stale read of ver %: direct %, cached %', i, direct, cached;
	  END IF;
	  SELECT least(a.v, b.v) INTO direct FROM ver a JOIN ver_mirror b USING (id) WHERE id = i;
	  cached := (cascade_cache.cached_query('SELECT v FROM v_ver WHERE id = $1',
	                                        jsonb_build_array(i)) -> 0 ->> 'v')::bigint;
	  IF cached < direct THEN
	    RAISE EXCEPTION 'stale read of v_ver %: direct %, cached %', i, direct, cached;
	  END IF;
	END $$;
});

my $reader = "\\set i random(1, 8)\nSELECT check_read(:i);\n";
my $writer = "\\set i random(1, 8)\nUPDATE ver SET v = v + 1 WHERE id = :i;\n";
my $fwriter = "\\set i random(1, 8)\nSELECT bump(:i);\n";

$node->pgbench(
	'--no-vacuum --client=12 --jobs=2 --time=15',
	0,
	[qr{processed: [1-9]}],
	[qr{^$}],
	'readers and writers run without a single stale read',
	{
		'reader@16' => $reader,
		'writer@2' => $writer,
		'fwriter@1' => $fwriter,
	});

my ($hits, $stores, $invalidations, $rejected) =
  split /,/, cc_stats($node, 'hits, stores, invalidations, rejected_stores');
cmp_ok($hits, '>', 1000, "the cache served hits ($hits)");
cmp_ok($stores, '>', 100, "and stored fills ($stores)");
cmp_ok($invalidations, '>', 100, "and invalidated entries ($invalidations)");
note("rejected stores: $rejected");

# the final state is consistent
for my $i (1 .. 8)
{
	$node->safe_psql('postgres', "SELECT check_read($i)");
}
pass('final reads are fresh');

$node->stop;
done_testing();
