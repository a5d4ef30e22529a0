# Two-phase commit: the invalidation is held from PREPARE TRANSACTION until
# the prepared transaction has ended, in whichever session; and a prepared
# transaction that outlives a restart (whose slot is lost) keeps every
# database from caching until it ends (it may have changed a shared
# catalog).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('twophase', conf => "max_prepared_transactions = 4\nwal_level = replica\n");
$node->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
my $q = 'SELECT v FROM t WHERE id = 1';
# what cache_holds() shows, one line per hold, and cache_health() with
# health_hold = 0
my $holds = sub {
	return $node->safe_psql('postgres', q{
		SELECT kind, gid, transaction IS NOT NULL, database, scope, stripes > 0, state,
		       since <= now()
		  FROM cascade_cache.cache_holds() ORDER BY kind, gid});
};
my $health = sub {
	return $node->safe_psql('postgres', q{
		SET cascade_cache.health_hold = 0;
		SELECT status || ' ' || array_to_string(warnings, ' / ') || ' => ' || recommendation
		  FROM cascade_cache.cache_health()});
};

# a new shared memory holds every database until the first fill has listed
# the prepared transactions
is($holds->(), 'restart||f||cluster|t|held|t',
	'cache_holds(): before the first fill, the restart holds every database');
is(cc_query($node, $q), '[{"v": "a"}]', 'cached');
is($holds->(), '', 'cache_holds(): the first fill listed them');
# prepared in one session ...
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'b'; PREPARE TRANSACTION 'tx1';");
is($holds->(), 'prepared|tx1|t|postgres|rows|t|held|t',
	'cache_holds(): the prepared transaction holds what it changed');
like($health->(),
	qr/^healthy info: prepared transaction 'tx1' keeps the results that depend on what it changed from being stored since .* => System healthy/,
	'cache_health(): told, not degraded');
is(cc_stats($node, 'entries'), '0', 'PREPARE removed the entry');
is(cc_query($node, $q), '[{"v": "a"}]', 'the old value while prepared');
is(cc_query($node, $q), '[{"v": "a"}]', 'still computed, not stored');
is(cc_stats($node, 'entries'), '0', 'nothing stored while prepared');
# ... committed in another
$node->safe_psql('postgres', "COMMIT PREPARED 'tx1'");
is($holds->(), '', 'cache_holds(): COMMIT PREPARED released it');
# one that changed nothing holds nothing, and is not reported
$node->safe_psql('postgres', "BEGIN; SELECT 1; PREPARE TRANSACTION 'txro';");
is($holds->(), 'prepared|txro|t|postgres|rows|f|held|t',
	'cache_holds(): a read-only prepared transaction holds no stripe');
