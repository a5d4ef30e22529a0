# Upgrades: install the first release (1.0), put entries in the cache, then
# ALTER EXTENSION UPDATE one version at a time up to the default version.
# After each step the cache keeps working (the update changes functions,
# which flushes the database's entries); at the end the extension's objects
# and their privileges are exactly those of a fresh install.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = cc_node('upgrade', no_extension => 1);
$node->safe_psql('postgres', 'CREATE DATABASE fresh');

# the versions, in order, from the first release to the default one
my @versions = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions
	  WHERE name = 'cascade_cache'
	  ORDER BY string_to_array(version, '.')::int[]");
my $default = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'cascade_cache'");
is($versions[0], '1.0', 'the first release is 1.0');
is($versions[-1], $default, "the default version ($default) is the newest");

$node->safe_psql('postgres', "CREATE EXTENSION cascade_cache VERSION '1.0'");
$node->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t VALUES (1, 'one');
	SELECT cascade_cache.cached_query('SELECT v FROM t WHERE id = $1', '[1]');
});

for my $i (1 .. $#versions)
{
	my $to = $versions[$i];
	$node->safe_psql('postgres', "ALTER EXTENSION cascade_cache UPDATE TO '$to'");
	is($node->safe_psql('postgres',
			"SELECT extversion FROM pg_extension WHERE extname = 'cascade_cache'"),
		$to, "updated to $to");
	# the update changes functions, which flushes the database's entries
	# (conservatively); the cache keeps working
	is($node->safe_psql('postgres',
			q{SELECT cascade_cache.cached_query('SELECT v FROM t WHERE id = $1', '[1]')}),
		'[{"v": "one"}]', "after the update to $to the query is answered");
	my $hits = $node->safe_psql('postgres',
		'SELECT hits FROM cascade_cache.cache_stats()');
	is($node->safe_psql('postgres',
			q{SELECT cascade_cache.cached_query('SELECT v FROM t WHERE id = $1', '[1]')}),
		'[{"v": "one"}]', "... and cached again");
	is($node->safe_psql('postgres', 'SELECT hits FROM cascade_cache.cache_stats()'),
		$hits + 1, "... as a hit");
	# and invalidation still works
	$node->safe_psql('postgres', "UPDATE t SET v = 'uno' WHERE id = 1");
	is($node->safe_psql('postgres',
			q{SELECT cascade_cache.cached_query('SELECT v FROM t WHERE id = $1', '[1]')}),
		'[{"v": "uno"}]', "after the update to $to writes invalidate");
	$node->safe_psql('postgres', "UPDATE t SET v = 'one' WHERE id = 1");
}

# the same objects, with the same privileges, as a fresh install
$node->safe_psql('fresh', 'CREATE EXTENSION cascade_cache');
my $objects = q{
	SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' ' ||
	       coalesce((SELECT array_to_string(array(SELECT x::text FROM unnest(p.proacl) x ORDER BY 1), ',') FROM pg_proc p WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid), '') ||
	       coalesce((SELECT array_to_string(array(SELECT x::text FROM unnest(c.relacl) x ORDER BY 1), ',') FROM pg_class c WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid), '')
	  FROM pg_depend d
	 WHERE d.refclassid = 'pg_extension'::regclass
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cascade_cache')
	   AND d.deptype = 'e'
	 ORDER BY 1};
my $updated = $node->safe_psql('postgres', $objects);
my $fresh = $node->safe_psql('fresh', $objects);
is($updated, $fresh, 'updated step by step = installed fresh (objects and privileges)');
cmp_ok(scalar(split /\n/, $fresh), '>=', 25, 'and that is the whole extension');

# columns of the views and functions, too
my $columns = q{
	SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
	  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	 WHERE c.relnamespace = 'cascade_cache'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
	 UNION ALL
	SELECT p.oid::regprocedure::text || ' -> ' || pg_get_function_result(p.oid)
	  FROM pg_proc p WHERE p.pronamespace = 'cascade_cache'::regnamespace
	 ORDER BY 1};
is($node->safe_psql('postgres', $columns), $node->safe_psql('fresh', $columns),
	'the same columns and signatures');

$node->stop;
done_testing();
