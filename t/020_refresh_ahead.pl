# Refresh-ahead (issue 17): entries a commit removes, whose query name a
# REFETCH invalidation of a cascade in that transaction (EXACT, PREFIX,
# PATTERN) or cascade_cache.refetch_names matches, are computed again by a
# background runner, connected as the entry's role with the session's
# settings, right after the commit, so that the next read is a hit with the
# new data.  This test proves that:
#   - a REFETCH cascade refreshes (hit, new value); INVALIDATE, a scope ALL
#     and a PREPAREd transaction do not (miss);
#   - refetch_names refreshes the names it matches after a plain write, if
#     they were read since they were stored, and only those;
#   - ROLLBACK TO SAVEPOINT forgets the REFETCH of the cascades in it
#     (RELEASE keeps it);
#   - a refresh runs with the session's settings (a tenant's entry is
#     refreshed for that tenant only) and the role's privileges (a role that
#     lost SELECT fails, nothing is stored);
#   - a full recipe queue drops the oldest refreshes and counts every one
#     of them, and runners take the newest first; a commit's refreshes are
#     queued in one batch, which takes free places, then older refreshes';
#   - a refresh racing a later commit never stores the older result (the
#     fence), and this test would see it if it did (debug_skip_fence);
#   - a runner is a session of the role: it preloads what the role's
#     sessions preload (session_preload_libraries) and a recipe is bounded
#     by the role's statement_timeout, and by recipe_timeout whatever the
#     role's settings; a role whose recipes wait on its own lock does not
#     keep the runner slots from another role's refreshes, nor does a
#     runner that waits to connect;
#   - a REFETCH by a role that is not a superuser refreshes its own
#     entries, and other roles' only if they were read since stored.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(usleep);
use Test::More;

my $node = cc_node('refresh',
	conf => "max_prepared_transactions = 4\n"
	  . "cascade_cache.warm_entries = 0\n");
$node->safe_psql('postgres', q{
	CREATE TABLE users (id int PRIMARY KEY, v text);
	INSERT INTO users VALUES (1, 'A'), (2, 'two');
	CREATE TABLE posts (id int PRIMARY KEY, author int, title text);
	INSERT INTO posts VALUES (1, 1, 'first'), (2, 2, 'second');
	CREATE TABLE tenant_rows (tenant text, v text);
	INSERT INTO tenant_rows VALUES ('t1', 'one'), ('t2', 'two');
	CREATE TABLE secrets (id int PRIMARY KEY, v text);
	INSERT INTO secrets VALUES (1, 's');
	CREATE TABLE race (id int PRIMARY KEY, v text);
	INSERT INTO race VALUES (1, 'A');
	CREATE TABLE items (id int PRIMARY KEY, v text);
	INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 40) g;
	CREATE ROLE app LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO app;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
	                          cascade_cache.cascade_invalidate(jsonb) TO app;
	GRANT SELECT ON users, posts, tenant_rows, secrets, race, items TO app;
});

# A session of the role app
sub app_dbh
{
	require DBI;
	return DBI->connect(
		'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port,
		'app', undef, { AutoCommit => 1, RaiseError => 1, PrintError => 0 });
}

# cached_query(query, params, default ttl, name) in a session; the jsonb text
sub cq
{
	my ($dbh, $sql, $params, $name) = @_;
	return $dbh->selectrow_array(
		'SELECT cascade_cache.cached_query(?, ?::jsonb, NULL, ?)::text',
		undef, $sql, $params, $name);
}

# Read after cache_stats_reset(): (value, 'hits=H misses=M')
sub counted_read
{
	my ($dbh, @q) = @_;
	$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
	my $v = cq($dbh, @q);
	return ($v, $node->safe_psql('postgres',
		q{SELECT 'hits=' || hits || ' misses=' || misses FROM cascade_cache.cache_stats()}));
}

# The refresh row of cache_recipe_stats(), as a hash
my @rcols = qw(queued filled present skipped not_stored failed dropped waiting);
sub rstats
{
	my @v = split /\|/, $node->safe_psql('postgres',
		'SELECT ' . join(', ', @rcols)
		  . q{ FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'});
	my %h;
	@h{@rcols} = @v;
	return \%h;
}

# What changed in the refresh row since $before, e.g. 'queued=1 filled=1'
# (the columns that did not change are left out; waiting is left out)
sub rdelta
{
	my ($before) = @_;
	my $now = rstats();
	return join ' ', map { "$_=" . ($now->{$_} - $before->{$_}) }
	  grep { $_ ne 'waiting' && $now->{$_} != $before->{$_} } @rcols;
}

# Wait until every refresh queued has been run: none waits and each queued
# one has an outcome.  ("waiting" alone is not enough: an item a runner has
# taken and is still running is not waiting any more.)
sub wait_refresh_idle
{
	my ($what) = @_;
	$node->poll_query_until('postgres', q{
		SELECT waiting = 0 AND filled + present + skipped + not_stored + failed + dropped = queued
		  FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'})
	  or die "refreshes never finished: $what";
}

# Since $before: 'queued=Q filled=F skipped=S' (to compare with every
# queued refresh filled: 'queued=Q filled=Q skipped=0')
sub outcome_of
{
	my ($before) = @_;
	my $now = rstats();
	return join ' ', map { "$_=" . ($now->{$_} - $before->{$_}) } qw(queued filled skipped);
}
sub all_filled
{
	my ($n) = @_;
	return "queued=$n filled=$n skipped=0";
}

# A cascade JSON with one invalidation
sub inval
{
	my ($strategy, $scope, $name) = @_;
	my $key = $scope eq 'PATTERN' ? 'queryPattern' : 'queryName';
	return qq{{"invalidations": [{"$key": "$name", "strategy": "$strategy", "scope": "$scope"}]}};
}

# Set a superuser or SIGHUP setting for every process (ALTER SYSTEM, reload)
# and wait until a new session sees it (the postmaster has reloaded and
# signalled its children).
sub set_system
{
	my ($name, $value) = @_;
	$node->safe_psql('postgres', "ALTER SYSTEM SET $name = '$value'; SELECT pg_reload_conf();");
	$node->poll_query_until('postgres', "SELECT current_setting('$name') = '$value'")
	  or die "$name never became $value";
}

# Reset settings set with set_system() and wait until a new session sees
# each at the default given: reset_system(name => default, ...)
sub reset_system
{
	my (%defaults) = @_;
	my @names = sort keys %defaults;
	$node->safe_psql('postgres',
		join('', map { "ALTER SYSTEM RESET $_;\n" } @names) . 'SELECT pg_reload_conf();');
	$node->poll_query_until('postgres',
		'SELECT ' . join(' AND ', map { "current_setting('$_') = '$defaults{$_}'" } @names))
	  or die 'settings never reset: ' . join(', ', @names);
}

# As a superuser: set user $id's v and REFETCH the entries named $name, in
# one transaction
sub update_refetch
{
	my ($id, $v, $name) = @_;
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE users SET v = '$v' WHERE id = $id;
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', $name) ]}');
		COMMIT;});
}

# SQL creating a login role that may call cached_query() and
# cascade_invalidate()
sub caller_role
{
	my ($role) = @_;
	return qq{CREATE ROLE $role LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO $role;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
	                          cascade_cache.cascade_invalidate(jsonb) TO $role;};
}

# Wait until an entry named $name is stored; die with $why if it never is
sub wait_stored
{
	my ($name, $why) = @_;
	$node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM cascade_cache.cache_query_stats(100)
		 WHERE query_name = '$name' AND entries > 0})
	  or die $why;
}