like($health->(), qr/^healthy  => System healthy/, 'cache_health(): and says nothing of it');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'txro'");
is(cc_query($node, $q), '[{"v": "b"}]', 'the committed value after COMMIT PREPARED');
is(cc_query($node, $q), '[{"v": "b"}]', 'and it is cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# a prepared transaction that outlives a restart
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'c'; PREPARE TRANSACTION 'tx2';");
$node->restart;
is(cc_query($node, $q), '[{"v": "b"}]', 'after the restart, the old value');
is(cc_query($node, $q), '[{"v": "b"}]', 'computed again');
is(cc_stats($node, 'entries'), '0',
	'not stored while a transaction prepared before the restart waits');
$node->safe_psql('postgres', "COMMIT PREPARED 'tx2'");
is(cc_query($node, $q), '[{"v": "c"}]', 'COMMIT PREPARED: the new value');
is(cc_query($node, $q), '[{"v": "c"}]', 'and it is cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# ROLLBACK PREPARED in another session
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'never'; PREPARE TRANSACTION 'tx3';");
is(cc_query($node, $q), '[{"v": "c"}]', 'old value while prepared');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'tx3'");
is(cc_query($node, $q), '[{"v": "c"}]', 'rolled back: the same value');
is(cc_query($node, $q), '[{"v": "c"}]', 'cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# a prepared transaction that changed a catalog holds its database
$node->safe_psql('postgres',
	"BEGIN; CREATE TABLE ddl_t (); PREPARE TRANSACTION 'txddl';");
is($holds->(), 'prepared|txddl|t|postgres|database|t|held|t',
	'cache_holds(): a prepared DDL holds its database');
like($health->(),
	qr/^degraded warning: prepared transaction 'txddl' keeps every result of database postgres from being stored since .* => finish the prepared transactions/,
	'cache_health(): degraded, and what to do');
is($node->safe_psql('postgres', q{
	SELECT status FROM cascade_cache.cache_health()}), 'healthy',
	'cache_health(): not before health_hold (10s)');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'txddl'");
is($holds->(), '', 'cache_holds(): ROLLBACK PREPARED released it');

# A slot lost in a restart: nothing says what the prepared transaction
# changed, and it may have been a shared catalog (here role membership,
# which a commit outside two-phase flushes every database for), so no
# database caches until it ends.
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other',
	"CREATE EXTENSION cascade_cache; CREATE TABLE o (id int PRIMARY KEY, v text); INSERT INTO o VALUES (1, 'o')");
$node->safe_psql('postgres', 'CREATE ROLE member_role; CREATE ROLE mallory LOGIN');
my $oq = q{SELECT cascade_cache.cached_query('SELECT v FROM o WHERE id = $1', '[1]')};
# whether the other database's entry is cached
my $other_entry = sub {
	return $node->safe_psql('other', q{
		SELECT detail FROM cascade_cache.cache_explain(
			'SELECT v FROM o WHERE id = $1', '[1]') WHERE item = 'entry'});
};
my $own_entry = sub {
	return $node->safe_psql('postgres', q{
		SELECT detail FROM cascade_cache.cache_explain(
			'SELECT v FROM t WHERE id = 1') WHERE item = 'entry'});
};
$node->safe_psql('postgres',
	"BEGIN; GRANT member_role TO mallory; PREPARE TRANSACTION 'tx4';");
# a serializable one that wrote, for a serializable, read-only, deferrable
# session to finish (below)
$node->safe_psql('postgres',
	"BEGIN ISOLATION LEVEL SERIALIZABLE; UPDATE t SET v = v; PREPARE TRANSACTION 'tx5';");
# a schema of mallory's, where her own "=" operators could be found first
$node->safe_psql('postgres', 'CREATE SCHEMA evil AUTHORIZATION mallory');
$node->restart;

# before any fill: naming a GID that does not exist, or one it may not
# finish, fails, and writes no record for the standbys (which would flush
# theirs)
my $wal_start = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my ($ret, $out, $err) = $node->psql('postgres', "COMMIT PREPARED 'no_such_gid'");
isnt($ret, 0, 'COMMIT PREPARED of a GID that does not exist fails');
($ret, $out, $err) = $node->psql('postgres', "ROLLBACK PREPARED 'no_such_gid'",
	extra_params => [ '-U', 'mallory' ]);
isnt($ret, 0, 'ROLLBACK PREPARED of a GID that does not exist fails');
($ret, $out, $err) = $node->psql('postgres', "COMMIT PREPARED 'tx4'",
	extra_params => [ '-U', 'mallory' ]);
like($err, qr/permission denied/, 'a role that does not own it may not finish it');
($ret, $out, $err) = $node->psql('postgres', "ROLLBACK PREPARED 'tx4'",
	extra_params => [ '-U', 'mallory' ]);
like($err, qr/permission denied/, '... nor roll it back');
($ret, $out, $err) = $node->psql('other', "COMMIT PREPARED 'tx4'");
like($err, qr/belongs to another database/,
	'it may not be finished from another database');
my $wal_end = $node->safe_psql('postgres',
	q{SELECT pg_logical_emit_message(false, 'cc', 'end')});
$node->safe_psql('postgres', 'CHECKPOINT');
my ($dump, $dump_err) = run_command([ 'pg_waldump', '-p', $node->data_dir . '/pg_wal',
	'-s', $wal_start, '-e', $wal_end ]);
like($dump, qr/rmgr: LogicalMessage/, 'the WAL of those commands is read')
  or diag($dump_err);
unlike($dump, qr/rmgr: custom199/, 'and it has no record of ours for the standbys');

is($node->safe_psql('other', $oq), '[{"v": "o"}]', 'another database, after the restart');
is($other_entry->(), 'not cached', 'not cached while they wait');
is(cc_query($node, $q), '[{"v": "c"}]', 'this database');
is($own_entry->(), 'not cached', 'not cached either');
is($holds->(), "prepared|tx4|t|postgres|cluster|t|held|t\nprepared|tx5|t|postgres|cluster|t|held|t",
	'cache_holds(): the transactions prepared before the restart hold every database');
like($health->(),
	qr/^degraded warning: prepared transaction 'tx4' keeps every result of every database from being stored since .* \/ warning: prepared transaction 'tx5' keeps every result of every database/,
	'cache_health(): degraded, naming both');

# nor one inside a transaction block (which PostgreSQL refuses), nor one
# whose finding of the GID mallory's own operators could have answered
($ret, $out, $err) = $node->psql('postgres',
	"BEGIN; COMMIT PREPARED 'tx4'; ROLLBACK;");
like($err, qr/cannot run inside a transaction block/,
	'COMMIT PREPARED inside a transaction block fails');
$node->safe_psql('postgres', q{
	CREATE FUNCTION evil.yes(text, text) RETURNS bool LANGUAGE sql AS 'SELECT true';
	CREATE FUNCTION evil.yes(name, name) RETURNS bool LANGUAGE sql AS 'SELECT true';
	CREATE FUNCTION evil.yes(oid, oid) RETURNS bool LANGUAGE sql AS 'SELECT true';
	CREATE OPERATOR evil.= (FUNCTION = evil.yes, LEFTARG = text, RIGHTARG = text);
	CREATE OPERATOR evil.= (FUNCTION = evil.yes, LEFTARG = name, RIGHTARG = name);
	CREATE OPERATOR evil.= (FUNCTION = evil.yes, LEFTARG = oid, RIGHTARG = oid);
	ALTER FUNCTION evil.yes(text, text) OWNER TO mallory;
	ALTER FUNCTION evil.yes(name, name) OWNER TO mallory;
	ALTER FUNCTION evil.yes(oid, oid) OWNER TO mallory;
	ALTER OPERATOR evil.= (text, text) OWNER TO mallory;
	ALTER OPERATOR evil.= (name, name) OWNER TO mallory;
	ALTER OPERATOR evil.= (oid, oid) OWNER TO mallory;});
for my $gid ('no_such_gid', 'tx4')
{
	($ret, $out, $err) = $node->psql('postgres',
		"SET search_path = evil, pg_catalog;\nCOMMIT PREPARED '$gid';",
		extra_params => [ '-U', 'mallory' ]);
	isnt($ret, 0, "mallory's COMMIT PREPARED '$gid' with her operators first fails");
}

# finishing one needs no snapshot: a serializable, read-only, deferrable
# session would wait for the very transaction it finishes
($ret, $out, $err) = $node->psql('postgres', qq{
SET statement_timeout = '60s';
SET default_transaction_isolation = serializable;
SET default_transaction_deferrable = on;
SET default_transaction_read_only = on;
COMMIT PREPARED 'tx5';});
is($ret, 0, 'a serializable, read-only, deferrable session finishes a prepared transaction')
  or diag($err);
is($node->safe_psql('other', $oq), '[{"v": "o"}]', 'another database');
is($other_entry->(), 'not cached', 'still not cached while tx4 waits');

$node->safe_psql('postgres', "COMMIT PREPARED 'tx4'");
is($node->safe_psql('postgres',
	q{SELECT pg_has_role('mallory', 'member_role', 'MEMBER')}), 't', 'committed');
is($node->safe_psql('other', $oq), '[{"v": "o"}]', 'another database, once both ended');
is($other_entry->(), 'cached', 'cached again');
is(cc_query($node, $q), '[{"v": "c"}]', 'this database');
is($own_entry->(), 'cached', 'cached again');

# A coarse slot (more marks than a slot holds: here 1,500 entities) holds
# its database: while it waits, that database caches nothing and the other
# one goes on; with a role membership too, it holds every database.
my $entities = join ' ', map {
	"SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated', (SELECT jsonb_agg(jsonb_build_object('__typename', 'T', 'id', g)) FROM generate_series($_, $_ + 499) g)));"
} (1, 501, 1001);
$node->safe_psql('postgres',
	"BEGIN; $entities PREPARE TRANSACTION 'coarse_db';");
is($own_entry->(), 'cached', 'a coarse PREPARE removes only what it names');
$node->safe_psql('postgres', "UPDATE t SET v = 'd'");
is(cc_query($node, $q), '[{"v": "d"}]', 'while it waits: the new value');
is($own_entry->(), 'not cached', 'not stored: its database is held');
$node->safe_psql('other', 'UPDATE o SET v = $$p$$');
is($node->safe_psql('other', $oq), '[{"v": "p"}]', 'the other database');
is($other_entry->(), 'cached', 'caches as usual');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'coarse_db'");
is(cc_query($node, $q), '[{"v": "d"}]', 'once rolled back');
is($own_entry->(), 'cached', 'its database caches again');

$node->safe_psql('postgres', 'CREATE ROLE other_member');
$node->safe_psql('postgres',
	"BEGIN; $entities GRANT member_role TO other_member; PREPARE TRANSACTION 'coarse';");
is($node->safe_psql('other', $oq), '[{"v": "p"}]', 'another database, while a coarse slot of every database waits');
is($other_entry->(), 'not cached', 'not cached');
for my $cmd ('COMMIT', 'ROLLBACK')
{
	for my $db ('postgres', 'other')
	{
		($ret, $out, $err) = $node->psql($db, "$cmd PREPARED 'coarse'",
			extra_params => [ '-U', 'mallory' ]);
		like($err, qr/permission denied|belongs to another database/,
			"mallory's $cmd PREPARED of the coarse slot from $db fails");
	}
}
is($node->safe_psql('other', $oq), '[{"v": "p"}]', 'another database');
is($other_entry->(), 'not cached', 'still not cached');
$node->safe_psql('postgres', "COMMIT PREPARED 'coarse'");
is($node->safe_psql('other', $oq), '[{"v": "p"}]', 'finished');
is($other_entry->(), 'cached', 'cached again');

# Runs $sql in a new session while gdb holds that session's backend where
# the gdb commands @$stop leave it, and the shell command $shell runs; then
# lets it go.  Returns gdb's output (which has the shell command's).
sub while_held
{
	my ($sql, $stop, $shell) = @_;
	my $held = $node->background_psql('postgres');
	my $pid = $held->query_safe('SELECT pg_backend_pid()');
	my ($gdb_in, $gdb_out) = ('', '');
	my $gdb = IPC::Run::start(
		[ 'gdb', '-p', $pid, '-batch', '-nx', (map { ('-ex', $_) } @$stop),
		  '-ex', "shell $shell", '-ex', 'detach' ],
		'<', \$gdb_in, '>&', \$gdb_out,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$gdb->pump until $gdb_out =~ /Breakpoint 1 at|ptrace|Operation not permitted|No such process/;
	die "gdb could not attach to the backend:\n$gdb_out" unless $gdb_out =~ /Breakpoint 1 at/;
	$held->query($sql);
	$gdb->finish;
	$held->quit;
	return $gdb_out;
}

# a psql command line for the shell of while_held()
sub psql_line
{
	my @sql = @_;
	return join ' ', $node->installed_command('psql'), '-X', '-At', '-h',
	  $node->host, '-p', $node->port, '-d', 'postgres', map { ('-c', qq{"$_"}) } @sql;
}

# A GID reused at once.  PostgreSQL frees the GID of the transaction COMMIT
# PREPARED finishes before the command's after-hook releases its slot; a
# PREPARE of the same GID in between has a slot of that GID too, and its
# marks must stay until its own COMMIT PREPARED.  gdb holds the committing
# backend at the after-hook while the GID is prepared again, the new
# transaction's slot being the first of the array (a slot freed just
# before) and its table another one; a fill of that table while it is
# prepared must not be stored.
$node->safe_psql('postgres',
	"CREATE TABLE u (v int); CREATE TABLE reuse (id int PRIMARY KEY, v int); INSERT INTO reuse VALUES (1, 0)");
my $rq = 'SELECT v FROM reuse WHERE id = 1';
is(cc_query($node, $rq), '[{"v": 0}]', 'reuse: cached');
$node->safe_psql('postgres', "BEGIN; INSERT INTO u VALUES (0); PREPARE TRANSACTION 'first'");
$node->safe_psql('postgres', "BEGIN; INSERT INTO u VALUES (1); PREPARE TRANSACTION 'g'");
$node->safe_psql('postgres', "COMMIT PREPARED 'first'");
my $gdb_out = while_held("COMMIT PREPARED 'g'",
	[ 'break cc_twophase_after', 'continue' ],
	psql_line(q{BEGIN; UPDATE reuse SET v = 2; PREPARE TRANSACTION 'g'}));
like($gdb_out, qr/PREPARE TRANSACTION/, 'the GID was prepared again while COMMIT PREPARED was held')
  or diag($gdb_out);
is($node->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'g',
	'the second transaction of that GID is prepared');
is(cc_query($node, $rq), '[{"v": 0}]', 'reuse: the old value while it is prepared');
is(cc_query($node, $rq), '[{"v": 0}]', 'computed again, not stored');
$node->safe_psql('postgres', "COMMIT PREPARED 'g'");
is(cc_query($node, $rq), '[{"v": 2}]', 'its COMMIT PREPARED: the new value, no stale entry');

# A slot is released only once its transaction's locks are: PostgreSQL
# sends the catalog invalidations of a COMMIT PREPARED after the commit is
# visible, and releases the locks after that.  gdb holds the committing
# backend just after the commit became visible; a fill then sees the new
# value and must not store it.
$node->safe_psql('postgres', "BEGIN; UPDATE reuse SET v = 3; PREPARE TRANSACTION 'visible'");
$gdb_out = while_held("COMMIT PREPARED 'visible'",
	[ 'break ProcArrayRemove', 'continue', 'finish' ],
	psql_line(qq{SELECT 'read ' || cascade_cache.cached_query('$rq')::text},
		qq{SELECT 'entry ' || detail FROM cascade_cache.cache_explain('$rq') WHERE item = 'entry'}));
like($gdb_out, qr/read \[\{"v": 3\}\]/, 'a fill while the commit is visible but its locks held sees the new value')
  or diag($gdb_out);
like($gdb_out, qr/entry not cached/, 'and does not store it') or diag($gdb_out);
is(cc_query($node, $rq), '[{"v": 3}]', 'once COMMIT PREPARED returned');
is($node->safe_psql('postgres',
	qq{SELECT detail FROM cascade_cache.cache_explain('$rq') WHERE item = 'entry'}),
	'cached', 'it is stored');

# A plan a session keeps, made while a prepared transaction holds the
# database, is not used once that transaction has committed and before its
# slot is released (here: gdb holds the committing backend at the
# after-hook, as if the command had been an apply worker's): the prepared
# transaction changed a text search configuration, which a constant folded
# into the plan read (to_tsvector(regconfig, text) is immutable), and no
# plan invalidation of PostgreSQL's covers that.
$node->safe_psql('postgres', 'CREATE TEXT SEARCH CONFIGURATION tscfg (COPY = simple)');
my $tsq = q{SELECT to_tsvector('tscfg', 'the cats')::text AS r};
my $kept = $node->background_psql('postgres');
$kept->query_safe('SET cascade_cache.enabled = off');
my $kept_read = sub {
	return $kept->query_safe(qq{SELECT cascade_cache.cached_query('@{[ $tsq =~ s/'/''/gr ]}')::text});
};
$node->safe_psql('postgres', q{BEGIN;
	ALTER TEXT SEARCH CONFIGURATION tscfg ALTER MAPPING FOR asciiword WITH english_stem;
	PREPARE TRANSACTION 'tscfg'});
$kept_read->() for 1 .. 8;    # a kept plan, and its generic plan
is($kept_read->(), q{[{"r": "'cats':2 'the':1"}]}, 'while prepared: the old configuration');
my $flag = PostgreSQL::Test::Utils::tempdir() . '/go';
my ($c_in, $c_out) = ('', '');
my $committer = IPC::Run::start(
	[ $node->installed_command('psql'), '-X', '-At', '-h', $node->host, '-p', $node->port,
	  '-d', 'postgres', '-c', 'SELECT pg_backend_pid()', '-c', 'SELECT pg_sleep(2)',
	  '-c', "COMMIT PREPARED 'tscfg'" ],
	'<', \$c_in, '>&', \$c_out,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$committer->pump until $c_out =~ /^(\d+)$/m;
my ($g_in, $g_out) = ('', '');
my $gdb2 = IPC::Run::start(
	[ 'gdb', '-p', $1, '-batch', '-nx', '-ex', 'break cc_twophase_after', '-ex', 'continue',
	  '-ex', "shell while [ ! -e $flag ]; do sleep 0.1; done", '-ex', 'detach' ],
	'<', \$g_in, '>&', \$g_out,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$gdb2->pump until $g_out =~ /Breakpoint 1 at|ptrace|Operation not permitted|No such process/;
die "gdb could not attach to the backend:\n$g_out" unless $g_out =~ /Breakpoint 1 at/;
$node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_prepared_xacts WHERE gid = 'tscfg'})
  or die 'COMMIT PREPARED never finished the transaction';
$gdb2->pump until $g_out =~ /Breakpoint 1,/;
is($kept_read->(), q{[{"r": "'cat':2"}]},
	'committed, its slot not released yet: the kept plan is not used, the new configuration is read');
open(my $fh, '>', $flag) or die "$flag: $!";
close $fh;
$gdb2->finish;
$committer->finish;
like($c_out, qr/COMMIT PREPARED/, 'COMMIT PREPARED returned') or diag($c_out);
$kept->quit;

# COMMIT PREPARED of a transaction whose PREPARE has not returned yet
# (PostgreSQL refuses it as busy) finds its slot and flushes nothing
is($node->safe_psql('other', $oq), '[{"v": "p"}]', 'another database');
is($other_entry->(), 'cached', 'cached');
$gdb_out = while_held("BEGIN; UPDATE reuse SET v = 4; PREPARE TRANSACTION 'busy'",
	[ 'break cc_twophase_prepared', 'continue' ],
	psql_line(q{COMMIT PREPARED 'busy'}) . ' 2>&1');
like($gdb_out, qr/is busy/, 'COMMIT PREPARED while the PREPARE runs is refused')
  or diag($gdb_out);
is($other_entry->(), 'cached', 'and flushed no other database');
$node->safe_psql('postgres', "COMMIT PREPARED 'busy'");
is(cc_query($node, $rq), '[{"v": 4}]', 'committed once prepared');

$node->stop;
done_testing();
