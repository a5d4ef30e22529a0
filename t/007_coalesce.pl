# Request coalescing under real concurrency:
#  - 64 sessions miss on one key whose query takes 300 ms: exactly one
#    execution (counted by pg_stat_user_functions), and every session is
#    done in well under 2 x 300 ms;
#  - with cascade_cache.coalesce off the same herd executes many times;
#  - a full in-flight table makes further misses run uncoalesced, counted;
#  - a waiter whose locks close a cycle through its leader's lock wait
#    stops waiting after deadlock_timeout, and the cycle is broken; one
#    whose leader waits for a lock while nobody waits for the waiter's
#    keeps waiting;
#  - the leader SIGKILLed mid-fill: after the crash-restart all works.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node(
	'coalesce',
	conf => "max_connections = 120\n"
	  . "track_functions = all\n"
	  . "cascade_cache.max_inflight = 64\n"
	  . "cascade_cache.trusted_functions = 'slow_value'\n"
	  . "restart_after_crash = on\n");
$node->safe_psql('postgres', q{
	CREATE FUNCTION slow_value(i int) RETURNS int LANGUAGE plpgsql STABLE AS $$
	BEGIN
	  PERFORM pg_sleep(0.3);
	  RETURN i * 10;
	END $$;
	CREATE TABLE herd_times (client int, elapsed float8, coalesce bool);
});

my $tmp = PostgreSQL::Test::Utils::tempdir;

# Run pgbench in the background with 'script' for 'clients' clients, one
# transaction each.  Returns the harness.
sub start_pgbench
{
	my ($script, $clients) = @_;
	my $file = "$tmp/script_$clients.sql";
	open my $fh, '>', $file or die $!;
	print $fh $script;
	close $fh;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'pgbench', '--no-vacuum', "--client=$clients", '--jobs=2',
			'--transactions=1', '-f', $file, '-h', $node->host,
			'-p', $node->port, 'postgres'
		],
		'>', \$out, '2>', \$err);
	return ($h, \$out, \$err);
}

# Hold advisory lock 'key' in a background session; wait until 'n' sessions
# are queued behind it.
sub barrier
{
	my ($key, $n) = @_;
	my $holder = $node->background_psql('postgres');
	$holder->query_safe("SELECT pg_advisory_lock($key)");
	return $holder;
}

sub await_queued
{
	my ($key, $n) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM pg_locks WHERE locktype = 'advisory'
		   AND objid = $key AND NOT granted")
	  or die "fewer than $n sessions queued on lock $key";
}

# --- a herd of 64 on one 300 ms key --------------------------------------
sub herd
{
	my ($coalesce, $arg) = @_;
	$node->safe_psql('postgres',
		'SELECT cascade_cache.cache_flush(), cascade_cache.cache_stats_reset(), pg_stat_reset()');
	my $holder = barrier(4711);
	my ($h, $out, $err) = start_pgbench(<<"EOS", 64);
SET cascade_cache.enabled = off;
SELECT cascade_cache.cached_query('SELECT 1 AS warm_up');
RESET cascade_cache.enabled;
SET cascade_cache.coalesce = $coalesce;
SELECT pg_advisory_lock_shared(4711);
SELECT pg_advisory_unlock_shared(4711);
SELECT extract(epoch FROM clock_timestamp()) AS t0,
       cascade_cache.cached_query('SELECT slow_value($arg) AS v') AS r,
       extract(epoch FROM clock_timestamp()) AS t1 \\gset
INSERT INTO herd_times VALUES (:client_id, :t1 - :t0, '$coalesce');
EOS
	await_queued(4711, 64);
	$holder->query_safe('SELECT pg_advisory_unlock(4711)');
	$holder->quit;
	$h->finish;
	is($h->result(0), 0, "pgbench herd (coalesce $coalesce) ran cleanly")
	  or diag($$err);
	$node->poll_query_until('postgres',
		"SELECT coalesce(sum(calls), 0) > 0 FROM pg_stat_user_functions WHERE funcname = 'slow_value'"
	) or die 'function calls were never counted';
	# backends flush their statistics when they exit; give the last ones a moment
	sleep 1;
	return $node->safe_psql('postgres',
		"SELECT sum(calls) FROM pg_stat_user_functions WHERE funcname = 'slow_value'");
}

my $calls = herd('on', 1);
is($calls, '1', '64 concurrent misses on one key: exactly one execution');
is($node->safe_psql('postgres',
		'SELECT count(*), count(DISTINCT client) FROM herd_times WHERE coalesce'),
	'64|64', 'all 64 sessions got their result');
