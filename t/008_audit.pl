# The audit table is UNLOGGED: its rows survive a clean restart and are
# gone after a crash; auditing keeps working either way.  Also checks that
# the ring stays bounded under a sustained stream of mutations.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('audit',
	conf => "restart_after_crash = on\ncascade_cache.audit_max_rows = 200\n");
$node->safe_psql('postgres', q{
	CREATE TABLE tb_item (id int PRIMARY KEY, v int);
	INSERT INTO tb_item SELECT g, 0 FROM generate_series(1, 100) g;
	SELECT cascade_cache.cascade_watch('tb_item');
	CREATE FUNCTION touch(i int) RETURNS integer LANGUAGE plpgsql AS $$
	BEGIN
	  UPDATE tb_item SET v = v + 1 WHERE id = i;
	  RETURN cascade_cache.cascade_invalidate(jsonb_build_object('updated',
	           jsonb_build_array(jsonb_build_object('__typename', 'Item', 'id', i))));
	END $$;
});

$node->safe_psql('postgres', "SELECT touch($_)") for 1 .. 5;
is($node->safe_psql('postgres',
		"SELECT count(*), string_agg(DISTINCT status, ','), string_agg(DISTINCT source, ',') FROM cascade_cache.cascade_audit"),
	'5|success|both', 'five audited mutations');

# clean restart: the rows survive
$node->restart;
is($node->safe_psql('postgres', 'SELECT count(*) FROM cascade_cache.cascade_audit'),
	'5', 'audit rows survive a clean restart');
$node->safe_psql('postgres', 'SELECT touch(6)');
is($node->safe_psql('postgres', 'SELECT count(*), max(entities[1]) FROM cascade_cache.cascade_audit'),
	'6|Item:6', 'and auditing continues');

# crash: the unlogged table comes back empty
my $log_offset = -s $node->logfile;
my $victim = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
$node->poll_query_until('postgres', 'SELECT true') or die 'no restart after the crash';
eval { $victim->quit };
is($node->safe_psql('postgres', 'SELECT count(*) FROM cascade_cache.cascade_audit'),
	'0', 'after a crash the audit is empty (unlogged)');
$node->safe_psql('postgres', 'SELECT touch(7)');
is($node->safe_psql('postgres', 'SELECT count(*), max(entities[1]) FROM cascade_cache.cascade_audit'),
	'1|Item:7', 'and auditing works again');

# a sustained stream of mutations stays within the ring
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=300',
	0,
	[qr{processed: 1200/1200}],
	[qr{^$}],
	'1200 audited mutations',
	{ 'touch' => "\\set i random(1, 100)\nSELECT touch(:i);\n" });
is($node->safe_psql('postgres',
		'SELECT count(*) <= 200, max(id) > 1000 FROM cascade_cache.cascade_audit'),
	't|t', 'the ring holds at most audit_max_rows rows');
is($node->safe_psql('postgres',
		'SELECT total_mutations >= 1200, failed FROM cascade_cache.cascade_audit_metrics()'),
	't|0', 'the metrics count every mutation');

$node->stop;
done_testing();