# Wait until a runner waits on $what ("wait_event_type = 'Lock'", say)
sub wait_runner
{
	my ($what, $why) = @_;
	$node->poll_query_until('postgres', qq{
		SELECT count(*) >= 1 FROM pg_stat_activity
		 WHERE backend_type = 'cascade_cache runner' AND $what})
	  or die $why;
}

# As hog: set mode in its control table $ctl and REFETCH its entries named
# $name, in one transaction
sub hog_mode_refetch
{
	my ($ctl, $mode, $name) = @_;
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE $ctl SET mode = $mode;
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', $name) ]}');
		COMMIT;}, extra_params => [ '-U', 'hog' ]);
}

my $app = app_dbh();
my $get_user = 'SELECT v FROM users WHERE id = $1';

# --- 1. a REFETCH cascade refreshes; INVALIDATE and ALL do not ---
is(cq($app, $get_user, '[1]', 'getUser'), '[{"v": "A"}]', 'getUser(1) read');
is((counted_read($app, $get_user, '[1]', 'getUser'))[1], 'hits=1 misses=0', 'and cached');

my $n = 0;
for my $scope ([ 'EXACT', 'getUser' ], [ 'PREFIX', 'getU' ], [ 'PATTERN', 'g?t*er' ])
{
	my ($sc, $name) = @$scope;
	my $new = 'B' . ++$n;
	my $before = rstats();
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE users SET v = '$new' WHERE id = 1;
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', $sc, $name) ]}');
		COMMIT;});
	wait_refresh_idle("REFETCH $sc");
	is(rdelta($before), 'queued=1 filled=1', "REFETCH $sc: one refresh queued and filled");
	my ($v, $hm) = counted_read($app, $get_user, '[1]', 'getUser');
	is($v, qq{[{"v": "$new"}]}, "REFETCH $sc: the next read returns the new value");
	is($hm, 'hits=1 misses=0', "REFETCH $sc: and it is a hit");
}

for my $control ([ 'INVALIDATE', 'EXACT', 'getUser' ], [ 'REFETCH', 'ALL', '' ])
{
	my ($strategy, $sc, $name) = @$control;
	my $new = 'C' . ++$n;
	my $cascade = $sc eq 'ALL'
	  ? q{{"invalidations": [{"strategy": "REFETCH", "scope": "ALL"}]}}
	  : inval($strategy, $sc, $name);
	my $before = rstats();
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE users SET v = '$new' WHERE id = 1;
		SELECT cascade_cache.cascade_invalidate('$cascade');
		COMMIT;});
	is(rdelta($before), '', "$strategy $sc: nothing queued");
	my ($v, $hm) = counted_read($app, $get_user, '[1]', 'getUser');
	is($v, qq{[{"v": "$new"}]}, "$strategy $sc: the next read returns the new value");
	is($hm, 'hits=0 misses=1', "$strategy $sc: and it is a miss (control)");
}

# --- 2. refetch_names: a plain write refreshes the names it matches ---
set_system('cascade_cache.refetch_names', 'list*');
my %lists = (
	listPosts => [ 'SELECT title FROM posts ORDER BY id', '[]' ],
	listPostsByAuthor => [ 'SELECT title FROM posts WHERE author = $1 ORDER BY id', '[1]' ],
	countPosts => [ 'SELECT count(*) AS n FROM posts', '[]' ],
	listUnread => [ 'SELECT title FROM posts WHERE id = $1', '[1]' ]);
cq($app, @{ $lists{$_} }, $_) for sort keys %lists;
# read since they were stored (hits): all but listUnread
cq($app, @{ $lists{$_} }, $_) for qw(listPosts listPostsByAuthor countPosts);
my $before = rstats();
$node->safe_psql('postgres', q{INSERT INTO posts VALUES (3, 1, 'third')});
wait_refresh_idle('refetch_names');
is(rdelta($before), 'queued=2 filled=2', 'refetch_names list*: two refreshes, both filled');
my ($v, $hm) = counted_read($app, @{ $lists{listPosts} }, 'listPosts');
is($v, '[{"title": "first"}, {"title": "second"}, {"title": "third"}]', 'listPosts: the new rows');
is($hm, 'hits=1 misses=0', 'listPosts: a hit');
($v, $hm) = counted_read($app, @{ $lists{listPostsByAuthor} }, 'listPostsByAuthor');
is($v, '[{"title": "first"}, {"title": "third"}]', 'listPostsByAuthor: the new rows');
is($hm, 'hits=1 misses=0', 'listPostsByAuthor: a hit');
($v, $hm) = counted_read($app, @{ $lists{countPosts} }, 'countPosts');
is($v, '[{"n": 3}]', 'countPosts (not matched): the new count');
is($hm, 'hits=0 misses=1', 'countPosts: not refreshed, a miss');
($v, $hm) = counted_read($app, @{ $lists{listUnread} }, 'listUnread');
is($hm, 'hits=0 misses=1',
	'listUnread (matched, but not read since it was stored): not refreshed, a miss');

# --- 3. ROLLBACK TO SAVEPOINT forgets the REFETCH; RELEASE keeps it ---
for my $end ('ROLLBACK TO SAVEPOINT s', 'RELEASE SAVEPOINT s')
{
	my $new = 'S' . ++$n;
	cq($app, $get_user, '[1]', 'getUser');
	$before = rstats();
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE users SET v = '$new' WHERE id = 1;
		SAVEPOINT s;
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getUser') ]}');
		$end;
		COMMIT;});
	wait_refresh_idle($end);
	my $rolled_back = $end =~ /ROLLBACK/;
	is(rdelta($before), $rolled_back ? '' : 'queued=1 filled=1',
		"$end: " . ($rolled_back ? 'nothing queued' : 'one refresh filled'));
	($v, $hm) = counted_read($app, $get_user, '[1]', 'getUser');
	is($v, qq{[{"v": "$new"}]}, "$end: the new value");
	is($hm, $rolled_back ? 'hits=0 misses=1' : 'hits=1 misses=0',
		"$end: " . ($rolled_back ? 'a miss (the REFETCH was forgotten)' : 'a hit'));
}

# --- 4. a role that lost access: the refresh fails, nothing is stored ---
my $get_secret = 'SELECT v FROM secrets WHERE id = $1';
is(cq($app, $get_secret, '[1]', 'getSecret'), '[{"v": "s"}]', 'app reads a secret');
$before = rstats();
$node->safe_psql('postgres', qq{
	BEGIN;
	REVOKE SELECT ON secrets FROM app;
	UPDATE secrets SET v = 's2';
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getSecret') ]}');
	COMMIT;});
