# Logical replication subscribers.  The apply worker writes without the
# executor hooks that invalidate entries, so on a subscriber:
#  - a subscribed table that is watched (cascade_watch, whose triggers are
#    enabled ALWAYS) is invalidated by its triggers: precisely for a plain
#    table, as a whole for a partitioned one, and on TRUNCATE;
#  - a subscribed table that is not watched is never cached (bypass
#    'subscribed_table'), nor are its partitions.
# Random writes on the publisher; after each the subscriber reads every
# query through cached_query and compares it with a fresh execution.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $ops = $ENV{CC_LOGICAL_OPS} // 1000;

my $schema = q{
	CREATE TABLE item (id int PRIMARY KEY, v int NOT NULL, grp int NOT NULL);
	CREATE INDEX item_grp ON item (grp);
	CREATE TABLE plain (id int PRIMARY KEY, v int NOT NULL);
	CREATE TABLE marker (id int PRIMARY KEY, n int NOT NULL);
	CREATE TABLE late (id int PRIMARY KEY, v int NOT NULL);
	INSERT INTO late VALUES (1, 1);
};
my $pub = cc_node('publisher', init => { allows_streaming => 'logical' },
	conf => "max_prepared_transactions = 4\n");
$pub->safe_psql('postgres', $schema . q{
	CREATE TABLE part (id int PRIMARY KEY, v int NOT NULL);
	INSERT INTO item SELECT g, g, g % 5 FROM generate_series(1, 40) g;
	INSERT INTO part SELECT g, g FROM generate_series(1, 40) g;
	INSERT INTO plain SELECT g, g FROM generate_series(1, 40) g;
	INSERT INTO marker VALUES (1, 0);
	CREATE PUBLICATION pub FOR TABLE item, part, plain, marker;
});

my $sub = cc_node('subscriber', conf => "max_prepared_transactions = 4\n");
$sub->safe_psql('postgres', $schema . q{
	CREATE TABLE part (id int PRIMARY KEY, v int NOT NULL) PARTITION BY HASH (id);
	CREATE TABLE part0 PARTITION OF part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
	CREATE TABLE part1 PARTITION OF part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
	CREATE TABLE local_only (id int PRIMARY KEY, v int NOT NULL);
	INSERT INTO local_only VALUES (1, 1);
	SELECT cascade_cache.cascade_watch('item');
	SELECT cascade_cache.cascade_watch('part');
	CREATE FUNCTION fresh(q text, p jsonb) RETURNS jsonb LANGUAGE sql VOLATILE
	  SET cascade_cache.enabled = off AS $$ SELECT cascade_cache.cached_query(q, p) $$;
});
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION sub CONNECTION 'port=" . $pub->port . ' host=' . $pub->host
	  . " dbname=postgres' PUBLICATION pub WITH (two_phase = true)");
$sub->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')")
  or die 'the initial synchronisation did not finish';

my $p = cc_dbh($pub);
my $s = cc_dbh($sub);
$s->do('SET enable_seqscan = off; SET jit = off');

# every write carries the next marker value in its transaction: once the
# subscriber shows it, the write has been applied there
my $mark = 0;
sub applied
{
	for (my $i = 0;; $i++)
	{
		last if $s->selectrow_array('SELECT n FROM marker WHERE id = 1') == $mark;
		die 'the subscriber does not catch up' if $i > 30000;
		usleep(1000);
	}
}
sub write_tx
{
	my (@sql) = @_;
	$p->begin_work;
	$p->do($_) for @sql;
	$p->do('UPDATE marker SET n = ? WHERE id = 1', undef, ++$mark);
	$p->commit;
	applied();
}

my @queries = (
	[ 'SELECT v FROM item WHERE id = $1', '[7]' ],
	[ 'SELECT v FROM item WHERE id = $1', '[8]' ],
	[ 'SELECT id, v FROM item WHERE grp = $1 ORDER BY id', '[2]' ],
	[ 'SELECT count(*) AS n, sum(v) AS s FROM item', '[]' ],
	[ 'SELECT v FROM part WHERE id = $1', '[7]' ],
	[ 'SELECT count(*) AS n, sum(v) AS s FROM part', '[]' ],
	[ 'SELECT v FROM part1 WHERE id = $1', '[8]' ],
	[ 'SELECT v FROM plain WHERE id = $1', '[7]' ],
);