my $max = $node->safe_psql('postgres', 'SELECT max(elapsed) FROM herd_times WHERE coalesce');
cmp_ok($max, '<', 0.5, "every session finished in well under 2 x 300 ms (slowest: ${max}s)");
is( $node->safe_psql(
		'postgres',
		'SELECT misses, db_calls_saved, coalesce_waits, inflight FROM cascade_cache.cache_stats()'),
	'1|63|63|0',
	'one miss, 63 waits served by it, no slot left behind');

$calls = herd('off', 2);
cmp_ok($calls, '>', 8, "without coalescing the same herd runs the query $calls times");

# --- the in-flight table is full --------------------------------------------
$node->safe_psql('postgres',
	'SELECT cascade_cache.cache_flush(), cascade_cache.cache_stats_reset()');
my $holder = barrier(99);
my ($h, $out, $err) = start_pgbench(<<'EOS', 80);
SET cascade_cache.debug_fill_pause = 99;
SELECT cascade_cache.cached_query('SELECT :client_id AS c');
EOS
await_queued(99, 80);
my ($inflight, $full) = split /\|/, $node->safe_psql('postgres',
	'SELECT inflight, coalesce_table_full FROM cascade_cache.cache_stats()');
cmp_ok($inflight, '<=', 64, "the in-flight table holds at most its size ($inflight)");
cmp_ok($full, '>', 0, "further misses ran uncoalesced and were counted ($full)");
is($inflight + $full, 80, 'every miss either took a slot or was counted');
$holder->query_safe('SELECT pg_advisory_unlock(99)');
$holder->quit;
$h->finish;
is($h->result(0), 0, 'all 80 fills completed') or diag($$err);
is($node->safe_psql('postgres', 'SELECT inflight, stores FROM cascade_cache.cache_stats()'),
	'0|80', 'every result was stored and no slot is left');

# A locker holding cyc_u, and a leader whose fill of $sql waits for it
sub lock_and_lead
{
	my ($sql) = @_;
	my $l = $node->background_psql('postgres', on_error_stop => 0);
	$l->query_safe('SET deadlock_timeout = 200; BEGIN; LOCK cyc_u IN ACCESS EXCLUSIVE MODE');
	my $f = $node->background_psql('postgres', on_error_stop => 0);
	$f->query_until(qr/go/, qq(\\echo go
SELECT cascade_cache.cached_query('$sql');
));
	$node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE wait_event_type = 'Lock' AND query LIKE '%$sql%'})
	  or die "the leader of $sql never waited for its lock";
	return ($l, $f);
}

# A second after the waiter began waiting (past its deadlock_timeout of
# 200 ms): no timeout counted, and one session (matching $like) still
# waits in cascade_cache
sub still_waiting
{
	my ($like, $name) = @_;
	sleep 1;
	is($node->safe_psql('postgres', qq{
		SELECT s.coalesce_timeouts, count(a.pid)
		FROM cascade_cache.cache_stats() s
		LEFT JOIN pg_stat_activity a ON a.wait_event_type = 'Extension' AND a.query LIKE '$like'
		GROUP BY 1}), '0|1', $name);
}

# The locker asks for the waiter's table, closing the cycle: wait until no
# request for cyc_t is left waiting (the cycle broken), and check that it
# took less than a minute since $since (not the waiter's coalesce_timeout).
sub close_cycle
{
	my ($locker, $since, $what) = @_;
	$locker->query_until(qr/go/, q(\echo go
LOCK cyc_t IN ACCESS EXCLUSIVE MODE;
));
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_locks WHERE NOT granted AND relation = 'cyc_t'::regclass})
	  or die "the cycle $what was never broken";
	my $elapsed = time - $since;
	cmp_ok($elapsed, '<', 60, "the cycle $what was broken in ${elapsed}s, not after coalesce_timeout");
}

# End the sessions, and wait until no fill is left in flight
sub end_sessions
{
	eval { $_->quit } for @_;
	$node->poll_query_until('postgres',
		q{SELECT inflight = 0 FROM cascade_cache.cache_stats()})
	  or die 'a fill was left in flight';
}

# --- a cycle through a waiter's lock ------------------------------------------
# The deadlock detector cannot see a coalescing wait.  A waiter holds a lock
# on t (from earlier in its transaction); its leader waits for a lock on u
# held by a third session, which then asks for t.  The waiter must stop
# waiting once it has waited deadlock_timeout while its leader waits for a
# lock, run the query itself and let the deadlock detector break the cycle,
# not sit out its coalesce_timeout (set to 5 minutes here).
$node->safe_psql('postgres', q{
	CREATE TABLE cyc_t (i int); CREATE TABLE cyc_u (i int);
	INSERT INTO cyc_u VALUES (1);
	SELECT cascade_cache.cache_stats_reset();
});
my $locker = $node->background_psql('postgres', on_error_stop => 0);
$locker->query_safe('SET deadlock_timeout = 200; BEGIN; LOCK cyc_u IN ACCESS EXCLUSIVE MODE');
my $lead = $node->background_psql('postgres', on_error_stop => 0);
$lead->query_until(qr/go/, q(\echo go
SELECT cascade_cache.cached_query('SELECT count(*) FROM cyc_u');
));
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%cached_query%'})
  or die 'the leader never waited for its lock';
