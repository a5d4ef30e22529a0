#!/usr/bin/perl
# The randomized differential test of invalidation, second edition: the
# write paths and read shapes differential.pl does not exercise.
#
#   test/differential_writes.pl --host H --port P [--dbname D] [--user U]
#                         [--ops N] [--seed S] [--quiet] [--only-new]
#
# On top of differential.pl's three tables (author, post, comment), all
# watched, it adds
#
#   - kv: a watched table whose key columns are of many kinds: numeric
#     (1 vs 1.0 vs 1.00), float8 under a hash index (0 vs -0, NaN,
#     Infinity), text COLLATE "C", text under a nondeterministic ICU
#     collation, int[] (btree), a composite index (a, b), a partial index
#     on a WHERE b > 5, an expression index on lower(t), a stored generated
#     column g = a * 10 + b with an index, a unique non-PK column u, NULL
#     keys; a BEFORE UPDATE user trigger that changes b when a changes, and
#     an AFTER statement trigger that writes to the unwatched table stat;
#   - kvc: a watched child of kv with a DEFERRABLE INITIALLY DEFERRED
#     foreign key ON UPDATE CASCADE ON DELETE SET NULL;
#   - pt: a watched LIST-partitioned table (pt_a, pt_b, pt_def) with
#     updates that move rows between partitions, read through the parent
#     and the partitions directly;
#   - ih / ih_c: a watched inheritance parent and child;
#   - v_kv (an auto-updatable view), v_post_io (a view with INSTEAD OF
#     triggers writing post), rlog (an unwatched table with a DO ALSO rule
#     writing kv) and rkv (a view with DO INSTEAD rules writing kv);
#   - an AFTER INSERT row trigger on comment that bumps post.score.
#
# Write paths: MERGE (INSERT/UPDATE/DELETE actions), COPY FROM STDIN,
# writable CTEs, ON CONFLICT DO UPDATE on the unique non-PK column,
# UPDATE ... FROM, DELETE ... USING, writes through the views and rules,
# partition-moving updates, session_replication_role = replica,
# ALTER TABLE ... DISABLE TRIGGER cascade_cache_watch in the transaction,
# PREPARE TRANSACTION / COMMIT PREPARED (from another session, too),
# savepoints rolled back, subtransactions that fail with an error.
#
# After every commit the checker compares every cached (query, params) with
# a fresh execution, as differential.pl does.
use strict;
use warnings;
use DBI;
use DBD::Pg qw(:async);
use Getopt::Long;
use Time::HiRes qw(usleep);

my %opt = (host => '127.0.0.1', port => 5432, dbname => 'postgres',
	user => undef, ops => 2000, seed => undef, quiet => 0, 'only-new' => 0,
	verbose => 0);
GetOptions(\%opt, 'host=s', 'port=i', 'dbname=s', 'user=s', 'ops=i',
	'seed=i', 'quiet', 'only-new', 'verbose')
  or die "usage: $0 --host H --port P [--dbname D] [--user U] [--ops N] [--seed S]\n";
my $seed = $opt{seed} // (time() ^ ($$ << 8)) % 1000000000;
srand($seed);
print "differential_writes: seed $seed, $opt{ops} operations\n" unless $opt{quiet};

my @log;

sub note_op
{
	my ($text) = @_;
	push @log, $text;
	print "$text\n" if $opt{verbose};
	shift @log if @log > 60;
}

sub connect_session
{
	my ($name) = @_;
	my $dsn = "dbi:Pg:dbname=$opt{dbname};host=$opt{host};port=$opt{port}";
	my $dbh = DBI->connect($dsn, $opt{user}, undef,
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0 })
	  or die "cannot connect: $DBI::errstr\n";
	$dbh->do("SET application_name = 'differential_writes $name'");
	$dbh->do("SET search_path = diff, public, cascade_cache");
	$dbh->do("SET client_min_messages = error");
	$dbh->do("SET lock_timeout = '200ms'");
	$dbh->{pg_server_prepare} = 0;
	return { name => $name, dbh => $dbh, in_xact => 0 };
}

