#!/usr/bin/perl
# A randomized DDL + DML differential test of cascade_cache invalidation.
#
#   test/ddl_differential.pl --host H --port P [--dbname D] [--user U]
#                            [--ops N] [--seed S] [--stop] [--plain]
#                            [--quiet] [--verbose]
#                            [--standby-host H] [--standby-port P]
#                            [--prepared F] [--cascades F] [--watch]
#
# Objects in two schemas (s1 before s2 on every session's search_path):
# tables with a domain column, an enum column, a generated column and a
# "C"-collated column, views, SQL functions (inlined and not, overloaded),
# an inheritance tree, a partitioned table, a table with row-level security
# (key_settings must name app.tenant), a materialized view, a composite
# type, a collation and a text search configuration; user-defined
# operators, casts (also to temporary types), aggregates, operator classes
# and families, default privileges, BEGIN ATOMIC bodies, SET clauses,
# SECURITY DEFINER functions, RETURNS TABLE, composite results, domains
# checked by functions, range types, row-level security with subqueries,
# security_barrier and check-option views, foreign keys.  A pool of read
# queries names them unqualified.  Three reader contexts call them through
# cached_query(): the superuser, a login role "ddl_alice" (not a superuser)
# and the superuser after SET ROLE ddl_bob.  Two writer sessions run random
# transactions of DML and DDL (commit, rollback, savepoints rolled back or
# released, or a share --prepared of them, 0.12 by default, prepared and
# later committed or rolled back by another session); some transactions
# also compare cached_query() with a fresh run inside the transaction,
# before it commits.  A share --cascades of the writers' steps (0.05) are
# cascades, relation invalidations and flushes; --watch watches two tables
# (precise invalidation) and adds DDL that disables their triggers,
# unwatches and watches them, sets session_replication_role and
# precise_invalidation, and creates and drops an index.
#
# With --standby-port, the readers and the checks run on a hot standby of
# the server (--standby-host, by default --host): before every check the
# checker waits until the standby has replayed the primary's WAL insert
# position.  Readers wait at most 50 ms for a lock (a prepared transaction,
# or on a standby a replayed lock, can hold one); a comparison where a side
# fails with a lock timeout, a recovery conflict or a cancel is skipped and
# counted (lock_skipped).
#
# After every commit, for every (query, params, reader) called so far,
# cached_query() is compared with a fresh run of the same call in the same
# session with cascade_cache.enabled off.  An error is part of the result
# (SQLSTATE and message): an error on one side only is a difference, the
# same error on both is not.  A difference is printed with the last
# operations; then the cache is flushed and the run goes on (or, with
# --stop, exits 1).  The same --seed replays the same operations.  With
# --plain, a result on which both agree is also compared with the query
# run as plain SQL.  The exit status is 1 if there was any difference.
#
# Summary line:
#   ddl_differential: seed=S ops=N commits=C rollbacks=R checks=K compared=M
#                     hits=H unstable_skipped=U transient_mismatches=T
#                     differences=D prepared=P standby_hits=SH lock_skipped=L
# (hits: on the primary; standby_hits: on the standby, 0 without one)
use strict;
use warnings;
use DBI;
use Getopt::Long;
$| = 1;

my %opt = (host => '127.0.0.1', port => 5432, dbname => 'postgres',
	user => undef, ops => 2000, seed => undef, quiet => 0, stop => 0,
	verbose => 0, plain => 0, 'standby-host' => undef, 'standby-port' => undef,
	prepared => 0.12, cascades => 0.05, watch => 0);
GetOptions(\%opt, 'host=s', 'port=i', 'dbname=s', 'user=s', 'ops=i',
	'seed=i', 'quiet', 'stop', 'verbose', 'plain', 'standby-host=s',
	'standby-port=i', 'prepared=f', 'cascades=f', 'watch')
  or die "usage: $0 --host H --port P [--ops N] [--seed S] [--stop]\n";
my $seed = $opt{seed} // (time() ^ ($$ << 8)) % 1000000000;
srand($seed);
print "ddl_differential: seed $seed, $opt{ops} operations\n" unless $opt{quiet};

my @log;
sub note_op
{
	my ($text) = @_;
	push @log, $text;
	shift @log if @log > 30;
	print "  $text\n" if $opt{verbose};
}

