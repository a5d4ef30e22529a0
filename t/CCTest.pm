# Helpers shared by the cascade_cache TAP tests.
package CCTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Exporter 'import';

our @EXPORT = qw(cc_node cc_query cc_stats cc_worker_pid);

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

# PID of the background worker, or '' if it is not running.
sub cc_worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'"
	);
}

1;
