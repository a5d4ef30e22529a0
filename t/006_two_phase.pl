# Two-phase commit: the invalidation is carried from PREPARE TRANSACTION to
# the session that runs COMMIT PREPARED; and a prepared transaction that
# outlives a restart (whose slot is lost) is still invalidated safely, in
# every database (it may have changed a shared catalog).
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

is(cc_query($node, $q), '[{"v": "a"}]', 'cached');
# prepared in one session ...
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'b'; PREPARE TRANSACTION 'tx1';");
is(cc_stats($node, 'entries'), '0', 'PREPARE removed the entry');
is(cc_query($node, $q), '[{"v": "a"}]', 'the old value while prepared');
is(cc_query($node, $q), '[{"v": "a"}]', 'still computed, not stored');
is(cc_stats($node, 'entries'), '0', 'nothing stored while prepared');
# ... committed in another
$node->safe_psql('postgres', "COMMIT PREPARED 'tx1'");
is(cc_query($node, $q), '[{"v": "b"}]', 'the committed value after COMMIT PREPARED');
is(cc_query($node, $q), '[{"v": "b"}]', 'and it is cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# a prepared transaction that outlives a restart
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'c'; PREPARE TRANSACTION 'tx2';");
$node->restart;
is(cc_query($node, $q), '[{"v": "b"}]', 'after the restart, the old value');
is(cc_query($node, $q), '[{"v": "b"}]', 'cached (nothing is known of tx2)');
is(cc_stats($node, 'entries'), '1', 'the old value is stored');
$node->safe_psql('postgres', "COMMIT PREPARED 'tx2'");
is(cc_query($node, $q), '[{"v": "c"}]',
	'COMMIT PREPARED without a record flushes the database: the new value');

# ROLLBACK PREPARED in another session
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'never'; PREPARE TRANSACTION 'tx3';");
is(cc_query($node, $q), '[{"v": "c"}]', 'old value while prepared');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'tx3'");
is(cc_query($node, $q), '[{"v": "c"}]', 'rolled back: the same value');
is(cc_query($node, $q), '[{"v": "c"}]', 'cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# A slot lost in a restart: nothing says what the prepared transaction
# changed, and it may have been a shared catalog (here role membership,
# which a commit outside two-phase flushes every database for), so the
# entries another database filled since the restart go too.
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
$node->safe_psql('postgres',
	"BEGIN; GRANT member_role TO mallory; PREPARE TRANSACTION 'tx4';");
# a serializable one that wrote, for a serializable, read-only, deferrable
# session to finish (below)
$node->safe_psql('postgres',
	"BEGIN ISOLATION LEVEL SERIALIZABLE; UPDATE t SET v = v; PREPARE TRANSACTION 'tx5';");
# a schema of mallory's, where her own "=" operators could be found first
$node->safe_psql('postgres', 'CREATE SCHEMA evil AUTHORIZATION mallory');
$node->restart;
is($node->safe_psql('other', $oq), '[{"v": "o"}]', 'another database, after the restart');
is($other_entry->(), 'cached', 'cached');

# naming a GID that does not exist, or one it may not finish, fails and
# flushes nothing, not even its own database
is(cc_query($node, $q), '[{"v": "c"}]', 'an entry of this database');
my $own_entry = sub {
	return $node->safe_psql('postgres', q{
		SELECT detail FROM cascade_cache.cache_explain(
			'SELECT v FROM t WHERE id = 1') WHERE item = 'entry'});
};
is($own_entry->(), 'cached', 'cached');
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
is($other_entry->(), 'cached', 'none of them flushed the other database');
is($own_entry->(), 'cached', 'nor this one');
# nor do they write a record for the standbys, which would flush theirs
my $wal_end = $node->safe_psql('postgres',
	q{SELECT pg_logical_emit_message(false, 'cc', 'end')});
$node->safe_psql('postgres', 'CHECKPOINT');
my ($dump, $dump_err) = run_command([ 'pg_waldump', '-p', $node->data_dir . '/pg_wal',
	'-s', $wal_start, '-e', $wal_end ]);
like($dump, qr/rmgr: LogicalMessage/, 'the WAL of those commands is read')
  or diag($dump_err);
unlike($dump, qr/rmgr: custom199/, 'and it has no record of ours for the standbys');

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
is($other_entry->(), 'cached', 'and none of these flushed the other database');

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

$node->safe_psql('postgres', "COMMIT PREPARED 'tx4'");
is($other_entry->(), 'not cached',
	'COMMIT PREPARED without a record removes every database\'s entries');
is($node->safe_psql('postgres',
	q{SELECT pg_has_role('mallory', 'member_role', 'MEMBER')}), 't', 'committed');

# A coarse slot (more marks than a slot holds: here 1,500 entities, and a
# role membership, so every database): naming its GID from a role that may
# not finish it flushes nothing; finishing it flushes every database.
$node->safe_psql('postgres', 'CREATE ROLE other_member');
my $entities = join ' ', map {
	"SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated', (SELECT jsonb_agg(jsonb_build_object('__typename', 'T', 'id', g)) FROM generate_series($_, $_ + 499) g)));"
} (1, 501, 1001);
$node->safe_psql('postgres',
	"BEGIN; $entities GRANT member_role TO other_member; PREPARE TRANSACTION 'coarse';");
is($node->safe_psql('other', $oq), '[{"v": "o"}]', 'another database, while a coarse slot waits');
is($other_entry->(), 'cached', 'cached');
is(cc_query($node, $q), '[{"v": "c"}]', 'and this one');
is($own_entry->(), 'cached', 'cached');
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
is($other_entry->(), 'cached', 'none of them flushed the other database');
is($own_entry->(), 'cached', 'nor this one');
$node->safe_psql('postgres', "COMMIT PREPARED 'coarse'");
is($other_entry->(), 'not cached', 'finishing the coarse slot flushes the other database');
is($own_entry->(), 'not cached', 'and this one');

# A GID reused at once.  PostgreSQL frees the GID of the transaction COMMIT
# PREPARED finishes before the command's after-hook adopts its slot's
# marks; a PREPARE of the same GID in between has a slot of that GID too,
# and its marks must stay until its own COMMIT PREPARED.  gdb holds the
# committing backend at the after-hook while the GID is prepared again, the
# new transaction's slot being the first of the array (a slot freed just
# before) and its table another one; a fill of that table while it is
# prepared must not be stored.
$node->safe_psql('postgres',
	"CREATE TABLE u (v int); CREATE TABLE reuse (id int PRIMARY KEY, v int); INSERT INTO reuse VALUES (1, 0)");
my $rq = 'SELECT v FROM reuse WHERE id = 1';
is(cc_query($node, $rq), '[{"v": 0}]', 'reuse: cached');
$node->safe_psql('postgres', "BEGIN; INSERT INTO u VALUES (0); PREPARE TRANSACTION 'first'");
$node->safe_psql('postgres', "BEGIN; INSERT INTO u VALUES (1); PREPARE TRANSACTION 'g'");
$node->safe_psql('postgres', "COMMIT PREPARED 'first'");
my $committer = $node->background_psql('postgres');
my $cpid = $committer->query_safe('SELECT pg_backend_pid()');
my ($gdb_in, $gdb_out) = ('', '');
my $psql_b = join ' ', $node->installed_command('psql'), '-X', '-h', $node->host,
  '-p', $node->port, '-d', 'postgres',
  '-c', q{"BEGIN; UPDATE reuse SET v = 2; PREPARE TRANSACTION 'g'"};
my $gdb = IPC::Run::start(
	[ 'gdb', '-p', $cpid, '-batch', '-nx',
	  '-ex', 'break cc_twophase_after', '-ex', 'continue',
	  '-ex', "shell $psql_b", '-ex', 'detach' ],
	'<', \$gdb_in, '>&', \$gdb_out,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
$gdb->pump until $gdb_out =~ /Breakpoint 1 at|ptrace|Operation not permitted|No such process/;
die "gdb could not attach to the backend:\n$gdb_out" unless $gdb_out =~ /Breakpoint 1 at/;
$committer->query_safe("COMMIT PREPARED 'g'");
$gdb->finish;
like($gdb_out, qr/PREPARE TRANSACTION/, 'the GID was prepared again while COMMIT PREPARED was held')
  or diag($gdb_out);
$committer->quit;
is($node->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'g',
	'the second transaction of that GID is prepared');
is(cc_query($node, $rq), '[{"v": 0}]', 'reuse: the old value while it is prepared');
is(cc_query($node, $rq), '[{"v": 0}]', 'computed again, not stored');
$node->safe_psql('postgres', "COMMIT PREPARED 'g'");
is(cc_query($node, $rq), '[{"v": 2}]', 'its COMMIT PREPARED: the new value, no stale entry');

$node->stop;
done_testing();
