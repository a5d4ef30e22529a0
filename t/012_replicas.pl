# Coherent caches on hot standbys: a primary and two streaming standbys.
# Writers commit on the primary (changes to a watched table, cascades,
# DDL, TRUNCATE, cache_flush()); after each commit the test waits until both
# standbys have replayed it, then reads through cached_query on both and
# compares every result with a fresh execution: 0 stale results over
# CC_REPLICA_COMMITS (default 5000) commits.  Then: cascades, DDL and
# flushes remove the standbys' entries; a standby refuses to store a fill
# that raced a replayed commit, and one made between replaying an
# invalidation and replaying its commit (a prepared transaction holds that
# window open); promotion; the old primary rewound with pg_rewind.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

my $commits = $ENV{CC_REPLICA_COMMITS} // 5000;

my $primary = cc_node('primary', init => { allows_streaming => 1 },
	conf => "max_prepared_transactions = 4\nwal_keep_size = '256MB'\n");	# for pg_rewind
$primary->safe_psql('postgres', q{
	CREATE TABLE item (id int PRIMARY KEY, v int NOT NULL, grp int NOT NULL);
	CREATE INDEX item_grp ON item (grp);
	INSERT INTO item SELECT g, g, g % 5 FROM generate_series(1, 50) g;
	SELECT cascade_cache.cascade_watch('item');
	CREATE TABLE doc (id int PRIMARY KEY, data jsonb NOT NULL);
	INSERT INTO doc SELECT g, jsonb_build_object('__typename', 'Doc', 'id', g, 'n', 0) FROM generate_series(1, 10) g;
	CREATE TABLE flush_wal (n int);
	CREATE FUNCTION holds_1_8(OUT kind text, OUT gid text, OUT transaction xid, OUT database name,
	  OUT scope text, OUT stripes integer, OUT state text, OUT since timestamptz)
	  RETURNS SETOF record AS '$libdir/cascade_cache', 'cache_holds' LANGUAGE C;
	CREATE TABLE side (id int PRIMARY KEY, label text);
	INSERT INTO side VALUES (1, 'one');
	CREATE FUNCTION fresh(q text, p jsonb) RETURNS jsonb LANGUAGE sql VOLATILE
	  SET cascade_cache.enabled = off AS $$ SELECT cascade_cache.cached_query(q, p) $$;
});
$primary->backup('b');
my @standbys;
for my $name ('standby1', 'standby2')
{
	my $s = PostgreSQL::Test::Cluster->new($name);
	$s->init_from_backup($primary, 'b', has_streaming => 1);
	$s->start;
	push @standbys, $s;
}
# the primary's announcement came before the base backup: any invalidation
# it logs tells the standbys too
$primary->safe_psql('postgres', 'SELECT cascade_cache.cache_flush()');
$primary->wait_for_catchup($_) for @standbys;
for my $s (@standbys)
{
	$s->poll_query_until('postgres',
		"SELECT hits + misses > 0 FROM (SELECT cascade_cache.cached_query('SELECT 1 AS ready')) x, cascade_cache.cache_stats()")
	  or die $s->name . ' never started caching';
}

my $p = cc_dbh($primary);
my @s = map { cc_dbh($_) } @standbys;
my @w = map { cc_dbh($_) } @standbys;		# for waiting on replay
# index scans for the point lookups (precise dependencies), and no
# JIT for the aggregate that a disabled seq scan makes look expensive
$_->do('SET enable_seqscan = off; SET jit = off') for @s;

# the queries read on the standbys
my @queries = (
	[ 'SELECT v FROM item WHERE id = $1', '[7]' ],
	[ 'SELECT v FROM item WHERE id = $1', '[13]' ],
	[ 'SELECT id, v FROM item WHERE grp = $1 ORDER BY id', '[2]' ],
	[ 'SELECT count(*) AS n, sum(v) AS s FROM item', '[]' ],
	[ 'SELECT data FROM doc WHERE id = $1', '[3]' ],
	[ 'SELECT i.v, s.label FROM item i, side s WHERE i.id = $1 AND s.id = 1', '[7]' ],
);