sub rnd { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub pick { return $_[ int(rand(@_)) ]; }

sub connect_session
{
	my ($name, $user, %set) = @_;
	my $standby = delete $set{_standby};
	my ($h, $pt) = ($standby && defined $opt{'standby-port'})
	  ? ($opt{'standby-host'} // $opt{host}, $opt{'standby-port'})
	  : ($opt{host}, $opt{port});
	my $dsn = "dbi:Pg:dbname=$opt{dbname};host=$h;port=$pt";
	my $dbh = DBI->connect($dsn, $user // $opt{user}, undef,
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0 })
	  or die "cannot connect: $DBI::errstr\n";
	$dbh->{pg_server_prepare} = 0;
	$dbh->do("SET application_name = 'ddl_differential $name'");
	$dbh->do("SET client_min_messages = error");
	$dbh->do("SET lock_timeout = '2s'");
	$dbh->do("SET search_path = s1, s2, public");
	$dbh->do("SET $_ = " . $dbh->quote($set{$_})) for sort keys %set;
	return { name => $name, dbh => $dbh };
}

# ------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------
my @base_functions = (
	"CREATE OR REPLACE FUNCTION s2.f_const() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1'",
	"CREATE OR REPLACE FUNCTION s2.f_sum() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT sum(v) FROM t'",
	"CREATE OR REPLACE FUNCTION s2.f_add(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + 1'",
	"CREATE OR REPLACE FUNCTION s2.f_add(numeric) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 100'",
	"CREATE OR REPLACE FUNCTION s2.f_rows(int) RETURNS SETOF s2.t LANGUAGE sql STABLE AS 'SELECT * FROM t WHERE v > \$1'",
	"CREATE OR REPLACE FUNCTION s2.f_name(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT name FROM t WHERE id = \$1'",
	"CREATE OR REPLACE FUNCTION s2.f_w() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM w'",
	"CREATE OR REPLACE FUNCTION s2.f_clock() RETURNS text LANGUAGE sql STABLE AS 'SELECT ''k''::text'",
	"CREATE OR REPLACE FUNCTION s2.f_def(a text DEFAULT 'd') RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT a'",
);
my @base_views = (
	"CREATE OR REPLACE VIEW s2.v1 AS SELECT id, v, name FROM t WHERE v % 2 = 0",
	"CREATE OR REPLACE VIEW s2.v2 AS SELECT t.id, u.w FROM t JOIN u ON u.t_id = t.id",
	"CREATE OR REPLACE VIEW s2.vsec AS SELECT id, val FROM secret",
);

my $admin = connect_session('admin');
my $d = $admin->{dbh};
my $waiter = defined $opt{'standby-port'}
  ? connect_session('waiter', undef, _standby => 1) : undef;
my %rstats = (wait_s => 0, waits => 0, lockskip => 0);

# wait until the standby has replayed everything the primary has inserted
# (nothing to wait for without one)
sub wait_replay
{
	return unless $waiter;
	my ($lsn) = $admin->{dbh}->selectrow_array('SELECT pg_current_wal_insert_lsn()');
	my $t0 = time;
	for (my $i = 0;; $i++)
	{
		last if $waiter->{dbh}->selectrow_array('SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn', undef, $lsn);
		die "replay does not catch up to $lsn\n" if $i > 60000;
		select(undef, undef, undef, 0.001);
	}
	$rstats{waits}++;
}
for my $r (qw(ddl_alice ddl_bob ddl_boss))
{
	if ($d->selectrow_array("SELECT 1 FROM pg_roles WHERE rolname = ?", undef, $r))
	{
		$d->do("DROP OWNED BY $r CASCADE");
		$d->do("DROP ROLE $r");
	}
}
for my $sqlst (
	"CREATE EXTENSION IF NOT EXISTS cascade_cache",
	"ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC",
	"DROP SCHEMA IF EXISTS s1 CASCADE",
	"DROP SCHEMA IF EXISTS s2 CASCADE",
	"CREATE ROLE ddl_alice LOGIN",
	"CREATE ROLE ddl_bob",
	"CREATE ROLE ddl_boss",
	"GRANT USAGE ON SCHEMA cascade_cache TO ddl_alice, ddl_bob",
	"GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text) TO ddl_alice, ddl_bob",
	"CREATE SCHEMA s1",
	"CREATE SCHEMA s2",
	"GRANT USAGE ON SCHEMA s1, s2 TO ddl_alice, ddl_bob, ddl_boss",
	"CREATE TYPE s2.mood AS ENUM ('sad', 'ok', 'happy')",
	"CREATE TYPE s2.pair AS (a int, b text)",
	"CREATE DOMAIN s2.posint AS int CHECK (VALUE > 0)",
	"CREATE COLLATION s2.mycoll FROM \"C\"",
	"CREATE TEXT SEARCH CONFIGURATION s2.mycfg (COPY = english)",
	"CREATE TABLE s2.t (id int PRIMARY KEY, v int NOT NULL, name text COLLATE \"C\",
	                    m s2.mood, p s2.posint, g int GENERATED ALWAYS AS (v * 2) STORED,
	                    body text)",
	"INSERT INTO s2.t (id, v, name, m, p, body)
	   SELECT g, g % 7, (ARRAY['b','A','a','B','c','_x'])[1 + g % 6] || g,
	          (ARRAY['sad','ok','happy'])[1 + g % 3]::s2.mood, 1 + g % 50,
	          (ARRAY['the cats are running','a dog runs','jumping foxes','simple words'])[1 + g % 4]
	     FROM generate_series(1, 20) g",
	"CREATE TABLE s2.u (id int PRIMARY KEY, t_id int, w int)",
	"INSERT INTO s2.u SELECT g, 1 + g % 20, g * 3 FROM generate_series(1, 15) g",
	"CREATE TABLE s2.w (x int, y text)",
	"INSERT INTO s2.w VALUES (1, 's2.w one'), (2, 's2.w two')",
	"CREATE TABLE s1.holder (x int, y text)",
	"CREATE TABLE s2.parent (id int, val int)",
	"CREATE TABLE s2.child1 () INHERITS (s2.parent)",
	"CREATE TABLE s2.child2 () INHERITS (s2.parent)",
	"CREATE TABLE s2.orphan (id int, val int)",
	"INSERT INTO s2.parent VALUES (1, 10)",
	"INSERT INTO s2.child1 VALUES (2, 20), (3, 30)",
	"INSERT INTO s2.child2 VALUES (4, 40)",
	"INSERT INTO s2.orphan VALUES (5, 50)",
	"CREATE TABLE s2.pt (k int, val int) PARTITION BY RANGE (k)",
	"CREATE TABLE s2.pt1 PARTITION OF s2.pt FOR VALUES FROM (0) TO (100)",
	"CREATE TABLE s2.pt2 PARTITION OF s2.pt FOR VALUES FROM (100) TO (200)",
	"CREATE TABLE s2.pt3 (k int, val int)",
	"INSERT INTO s2.pt VALUES (5, 1), (150, 2)",
	"INSERT INTO s2.pt3 VALUES (250, 3)",
	"CREATE TABLE s2.secret (id int, tenant text, val int)",
	"INSERT INTO s2.secret SELECT g, (ARRAY['a','b'])[1 + g % 2], g * 10 FROM generate_series(1, 8) g",
	"ALTER TABLE s2.secret ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY p_tenant ON s2.secret USING (tenant = current_setting('app.tenant'))",
	"CREATE TABLE s2.docs (id int PRIMARY KEY, body text)",
	"INSERT INTO s2.docs VALUES (1, 'the cats are running'), (2, 'a dog runs'), (3, 'simple words here')",
	"CREATE MATERIALIZED VIEW s2.mv AS SELECT v, count(*) AS n FROM s2.t GROUP BY v",
	"CREATE UNIQUE INDEX mv_v ON s2.mv (v)",
	# operators, casts, aggregates, operator classes
	"CREATE FUNCTION s2.op_eq3(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 * 10 + \$2'",
	"CREATE FUNCTION s2.op_neg(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -(\$1 * 10 + \$2)'",
	"CREATE FUNCTION s2.op_eq3n(int, numeric) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -1'",
	"CREATE OPERATOR s2.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = s2.op_eq3)",
	"CREATE TYPE s2.color AS ENUM ('red', 'green', 'blue')",
	"CREATE FUNCTION s2.int2color(int) RETURNS s2.color LANGUAGE sql IMMUTABLE AS 'SELECT (enum_range(NULL::s2.color))[1 + \$1 % 3]'",
	"CREATE FUNCTION s2.h2(numeric, numeric) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''num-num'''",
	"CREATE FUNCTION s2.h2(s2.color, int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''color-int'''",
	"CREATE FUNCTION s2.hc(s2.color) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''color:'' || \$1::text'",
	"CREATE FUNCTION s2.hc(numeric) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''numeric'''",
	"CREATE FUNCTION s2.agg_sf(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + \$2'",
	"CREATE FUNCTION s2.agg_sf2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + 2 * \$2'",
	"CREATE AGGREGATE s2.myagg(int) (SFUNC = s2.agg_sf, STYPE = int, INITCOND = '0')",
	"CREATE FUNCTION s2.revcmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT btint4cmp(\$2, \$1)'",
	"CREATE OPERATOR s2.<<< (LEFTARG = int, RIGHTARG = int, FUNCTION = int4gt)",
	"CREATE OPERATOR s2.>>> (LEFTARG = int, RIGHTARG = int, FUNCTION = int4lt)",
	"CREATE OPERATOR CLASS s2.int_rev FOR TYPE int USING btree AS OPERATOR 1 s2.<<<, OPERATOR 3 =, OPERATOR 5 s2.>>>, FUNCTION 1 s2.revcmp(int, int)",
	"CREATE FUNCTION s2.colorcmp_rev(s2.color, s2.color) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT enum_cmp(\$2, \$1)'",
	"CREATE FUNCTION s2.c_enum_gt(s2.color, s2.color) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT enum_gt(\$1, \$2)'",
	"CREATE OPERATOR s2.<# (LEFTARG = s2.color, RIGHTARG = s2.color, FUNCTION = s2.c_enum_gt)",
	"CREATE FUNCTION s2.c_enum_lt(s2.color, s2.color) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT enum_lt(\$1, \$2)'",
	"CREATE OPERATOR s2.># (LEFTARG = s2.color, RIGHTARG = s2.color, FUNCTION = s2.c_enum_lt)",
	"CREATE FUNCTION s2.c_enum_eq(s2.color, s2.color) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT enum_eq(\$1, \$2)'",
	"CREATE OPERATOR s2.=# (LEFTARG = s2.color, RIGHTARG = s2.color, FUNCTION = s2.c_enum_eq)",
	"CREATE TABLE s2.tc (id int, c s2.color)",
	"INSERT INTO s2.tc SELECT g, (ARRAY['red','green','blue'])[1 + g % 3]::s2.color FROM generate_series(1, 6) g",
	# SQL-standard bodies, SET clauses, SECURITY DEFINER, RETURNS TABLE
	"CREATE FUNCTION s2.f_atomic(int) RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM t WHERE v > \$1; END",
	"CREATE FUNCTION s2.f_set() RETURNS text LANGUAGE sql STABLE SET DateStyle = 'SQL, DMY' AS 'SELECT ''2020-01-02''::date::text'",
	"CREATE FUNCTION s2.f_sectenant() RETURNS bigint LANGUAGE sql STABLE SET app.tenant = 'b' AS 'SELECT count(*) FROM secret'",
	"CREATE FUNCTION s2.f_secdef() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER AS 'SELECT count(*) FROM s2.secret'",
	"CREATE FUNCTION s2.f_secdef_u() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER AS 'SELECT count(*) FROM s2.u'",
	"CREATE FUNCTION s2.f_tab(int) RETURNS TABLE (id int, v int) LANGUAGE sql STABLE AS 'SELECT id, v FROM t WHERE v = \$1'",
	"CREATE FUNCTION s2.f_pair() RETURNS s2.pair LANGUAGE sql STABLE AS 'SELECT ROW(1, ''a'')::s2.pair'",
	# domains checked by a function
	"CREATE FUNCTION s2.dcheck(int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT \$1 < 50'",
	"CREATE DOMAIN s2.small AS int CONSTRAINT small_check CHECK (s2.dcheck(VALUE))",
	# range types
	"CREATE FUNCTION s2.idiff(int, int) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT (\$1 - \$2)::float8'",
	"CREATE TYPE s2.irange2 AS RANGE (subtype = int4, subtype_diff = s2.idiff)",
	# RLS with a subquery on another table
	"CREATE TABLE s2.tenants (tenant text, active bool)",
	"INSERT INTO s2.tenants VALUES ('a', true), ('b', true)",
	"CREATE TABLE s2.secret2 (id int, tenant text, val int)",
	"INSERT INTO s2.secret2 SELECT g, (ARRAY['a','b','c'])[1 + g % 3], g FROM generate_series(1, 9) g",
	"ALTER TABLE s2.secret2 ENABLE ROW LEVEL SECURITY",
	"CREATE POLICY p_sub ON s2.secret2 USING (tenant IN (SELECT tenant FROM s2.tenants WHERE active))",
	# foreign keys with cascades
	"CREATE TABLE s2.fkp (id int PRIMARY KEY)",
	"INSERT INTO s2.fkp SELECT generate_series(1, 10)",
	"CREATE TABLE s2.fkc (id int, p int CONSTRAINT fkc_p_fkey REFERENCES s2.fkp ON DELETE CASCADE ON UPDATE CASCADE)",
	"INSERT INTO s2.fkc SELECT g, 1 + g % 10 FROM generate_series(1, 20) g",
	# views with options
	"CREATE VIEW s2.vbar WITH (security_barrier) AS SELECT id, val FROM s2.secret2 WHERE val > 2",
	"CREATE VIEW s2.vchk AS SELECT id, v FROM s2.t WHERE v < 4 WITH CHECK OPTION",
	"GRANT SELECT ON s2.tenants TO PUBLIC",
	"CREATE TABLE s2.pair2 (a int, b text)",
	"SET search_path = s1, s2, public",
	@base_functions,
	@base_views,
	"CREATE FUNCTION s2.f_v1() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM v1'",
	"GRANT SELECT ON ALL TABLES IN SCHEMA s2 TO ddl_alice, ddl_bob",
	"GRANT SELECT ON s2.t TO ddl_boss",
	"REVOKE SELECT ON s2.u FROM ddl_bob",
	"ANALYZE",
	($opt{watch} ? ("SELECT cascade_cache.cascade_watch('s2.t')", "SELECT cascade_cache.cascade_watch('s2.u')") : ()),
	"SELECT cascade_cache.cache_flush()")
{
	eval { $d->do($sqlst); 1 } or die "setup failed: $sqlst: " . $d->errstr . "\n";
}