wait_refresh_idle('revoked');
is(rdelta($before), 'queued=1 failed=1', 'REVOKEd: the refresh is queued and fails');
is($node->safe_psql('postgres',
		q{SELECT coalesce(sum(entries), 0) FROM cascade_cache.cache_query_stats(1000) WHERE query_name = 'getSecret'}),
	'0', 'REVOKEd: no getSecret entry is stored');
my $denied = eval { cq($app, $get_secret, '[1]', 'getSecret'); 1 } ? '' : $@;
like($denied, qr/permission denied for table secrets/, 'REVOKEd: app itself is refused');

# --- 5. a refresh racing a later commit never stores the older result ---
# The runner's fill of getRace reads 'B' and stops before storing (on
# advisory lock 4242, debug_fill_pause); a second commit writes 'C'; then
# the fill goes on.  The fence must refuse 'B' (the runner tries again and
# stores 'C'); with debug_skip_fence, 'B' is stored: the check can fail.
my $race_q = 'SELECT v FROM race WHERE id = $1';
my $locker = cc_dbh($node);
my $pause_key = 4242;
set_system('cascade_cache.debug_fill_pause', $pause_key);
my $runner_paused = qq{
	SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	 WHERE l.locktype = 'advisory' AND l.objid = $pause_key AND NOT l.granted
	   AND a.backend_type = 'cascade_cache runner'};
for my $case ([ 'fence', 0 ], [ 'fence, second commit with REFETCH', 1 ],
	[ 'debug_skip_fence', 0 ])
{
	my ($label, $refetch2) = @$case;
	my $skip = $label eq 'debug_skip_fence';
	set_system('cascade_cache.debug_skip_fence', 'on') if $skip;
	$node->safe_psql('postgres', q{UPDATE race SET v = 'A'});
	is(cq($app, $race_q, '[1]', 'getRace'), '[{"v": "A"}]', "race ($label): 'A' cached");
	$before = rstats();
	my $rejected = $node->safe_psql('postgres', 'SELECT rejected_stores FROM cascade_cache.cache_stats()');
	$locker->do("SELECT pg_advisory_lock($pause_key)");
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE race SET v = 'B';
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getRace') ]}');
		COMMIT;});
	ok($node->poll_query_until('postgres', $runner_paused),
		"race ($label): the runner's fill of 'B' is paused before storing");
	$node->safe_psql('postgres', qq{
		BEGIN;
		UPDATE race SET v = 'C';
		@{[ $refetch2 ? "SELECT cascade_cache.cascade_invalidate('" . inval('REFETCH', 'EXACT', 'getRace') . "');" : '' ]}
		COMMIT;});
	$locker->do("SELECT pg_advisory_unlock($pause_key)");
	wait_refresh_idle("race ($label)");
	my $delta = rdelta($before);
	$rejected = $node->safe_psql('postgres', 'SELECT rejected_stores FROM cascade_cache.cache_stats()') - $rejected;
	($v, $hm) = counted_read($app, $race_q, '[1]', 'getRace');
	if ($skip)
	{
		is($delta, 'queued=1 filled=1', "race ($label): the stale fill is stored");
		is($rejected, 0, "race ($label): nothing was refused");
		is($v, '[{"v": "B"}]', "race ($label): the stale 'B' is served, so the check above can fail");
	}
	else
	{
		is($delta, 'queued=1 filled=1', "race ($label): one refresh, filled on a later try");
		cmp_ok($rejected, '>=', 1, "race ($label): the fence refused the paused fill of 'B'");
		is($v, '[{"v": "C"}]', "race ($label): the read returns 'C', never 'B'");
		is($hm, 'hits=1 misses=0', "race ($label): a hit");
	}
}
reset_system('cascade_cache.debug_skip_fence' => 'off',
	'cascade_cache.debug_fill_pause' => '0');

# --- 6. PREPARE TRANSACTION does not refresh ---
cq($app, $get_user, '[1]', 'getUser');
$before = rstats();
$node->safe_psql('postgres', qq{
	BEGIN;
	UPDATE users SET v = 'P' WHERE id = 1;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getUser') ]}');
	PREPARE TRANSACTION 'p1';});
$node->safe_psql('postgres', q{COMMIT PREPARED 'p1'});
is(rdelta($before), '', 'PREPARE TRANSACTION with REFETCH: nothing queued');
($v, $hm) = counted_read($app, $get_user, '[1]', 'getUser');
is($v, '[{"v": "P"}]', 'after COMMIT PREPARED: the new value');
is($hm, 'hits=0 misses=1', 'after COMMIT PREPARED: a miss');

# --- 7. a refresh runs with the session's settings: a tenant's entry ---
my $tenant_q = q{SELECT v FROM tenant_rows WHERE tenant = current_setting('app.tenant')};

# A pooled connection (README: the tenant with SET LOCAL, per request): one
# request ran with SET LOCAL app.tenant, the next reads getUser with no
# tenant.  (No runner has replayed app.tenant before this point.)  The
# session's key still holds the emptied app.tenant placeholder, which its
# recipe does not record: on fb40482 the runner computes another key and
# skips the recipe, so these checks fail.
my $pooled_entries =
  $node->safe_psql('postgres', 'SHOW server_version_num') >= 160000 ? 1 : 2;
my $pooled = app_dbh();
$pooled->begin_work;
$pooled->do(q{SET LOCAL app.tenant = 't1'});
is(cq($pooled, $tenant_q, '[]', 'getTenant'), '[{"v": "one"}]', 'pooled: a request with SET LOCAL app.tenant');
$pooled->commit;
is(cq($pooled, $get_user, '[1]', 'getUser'), '[{"v": "P"}]', 'pooled: the next request reads getUser');
$before = rstats();
$node->safe_psql('postgres', qq{
	BEGIN;
	UPDATE users SET v = 'pooled' WHERE id = 1;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getUser') ]}');
	COMMIT;});
wait_refresh_idle('pooled');
# (On 15 the emptied placeholder stays in the pooled session's key: two
# entries; 16 and later leave a placeholder without a value out: one.)
is(outcome_of($before), all_filled($pooled_entries),
	'pooled: the getUser entries (app\'s and the pooled session\'s) are filled, none skipped');
($v, $hm) = counted_read($pooled, $get_user, '[1]', 'getUser');
is($v, '[{"v": "pooled"}]', 'pooled: the new value');
is($hm, 'hits=1 misses=0', 'pooled: a hit');
$pooled->disconnect;

my $t1 = app_dbh();
$t1->do(q{SET app.tenant = 't1'});
is(cq($t1, $tenant_q, '[]', 'getTenant'), '[{"v": "one"}]', 't1 reads its row');
$before = rstats();
$node->safe_psql('postgres', qq{
	BEGIN;
	UPDATE tenant_rows SET v = v || '-new';
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getTenant') ]}');
	COMMIT;});