my $waiter = $node->background_psql('postgres', on_error_stop => 0);
$waiter->query_safe(q{SET deadlock_timeout = 200; SET cascade_cache.coalesce_timeout = '5min'; BEGIN; SELECT count(*) FROM cyc_t});
my $t0 = time;
$waiter->query_until(qr/go/, q(\echo go
SELECT cascade_cache.cached_query('SELECT count(*) FROM cyc_u');
));
$node->poll_query_until('postgres',
	q{SELECT coalesce_waits = 1 FROM cascade_cache.cache_stats()})
  or die 'the waiter never waited';
# the leader waits for a lock, but nobody for the waiter's: no cycle, and
# the waiter keeps waiting past its deadlock_timeout (200 ms)
still_waiting('%cached_query%', 'without a cycle the waiter keeps waiting');
# the cycle: the locker asks for the waiter's table
close_cycle($locker, $t0, 'through the leader');
is($node->safe_psql('postgres', 'SELECT coalesce_timeouts FROM cascade_cache.cache_stats()'),
	'1', 'the waiter stopped waiting (counted as a timeout)');
end_sessions($locker, $lead, $waiter);

# The same cycle with the leader's query under debug_parallel_query: a fill
# runs without parallel workers (run.c), so the function that would have
# run in a worker runs in the leader, which waits for the lock itself, and
# the waiter sees it.  (Were a worker of the leader's to wait, the waiter
# would see that too: cc_waits_for_lock() walks the leader's lock group.)
my $fpm = $node->safe_psql('postgres', q{
	SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
	            THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END});
$node->safe_psql('postgres', q{
	CREATE FUNCTION cyc_count() RETURNS bigint LANGUAGE plpgsql STABLE PARALLEL SAFE
	  AS $$BEGIN RETURN (SELECT count(*) FROM cyc_u); END$$;
	SELECT cascade_cache.cache_stats_reset();
});
my $trusted = q{SET cascade_cache.trusted_functions = 'cyc_count'};
$locker = $node->background_psql('postgres', on_error_stop => 0);
$locker->query_safe('SET deadlock_timeout = 200; BEGIN; LOCK cyc_u IN ACCESS EXCLUSIVE MODE');
$lead = $node->background_psql('postgres', on_error_stop => 0);
$lead->query_safe("$trusted; SET $fpm = on");
$lead->query_until(qr/go/, q(\echo go
SELECT cascade_cache.cached_query('SELECT cyc_count() AS n');
));
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND backend_type = 'client backend' AND query LIKE '%cyc_count%'})
  or die 'the leader never waited for its lock in its own process';
$waiter = $node->background_psql('postgres', on_error_stop => 0);
$waiter->query_safe(qq{$trusted; SET deadlock_timeout = 200; SET cascade_cache.coalesce_timeout = '5min'; BEGIN; SELECT count(*) FROM cyc_t});
$t0 = time;
$waiter->query_until(qr/go/, q(\echo go
SELECT cascade_cache.cached_query('SELECT cyc_count() AS n');
));
$node->poll_query_until('postgres',
	q{SELECT coalesce_waits = 1 FROM cascade_cache.cache_stats()})
  or die 'the waiter never waited for that leader';
close_cycle($locker, $t0, 'with the leader under debug_parallel_query');
is($node->safe_psql('postgres', 'SELECT coalesce_timeouts FROM cascade_cache.cache_stats()'),
	'1', 'the waiter stopped waiting for that leader (counted as a timeout)');
end_sessions($locker, $lead, $waiter);

# --- lock_timeout, non-conflicting waiters, a waiter in a parallel worker ---
# A waiter whose leader waits for a lock honours its own lock_timeout: it
# stops waiting, runs the query itself and gets the lock timeout, as it
# would without coalescing.
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
($locker, $lead) = lock_and_lead('SELECT count(*) AS lt FROM cyc_u');
$t0 = time;
my ($lt_rc, $lt_out, $lt_err) = $node->psql('postgres', q{
	SET lock_timeout = '300ms'; SET statement_timeout = '20s';
	SET cascade_cache.coalesce_timeout = '5min';
	SELECT cascade_cache.cached_query('SELECT count(*) AS lt FROM cyc_u')});
my $elapsed = time - $t0;
like($lt_err, qr/lock timeout/, 'a waiter whose leader waits for a lock gets its lock_timeout');
cmp_ok($elapsed, '<', 10, "in ${elapsed}s");