sub rnd { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub pick { return $_[ int(rand(@_)) ]; }

# ------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------
my $admin = connect_session('admin');
my $d = $admin->{dbh};
$d->do($_) for (
	"CREATE EXTENSION IF NOT EXISTS cascade_cache",
	"DROP SCHEMA IF EXISTS diff CASCADE",
	"CREATE SCHEMA diff",
	"DROP COLLATION IF EXISTS public.ci",
	"CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
	"CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL, country text NOT NULL)",
	"CREATE TABLE post (id int PRIMARY KEY,
	                    author_id int NOT NULL REFERENCES author ON DELETE CASCADE,
	                    title text NOT NULL, published bool NOT NULL, score int NOT NULL)",
	"CREATE INDEX post_author ON post (author_id)",
	"CREATE INDEX post_score ON post (score)",
	"CREATE TABLE comment (id int PRIMARY KEY,
	                       post_id int NOT NULL REFERENCES post ON DELETE CASCADE,
	                       author_id int NOT NULL REFERENCES author ON DELETE CASCADE,
	                       likes int NOT NULL, body text NOT NULL)",
	"CREATE INDEX comment_post ON comment (post_id)",
	"CREATE INDEX comment_author ON comment (author_id)",
	"INSERT INTO author SELECT g, 'author ' || g, (ARRAY['uk','us','nl','fr'])[1 + g % 4]
	   FROM generate_series(1, 30) g",
	"INSERT INTO post SELECT g, 1 + g % 30, 'post ' || g, g % 3 <> 0, g % 50
	   FROM generate_series(1, 150) g",
	"INSERT INTO comment SELECT g, 1 + g % 150, 1 + g % 29, g % 7, 'comment ' || g
	   FROM generate_series(1, 400) g",
	"CREATE VIEW v_author AS
	   SELECT a.id, jsonb_build_object('__typename', 'Author', 'id', a.id, 'name', a.name,
	            'country', a.country,
	            'posts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	                                 '__typename', 'Post', 'id', p.id, 'title', p.title,
	                                 'comments', (SELECT count(*) FROM comment c WHERE c.post_id = p.id))
	                               ORDER BY p.id), '[]')
	                        FROM post p WHERE p.author_id = a.id AND p.published)) AS data
	     FROM author a",

	# kv: many kinds of key columns
	"CREATE TABLE kv (id int PRIMARY KEY,
	                  a int, b int,
	                  num numeric, flt float8,
	                  t text COLLATE \"C\", tci text COLLATE public.ci,
	                  arr int[], u int UNIQUE,
	                  g int GENERATED ALWAYS AS (a * 10 + b) STORED,
	                  note text NOT NULL DEFAULT '')",
	"CREATE INDEX kv_ab ON kv (a, b)",
	"CREATE INDEX kv_a_part ON kv (a) WHERE b > 5",
	"CREATE INDEX kv_num ON kv (num)",
	"CREATE INDEX kv_flt ON kv USING hash (flt)",
	"CREATE INDEX kv_t ON kv (t)",
	"CREATE INDEX kv_lower_t ON kv (lower(t))",
	"CREATE INDEX kv_tci ON kv (tci)",
	"CREATE INDEX kv_arr ON kv (arr)",
	"CREATE INDEX kv_g ON kv (g)",
	"INSERT INTO kv (id, a, b, num, flt, t, tci, arr, u)
	   SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 8 END, g % 10,
	          (ARRAY[1, 1.0, 1.00, 2.5, 2.50, 3, NULL])[1 + g % 7]::numeric,
	          (ARRAY['0', '-0', '1.5', 'NaN', 'Infinity', '-Infinity', '2'])[1 + g % 7]::float8,
	          (ARRAY['a', 'A', 'b', 'B', 'ab', 'Ab', NULL])[1 + g % 7],
	          (ARRAY['x', 'X', 'y', 'Y', NULL])[1 + g % 5],
	          (ARRAY[ARRAY[1,2], ARRAY[2,1], ARRAY[1,NULL], ARRAY[3,3]])[1 + g % 4:1 + g % 4][1:2],
	          CASE WHEN g % 3 = 0 THEN NULL ELSE g END
	     FROM generate_series(1, 60) g",
	"CREATE TABLE kvc (id int PRIMARY KEY,
	                   kv_id int REFERENCES kv ON UPDATE CASCADE ON DELETE SET NULL
	                         DEFERRABLE INITIALLY DEFERRED,
	                   w int NOT NULL)",
	"CREATE INDEX kvc_kv ON kvc (kv_id)",
	"INSERT INTO kvc SELECT g, 1 + g % 60, g % 5 FROM generate_series(1, 120) g",
	"CREATE TABLE stat (k text PRIMARY KEY, n int NOT NULL)",
	"INSERT INTO stat VALUES ('kv_updates', 0), ('post_bumps', 0)",
	"CREATE FUNCTION kv_before_upd() RETURNS trigger LANGUAGE plpgsql SET search_path = diff AS \$\$
	 BEGIN
	   IF NEW.a IS DISTINCT FROM OLD.a THEN NEW.b := coalesce(NEW.b, 0) + 1; END IF;
	   RETURN NEW;
	 END \$\$",
	"CREATE TRIGGER kv_before_upd BEFORE UPDATE ON kv FOR EACH ROW EXECUTE FUNCTION kv_before_upd()",
	"CREATE FUNCTION kv_after_stmt() RETURNS trigger LANGUAGE plpgsql SET search_path = diff AS \$\$
	 BEGIN
	   UPDATE stat SET n = n + 1 WHERE k = 'kv_updates';
	   RETURN NULL;
	 END \$\$",
	"CREATE TRIGGER kv_after_stmt AFTER UPDATE ON kv FOR EACH STATEMENT EXECUTE FUNCTION kv_after_stmt()",
	"CREATE FUNCTION comment_bump() RETURNS trigger LANGUAGE plpgsql SET search_path = diff AS \$\$
	 BEGIN
	   UPDATE post SET score = score + 1 WHERE id = NEW.post_id;
	   UPDATE stat SET n = n + 1 WHERE k = 'post_bumps';
	   RETURN NULL;
	 END \$\$",
	"CREATE TRIGGER comment_bump AFTER INSERT ON comment FOR EACH ROW EXECUTE FUNCTION comment_bump()",
	"CREATE FUNCTION kvc_deferred() RETURNS trigger LANGUAGE plpgsql SET search_path = diff AS \$\$
	 BEGIN
	   UPDATE kv SET a = coalesce(a, 0) + 1 WHERE id = NEW.kv_id;
	   RETURN NULL;
	 END \$\$",
	"CREATE CONSTRAINT TRIGGER kvc_deferred AFTER INSERT ON kvc DEFERRABLE INITIALLY DEFERRED
	   FOR EACH ROW EXECUTE FUNCTION kvc_deferred()",

	# partitioned
	"CREATE TABLE pt (id int NOT NULL, grp int NOT NULL, val int, PRIMARY KEY (grp, id))
	   PARTITION BY LIST (grp)",
	"CREATE TABLE pt_a PARTITION OF pt FOR VALUES IN (1, 2)",
	"CREATE TABLE pt_b PARTITION OF pt FOR VALUES IN (3, 4)",
	"CREATE TABLE pt_def PARTITION OF pt DEFAULT",
	"CREATE INDEX pt_val ON pt (val)",
	"CREATE INDEX pt_id ON pt (id)",
	"INSERT INTO pt SELECT g, 1 + g % 6, g % 9 FROM generate_series(1, 60) g",

	# inheritance
	"CREATE TABLE ih (id int PRIMARY KEY, k int, v int)",
	"CREATE TABLE ih_c (extra text) INHERITS (ih)",
	"ALTER TABLE ih_c ADD PRIMARY KEY (id)",
	"CREATE INDEX ih_k ON ih (k)",
	"CREATE INDEX ih_c_k ON ih_c (k)",
	"INSERT INTO ih SELECT g, g % 7, g FROM generate_series(1, 30) g",
	"INSERT INTO ih_c SELECT g, g % 7, g, 'c' FROM generate_series(31, 60) g",

	# views and rules
	"CREATE VIEW v_kv AS SELECT id, a, b, num, u, note FROM kv WHERE id > 0",
	"CREATE VIEW v_post_io AS SELECT id, author_id, title, score FROM post",
	"CREATE FUNCTION v_post_io_trg() RETURNS trigger LANGUAGE plpgsql SET search_path = diff AS \$\$
	 BEGIN
	   IF TG_OP = 'INSERT' THEN
	     INSERT INTO post VALUES (NEW.id, NEW.author_id, NEW.title, true, NEW.score);
	     RETURN NEW;
	   ELSIF TG_OP = 'UPDATE' THEN
	     UPDATE post SET author_id = NEW.author_id, title = NEW.title, score = NEW.score
	      WHERE id = OLD.id;
	     RETURN NEW;
	   ELSE
	     DELETE FROM post WHERE id = OLD.id;
	     RETURN OLD;
	   END IF;
	 END \$\$",
	"CREATE TRIGGER v_post_io_trg INSTEAD OF INSERT OR UPDATE OR DELETE ON v_post_io
	   FOR EACH ROW EXECUTE FUNCTION v_post_io_trg()",
	"CREATE TABLE rlog (id serial PRIMARY KEY, kv_id int, delta int)",
	"CREATE RULE rlog_also AS ON INSERT TO rlog DO ALSO
	   UPDATE kv SET a = a + NEW.delta WHERE id = NEW.kv_id",
	"CREATE VIEW rkv AS SELECT id, a, num FROM kv",
	"CREATE RULE rkv_upd AS ON UPDATE TO rkv DO INSTEAD
	   UPDATE kv SET a = NEW.a, num = NEW.num WHERE id = OLD.id",
	"CREATE RULE rkv_del AS ON DELETE TO rkv DO INSTEAD
	   DELETE FROM kv WHERE id = OLD.id",

	# functions for the readers
	"CREATE FUNCTION kv_by_a(x int) RETURNS SETOF kv LANGUAGE sql STABLE
	   AS 'SELECT * FROM kv WHERE a = x'",
	"CREATE FUNCTION kv_count_num(x numeric) RETURNS bigint LANGUAGE plpgsql STABLE
	   AS \$\$ BEGIN RETURN (SELECT count(*) FROM kv WHERE num = x); END \$\$",
	"CREATE FUNCTION post_score_of(x int) RETURNS int LANGUAGE sql STABLE
	   SET enable_seqscan = off
	   AS 'SELECT score FROM post WHERE id = x'",

	"CREATE FUNCTION fresh(q text, p jsonb) RETURNS jsonb LANGUAGE sql VOLATILE
	   SET cascade_cache.enabled = off
	   AS \$\$ SELECT cascade_cache.cached_query(q, p) \$\$",
	"SELECT cascade_watch('diff.author'), cascade_watch('diff.post'),
	        cascade_watch('diff.comment'), cascade_watch('diff.kv'),
	        cascade_watch('diff.kvc'), cascade_watch('diff.pt', 'Pt', 'id'),
	        cascade_watch('diff.ih')",
	"ANALYZE author, post, comment, kv, kvc, pt, ih, ih_c, stat, rlog",
	"SELECT cache_flush()");