wait_refresh_idle('tenant');
is(rdelta($before), 'queued=1 filled=1', 'tenant: the refresh was filled (not skipped)');
($v, $hm) = counted_read($t1, $tenant_q, '[]', 'getTenant');
is($v, '[{"v": "one-new"}]', 't1: its new value');
is($hm, 'hits=1 misses=0', 't1: a hit, refreshed under t1');
my $t2 = app_dbh();
$t2->do(q{SET app.tenant = 't2'});
($v, $hm) = counted_read($t2, $tenant_q, '[]', 'getTenant');
is($v, '[{"v": "two-new"}]', 't2: its own value, not t1\'s');
is($hm, 'hits=0 misses=1', 't2: a miss (nothing was refreshed for t2)');

# The runner that replayed t1's app.tenant (as SET LOCAL) now serves
# recipes of the same role that set nothing: it must compute the same key
# as the session that stored each one.  On fb40482 the placeholder the
# replay defined stays in the runner's own keys, and app's recipe is
# skipped until the runner exits: these checks fail.
my $runner_pid = q{SELECT string_agg(pid::text, ',') FROM pg_stat_activity
                    WHERE backend_type = 'cascade_cache runner'};
my $pid_before = $node->safe_psql('postgres', $runner_pid);
cq($app, $get_user, '[1]', 'getUser');
$before = rstats();
$node->safe_psql('postgres', qq{
	BEGIN;
	UPDATE users SET v = 'after-tenant' WHERE id = 1;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'getUser') ]}');
	COMMIT;});
wait_refresh_idle('after a tenant recipe');
my $delta = outcome_of($before);
my $pid_after = $node->safe_psql('postgres', $runner_pid);
note("runner before: '$pid_before', after: '$pid_after'");
# app's getUser entry, and on 15 the pooled session's above
is($delta, all_filled($pooled_entries),
	'a runner that replayed a tenant setting still fills the recipes of the same role without it');
($v, $hm) = counted_read($app, $get_user, '[1]', 'getUser');
is($v, '[{"v": "after-tenant"}]', 'getUser after a tenant recipe: the new value');
is($hm, 'hits=1 misses=0', 'getUser after a tenant recipe: a hit');

# --- 8. a full queue drops the oldest refreshes, and counts each one ---
$app->disconnect;
$_->disconnect for $t1, $t2, $locker;
$node->append_conf('postgresql.conf', "cascade_cache.recipe_queue = 16\n");
$node->restart;
is($node->safe_psql('postgres', 'SHOW cascade_cache.recipe_queue'), '16', 'recipe_queue = 16');
$app = app_dbh();
my $item_q = 'SELECT v FROM items WHERE id = $1';
cq($app, $item_q, "[$_]", 'listItem') for 1 .. 40;
cq($app, $item_q, "[$_]", 'listItem') for 1 .. 40;	# read since stored
is($node->safe_psql('postgres',
		q{SELECT sum(entries) FROM cascade_cache.cache_query_stats(1000) WHERE query_name = 'listItem'}),
	'40', '40 listItem entries');
$before = rstats();
$node->safe_psql('postgres', q{UPDATE items SET v = v || '!'});
my $after = rstats();
note('queue of 16: queued ' . ($after->{queued} - $before->{queued})
	  . ', dropped ' . ($after->{dropped} - $before->{dropped}));
is($after->{queued} - $before->{queued}, 40, 'all 40 removed entries were queued');
cmp_ok($after->{dropped} - $before->{dropped}, '>', 0,
	'the oldest were dropped to make room (a queue of 16)');
wait_refresh_idle('queue full');
$after = rstats();
my $filled = $after->{filled} - $before->{filled};
is($filled + $after->{dropped} - $before->{dropped}, 40,
	'each of the 40 was filled or dropped');
cmp_ok($filled, '>=', 16, 'a full queue of them was filled');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
my $fresh = 0;
for my $i (1 .. 40)
{
	$fresh++ if cq($app, $item_q, "[$i]", 'listItem') eq qq{[{"v": "i$i!"}]};
}
is($fresh, 40, 'all 40 read the new value (refreshed or not)');
is($node->safe_psql('postgres', 'SELECT hits FROM cascade_cache.cache_stats()'),
	$filled, 'the refreshed ones are hits, the dropped ones misses');

# A REFETCH of query name $name, its runner paused in the fill
# (debug_fill_pause) until the session returned unlocks $pause_key.
sub refresh_paused
{
	my ($name, $what) = @_;
	my $dbh = cc_dbh($node);
	set_system('cascade_cache.debug_fill_pause', $pause_key);
	$dbh->do("SELECT pg_advisory_lock($pause_key)");
	$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
		  . inval('REFETCH', 'EXACT', $name) . "')");
	ok($node->poll_query_until('postgres', $runner_paused), $what);
	return $dbh;
}

# --- 8b. refreshes run newest first ---
# One runner, paused in its first fill (debug_fill_pause) while three
# commits each queue one refresh; once it goes on, it takes the newest
# first: the entries are stored in the reverse order of their commits.
set_system('cascade_cache.recipe_workers', 1);
$node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'cascade_cache runner'})
  or die 'runners never exited';
# (the entries are app's: cache_explain() must run as app to find them;
# granted first, as the grant flushes the database's entries)
$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION cascade_cache.cache_explain(text, jsonb, text) TO app');
cq($app, $item_q, "[$_]", "order$_") for 0 .. 3;
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
$before = rstats();
$locker = refresh_paused('order0', 'order: the runner is paused in the first refresh');
$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
	  . inval('REFETCH', 'EXACT', "order$_") . "')") for 1 .. 3;
$locker->do("SELECT pg_advisory_unlock($pause_key)");
wait_refresh_idle('order');
is(rdelta($before), 'queued=4 filled=4', 'order: four refreshes, all filled');
my ($stored) = $app->selectrow_array(q{
	SELECT string_agg('order' || i || ' ' || coalesce(s::text, 'not cached'), ', ' ORDER BY s, i)
	  FROM generate_series(1, 3) i
	  LEFT JOIN LATERAL (SELECT detail::timestamptz AS s
	                       FROM cascade_cache.cache_explain('SELECT v FROM items WHERE id = $1',
	                                                        jsonb_build_array(i), 'order' || i)
	                      WHERE item = 'stored_at') e ON true});
$node->safe_psql('postgres',
	'REVOKE EXECUTE ON FUNCTION cascade_cache.cache_explain(text, jsonb, text) FROM app');
note("stored: $stored");
like($stored, qr/^order3 \S+ \S+, order2 \S+ \S+, order1 \S+ \S+$/,
	'order: the refresh queued last was stored first');
$locker->disconnect;
reset_system('cascade_cache.debug_fill_pause' => '0',
	'cascade_cache.recipe_workers' => '2');