# ------------------------------------------------------------------
# Reads: the pool
# ------------------------------------------------------------------
my @pool = (
	[ 'SELECT id, v, name, m, p, g FROM t ORDER BY id', sub { '[]' } ],
	[ 'SELECT * FROM t WHERE id = $1', sub { '[' . rnd(1, 22) . ']' } ],
	[ 'SELECT * FROM t ORDER BY id LIMIT 3', sub { '[]' } ],
	[ 'SELECT * FROM v1 ORDER BY id', sub { '[]' } ],
	[ 'SELECT * FROM v2 ORDER BY id, w', sub { '[]' } ],
	[ 'SELECT f_const() AS x', sub { '[]' } ],
	[ 'SELECT f_sum() AS s', sub { '[]' } ],
	[ 'SELECT f_add(1) AS a, f_add(1.5) AS b', sub { '[]' } ],
	[ 'SELECT f_add($1::int) AS a', sub { '[' . rnd(1, 3) . ']' } ],
	[ 'SELECT id, v FROM f_rows($1) ORDER BY id', sub { '[' . rnd(3, 6) . ']' } ],
	[ 'SELECT f_name($1) AS n', sub { '[' . rnd(1, 5) . ']' } ],
	[ 'SELECT f_w() AS n', sub { '[]' } ],
	[ 'SELECT id, val FROM parent ORDER BY id, val', sub { '[]' } ],
	[ 'SELECT count(*) AS n, sum(val) AS s FROM parent', sub { '[]' } ],
	[ 'SELECT k, val FROM pt ORDER BY k, val', sub { '[]' } ],
	[ 'SELECT count(*) AS n FROM pt WHERE k >= $1', sub { '[' . pick(0, 120, 220) . ']' } ],
	[ 'SELECT id, val FROM secret ORDER BY id', sub { '[]' } ],
	[ 'SELECT id, val FROM vsec ORDER BY id', sub { '[]' } ],
	[ 'SELECT $1::posint AS d', sub { '[' . pick(5, 0, 150) . ']' } ],
	[ q{SELECT 'happy'::mood AS m, enum_range(NULL::mood)::text AS r}, sub { '[]' } ],
	[ 'SELECT m::text AS m, count(*) AS n FROM t GROUP BY m ORDER BY m', sub { '[]' } ],
	[ q{SELECT '(1,x)'::pair AS p, (ROW(2, 'y')::pair).b AS b}, sub { '[]' } ],
	[ 'SELECT v, n FROM mv ORDER BY v', sub { '[]' } ],
	[ 'SELECT name FROM t ORDER BY name, id', sub { '[]' } ],
	[ 'SELECT name FROM t ORDER BY name COLLATE mycoll, id', sub { '[]' } ],
	[ 'SELECT id FROM docs WHERE to_tsvector(\'english\', body) @@ to_tsquery(\'english\', $1) ORDER BY id',
		sub { '["' . pick('run', 'cat', 'word') . '"]' } ],
	[ 'SELECT id FROM t WHERE to_tsvector(\'mycfg\', body) @@ to_tsquery(\'mycfg\', $1) ORDER BY id',
		sub { '["' . pick('run', 'cats', 'jump') . '"]' } ],
	[ 'SELECT NULL::t AS r', sub { '[]' } ],
	[ 'SELECT to_jsonb(t.*) AS j FROM t WHERE id = 1', sub { '[]' } ],
	[ 'SELECT x, y FROM w ORDER BY x', sub { '[]' } ],
	[ 'SELECT count(*) AS n FROM t WHERE false', sub { '[]' } ],
	[ 'SELECT count(*) AS n FROM u', sub { '[]' } ],
	[ 'SELECT t.id, u.w FROM t JOIN u ON u.t_id = t.id WHERE t.id = $1 ORDER BY u.w', sub { '[' . rnd(1, 16) . ']' } ],
	[ 'SELECT id, v FROM t WHERE v = $1 ORDER BY id', sub { '[' . rnd(0, 6) . ']' } ],
	[ "SELECT 'x'::text COLLATE mycoll < 'y' AS c", sub { '[]' } ],
	[ 'SELECT f_clock() AS c', sub { '[]' } ],
	[ 'SELECT f_def() AS d', sub { '[]' } ],
	[ 'SELECT id, name FROM v1 WHERE v < 2 ORDER BY id', sub { '[]' } ],
	[ 'SELECT count(*) AS n FROM secret', sub { '[]' } ],
	[ 'SELECT 3 === 4 AS o', sub { '[]' } ],
	[ 'SELECT 3 === 4.5 AS o', sub { '[]' } ],
	[ 'SELECT $1::int === 2 AS o', sub { '[' . rnd(1, 3) . ']' } ],
	[ 'SELECT h2(1, 1) AS r', sub { '[]' } ],
	[ 'SELECT hc(2) AS r', sub { '[]' } ],
	[ 'SELECT 2::color::text AS c', sub { '[]' } ],
	[ 'SELECT myagg(v) AS a FROM t', sub { '[]' } ],
	[ 'SELECT v, myagg(id) AS a FROM t GROUP BY v ORDER BY v', sub { '[]' } ],
	[ 'SELECT myagg(x::int) AS a FROM w', sub { '[]' } ],
	[ 'SELECT id, v FROM t ORDER BY v USING <<<, id', sub { '[]' } ],
	[ 'SELECT id, c::text AS c FROM tc ORDER BY c, id', sub { '[]' } ],
	[ 'SELECT DISTINCT c::text AS c FROM tc ORDER BY 1', sub { '[]' } ],
	[ 'SELECT id, c::text AS c FROM tc ORDER BY c USING <#, id', sub { '[]' } ],
	[ 'SELECT array_agg(c ORDER BY c)::text AS a FROM tc', sub { '[]' } ],
	[ 'SELECT f_atomic($1) AS n', sub { '[' . rnd(1, 4) . ']' } ],
	[ 'SELECT f_set() AS d', sub { '[]' } ],
	[ 'SELECT f_sectenant() AS n', sub { '[]' } ],
	[ 'SELECT f_secdef() AS n', sub { '[]' } ],
	[ 'SELECT f_secdef_u() AS n', sub { '[]' } ],
	[ 'SELECT id, v FROM f_tab($1) ORDER BY id', sub { '[' . rnd(0, 3) . ']' } ],
	[ 'SELECT (f_pair()).*', sub { '[]' } ],
	[ 'SELECT f_pair() AS p', sub { '[]' } ],
	[ 'SELECT f_v1() AS n', sub { '[]' } ],
	[ 'SELECT $1::small AS s', sub { '[' . pick(5, 60, 150) . ']' } ],
	[ q{SELECT ('[1,5)'::irange2 * '[3,9)'::irange2)::text AS r, '{[1,2),[3,4)}'::irange2_multirange::text AS m}, sub { '[]' } ],
	[ q{SELECT '[1,5)'::irange2 AS r}, sub { '[]' } ],
	[ 'SELECT id, val FROM secret2 ORDER BY id', sub { '[]' } ],
	[ 'SELECT id, val FROM vbar ORDER BY id', sub { '[]' } ],
	[ 'SELECT id, v FROM vchk ORDER BY id', sub { '[]' } ],
	[ 'SELECT count(*) AS n, sum(p) AS s FROM fkc', sub { '[]' } ],
	[ 'SELECT id, p FROM fkc WHERE p = $1 ORDER BY id', sub { '[' . rnd(1, 12) . ']' } ],
	[ q{SELECT ROW(1, 'x')::pair AS p}, sub { '[]' } ],
	[ q{SELECT '{"(1,a)"}'::_pair2 AS a}, sub { '[]' } ],
);

# reader contexts, on the standby, once it has replayed the setup
wait_replay();
my @readers = (
	connect_session('su', undef, 'app.tenant' => 'a', _standby => 1),
	connect_session('alice', 'ddl_alice', 'app.tenant' => 'a', _standby => 1),
	connect_session('bob', undef, 'app.tenant' => 'b', _standby => 1),
);
$_->{dbh}->do("SET lock_timeout = '50ms'") for @readers;
$readers[2]{dbh}->do("SET ROLE ddl_bob");
my %tracked;    # reader name => { "q\tp" => 1 }
my %order;      # reader name => [ keys ]

sub track
{
	my ($s, $q, $p) = @_;
	my $k = "$q\t$p";
	return if $tracked{ $s->{name} }{$k};
	$tracked{ $s->{name} }{$k} = 1;
	push @{ $order{ $s->{name} } }, $k;
}