my $next_id = 100000;

# ------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------
sub jnum { return pick('1', '1.0', '1.00', '2.5', '2.50', '3', '3.000', 'null'); }
sub jflt { return pick('0', '-0', '"-0"', '1.5', '"NaN"', '"Infinity"', '"-Infinity"', '2', 'null'); }
sub jtxt { return pick('"a"', '"A"', '"b"', '"B"', '"ab"', '"Ab"', '"z"', 'null'); }
sub jtci { return pick('"x"', '"X"', '"y"', '"Y"', '"z"'); }
sub ja { return pick((map { "$_" } 0 .. 9), 'null'); }
sub jarr { return pick('[1,2]', '[2,1]', '[1,null]', '[3,3]', '[]'); }

my @old_shapes = (
	[ 'point', 'SELECT name, country FROM author WHERE id = $1', sub { [ rnd(1, 35) ] } ],
	[ 'fk_list', 'SELECT id, title, published FROM post WHERE author_id = $1 ORDER BY id',
		sub { [ rnd(1, 32) ] } ],
	[ 'join', 'SELECT p.id, p.title, a.name FROM post p JOIN author a ON a.id = p.author_id WHERE p.id = $1',
		sub { [ rnd(1, 160) ] } ],
	[ 'view', 'SELECT data FROM v_author WHERE id = $1', sub { [ rnd(1, 32) ] } ],
	[ 'agg', 'SELECT count(*) AS n, coalesce(sum(likes), 0) AS likes FROM comment WHERE post_id = $1',
		sub { [ rnd(1, 160) ] } ],
	[ 'in_list', 'SELECT id, score FROM post WHERE id IN ($1, $2, $3) ORDER BY id',
		sub { [ rnd(1, 160), rnd(1, 160), rnd(1, 160) ] } ],
	[ 'two_level', 'SELECT c.id, c.likes FROM comment c JOIN post p ON p.id = c.post_id WHERE p.author_id = $1 ORDER BY c.id',
		sub { [ rnd(1, 32) ] } ],
);