sub wait_replay
{
	# a commit that wrote something flushes the WAL, including what a
	# transaction without an xid logged before (a cascade reporting an
	# outside change is otherwise flushed by the WAL writer, later)
	$p->do('INSERT INTO flush_wal VALUES (1)');
	my $lsn = $p->selectrow_array('SELECT pg_current_wal_lsn()');
	for my $s (@w)
	{
		for (my $i = 0;; $i++)
		{
			last if $s->selectrow_array('SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn', undef, $lsn);
			die 'replay does not catch up' if $i > 100000;
			usleep(200);
		}
	}
}

my ($stale, $checked) = (0, 0);
my ($t_wait, $t_check) = (0, 0);
srand(12345);
for my $n (1 .. $commits)
{
	my $r = rand();
	my $id = 1 + int(rand(50));
	if ($r < 0.35) { $p->do('UPDATE item SET v = v + 1 WHERE id = ?', undef, $id); }
	elsif ($r < 0.45) { $p->do('UPDATE item SET grp = ? WHERE id = ?', undef, int(rand(5)), $id); }
	elsif ($r < 0.55)
	{
		$p->begin_work;
		$p->do('DELETE FROM item WHERE id = ?', undef, $id);
		$p->do('INSERT INTO item VALUES (?, ?, ?)', undef, $id, int(rand(1000)), int(rand(5)));
		$p->commit;
	}
	elsif ($r < 0.80)
	{
		my $d = 1 + int(rand(10));
		$p->begin_work;
		$p->do(q{UPDATE doc SET data = jsonb_set(data, '{n}', to_jsonb((data->>'n')::int + 1)) WHERE id = ?}, undef, $d);
		$p->do(q{SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(jsonb_build_object('__typename', 'Doc', 'id', ?::int))))}, undef, $d);
		$p->commit;
	}
	elsif ($r < 0.95) { $p->do('UPDATE side SET label = ? WHERE id = 1', undef, "label $n"); }
	elsif ($r < 0.97)
	{
		$p->do('ALTER TABLE side ADD COLUMN extra int');
		$p->do('ALTER TABLE side DROP COLUMN extra');
	}
	elsif ($r < 0.985)
	{
		$p->begin_work;
		$p->do('CREATE TEMP TABLE keep ON COMMIT DROP AS SELECT * FROM item');
		$p->do('TRUNCATE item');
		$p->do('INSERT INTO item SELECT id, v + 1, grp FROM keep');
		$p->commit;
	}
	else { $p->do('SELECT cascade_cache.cache_flush()'); }

	my $t0 = time;
	wait_replay();
	my $t1 = time;
	$t_wait += $t1 - $t0;
	diag sprintf('commit %d (r %.2f) took %.0f ms to replay', $n, $r, 1000 * ($t1 - $t0)) if $t1 - $t0 > 0.05;
	for my $s (@s)
	{
		my $rows = cc_stale_rows($s, \@queries);
		$checked += scalar @queries;
		for my $row (@$rows)
		{
			diag "stale on a standby after commit $n: $row->[0] $row->[1]: cached $row->[2], fresh $row->[3]"
			  if $stale++ < 20;
		}
	}
	$t_check += time - $t1;
}
note sprintf('waiting for replay: %.1f s, checking: %.1f s', $t_wait, $t_check);
is($stale, 0, "no stale result on the standbys over $commits commits ($checked reads checked)");
my ($hits) = $s[0]->selectrow_array('SELECT hits FROM cascade_cache.cache_stats()');
cmp_ok($hits, '>', $commits, "the standbys served from their caches ($hits hits on standby1)");