# run one cached_query call; the result, or "ERROR sqlstate: message"
sub call
{
	my ($dbh, $q, $p) = @_;
	my $r;
	my $inx = !$dbh->{AutoCommit};
	$dbh->do("SAVEPOINT cq") if $inx;
	if (eval { ($r) = $dbh->selectrow_array(
			"SELECT cascade_cache.cached_query(?, ?::jsonb)::text", undef, $q, $p); 1 })
	{
		$dbh->do("RELEASE SAVEPOINT cq") if $inx;
		return $r // 'NULL';
	}
	my $msg = $dbh->errstr // "$@";
	$dbh->do("ROLLBACK TO SAVEPOINT cq") if $inx;
	$msg =~ s/\n.*//s;
	return 'ERROR ' . ($dbh->state // '?') . ": $msg";
}

sub fresh
{
	my ($dbh, $q, $p) = @_;
	$dbh->do("SET cascade_cache.enabled = off");
	my $r = call($dbh, $q, $p);
	$dbh->do("SET cascade_cache.enabled = on");
	return $r;
}

# the same query run plainly, without cached_query: its rows as a jsonb
# array, or the first line of its error
sub plain
{
	my ($dbh, $q, $p) = @_;
	my @binds = map { $_ } @{ decode_params($p) };
	my $r;
	my $inx = !$dbh->{AutoCommit};
	$dbh->do("SAVEPOINT pq") if $inx;
	if (eval { ($r) = $dbh->selectrow_array(
			"SELECT coalesce(jsonb_agg(to_jsonb(plain_q.*)), '[]')::text FROM ($q) plain_q", undef, @binds); 1 })
	{
		$dbh->do("RELEASE SAVEPOINT pq") if $inx;
		return $r // 'NULL';
	}
	my $msg = $dbh->errstr // "$@";
	$msg =~ s/\n.*//s;
	$dbh->do("ROLLBACK TO SAVEPOINT pq") if $inx;
	return 'ERROR ' . ($dbh->state // '?') . ": $msg";
}

# the pool's params are JSON arrays of numbers and plain strings
sub decode_params
{
	my ($p) = @_;
	my @v;
	while ($p =~ /("([^"]*)"|-?[0-9.]+)/g) { push @v, defined $2 ? $2 : $1; }
	return \@v;
}

sub read_op
{
	my $s = pick(@readers);
	my $e = pick(@pool);
	my $p = $e->[1]->();
	my $r = call($s->{dbh}, $e->[0], $p);
	track($s, $e->[0], $p);
	note_op("$s->{name}: read $e->[0] $p" . ($r =~ /^ERROR/ ? " -- $r" : ''));
}

# ------------------------------------------------------------------
# The check
# ------------------------------------------------------------------
my %stats = (unstable => 0, transient => 0, ops => 0, commits => 0, rollbacks => 0, checks => 0,
	compared => 0, differences => 0);
my %diff_seen;

sub report
{
	my ($why, $who, $q, $p, $c, $f) = @_;
	$stats{differences}++;
	print "ddl_differential: DIFFERENCE after $why (seed $seed, operation $stats{ops}, reader $who)\n";
	print "  query:  $q\n  params: $p\n  cached: $c\n  fresh:  $f\n";
	print "  last operations:\n";
	print "    $_\n" for @log;
	if ($opt{stop})
	{
		print "ddl_differential: replay with --seed $seed\n";
		exit 1;
	}
	$admin->{dbh}->do("SELECT cascade_cache.cache_flush()");
	wait_replay();
}

sub check_all
{
	my ($why) = @_;
	$stats{checks}++;
	wait_replay();
	for my $s (@readers)
	{
		for my $k (@{ $order{ $s->{name} } // [] })
		{
			my ($q, $p) = split /\t/, $k, 2;
			my $c = call($s->{dbh}, $q, $p);
			# a result that changes from one call to the next (the clock)
			# must not be served twice: compare only what is served again
			my $c0 = call($s->{dbh}, $q, $p);
			if ($c0 ne $c && $c !~ /^ERROR/ && $c0 !~ /^ERROR/)
			{
				$stats{unstable}++;
				next;
			}
			my $f = fresh($s->{dbh}, $q, $p);
			if (grep { /^ERROR (55P03|40001|57014)/ } ($c, $c0, $f))
			{
				$rstats{lockskip}++;
				next;
			}
			$stats{compared}++;
			if ($c ne $f)
			{
				# PostgreSQL 15 resolves a session's search path again
				# lazily (not after a role membership change, but when a
				# SECURITY DEFINER function or SET ROLE switches the user):
				# the first of two calls can resolve a name the second does
				# not, in plain SQL as through the cache.  Such a mismatch
				# goes away on a second look, where the cached call changes
				# to the fresh one; a stale hit would be served again.
				my $c2 = call($s->{dbh}, $q, $p);
				my $f2 = fresh($s->{dbh}, $q, $p);
				if ($c2 eq $f2 && $c2 ne $c)
				{
					$stats{transient}++;
					note_op("$s->{name}: transient mismatch: $q $p: $c / $f");
					next;
				}
			}
			report($why, $s->{name}, $q, $p, $c, $f) if $c ne $f;
			if ($opt{plain} && $c eq $f && $f !~ /^ERROR/)
			{
				my $pl = plain($s->{dbh}, $q, $p);
				report("$why (cached_query and enabled=off agree, plain SQL differs)", $s->{name}, $q, $p, $c, $pl)
				  if $pl ne $f && !($q =~ /^SELECT '\(1,x\)'|NULL::t/);
			}
		}
	}
}

# inside an open transaction of a writer: compare a few pool queries
sub check_in_xact
{
	my ($w) = @_;
	for (1 .. 3)
	{
		my $e = pick(@pool);
		my $p = $e->[1]->();
		my $c = call($w->{dbh}, $e->[0], $p);
		my $f = fresh($w->{dbh}, $e->[0], $p);
		$stats{compared}++;
		note_op("$w->{name}: in-transaction check $e->[0] $p");
		report('an in-transaction check', $w->{name}, $e->[0], $p, $c, $f) if $c ne $f;
	}
}

# ------------------------------------------------------------------
# Writes
# ------------------------------------------------------------------
my $next_id = 1000;

sub random_dml
{
	my $id = rnd(1, 22);
	return pick(
		"INSERT INTO s2.t (id, v, name, m, p, body) VALUES (" . ($next_id++) . ", " . rnd(0, 6) . ", 'n" . rnd(1, 9) . "', 'ok', " . rnd(1, 60) . ", 'running cats')",
		"UPDATE s2.t SET v = " . rnd(0, 6) . " WHERE id = $id",
		"UPDATE s2.t SET name = " . pick("'Z'", "'a0'", "NULL", "'_'") . " WHERE id = $id",
		"UPDATE s2.t SET m = '" . pick('sad', 'ok', 'happy') . "' WHERE id = $id",
		"DELETE FROM s2.t WHERE id = $id",
		"INSERT INTO s2.u VALUES (" . ($next_id++) . ", $id, " . rnd(1, 99) . ")",
		"UPDATE s2.u SET w = w + 1 WHERE t_id = $id",
		"INSERT INTO s2.w VALUES (" . rnd(3, 9) . ", 'w new')",
		"DELETE FROM s2.w WHERE x = " . rnd(1, 9),
		"INSERT INTO s1.holder VALUES (" . rnd(1, 9) . ", 'holder')",
		"INSERT INTO s2." . pick('parent', 'child1', 'child2', 'orphan') . " VALUES (" . rnd(1, 9) . ", " . rnd(1, 99) . ")",
		"DELETE FROM s2." . pick('parent', 'child1', 'child2', 'orphan') . " WHERE id = " . rnd(1, 9),
		"INSERT INTO s2.pt VALUES (" . rnd(0, 199) . ", " . rnd(1, 9) . ")",
		"INSERT INTO s2.pt3 VALUES (" . rnd(200, 299) . ", " . rnd(1, 9) . ")",
		"DELETE FROM s2.pt WHERE k = (SELECT min(k) FROM s2.pt)",
		"INSERT INTO s2.secret VALUES (" . ($next_id++) . ", '" . pick('a', 'b') . "', " . rnd(1, 99) . ")",
		"UPDATE s2.secret SET tenant = '" . pick('a', 'b') . "' WHERE id = " . rnd(1, 8),
		"INSERT INTO s2.docs VALUES (" . ($next_id++) . ", '" . pick('cats run', 'jumping words', 'nothing') . "')",
		"UPDATE s2.t SET body = '" . pick('cats jump', 'words run', 'xyz') . "' WHERE id = $id",
		"REFRESH MATERIALIZED VIEW s2.mv",
		"UPDATE s2.tenants SET active = NOT active WHERE tenant = '" . pick('a', 'b') . "'",
		"INSERT INTO s2.tenants VALUES ('c', true)",
		"DELETE FROM s2.tenants WHERE tenant = 'c'",
		"UPDATE s2.secret2 SET val = val + 1 WHERE id = " . rnd(1, 9),
		"DELETE FROM s2.fkp WHERE id = " . rnd(1, 12),
		"INSERT INTO s2.fkp VALUES (" . rnd(1, 12) . ") ON CONFLICT DO NOTHING",
		"UPDATE s2.fkp SET id = id + 100 WHERE id = " . rnd(1, 12),
		"INSERT INTO s2.fkc SELECT " . rnd(30, 90) . ", min(id) FROM s2.fkp",
		"INSERT INTO s2.tc VALUES (" . rnd(7, 20) . ", '" . pick('red', 'green', 'blue') . "')",
		"DELETE FROM s2.tc WHERE id = " . rnd(1, 20),
		"INSERT INTO s2.vchk (id, v) VALUES (" . ($next_id++) . ", " . rnd(0, 5) . ")",
	);
}

sub view_body
{
	return pick(
		"SELECT id, v, name FROM t WHERE v % 2 = 0",
		"SELECT id, v, name FROM t WHERE v % 2 = 1",
		"SELECT id, v + 100 AS v, name FROM t WHERE v < 3",
		"SELECT id, v, upper(name) AS name FROM t",
		"SELECT id, v, name FROM w JOIN t ON t.id = w.x",
		"SELECT id, v, now()::text AS name FROM t WHERE v < 2",
		"SELECT id, v, name FROM t WHERE random() < 2 AND v < 2",
		"SELECT id, v, f_clock() AS name FROM t WHERE v < 2",
	);
}

sub random_ddl
{
	my $k = rnd(1, 9);
	my $role = pick('ddl_alice', 'ddl_bob', 'ddl_boss');
	my @d = (
		# views
		[ "CREATE OR REPLACE VIEW v1 AS " . view_body() ],
		[ "CREATE OR REPLACE VIEW s2.v2 AS SELECT t.id, u.w " . pick('+ 0', '* 2', '- 1') . " AS w FROM t JOIN u ON u.t_id = t.id" ],
		[ "DROP VIEW IF EXISTS s2.v1", "CREATE VIEW s2.v1 AS " . view_body() ],
		[ "CREATE VIEW s1.v1 AS SELECT 1 AS id, 2 AS v, 'shadow' AS name" ],
		[ "DROP VIEW IF EXISTS s1.v1" ],
		[ "ALTER VIEW s2.v1 SET (security_invoker = " . pick('true', 'false') . ")" ],
		[ "ALTER VIEW s2.vsec SET (security_invoker = " . pick('true', 'false') . ")" ],
		[ "ALTER VIEW s2.vsec OWNER TO " . pick('postgres', 'ddl_bob', 'ddl_boss') ],
		[ "ALTER VIEW s2.v1 OWNER TO " . pick('postgres', 'ddl_bob', 'ddl_boss') ],
		# functions
		[ "CREATE OR REPLACE FUNCTION s2.f_const() RETURNS int LANGUAGE sql " . pick('IMMUTABLE', 'STABLE') . " AS 'SELECT $k'" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_sum() RETURNS bigint LANGUAGE sql STABLE AS '" . pick('SELECT sum(v) FROM t', 'SELECT sum(v) + 1 FROM t', 'SELECT count(*) FROM t', 'SELECT sum(val) FROM parent') . "'" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_add(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + $k'" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_add(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + $k'", "DROP FUNCTION s2.f_add(int)" ],
		[ "DROP FUNCTION IF EXISTS s2.f_add(int)" ],
		[ "DROP FUNCTION IF EXISTS s2.f_const()" ],
		[ "CREATE FUNCTION s1.f_const() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -$k'" ],
		[ "DROP FUNCTION IF EXISTS s1.f_const()" ],
		[ "CREATE OR REPLACE FUNCTION s1.f_add(bigint) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -1'" ],
		[ "DROP FUNCTION IF EXISTS s1.f_add(bigint)" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_rows(int) RETURNS SETOF s2.t LANGUAGE sql STABLE AS 'SELECT * FROM t WHERE v " . pick('>', '<', '=') . " \$1'" ],
		[ "ALTER FUNCTION s2.f_sum() " . pick('STABLE', 'IMMUTABLE', 'VOLATILE') ],
		[ "ALTER FUNCTION s2.f_name(int) " . pick("SET search_path = s2", "SET search_path = s1, s2", "RESET ALL") ],
		[ "ALTER FUNCTION s2.f_w() " . pick("SET search_path = s2", "RESET ALL") ],
		[ "ALTER FUNCTION s2.f_const() RENAME TO f_const2" ],
		[ "ALTER FUNCTION IF EXISTS s2.f_const2() RENAME TO f_const" ],
		[ "ALTER FUNCTION s2.f_const() SET SCHEMA s1" ],
		[ "ALTER FUNCTION s1.f_const() SET SCHEMA s2" ],
		[ pick('GRANT', 'REVOKE') . " EXECUTE ON FUNCTION s2.f_const() " . pick('TO', 'FROM') . " PUBLIC" ],
		[ "REVOKE EXECUTE ON FUNCTION s2.f_add(int) FROM PUBLIC", "GRANT EXECUTE ON FUNCTION s2.f_add(int) TO ddl_bob" ],
		[ "GRANT EXECUTE ON FUNCTION s2.f_add(int) TO PUBLIC" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_clock() RETURNS text LANGUAGE sql STABLE AS '" . pick("SELECT ''k$k''::text", "SELECT now()::text", "SELECT f_def()", "SELECT extract(microseconds FROM now())::text", "SELECT name FROM t WHERE id = $k") . "'" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_def(a text DEFAULT " . pick("'d'", "'e$k'", "now()::text", "f_clock()") . ") RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT a'" ],
		[ "ALTER FUNCTION s2.f_clock() " . pick('VOLATILE', 'STABLE', 'IMMUTABLE') ],
		[ "ALTER POLICY p_tenant ON s2.secret USING (" . pick("f_clock() <> 'x'", "tenant = current_setting('app.tenant')") . ")" ],
		# tables: columns, names, schemas, shadowing
		[ "ALTER TABLE s2.t ADD COLUMN extra int DEFAULT $k" ],
		[ "ALTER TABLE s2.t DROP COLUMN IF EXISTS extra" ],
		[ "ALTER TABLE s2.t RENAME COLUMN name TO nm" ],
		[ "ALTER TABLE s2.t RENAME COLUMN nm TO name" ],
		[ "ALTER TABLE s2.t ALTER COLUMN v SET DEFAULT $k" ],
		[ "ALTER TABLE s2.t ALTER COLUMN g DROP EXPRESSION" ],
		[ "ALTER TABLE s2.u ALTER COLUMN w TYPE " . pick('bigint', 'numeric', 'int', 'text') ],
		[ "ALTER TABLE s2.w ALTER COLUMN y TYPE text COLLATE " . pick('"C"', '"default"', 'mycoll') ],
		[ "ALTER TABLE s2.w ALTER COLUMN y TYPE varchar(3)" ],
		[ "ALTER TABLE s2.w ALTER COLUMN y TYPE text" ],
		[ "ALTER TABLE s2.u RENAME TO u_old" ],
		[ "ALTER TABLE IF EXISTS s2.u_old RENAME TO u" ],
		[ "ALTER TABLE s2.w SET SCHEMA s1" ],
		[ "ALTER TABLE IF EXISTS s1.w SET SCHEMA s2" ],
		[ "CREATE TABLE s1.w (x int, y text)", "INSERT INTO s1.w VALUES ($k, 'shadow')" ],
		[ "DROP TABLE IF EXISTS s1.w" ],
		[ "CREATE TABLE s1.w (x int, y text)", "DROP TABLE s1.w" ],
		[ "CREATE VIEW s1.t AS SELECT * FROM s2.t WHERE id < $k" ],
		[ "DROP VIEW IF EXISTS s1.t" ],
		[ "CREATE INDEX w ON s1.holder (x)" ],
		[ "CREATE INDEX v1 ON s1.holder (y)" ],
		[ "DROP INDEX IF EXISTS s1.w" ],
		[ "DROP INDEX IF EXISTS s1.v1" ],
		[ "ALTER INDEX IF EXISTS s1.holder_x RENAME TO w" ],
		[ "ALTER INDEX IF EXISTS s1.w RENAME TO holder_x" ],
		[ "CREATE INDEX holder_x ON s1.holder (x)" ],
		[ "CREATE TYPE s1.pair AS (a int, b text, c int)" ],
		[ "DROP TYPE IF EXISTS s1.pair" ],
		[ "CREATE DOMAIN s1.posint AS int CHECK (VALUE > 100)" ],
		[ "DROP DOMAIN IF EXISTS s1.posint" ],
		[ "CREATE TABLE s1.t (id int, v int, name text)", "DROP TABLE s1.t" ],
		[ "CREATE MATERIALIZED VIEW s1.mv AS SELECT 1 AS v, 2 AS n" ],
		[ "DROP MATERIALIZED VIEW IF EXISTS s1.mv" ],
		[ "CREATE TEMP TABLE t AS SELECT * FROM s2.t" ],
		[ "CREATE TEMP VIEW w AS SELECT 9 AS x, 'temp' AS y" ],
		[ "DISCARD TEMP" ],
		# inheritance and partitions
		[ "ALTER TABLE s2.orphan INHERIT s2.parent" ],
		[ "ALTER TABLE s2.orphan NO INHERIT s2.parent" ],
		[ "ALTER TABLE s2.child2 NO INHERIT s2.parent" ],
		[ "ALTER TABLE s2.child2 INHERIT s2.parent" ],
		[ "ALTER TABLE s2.pt ATTACH PARTITION s2.pt3 FOR VALUES FROM (200) TO (300)" ],
		[ "ALTER TABLE s2.pt DETACH PARTITION s2.pt3" ],
		[ "ALTER TABLE s2.pt DETACH PARTITION s2.pt2" ],
		[ "ALTER TABLE s2.pt ATTACH PARTITION s2.pt2 FOR VALUES FROM (100) TO (200)" ],
		# row-level security, privileges, owners
		[ "CREATE POLICY p_extra ON s2.secret USING (val > " . ($k * 10) . ")" ],
		[ "DROP POLICY IF EXISTS p_extra ON s2.secret" ],
		[ "ALTER POLICY p_tenant ON s2.secret USING (" . pick("tenant = current_setting('app.tenant')", "tenant <> current_setting('app.tenant')", "true", "val < 50") . ")" ],
		[ "CREATE POLICY p_restr ON s2.secret AS RESTRICTIVE USING (id % 2 = 0)" ],
		[ "DROP POLICY IF EXISTS p_restr ON s2.secret" ],
		[ "CREATE POLICY p_bob ON s2.secret TO ddl_bob USING (true)" ],
		[ "DROP POLICY IF EXISTS p_bob ON s2.secret" ],
		[ "ALTER TABLE s2.secret " . pick('ENABLE', 'DISABLE', 'FORCE', 'NO FORCE') . " ROW LEVEL SECURITY" ],
		[ "ALTER TABLE s2.secret OWNER TO " . pick('postgres', 'ddl_bob', 'ddl_alice') ],
		[ pick('GRANT', 'REVOKE') . " SELECT ON s2." . pick('t', 'secret', 'v1', 'w', 'u', 'parent', 'pt', 'mv', 'docs', 'vsec') . " " . pick('TO', 'FROM') . " $role" ],
		[ pick('GRANT', 'REVOKE') . " SELECT (id, v) ON s2.t " . pick('TO', 'FROM') . " $role" ],
		[ pick('GRANT', 'REVOKE') . " USAGE ON SCHEMA " . pick('s1', 's2') . " " . pick('TO', 'FROM') . " $role" ],
		[ pick('GRANT', 'REVOKE') . " USAGE ON TYPE s2.posint " . pick('TO', 'FROM') . " PUBLIC" ],
		[ "GRANT ddl_boss TO " . pick('ddl_alice', 'ddl_bob') ],
		[ "REVOKE ddl_boss FROM " . pick('ddl_alice', 'ddl_bob') ],
		[ "ALTER ROLE " . pick('ddl_alice', 'ddl_boss', 'ddl_bob') . " " . pick('BYPASSRLS', 'NOBYPASSRLS', 'INHERIT', 'NOINHERIT', 'LOGIN', 'NOLOGIN', "PASSWORD 'x'", 'CONNECTION LIMIT 5') ],
		[ "ALTER ROLE ddl_alice SET work_mem = '8MB'" ],
		[ "ALTER ROLE ddl_bob SET search_path = s2" ],
		[ "ALTER ROLE ddl_alice RESET ALL", "ALTER ROLE ddl_bob RESET ALL" ],
		[ "CREATE ROLE ddl_tmp$k", "DROP ROLE ddl_tmp$k" ],
		# types, domains, enums, collations, text search
		[ "ALTER DOMAIN s2.posint ADD CONSTRAINT lt100 CHECK (VALUE < 100)" ],
		[ "ALTER DOMAIN s2.posint DROP CONSTRAINT IF EXISTS lt100" ],
		[ "ALTER DOMAIN s2.posint ADD CONSTRAINT ne5 CHECK (VALUE <> 5) NOT VALID" ],
		[ "ALTER DOMAIN s2.posint DROP CONSTRAINT IF EXISTS ne5" ],
		[ "ALTER DOMAIN s2.posint RENAME CONSTRAINT " . pick('lt100 TO lt100b', 'lt100b TO lt100') ],
		[ "ALTER DOMAIN s2.posint " . pick('SET DEFAULT 3', 'DROP DEFAULT', 'SET NOT NULL', 'DROP NOT NULL') ],
		[ "ALTER TYPE s2.mood ADD VALUE IF NOT EXISTS 'v$k' " . pick("BEFORE 'ok'", "AFTER 'happy'", "BEFORE 'sad'") ],
		[ "ALTER TYPE s2.mood RENAME VALUE 'happy' TO 'glad'" ],
		[ "ALTER TYPE s2.mood RENAME VALUE 'glad' TO 'happy'" ],
		[ "ALTER TYPE s2.pair ADD ATTRIBUTE c int" ],
		[ "ALTER TYPE s2.pair DROP ATTRIBUTE IF EXISTS c" ],
		[ "ALTER TYPE s2.pair RENAME ATTRIBUTE b TO bb" ],
		[ "ALTER TYPE s2.pair RENAME ATTRIBUTE bb TO b" ],
		[ "ALTER COLLATION s2.mycoll REFRESH VERSION" ],
		[ "ALTER COLLATION s2.mycoll RENAME TO mycoll2" ],
		[ "ALTER COLLATION IF EXISTS s2.mycoll2 RENAME TO mycoll" ],
		[ "CREATE COLLATION s1.mycoll (provider = libc, locale = 'C.utf8')" ],
		[ "DROP COLLATION IF EXISTS s1.mycoll" ],
		[ "ALTER TEXT SEARCH CONFIGURATION s2.mycfg ALTER MAPPING FOR asciiword WITH " . pick('simple', 'english_stem') ],
		[ "CREATE TEXT SEARCH CONFIGURATION s1.mycfg (COPY = simple)" ],
		[ "DROP TEXT SEARCH CONFIGURATION IF EXISTS s1.mycfg" ],
		# rules, triggers, indexes, rewrites, comments
		[ "CREATE OR REPLACE RULE r_ins AS ON INSERT TO s2.u DO ALSO NOTHING" ],
		[ "DROP RULE IF EXISTS r_ins ON s2.u" ],
		[ "CREATE OR REPLACE RULE r_ins AS ON INSERT TO s2.u DO ALSO NOTHING", "DROP RULE r_ins ON s2.u" ],
		[ "CREATE INDEX IF NOT EXISTS t_v ON s2.t (v)" ],
		[ "DROP INDEX IF EXISTS s2.t_v" ],
		[ "CREATE INDEX IF NOT EXISTS t_name ON s2.t (name COLLATE mycoll)" ],
		[ "DROP INDEX IF EXISTS s2.t_name" ],
		[ "CLUSTER s2.t USING t_pkey" ],
		[ "REINDEX TABLE s2.t" ],
		[ "REFRESH MATERIALIZED VIEW " . pick('', 'CONCURRENTLY ') . "s2.mv" ],
		[ "REFRESH MATERIALIZED VIEW s2.mv WITH NO DATA" ],
		[ "ALTER MATERIALIZED VIEW s2.mv RENAME COLUMN n TO cnt" ],
		[ "ALTER MATERIALIZED VIEW s2.mv RENAME COLUMN cnt TO n" ],
		[ "COMMENT ON TABLE s2.t IS 'c$k'" ],
		[ "COMMENT ON FUNCTION s2.f_const() IS 'c$k'" ],
		[ "ALTER TABLE s2.t SET (fillfactor = " . (50 + $k) . ")" ],
		[ "ALTER TABLE s2.t ALTER COLUMN v SET STATISTICS " . (10 * $k) ],
		[ "ANALYZE s2.t" ],
		[ "CREATE TRIGGER trg_u BEFORE INSERT ON s2.u FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()" ],
		[ "DROP TRIGGER IF EXISTS trg_u ON s2.u" ],
		[ "SELECT set_config('search_path', 's2', true)", "CREATE OR REPLACE VIEW v2 AS SELECT t.id, u.w FROM t JOIN u ON u.t_id = t.id" ],
		# operators, casts, aggregates, ...
		[ "CREATE OPERATOR s1.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = s2.op_neg)" ],
		[ "DROP OPERATOR IF EXISTS s1.=== (int, int)" ],
		[ "CREATE OPERATOR s1.=== (LEFTARG = int, RIGHTARG = numeric, FUNCTION = s2.op_eq3n)" ],
		[ "DROP OPERATOR IF EXISTS s1.=== (int, numeric)" ],
		[ "CREATE OPERATOR s1.=== (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = int8pl)" ],
		[ "DROP OPERATOR IF EXISTS s1.=== (bigint, bigint)" ],
		[ "CREATE OR REPLACE FUNCTION s2.op_eq3(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 * 10 + \$2 + $k'" ],
		[ "DROP OPERATOR IF EXISTS s2.=== (int, int)" ],
		[ "CREATE OPERATOR s2.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = s2.op_eq3)" ],
		[ "ALTER OPERATOR s2.=== (int, int) SET SCHEMA s1" ],
		[ "ALTER OPERATOR s1.=== (int, int) SET SCHEMA s2" ],
		[ "CREATE OPERATOR s1.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = s2.op_neg)", "DROP OPERATOR s1.=== (int, int)" ],
		[ "ALTER OPERATOR s2.=== (int, int) OWNER TO " . pick('postgres', 'ddl_boss') ],
		# casts
		[ "CREATE CAST (int AS s2.color) WITH FUNCTION s2.int2color(int)" . pick(' AS IMPLICIT', ' AS ASSIGNMENT', '') ],
		[ "DROP CAST IF EXISTS (int AS s2.color)" ],
		[ "CREATE OR REPLACE FUNCTION s2.int2color(int) RETURNS s2.color LANGUAGE sql IMMUTABLE AS 'SELECT (enum_range(NULL::s2.color))[1 + (\$1 + $k) % 3]'" ],
		[ "CREATE CAST (int AS s2.color) WITH INOUT AS IMPLICIT" ],
		[ "CREATE FUNCTION s1.h2(int, int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''int-int'''" ],
		[ "DROP FUNCTION IF EXISTS s1.h2(int, int)" ],
		# casts to a temporary type, and a function of the temporary type
		[ "CREATE TYPE pg_temp.te AS ENUM ('a', 'b')" ],
		[ "CREATE FUNCTION s1.h2(pg_temp.te, int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''temp-int'''" ],
		[ "CREATE FUNCTION s1.hc(pg_temp.te) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''temp'''" ],
		[ "CREATE CAST (int AS pg_temp.te) WITH INOUT AS IMPLICIT" ],
		[ "DROP CAST IF EXISTS (int AS pg_temp.te)" ],
		[ "DROP TYPE IF EXISTS pg_temp.te CASCADE" ],
		# aggregates
		[ "CREATE OR REPLACE AGGREGATE s2.myagg(int) (SFUNC = " . pick('s2.agg_sf', 's2.agg_sf2') . ", STYPE = int, INITCOND = '$k')" ],
		[ "CREATE AGGREGATE s1.myagg(int) (SFUNC = s2.agg_sf, STYPE = int, INITCOND = '-1000')" ],
		[ "DROP AGGREGATE IF EXISTS s1.myagg(int)" ],
		[ "CREATE AGGREGATE s1.myagg(bigint) (SFUNC = int8pl, STYPE = bigint, INITCOND = '-500')" ],
		[ "DROP AGGREGATE IF EXISTS s1.myagg(bigint)" ],
		[ "CREATE OR REPLACE FUNCTION s2.agg_sf(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + \$2 + $k'" ],
		[ "ALTER AGGREGATE s2.myagg(int) RENAME TO myagg_old" ],
		[ "ALTER AGGREGATE IF EXISTS s2.myagg_old(int) RENAME TO myagg" ],
		# operator classes and families
		[ "ALTER OPERATOR FAMILY s2.int_rev USING btree DROP OPERATOR 1 (int, int), DROP OPERATOR 5 (int, int)",
		  "ALTER OPERATOR FAMILY s2.int_rev USING btree ADD OPERATOR 1 s2.>>> (int, int), OPERATOR 5 s2.<<< (int, int)" ],
		[ "ALTER OPERATOR FAMILY s2.int_rev USING btree DROP OPERATOR 1 (int, int), DROP OPERATOR 5 (int, int)",
		  "ALTER OPERATOR FAMILY s2.int_rev USING btree ADD OPERATOR 1 s2.<<< (int, int), OPERATOR 5 s2.>>> (int, int)" ],
		[ "DROP OPERATOR CLASS IF EXISTS s2.int_rev USING btree" ],
		[ "DROP OPERATOR FAMILY IF EXISTS s2.int_rev USING btree" ],
		[ "CREATE OPERATOR CLASS s2.int_rev FOR TYPE int USING btree AS OPERATOR 1 s2.<<<, OPERATOR 3 =, OPERATOR 5 s2.>>>, FUNCTION 1 s2.revcmp(int, int)" ],
		[ "CREATE OPERATOR CLASS s2.color_rev DEFAULT FOR TYPE s2.color USING btree AS OPERATOR 1 s2.<#, OPERATOR 3 s2.=#, OPERATOR 5 s2.>#, FUNCTION 1 s2.colorcmp_rev(s2.color, s2.color)" ],
		[ "DROP OPERATOR CLASS IF EXISTS s2.color_rev USING btree" ],
		[ "DROP OPERATOR FAMILY IF EXISTS s2.color_rev USING btree" ],
		[ "CREATE OR REPLACE FUNCTION s2.revcmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS '" . pick('SELECT btint4cmp(\$2, \$1)', 'SELECT btint4cmp(\$1, \$2)') . "'" ],
		# default privileges
		[ "ALTER DEFAULT PRIVILEGES IN SCHEMA s1 " . pick('GRANT SELECT ON TABLES TO', 'REVOKE SELECT ON TABLES FROM') . " $role" ],
		[ "ALTER DEFAULT PRIVILEGES " . pick('GRANT', 'REVOKE') . " EXECUTE ON FUNCTIONS " . pick('TO', 'FROM') . " PUBLIC" ],
		[ "ALTER DEFAULT PRIVILEGES IN SCHEMA s1 REVOKE SELECT ON TABLES FROM $role", "CREATE TABLE s1.w (x int, y text)", "INSERT INTO s1.w VALUES ($k, 'dp')" ],
		# SQL-standard bodies
		[ "CREATE OR REPLACE FUNCTION s2.f_atomic(int) RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM t WHERE v " . pick('>', '<', '=') . " \$1; END" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_atomic(int) RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) + $k FROM w; END" ],
		[ "DROP FUNCTION IF EXISTS s2.f_atomic(int)" ],
		[ "CREATE FUNCTION s1.f_atomic(int) RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT -\$1::bigint; END" ],
		[ "DROP FUNCTION IF EXISTS s1.f_atomic(int)" ],
		# SET clauses, SECURITY DEFINER
		[ "ALTER FUNCTION s2.f_set() SET DateStyle = '" . pick('SQL, DMY', 'German', 'ISO', 'Postgres, MDY') . "'" ],
		[ "ALTER FUNCTION s2.f_set() RESET ALL" ],
		[ "ALTER FUNCTION s2.f_sectenant() SET app.tenant = '" . pick('a', 'b', 'c') . "'" ],
		[ "ALTER FUNCTION s2.f_sectenant() RESET ALL" ],
		[ "ALTER FUNCTION s2.f_secdef() OWNER TO " . pick('postgres', 'ddl_bob', 'ddl_boss', 'ddl_alice') ],
		[ "ALTER FUNCTION s2.f_secdef_u() OWNER TO " . pick('postgres', 'ddl_bob', 'ddl_boss', 'ddl_alice') ],
		[ "ALTER FUNCTION s2.f_secdef() " . pick('SECURITY INVOKER', 'SECURITY DEFINER') ],
		[ pick('GRANT', 'REVOKE') . " SELECT ON s2.u " . pick('TO', 'FROM') . " ddl_boss" ],
		# RETURNS TABLE, composite results
		[ "CREATE OR REPLACE FUNCTION s2.f_tab(int) RETURNS TABLE (id int, v int) LANGUAGE sql STABLE AS 'SELECT id, v " . pick('', '+ 1') . " FROM t WHERE v " . pick('=', '>') . " \$1'" ],
		[ "DROP FUNCTION IF EXISTS s2.f_tab(int)", "CREATE FUNCTION s2.f_tab(int) RETURNS TABLE (id int, v bigint) LANGUAGE sql STABLE AS 'SELECT id, v::bigint * 2 FROM t WHERE v = \$1'" ],
		[ "CREATE FUNCTION s1.f_tab(int) RETURNS TABLE (id int, v int) LANGUAGE sql STABLE AS 'SELECT 0, \$1'" ],
		[ "DROP FUNCTION IF EXISTS s1.f_tab(int)" ],
		[ "ALTER TYPE s2.pair ALTER ATTRIBUTE a TYPE " . pick('bigint', 'int', 'text') . " CASCADE" ],
		[ "ALTER TYPE s2.pair ADD ATTRIBUTE c int CASCADE" ],
		[ "ALTER TYPE s2.pair DROP ATTRIBUTE IF EXISTS c CASCADE" ],
		[ "CREATE OR REPLACE FUNCTION s2.f_v1() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) " . pick('', '+ 100') . " FROM v1'" ],
		# domains checked by functions
		[ "CREATE OR REPLACE FUNCTION s2.dcheck(int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT \$1 < " . pick(10, 50, 100, 200) . "'" ],
		[ "ALTER DOMAIN s2.small DROP CONSTRAINT IF EXISTS small_check" ],
		[ "ALTER DOMAIN s2.small ADD CONSTRAINT small_check CHECK (s2.dcheck(VALUE))" ],
		[ "CREATE DOMAIN s1.small AS int CHECK (VALUE > 100)" ],
		[ "DROP DOMAIN IF EXISTS s1.small" ],
		# range types
		[ "CREATE OR REPLACE FUNCTION s2.idiff(int, int) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT (\$1 - \$2)::float8 * $k'" ],
		[ "CREATE TYPE s1.irange2 AS RANGE (subtype = int8)" ],
		[ "DROP TYPE IF EXISTS s1.irange2" ],
		[ "ALTER TYPE s2.irange2 RENAME TO irange3" ],
		[ "ALTER TYPE IF EXISTS s2.irange3 RENAME TO irange2" ],
		# RLS with subqueries, security barrier, check options
		[ "ALTER POLICY p_sub ON s2.secret2 USING (tenant IN (SELECT tenant FROM s2.tenants WHERE " . pick('active', 'NOT active', "tenant <> current_setting('app.tenant')") . "))" ],
		[ "CREATE POLICY p_sub2 ON s2.secret2 USING (EXISTS (SELECT 1 FROM s2.u WHERE u.id = secret2.id))" ],
		[ "DROP POLICY IF EXISTS p_sub2 ON s2.secret2" ],
		[ pick('GRANT', 'REVOKE') . " SELECT ON s2.tenants " . pick('TO', 'FROM') . " " . pick('PUBLIC', 'ddl_bob') ],
		[ "ALTER VIEW s2.vbar SET (security_barrier = " . pick('true', 'false') . ")" ],
		[ "CREATE OR REPLACE VIEW s2.vbar AS SELECT id, val FROM s2.secret2 WHERE val > " . rnd(0, 5) ],
		[ "ALTER VIEW s2.vchk " . pick('SET (check_option = local)', 'SET (check_option = cascaded)', 'RESET (check_option)') ],
		[ "CREATE OR REPLACE VIEW s2.vchk AS SELECT id, v FROM s2.t WHERE v < " . rnd(2, 5) . " WITH CHECK OPTION" ],
		# foreign keys
		[ "ALTER TABLE s2.fkc DROP CONSTRAINT IF EXISTS fkc_p_fkey" ],
		[ "ALTER TABLE s2.fkc ADD CONSTRAINT fkc_p_fkey FOREIGN KEY (p) REFERENCES s2.fkp " . pick('ON DELETE CASCADE ON UPDATE CASCADE', 'ON DELETE SET NULL ON UPDATE SET NULL', 'ON DELETE SET DEFAULT', '') . " NOT VALID" ],
		[ "ALTER TABLE s2.fkc ALTER COLUMN p SET DEFAULT " . rnd(1, 3) ],
		[ "TRUNCATE s2.fkp CASCADE", "INSERT INTO s2.fkp SELECT generate_series(1, 5)" ],
		[ "ALTER TABLE s2.fkc " . pick('DISABLE', 'ENABLE') . " TRIGGER ALL" ],
		# side effects of objects created and dropped in one transaction
		[ "CREATE TABLE s1.w (x int, y text)", "DROP TABLE s1.w", "CREATE INDEX w ON s1.holder (x)" ],
		[ "CREATE TABLE s1.w (x int, y text)", "DROP TABLE s1.w", "ALTER INDEX s1.holder_x RENAME TO w" ],
		[ "CREATE TYPE s2._pair2 AS ENUM ('z')", "DROP TYPE s2._pair2", "ANALYZE s2.pair2" ],
		[ "CREATE TABLE s2._pair2 (z int)", "DROP TABLE s2._pair2", "GRANT SELECT ON s2.pair2 TO ddl_boss" ],
		[ "DROP TABLE IF EXISTS s2.pair2", "CREATE TABLE s2.pair2 (a int, b text)", "GRANT SELECT ON s2.pair2 TO PUBLIC" ],
		# restores
		[ pick(@base_functions) ],
		[ pick(@base_views) ],
		[ "ALTER TABLE s2.t ALTER COLUMN v DROP DEFAULT" ],
		($opt{watch} ? (
			[ "ALTER TABLE s2." . pick('t', 'u') . " " . pick('DISABLE', 'ENABLE') . " TRIGGER ALL" ],
			[ "SELECT cascade_cache.cascade_unwatch('s2." . pick('t', 'u') . "')" ],
			[ "SELECT cascade_cache.cascade_watch('s2." . pick('t', 'u') . "')" ],
			[ "SET LOCAL session_replication_role = " . pick('replica', 'origin') ],
			[ "SET LOCAL cascade_cache.precise_invalidation = " . pick('on', 'off') ],
			[ "CREATE UNIQUE INDEX IF NOT EXISTS t_name_u ON s2.t (name, id)" ],
			[ "DROP INDEX IF EXISTS s2.t_name_u" ],
		) : ()),
	);
	return @{ pick(@d) };
}

my @non_xact = (
	"VACUUM FULL s2.t", "VACUUM FULL s2.secret", "VACUUM s2.t", "CLUSTER s2.t",
	"ALTER TABLE s2.pt DETACH PARTITION s2.pt3 CONCURRENTLY",
	"REINDEX TABLE CONCURRENTLY s2.t", "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_v ON s2.t (v)",
	"ALTER TYPE s2.mood ADD VALUE IF NOT EXISTS 'late' BEFORE 'sad'",
);

my @writers = (connect_session('writer1'), connect_session('writer2'));
my @pending;
my $gid_n = 0;
$admin->{dbh}->do("ROLLBACK PREPARED '$_'") for @{ $admin->{dbh}->selectcol_arrayref(
	"SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'ddlg%'") };

# one transaction of a writer: 1..4 steps, each under a savepoint
sub writer_xact
{
	my $w = pick(@writers);
	my $dbh = $w->{dbh};
	my $nsteps = rnd(1, 4);
	my $wants_check = rand() < 0.15;
	$dbh->begin_work;
	note_op("$w->{name}: BEGIN");
	for my $i (1 .. $nsteps)
	{
		my @stmts = rand() < $opt{cascades} ? (random_cascade())
		  : rand() < 0.55 ? random_ddl() : (random_dml());
		my $sp = rand() < 0.7;
		$dbh->do("SAVEPOINT s$i") if $sp;
		my $ok = 1;
		for my $sql (@stmts)
		{
			if (eval { $dbh->do($sql); 1 })
			{
				note_op("$w->{name}: $sql");
			}
			else
			{
				my $e = $dbh->errstr // '';
				$e =~ s/\n.*//s;
				note_op("$w->{name}: $sql -- failed: $e");
				$ok = 0;
				last;
			}
		}
		if (!$ok && !$sp)
		{
			$dbh->rollback;
			note_op("$w->{name}: ROLLBACK (failed statement)");
			$stats{rollbacks}++;
			return;
		}
		if ($sp)
		{
			if (!$ok || rand() < 0.15)
			{
				$dbh->do("ROLLBACK TO SAVEPOINT s$i");
				note_op("$w->{name}: ROLLBACK TO SAVEPOINT s$i");
			}
			else
			{
				$dbh->do("RELEASE SAVEPOINT s$i") if rand() < 0.5;
			}
		}
		check_in_xact($w) if $wants_check && $i == $nsteps;
	}
	if (rand() < 0.15)
	{
		$dbh->rollback;
		note_op("$w->{name}: ROLLBACK");
		$stats{rollbacks}++;
		return;
	}
	if (rand() < $opt{prepared})
	{
		my $gid = 'ddlg' . $seed . '_' . (++$gid_n);
		if (eval { $dbh->do("PREPARE TRANSACTION '$gid'"); 1 })
		{
			eval { $dbh->commit unless $dbh->{AutoCommit}; };
			note_op("$w->{name}: PREPARE TRANSACTION '$gid'");
			$stats{prepared}++;
			push @pending, $gid;
			check_all("PREPARE TRANSACTION '$gid'");
		}
		else
		{
			my $e = $dbh->errstr // '';
			$e =~ s/\n.*//s;
			note_op("$w->{name}: PREPARE TRANSACTION failed: $e");
			eval { $dbh->rollback unless $dbh->{AutoCommit} };
		}
		return;
	}
	if (eval { $dbh->commit; 1 })
	{
		note_op("$w->{name}: COMMIT");
		$stats{commits}++;
		check_all('a commit');
	}
	else
	{
		note_op("$w->{name}: COMMIT failed: " . ($dbh->errstr // ''));
		eval { $dbh->rollback };
	}
}

# end a prepared transaction from the admin session
sub resolve_prepared
{
	my $gid = splice(@pending, int(rand(@pending)), 1);
	my $how = rand() < 0.7 ? 'COMMIT' : 'ROLLBACK';
	if (eval { $admin->{dbh}->do("$how PREPARED '$gid'"); 1 })
	{
		note_op("admin: $how PREPARED '$gid'");
		$stats{commits}++ if $how eq 'COMMIT';
		check_all("$how PREPARED '$gid'");
	}
	else
	{
		note_op("admin: $how PREPARED '$gid' failed: " . ($admin->{dbh}->errstr // ''));
	}
}

sub random_cascade
{
	my $id = rnd(1, 22);
	return pick(
		q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"queryName": "x", "scope": "ALL"}]}')},
		qq{SELECT cascade_cache.cascade_invalidate('{"updated": [{"__typename": "T", "id": $id}]}')},
		qq{SELECT cascade_cache.cascade_invalidate('{"deleted": [{"__typename": "U", "id": $id}]}')},
		q{SELECT cascade_cache.cascade_invalidate('{"invalidations": [{"queryPattern": "*", "scope": "PATTERN"}]}')},
		q{SELECT cascade_cache.cache_invalidate_relation('s2.t')},
		q{SELECT cascade_cache.cache_flush()},
	);
}

sub non_xact_op
{
	my $w = pick(@writers);
	my $sql = pick(@non_xact);
	if (eval { $w->{dbh}->do($sql); 1 })
	{
		note_op("$w->{name}: $sql");
		$stats{commits}++;
		check_all($sql);
	}
	else
	{
		my $e = $w->{dbh}->errstr // '';
		$e =~ s/\n.*//s;
		note_op("$w->{name}: $sql -- failed: $e");
	}
}

# ------------------------------------------------------------------
# The run
# ------------------------------------------------------------------
my ($h0) = $admin->{dbh}->selectrow_array("SELECT hits FROM cascade_cache.cache_stats()");

for my $op (1 .. $opt{ops})
{
	$stats{ops} = $op;
	resolve_prepared() if @pending && (rand() < 0.4 || @pending > 2);
	my $r = rand();
	if ($r < 0.45) { read_op(); }
	elsif ($r < 0.97) { writer_xact(); }
	else { non_xact_op(); }
}
resolve_prepared() while @pending;
check_all('the end');

my ($h1) = $admin->{dbh}->selectrow_array("SELECT hits FROM cascade_cache.cache_stats()");
my ($sh) = $waiter
  ? $readers[0]{dbh}->selectrow_array("SELECT hits FROM cascade_cache.cache_stats()")
  : (0);
printf "ddl_differential: seed=%d ops=%d commits=%d rollbacks=%d checks=%d compared=%d hits=%d unstable_skipped=%d transient_mismatches=%d differences=%d prepared=%d standby_hits=%d lock_skipped=%d\n",
  $seed, $stats{ops}, $stats{commits}, $stats{rollbacks}, $stats{checks},
  $stats{compared}, $h1 - $h0, $stats{unstable}, $stats{transient}, $stats{differences},
  $stats{prepared} // 0, $sh, $rstats{lockskip};
$_->{dbh}->disconnect for (grep { defined } @readers, @writers, $admin, $waiter);
exit($stats{differences} ? 1 : 0);