my $stale = 0;
srand(4242);
for my $n (1 .. $ops)
{
	my $r = rand();
	my $id = 1 + int(rand(40));
	my $t = (qw(item part plain))[ int(rand(3)) ];
	if ($r < 0.5) { write_tx("UPDATE $t SET v = v + 1 WHERE id = $id"); }
	elsif ($r < 0.65 && $t eq 'item') { write_tx('UPDATE item SET grp = ' . int(rand(5)) . " WHERE id = $id"); }
	elsif ($r < 0.8)
	{
		write_tx("DELETE FROM $t WHERE id = $id",
			"INSERT INTO $t SELECT $id, " . int(rand(1000)) . ($t eq 'item' ? ', ' . int(rand(5)) : '')
			  . " WHERE NOT EXISTS (SELECT FROM $t WHERE id = $id)");
	}
	elsif ($r < 0.97)
	{
		write_tx("DELETE FROM $t WHERE id = $id");
		write_tx("INSERT INTO $t SELECT $id, $n" . ($t eq 'item' ? ', ' . int(rand(5)) : ''));
	}
	else
	{
		write_tx('CREATE TEMP TABLE keep ON COMMIT DROP AS SELECT * FROM ' . $t,
			"TRUNCATE $t", "INSERT INTO $t SELECT * FROM keep");
	}
	my $rows = cc_stale_rows($s, \@queries);
	for my $row (@$rows)
	{
		diag "stale on the subscriber after write $n: $row->[0] $row->[1]: cached $row->[2], fresh $row->[3]"
		  if $stale++ < 20;
	}
}
is($stale, 0, "no stale result on the subscriber over $ops writes");

my $stats = $s->selectrow_hashref('SELECT * FROM cascade_cache.cache_stats()');
cmp_ok($stats->{hits}, '>', $ops, "the subscriber served from its cache ($stats->{hits} hits)");
my $explain = q{SELECT string_agg(item || ': ' || detail, '; ') FROM cascade_cache.cache_explain(?, ?::jsonb)};
like($s->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[7]'),
	qr/key item.id = 7/, 'the watched subscribed table is tracked precisely');
like($s->selectrow_array($explain, undef, 'SELECT v FROM plain WHERE id = $1', '[7]'),
	qr/subscribed_table/, 'an unwatched subscribed table is not cached, and cache_explain says why');
my ($bypassed) = $s->selectrow_array(
	q{SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'subscribed_table'});
cmp_ok($bypassed, '>=', $ops, 'every read of it is a subscribed_table bypass');

# a partition of an unwatched subscribed partitioned table is not cached
$sub->safe_psql('postgres', 'SELECT cascade_cache.cascade_unwatch(\'part\')');
like($s->selectrow_array($explain, undef, 'SELECT v FROM part1 WHERE id = $1', '[8]'),
	qr/subscribed_table/, 'nor is a partition of an unwatched subscribed table');

# watching the table makes it cacheable, and the apply worker invalidates it
$sub->safe_psql('postgres', 'SELECT cascade_cache.cascade_watch(\'plain\')');
my ($v7) = $p->selectrow_array('SELECT v FROM plain WHERE id = 7');
is($s->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM plain WHERE id = $1', '[7]')}),
	qq{[{"v": $v7}]}, 'once watched, plain is read');
like($s->selectrow_array($explain, undef, 'SELECT v FROM plain WHERE id = $1', '[7]'),
	qr/entry: cached/, 'and cached');
write_tx('UPDATE plain SET v = -1 WHERE id = 7');
is($s->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM plain WHERE id = $1', '[7]')}),
	'[{"v": -1}]', 'and the apply worker\'s write invalidates it');