my @new_shapes = (
	# kv key kinds
	[ 'kv_a', 'SELECT id, a, b, g FROM kv WHERE a = $1 ORDER BY id', sub { [ ja() ] } ],
	[ 'kv_a_isnull', 'SELECT id FROM kv WHERE a IS NULL ORDER BY id', sub { [] } ],
	[ 'kv_a_any', 'SELECT id, a FROM kv WHERE a = ANY($1::int[]) ORDER BY id',
		sub { [ '[' . join(',', ja(), ja(), ja()) . ']' ] } ],
	[ 'kv_a_in_null', 'SELECT id, a FROM kv WHERE a IN ($1, $2, NULL) ORDER BY id', sub { [ ja(), ja() ] } ],
	[ 'kv_a_notin', 'SELECT count(*) FROM kv WHERE a NOT IN ($1, $2)', sub { [ ja(), ja() ] } ],
	[ 'kv_ab', 'SELECT id FROM kv WHERE a = $1 AND b = $2 ORDER BY id', sub { [ rnd(0, 9), rnd(0, 10) ] } ],
	[ 'kv_b_only', 'SELECT id, a FROM kv WHERE b = $1 ORDER BY id', sub { [ rnd(0, 11) ] } ],
	[ 'kv_partial', 'SELECT id, b FROM kv WHERE a = $1 AND b > 5 ORDER BY id', sub { [ rnd(0, 9) ] } ],
	[ 'kv_num', 'SELECT id, num::text FROM kv WHERE num = $1 ORDER BY id', sub { [ jnum() ] } ],
	[ 'kv_num_int', 'SELECT id FROM kv WHERE num = $1::int ORDER BY id', sub { [ pick(1, 2, 3) ] } ],
	[ 'kv_num_cast', 'SELECT id FROM kv WHERE num::int = $1 ORDER BY id', sub { [ pick(1, 2, 3) ] } ],
	[ 'kv_num_text', 'SELECT id, num FROM kv WHERE num::text = $1 ORDER BY id', sub { [ pick('"1"', '"1.0"', '"1.00"', '"2.50"') ] } ],
	[ 'kv_flt', 'SELECT id, flt::text FROM kv WHERE flt = $1 ORDER BY id', sub { [ jflt() ] } ],
	[ 'kv_flt4', 'SELECT id FROM kv WHERE flt = $1::float4 ORDER BY id', sub { [ jflt() ] } ],
	[ 'kv_t', 'SELECT id, t FROM kv WHERE t = $1 ORDER BY id', sub { [ jtxt() ] } ],
	[ 'kv_t_any', 'SELECT id, t FROM kv WHERE t = ANY($1::text[]) ORDER BY id', sub { [ '[' . join(',', jtxt(), jtxt()) . ']' ] } ],
	[ 'kv_t_coll', 'SELECT id, t FROM kv WHERE t = $1 COLLATE "default" ORDER BY id', sub { [ jtxt() ] } ],
	[ 'kv_lower', 'SELECT id, t FROM kv WHERE lower(t) = $1 ORDER BY id', sub { [ jtxt() ] } ],
	[ 'kv_tci', 'SELECT id, tci FROM kv WHERE tci = $1 ORDER BY id', sub { [ jtci() ] } ],
	[ 'kv_arr', 'SELECT id, arr FROM kv WHERE arr = $1::int[] ORDER BY id', sub { [ jarr() ] } ],
	[ 'kv_g', 'SELECT id, a, b FROM kv WHERE g = $1 ORDER BY id', sub { [ rnd(0, 99) ] } ],
	[ 'kv_u', 'SELECT id, a, note FROM kv WHERE u = $1', sub { [ rnd(1, 70) ] } ],
	[ 'kv_id_big', 'SELECT id, a FROM kv WHERE id = $1::bigint', sub { [ rnd(1, 70) ] } ],
	[ 'kv_point', 'SELECT * FROM kv WHERE id = $1', sub { [ rnd(1, 70) ] } ],
	[ 'kv_func', 'SELECT id, b FROM kv_by_a($1) ORDER BY id', sub { [ rnd(0, 9) ] } ],
	[ 'kv_plpgsql', 'SELECT kv_count_num($1) AS n', sub { [ jnum() ] } ],
	[ 'kv_window', 'SELECT id, a, rank() OVER (PARTITION BY a ORDER BY id) FROM kv WHERE a = $1 ORDER BY id', sub { [ rnd(0, 9) ] } ],
	[ 'kv_view', 'SELECT id, a, u FROM v_kv WHERE a = $1 ORDER BY id', sub { [ rnd(0, 9) ] } ],
	[ 'kv_rview', 'SELECT id, a, num FROM rkv WHERE id = $1', sub { [ rnd(1, 70) ] } ],
	[ 'kvc_join', 'SELECT c.id, c.w, k.a FROM kvc c JOIN kv k ON k.id = c.kv_id WHERE k.a = $1 ORDER BY c.id', sub { [ rnd(0, 9) ] } ],
	[ 'kvc_by_kv', 'SELECT id, w FROM kvc WHERE kv_id = $1 ORDER BY id', sub { [ rnd(1, 70) ] } ],
	[ 'kvc_null', 'SELECT count(*) FROM kvc WHERE kv_id IS NULL', sub { [] } ],
	[ 'kv_lateral', 'SELECT k.id, x.n FROM kv k, LATERAL (SELECT count(*) AS n FROM kvc c WHERE c.kv_id = k.id) x WHERE k.a = $1 ORDER BY k.id', sub { [ rnd(0, 9) ] } ],
	[ 'stat', 'SELECT k, n FROM stat ORDER BY k', sub { [] } ],
	[ 'stat_pt', 'SELECT n FROM stat WHERE k = $1', sub { [ pick('"kv_updates"', '"post_bumps"') ] } ],
	[ 'post_fn', 'SELECT post_score_of($1) AS s', sub { [ rnd(1, 160) ] } ],
	[ 'post_io', 'SELECT id, title, score FROM v_post_io WHERE author_id = $1 ORDER BY id', sub { [ rnd(1, 32) ] } ],
	[ 'post_window', 'SELECT id, score, sum(score) OVER (ORDER BY id) FROM post WHERE author_id = $1 ORDER BY id', sub { [ rnd(1, 32) ] } ],
	# partitions
	[ 'pt_id', 'SELECT grp, id, val FROM pt WHERE id = $1 ORDER BY grp', sub { [ rnd(1, 70) ] } ],
	[ 'pt_grp', 'SELECT id, val FROM pt WHERE grp = $1 ORDER BY id', sub { [ rnd(1, 7) ] } ],
	[ 'pt_val', 'SELECT grp, id FROM pt WHERE val = $1 ORDER BY grp, id', sub { [ rnd(0, 9) ] } ],
	[ 'pt_a_id', 'SELECT grp, id, val FROM pt_a WHERE id = $1 ORDER BY grp', sub { [ rnd(1, 70) ] } ],
	[ 'pt_b_val', 'SELECT grp, id FROM pt_b WHERE val = $1 ORDER BY grp, id', sub { [ rnd(0, 9) ] } ],
	[ 'pt_def_all', 'SELECT grp, id, val FROM pt_def ORDER BY grp, id', sub { [] } ],
	[ 'pt_agg', 'SELECT grp, count(*) FROM pt GROUP BY grp ORDER BY grp', sub { [] } ],
	# inheritance
	[ 'ih_k', 'SELECT id, v FROM ih WHERE k = $1 ORDER BY id', sub { [ rnd(0, 7) ] } ],
	[ 'ih_only_k', 'SELECT id, v FROM ONLY ih WHERE k = $1 ORDER BY id', sub { [ rnd(0, 7) ] } ],
	[ 'ih_c_k', 'SELECT id, v, extra FROM ih_c WHERE k = $1 ORDER BY id', sub { [ rnd(0, 7) ] } ],
	[ 'ih_id', 'SELECT id, k, v FROM ih WHERE id = $1', sub { [ rnd(1, 70) ] } ],
);

my @shapes = $opt{'only-new'} ? @new_shapes : (@old_shapes, @new_shapes, @new_shapes);

my @planner = (
	'enable_seqscan', 'enable_indexscan', 'enable_bitmapscan',
	'enable_indexonlyscan', 'enable_nestloop', 'enable_hashjoin',
	'enable_mergejoin', 'enable_hashagg', 'enable_material');