# --- 8c. a refresh that can no longer be stored runs once ---
# After the write, the entry's result is larger than max_entry_size:
# the refresh runs the query, is not stored, and is not tried again (only
# a refresh the fence refused is): one not_stored, one too_large bypass.
# Before, it ran five times (five bypasses).
my $too_large = q{SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'too_large'};
set_system('cascade_cache.max_entry_size', '1kB');
cq($app, $item_q, '[5]', 'bigItem');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
$before = rstats();
$node->safe_psql('postgres', q{
	BEGIN;
	UPDATE items SET v = repeat('x', 2000) WHERE id = 5;
	SELECT cascade_cache.cascade_invalidate('} . inval('REFETCH', 'EXACT', 'bigItem') . q{');
	COMMIT;});
wait_refresh_idle('too large');
is(rdelta($before), 'queued=1 not_stored=1',
	'too large after the write: the refresh runs, is not stored');
is($node->safe_psql('postgres', $too_large), '1',
	'too large after the write: run once, not tried again');
reset_system('cascade_cache.max_entry_size' => '1MB');

# --- 8d. a busy runner gives its slot to another role's refreshes ---
# One runner slot: app's 100 slow refreshes are running when one refresh of
# another role is queued.  After 64 of app's, app's runner gives the slot
# up, and the other role's refresh runs while app's are still waiting.
# Before, the other role waited until app's queue was empty.
$app->disconnect;
$node->append_conf('postgresql.conf', "cascade_cache.recipe_queue = 1024\n");
$node->restart;
$app = app_dbh();
set_system('cascade_cache.recipe_workers', 1);
$node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'cascade_cache runner'})
  or die 'runners never exited';
$node->safe_psql('postgres', q{
	CREATE ROLE other LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO other;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text) TO other;
	GRANT SELECT ON items TO other;});
my $slow_q = 'SELECT $1::int + sum(g) FROM generate_series(1, $2::int) g';
cq($app, $slow_q, "[$_, 300000]", 'slowItem') for 1 .. 100;
my $other = DBI->connect('dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port,
	'other', undef, { AutoCommit => 1, RaiseError => 1, PrintError => 0 });
cq($other, $item_q, '[7]', 'otherItem');
$before = rstats();
$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
	  . inval('REFETCH', 'EXACT', 'slowItem') . "')");
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE backend_type = 'cascade_cache runner' AND usename = 'app'}),
	'share: app\'s runner is running its refreshes');
$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
	  . inval('REFETCH', 'EXACT', 'otherItem') . "')");
my $app_waiting;
for (1 .. 1200)
{
	my ($stored, $waiting) = split /\|/, $node->safe_psql('postgres', q{
		SELECT coalesce(sum(entries), 0),
		       (SELECT waiting FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh')
		  FROM cascade_cache.cache_query_stats(1000) WHERE query_name = 'otherItem'});
	if ($stored > 0)
	{
		$app_waiting = $waiting;
		last;
	}
	usleep(50_000);
}
note('share: app\'s refreshes waiting when the other role\'s was stored: '
	  . ($app_waiting // 'never stored'));
cmp_ok($app_waiting // 0, '>', 0,
	'share: the other role\'s refresh ran while app\'s were still waiting');
wait_refresh_idle('share');
is(rdelta($before), 'queued=101 filled=101', 'share: every refresh filled');
$other->disconnect;
reset_system('cascade_cache.recipe_workers' => '2');

# --- 8e. a runner terminated in the middle of a refresh: counted failed ---
# Every refresh queued ends counted, even when its runner is terminated
# while it runs it (before, it was never counted: the wait below, on
# queued = the outcomes + dropped, never ended).
cq($app, $item_q, '[9]', 'killItem');
$before = rstats();
$locker = refresh_paused('killItem', 'terminated: the runner is paused in the refresh');
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE backend_type = 'cascade_cache runner'});
$locker->do("SELECT pg_advisory_unlock($pause_key)");
$locker->disconnect;
reset_system('cascade_cache.debug_fill_pause' => '0');
wait_refresh_idle('terminated');
is(rdelta($before), 'queued=1 failed=1', 'terminated: the refresh counts as failed');

# --- 8f. one commit's refreshes are queued in one batch ---
# A commit queues all its refreshes in one scan of the queue
# (cc_queue_push_many()).  The one runner is paused in a refresh; a first
# commit queues 10 refreshes (bOld), a second 12 (bNew) into a queue of 16
# that has room for 6 of them: the batch takes the free slots, then drops
# the oldest refreshes queued before it (6 of bOld).
$app->disconnect;
$node->append_conf('postgresql.conf', "cascade_cache.recipe_queue = 16\n");
$node->restart;
$app = app_dbh();
set_system('cascade_cache.recipe_workers', 1);
cq($app, $item_q, '[1]', 'bPause');
cq($app, $item_q, "[$_]", 'bOld') for 1 .. 10;
cq($app, $item_q, "[$_]", 'bNew') for 1 .. 12;
$before = rstats();
$locker = refresh_paused('bPause', 'batch: the runner is paused in a refresh');
$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
	  . inval('REFETCH', 'EXACT', 'bOld') . "')");
$node->safe_psql('postgres', "SELECT cascade_cache.cascade_invalidate('"
	  . inval('REFETCH', 'EXACT', 'bNew') . "')");
is(rdelta($before), 'queued=23 dropped=6',
	'batch: 23 queued, 6 dropped for the second commit\'s 12');
$locker->do("SELECT pg_advisory_unlock($pause_key)");
$locker->disconnect;
reset_system('cascade_cache.debug_fill_pause' => '0');
wait_refresh_idle('batch');
is(rdelta($before), 'queued=23 filled=17 dropped=6',
	'batch: the paused one and the 16 queued were filled');
$node->safe_psql('postgres', 'SELECT cascade_cache.cache_stats_reset()');
cq($app, $item_q, "[$_]", 'bNew') for 1 .. 12;
is($node->safe_psql('postgres', 'SELECT hits FROM cascade_cache.cache_stats()'),
	'12', 'batch: every refresh of the second commit was kept and filled');
cq($app, $item_q, "[$_]", 'bOld') for 1 .. 10;
is($node->safe_psql('postgres', 'SELECT hits, misses FROM cascade_cache.cache_stats()'),
	'16|6', 'batch: the 6 dropped were the first commit\'s');
$app->disconnect;
$node->append_conf('postgresql.conf', "cascade_cache.recipe_queue = 1024\n");
$node->restart;
$app = app_dbh();
reset_system('cascade_cache.recipe_workers' => '2');

# --- 9. a runner is the role's session: its preload libraries and timeout ---
# A role whose sessions preload plpgsql has plpgsql.check_asserts as a
# real setting: its recipes replay only in a runner that preloads plpgsql
# too (as a placeholder, the setting would change the key).
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET cascade_cache.refetch_names = 'pre*';
	SELECT pg_reload_conf();
	CREATE ROLE pre LOGIN;
	GRANT USAGE ON SCHEMA cascade_cache TO pre;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text) TO pre;
	GRANT SELECT ON users TO pre;
	ALTER ROLE pre SET session_preload_libraries = 'plpgsql';
});
$node->poll_query_until('postgres', q{SELECT current_setting('cascade_cache.refetch_names') = 'pre*'})
  or die 'refetch_names not reloaded';