# cascades, DDL and flushes remove the standbys' entries
my $explain = q{SELECT detail FROM cascade_cache.cache_explain(?, ?::jsonb, ?) WHERE item = 'entry'};
for my $case (
	[ 'a query-name cascade',
		q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"queryName": "getSide", "scope": "EXACT"}]}')} ],
	[ 'DDL on the table it reads', 'ALTER TABLE side ADD COLUMN more int' ],
	[ 'cache_flush()', 'SELECT cascade_cache.cache_flush()' ])
{
	my ($what, $sql) = @$case;
	$s[1]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT label FROM side WHERE id = 1', name => 'getSide')});
	is($s[1]->selectrow_array($explain, undef, 'SELECT label FROM side WHERE id = 1', '[]', 'getSide'),
		'cached', "before $what: cached on the standby");
	$p->do($sql);
	wait_replay();
	is($s[1]->selectrow_array($explain, undef, 'SELECT label FROM side WHERE id = 1', '[]', 'getSide'),
		'not cached', "$what on the primary removes the standby's entry");
}

# PREFIX and PATTERN scopes match the query names of the standby's own
# cache, which the primary may never have seen
for my $case (
	[ 'PREFIX', q{{"invalidations": [{"queryName": "standbyOnly", "scope": "PREFIX"}]}} ],
	[ 'PATTERN', q{{"invalidations": [{"queryPattern": "*Only_s?", "scope": "PATTERN"}]}} ])
{
	my ($scope, $cascade) = @$case;
	$s[1]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT label FROM side WHERE id = 1', name => 'standbyOnly_s1')});
	is($s[1]->selectrow_array($explain, undef, 'SELECT label FROM side WHERE id = 1', '[]', 'standbyOnly_s1'),
		'cached', "before a $scope cascade: a name only the standby has is cached there");
	$p->do('SELECT cascade_cache.cascade_invalidate(?::jsonb)', undef, $cascade);
	wait_replay();
	is($s[1]->selectrow_array($explain, undef, 'SELECT label FROM side WHERE id = 1', '[]', 'standbyOnly_s1'),
		'not cached', "a $scope cascade on the primary removes it");
}

# a fill on the standby that raced a replayed commit is not stored: hold a
# fill before it stores, commit a change to what it read, let it go
$s[0]->do(q{SET cascade_cache.debug_fill_pause = 777});
my $holder = cc_dbh($standbys[0]);
$holder->do('SELECT pg_advisory_lock(777)');
$s[0]->do(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[21]')}, { pg_async => 1 });
$standbys[0]->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 777 AND NOT granted})
  or die 'the fill did not pause';
$p->do('UPDATE item SET v = v + 1000 WHERE id = 21');
wait_replay();
my ($rejected0) = $holder->selectrow_array('SELECT rejected_stores FROM cascade_cache.cache_stats()');
$holder->do('SELECT pg_advisory_unlock(777)');
$s[0]->pg_result;
my ($rejected1) = $holder->selectrow_array('SELECT rejected_stores FROM cascade_cache.cache_stats()');
is($rejected1, $rejected0 + 1, 'the standby refused the fill that raced the replayed commit');
$s[0]->do('RESET cascade_cache.debug_fill_pause');
my ($v_fresh) = $p->selectrow_array('SELECT v FROM item WHERE id = 21');
is($s[0]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[21]')}),
	qq{[{"v": $v_fresh}]}, 'and the next read has the new value');

# the window between replaying the invalidation and replaying the commit:
# a prepared transaction keeps its invalidation record (logged at PREPARE)
# replayed and its commit not yet.  A standby fill in the window reads the
# old row (the commit is not visible) and must not store it.
my $stats = q{SELECT stores || '/' || rejected_stores FROM cascade_cache.cache_stats()};
$s[0]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[22]')});
my ($v22) = $p->selectrow_array('SELECT v FROM item WHERE id = 22');
$p->begin_work;
$p->do('UPDATE item SET v = v + 1 WHERE id = 22');
$p->do(q{PREPARE TRANSACTION 'window'});
wait_replay();
is($s[0]->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[22]', undef),
	'not cached', 'the invalidation is applied at once on the standby');