my %tracked;
my @tracked_order;

sub track
{
	my ($q, $p) = @_;
	my $k = "$q\t$p";
	return if $tracked{$k};
	$tracked{$k} = [ $q, $p ];
	push @tracked_order, $k;
	if (@tracked_order > 150)
	{
		my $old = shift @tracked_order;
		delete $tracked{$old};
	}
}

sub random_read
{
	my $shape = pick(@shapes);
	my $params = $shape->[2]->();
	my $p = '[' . join(', ', @$params) . ']';
	return ($shape->[0], $shape->[1], $p);
}

sub vary_plans
{
	my ($s) = @_;
	for my $g (@planner)
	{
		# mostly without sequential scans: the small tables would be read
		# whole, and precise invalidation not exercised
		my $v = rand() < ($g eq 'enable_seqscan' ? 0.8 : 0.3) ? 'off' : 'on';
		$s->{dbh}->do("SET $g = $v");
	}
}

# ------------------------------------------------------------------
# Writes
# ------------------------------------------------------------------
sub sqlnum { return pick('1', '1.0', '1.00', '2.5', '2.50', '3', 'NULL'); }
sub sqlflt { return pick("'0'", "'-0'", "'1.5'", "'NaN'", "'Infinity'", "'-Infinity'", "'2'", 'NULL'); }
sub sqltxt { return pick("'a'", "'A'", "'b'", "'B'", "'ab'", "'Ab'", "'z'", 'NULL'); }
sub sqltci { return pick("'x'", "'X'", "'y'", "'Y'", "'z'", 'NULL'); }
sub sqla { return pick((0 .. 9), 'NULL'); }
sub sqlarr { return pick("'{1,2}'", "'{2,1}'", "'{1,NULL}'", "'{3,3}'", "'{}'", 'NULL'); }

sub old_write
{
	my $a = rnd(1, 32);
	my $p = rnd(1, 160);
	my $c = rnd(1, 420);
	return pick(
		"INSERT INTO author VALUES (" . ($next_id++) . ", 'new author', 'de')",
		"UPDATE author SET name = name || '.' WHERE id = $a",
		"DELETE FROM author WHERE id = $a",
		"INSERT INTO post VALUES (" . ($next_id++) . ", $a, 'new post', " . pick('true', 'false') . ", " . rnd(0, 50) . ")",
		"UPDATE post SET author_id = $a WHERE id = $p",
		"UPDATE post SET score = " . rnd(0, 50) . " WHERE id = $p",
		"DELETE FROM post WHERE id = $p",
		"INSERT INTO comment VALUES (" . ($next_id++) . ", $p, $a, " . rnd(0, 6) . ", 'new comment')",
		"UPDATE comment SET post_id = $p WHERE id = $c",
		"DELETE FROM comment WHERE id = $c");
}