my $pre_read = qq{
	SET plpgsql.check_asserts = off;
	SELECT cascade_cache.cached_query('$get_user', '[1]', NULL, 'preUser');
	SELECT cascade_cache.cached_query('$get_user', '[1]', NULL, 'preUser');};
$node->safe_psql('postgres', $pre_read, extra_params => [ '-U', 'pre' ]);
$before = rstats();
$node->safe_psql('postgres', q{UPDATE users SET v = 'preloaded' WHERE id = 1});
wait_refresh_idle('preload');
is(rdelta($before), 'queued=1 filled=1',
	'a recipe of a role whose sessions preload plpgsql is filled (the runner preloads it too)');

# statement_timeout of the role bounds a recipe
$node->safe_psql('postgres', qq{
	SELECT cascade_cache.cached_query('SELECT count(*) AS n FROM users, generate_series(1, 3000000) g', '[]', NULL, 'preSlow');
	SELECT cascade_cache.cached_query('SELECT count(*) AS n FROM users, generate_series(1, 3000000) g', '[]', NULL, 'preSlow');},
	extra_params => [ '-U', 'pre' ]);
$node->safe_psql('postgres', q{ALTER ROLE pre SET statement_timeout = '50ms'});
# (a role's settings reach new sessions: wait for the idle runner to exit)
$node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'cascade_cache runner'})
  or die 'the runner did not exit';
$before = rstats();
$node->safe_psql('postgres', q{UPDATE users SET v = 'timeout' WHERE id = 2});
wait_refresh_idle('statement_timeout');
# (preUser was not read since its refresh: not refreshed again)
is(rdelta($before), 'queued=1 failed=1',
	'with statement_timeout = 50ms, the slow recipe fails');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM cascade_cache.cache_query_stats(100) WHERE query_name = 'preSlow' AND entries > 0}),
	'0', 'the slow one is not stored');

# recipe_timeout bounds a recipe whatever its role's settings, and a runner
# slot is shared after a second of work: a role whose recipes wait on a
# lock it holds itself (or are slow) cannot keep the runners from another
# role's refreshes (one runner slot here, so that the hog's runner holds
# them all)
$node->safe_psql('postgres', caller_role('hog'));
$node->safe_psql('postgres', q{
	CREATE TABLE hog_t (v int); INSERT INTO hog_t VALUES (1);
	ALTER TABLE hog_t OWNER TO hog;
});
set_system('cascade_cache.recipe_timeout', '2s');
set_system('cascade_cache.recipe_workers', '1');
$node->safe_psql('postgres', join('', map {
	"SELECT cascade_cache.cached_query('SELECT count(*) AS n FROM hog_t WHERE \$1 > 0', '[$_]', NULL, 'hogSlow');\n"
} 1 .. 4), extra_params => [ '-U', 'hog' ]);
is(cq($app, $get_user, '[2]', 'appFast'), '[{"v": "timeout"}]', 'appFast read');
my $hog = $node->background_psql('postgres', extra_params => [ '-U', 'hog' ]);
$hog->query_safe('BEGIN; LOCK hog_t IN ACCESS EXCLUSIVE MODE');
$before = rstats();
$node->safe_psql('postgres', qq{
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'hogSlow') ]}');},
	extra_params => [ '-U', 'hog' ]);
wait_runner(q{wait_event_type = 'Lock'}, 'the hog\'s recipes never waited for its lock');
update_refetch(2, 'shared', 'appFast');
wait_stored('appFast', 'another role\'s refresh never ran while the hog held its lock');
pass('another role\'s refresh ran while the hog still held its lock');
is($hog->query_safe('SELECT 1'), '1', 'the lock was still held');
$hog->query_safe('COMMIT');
$hog->quit;
wait_refresh_idle('hog');
cmp_ok(rstats()->{failed} - $before->{failed}, '>=', 1,
	'a recipe waiting on the lock failed at recipe_timeout');
($v, $hm) = counted_read($app, $get_user, '[2]', 'appFast');
is("$v $hm", '[{"v": "shared"}] hits=1 misses=0', 'the refreshed entry is a hit with the new value');

# A REFETCH by a role that is not a superuser refreshes its own entries,
# and other roles' only if they were read since they were stored: it
# invalidates every role's entries, but the work it makes run as another
# role is bounded by that role's own reads
reset_system('cascade_cache.recipe_workers' => '2', 'cascade_cache.recipe_timeout' => '30s');
my $hog_refetch = sub {
	my ($name) = @_;
	$node->safe_psql('postgres', qq{
		SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', $name) ]}');},
		extra_params => [ '-U', 'hog' ]);
};
is(cq($app, $get_user, '[1]', 'appOther'), '[{"v": "preloaded"}]', 'appOther stored, not read since');
$before = rstats();
$hog_refetch->('appOther');
wait_refresh_idle('hog refetch unread');
is(rdelta($before), '', "another role's REFETCH of an entry nobody read: invalidated, not refreshed");
is((counted_read($app, $get_user, '[1]', 'appOther'))[1], 'hits=0 misses=1', 'it was invalidated');
is((counted_read($app, $get_user, '[1]', 'appOther'))[1], 'hits=1 misses=0', 'stored again, and read');
$before = rstats();
$hog_refetch->('appOther');
wait_refresh_idle('hog refetch read');
is(rdelta($before), 'queued=1 filled=1', "another role's REFETCH of an entry read since it was stored: refreshed");
$node->safe_psql('postgres',
	q{SELECT cascade_cache.cached_query('SELECT count(*) AS n FROM hog_t', '[]', NULL, 'hogOwn')},
	extra_params => [ '-U', 'hog' ]);
$before = rstats();
$hog_refetch->('hogOwn');
wait_refresh_idle('hog refetch own');
is(rdelta($before), 'queued=1 filled=1', "a role's REFETCH of its own entry, unread: refreshed");

# Roles are told apart by session user and current user: a session that
# SET ROLE to a role another login shares does not make the other login's
# unread entries run (as that login) by a REFETCH
$node->safe_psql('postgres', q{
	CREATE ROLE team NOLOGIN;
	CREATE ROLE alice LOGIN IN ROLE team;
	CREATE ROLE bob LOGIN IN ROLE team;
	GRANT USAGE ON SCHEMA cascade_cache TO team;
	GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text),
	                          cascade_cache.cascade_invalidate(jsonb) TO team;
	CREATE TABLE team_t (v int); INSERT INTO team_t VALUES (1);
	ALTER TABLE team_t OWNER TO team;
});
my $team_sql = sub {
	my ($login, $sql) = @_;
	return $node->safe_psql('postgres', "SET ROLE team; $sql", extra_params => [ '-U', $login ]);
};
my $team_store = q{SELECT cascade_cache.cached_query('SELECT count(*) AS n FROM team_t', '[]', NULL, 'teamQ')};
my $team_refetch = qq{SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'teamQ') ]}')};
$team_sql->('bob', $team_store);
$before = rstats();
$team_sql->('alice', $team_refetch);
wait_refresh_idle('alice refetch of bob');
is(rdelta($before), '', "a REFETCH as the same role from another login: bob's unread entry not refreshed");
$team_sql->('bob', $team_store);
$before = rstats();
$team_sql->('bob', $team_refetch);
wait_refresh_idle('bob refetch of his own');
is(rdelta($before), 'queued=1 filled=1', 'the same REFETCH from its own login: refreshed');