# a prepared transaction applied by the apply worker (two_phase): while it
# is prepared on the subscriber, a read sees the old row and does not
# store it; once committed, the new row
my ($v9) = $p->selectrow_array('SELECT v FROM item WHERE id = 9');
my $item9 = q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[9]')};

# On the publisher: add 100 to item 9 in a transaction prepared as $gid;
# wait until the subscriber's apply worker has prepared it too
sub prepare_item9
{
	my ($gid) = @_;
	$p->begin_work;
	$p->do('UPDATE item SET v = v + 100 WHERE id = 9');
	$p->do(qq{PREPARE TRANSACTION '$gid'});
	$sub->poll_query_until('postgres', 'SELECT count(*) = 1 FROM pg_prepared_xacts')
	  or die 'the apply worker did not prepare the transaction';
}

# Read item 9 on the subscriber: is it the value $v and is it not stored?
sub item9_not_stored
{
	my ($v, $what) = @_;
	is($s->selectrow_array($item9), qq{[{"v": $v}]}, $what);
	like($s->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[9]'),
		qr/entry: not cached/, 'and do not store it');
}

is($s->selectrow_array($item9), qq{[{"v": $v9}]}, 'item 9 is cached on the subscriber');
# what cache_holds() shows on the subscriber
my $sub_holds = q{SELECT kind, gid IS NULL, database, scope, state
	FROM cascade_cache.cache_holds() ORDER BY kind, gid};
prepare_item9('sub2pc');
item9_not_stored($v9, 'while the transaction is prepared on the subscriber, reads see the old row');
is($sub->safe_psql('postgres', $sub_holds), 'apply|t|postgres|rows|held',
	'cache_holds(): the apply worker\'s prepared transaction holds what it changed');
$p->do(q{COMMIT PREPARED 'sub2pc'});
write_tx();
is($sub->safe_psql('postgres', $sub_holds), 'apply|t|postgres|rows|ended',
	'cache_holds(): once it is committed, its hold waits for a fill to release it');
is($s->selectrow_array($item9), '[{"v": ' . ($v9 + 100) . '}]',
	'after COMMIT PREPARED the subscriber reads the new row');

# the same across a restart of the subscriber: the hold of the prepared
# transaction was in shared memory, and the apply worker's COMMIT PREPARED
# does not pass the utility hook; the transactions still prepared are
# listed at the first fill, and hold every database until they end
prepare_item9('sub2pc_restart');
$s->disconnect;
$sub->restart;
$s = cc_dbh($sub);
$s->do('SET enable_seqscan = off; SET jit = off');
item9_not_stored($v9 + 100, 'after a restart of the subscriber, reads see the old row');
is($sub->safe_psql('postgres', $sub_holds), 'prepared|f|postgres|cluster|held',
	'cache_holds(): listed after the restart, it holds every database');
$p->do(q{COMMIT PREPARED 'sub2pc_restart'});
write_tx();
is($s->selectrow_array($item9), '[{"v": ' . ($v9 + 200) . '}]',
	'after COMMIT PREPARED the subscriber reads the new row');
like($s->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[9]'),
	qr/entry: cached/, 'and caches it again');

# entries cached from a table before it becomes a subscription target are
# dropped when it does (its writes will arrive past the executor hooks)
my $late = q{SELECT cascade_cache.cached_query('SELECT v FROM late WHERE id = $1', '[1]')};
is($s->selectrow_array($late), '[{"v": 1}]', 'a local table is cached');
$p->do('ALTER PUBLICATION pub ADD TABLE late');
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION sub REFRESH PUBLICATION WITH (copy_data = false)');
write_tx('UPDATE late SET v = 2 WHERE id = 1');
is($s->selectrow_array($late), '[{"v": 2}]',
	'once it is subscribed, the entry cached before is gone and writes are seen');

# a table only the subscriber has is cached as usual
$s->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM local_only WHERE id = 1')});
like($s->selectrow_array($explain, undef, 'SELECT v FROM local_only WHERE id = 1', '[]'),
	qr/entry: cached/, 'a table no subscription writes is cached as usual');

$p->disconnect;
$s->disconnect;
$sub->stop;
$pub->stop;
done_testing();