sub new_write
{
	my $k = rnd(1, 70);
	my $k2 = rnd(1, 70);
	my $a = rnd(1, 32);
	my $p = rnd(1, 160);
	my $id = $next_id++;
	my @w = (
		# kv plain
		"INSERT INTO kv (id, a, b, num, flt, t, tci, arr, u) VALUES ($id, " . sqla() . ", " . rnd(0, 10) . ", " . sqlnum() . ", " . sqlflt() . ", " . sqltxt() . ", " . sqltci() . ", " . sqlarr() . ", " . pick('NULL', rnd(1, 70)) . ")",
		"UPDATE kv SET a = " . sqla() . " WHERE id = $k",
		"UPDATE kv SET b = " . rnd(0, 10) . " WHERE id = $k",
		"UPDATE kv SET num = " . sqlnum() . " WHERE id = $k",
		"UPDATE kv SET flt = " . sqlflt() . " WHERE id = $k",
		"UPDATE kv SET flt = -flt WHERE id = $k",
		"UPDATE kv SET num = num * 1.0 WHERE id = $k",
		"UPDATE kv SET t = " . sqltxt() . " WHERE id = $k",
		"UPDATE kv SET t = upper(t) WHERE id = $k",
		"UPDATE kv SET tci = " . sqltci() . " WHERE id = $k",
		"UPDATE kv SET tci = upper(tci) WHERE id = $k",
		"UPDATE kv SET arr = " . sqlarr() . " WHERE id = $k",
		"UPDATE kv SET u = " . pick('NULL', rnd(1, 70)) . " WHERE id = $k",
		"UPDATE kv SET id = " . rnd(1, 75) . " WHERE id = $k",
		"UPDATE kv SET note = note || 'x' WHERE a = " . rnd(0, 9),
		"DELETE FROM kv WHERE id = $k",
		"DELETE FROM kv WHERE a IS NULL AND id = $k",
		# upserts on the unique non-PK column
		"INSERT INTO kv (id, a, b, u) VALUES ($id, " . sqla() . ", " . rnd(0, 10) . ", " . rnd(1, 70) . ")
		   ON CONFLICT (u) DO UPDATE SET a = EXCLUDED.a, b = EXCLUDED.b, note = kv.note || 'u'",
		"INSERT INTO kv (id, a, b, u) VALUES ($k, " . sqla() . ", 1, NULL)
		   ON CONFLICT (id) DO UPDATE SET num = " . sqlnum() . ", t = " . sqltxt(),
		"INSERT INTO kv (id, a, u) VALUES ($id, 1, " . rnd(1, 70) . ") ON CONFLICT (u) DO NOTHING",
		# MERGE
		"MERGE INTO kv USING (VALUES ($k, (" . sqla() . ")::int, " . rnd(0, 10) . ")) AS s(id, a, b) ON kv.id = s.id
		   WHEN MATCHED AND kv.b > 7 THEN DELETE
		   WHEN MATCHED THEN UPDATE SET a = s.a, b = s.b
		   WHEN NOT MATCHED THEN INSERT (id, a, b) VALUES (s.id, s.a, s.b)",
		"MERGE INTO kv USING (SELECT id, kv_id FROM kvc WHERE w = " . rnd(0, 4) . ") AS s ON kv.id = s.kv_id
		   WHEN MATCHED THEN UPDATE SET num = " . sqlnum(),
		"MERGE INTO post p USING (SELECT $p AS id, $a AS author_id) s ON p.id = s.id
		   WHEN MATCHED THEN UPDATE SET author_id = s.author_id, score = p.score + 1
		   WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.author_id, 'merged', true, 7)",
		"MERGE INTO pt USING (VALUES ($k, " . rnd(1, 7) . ")) s(id, grp) ON pt.id = s.id
		   WHEN MATCHED THEN UPDATE SET grp = s.grp, val = pt.val + 1
		   WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.grp, 0)",
		# writable CTEs
		"WITH u AS (UPDATE kv SET a = " . sqla() . " WHERE id = $k RETURNING id, a)
		   INSERT INTO kvc SELECT $id, id, coalesce(a, 0) % 5 FROM u",
		"WITH d AS (DELETE FROM kvc WHERE kv_id = $k RETURNING w)
		   UPDATE kv SET b = (SELECT count(*) FROM d) WHERE id = $k2",
		"WITH m AS (UPDATE pt SET grp = " . rnd(1, 7) . " WHERE id = $k RETURNING id)
		   UPDATE ih SET v = v + 1 WHERE id IN (SELECT id FROM m)",
		# UPDATE ... FROM, DELETE ... USING
		"UPDATE kv SET a = c.w FROM kvc c WHERE c.kv_id = kv.id AND c.id = " . rnd(1, 130),
		"UPDATE post SET score = a.id % 50 FROM author a WHERE a.id = post.author_id AND post.id = $p",
		"DELETE FROM kvc USING kv WHERE kv.id = kvc.kv_id AND kv.a = " . rnd(0, 9) . " AND kvc.w = " . rnd(0, 4),
		# kvc, deferred FK
		"INSERT INTO kvc VALUES ($id, " . pick('NULL', $k) . ", " . rnd(0, 4) . ")",
		"UPDATE kvc SET kv_id = " . pick('NULL', $k) . " WHERE id = " . rnd(1, 130),
		"INSERT INTO kvc VALUES ($id, " . ($next_id + 50000) . ", 1)",
		# partitions
		"UPDATE pt SET grp = " . rnd(1, 7) . " WHERE id = $k",
		"UPDATE pt SET val = " . rnd(0, 9) . " WHERE id = $k",
		"UPDATE pt_a SET val = val + 1 WHERE id = $k",
		"INSERT INTO pt VALUES ($id, " . rnd(1, 7) . ", " . rnd(0, 9) . ")",
		"INSERT INTO pt_b VALUES ($id, " . rnd(3, 4) . ", " . rnd(0, 9) . ")",
		"DELETE FROM pt WHERE id = $k",
		"DELETE FROM pt_def WHERE val = " . rnd(0, 9),
		# inheritance
		"UPDATE ih SET k = " . rnd(0, 7) . " WHERE id = $k",
		"UPDATE ONLY ih SET v = v + 1 WHERE k = " . rnd(0, 7),
		"UPDATE ih_c SET k = " . rnd(0, 7) . " WHERE id = $k",
		"INSERT INTO ih_c VALUES ($id, " . rnd(0, 7) . ", 0, 'n')",
		"INSERT INTO ih VALUES ($id, " . rnd(0, 7) . ", 0)",
		"DELETE FROM ih WHERE id = $k",
		# views and rules
		"UPDATE v_kv SET a = " . sqla() . " WHERE id = $k",
		"INSERT INTO v_kv (id, a, b, num) VALUES ($id, " . sqla() . ", " . rnd(0, 10) . ", " . sqlnum() . ")",
		"DELETE FROM v_kv WHERE id = $k",
		"INSERT INTO v_post_io VALUES ($id, $a, 'io', " . rnd(0, 50) . ")",
		"UPDATE v_post_io SET author_id = $a, score = score + 2 WHERE id = $p",
		"DELETE FROM v_post_io WHERE id = $p",
		"INSERT INTO rlog (kv_id, delta) VALUES ($k, " . rnd(-2, 2) . ")",
		"UPDATE rkv SET a = " . sqla() . ", num = " . sqlnum() . " WHERE id = $k",
		"DELETE FROM rkv WHERE id = $k",
		# plpgsql subtransactions: one that fails after writing, one that commits
		"DO \$\$ BEGIN UPDATE diff.kv SET b = " . rnd(0, 10) . " WHERE id = $k;
		   BEGIN UPDATE diff.kv SET a = " . sqla() . " WHERE id = $k2; PERFORM 1 / 0;
		   EXCEPTION WHEN division_by_zero THEN NULL; END; END \$\$",
		"DO \$\$ BEGIN BEGIN UPDATE diff.kv SET num = " . sqlnum() . " WHERE id = $k;
		   UPDATE diff.pt SET grp = " . rnd(1, 7) . " WHERE id = $k2;
		   EXCEPTION WHEN others THEN NULL; END; END \$\$",
		"UPDATE kv SET a = a WHERE id = $k",
		"UPDATE kv SET a = NULL WHERE id = $k",
		"UPDATE kv SET id = id + 1000 WHERE id = $k",
		"SET CONSTRAINTS ALL IMMEDIATE",
		"SET CONSTRAINTS ALL DEFERRED",
		# a comment insert: its trigger bumps post.score and stat
		"INSERT INTO comment VALUES ($id, $p, $a, 1, 'triggered')",
	);
	return pick(@w);
}

sub copy_write
{
	my ($dbh) = @_;
	my $n = rnd(1, 4);
	my @rows;
	my $table = pick('kv', 'pt', 'ih_c', 'post');
	for (1 .. $n)
	{
		my $id = $next_id++;
		if ($table eq 'kv') { push @rows, join("\t", $id, pick(0 .. 9, '\N'), rnd(0, 10), pick('1', '1.0', '2.50', '\N'), pick('0', '-0', 'NaN', '1.5'), pick('a', 'A', 'b', '\N'), pick('x', 'X', 'y'), pick('{1,2}', '{3,3}', '\N'), '\N') . "\n"; }
		elsif ($table eq 'pt') { push @rows, join("\t", $id, rnd(1, 7), rnd(0, 9)) . "\n"; }
		elsif ($table eq 'ih_c') { push @rows, join("\t", $id, rnd(0, 7), 0, 'copied') . "\n"; }
		else { push @rows, join("\t", $id, rnd(1, 32), 'copied', 't', rnd(0, 50)) . "\n"; }
	}
	my %cols = (kv => '(id, a, b, num, flt, t, tci, arr, u)', pt => '', ih_c => '', post => '');
	$dbh->do("COPY $table $cols{$table} FROM STDIN");
	$dbh->pg_putcopydata($_) for @rows;
	$dbh->pg_putcopyend();
	return "COPY $table FROM STDIN: " . join(' | ', map { my $x = $_; chomp $x; $x } @rows);
}