# A recipe that catches the cancel of its timeout (a PL/pgSQL EXCEPTION
# block) ends its runner a second after the timeout: it cannot keep the
# only runner slot from another role's refreshes
set_system('cascade_cache.recipe_timeout', '1s');
set_system('cascade_cache.recipe_workers', '1');
$node->safe_psql('postgres', q{
	CREATE TABLE hog_ctl (mode int); INSERT INTO hog_ctl VALUES (0);
	ALTER TABLE hog_ctl OWNER TO hog;
	CREATE FUNCTION hog_stubborn(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN
		IF (SELECT mode FROM hog_ctl) = 0 THEN RETURN $1; END IF;
		LOOP
			BEGIN
				PERFORM pg_sleep(3600);
			EXCEPTION WHEN query_canceled THEN
				RAISE LOG 'hog_stubborn swallowed a cancel';
			END;
		END LOOP;
	END $$;
	ALTER FUNCTION hog_stubborn(int) OWNER TO hog;
});
$node->safe_psql('postgres', q{
	SELECT cascade_cache.cached_query('SELECT hog_stubborn($1) + count(*) AS n FROM hog_t', '[1]', NULL, 'hogStubborn')},
	extra_params => [ '-U', 'hog' ]);
is(cq($app, $get_user, '[2]', 'appAfter'), '[{"v": "shared"}]', 'appAfter read');
hog_mode_refetch('hog_ctl', 1, 'hogStubborn');
wait_runner(q{wait_event = 'PgSleep'}, 'the stubborn recipe never ran');
update_refetch(2, 'after', 'appAfter');
wait_stored('appAfter', 'another role\'s refresh never ran: the stubborn recipe kept the runner');
pass('another role\'s refresh ran after a recipe that catches its cancel');
like(slurp_file($node->logfile), qr/swallowed a cancel/, 'the recipe caught the cancel of its timeout');
like(slurp_file($node->logfile), qr/stopped a runner of role \d+ in database \d+: a recipe went on/,
	'its runner was stopped, and the log says why');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'}), '0',
	'no runner still runs the stubborn recipe');
($v, $hm) = counted_read($app, $get_user, '[2]', 'appAfter');
is("$v $hm", '[{"v": "after"}] hits=1 misses=0', 'the refreshed entry is a hit with the new value');
reset_system('cascade_cache.recipe_workers' => '2', 'cascade_cache.recipe_timeout' => '30s');

# A busy runner also gives its slot up when no background worker slot is
# left for another role's runner (max_worker_processes: here one for the
# runners, beside the cache's worker and the logical replication launcher),
# though fewer than recipe_workers run
$node->append_conf('postgresql.conf', "max_worker_processes = 3\n");
$node->restart;
$app = app_dbh();
$node->safe_psql('postgres', q{
	CREATE TABLE hog_slow_ctl (mode int); INSERT INTO hog_slow_ctl VALUES (0);
	ALTER TABLE hog_slow_ctl OWNER TO hog;
	CREATE FUNCTION hog_slow(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN
		IF (SELECT mode FROM hog_slow_ctl) = 1 THEN PERFORM pg_sleep(1.5); END IF;
		IF (SELECT mode FROM hog_slow_ctl) = 2 THEN
			PERFORM pg_advisory_lock_shared(777);
			PERFORM pg_advisory_unlock_shared(777);
		END IF;
		RETURN $1;
	END $$;
	ALTER FUNCTION hog_slow(int) OWNER TO hog;
});
$node->safe_psql('postgres', join('', map {
	"SELECT cascade_cache.cached_query('SELECT hog_slow(\$1) + count(*) AS n FROM hog_t', '[$_]', NULL, 'hogBusy');\n"
} 1 .. 20), extra_params => [ '-U', 'hog' ]);
is(cq($app, $get_user, '[1]', 'appSqueezed'), '[{"v": "preloaded"}]', 'appSqueezed read');
hog_mode_refetch('hog_slow_ctl', 1, 'hogBusy');
wait_runner(q{wait_event = 'PgSleep'}, 'the hog\'s slow recipes never ran');
my $t0 = time;
update_refetch(1, 'squeezed', 'appSqueezed');
wait_stored('appSqueezed', 'another role\'s refresh never ran');
my $took = time - $t0;
cmp_ok($took, '<', 12, "another role's refresh ran in ${took}s, not after the hog's 20 recipes of 1.5s");
cmp_ok(rstats()->{waiting}, '>', 0, 'the hog still had recipes waiting');
$node->safe_psql('postgres', 'UPDATE hog_slow_ctl SET mode = 0');
wait_refresh_idle('hog slow');

# Three roles and one runner slot: the roles are served in turn, least
# recently first.  The hog's and a second hog's slow recipes are queued
# before app's refresh; the two hogs' runners must not take the slot in
# turn while app's waits (it would wait for their 40 recipes of 1.5s).
$node->safe_psql('postgres', caller_role('hog2'));
$node->safe_psql('postgres', q{
	GRANT SELECT ON hog_t TO hog2;
	GRANT SELECT ON hog_slow_ctl TO hog2;
});
for my $hog ('hog', 'hog2')
{
	$node->safe_psql('postgres', join('', map {
		"SELECT cascade_cache.cached_query('SELECT hog_slow(\$1) + count(*) AS n FROM hog_t', '[$_]', NULL, '${hog}Busy');\n"
	} 1 .. 20), extra_params => [ '-U', $hog ]);
}
is(cq($app, $get_user, '[1]', 'appSqueezed'), '[{"v": "squeezed"}]', 'appSqueezed read again');
set_system('cascade_cache.recipe_workers', '1');
# one commit queues the three roles' refreshes, app's last
$t0 = time;
$node->safe_psql('postgres', qq{
	BEGIN;
	UPDATE hog_slow_ctl SET mode = 1;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'hogBusy') ]}');
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'hog2Busy') ]}');
	UPDATE users SET v = 'third' WHERE id = 1;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'appSqueezed') ]}');
	COMMIT;});
wait_stored('appSqueezed', 'the third role\'s refresh never ran');
$took = time - $t0;
cmp_ok($took, '<', 12, "a third role's refresh ran in ${took}s, not after the two hogs' 40 recipes of 1.5s");
cmp_ok(rstats()->{waiting}, '>', 0, 'the hogs still had recipes waiting');
$node->safe_psql('postgres', 'UPDATE hog_slow_ctl SET mode = 0');
wait_refresh_idle('two hogs');
reset_system('cascade_cache.recipe_workers' => '2');

