# Helpers shared by the cascade_cache TAP tests.
package CCTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Exporter 'import';

our @EXPORT = qw(cc_node cc_query cc_stats cc_worker_pid cc_dbh cc_stale_rows cc_wait_warmed);

# A new, started node with cascade_cache preloaded and installed in the
# 'postgres' database.  Extra postgresql.conf lines may be passed.
sub cc_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ $opts{init} // {} });
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'cascade_cache'\n"
		  . ($opts{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION cascade_cache')
	  unless $opts{no_extension};
	return $node;
}

# cached_query() through psql; returns the jsonb text.
sub cc_query
{
	my ($node, $sql, $params) = @_;
	$params //= '[]';
	$sql =~ s/'/''/g;
	return $node->safe_psql('postgres',
		"SELECT cascade_cache.cached_query('$sql', '$params')");
}

# One cache_stats() column (or a comma-separated list of them).
sub cc_stats
{
	my ($node, $cols) = @_;
	return $node->safe_psql('postgres',
		"SELECT concat_ws(',', $cols) FROM cascade_cache.cache_stats()");
}

# A DBI connection to the node's 'postgres' database; errors raise.
sub cc_dbh
{
	my ($node) = @_;
	require DBI;
	return DBI->connect(
		'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port,
		undef, undef, { AutoCommit => 1, RaiseError => 1, PrintError => 0 });
}

# Read each [query, params] through cached_query and through fresh(q, p)
# (a function the test defines that calls cached_query with
# cascade_cache.enabled off), in one statement; returns the rows that
# differ, as [query, params, cached, fresh].
sub cc_stale_rows
{
	my ($dbh, $queries) = @_;
	return $dbh->selectall_arrayref(q{
		SELECT q, p, c::text, f::text FROM (
		  SELECT q, p, cascade_cache.cached_query(q, p::jsonb) AS c, fresh(q, p::jsonb) AS f
		    FROM unnest(?::text[], ?::text[]) AS u(q, p)) x
		 WHERE c IS DISTINCT FROM f}, undef,
		[ map { $_->[0] } @$queries ], [ map { $_->[1] } @$queries ]);
}

# PID of the background worker, or '' if it is not running.
sub cc_worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'"
	);
}

# Wait until every recipe of the warm restart file read at start was
# queued and has come to an outcome (waiting only counts what no runner has
# taken yet); a test named "$what: every recipe ran".
sub cc_wait_warmed
{
	my ($node, $what) = @_;
	Test::More::ok(
		$node->poll_query_until('postgres', q{
			SELECT s.state = 'done' AND s.waiting = 0
			   AND r.filled + r.present + r.skipped + r.not_stored + r.failed >= s.recipes
			  FROM cascade_cache.cache_warm_status() s, cascade_cache.cache_recipe_stats() r
			 WHERE r.kind = 'warm'}),
		"$what: every recipe ran");
}

1;
