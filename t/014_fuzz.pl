# A seeded, reproducible fuzz test of the extension's SQL surface.
#
# Thousands of random and malformed inputs per run, each checked against
# what a careful DBA expects: every call returns, or raises an error with a
# proper SQLSTATE (never XX000, never a lost connection), within a time
# bound; the server never crashes; a transaction whose statements all
# succeeded commits; and cache_stats() is consistent afterwards.
#
#   * GraphQL cascades for cascade_invalidate(jsonb): valid, nearly valid
#     and malformed (wrong types, null everywhere, numbers as ids, weird
#     unicode, huge strings, deep nesting, 500/501 updated and 100/101
#     deleted entities, payloads around the 5 MB limit), invalidations of
#     every scope (EXACT, PREFIX, PATTERN with adversarial globs such as
#     '*a*a*a*a*a*a*a*a*a*b' against names of 1000 'a's, ALL), wrapped in
#     mutation responses and GraphQL responses; in autocommit and in
#     explicit transactions (committed, rolled back, savepoints, prepared,
#     read-only, repeatable read), mixed with writes to watched tables.
#   * cached_query(query, params, ttl, name), and cached_query_json,
#     cached_document and cached_document_json with the same inputs in
#     three tenths of the calls: params of the wrong arity and
#     JSON type, nested arrays, objects, huge numbers, strings the type does
#     not accept, null (checked against NOT NULL and CHECK domains); query
#     names (empty, 1024 and 1025 bytes, unicode, control characters; each
#     stored one is then invalidated by EXACT, PREFIX or PATTERN); ttls
#     (negative, zero, huge, months/days overflow); odd statements
#     (several, DML, DDL, utility, syntax errors, data-modifying WITH,
#     FOR UPDATE, empty, comments only, mutated SQL); fills cancelled with
#     pg_cancel_backend() while they run (the key must then store again).
#   * cache_explain, cache_flush, cache_invalidate_relation, cascade_watch
#     and cascade_unwatch on weird relations, type names and columns, the
#     statistics functions and views with odd arguments.
#
# Before fuzzing, the cache is filled with named entries (names of 1000
# and 1024 'a's, unicode names, names with glob characters) and entries
# tagged with entities of the watched tables.
#
# Each call gets CC_FUZZ_TIMEOUT seconds (default 10): statement_timeout,
# and a client-side deadline a few seconds later.  A call that has not
# returned by then is a failure ('hang'); the test cancels it, then
# terminates the backend with pg_terminate_backend() from another session,
# and if even that does not end it ('unkillable'), stops the node in
# immediate mode, starts it again and goes on, skipping the inputs of that
# hazard (e.g. glob PATTERN scopes) for the rest of the run.
#
# Environment:
#   CC_FUZZ_SEED=N         the seed (default: random; printed)
#   CC_FUZZ_ITERATIONS=N   iterations (default 2500: 30-60 s on two cores)
#   CC_FUZZ_SECONDS=N      run for N seconds instead (longer runs; the
#                          iterations then default to unlimited)
#   CC_FUZZ_TIMEOUT=N      the per-call time bound in seconds (default 10)
#   CC_FUZZ_ONLY=I,J,...   replay only these iterations of the seed (each
#                          iteration draws from its own seed, so its input
#                          is the same as in the full run)
#   CC_FUZZ_VERBOSE=1      note every failing step as it happens
#
# Every failure is reported with its category, seed, iteration, step,
# SQLSTATE, message, time and input (truncated); the full list is written
# to tmp_check/fuzz_failures_<seed>.txt.
use strict;
use warnings;
use utf8;
no warnings 'nonchar';

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;
use DBI;
use DBD::Pg qw(:async);
use Encode qw(encode_utf8);
use List::Util qw(shuffle min max);
use Time::HiRes qw(time usleep);

# Test::More's handles are tied by PostgreSQL::Test::Utils: print bytes
sub d { diag(encode_utf8(join '', @_)); }
sub n { note(encode_utf8(join '', @_)); }