# a statement that is certain to fail after it wrote something
sub failing_write
{
	my $k = rnd(1, 70);
	return pick(
		"UPDATE kv SET a = " . sqla() . ", b = 1 / (id - id) WHERE id = $k",
		"WITH u AS (UPDATE kv SET num = " . sqlnum() . " WHERE id = $k RETURNING id) INSERT INTO kv (id) SELECT id FROM u",
		"UPDATE pt SET grp = grp + 1, val = 1 / 0 WHERE id = $k",
		"INSERT INTO post VALUES (" . ($next_id++) . ", 99999, 'bad fk', true, 1)");
}

# run one statement in a writer's transaction
sub write_step
{
	my ($s) = @_;
	my $dbh = $s->{dbh};
	if (!$s->{in_xact})
	{
		$dbh->do("BEGIN");
		$s->{in_xact} = 1;
		$s->{prep_ok} = 1;
		if (rand() < 0.08)
		{
			$dbh->do("SET LOCAL session_replication_role = replica");
			note_op("$s->{name}: BEGIN; SET LOCAL session_replication_role = replica");
		}
		else
		{
			note_op("$s->{name}: BEGIN");
		}
	}
	my $r = rand();
	if ($r < 0.06)
	{
		# a read through the cache by the writer, inside its transaction
		my ($shape, $q, $p) = random_read();
		$dbh->do("SAVEPOINT r");
		if (eval { $dbh->selectrow_array("SELECT cached_query(?, ?::jsonb)", undef, $q, $p); 1 })
		{
			$dbh->do("RELEASE SAVEPOINT r");
			track($q, $p);
			note_op("$s->{name}: read $shape $p (in its transaction)");
		}
		else
		{
			$dbh->do("ROLLBACK TO SAVEPOINT r");
			note_op("$s->{name}: read $shape $p (in its transaction) -- failed");
		}
		return;
	}
	$dbh->do("SAVEPOINT w");
	my $sql;
	my $ok = eval {
		if ($r < 0.07)
		{
			$sql = copy_write($dbh);
		}
		elsif ($r < 0.11)
		{
			$sql = failing_write();
			$dbh->do($sql);
		}
		elsif ($r < 0.15)
		{
			# the watch trigger disabled for a statement, in the transaction
			my $t = pick('kv', 'post', 'pt_a', 'ih', 'kvc');
			my $w = $t eq 'kv' ? "UPDATE kv SET a = " . sqla() . ", num = " . sqlnum() . " WHERE id = " . rnd(1, 70)
			  : $t eq 'post' ? "UPDATE post SET score = " . rnd(0, 50) . ", author_id = " . rnd(1, 32) . " WHERE id = " . rnd(1, 160)
			  : $t eq 'pt_a' ? "UPDATE pt_a SET val = " . rnd(0, 9) . " WHERE id = " . rnd(1, 70)
			  : $t eq 'ih' ? "UPDATE ih SET k = " . rnd(0, 7) . " WHERE id = " . rnd(1, 70)
			  : "UPDATE kvc SET w = " . rnd(0, 4) . " WHERE kv_id = " . rnd(1, 70);
			my $how = pick('DISABLE TRIGGER cascade_cache_watch', 'DISABLE TRIGGER ALL', 'ENABLE TRIGGER cascade_cache_watch');
			my @st = ("ALTER TABLE $t $how");
			push @st, "SET LOCAL session_replication_role = replica" if $how =~ /^ENABLE/;
			push @st, $w;
			push @st, "SET LOCAL session_replication_role = origin" if $how =~ /^ENABLE/;
			push @st, "ALTER TABLE $t ENABLE TRIGGER ALL" if $how =~ /ALL/;
			push @st, "ALTER TABLE $t ENABLE ALWAYS TRIGGER cascade_cache_watch";
			push @st, "ALTER TABLE $t ENABLE ALWAYS TRIGGER cascade_cache_watch_truncate" if $how =~ /ALL/;
			$sql = join('; ', @st);
			$dbh->do($_) for split /; /, $sql;
		}
		elsif ($r < 0.22)
		{
			$sql = old_write();
			$dbh->do($sql);
		}
		else
		{
			$sql = new_write();
			$dbh->do($sql);
		}
		1;
	};
	if ($ok)
	{
		note_op("$s->{name}: $sql");
		if (rand() < 0.1)
		{
			$dbh->do("ROLLBACK TO SAVEPOINT w");
			note_op("$s->{name}: ROLLBACK TO SAVEPOINT");
		}
		else
		{
			$dbh->do("RELEASE SAVEPOINT w");
		}
	}
	else
	{
		my $err = $dbh->errstr // $@;
		$err =~ s/\n.*//s;
		$dbh->do("ROLLBACK TO SAVEPOINT w");
		note_op("$s->{name}: " . ($sql // '?') . " -- failed ($err), rolled back to the savepoint");
		if ($dbh->state eq 'XX000' || $err =~ /XX000|internal error|lost track|server closed/)
		{
			print "differential_writes: INTERNAL ERROR: $err (seed $seed)\n";
		}
	}
}

# ------------------------------------------------------------------
# The check
# ------------------------------------------------------------------
my %stats = (ops => 0, commits => 0, checks => 0, compared => 0, prepared => 0);
my $checker = connect_session('checker');
my $failures = 0;

sub check_all
{
	my ($why) = @_;
	return unless @tracked_order;
	my @q = map { $tracked{$_}[0] } @tracked_order;
	my @p = map { $tracked{$_}[1] } @tracked_order;
	my $rows = $checker->{dbh}->selectall_arrayref(
		"SELECT t.q, t.p, c::text, f::text
		   FROM (SELECT q, p::jsonb AS p, cached_query(q, p::jsonb) AS c, fresh(q, p::jsonb) AS f
		           FROM unnest(?::text[], ?::text[]) AS u(q, p)) t
		  WHERE c IS DISTINCT FROM f", undef, \@q, \@p);
	$stats{checks}++;
	$stats{compared} += scalar @q;
	return unless @$rows;

	print "differential_writes: STALE READ after $why (seed $seed, operation $stats{ops})\n";
	for my $r (@$rows)
	{
		print "  query:  $r->[0]\n  params: $r->[1]\n  cached: $r->[2]\n  fresh:  $r->[3]\n";
	}
	print "  last operations:\n";
	print "    $_\n" for @log;
	print "differential_writes: replay with --seed $seed\n";
	exit 1;
}

my $gid = 0;

sub commit
{
	my ($s) = @_;
	my $r = rand();
	my $dbh = $s->{dbh};
	$s->{in_xact} = 0;
	if ($r < 0.12)
	{
		$dbh->do("ROLLBACK");
		note_op("$s->{name}: ROLLBACK");
		return 0;
	}
	if ($r < 0.30)
	{
		my $g = "d2_" . $seed . "_" . ($gid++);
		my $ok = eval { $dbh->do("PREPARE TRANSACTION '$g'"); 1 };
		if (!$ok)
		{
			my $err = $dbh->errstr // $@;
			$err =~ s/\n.*//s;
			eval { $dbh->do("ROLLBACK") };
			note_op("$s->{name}: PREPARE TRANSACTION failed ($err)");
			return 0;
		}
		note_op("$s->{name}: PREPARE TRANSACTION '$g'");
		$stats{prepared}++;
		# sometimes a check while it is prepared (entries must not be stale either)
		check_all('a PREPARE TRANSACTION') if rand() < 0.3;
		my $who = rand() < 0.5 ? $s : $checker;
		if (rand() < 0.15)
		{
			$who->{dbh}->do("ROLLBACK PREPARED '$g'");
			note_op("$who->{name}: ROLLBACK PREPARED '$g'");
			return 0;
		}
		$who->{dbh}->do("COMMIT PREPARED '$g'");
		note_op("$who->{name}: COMMIT PREPARED '$g'");
		$stats{commits}++;
		return 1;
	}
	my $ok = eval { $dbh->do("COMMIT"); 1 };
	if (!$ok)
	{
		my $err = $dbh->errstr // $@;
		$err =~ s/\n.*//s;
		eval { $dbh->do("ROLLBACK") };
		note_op("$s->{name}: COMMIT failed ($err)");
		return 0;
	}
	note_op("$s->{name}: COMMIT");
	$stats{commits}++;
	return 1;
}

# ------------------------------------------------------------------
# The run
# ------------------------------------------------------------------
my @readers = map { connect_session("reader$_") } 1 .. 2;
$_->{dbh}->do("SET enable_seqscan = off") for @readers;
# a reader whose REPEATABLE READ transactions span several commits
my $rr = connect_session('rr');
$rr->{dbh}->do("SET enable_seqscan = off");
$rr->{left} = 0;
my @writers = map { connect_session("writer$_") } 1 .. 3;
my $s0 = $checker->{dbh}->selectrow_hashref(
	"SELECT hits, invalidations FROM cache_stats()");

for my $op (1 .. $opt{ops})
{
	$stats{ops} = $op;
	my $r = rand();
	if ($r < 0.08)
	{
		my $dbh = $rr->{dbh};
		if (!$rr->{in_xact})
		{
			my $iso = pick('REPEATABLE READ', 'SERIALIZABLE', 'READ COMMITTED');
			$dbh->do("BEGIN ISOLATION LEVEL $iso");
			$rr->{in_xact} = 1;
			$rr->{left} = rnd(1, 10);
			note_op("rr: BEGIN ISOLATION LEVEL $iso");
		}
		my ($shape, $q, $p) = random_read();
		$dbh->do("SAVEPOINT r");
		if (eval { $dbh->selectrow_array("SELECT cached_query(?, ?::jsonb)", undef, $q, $p); 1 })
		{
			$dbh->do("RELEASE SAVEPOINT r");
			track($q, $p);
			note_op("rr: read $shape $p");
		}
		else
		{
			$dbh->do("ROLLBACK TO SAVEPOINT r");
			note_op("rr: read $shape $p -- failed: " . ($dbh->errstr // ''));
		}
		if (--$rr->{left} <= 0)
		{
			eval { $dbh->do("COMMIT") } or eval { $dbh->do("ROLLBACK") };
			$rr->{in_xact} = 0;
			note_op("rr: COMMIT");
		}
	}
	elsif ($r < 0.45)
	{
		my $s = pick(@readers);
		vary_plans($s) if rand() < 0.2;
		my ($shape, $q, $p) = random_read();
		if (eval { $s->{dbh}->selectrow_array("SELECT cached_query(?, ?::jsonb)", undef, $q, $p); 1 })
		{
			track($q, $p);
			note_op("$s->{name}: read $shape $p");
		}
		else
		{
			my $err = $s->{dbh}->errstr // '';
			note_op("$s->{name}: read $shape $p -- failed: $err");
			print "differential_writes: INTERNAL ERROR on read: $err\n" if ($s->{dbh}->state // '') eq 'XX000';
		}
	}
	elsif ($r < 0.85)
	{
		write_step(pick(@writers));
	}
	else
	{
		my @open = grep { $_->{in_xact} } @writers;
		next unless @open;
		my $w = pick(@open);
		if (rand() < 0.4)
		{
			my $s = pick(@readers);
			my ($shape, $q, $p) = random_read();
			$s->{dbh}->do("SELECT cached_query(?, ?::jsonb)", { pg_async => PG_ASYNC }, $q, $p);
			my $committed = commit($w);
			my $ok = eval { $s->{dbh}->pg_result; 1 };
			track($q, $p) if $ok;
			note_op("$s->{name}: read $shape $p, overlapping the commit");
			check_all('a commit that overlapped a fill') if $committed;
		}
		else
		{
			check_all('a commit') if commit($w);
		}
	}
}

for my $w (@writers)
{
	next unless $w->{in_xact};
	$w->{in_xact} = 0;
	if (eval { $w->{dbh}->do("COMMIT"); 1 })
	{
		$stats{commits}++;
		check_all('the final commits');
	}
	else
	{
		eval { $w->{dbh}->do("ROLLBACK") };
	}
}
check_all('the end');

my $s1 = $checker->{dbh}->selectrow_hashref(
	"SELECT hits, invalidations FROM cache_stats()");
printf "differential_writes: seed=%d ops=%d commits=%d prepared=%d checks=%d compared=%d hits=%d invalidations=%d differences=0\n",
  $seed, $stats{ops}, $stats{commits}, $stats{prepared}, $stats{checks}, $stats{compared},
  $s1->{hits} - $s0->{hits}, $s1->{invalidations} - $s0->{invalidations};
$_->{dbh}->disconnect for (@readers, @writers, $rr, $checker, $admin);
exit 0;