# A lock the waiter holds, waited for in a mode that does not conflict with
# the waiter's (CREATE INDEX behind a writer, while the waiter reads the
# table), closes no cycle: the waiter keeps waiting for its leader.
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
my $writer = $node->background_psql('postgres', on_error_stop => 0);
$writer->query_safe('BEGIN; INSERT INTO cyc_t VALUES (1)');
my $indexer = $node->background_psql('postgres', on_error_stop => 0);
$indexer->query_until(qr/go/, q(\echo go
CREATE INDEX ON cyc_t (i);
));
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'})
  or die 'CREATE INDEX never waited';
$waiter = $node->background_psql('postgres', on_error_stop => 0);
$waiter->query_safe(q{SET deadlock_timeout = 200; BEGIN; SELECT count(*) FROM cyc_t});
$waiter->query_until(qr/go/, q(\echo go
SELECT cascade_cache.cached_query('SELECT count(*) AS lt FROM cyc_u');
));
$node->poll_query_until('postgres',
	q{SELECT coalesce_waits = 1 FROM cascade_cache.cache_stats()})
  or die 'the waiter never waited';
still_waiting('%AS lt FROM%',
	'a waiter whose lock is awaited only in a mode that does not conflict keeps waiting');
$writer->query_safe('ROLLBACK');
end_sessions($locker, $lead, $waiter, $writer, $indexer);

# A cached_query() in a parallel worker (a PARALLEL SAFE function of the
# user's) does not coalesce: its group leader's locks can close a cycle
# through its leader that only the deadlock detector, seeing the worker
# wait for a lock, breaks.
$node->safe_psql('postgres', q{
	CREATE FUNCTION cyc_wrap(q text) RETURNS jsonb LANGUAGE plpgsql PARALLEL SAFE
	  AS $$BEGIN RETURN cascade_cache.cached_query(q); END$$;
	SELECT cascade_cache.cache_stats_reset();
});
($locker, $lead) = lock_and_lead('SELECT count(*) AS pw FROM cyc_u');
$waiter = $node->background_psql('postgres', on_error_stop => 0);
$waiter->query_safe(qq{SET deadlock_timeout = 200; SET cascade_cache.coalesce_timeout = '5min'; SET $fpm = on; BEGIN; SELECT count(*) FROM cyc_t});
$t0 = time;
$waiter->query_until(qr/go/, q(\echo go
SELECT cyc_wrap('SELECT count(*) AS pw FROM cyc_u');
));
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND wait_event_type = 'Lock'})
  or die 'the parallel worker never ran the query itself';
close_cycle($locker, $t0, 'through a waiting parallel worker');
is($node->safe_psql('postgres', 'SELECT coalesce_waits FROM cascade_cache.cache_stats()'),
	'0', 'the parallel worker did not coalesce');
end_sessions($locker, $lead, $waiter);

# --- the leader is SIGKILLed in the middle of its fill -------------------------
$holder = barrier(77);
my $leader = $node->background_psql('postgres', on_error_stop => 0);
$leader->query_safe('SET cascade_cache.debug_fill_pause = 77');
my $leader_pid = $leader->query_safe('SELECT pg_backend_pid()');
$leader->query_until(qr/go/, q(
\echo go
SELECT cascade_cache.cached_query('SELECT slow_value(3) AS v');
));
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $leader_pid")
  or die 'the leader never paused';
my @waiters;
for my $i (1 .. 2)
{
	my $w = $node->background_psql('postgres', on_error_stop => 0);
	$w->query_until(qr/go/, q(
\echo go
SELECT cascade_cache.cached_query('SELECT slow_value(3) AS v');
));
	push @waiters, $w;
}
$node->poll_query_until('postgres',
	"SELECT count(*) = 2 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND backend_type = 'client backend'")
  or die 'the waiters never waited: '
  . $node->safe_psql('postgres',
	"SELECT string_agg(concat_ws(' ', pid, backend_type, wait_event_type, wait_event, left(query, 50)), E'\n') FROM pg_stat_activity");
my $log_offset = -s $node->logfile;
kill 'KILL', $leader_pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
$node->poll_query_until('postgres', 'SELECT true')
  or die 'no restart after the crash';
eval { $_->quit } for ($holder, $leader, @waiters);
is(cc_query($node, 'SELECT slow_value(3) AS v'), '[{"v": 30}]', 'after the crash: a miss');
is(cc_query($node, 'SELECT slow_value(3) AS v'), '[{"v": 30}]', 'and a hit');
is(cc_stats($node, 'inflight, misses, hits'), '0,1,1', 'nothing left in flight');

$node->stop;
done_testing();