# A runner that cannot connect (an open ALTER DATABASE ... RENAME holds
# the database's lock, which connecting waits for) stops after
# recipe_timeout; its pair's fills stay queued, and the other roles'
# refreshes run.  The hog's runner holds the one runner slot (its recipe
# waits for advisory lock 777) while database stuck's refresh is queued and
# its rename begins; then the hog's runner gives way to stuck's.
set_system('cascade_cache.recipe_timeout', '3s');
$node->safe_psql('postgres', 'CREATE DATABASE stuck');
$node->safe_psql('stuck', q{
	CREATE EXTENSION cascade_cache;
	CREATE TABLE s (v int); INSERT INTO s VALUES (1);
	SELECT cascade_cache.cached_query('SELECT v FROM s', '[]', NULL, 'stuckName');});
my $blocker = $node->background_psql('postgres');
$blocker->query_safe('SELECT pg_advisory_lock(777)');
hog_mode_refetch('hog_slow_ctl', 2, 'hogBusy');
wait_runner(q{wait_event_type = 'Lock'}, 'the hog\'s runner never waited for the advisory lock');
$node->safe_psql('stuck', qq{
	BEGIN;
	UPDATE s SET v = 2;
	SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', 'stuckName') ]}');
	COMMIT;});
my $renamer = $node->background_psql('postgres');
$renamer->query_safe('BEGIN; ALTER DATABASE stuck RENAME TO stuck_held');
$blocker->query_safe('SELECT pg_advisory_unlock(777)');
$node->safe_psql('postgres', 'UPDATE hog_slow_ctl SET mode = 0');
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_locks
	 WHERE locktype = 'object' AND classid = 'pg_database'::regclass
	   AND NOT granted})
  or die 'the runner of database stuck never waited to connect';
update_refetch(1, 'unstuck', 'appSqueezed');
wait_stored('appSqueezed', 'a runner waiting to connect kept the slot for ever');
like(slurp_file($node->logfile),
	qr/stopped a runner of role \d+ in database \d+ that had not connected after 3000 ms/,
	'the runner that could not connect was stopped, and the log says so');
is(cq($app, $get_user, '[1]', 'appSqueezed'), '[{"v": "unstuck"}]', 'and the other role\'s refresh ran');
$renamer->query_safe('ROLLBACK');
$renamer->quit;
$blocker->quit;
wait_refresh_idle('after the stuck runner');
ok( $node->poll_query_until('stuck', q{
		SELECT count(*) = 1 FROM cascade_cache.cache_query_stats(100)
		 WHERE query_name = 'stuckName' AND entries > 0}),
	'its refresh stayed queued: once the rename is rolled back, it runs');
reset_system('cascade_cache.recipe_timeout' => '30s');

# Served in turn by when a pair was last served, not when its runner
# started: the hog's runner starts first and waits (advisory lock 778,
# held here); hog2's starts after it, in the second runner slot, and ends.
# With one runner slot left, hog2 and hog3 queue a refresh each, and the
# lock is let go: the hog's runner gives its slot up, hog3 (never served)
# goes first, and then hog2, served before the hog's runner stopped, though
# started after it.  Each recipe logs its role as it begins.
$node->append_conf('postgresql.conf', "max_worker_processes = 8\n");
$app->disconnect;
$node->restart;
$app = app_dbh();
$node->safe_psql('postgres', caller_role('hog3'));
$node->safe_psql('postgres', q{
	GRANT SELECT ON hog_t TO hog3;
	CREATE FUNCTION turn_log(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN
		RAISE LOG 'turn of %', current_user;
		RETURN $1;
	END $$;
	CREATE FUNCTION turn_wait(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN
		PERFORM pg_advisory_lock_shared(778);
		PERFORM pg_advisory_unlock_shared(778);
		RETURN $1;
	END $$;
});
# store, then read (a REFETCH refreshes what was read since it was stored)
my $store_turns = sub {
	my ($role, $name, $q, @ids) = @_;
	$node->safe_psql('postgres', join('', map {
		"SELECT cascade_cache.cached_query('$q', '[$_]', NULL, '$name');\n" x 2
	} @ids), extra_params => [ '-U', $role ]);
};
# two: more would be a backlog, for which a second runner starts
$store_turns->('hog', 'aWait', 'SELECT turn_log($1) + turn_wait($1) + count(*) AS n FROM hog_t', 1 .. 2);
$store_turns->($_->[0], $_->[1], 'SELECT turn_log($1) + count(*) AS n FROM hog_t', 1)
  for ([ 'hog2', 'bOne' ], [ 'hog3', 'cOne' ]);
my $refetch_as = sub {
	my ($role, $name) = @_;
	$node->safe_psql('postgres',
		"SELECT cascade_cache.cascade_invalidate('@{[ inval('REFETCH', 'EXACT', $name) ]}')",
		extra_params => [ '-U', $role ]);
};
# The second time, the background worker is restarted once hog2's runner
# has stopped: the times of service are in shared memory, and the runner
# it did not start counts too.
for my $restart (0, 1)
{
	my $what = $restart ? ' (after a worker restart)' : '';
	my $waiter = $node->background_psql('postgres');
	$waiter->query_safe('SELECT pg_advisory_lock(778)');
	$refetch_as->('hog', 'aWait');
	wait_runner(q{wait_event_type = 'Lock'}, 'the hog\'s runner never waited for advisory lock 778');
	is($node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cascade_cache runner'}),
		'1', "one runner for the hog$what");
	my $log_from = -s $node->logfile;
	$refetch_as->('hog2', 'bOne');
	wait_stored('bOne', 'hog2\'s refresh never ran');
	like(substr(slurp_file($node->logfile), $log_from), qr/turn of hog2/,
		"hog2's refresh ran beside the hog's runner$what");
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'cascade_cache runner'})
	  or die 'hog2\'s runner never stopped';
	if ($restart)
	{
		my $old = cc_worker_pid($node);
		$node->safe_psql('postgres', "SELECT pg_terminate_backend($old)");
		$node->poll_query_until('postgres', qq{
			SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE backend_type = 'cascade_cache worker' AND pid <> $old})
		  or die 'the worker did not restart';
	}
	set_system('cascade_cache.recipe_workers', '1');
	$refetch_as->('hog2', 'bOne');
	$refetch_as->('hog3', 'cOne');
	$log_from = -s $node->logfile;
	$waiter->query_safe('SELECT pg_advisory_unlock(778)');
	wait_stored($_, "the refresh of $_ never ran") for ('bOne', 'cOne');
	my @turns = substr(slurp_file($node->logfile), $log_from) =~ /turn of (hog\d?)/g;
	shift @turns while @turns && $turns[0] eq 'hog';
	is(join(' ', grep { defined } @turns[0 .. 1]), 'hog3 hog2',
		"the hog's runner gave way, and hog2 was served before it again, though started after it$what")
	  or diag(join(' ', @turns));
	$waiter->quit;
	wait_refresh_idle('turns');
	reset_system('cascade_cache.recipe_workers' => '2');
}

$app->disconnect;
$node->stop;
unlike(slurp_file($node->logfile), qr/TRAP:|terminated by signal|server process .* was terminated/,
	'no assertion failure, no crash');
done_testing();