# what holds the standby's cache, and its health
my ($window_xid) = $p->selectrow_array(q{SELECT transaction FROM pg_prepared_xacts WHERE gid = 'window'});
# (a committed transaction's hold lasts until the next look, 10 ms at most)
my $holds = q{SELECT string_agg(concat_ws('/', kind, coalesce(gid, '-'), transaction, database, scope, stripes > 0, state), ',') FROM cascade_cache.cache_holds() WHERE transaction = ?};
is($s[0]->selectrow_array($holds, undef, $window_xid), "replay/-/$window_xid/postgres/rows/t/held",
	'cache_holds() on the standby shows the hold of the replayed prepared transaction');
is($s[0]->selectrow_array(q{SELECT count(*) FROM holds_1_8() WHERE kind = 'replay'}), 0,
	"the C function of 1.8's cache_holds() does not (a standby runs it until the primary updates)");
$s[0]->do(q{SET cascade_cache.health_hold = 0});
like(join("\n", @{ ($s[0]->selectrow_array(q{SELECT warnings FROM cascade_cache.cache_health()}))[0] // [] }),
	qr/info: transaction $window_xid, replayed from the primary, keeps the results that depend on what it changed from being stored since/,
	'cache_health() on the standby tells of it');
$s[0]->do(q{RESET cascade_cache.health_hold});

# a standby that (re)starts while a transaction is prepared on the primary
# caches nothing until it ends: cache_holds() and cache_health() say so.
# (Its replay starts at a restartpoint after the PREPARE: had it replayed
# the invalidation, it would hold only what that changed, as above.)
$p->do('CHECKPOINT');
wait_replay();
$w[1]->do('CHECKPOINT');		# a restartpoint
$s[1]->disconnect;
$w[1]->disconnect;
$standbys[1]->restart;
$s[1] = cc_dbh($standbys[1]);
$w[1] = cc_dbh($standbys[1]);
$s[1]->do('SET enable_seqscan = off; SET jit = off');
$p->do('SELECT cascade_cache.cache_flush()');	# a record of ours to replay
wait_replay();
is($s[1]->selectrow_array(q{SELECT concat_ws('/', kind, transaction, scope, coalesce(stripes::text, '-'), state, since IS NOT NULL) FROM cascade_cache.cache_holds() WHERE kind = 'standby'}),
	"standby/$window_xid/cluster/-/held/t",
	'cache_holds() on the restarted standby: it waits for the prepared transaction');
my ($bypass0) = $s[1]->selectrow_array(q{SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'standby'});
$s[1]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[23]')});
is($s[1]->selectrow_array(q{SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'standby'}),
	$bypass0 + 1, 'and runs every call uncached meanwhile');
$s[1]->do(q{SET cascade_cache.health_hold = 0});
my ($h_status, $h_warnings, $h_rec) = $s[1]->selectrow_array(q{SELECT status, array_to_string(warnings, E'\n'), recommendation FROM cascade_cache.cache_health()});
is($h_status, 'degraded', 'cache_health() on that standby is degraded');
like($h_warnings,
	qr/warning: this standby caches nothing: it waits for the end of transaction $window_xid, which was running on the primary when its replay began/,
	'and names the transaction it waits for');
like($h_rec, qr/end the transactions named above on the primary/, 'and says what to do');
$s[1]->do(q{RESET cascade_cache.health_hold});
($h_status) = $s[1]->selectrow_array(q{SELECT status FROM cascade_cache.cache_health()});
isnt($h_status, 'degraded', 'not before health_hold');
my ($before) = $s[0]->selectrow_array($stats);
is($s[0]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[22]')}),
	qq{[{"v": $v22}]}, 'a read in the window sees the row as it was (the commit is not replayed)');
my ($after) = $s[0]->selectrow_array($stats);
my ($st0, $rj0) = split m{/}, $before;
is($after, $st0 . '/' . ($rj0 + 1), 'and that result is not stored');
$p->do(q{COMMIT PREPARED 'window'});
wait_replay();
is($s[0]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[22]')}),
	'[{"v": ' . ($v22 + 1) . '}]', 'once the commit is replayed the read has the new value');
is($s[0]->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[22]', undef),
	'cached', 'and is cached again');
ok($s[0]->selectrow_array(q{SELECT count(*) = 0 FROM cascade_cache.cache_holds()}),
	'and the hold is gone from cache_holds()');
$standbys[1]->poll_query_until('postgres', q{SELECT count(*) = 0 FROM cascade_cache.cache_holds() WHERE kind = 'standby'})
  or die 'the restarted standby still waits: '
  . $standbys[1]->safe_psql('postgres', 'SELECT * FROM cascade_cache.cache_holds()');
is($s[1]->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[22]')}),
	'[{"v": ' . ($v22 + 1) . '}]', 'the restarted standby reads once the prepared transaction has ended');
is($s[1]->selectrow_array($explain, undef, 'SELECT v FROM item WHERE id = $1', '[22]', undef),
	'cached', 'and caches again');
is($s[1]->selectrow_array(q{SELECT string_agg(kind, ',') FROM cascade_cache.cache_holds()}),
	undef, 'its first fill ended the hold of its new shared memory (kind restart) too');

# promotion: the promoted standby caches and invalidates as a primary
$_->disconnect for ($p, @s, @w, $holder);
$standbys[0]->promote;
$standbys[0]->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'promotion failed';
my $new = cc_dbh($standbys[0]);
$new->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[7]')});
$new->do('UPDATE item SET v = -7 WHERE id = 7');
is($new->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[7]')}),
	'[{"v": -7}]', 'the promoted standby invalidates on its own writes');

# the old primary went on alone (its cache holds its own, diverged value);
# rewound with pg_rewind and following the new primary, it starts empty and
# serves what the new primary commits
my $old = cc_dbh($primary);
$old->do('UPDATE item SET v = 700 WHERE id = 7');
is($old->selectrow_array(q{SELECT cascade_cache.cached_query('SELECT v FROM item WHERE id = $1', '[7]')}),
	'[{"v": 700}]', 'the old primary cached its diverged value');
$old->disconnect;
$primary->stop;
$new->do('CHECKPOINT');		# pg_rewind reads the new timeline from pg_control
# pg_rewind copies the source's configuration files: keep the node's own
my $conf = slurp_file($primary->data_dir . '/postgresql.conf');
command_ok(
	[ 'pg_rewind', '--target-pgdata=' . $primary->data_dir,
		'--source-server=' . $standbys[0]->connstr('postgres') ],
	'pg_rewind the old primary onto the new one');
Test::More->builder->is_passing or die 'pg_rewind failed';
open(my $fh, '>', $primary->data_dir . '/postgresql.conf') or die $!;
print $fh $conf;
close $fh;
$primary->enable_streaming($standbys[0]);
$primary->start;
$new->do('UPDATE item SET v = -70 WHERE id = 7');
$standbys[0]->wait_for_catchup($primary);
is($primary->safe_psql('postgres', 'SELECT entries FROM cascade_cache.cache_stats()'),
	'0', 'the rewound node starts with an empty cache');
is(cc_query($primary, 'SELECT v FROM item WHERE id = $1', '[7]'),
	'[{"v": -70}]', 'and serves the new primary\'s data');
is($primary->safe_psql('postgres', 'SELECT entries FROM cascade_cache.cache_stats()'),
	'1', 'from its cache');
$new->do('UPDATE item SET v = -71 WHERE id = 7');
$standbys[0]->wait_for_catchup($primary);
is(cc_query($primary, 'SELECT v FROM item WHERE id = $1', '[7]'),
	'[{"v": -71}]', 'and its cache follows the new primary\'s commits');
$new->disconnect;

$_->stop for ($primary, @standbys);
done_testing();