# ------------------------------------------------------------------
# Parameters
# ------------------------------------------------------------------
my $seed = $ENV{CC_FUZZ_SEED} // (int(time() * 1000) ^ ($$ << 12)) % 2147483647;
die "CC_FUZZ_SEED must be a non-negative integer\n" unless $seed =~ /^\d+$/;
my $seconds = $ENV{CC_FUZZ_SECONDS};
my $iterations = $ENV{CC_FUZZ_ITERATIONS} // (defined $seconds ? 1e12 : 2500);
my $timeout = $ENV{CC_FUZZ_TIMEOUT} // 10;
my $grace = 3;    # the client-side deadline is timeout + grace
my @only = grep { /^\d+$/ } split /[, ]+/, ($ENV{CC_FUZZ_ONLY} // '');
my $verbose = $ENV{CC_FUZZ_VERBOSE};
my $replay = "CC_FUZZ_SEED=$seed PROVE_TESTS=t/014_fuzz.pl make installcheck";

d("fuzz: seed $seed, "
	  . (@only ? "iterations @only only" : defined $seconds ? "$seconds s" : "$iterations iterations")
	  . ", ${timeout}s per call (replay: $replay)");

# ------------------------------------------------------------------
# Random helpers (every iteration reseeds from (seed, iteration))
# ------------------------------------------------------------------
sub iter_seed { my ($i, $salt) = @_; return ($seed * 7919 + $i * 104729 + ($salt // 0) * 15485863) % 4294967291; }
sub rnd { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub pick { return $_[ int(rand(@_)) ]; }
sub chance { return rand() < $_[0]; }

# wpick([weight, value-or-code], ...): a weighted choice; code refs are called
sub wpick
{
	my $total = 0;
	$total += $_->[0] for @_;
	my $r = rand($total);
	for my $c (@_)
	{
		if (($r -= $c->[0]) < 0)
		{
			return ref $c->[1] eq 'CODE' ? $c->[1]->() : $c->[1];
		}
	}
	my $l = $_[-1][1];
	return ref $l eq 'CODE' ? $l->() : $l;
}

my @UNI = ("\x{e9}", "\x{df}", "\x{4e2d}", "\x{65e5}\x{672c}", "\x{1F600}", "\x{200F}",
	"\x{202E}", "e\x{301}", "\x{FEFF}", "\x{FFFD}", "\x{FFFF}", "\x{10FFFF}",
	"\x{627}\x{644}", "\x{1D11E}", "\x{2028}", "\x{85}", "\x{3000}");

# a random string: printable ASCII with some unicode
sub rstr
{
	my ($maxlen, $uni) = @_;
	$uni //= 0.15;
	my $n = rnd(0, $maxlen);
	return join '', map { chance($uni) ? pick(@UNI) : chr(rnd(0x20, 0x7e)) } 1 .. $n;
}

sub rident { return join '', map { pick('a' .. 'z', 'A' .. 'Z', '_') } 1 .. rnd(1, 12); }

# JSON text builders
sub jstr
{
	my ($s) = @_;
	$s =~ s/(["\\])/\\$1/g;
	$s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
	return qq{"$s"};
}
sub jobj { return '{' . join(', ', map { jstr($_->[0]) . ': ' . $_->[1] } @_) . '}'; }
sub jarr { return '[' . join(', ', @_) . ']'; }

# bytes of a string as UTF-8
sub nbytes { return length(encode_utf8($_[0])); }

# printable, truncated
sub show
{
	my ($s, $max) = @_;
	return 'NULL' unless defined $s;
	$max //= 240;
	my $len = length $s;
	$s = substr($s, 0, int($max * 0.6)) . "\x{2026}[$len chars]\x{2026}" . substr($s, $len - int($max * 0.4)) if $len > $max;
	$s =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02x', ord($1))/ge;
	return $s;
}

# ------------------------------------------------------------------
# The node
# ------------------------------------------------------------------
my $node = cc_node('fuzz',
	init => { extra => [ '--encoding=UTF8', '--locale=C' ] },
	conf => join('', map { "$_\n" }
		  'max_prepared_transactions = 4',
		  'max_connections = 20',
		  'restart_after_crash = on',
		  'log_statement = none',
		  "log_line_prefix = '%m [%p] %b %e '",
		  'log_min_messages = error',
		  'log_min_error_statement = panic',
		  'cascade_cache.audit_max_rows = 300'));

my $dsn = 'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port;
my ($adm, $fz, $fz_pid);

sub connect_db
{
	my ($app) = @_;
	my $dbh = DBI->connect($dsn, undef, undef,
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0 });
	$dbh->do("SET application_name = '$app'");
	$dbh->do('SET client_min_messages = error');
	$dbh->do('SET search_path = public, cascade_cache');
	return $dbh;
}

sub connect_fuzz
{
	$fz = connect_db('fuzz');
	$fz->do("SET statement_timeout = '${timeout}s'");
	$fz->do("SET lock_timeout = '2s'");
	$fz->do('CREATE TEMP TABLE fz_tmp (a int)');
	$fz_pid = $fz->{pg_pid};
}

sub connect_admin
{
	$adm = connect_db('fuzz admin');
	$adm->do("SET statement_timeout = '60s'");
}

# admin helpers (synchronous)
sub aval { my ($sql, @b) = @_; return scalar $adm->selectrow_array($sql, undef, @b); }
sub arow { my ($sql, @b) = @_; return $adm->selectrow_hashref($sql, undef, @b); }

connect_admin();
$adm->do($_) for split /;\n/, <<'EOS';
CREATE SCHEMA fz;
CREATE TABLE fz.tb_item (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, t text);
INSERT INTO fz.tb_item SELECT g, g, 'item ' || g FROM generate_series(1, 200) g;
SELECT cascade_cache.cascade_watch('fz.tb_item');
CREATE TABLE fz.tb_witem (code text PRIMARY KEY, v int);
INSERT INTO fz.tb_witem VALUES ('a', 1), ('é', 2), ('x y', 3);
SELECT cascade_cache.cascade_watch('fz.tb_witem', 'W"eird''Type ü', 'code');
CREATE TABLE fz.tb_part (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE fz.tb_part_1 PARTITION OF fz.tb_part FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE fz.tb_part_2 PARTITION OF fz.tb_part FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO fz.tb_part SELECT g, g FROM generate_series(1, 150) g;
SELECT cascade_cache.cascade_watch('fz.tb_part');
CREATE TABLE fz.tb_plain (id int PRIMARY KEY, v int);
INSERT INTO fz.tb_plain SELECT g, g FROM generate_series(1, 50) g;
CREATE TABLE fz.tb_bulk (id int PRIMARY KEY, v int);
SELECT cascade_cache.cascade_watch('fz.tb_bulk');
CREATE TABLE fz.w_pk (id int PRIMARY KEY, v int);
CREATE TABLE fz.w_nopk (a int, b text);
CREATE TABLE fz.w_compk (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE fz."We ird ""Tab"" ü" (id bigint PRIMARY KEY);
CREATE TABLE fz.w_parent (id int PRIMARY KEY);
CREATE TABLE fz.w_child () INHERITS (fz.w_parent);
CREATE TABLE fz.w_part (id int PRIMARY KEY) PARTITION BY LIST (id);
CREATE TABLE fz.w_part_a PARTITION OF fz.w_part FOR VALUES IN (1);
CREATE VIEW fz.v_item AS SELECT id, jsonb_build_object('__typename', 'Item', 'id', id, 'v', v) AS data FROM fz.tb_item;
CREATE MATERIALIZED VIEW fz.mv AS SELECT 1 AS a;
CREATE SEQUENCE fz.seq;
CREATE TYPE fz.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE fz.pair AS (a int, b text);
CREATE DOMAIN fz.nn_int AS int NOT NULL;
CREATE DOMAIN fz.pos_int AS int CHECK (VALUE > 0);
CREATE DOMAIN fz.nn_text AS text NOT NULL CHECK (VALUE <> '');
CREATE DOMAIN fz.jobj AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
CREATE DOMAIN fz.nn_jsonb AS jsonb NOT NULL;
CREATE DOMAIN fz.short_arr AS int[] CHECK (cardinality(VALUE) <= 3);
CREATE FUNCTION fz.slow_stable(i int) RETURNS int STABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.02); RETURN i; END $$;
CREATE PROCEDURE fz.noop() LANGUAGE sql AS $$ SELECT 1 $$;
ANALYZE
EOS
connect_fuzz();

# ------------------------------------------------------------------
# Failures and outcomes
# ------------------------------------------------------------------
my %failures;    # category => [ records ]
my %outcomes;    # case category => { ok => n, SQLSTATE => n }
my %skipped;     # hazard => n
my %quarantine;  # hazard => reason
my %hangs;       # hazard => n
my %hazard_runs; # hazard => cases run
my %case_time;   # case category => seconds
my $cur = { iter => 'setup', cat => 'setup', hazard => 'setup', step => 0 };
my @restarts;

sub fail_rec
{
	my ($cat, $detail, $r) = @_;
	my $rec = {
		cat => $cat, iter => $cur->{iter}, case => $cur->{cat},
		step => $cur->{step}, detail => $detail,
		state => $r ? $r->{state} : undef, msg => $r ? $r->{msg} : undef,
		elapsed => $r ? $r->{elapsed} : undef,
		sql => $r ? $r->{sql} : undef, binds => $r ? $r->{binds} : undef,
		label => $r ? $r->{label} : undef,
	};
	push @{ $failures{$cat} }, $rec;
	n('FAIL ' . format_rec($rec, 300)) if $verbose;
	return;
}

sub format_rec
{
	my ($f, $max) = @_;
	my $s = "[$f->{cat}] seed=$seed iter=$f->{iter} case=$f->{case} step=$f->{step}: $f->{detail}";
	$s .= sprintf(' (%.2fs)', $f->{elapsed}) if defined $f->{elapsed};
	$s .= " SQLSTATE $f->{state}" if defined $f->{state} && $f->{state} ne '';
	$s .= ': ' . show($f->{msg} =~ s/\s+/ /gr, 200) if defined $f->{msg};
	if (defined $f->{sql})
	{
		$s .= "\n      sql: " . show($f->{sql}, $max);
		my $i = 0;
		for my $b (@{ $f->{binds} // [] })
		{
			$i++;
			$s .= "\n      \$$i = " . (defined $b ? show($b, $max) . ' (' . length($b) . ' chars)' : 'NULL');
		}
	}
	return $s;
}

# ------------------------------------------------------------------
# Running one statement on the fuzz session, with the time bound
# ------------------------------------------------------------------
my $pending_sth;    # the statement of a call that hung, until it is dealt with
my $lost_re = qr/server closed the connection|terminating connection|connection to server was lost|no connection to the server|could not receive data|could not send data|connection pointer is NULL|SSL SYSCALL|EOF detected/i;

sub exec_fuzz
{
	my ($sql, $binds, $cancel_after) = @_;
	my %r = (sql => $sql, binds => $binds, ok => 0);
	my $t0 = time;
	my $sth;
	my @b = map { my $x = $_; utf8::upgrade($x) if defined $x; $x } @$binds;
	my $sent = eval {
		$sth = $fz->prepare($sql, { pg_async => PG_ASYNC });
		$sth->execute(@b);
		1;
	};
	if (!$sent)
	{
		$r{elapsed} = time - $t0;
		$r{state} = $fz->state // '';
		$r{msg} = $fz->errstr // "$@";
		$r{lost} = 1 if $r{msg} =~ $lost_re || $r{state} =~ /^08/;
		return \%r;
	}
	my $fd = $fz->{pg_socket};
	my $deadline = $t0 + $timeout + $grace;
	while (1)
	{
		my $ready = eval { $fz->pg_ready };
		last if !defined $ready || $ready;
		my $now = time;
		my $left = $deadline - $now;
		if ($left <= 0)
		{
			$r{hang} = 1;
			last;
		}
		my $wait = min($left, 0.25);
		if (defined $cancel_after)
		{
			if ($now - $t0 >= $cancel_after)
			{
				# cancel it from the other session, as a client would
				eval { aval('SELECT pg_cancel_backend($1)', $fz_pid) };
				undef $cancel_after;
			}
			else
			{
				$wait = min($wait, $t0 + $cancel_after - $now);
			}
		}
		my $rin = '';
		vec($rin, $fd, 1) = 1;
		select(my $rout = $rin, undef, undef, $wait);
	}
	if ($r{hang})
	{
		$r{elapsed} = time - $t0;
		$r{msg} = sprintf('no result after %.1f s (statement_timeout %ds)', $r{elapsed}, $timeout);
		# keep the statement handle: destroying it would wait for the result
		$pending_sth = $sth;
		return \%r;
	}
	my $ok = eval {
		$sth->pg_result;
		$r{rows} = $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
		1;
	};
	$r{elapsed} = time - $t0;
	if ($ok)
	{
		$r{ok} = 1;
	}
	else
	{
		$r{state} = $fz->state // '';
		$r{msg} = $fz->errstr // "$@";
		$r{lost} = 1 if $r{msg} =~ $lost_re || $r{state} =~ /^(08|57P0[123])/;
	}
	return \%r;
}

# wait up to $secs for the pending async result; true if it arrived
sub wait_ready
{
	my ($secs) = @_;
	my $end = time + $secs;
	while (time < $end)
	{
		my $ready = eval { $fz->pg_ready };
		return 1 if !defined $ready || $ready;
		usleep(20_000);
	}
	return 0;
}

# ------------------------------------------------------------------
# Crash detection, restarts
# ------------------------------------------------------------------
my $log_offset = -s $node->logfile;
my $start_time;
my $bytes_baseline;

sub scan_log
{
	my $file = $node->logfile;
	my $size = -s $file;
	return if !defined $size || $size <= $log_offset;
	open my $fh, '<:raw', $file or return;
	seek $fh, $log_offset, 0;
	my $text = '';
	read $fh, $text, $size - $log_offset;
	close $fh;
	$log_offset = $size;
	for my $line (split /\n/, $text)
	{
		if ($line =~ /TRAP:|terminated by signal|was terminated by exception|PANIC:|all server processes terminated|terminating any other active server processes|server process \(PID \d+\) exited with exit code|exited with exit code [2-9]|was terminated by/)
		{
			fail_rec('crash', 'server log: ' . show($line, 300));
		}
		elsif ($line =~ /^\S+ \S+ \S+ \[\d+\] (.*?) (XX\d\d\d) (ERROR|FATAL|PANIC):/ && $1 ne 'client backend')
		{
			fail_rec('internal_error', "server log ($1): " . show($line, 300));
		}
	}
	return;
}

sub set_baselines
{
	$start_time = aval('SELECT pg_postmaster_start_time()');
	$log_offset = -s $node->logfile;
	return;
}

sub wait_for_server
{
	for (1 .. 120)
	{
		my $ok = eval { connect_admin(); aval('SELECT 1') };
		return 1 if $ok;
		usleep(500_000);
	}
	return 0;
}

# The fuzz session's connection was lost: crash?  Reconnect.
sub recover_lost
{
	my ($r) = @_;
	eval { $fz->{InactiveDestroy} = 1; };
	undef $fz;
	my $admin_ok = eval { aval('SELECT 1') };
	if (!$admin_ok)
	{
		# every session is gone: the server crashed (or restarted)
		usleep(500_000);
		if (!wait_for_server())
		{
			fail_rec('crash', 'the server did not come back after a lost connection', $r);
			return 0;
		}
		scan_log();
		connect_fuzz();
		populate(0);
		return 1;
	}
	scan_log();
	connect_fuzz();
	return 1;
}

# A call did not return within the bound: cancel, terminate, or restart.
sub recover_hang
{
	my ($r) = @_;
	fail_rec('hang', sprintf('no result within %ds + %ds grace (statement_timeout did not end it)%s', $timeout, $grace,
			$cur->{why} ? "; the input has $cur->{why}" : ''), $r);
	$hangs{ $cur->{hazard} }++;
	eval { aval('SELECT pg_cancel_backend($1)', $fz_pid) };
	if (wait_ready(2))
	{
		eval { $pending_sth->pg_result };
		undef $pending_sth;
		$r->{recovered} = 'pg_cancel_backend';
		n("iteration $cur->{iter}: the call ended after pg_cancel_backend");
		$quarantine{ $cur->{hazard} } //= 'hung twice' if $hangs{ $cur->{hazard} } >= 2;
		return 1;
	}
	my $terminated = eval { aval('SELECT pg_terminate_backend($1, 5000)', $fz_pid) };
	if ($terminated)
	{
		$r->{recovered} = 'pg_terminate_backend';
		n("iteration $cur->{iter}: backend $fz_pid terminated after the hang");
		wait_ready(5);
		undef $pending_sth;
		eval { $fz->{InactiveDestroy} = 1; };
		undef $fz;
		connect_fuzz();
		$quarantine{ $cur->{hazard} } //= 'hung twice' if $hangs{ $cur->{hazard} } >= 2;
		return 1;
	}

	# the backend ignores cancel and terminate: stop the node
	fail_rec('unkillable', "backend $fz_pid ignored pg_cancel_backend and pg_terminate_backend(pid, 5000); node stopped in immediate mode", $r);
	scan_log();
	$node->stop('immediate');
	wait_ready(5);
	undef $pending_sth;
	eval { $fz->{InactiveDestroy} = 1; };
	undef $fz;
	undef $adm;
	push @restarts, $cur->{iter};
	$quarantine{ $cur->{hazard} } = "unkillable backend at iteration $cur->{iter}";
	n("iteration $cur->{iter}: unkillable backend; node restarted, hazard '$cur->{hazard}' skipped from now on");
	$node->start;
	connect_admin();
	set_baselines();
	connect_fuzz();
	populate(0);
	return 1;
}

# ------------------------------------------------------------------
# Steps: run one statement, apply the checks every call must pass
# ------------------------------------------------------------------
# %a: sql, binds, label, cancel_after (seconds: cancel it then; 57014 is
# then expected).  Dies with "ABORT_CASE\n" when the call hung or the
# session was lost.
sub step
{
	my (%a) = @_;
	$cur->{step}++;
	$a{allow_timeout} = 1 if defined $a{cancel_after};
	my $r = exec_fuzz($a{sql}, $a{binds} // [], $a{cancel_after});
	$r->{label} = $a{label};
	my $oc = $outcomes{ $cur->{cat} } //= {};
	if ($r->{hang})
	{
		$oc->{hang}++;
		recover_hang($r);
		die "ABORT_CASE\n";
	}
	if ($r->{lost})
	{
		$oc->{lost}++;
		fail_rec('lost_connection', 'the connection was lost', $r);
		recover_lost($r);
		die "ABORT_CASE\n";
	}
	if ($r->{ok})
	{
		$oc->{ok}++;
	}
	else
	{
		$oc->{ $r->{state} || 'none' }++;
		if (!defined $r->{state} || $r->{state} !~ /^[0-9A-Z]{5}$/)
		{
			fail_rec('no_sqlstate', 'an error without a SQLSTATE', $r);
		}
		elsif ($r->{state} =~ /^XX/)
		{
			fail_rec('internal_error', 'internal error', $r);
		}
		elsif ($r->{state} eq '57014' && !$a{allow_timeout})
		{
			fail_rec('timeout', "cancelled by statement_timeout (${timeout}s)", $r);
			$quarantine{ $cur->{hazard} } //= 'three calls over the time bound' if ++$hangs{ $cur->{hazard} } >= 3;
		}
	}
	if ($r->{ok} && $r->{elapsed} > $timeout + 0.5 && !$a{allow_timeout})
	{
		fail_rec('timeout', sprintf('returned after %.1f s, over the %ds bound', $r->{elapsed}, $timeout), $r);
	}
	return $r;
}

sub val { my ($r) = @_; return $r->{ok} && $r->{rows} && @{ $r->{rows} } ? $r->{rows}[0][0] : undef; }

# ------------------------------------------------------------------
# The named entries and entity entries the fuzz works against
# ------------------------------------------------------------------
my @NAMES = (
	'a' x 1000, 'a' x 1024, ('a' x 999) . 'b', ('a' x 1023) . '*', 'ab' x 512,
	'A' x 1000, ('a' x 500) . ('b' x 500), 'listItems', 'listItemsByOwner', 'getItem',
	'searchItems', 'list', '', ' ', "\x{1F600}" x 256, "\x{e9}" x 512,
	"\x{540d}\x{524d}" x 100, '*', '?', '\\' x 10, 'x*y?z\\w', "tab\tname",
	"new\nline", 'a%b_c', 'DROP TABLE x;--', "ctl\x01\x02\x1f\x7f", "e\x{301}" x 200,
	'listUsers', 'listUsersByCompany');

sub populate
{
	my ($few) = @_;
	my @names = $few ? (grep { chance(0.3) } @NAMES) : @NAMES;
	for my $name (@names)
	{
		for my $k (1, 2)
		{
			step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
				binds => [ 'SELECT $1::int AS n', "[$k]", $name ], label => 'populate');
		}
	}
	my @ids = $few ? (map { rnd(1, 60) } 1 .. 8) : (1 .. 30);
	for my $id (@ids)
	{
		step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
			binds => [ 'SELECT data FROM fz.v_item WHERE id = $1', "[$id]", 'getItem' ],
			label => 'populate');
		step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb) AS r',
			binds => [ 'SELECT code, v FROM fz.tb_witem WHERE v = $1', "[$id]" ],
			label => 'populate');
	}
	step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
		binds => [ 'SELECT data FROM fz.v_item ORDER BY id LIMIT 40', '[]', 'listItems' ],
		label => 'populate');
	step(sql => 'SELECT cascade_cache.cached_query($1) AS r',
		binds => [ 'SELECT id, v FROM fz.tb_part WHERE id BETWEEN 90 AND 110 ORDER BY id' ],
		label => 'populate');
	return;
}

# ------------------------------------------------------------------
# Generators: GraphQL cascades
# ------------------------------------------------------------------
my @ADVERSARIAL = (
	'*a*a*a*a*a*a*a*a*a*b',
	'*a' x 12 . '*b',
	'*a' x 20 . '*c',
	'*?' x 15 . 'b',
	'*' x 200 . 'b',
	'?' x 1001, '?' x 1024, '?' x 1025,
	'a*' x 30 . 'b',
	'*aaa' x 10 . '*b',
	'\\' x 50,
	'a' x 999 . '\\*',
	'*\\*\\*\\*\\*\\*\\*b',
	'*a*a*a*a*a*a*a*a*a*',
	'*ab' x 8 . '*c',
	'*A*A*A*A*A*A*A*A*A*B',
	"*\x{e9}" x 8 . '*x',
	('*' . 'a' x 100) x 9 . '*b',
);

# collapse escapes and runs of '*': how many separate stars?  Two or more
# make a backtracking matcher superlinear (the 'glob' hazard).
sub glob_stars
{
	my ($p) = @_;
	$p =~ s/\\.//gs;
	$p =~ s/\*+/*/g;
	return ($p =~ tr/*//);
}

# Cascades are generated in one of three modes: 'valid' (every part well
# formed, so the parser reaches the invalidations), 'nearly' (valid, each
# part wrong with a small probability) and 'wild' (anything goes).
our $MODE = 'wild';
my %BAD_SHARE = (valid => 0, nearly => 0.04);

# choose(valid generator, invalid generator, share of invalid in wild mode)
sub choose
{
	my ($valid, $invalid, $wild) = @_;
	my $bad = $MODE eq 'wild' ? chance($wild) : chance($BAD_SHARE{$MODE});
	return $bad ? $invalid->() : $valid->();
}

sub gen_typename_json
{
	return choose(
		sub {
			wpick([ 45, '"Item"' ], [ 5, '"User"' ], [ 5, '"Post"' ], [ 3, sub { jstr('W"eird\'Type ü') } ],
				[ 8, sub { jstr(rident()) } ], [ 4, sub { jstr('x' . rstr(20, 0.5)) } ],
				[ 2, sub { jstr('T' x rnd(100, 5000)) } ], [ 2, '"Item:1"' ]);
		},
		sub {
			wpick([ 3, '""' ], [ 1, '"\\u0000"' ], [ 1, '"\\ud800"' ], [ 3, 'null' ],
				[ 3, sub { pick('5', '0', '-1.5', 'true') } ],
				[ 2, sub { pick('[]', '{}', '["Item"]', '{"name": "Item"}') } ]);
		}, 0.15);
}

sub gen_id_json
{
	return choose(
		sub {
			wpick([ 40, sub { rnd(1, 60) } ], [ 15, sub { '"' . rnd(1, 60) . '"' } ],
				[ 4, sub { pick('1.0', '7.00', '1.50', '3e0') } ], [ 2, '-0' ], [ 2, sub { pick('1e2', '1E+2', '100.0e-0') } ],
				[ 3, sub { pick('123456789012345678901234567890', '-9223372036854775809', '18446744073709551616') } ],
				[ 1, '1e308' ], [ 1, '1e1000' ], [ 1, '1e-5' ], [ 2, '""' ], [ 3, sub { jstr(rstr(30, 0.6)) } ],
				[ 2, sub { jstr('9' x rnd(1000, 100000)) } ]);
		},
		sub {
			wpick([ 3, 'null' ], [ 2, sub { pick('true', 'false') } ], [ 2, sub { pick('{}', '[]', '[1]', '{"id": 1}') } ],
				[ 1, '1e100000' ], [ 1, '"\\ud83d"' ]);
		}, 0.12);
}

# any JSON value, for entities, metadata, arguments, wrong types
sub gen_any_json
{
	my ($depth) = @_;
	return wpick(
		[ 10, 'null' ], [ 10, sub { rnd(-5, 1000) } ], [ 3, sub { pick('true', 'false') } ],
		[ 3, sub { pick('1.5e300', '-0.0', '1e-300') } ],
		[ 15, sub { jstr(rstr(20)) } ],
		[ $depth > 0 ? 8 : 0, sub { jarr(map { gen_any_json($depth - 1) } 1 .. rnd(0, 4)) } ],
		[ $depth > 0 ? 8 : 0, sub { jobj(map { [ rstr(8, 0.2), gen_any_json($depth - 1) ] } 1 .. rnd(0, 4)) } ]);
}

sub gen_entity_json
{
	my ($list) = @_;
	my @pairs;
	my $bad = choose(sub { 0 }, sub { 1 }, 0.1);
	return gen_any_json(1) if $bad && chance(0.3);
	push @pairs, [ '__typename', gen_typename_json() ] if !$bad || chance(0.7);
	push @pairs, [ 'id', gen_id_json() ] if !$bad || chance(0.7);
	if ($list eq 'updated' && chance(0.5))
	{
		push @pairs, [ 'operation', choose(sub { pick('"CREATED"', '"UPDATED"', '"DELETED"', '"created"', '"Updated"') },
				sub { pick('"MERGED"', '""', '5', 'null', 'true') }, 0.1) ];
	}
	push @pairs, [ 'entity', gen_any_json(3) ] if chance(0.2);
	push @pairs, [ 'deletedAt', '"2024-01-01T00:00:00Z"' ] if $list eq 'deleted' && chance(0.3);
	push @pairs, [ pick('__typename', 'id'), gen_any_json(1) ] if $bad && chance(0.2);    # duplicate key
	@pairs = shuffle(@pairs) if chance(0.3);
	return jobj(@pairs);
}

sub list_size
{
	my ($list) = @_;
	my ($lim) = $list eq 'updated' ? 500 : 100;
	return choose(
		sub { wpick([ 60, sub { rnd(0, 3) } ], [ 25, sub { rnd(4, 20) } ], [ 5, $lim - 1 ], [ 5, $lim ], [ 5, 0 ]) },
		sub { wpick([ 5, $lim + 1 ], [ 2, sub { rnd(2 * $lim, 6 * $lim) } ]) }, 0.1);
}

sub gen_list_json
{
	my ($list) = @_;
	return choose(
		sub { chance(0.96) ? jarr(map { gen_entity_json($list) } 1 .. list_size($list)) : pick('null', '[]') },
		sub { wpick([ 2, sub { gen_entity_json($list) } ], [ 2, sub { jstr('Item:1') } ], [ 1, '5' ], [ 1, '{}' ]) }, 0.06);
}

# a pattern: (json, raw string or undef)
sub gen_pattern
{
	my $raw = choose(
		sub {
			wpick(
				[ 20, sub { pick(@ADVERSARIAL) } ],
				[ 25, sub {
					my @c = split //, pick(@NAMES);
					for (1 .. rnd(1, 3))
					{
						last unless @c;
						$c[ rnd(0, $#c) ] = pick('*', '?', '\\');
					}
					join '', @c;
				} ],
				[ 25, sub { join '', map { pick('a', 'a', 'b', '*', '?', '\\', "\x{e9}", 'A') } 1 .. rnd(0, 40) } ],
				[ 8, sub { pick('*', '?', '', '**', '*?', '\\') } ],
				[ 8, sub { pick('list*', 'get?tem', '*Items*', 'a*', '*b') } ],
				[ 4, sub { 'a' x rnd(900, 1100) } ]);
		},
		sub { undef }, 0.05);
	return defined $raw ? (jstr($raw), $raw) : (pick('null', '5', '[]', '{}', 'true'), undef);
}

sub gen_name_json
{
	my $raw = choose(
		sub {
			wpick([ 40, sub { pick(@NAMES) } ], [ 15, sub { my $n = pick(@NAMES); substr($n, 0, rnd(0, length $n)) } ],
				[ 15, sub { rident() } ], [ 10, sub { rstr(30, 0.3) } ], [ 5, sub { 'a' x rnd(1020, 1030) } ]);
		},
		sub { undef }, 0.05);
	return defined $raw ? (jstr($raw), $raw) : (pick('null', '5', '[]', '{}', 'false'), undef);
}

sub gen_invalidation_json
{
	my ($ctx) = @_;
	return gen_any_json(1) if choose(sub { 0 }, sub { 1 }, 0.05);
	my @pairs;
	my $scope = choose(
		sub { wpick([ 28, '"EXACT"' ], [ 24, '"PREFIX"' ], [ 30, '"PATTERN"' ], [ 2, '"ALL"' ], [ 3, '"exact"' ], [ 3, '"prefix"' ], [ 3, '"Pattern"' ], [ 7, undef ]) },
		sub { pick('"GLOB"', '""', '5', 'null', '"EXACTLY"') }, 0.05);
	push @pairs, [ 'scope', $scope ] if defined $scope;
	my $is_pattern = defined $scope && $scope =~ /^"pattern"$/i;
	my $snake = chance(0.15);
	my ($name_raw, $pattern_raw);
	if ($is_pattern ? chance(0.3) : choose(sub { 1 }, sub { 0 }, 0.1))
	{
		my ($json, $raw) = gen_name_json();
		push @pairs, [ $snake ? 'query_name' : 'queryName', $json ];
		$name_raw = $raw;
	}
	if ($is_pattern ? choose(sub { 1 }, sub { 0 }, 0.1) : chance(0.08))
	{
		my ($json, $raw) = gen_pattern();
		push @pairs, [ $snake ? 'query_pattern' : 'queryPattern', $json ];
		$pattern_raw = $raw;
	}
	if ($is_pattern && !defined $pattern_raw && !defined $name_raw && $MODE eq 'valid')
	{
		my ($json, $raw) = gen_pattern();
		push @pairs, [ 'queryPattern', $json ];
		$pattern_raw = $raw;
	}
	if (chance(0.5))
	{
		push @pairs, [ 'strategy', choose(sub { pick('"INVALIDATE"', '"REFETCH"', '"REMOVE"', '"refetch"') },
				sub { pick('"IGNORE"', 'null', '1') }, 0.1) ];
	}
	if (chance(0.25))
	{
		push @pairs, [ 'arguments', choose(
				sub { wpick([ 5, sub { jarr(map { gen_id_json() } 1 .. rnd(0, 3)) } ], [ 3, sub { jobj([ 'id', gen_id_json() ]) } ], [ 1, 'null' ]) },
				sub { pick('"x"', '5', 'true') }, 0.1) ];
	}
	@pairs = shuffle(@pairs) if chance(0.2);
	if ($is_pattern)
	{
		my $eff = defined $pattern_raw ? $pattern_raw : $name_raw;
		if (defined $eff && glob_stars($eff) >= 2)
		{
			$ctx->{hazard} = 'glob';
			$ctx->{why} //= 'PATTERN ' . show($eff, 60);
		}
	}
	return jobj(@pairs);
}

# the cascade object itself
sub gen_cascade_object
{
	my ($ctx) = @_;
	my @pairs;
	push @pairs, [ 'updated', gen_list_json('updated') ] if chance(0.6);
	push @pairs, [ 'deleted', gen_list_json('deleted') ] if chance(0.35);
	push @pairs, [ 'invalidations', choose(
			sub { jarr(map { gen_invalidation_json($ctx) } 1 .. wpick([ 80, sub { rnd(0, 3) } ], [ 15, sub { rnd(4, 30) } ], [ 5, sub { rnd(100, 1000) } ])) },
			sub { wpick([ 3, sub { gen_invalidation_json($ctx) } ], [ 3, '"listItems"' ], [ 1, '5' ]) }, 0.05) ]
	  if chance(0.55);
	if (chance(0.3))
	{
		push @pairs, [ 'metadata', choose(
				sub { chance(0.8)
					  ? jobj([ pick('transactionId', 'transaction_id'), wpick(
								[ 5, sub { jstr('mutation-' . rnd(1, 1e6)) } ], [ 2, sub { rnd(1, 1e9) } ], [ 1, 'null' ],
								[ 1, sub { jstr(rstr(40, 0.5)) } ], [ 1, sub { jstr('m' x rnd(10000, 200000)) } ]) ])
					  : pick('null', '{}') },
				sub { pick('"tx"', '[]', '5', '{"transactionId": {}}', '{"transactionId": [1]}') }, 0.1) ];
	}
	push @pairs, [ rstr(10, 0.2), gen_any_json(2) ] if chance(0.1);
	@pairs = shuffle(@pairs) if chance(0.3);
	return jobj(@pairs);
}

sub deep_json
{
	my ($n) = @_;
	return chance(0.5) ? ('[' x $n) . (']' x $n) : ('{"a": ' x $n) . '1' . ('}' x $n);
}

# a payload of about $bytes bytes, valid but for its size
sub sized_cascade
{
	my ($bytes) = @_;
	my $head = '{"updated": [{"__typename": "Item", "id": 1}], "metadata": {"transactionId": "size", "pad": "';
	my $tail = '"}}';
	return $head . ('x' x max(0, $bytes - length($head) - length($tail))) . $tail;
}

# a cascade payload: (json text, ctx)
sub gen_cascade_json
{
	my $ctx = {};
	local $MODE = wpick([ 45, 'valid' ], [ 30, 'nearly' ], [ 25, 'wild' ]);
	$ctx->{mode} = $MODE;
	my $wrapped = sub {
		wpick(
			[ 80, sub { gen_cascade_object($ctx) } ],
			[ 8, sub { jobj([ pick('cascade', '_cascade'), gen_cascade_object($ctx) ], [ 'status', '"success"' ], [ 'object_data', gen_any_json(1) ]) } ],
			[ 7, sub { jobj([ 'data', jobj([ rident(), jobj([ 'item', gen_any_json(1) ], [ 'cascade', gen_cascade_object($ctx) ]) ]) ]) } ],
			[ 3, sub { jobj([ 'data', jobj([ 'x', '5' ], [ 'y', jobj([ '_cascade', gen_cascade_object($ctx) ]) ]) ]) } ],
			[ 2, sub { pick('{}', '{"cascade": null}', '{"updated": [], "deleted": [], "invalidations": []}') } ]);
	};
	return ($wrapped->(), $ctx) unless $MODE eq 'wild';
	my $json = wpick(
		[ 75, $wrapped ],
		[ 4, sub { pick('{"cascade": [1]}', '{"foo": 1}', '{"data": []}', '{"data": {"m": {"cascade": 5}}}', '{"cascade": "x"}') } ],
		[ 4, sub { pick('[]', '"str"', '5', 'null', 'true', jarr(map { gen_cascade_object($ctx) } 1 .. rnd(1, 3))) } ],
		[ 3, sub { my $d = pick(100, 1000, 5000, 100000); chance(0.5) ? deep_json($d) : jobj([ 'updated', '[]' ], [ 'metadata', jobj([ 'x', deep_json($d) ]) ]) } ],
		[ 6, sub {
			my $v = gen_cascade_object($ctx);
			pick(substr($v, 0, rnd(0, length($v) - 1)), '{"updated": [}', "{'a': 1}", '{"a": NaN}', '{"a": 01}', '', ' ',
				'nul', '{"a": "\\x"}', '{"a": "\\u00"}', '{"a": "\\ud800"}', '{"a": "\\u0000"}', '{"a": 1} garbage',
				'[1,]', '{"a" 1}', "\x{FEFF}{}", '{"updated": [{"__typename": "Item", "id": 1e}]}');
		} ],
		[ 2, sub { sized_cascade(pick(1024 * 1024, 5 * 1024 * 1024 - 2000, 5 * 1024 * 1024 + 2000)) } ],
		[ 2, sub { jobj([ 'updated', jarr(map { jobj([ '__typename', '"Item"' ], [ 'id', jstr(rstr(50, 0.3)) ], [ 'entity', jstr('e' x 10000) ]) } 1 .. rnd(100, 500)) ]) } ]);
	return ($json, $ctx);
}

# a step that calls cascade_invalidate with a generated payload
sub gen_cascade_step
{
	my ($hz, $why) = @_;
	my ($json, $ctx) = gen_cascade_json();
	$$hz = $ctx->{hazard} if $ctx->{hazard};
	$$why //= $ctx->{why} if $why;
	my $form = wpick([ 78, 'plain' ], [ 4, 'null' ], [ 10, 'multi' ], [ 8, 'wrapped' ]);
	if ($form eq 'multi')
	{
		my @c = ($json);
		for (1 .. rnd(1, 5))
		{
			my ($j, $c) = gen_cascade_json();
			$$hz = $c->{hazard} if $c->{hazard};
			$$why //= $c->{why} if $why;
			push @c, $j;
		}
		return { sql => 'SELECT count(cascade_cache.cascade_invalidate(x)) AS r FROM jsonb_array_elements($1::jsonb) x',
			binds => [ jarr(@c) ], label => 'cascade (several calls)', check => 'count' };
	}
	if ($form eq 'null')
	{
		return { sql => 'SELECT cascade_cache.cascade_invalidate(NULL::jsonb) AS r', binds => [], label => 'cascade NULL', check => 'null' };
	}
	if ($form eq 'wrapped')
	{
		return { sql => q{SELECT cascade_cache.cascade_invalidate(to_jsonb(r)) AS r FROM (SELECT 'success'::text AS status, 'ok'::text AS message, $1::jsonb AS cascade) r},
			binds => [ $json ], label => 'cascade (mutation_response)', check => 'count' };
	}
	return { sql => 'SELECT cascade_cache.cascade_invalidate($1::jsonb) AS r', binds => [ $json ], label => 'cascade', check => 'count' };
}

sub check_cascade_result
{
	my ($s, $r) = @_;
	return unless $r->{ok};
	my $v = val($r);
	if ($s->{check} eq 'null')
	{
		fail_rec('cascade_bad_return', 'cascade_invalidate(NULL) returned ' . show($v), $r) if defined $v;
	}
	elsif (!defined $v || $v !~ /^\d+$/)
	{
		fail_rec('cascade_bad_return', 'cascade_invalidate returned ' . show($v) . ', not a count', $r);
	}
	return;
}

# ------------------------------------------------------------------
# Generators: cached_query parameters, names, ttls, statements
# ------------------------------------------------------------------
# [query, number of parameters (undef: never valid), validator]
my @TYPED = (
	[ 'SELECT $1::int AS v', 1 ], [ 'SELECT $1::bigint AS v', 1 ], [ 'SELECT $1::numeric AS v', 1 ],
	[ 'SELECT $1::numeric(5,2) AS v', 1 ], [ 'SELECT $1::float8 AS v', 1 ], [ 'SELECT $1::text AS v', 1 ],
	[ 'SELECT $1::varchar(3) AS v', 1 ], [ 'SELECT $1::bool AS v', 1 ], [ 'SELECT $1::date AS v', 1 ],
	[ 'SELECT $1::timestamptz AS v', 1 ], [ 'SELECT $1::interval AS v', 1 ], [ 'SELECT $1::uuid AS v', 1 ],
	[ 'SELECT $1::inet AS v', 1 ], [ 'SELECT $1::bytea AS v', 1 ], [ 'SELECT $1::int4range AS v', 1 ],
	[ 'SELECT $1::int[] AS v', 1 ], [ 'SELECT $1::text[] AS v', 1 ], [ 'SELECT $1::numeric[] AS v', 1 ],
	[ 'SELECT $1::jsonb AS v', 1 ], [ 'SELECT $1::json AS v', 1 ], [ 'SELECT $1::jsonb[] AS v', 1 ],
	[ 'SELECT $1::fz.mood AS v', 1 ], [ 'SELECT $1::fz.mood[] AS v', 1 ], [ 'SELECT $1::fz.pair AS v', 1 ],
	[ 'SELECT $1::fz.nn_int AS v', 1, 'nn_int' ], [ 'SELECT $1::fz.pos_int AS v', 1, 'pos_int' ],
	[ 'SELECT $1::fz.nn_text AS v', 1, 'nn_text' ], [ 'SELECT $1::fz.jobj AS v', 1, 'jobj' ],
	[ 'SELECT $1::fz.nn_jsonb AS v', 1, 'nn_jsonb' ], [ 'SELECT $1::fz.short_arr AS v', 1, 'short_arr' ],
	[ 'SELECT $1::fz.nn_int[] AS v', 1, 'nn_int_arr' ], [ 'SELECT $1::fz.pos_int[] AS v', 1, 'pos_int_arr' ],
	[ 'SELECT id, v FROM fz.tb_item WHERE id = $1', 1 ],
	[ 'SELECT count(*) AS v FROM fz.tb_item WHERE id = ANY($1)', 1 ],
	[ 'SELECT data FROM fz.v_item WHERE id = $1', 1 ],
	[ 'SELECT $1::int + $2::int AS v', 2 ], [ 'SELECT $1::text || $2::text || $3::text AS v', 3 ],
	[ 'SELECT $1 AS v', 1 ], [ 'SELECT $2::int AS v', undef ], [ 'SELECT 1 AS v', 0 ],
	[ 'SELECT $1::int AS a, $1::text AS b', 1 ], [ 'SELECT ($1::jsonb) -> 0 AS v', 1 ],
	[ 'SELECT $1::regclass::text AS v', 1 ], [ 'SELECT $1::money AS v', 1 ],
	[ 'SELECT $1::tsvector AS v', 1 ], [ 'SELECT $1::bit(3) AS v', 1 ], [ 'SELECT $1::char(2) AS v', 1 ],
	[ 'SELECT $1::oid AS v', 1 ], [ 'SELECT $1::pg_lsn AS v', 1 ], [ 'SELECT $1::xml AS v', 1 ],
);

# A successful result must be a valid value of the declared type: re-check
# it with a cast that applies the domain's constraints.
my $V = q{(($1::jsonb) -> 0 -> 'v')};
my $VNULL = qq{(CASE WHEN jsonb_typeof($V) = 'null' THEN NULL ELSE $V END)};
my $VARR = qq{jsonb_array_elements_text(CASE WHEN jsonb_typeof($V) = 'array' THEN $V END)};
my %VALIDATOR = (
	nn_int => qq{SELECT (($V) #>> '{}')::fz.nn_int},
	pos_int => qq{SELECT (($V) #>> '{}')::fz.pos_int},
	nn_text => qq{SELECT (($V) #>> '{}')::fz.nn_text},
	jobj => qq{SELECT ($VNULL)::fz.jobj},
	nn_jsonb => qq{SELECT ($VNULL)::fz.nn_jsonb},
	short_arr => qq{SELECT (SELECT array_agg(x::int) FROM $VARR x)::fz.short_arr},
	nn_int_arr => qq{SELECT (SELECT array_agg(x::fz.nn_int) FROM $VARR x)},
	pos_int_arr => qq{SELECT (SELECT array_agg(x::fz.pos_int) FROM $VARR x)},
);

my @PSTRINGS = ('42', ' 42 ', '4_2', '0x1F', '1e3', "\x{661}\x{662}", '', ' ', 'abc', 't', 'yes', 'on',
	'maybe', '2024-02-30', '2024-02-29', 'infinity', '-infinity', 'epoch', 'NaN', 'Infinity',
	'00000000-0000-0000-0000-000000000000', 'not-a-uuid', '{1,2,3}', '{1,NULL}', '{{1,2},{3,4}}',
	'[1,2)', '(1,x)', '(,)', 'sad', 'happy', 'SAD', '192.168.0.1/33', '::1', '\\x00ff', '\\xZZ',
	'1 day', '1000000000 years', 'P1Y', '$1', "'; DROP TABLE fz.tb_item; --", 'NULL', 'null',
	'{"a":1}', '[1]', "\x{1F600}", "e\x{301}", "\x{202E}abc", '<a>x</a>', '<a>', '0/0',
	'FFFFFFFF/FFFFFFFF', '101', '2', '12.345', '$1.00', 'fz.tb_item', 'pg_class', 'nonexistent_rel',
	'-1', '0', '2147483648', '-0', '1.5');

sub gen_param_value_json
{
	my ($depth) = @_;
	return wpick(
		[ 12, 'null' ],
		[ 15, sub { pick(0, 1, -1, 42, 2147483647, 2147483648, -2147483648, -2147483649,
					'9223372036854775807', '9223372036854775808', rnd(-1000, 1000), rnd(1, 60)) } ],
		[ 6, sub { pick('1.5', '-0', '0.0', '1e10', '1E-7', '1e400', '-1e400', '123456789012345678901234567890.123456789', '0.1', '1e-400') } ],
		[ 3, sub { '9' x rnd(20, 1000) } ],
		[ 3, sub { pick('true', 'false') } ],
		[ 25, sub { jstr(pick(@PSTRINGS)) } ],
		[ 6, sub { jstr(rstr(30)) } ],
		[ $depth > 0 ? 10 : 0, sub { jarr(map { gen_param_value_json(0) } 1 .. rnd(0, 5)) } ],
		[ $depth > 0 ? 8 : 0, sub { jarr(map { chance(0.15) ? 'null' : rnd(-3, 99) } 1 .. rnd(0, 6)) } ],
		[ $depth > 0 ? 2 : 0, sub { jarr(map { gen_param_value_json(1) } 1 .. rnd(1, 3)) } ],
		[ $depth > 0 ? 0.5 : 0, sub { jarr(map { rnd(1, 100) } 1 .. 10000) } ],
		[ 5, sub { pick('{}', '{"a": 1}', '{"v": [1]}', '{"id": "3"}') } ],
		[ 2, sub { jstr('s' x rnd(1000, 100000)) } ],
		[ 0.2, sub { jstr('h' x (2 * 1024 * 1024)) } ]);
}

# params: (json text or undef for SQL NULL, is a JSON array, element count)
sub gen_params
{
	my ($n) = @_;
	return wpick(
		[ 3, sub { (undef, 1, 0) } ],
		[ 10, sub { (pick('{}', '{"0": 1}', '5', '"[1]"', 'null', 'true', '"x"', '{"a": [1, 2]}'), 0, 0) } ],
		[ 87, sub {
			my $k = wpick([ 75, $n // 1 ], [ 8, sub { max(0, ($n // 1) - 1) } ], [ 8, sub { ($n // 1) + 1 } ], [ 5, 0 ], [ 2, 50 ], [ 2, 1000 ]);
			(jarr(map { gen_param_value_json(1) } 1 .. $k), 1, $k);
		} ]);
}

sub gen_qname
{
	return wpick(
		[ 20, sub { pick(@NAMES) } ], [ 10, '' ], [ 5, ' ' ], [ 10, sub { rident() } ],
		[ 15, sub { rstr(60, 0.3) } ],
		[ 5, sub { 'n' x 1024 } ], [ 5, sub { 'n' x 1025 } ],
		[ 5, sub { "\x{e9}" x 512 } ], [ 3, sub { "\x{e9}" x 513 } ],
		[ 3, sub { ('n' x 1023) . "\x{e9}" } ], [ 3, sub { ('n' x 1022) . "\x{e9}" } ],
		[ 3, sub { "\x{1F600}" x 256 } ], [ 2, sub { "\x{1F600}" x 257 } ],
		[ 3, sub { 'm' x rnd(1025, 5000) } ], [ 1, sub { 'l' x 100000 } ],
		[ 5, sub { join '', map { chr(rnd(1, 0x7f)) } 1 .. rnd(1, 40) } ],
		[ 3, sub { pick('*', '?', '\\', '*?\\', 'a*b', "x\\", '%', '_', "'", '"') } ],
		[ 3, sub { "\x{FEFF}" . rident() } ], [ 2, sub { "\x{10FFFF}" x rnd(1, 10) } ],
		[ 3, sub { join '', map { pick(@UNI) } 1 .. rnd(1, 30) } ],
		[ 2, sub { "SELECT 1; --" } ], [ 2, sub { "name\nwith\nnewlines" } ]);
}

sub gen_ttl
{
	return wpick(
		[ 8, sub { pick('0', '00:00:00', '1 microsecond', '1 second', '59 seconds', '1 minute', '1 hour', '1 day', '1 mon', '1 year') } ],
		[ 10, sub { pick('100 years', '10000 years', '290000 years', '292000 years', '296533 years', '296534 years', '300000 years',
					'1000000 years', '178000000 years', '178956970 years', '178956971 years', '1000000000 years') } ],
		[ 8, sub { pick('2147483647 days', '-2147483648 days', '2147483647 hours', '106751991 days', '106751992 days',
					'2562047788 hours', '9223372036 seconds', '9223372036854 seconds', '2147483647 mons', '2147483647 mons 2147483647 days') } ],
		[ 6, sub { pick('-1 second', '-1 day', '1 mon -30 days', '1 mon -31 days', '-1 mon 31 days', '1 day -86400 seconds',
					'1 day -86401 seconds', '@ 1 hour ago', '-178956970 years', '1 year -365 days', '-1 microsecond') } ],
		[ 4, sub { pick('infinity', '-infinity', 'P1Y2M3DT4H5M6S', 'PT0.000001S', '1.5 years', 'garbage', '', 'P-1D', '1e10 days') } ],
		[ 10, sub {
			join ' ', map { (chance(0.3) ? '-' : '') . rnd(0, pick(10, 1000, 100000, 2147483647)) . ' ' . pick('years', 'mons', 'days', 'hours', 'minutes', 'seconds') } 1 .. rnd(1, 4);
		} ]);
}

# [statement, class]: ok (must succeed in autocommit), any, reject (must fail),
# temp (reads the session's temp table: autocommit only)
my @STATEMENTS = (
	[ 'SELECT 1', 'ok' ], [ 'VALUES (1), (2)', 'ok' ], [ 'TABLE fz.tb_plain', 'ok' ],
	[ 'WITH x AS (SELECT 1 AS a) SELECT * FROM x', 'ok' ],
	[ 'SELECT * FROM fz.tb_item WHERE id < 5 FOR UPDATE', 'ok' ],
	[ 'SELECT * FROM fz.tb_item WHERE id < 5 FOR SHARE SKIP LOCKED', 'ok' ],
	[ 'SELECT 1;', 'ok' ], [ '  SELECT 1 -- c', 'ok' ], [ '/* c */ SELECT 1', 'ok' ], [ "SELECT 1\n;\n", 'ok' ],
	[ 'SELECT pg_sleep(0.01)', 'ok' ], [ 'SELECT * FROM generate_series(1, 100000) g', 'ok' ],
	[ q{SELECT repeat('x', 2000000) AS big}, 'ok' ], [ 'SELECT * FROM fz.v_item ORDER BY id', 'ok' ],
	[ 'SELECT now()', 'ok' ], [ 'SELECT random()', 'ok' ], [ q{SELECT nextval('fz.seq')}, 'ok' ],
	[ 'SELECT relname FROM pg_class LIMIT 1', 'ok' ],
	[ q{SELECT cascade_cache.cached_query('SELECT 1')}, 'ok' ],
	[ q{SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "Item", "id": 3}]}')}, 'ok' ],
	[ q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"scope": "PREFIX", "queryName": "list"}]}')}, 'ok' ],
	[ 'SELECT cascade_cache.cache_flush()', 'ok' ],
	[ 'SELECT * FROM cascade_cache.cache_stats()', 'ok' ],
	[ 'SELECT fz.slow_stable(1)', 'ok' ],
	[ 'SELECT * FROM fz.tb_part ORDER BY id', 'ok' ],
	[ 'SELECT * FROM fz.mv', 'ok' ],
	[ 'SELECT * FROM fz_tmp', 'temp' ], [ 'SELECT * FROM pg_temp.fz_tmp', 'temp' ],
	[ 'SELECT $1', 'reject' ], [ 'SELECT $1::int', 'reject' ],
	[ q{INSERT INTO fz.tb_item VALUES (999999, 0, 'x')}, 'reject' ],
	[ 'UPDATE fz.tb_item SET v = v WHERE id = 1', 'reject' ],
	[ 'DELETE FROM fz.tb_item WHERE false', 'reject' ],
	[ 'MERGE INTO fz.tb_item t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN DO NOTHING', 'reject' ],
	[ 'WITH d AS (DELETE FROM fz.tb_item WHERE false RETURNING *) SELECT * FROM d', 'reject' ],
	[ 'WITH u AS (UPDATE fz.tb_item SET v = v WHERE id = 2 RETURNING *) SELECT 1', 'reject' ],
	[ q{WITH i AS (INSERT INTO fz.tb_item VALUES (999999, 0, 'x') RETURNING *) SELECT 1}, 'reject' ],
	[ 'SELECT 1 INTO TEMP fz_into', 'reject' ], [ 'CREATE TABLE fz_x (a int)', 'reject' ],
	[ 'CREATE TABLE fz_x AS SELECT 1', 'reject' ], [ 'DROP TABLE fz.tb_item', 'reject' ],
	[ 'TRUNCATE fz.tb_item', 'reject' ], [ 'ALTER TABLE fz.tb_item ADD COLUMN z int', 'reject' ],
	[ 'VACUUM', 'reject' ], [ 'ANALYZE fz.tb_item', 'reject' ], [ q{SET work_mem = '1MB'}, 'reject' ],
	[ 'RESET ALL', 'reject' ], [ 'BEGIN', 'reject' ], [ 'COMMIT', 'reject' ], [ 'ROLLBACK', 'reject' ],
	[ 'SAVEPOINT x', 'reject' ], [ q{PREPARE TRANSACTION 'x'}, 'reject' ], [ 'LISTEN x', 'reject' ],
	[ 'NOTIFY x', 'reject' ], [ 'LOCK fz.tb_item', 'reject' ], [ 'COPY fz.tb_item TO STDOUT', 'reject' ],
	[ 'DO $$BEGIN END$$', 'reject' ], [ 'CALL fz.noop()', 'reject' ],
	[ 'SELECT 1; DELETE FROM fz.tb_item WHERE id = 1', 'reject' ],
	[ 'DELETE FROM fz.tb_item WHERE id = 1; SELECT 1', 'reject' ], [ 'SELECT 1; SELECT 2', 'reject' ],
	[ 'DISCARD ALL', 'reject' ], [ 'CHECKPOINT', 'reject' ], [ 'SHOW work_mem', 'reject' ],
	[ 'PREPARE p AS SELECT 1', 'reject' ], [ 'EXECUTE p', 'reject' ], [ 'DEALLOCATE ALL', 'reject' ],
	[ 'DECLARE c CURSOR FOR SELECT 1', 'reject' ], [ 'FETCH c', 'reject' ], [ 'CLOSE ALL', 'reject' ],
	[ 'REFRESH MATERIALIZED VIEW fz.mv', 'reject' ], [ 'EXPLAIN SELECT 1', 'reject' ],
	[ 'EXPLAIN ANALYZE DELETE FROM fz.tb_item WHERE id = 1', 'reject' ],
	[ 'GRANT SELECT ON fz.tb_item TO PUBLIC', 'reject' ], [ 'CREATE INDEX ON fz.tb_item (v)', 'reject' ],
	[ 'SELEC 1', 'reject' ], [ 'SELECT (', 'reject' ], [ q{SELECT 'unterminated}, 'reject' ],
	[ 'SELECT $', 'reject' ], [ 'SELECT $0', 'reject' ], [ 'SELECT $99999999999', 'reject' ],
	[ '$$', 'reject' ], [ 'SELECT 1 FROM', 'reject' ], [ 'SELECT "', 'reject' ],
	[ q{SELECT E'\\x'}, 'any' ], [ q{SELECT U&'\\0000'}, 'reject' ], [ 'SELECT 1 /* unterminated', 'reject' ],
	[ '', 'reject' ], [ ' ', 'reject' ], [ ';', 'reject' ], [ ';;', 'reject' ], [ '-- only a comment', 'reject' ],
	[ '/* */', 'reject' ], [ "\n\t", 'reject' ],
	[ 'SELECT ' . join(', ', 1 .. 1600), 'ok' ], [ 'SELECT ' . join(', ', 1 .. 5000), 'reject' ],
	[ 'SELECT ' . ('(' x 10000) . '1' . (')' x 10000), 'any' ],
	[ 'SELECT 1' . (' UNION ALL SELECT 1' x 2000), 'ok' ],
);

sub mutate_sql
{
	my ($s) = @_;
	for (1 .. rnd(1, 4))
	{
		my $p = rnd(0, length $s);
		my $op = rnd(0, 4);
		if ($op == 0) { substr($s, $p, 1, '') if $p < length $s; }
		elsif ($op == 1) { substr($s, $p, 0, pick(';', '(', ')', "'", '"', '$', '$1', ' ', '--', '/*', '*', 'FROM', 'SELECT', "\x{e9}", '\\')); }
		elsif ($op == 2) { $s = substr($s, 0, $p); }
		elsif ($op == 3) { $s = $s . pick('; DELETE FROM fz.tb_item', ' FOR UPDATE', ' LIMIT -1', ' OFFSET 1e100', ' ORDER BY 99'); }
		else { my $q = rnd(0, length $s); $s = substr($s, 0, min($p, $q)) . substr($s, max($p, $q)) . substr($s, min($p, $q), abs($p - $q)); }
	}
	return $s;
}

# ------------------------------------------------------------------
# Cases.  A generator draws everything at random first and returns
# { cat, hazard, run => sub }; run() executes it (without randomness).
# ------------------------------------------------------------------
sub case_cascade
{
	my ($hz, $why);
	my $s = gen_cascade_step(\$hz, \$why);
	my $mode = chance(0.12) ? 'error' : 'record';
	return { cat => 'cascade', hazard => $hz // 'cascade', why => $why, run => sub {
		step(sql => q{SET cascade_cache.invalid_cascade = error}) if $mode eq 'error';
		my $r = eval { step(%$s) };
		my $err = $@;
		step(sql => 'RESET cascade_cache.invalid_cascade') if $mode eq 'error' && !$err;
		die $err if $err;
		check_cascade_result($s, $r);
	} };
}

sub gen_write_step
{
	my $id = rnd(1, 260);
	my $s = wpick(
		[ 15, sub { +{ sql => 'INSERT INTO fz.tb_item (id, v, t) VALUES ($1, $2, $3)', binds => [ $id, rnd(-100, 100), rstr(20) ] } } ],
		[ 20, sub { +{ sql => 'UPDATE fz.tb_item SET v = v + 1 WHERE id = $1', binds => [$id] } } ],
		[ 5, sub { +{ sql => 'UPDATE fz.tb_item SET v = v WHERE id = $1', binds => [$id] } } ],
		[ 6, sub { +{ sql => 'UPDATE fz.tb_item SET id = $2 WHERE id = $1', binds => [ $id, rnd(1, 400) ] } } ],
		[ 8, sub { +{ sql => 'DELETE FROM fz.tb_item WHERE id = $1', binds => [$id] } } ],
		[ 4, sub { +{ sql => 'UPDATE fz.tb_item SET t = $2 WHERE id % 7 = $1', binds => [ rnd(0, 6), rstr(10) ] } } ],
		[ 8, sub { +{ sql => 'INSERT INTO fz.tb_item (id, v) VALUES ($1, 0) ON CONFLICT (id) DO UPDATE SET v = fz.tb_item.v + 1', binds => [$id] } } ],
		[ 8, sub { +{ sql => 'INSERT INTO fz.tb_witem (code, v) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET v = excluded.v',
				binds => [ wpick([ 5, sub { rstr(12, 0.5) } ], [ 1, sub { 'k' x rnd(300, 10000) } ]), rnd(1, 60) ] } } ],
		[ 3, sub { +{ sql => 'DELETE FROM fz.tb_witem WHERE v = $1', binds => [ rnd(1, 60) ] } } ],
		[ 6, sub { +{ sql => 'UPDATE fz.tb_part SET v = v + 1 WHERE id = $1', binds => [ rnd(1, 160) ] } } ],
		[ 3, sub { +{ sql => 'UPDATE fz.tb_part SET id = $2 WHERE id = $1', binds => [ rnd(1, 160), rnd(1, 300) ] } } ],
		[ 5, sub { +{ sql => 'UPDATE fz.tb_plain SET v = v + 1 WHERE id = $1', binds => [ rnd(1, 50) ] } } ],
		[ 1, sub { +{ sql => 'TRUNCATE fz.tb_witem', binds => [] } } ],
		[ 1, sub { +{ sql => 'TRUNCATE fz.tb_part_1', binds => [] } } ],
		[ 2, sub { +{ sql => 'INSERT INTO fz.tb_part SELECT g, g FROM generate_series(1, 150) g ON CONFLICT DO NOTHING', binds => [] } } ]);
	$s->{label} = 'write';
	return $s;
}

sub case_write
{
	my $s = gen_write_step();
	return { cat => 'write', hazard => 'write', run => sub { step(%$s) } };
}

# cached_query with generated params (and sometimes a name and a ttl)
sub gen_params_step
{
	my $q = pick(@TYPED);
	my ($sql, $n, $vkey) = @$q;
	my ($params, $is_arr, $k) = gen_params($n);
	my $name = chance(0.15) ? gen_qname() : undef;
	my $ttl = chance(0.08) ? gen_ttl() : undef;
	my $explain = chance(0.1);
	# the JSON-text form and the document forms take the same inputs
	# through the same checks (the domain check reads the rows' form)
	my $fn = chance(0.3)
	  ? pick('cached_query_json', 'cached_document', 'cached_document_json')
	  : 'cached_query';
	return { sql => $explain
		  ? 'SELECT item, detail FROM cascade_cache.cache_explain($1, $2::jsonb, $3)'
		  : "SELECT cascade_cache.$fn(\$1, \$2::jsonb, \$3::interval, \$4) AS r",
		binds => $explain ? [ $sql, $params, $name ] : [ $sql, $params, $ttl, $name ],
		label => 'params', n => $n, is_arr => $is_arr, k => $k,
		vkey => ($fn =~ /document/ ? undef : $vkey),
		explain => $explain, name => $name };
}

sub check_params_result
{
	my ($s, $r) = @_;
	return unless $r->{ok};
	my $n = $s->{n};
	if (!defined $n)
	{
		fail_rec('params_accepted_wrong', 'a parameter of undeterminable type was accepted', $r);
		return;
	}
	if (!$s->{is_arr} && defined $s->{binds}[1])
	{
		fail_rec('params_accepted_wrong', 'params that are not a JSON array were accepted', $r);
		return;
	}
	if ($s->{k} != $n)
	{
		fail_rec('params_accepted_wrong', "$s->{k} values accepted for $n parameters", $r);
		return;
	}
	if (!$s->{explain} && defined $s->{name} &&
		(nbytes($s->{name}) > 1024 || nbytes($s->{name}) == 0))
	{
		fail_rec('name_rule', 'a name of ' . nbytes($s->{name}) . ' bytes was accepted', $r);
	}
	if ($s->{vkey} && !$s->{explain})
	{
		my $res = val($r);
		my $ok = eval { aval($VALIDATOR{ $s->{vkey} }, $res); 1 };
		my $state = $ok ? '' : ($adm->state // '');
		if (!$ok && $state =~ /^(23502|23514)$/)
		{
			fail_rec('domain_bypass', "the result violates the parameter's domain ($state: "
				  . show($adm->errstr =~ s/\s+/ /gr, 120) . ') result ' . show($res, 120), $r);
		}
	}
	return;
}

sub case_params
{
	my $s = gen_params_step();
	return { cat => 'params', hazard => 'params', run => sub {
		my $r = step(%$s);
		check_params_result($s, $r);
	} };
}

# a stored name, then invalidated by EXACT, PREFIX or PATTERN
sub case_name
{
	my $name = gen_qname();
	my $scope = wpick([ 40, 'EXACT' ], [ 30, 'PREFIX' ], [ 30, 'PATTERN' ]);
	my ($text, $sub) = ($name, '');
	if ($scope eq 'PREFIX')
	{
		$text = substr($name, 0, rnd(min(1, length $name), length $name));
	}
	elsif ($scope eq 'PATTERN')
	{
		my @c = split //, $name;
		my @esc = map { /[*?\\]/ ? "\\$_" : $_ } @c;
		my $r = rand();
		if (@c && $r < 0.35)
		{
			my $i = rnd(0, $#c);
			$esc[$i] = '?';
			$sub = ord($c[$i]) > 127 ? 'multibyte' : '';
		}
		elsif (@c && $r < 0.6)
		{
			my $i = rnd(0, $#c);
			my $j = rnd($i, $#c);
			splice(@esc, $i, $j - $i + 1, '*');
		}
		$text = join '', @esc;
	}
	my $key = $cur->{iter};
	my $cascade = jobj([ 'invalidations', jarr(jobj([ 'scope', jstr($scope) ], [ $scope eq 'PATTERN' ? 'queryPattern' : 'queryName', jstr($text) ])) ]);
	return { cat => 'name', hazard => 'name', run => sub {
		my $q = 'SELECT $1::int AS name_probe';
		my $r = step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
			binds => [ $q, "[$key]", $name ], label => 'name');
		my $bytes = nbytes($name);
		# a name is 1 to 1024 bytes (22023 otherwise; NULL means no name)
		if ($bytes > 1024 || $bytes == 0)
		{
			fail_rec('name_rule', "a name of $bytes bytes was accepted (1 to 1024 bytes)", $r) if $r->{ok};
			fail_rec('name_rule', "a name of $bytes bytes was rejected with $r->{state}, not 22023", $r)
			  if !$r->{ok} && ($r->{state} // '') ne '22023';
			return;
		}
		if (!$r->{ok})
		{
			fail_rec('name_rule', "a name of $bytes bytes was rejected", $r);
			return;
		}
		my $ev0 = aval('SELECT evictions FROM cascade_cache.cache_stats()');
		my $e = step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb, $3) WHERE item = 'entry'},
			binds => [ $q, "[$key]", $name ], label => 'name explain');
		return unless $e->{ok};
		if ((val($e) // '') ne 'cached')
		{
			fail_rec('name_rule', 'a named entry was not cached after a successful store: ' . show(val($e)), $r)
			  if aval('SELECT evictions FROM cascade_cache.cache_stats()') == $ev0;
			return;
		}
		my $c = step(sql => 'SELECT cascade_cache.cascade_invalidate($1::jsonb) AS r', binds => [ $cascade ], label => "name $scope invalidation");
		return unless $c->{ok};
		$e = step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb, $3) WHERE item = 'entry'},
			binds => [ $q, "[$key]", $name ], label => 'name explain');
		if ($e->{ok} && (val($e) // '') ne 'not cached')
		{
			fail_rec($sub eq 'multibyte' ? 'pattern_multibyte' : 'name_invalidation_missed',
				"$scope '" . show($text, 80) . "' did not invalidate the entry named '" . show($name, 80) . "' (" . nbytes($name) . ' bytes; ' . show(val($e)) . ')', $c);
		}
	} };
}

sub case_ttl
{
	my $ttl = gen_ttl();
	my $key = $cur->{iter};
	return { cat => 'ttl', hazard => 'ttl', run => sub {
		my $q = 'SELECT $1::int AS ttl_probe';
		# the ttl in seconds as cached_query computes it: months of 30 days
		my $secs = eval {
			aval(q{SELECT ((extract(year FROM i) * 12 + extract(month FROM i)) * 30 * 86400
			              + extract(day FROM i) * 86400 + extract(hour FROM i) * 3600
			              + extract(minute FROM i) * 60 + extract(second FROM i))::text
			         FROM (SELECT $1::interval AS i) s}, $ttl);
		};
		my $r = step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, $3::interval) AS r',
			binds => [ $q, "[$key]", $ttl ], label => 'ttl');
		return unless defined $secs;
		if ($secs < 0)
		{
			fail_rec('ttl_negative_accepted', "the negative ttl '$ttl' ($secs s) was accepted", $r) if $r->{ok};
			return;
		}
		if (!$r->{ok})
		{
			fail_rec('ttl_overflow', "the positive ttl '$ttl' ($secs s) was rejected as negative", $r)
			  if ($r->{msg} // '') =~ /negative/;
			return;
		}
		return if $secs < 60;
		my $ev0 = aval('SELECT evictions FROM cascade_cache.cache_stats()');
		my $e = step(sql => q{SELECT item, detail FROM cascade_cache.cache_explain($1, $2::jsonb) WHERE item IN ('entry', 'expires')},
			binds => [ $q, "[$key]" ], label => 'ttl explain');
		return unless $e->{ok};
		my %d = map { $_->[0] => $_->[1] } @{ $e->{rows} };
		my $want = min($secs, 1e9) - 120;
		if (($d{entry} // '') ne 'cached')
		{
			fail_rec('ttl_overflow', "ttl '$ttl' ($secs s): the entry was not cached right after the store (" . show($d{entry}) . ')', $r)
			  if aval('SELECT evictions FROM cascade_cache.cache_stats()') == $ev0;
		}
		elsif ($d{expires} =~ /^never/)
		{
			fail_rec('ttl_overflow', "ttl '$ttl' ($secs s): the entry never expires", $r) if $secs < 1e9;
		}
		elsif ($d{expires} =~ /expired/)
		{
			fail_rec('ttl_overflow', "ttl '$ttl' ($secs s): the entry is expired at once ($d{expires})", $r);
		}
		elsif ($d{expires} =~ /\(in (-?[0-9.e+]+) s\)/ && $1 < $want)
		{
			fail_rec('ttl_overflow', "ttl '$ttl' ($secs s): the entry expires in $1 s", $r);
		}
	} };
}

sub gen_statement_step
{
	my ($in_txn) = @_;
	my ($sql, $class);
	do
	{
		($sql, $class) = @{ pick(@STATEMENTS) };
	} while ($in_txn && $class eq 'temp');
	if (chance(0.25))
	{
		$sql = mutate_sql($sql);
		$class = 'any';
	}
	my $form = wpick([ 60, 'plain' ], [ 20, 'params' ], [ 20, 'explain' ]);
	my ($params) = $form eq 'params' ? gen_params(rnd(0, 2)) : ('[]');
	$class = 'any' if $form eq 'params' && ($class =~ /^(ok|temp)$/ || $sql =~ /\$\d/);
	return { sql => $form eq 'explain' ? 'SELECT item, detail FROM cascade_cache.cache_explain($1, $2::jsonb)'
		  : 'SELECT cascade_cache.cached_query($1, $2::jsonb) AS r',
		binds => [ $sql, $params ], label => "statement ($class)", class => $class, stmt => $sql };
}

sub check_statement_result
{
	my ($s, $r, $in_txn) = @_;
	if ($s->{class} eq 'reject' && $r->{ok})
	{
		fail_rec('non_select_accepted', 'a statement that is not a single read-only SELECT ran: ' . show($s->{stmt}, 120), $r);
	}
	if ($s->{class} =~ /^(ok|temp)$/ && !$r->{ok} && !$in_txn && ($r->{state} // '') !~ /^(57014|53|55P03)/)
	{
		fail_rec('valid_statement_failed', 'a valid read-only statement failed: ' . show($s->{stmt}, 120), $r);
	}
	if ($s->{stmt} =~ /999999/ && !$in_txn)
	{
		my $n = aval('SELECT count(*) FROM fz.tb_item WHERE id = 999999');
		if ($n)
		{
			fail_rec('non_select_accepted', 'a rejected INSERT left a row behind', $r);
			$adm->do('DELETE FROM fz.tb_item WHERE id = 999999');
		}
	}
	return;
}

sub case_statement
{
	my $s = gen_statement_step(0);
	return { cat => 'statement', hazard => 'statement', run => sub {
		my $r = step(%$s);
		check_statement_result($s, $r, 0);
	} };
}

# a fill cancelled (pg_cancel_backend) while it runs; the key must work
# afterwards (no in-flight slot or fence mark left behind)
sub case_cancel
{
	my $k = rnd(1, 30);
	my $after = pick(0.001, 0.005, 0.01, 0.015);
	return { cat => 'cancel', hazard => 'cancel', run => sub {
		# a cacheable query of some 20-40 ms (no volatile or opaque function)
		my @b = ('SELECT count(*) AS n FROM generate_series(1, 200000) g WHERE g % $1 = 0', "[$k]");
		step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb) AS r', binds => [@b], cancel_after => $after, label => 'cancelled fill');
		my $r2 = step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb) AS r', binds => [@b], label => 'fill after a cancelled one');
		fail_rec('fill_after_cancel', 'the key failed after a cancelled fill', $r2) if !$r2->{ok};
		if ($r2->{ok})
		{
			my $e = step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb) WHERE item = 'entry'}, binds => [@b], label => 'explain');
			fail_rec('fill_after_cancel', 'after a cancelled fill the key is not stored again: ' . show(val($e)), $r2)
			  if $e->{ok} && (val($e) // '') ne 'cached';
		}
	} };
}

my @RELS = ('fz.w_pk', 'fz.w_nopk', 'fz.w_compk', 'fz."We ird ""Tab"" ü"', 'fz.w_parent', 'fz.w_child',
	'fz.w_part', 'fz.w_part_a', 'fz.v_item', 'fz.mv', 'fz.seq', 'fz.tb_item_pkey', 'fz.pair', 'pg_class',
	'pg_catalog.pg_proc', 'information_schema.tables', 'cascade_cache.audit_log', 'cascade_cache.cascade_audit',
	'pg_toast.pg_toast_1255', 'nonexistent', '', ' ', '"', 'fz.', "fz.\x{e9}", 'a' x 100, '0', '1259',
	'4294967295', '-1', 'fz_tmp', 'pg_temp.fz_tmp');
my @INVREL = (@RELS, 'fz.tb_item', 'fz.tb_part', 'fz.tb_part_1', 'fz.tb_plain', 'fz.tb_witem');
my @TYPENAMES = (undef, '', 'T', 'Item', 'x' x 127, 'x' x 128, "\x{1F600}" x 31, "\x{1F600}" x 32,
	"O'Brien \"Q\"", '%s%n', "tab\tname", 'a:b', "\x{e9}");
my @IDCOLS = (undef, 'id', 'a', 'b', 'v', 'ctid', 'xmin', 'nonexistent', '', 'x' x 100, 'ID', '"id"');

sub case_functions
{
	my $s = wpick(
		[ 15, sub {
			my $q = chance(0.5) ? pick(@TYPED)->[0] : pick(@STATEMENTS)->[0];
			$q = mutate_sql($q) if chance(0.2);
			my ($p) = gen_params(rnd(0, 2));
			+{ sql => 'SELECT item, detail FROM cascade_cache.cache_explain($1, $2::jsonb, $3)', binds => [ $q, $p, chance(0.3) ? gen_qname() : undef ] };
		} ],
		[ 2, { sql => 'SELECT cascade_cache.cache_flush() AS r', binds => [], check => 'count' } ],
		[ 10, sub { +{ sql => 'SELECT cascade_cache.cache_invalidate_relation($1::regclass) AS r', binds => [ pick(@INVREL) ], check => 'count' } } ],
		[ 3, sub { +{ sql => 'SELECT cascade_cache.cache_invalidate_relation($1::oid::regclass) AS r', binds => [ pick('0', '1', '1259', '4294967295', '16384', '99999') ], check => 'count' } } ],
		[ 10, sub { +{ sql => 'SELECT cascade_cache.cascade_watch($1::regclass, $2, $3::name)', binds => [ pick(@RELS), pick(@TYPENAMES), pick(@IDCOLS) ] } } ],
		[ 5, sub { +{ sql => 'SELECT cascade_cache.cascade_unwatch($1::regclass)', binds => [ pick(@RELS) ] } } ],
		[ 1, { sql => 'SELECT cascade_cache.cascade_watch(NULL)', binds => [] } ],
		[ 1, { sql => 'SELECT cascade_cache.cascade_watch_trigger()', binds => [] } ],
		[ 12, sub { +{ sql => pick(
						'SELECT * FROM cascade_cache.cache_stats()', 'SELECT * FROM cascade_cache.cache_bypass_stats()',
						'SELECT * FROM cascade_cache.cascade_audit_metrics()', 'SELECT * FROM cascade_cache.cache_rate_windows()',
						'SELECT cascade_cache.cache_max_entry_bytes()', 'SELECT * FROM cascade_cache.cache_health()',
						'SELECT * FROM cascade_cache.cache_dashboard', 'SELECT * FROM cascade_cache.cache_metrics',
						'SELECT * FROM cascade_cache.coalesce_metrics', 'SELECT * FROM cascade_cache.cascade_metrics',
						'SELECT * FROM cascade_cache.cache_bypasses', 'SELECT * FROM cascade_cache.cache_rates',
						'SELECT count(*) FROM cascade_cache.cascade_audit', 'SELECT * FROM cascade_cache.cascade_watched'), binds => [] } } ],
		[ 1, { sql => 'SELECT cascade_cache.cache_stats_reset()', binds => [] } ],
		[ 6, sub { +{ sql => 'SELECT * FROM cascade_cache.cache_query_stats($1::int, $2)', binds => [ pick(-1, 0, 1, 20, 2147483647, undef), pick('hits', 'HITS', 'entries', 'bytes', 'stores', 'invalidations', 'evictions', 'expirations', 'writes', '', 'nonsense', undef, "h\x{e9}ts") ] } } ],
		[ 5, sub { +{ sql => 'SELECT * FROM cascade_cache.cache_relation_stats($1::int, $2)', binds => [ pick(-1, 0, 1, 20, 2147483647, undef), pick('entries', 'bytes', 'hits', 'writes', 'invalidations', 'Writes', 'stores', '', undef) ] } } ],
		[ 3, sub { +{ sql => 'SELECT * FROM cascade_cache.cascade_audit_recent($1::int)', binds => [ pick(-1, 0, 5, 2147483647, undef) ] } } ]);
	$s->{label} = 'function';
	return { cat => 'functions', hazard => 'functions', run => sub {
		my $r = step(%$s);
		if ($s->{check} && $r->{ok})
		{
			my $v = val($r);
			fail_rec('stats_inconsistent', 'returned ' . show($v) . ', not a count', $r) unless defined $v && $v =~ /^\d+$/;
		}
	} };
}

# an explicit transaction of random steps, committed, rolled back or prepared
sub case_txn
{
	my ($hz, $why);
	my $begin = wpick([ 70, 'BEGIN' ], [ 8, 'BEGIN ISOLATION LEVEL REPEATABLE READ' ],
		[ 7, 'BEGIN ISOLATION LEVEL SERIALIZABLE' ], [ 8, 'BEGIN READ ONLY' ], [ 7, 'START TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE' ]);
	my @steps;
	my @sp;
	my $spn = 0;
	for (1 .. rnd(1, 7))
	{
		my $kind = wpick([ 40, 'cascade' ], [ 25, 'write' ], [ 8, 'params' ], [ 4, 'statement' ], [ 15, 'sp' ], [ 5, 'set' ]);
		my $s;
		if ($kind eq 'cascade') { $s = gen_cascade_step(\$hz, \$why); $s->{kind} = 'cascade'; }
		elsif ($kind eq 'write') { $s = gen_write_step(); }
		elsif ($kind eq 'params') { $s = gen_params_step(); $s->{kind} = 'params'; }
		elsif ($kind eq 'statement') { $s = gen_statement_step(1); $s->{kind} = 'statement'; }
		elsif ($kind eq 'set')
		{
			$s = { sql => pick(q{SET LOCAL cascade_cache.invalid_cascade = error}, q{SET LOCAL cascade_cache.invalid_cascade = record},
					q{SET LOCAL cascade_cache.enabled = off}, q{SET LOCAL cascade_cache.precise_invalidation = off},
					q{SET LOCAL cascade_cache.invalid_cascade = 'bogus'}), binds => [], label => 'set' };
		}
		else
		{
			if (!@sp || chance(0.45))
			{
				$spn++;
				push @sp, "s$spn";
				$s = { sql => "SAVEPOINT s$spn", binds => [], label => 'savepoint', sp => 1 };
			}
			else
			{
				my $i = rnd(0, $#sp);
				my $name = $sp[$i];
				if (chance(0.5))
				{
					splice(@sp, $i + 1);
					$s = { sql => "ROLLBACK TO SAVEPOINT $name", binds => [], label => 'savepoint', sp => 1 };
				}
				else
				{
					splice(@sp, $i);
					$s = { sql => "RELEASE SAVEPOINT $name", binds => [], label => 'savepoint', sp => 1 };
				}
			}
		}
		$s->{guard} = !$s->{sp} && chance(0.5);
		push @steps, $s;
	}
	my $end = wpick([ 55, 'COMMIT' ], [ 25, 'ROLLBACK' ], [ 12, 'PREPARE+COMMIT' ], [ 8, 'PREPARE+ROLLBACK' ]);
	my $gid = "fz_${seed}_$cur->{iter}";
	return { cat => 'txn', hazard => $hz // 'txn', why => $why, desc => "$begin ... $end", run => sub {
		my $r = step(sql => $begin, label => 'begin');
		return unless $r->{ok};
		my $aborted = 0;
		my $ok = eval {
			for my $s (@steps)
			{
				last if $aborted;
				my $guarded = 0;
				if ($s->{guard})
				{
					my $g = step(sql => 'SAVEPOINT fz_guard', label => 'guard');
					$guarded = $g->{ok};
				}
				my $x = step(%$s);
				check_cascade_result($s, $x) if ($s->{kind} // '') eq 'cascade';
				check_params_result($s, $x) if ($s->{kind} // '') eq 'params';
				check_statement_result($s, $x, 1) if ($s->{kind} // '') eq 'statement';
				next if $x->{ok};
				if ($guarded)
				{
					my $rb = step(sql => 'ROLLBACK TO SAVEPOINT fz_guard', label => 'guard');
					$aborted = 1 unless $rb->{ok};
				}
				else
				{
					$aborted = 1;
				}
			}
			1;
		};
		if (!$ok)
		{
			# the session is gone; nothing to end
			die $@;
		}
		if ($aborted || $end eq 'ROLLBACK')
		{
			my $x = step(sql => 'ROLLBACK', label => 'end');
			fail_rec('commit_failed:' . ($x->{state} // ''), 'ROLLBACK failed', $x) unless $x->{ok};
			return;
		}
		if ($end eq 'COMMIT')
		{
			my $x = step(sql => 'COMMIT', label => 'end');
			fail_rec('commit_failed:' . ($x->{state} // ''), "COMMIT failed although every statement of the transaction succeeded ($begin)", $x)
			  unless $x->{ok};
			return;
		}
		my $x = step(sql => "PREPARE TRANSACTION '$gid'", label => 'end');
		if (!$x->{ok})
		{
			fail_rec('commit_failed:' . ($x->{state} // ''), "PREPARE TRANSACTION failed although every statement succeeded ($begin)", $x);
			return;
		}
		my $fin = $end eq 'PREPARE+COMMIT' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
		my $y = step(sql => "$fin '$gid'", label => 'end');
		if (!$y->{ok})
		{
			fail_rec('commit_failed:' . ($y->{state} // ''), "$fin failed", $y);
			eval { $adm->do("ROLLBACK PREPARED '$gid'") };
		}
	} };
}

sub case_refill
{
	my @names = grep { chance(0.3) } @NAMES;
	my @ids = map { rnd(1, 60) } 1 .. 8;
	return { cat => 'refill', hazard => 'refill', run => sub {
		for my $name (@names)
		{
			step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
				binds => [ 'SELECT $1::int AS n', '[1]', $name ], label => 'refill');
		}
		for my $id (@ids)
		{
			step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
				binds => [ 'SELECT data FROM fz.v_item WHERE id = $1', "[$id]", 'getItem' ], label => 'refill');
		}
	} };
}

# rare and expensive: large cascades, bulk writes, very many calls
sub case_heavy
{
	my $kind = wpick([ 3, 'many5mb' ], [ 2, '500big' ], [ 2, 'bulk' ], [ 2, 'manycalls' ], [ 1, 'deep' ]);
	my $n = pick(30, 56, 60);
	my $end = pick('COMMIT', 'COMMIT', 'PREPARE');
	my $gid = "fz_${seed}_$cur->{iter}";
	my @steps;
	if ($kind eq 'many5mb')
	{
		# each call a valid cascade just under the 5 MB limit
		@steps = ({ sql => q{SELECT count(cascade_cache.cascade_invalidate(p)) AS r
		                       FROM (SELECT jsonb_build_object('updated', jsonb_build_array(jsonb_build_object('__typename', 'Item', 'id', 1)),
		                                                       'metadata', jsonb_build_object('transactionId', 'big', 'pad', repeat('x', $1::int))) AS p) s,
		                            generate_series(1, $2::int)},
			binds => [ 5 * 1024 * 1024 - 200, $n ], label => "$n cascades of 5 MB" });
	}
	elsif ($kind eq '500big')
	{
		@steps = ({ sql => q{SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated',
		                       (SELECT jsonb_agg(jsonb_build_object('__typename', 'Item', 'id', g::text || repeat('i', 10000))) FROM generate_series(1, 500) g)))},
			binds => [], label => '500 updated entities with 10 kB ids' });
	}
	elsif ($kind eq 'bulk')
	{
		@steps = ({ sql => 'INSERT INTO fz.tb_bulk SELECT g, 0 FROM generate_series(1, 10001) g', binds => [], label => 'bulk insert of a watched table' },
			{ sql => q{SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "TbBulk", "id": 1}]}')}, binds => [], label => 'cascade' },
			{ sql => 'DELETE FROM fz.tb_bulk', binds => [], label => 'bulk delete' });
	}
	elsif ($kind eq 'manycalls')
	{
		@steps = ({ sql => q{SELECT count(cascade_cache.cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(jsonb_build_object('__typename', 'Item', 'id', g)),
		                       'invalidations', jsonb_build_array(jsonb_build_object('scope', 'PREFIX', 'queryName', 'list' || g))))) AS r FROM generate_series(1, 3000) g},
			binds => [], label => '3000 cascade calls' });
	}
	else
	{
		@steps = ({ sql => 'SELECT cascade_cache.cascade_invalidate($1::jsonb)', binds => [ deep_json(200000) ], label => 'nesting 200000 deep' });
	}
	return { cat => 'heavy', hazard => "heavy $kind", desc => $kind, run => sub {
		my $r = step(sql => 'BEGIN', label => 'begin');
		return unless $r->{ok};
		for my $s (@steps)
		{
			my $x = step(%$s);
			if (!$x->{ok})
			{
				step(sql => 'ROLLBACK', label => 'end');
				return;
			}
		}
		if ($end eq 'COMMIT')
		{
			my $x = step(sql => 'COMMIT', label => 'end');
			fail_rec('commit_failed:' . ($x->{state} // ''), "COMMIT failed although every statement succeeded ($steps[0]{label})", $x) unless $x->{ok};
		}
		else
		{
			my $x = step(sql => "PREPARE TRANSACTION '$gid'", label => 'end');
			if (!$x->{ok})
			{
				fail_rec('commit_failed:' . ($x->{state} // ''), "PREPARE TRANSACTION failed although every statement succeeded ($steps[0]{label})", $x);
				return;
			}
			my $y = step(sql => "COMMIT PREPARED '$gid'", label => 'end');
			fail_rec('commit_failed:' . ($y->{state} // ''), 'COMMIT PREPARED failed', $y) unless $y->{ok};
		}
	} };
}

sub gen_case
{
	return wpick(
		[ 26, \&case_cascade ], [ 20, \&case_txn ], [ 15, \&case_params ], [ 10, \&case_statement ],
		[ 6, \&case_name ], [ 6, \&case_ttl ], [ 9, \&case_functions ], [ 5, \&case_write ],
		[ 2, \&case_cancel ], [ 1, \&case_refill ], [ 0.3, \&case_heavy ]);
}

# ------------------------------------------------------------------
# Checks between iterations and at the end
# ------------------------------------------------------------------
sub stats_row
{
	return arow(q{SELECT entries, bytes_used, inflight, memory_limit, hits, misses, stores, invalidations
	                FROM cascade_cache.cache_stats()});
}

sub check_stats
{
	my ($when) = @_;
	my $s = eval { stats_row() };
	if (!$s)
	{
		fail_rec('stats_inconsistent', "$when: cache_stats() failed: " . show($@, 200));
		return;
	}
	my @bad;
	for my $c (qw(entries bytes_used inflight hits misses stores invalidations))
	{
		push @bad, "$c = $s->{$c}" if !defined $s->{$c} || $s->{$c} < 0;
	}
	push @bad, "bytes_used $s->{bytes_used} > memory_limit $s->{memory_limit}" if $s->{bytes_used} > $s->{memory_limit};
	push @bad, "inflight = $s->{inflight} with no call running" if $s->{inflight} != 0;
	push @bad, "entries = 0 but bytes_used = $s->{bytes_used} (baseline $bytes_baseline)"
	  if $s->{entries} == 0 && $s->{bytes_used} != $bytes_baseline;
	my $prepared = aval('SELECT count(*) FROM pg_prepared_xacts');
	push @bad, "$prepared prepared transactions left" if $prepared;
	fail_rec('stats_inconsistent', "$when: " . join('; ', @bad)) if @bad;
	return;
}

# ------------------------------------------------------------------
# Setup: the baseline, the named entries
# ------------------------------------------------------------------
$adm->do('SELECT cascade_cache.cache_flush()');
$bytes_baseline = aval('SELECT bytes_used FROM cascade_cache.cache_stats()');
set_baselines();
my $populated = eval { populate(0); 1 };
ok($populated, 'the cache was populated with named entries') or d($@);
my $entries0 = aval('SELECT entries FROM cascade_cache.cache_stats()');
cmp_ok($entries0, '>=', 2 * @NAMES, "$entries0 entries cached before fuzzing, among them names of 1000 'a's");
is(val(step(sql => q{SELECT detail FROM cascade_cache.cache_explain('SELECT $1::int AS n', '[1]', repeat('a', 1000)) WHERE item = 'entry'})),
	'cached', "the entry named with 1000 'a's is cached");

# ------------------------------------------------------------------
# The run
# ------------------------------------------------------------------
my $t_start = time;
my @plan = @only ? @only : ();
my $done = 0;
my $i = 0;
while (1)
{
	if (@only)
	{
		last unless @plan;
		$i = shift @plan;
	}
	else
	{
		$i++;
		last if $i > $iterations;
		last if defined $seconds && time - $t_start >= $seconds;
	}
	if (@restarts >= 3)
	{
		fail_rec('unkillable', 'stopping the run early: the node had to be restarted three times');
		last;
	}
	$cur = { iter => $i, cat => 'gen', hazard => 'gen', step => 0 };
	srand(iter_seed($i));
	my $case = gen_case();
	$cur->{cat} = $case->{cat};
	$cur->{hazard} = $case->{hazard};
	$cur->{why} = $case->{why};
	if ($quarantine{ $case->{hazard} })
	{
		$skipped{ $case->{hazard} }++;
		next;
	}
	$hazard_runs{ $case->{hazard} }++;
	srand(iter_seed($i, 1));
	my $t_case = time;
	my $ok = eval { $case->{run}->(); 1 };
	$case_time{ $case->{cat} } += time - $t_case;
	if (!$ok)
	{
		fail_rec('test_error', 'the test itself died: ' . show("$@", 300)) if $@ ne "ABORT_CASE\n";
		eval { recover_lost() } unless eval { $fz->ping };
		# a call that ended by cancel may leave its transaction open
		eval { $fz->do('ROLLBACK') };
	}
	$done++;
	if ($done % 25 == 0 && (eval { $fz->pg_ping } // 0) != 1)
	{
		fail_rec('test_error', "the session was left in a transaction (pg_ping " . (eval { $fz->pg_ping } // 'undef') . ')');
		eval { $fz->do('ROLLBACK') };
	}

	if ($done % 100 == 0)
	{
		scan_log();
		check_stats("after iteration $i");
		n(sprintf('%d iterations, %.0f s, %d failures', $done, time - $t_start, scalar map { @$_ } values %failures));
	}
	# keep the long names the adversarial patterns work against cached
	if ($done % 20 == 0 && !@only)
	{
		$cur = { iter => $i, cat => 'refill', hazard => 'refill', step => 0 };
		my $long = $quarantine{glob} ? 'cached'
		  : eval { val(step(sql => q{SELECT detail FROM cascade_cache.cache_explain('SELECT $1::int AS n', '[1]', repeat('a', 1000)) WHERE item = 'entry'}, label => 'refill check')) } // '';
		if ($long ne 'cached')
		{
			eval {
				step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r',
					binds => [ 'SELECT $1::int AS n', '[1]', $_ ], label => 'refill') for @NAMES[ 0 .. 6 ];
			};
		}
		eval { populate(1) } if aval('SELECT entries FROM cascade_cache.cache_stats()') < 10;
	}
}
my $run_time = time - $t_start;
$cur = { iter => 'final', cat => 'final', hazard => 'final', step => 0 };

# ------------------------------------------------------------------
# After the run: the server, the statistics, the cache still works
# ------------------------------------------------------------------
eval { $fz->do('ROLLBACK') };
for my $gid (@{ $adm->selectcol_arrayref('SELECT gid FROM pg_prepared_xacts') })
{
	fail_rec('commit_failed:left', "prepared transaction $gid left behind");
	$adm->do("ROLLBACK PREPARED '$gid'");
}
scan_log();
my $alive = eval { aval('SELECT 1') };
ok($alive, 'the server answers after the run');
is(aval('SELECT pg_postmaster_start_time()'), $start_time,
	'the postmaster did not restart (pg_postmaster_start_time unchanged'
	  . (@restarts ? ', since the deliberate restart at iteration ' . $restarts[-1] : '') . ')');

my $s = stats_row();
cmp_ok($s->{entries}, '>=', 0, "cache_stats().entries = $s->{entries}");
cmp_ok($s->{bytes_used}, '>=', 0, "cache_stats().bytes_used = $s->{bytes_used}");
is($s->{inflight}, 0, 'no fill is left in flight');

# a new key: stored by the first call, a hit on the second
my $probe_q = 'SELECT $1::text AS final_probe, 42 AS answer';
my $probe_p = qq{["$seed-final"]};
my $h0 = aval('SELECT hits FROM cascade_cache.cache_stats()');
my $r1 = step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r', binds => [ $probe_q, $probe_p, 'fuzzFinalProbe' ]);
my $r2 = step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb, NULL, $3) AS r', binds => [ $probe_q, $probe_p, 'fuzzFinalProbe' ]);
ok($r1->{ok} && $r2->{ok} && val($r1) eq val($r2), 'a new key after the run: both calls return the same result')
  or d(show($r1->{msg}) . ' / ' . show($r2->{msg}));
is(aval('SELECT hits FROM cascade_cache.cache_stats()') - $h0, 1, 'the second call is a hit (the key was stored)');
my $inv = step(sql => q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"queryName": "fuzzFinalProbe"}]}') AS r});
is(val($inv), 1, 'a cascade by query name matches the entry');
is(val(step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb, $3) WHERE item = 'entry'}, binds => [ $probe_q, $probe_p, 'fuzzFinalProbe' ])),
	'not cached', 'and removes it at commit');

# a watched row: cached, then invalidated by an UPDATE
my $item_q = 'SELECT id, v FROM fz.tb_item WHERE id = $1';
my $item = aval('SELECT min(id) FROM fz.tb_item');
step(sql => 'SELECT cascade_cache.cached_query($1, $2::jsonb) AS r', binds => [ $item_q, "[$item]" ]);
is(val(step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb) WHERE item = 'entry'}, binds => [ $item_q, "[$item]" ])),
	'cached', 'a row of the watched table is cached');
step(sql => 'UPDATE fz.tb_item SET v = v + 1 WHERE id = $1', binds => [$item]);
is(val(step(sql => q{SELECT detail FROM cascade_cache.cache_explain($1, $2::jsonb) WHERE item = 'entry'}, binds => [ $item_q, "[$item]" ])),
	'not cached', 'and an UPDATE of it invalidates the entry');

# flush: back to the baseline
my $flushed = val(step(sql => 'SELECT cascade_cache.cache_flush() AS r'));
ok(defined $flushed && $flushed >= 0, "cache_flush() removed $flushed entries");
$s = stats_row();
is($s->{entries}, 0, 'no entries after cache_flush()');
is($s->{bytes_used}, $bytes_baseline, "bytes_used is back to its baseline ($bytes_baseline) after cache_flush()");
my $m = arow('SELECT * FROM cascade_cache.cascade_audit_metrics()');
is($m->{success} + $m->{partial} + $m->{failed}, $m->{total_mutations},
	"audit metrics add up ($m->{total_mutations} = $m->{success} + $m->{partial} + $m->{failed})");
ok(defined eval { aval('SELECT count(*) FROM cascade_cache.cascade_audit') }, 'the audit view reads');
scan_log();

# ------------------------------------------------------------------
# Report
# ------------------------------------------------------------------
my $summary = join("\n", map {
	my $oc = $outcomes{$_};
	sprintf('  %-10s %s', $_, join(', ', map { "$_ $oc->{$_}" } sort { $oc->{$b} <=> $oc->{$a} } keys %$oc));
} sort keys %outcomes);
n("outcomes by case (ok / SQLSTATE counts):\n$summary");
n(sprintf('fuzz: seed %d, %d iterations in %.1f s', $seed, $done, $run_time));
n('cases by hazard: ' . join(', ', map { "$_ $hazard_runs{$_}" } sort keys %hazard_runs));
n('seconds by case: ' . join(', ', map { sprintf('%s %.1f', $_, $case_time{$_}) } sort keys %case_time));
n('skipped (quarantined hazards): ' . join(', ', map { "$_ x$skipped{$_} ($quarantine{$_})" } sort keys %skipped))
  if %skipped;

my $file = "$PostgreSQL::Test::Utils::tmp_check/fuzz_failures_$seed.txt";
if (open my $fh, '>:encoding(UTF-8)', $file)
{
	print $fh "seed $seed, $done iterations; replay one iteration: CC_FUZZ_SEED=$seed CC_FUZZ_ONLY=<iter> ...\n\n";
	for my $cat (sort keys %failures)
	{
		print $fh format_rec($_, 65536), "\n\n" for @{ $failures{$cat} };
	}
	close $fh;
}

my @categories = qw(hang unkillable timeout lost_connection crash internal_error no_sqlstate commit_failed
  non_select_accepted valid_statement_failed params_accepted_wrong domain_bypass name_rule
  name_invalidation_missed pattern_multibyte ttl_negative_accepted ttl_overflow cascade_bad_return
  fill_after_cancel stats_inconsistent test_error);
my %by_top;
for my $cat (keys %failures)
{
	(my $top = $cat) =~ s/:.*//;
	push @{ $by_top{$top} }, $cat;
}
for my $top (@categories, grep { my $t = $_; !grep { $_ eq $t } @categories } sort keys %by_top)
{
	my @subs = @{ $by_top{$top} // [] };
	my @recs = map { @{ $failures{$_} } } sort @subs;
	my $ok = is(scalar @recs, 0, "no '$top' failures");
	next if $ok;
	my %per = map { $_ => scalar @{ $failures{$_} } } @subs;
	d("$top: " . scalar(@recs) . ' failures' . (@subs > 1 || $subs[0] ne $top ? ' (' . join(', ', map { "$_ x$per{$_}" } sort @subs) . ')' : '')
		  . "; seed $seed; all of them in $file");
	# in full: one example of each distinct message shape (at most 6) ...
	my %seen;
	my @brief;
	for my $f (@recs)
	{
		(my $shape = ($f->{detail} // '') . ' ' . ($f->{state} // '') . ' ' . ($f->{msg} // '')) =~ s/\d+/N/g;
		if (!$seen{ substr($shape, 0, 120) }++ && keys %seen <= 6)
		{
			d('  ' . format_rec($f, 200));
		}
		else
		{
			push @brief, $f;
		}
	}
	# ... and every other one on a line
	for my $f (@brief[ 0 .. min(29, $#brief) ])
	{
		d("  [$f->{cat}] iter=$f->{iter} step=$f->{step}: " . show($f->{detail}, 110)
			  . (defined $f->{state} && $f->{state} ne '' ? " ($f->{state})" : '')
			  . (defined $f->{binds} && @{ $f->{binds} } ? ' input ' . show(join(' | ', map { $_ // 'NULL' } @{ $f->{binds} }), 100) : ''));
	}
	d('  ... and ' . (@brief - 30) . " more in $file") if @brief > 30;
	my %iseen;
	my @iters = grep { /^\d+$/ && !$iseen{$_}++ } map { $_->{iter} } @recs;
	d("  replay: CC_FUZZ_SEED=$seed CC_FUZZ_ONLY=" . join(',', @iters[ 0 .. min(4, $#iters) ])
		  . ' PROVE_TESTS=t/014_fuzz.pl make installcheck') if @iters;
}
ok($done > 0, "$done iterations ran (seed $seed)");

$node->stop('immediate') if !$alive;
$node->stop;
done_testing();
