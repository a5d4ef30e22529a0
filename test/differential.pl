#!/usr/bin/perl
# The randomized differential test of invalidation.
#
#   test/differential.pl --host H --port P [--dbname D] [--user U]
#                        [--ops N] [--seed S] [--quiet]
#
# Three tables with foreign keys (author, post, comment), all watched with
# cascade_watch(), are read through cached_query() by two reader sessions,
# with queries drawn from shapes (point lookup, foreign-key list, filtered
# list, join, a nested JSON view like the demo's v_user, range, aggregate,
# EXISTS and NOT EXISTS, IN lists), under randomly varied planner settings
# so that the same query is filled by different plans (index, bitmap and
# sequential scans, nested loops, hash and merge joins).  Three writer
# sessions run random INSERT, UPDATE, DELETE (cascading through the foreign
# keys), upserts, multi-row updates and TRUNCATE, in transactions that
# interleave with each other and with the readers, commit, roll back or
# roll back to a savepoint.  Some commits happen while a reader's fill is
# in flight.
#
# After every commit a checker session compares, for every (query,
# parameters) the readers have cached, cached_query() (a hit if the entry
# is cached) with a fresh execution with the cache off.  Any difference is
# a stale read: the run stops, prints the seed, the difference and the last
# operations, and exits with status 1.  A run with the same --seed replays
# the same operations (the timing of the overlapping fills may differ).
#
# The summary line on success:
#   differential: seed=S ops=N commits=C checks=K compared=M hits=H
#                 invalidations=I differences=0
use strict;
use warnings;
use DBI;
use DBD::Pg qw(:async);
use Getopt::Long;
use Time::HiRes qw(usleep);

my %opt = (host => '127.0.0.1', port => 5432, dbname => 'postgres',
	user => undef, ops => 2000, seed => undef, quiet => 0);
GetOptions(\%opt, 'host=s', 'port=i', 'dbname=s', 'user=s', 'ops=i',
	'seed=i', 'quiet')
  or die "usage: $0 --host H --port P [--dbname D] [--user U] [--ops N] [--seed S]\n";
my $seed = $opt{seed} // (time() ^ ($$ << 8)) % 1000000000;
srand($seed);
print "differential: seed $seed, $opt{ops} operations\n" unless $opt{quiet};

my @log;    # the operations so far, for the failure report

sub note_op
{
	my ($text) = @_;
	push @log, $text;
	shift @log if @log > 40;
}

sub connect_session
{
	my ($name) = @_;
	my $dsn = "dbi:Pg:dbname=$opt{dbname};host=$opt{host};port=$opt{port}";
	my $dbh = DBI->connect($dsn, $opt{user}, undef,
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0 })
	  or die "cannot connect: $DBI::errstr\n";
	$dbh->do("SET application_name = 'differential $name'");
	$dbh->do("SET search_path = diff, public, cascade_cache");
	$dbh->do("SET client_min_messages = error");
	# never wait for long on a lock another (idle) session of ours holds
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
	"CREATE FUNCTION fresh(q text, p jsonb) RETURNS jsonb LANGUAGE sql VOLATILE
	   SET cascade_cache.enabled = off
	   AS \$\$ SELECT cascade_cache.cached_query(q, p) \$\$",
	"SELECT cascade_watch('diff.author'), cascade_watch('diff.post'),
	        cascade_watch('diff.comment')",
	"ANALYZE author, post, comment",
	"SELECT cache_flush()");
my $next_id = 100000;

# ------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------
my @shapes = (
	[ 'point', 'SELECT name, country FROM author WHERE id = $1', sub { [ rnd(1, 35) ] } ],
	[ 'fk_list', 'SELECT id, title, published FROM post WHERE author_id = $1 ORDER BY id',
		sub { [ rnd(1, 32) ] } ],
	[ 'filtered', 'SELECT id FROM post WHERE author_id = $1 AND published ORDER BY id',
		sub { [ rnd(1, 32) ] } ],
	[ 'join', 'SELECT p.id, p.title, a.name FROM post p JOIN author a ON a.id = p.author_id WHERE p.id = $1',
		sub { [ rnd(1, 160) ] } ],
	[ 'view', 'SELECT data FROM v_author WHERE id = $1', sub { [ rnd(1, 32) ] } ],
	[ 'range', 'SELECT id FROM post WHERE score BETWEEN $1 AND $1 + 5 ORDER BY id',
		sub { [ rnd(0, 50) ] } ],
	[ 'agg', 'SELECT count(*) AS n, coalesce(sum(likes), 0) AS likes FROM comment WHERE post_id = $1',
		sub { [ rnd(1, 160) ] } ],
	[ 'group', 'SELECT author_id, count(*) FROM post GROUP BY author_id ORDER BY author_id',
		sub { [] } ],
	[ 'exists', 'SELECT id FROM author a WHERE EXISTS (SELECT 1 FROM post p WHERE p.author_id = a.id AND p.score > $1) ORDER BY id',
		sub { [ rnd(40, 49) ] } ],
	[ 'in_list', 'SELECT id, score FROM post WHERE id IN ($1, $2, $3) ORDER BY id',
		sub { [ rnd(1, 160), rnd(1, 160), rnd(1, 160) ] } ],
	[ 'two_level', 'SELECT c.id, c.likes FROM comment c JOIN post p ON p.id = c.post_id WHERE p.author_id = $1 ORDER BY c.id',
		sub { [ rnd(1, 32) ] } ],
	[ 'anti', 'SELECT id FROM post p WHERE p.author_id = $1 AND NOT EXISTS (SELECT 1 FROM comment c WHERE c.post_id = p.id) ORDER BY id',
		sub { [ rnd(1, 32) ] } ],
	[ 'by_commenter', 'SELECT count(*) AS n FROM comment WHERE author_id = $1 AND likes >= $2',
		sub { [ rnd(1, 30), rnd(0, 6) ] } ],
);

my @planner = (
	'enable_seqscan', 'enable_indexscan', 'enable_bitmapscan',
	'enable_indexonlyscan', 'enable_nestloop', 'enable_hashjoin',
	'enable_mergejoin', 'enable_hashagg', 'enable_material');

my %tracked;    # "q\tp" => [q, p]
my @tracked_order;

sub track
{
	my ($q, $p) = @_;
	my $k = "$q\t$p";
	return if $tracked{$k};
	$tracked{$k} = [ $q, $p ];
	push @tracked_order, $k;
	if (@tracked_order > 80)
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
		my $v = rand() < 0.3 ? 'off' : 'on';
		$s->{dbh}->do("SET $g = $v");
	}
}

# ------------------------------------------------------------------
# Writes
# ------------------------------------------------------------------
sub random_write
{
	my $r = rand();
	my $a = rnd(1, 32);
	my $p = rnd(1, 160);
	my $c = rnd(1, 420);
	return pick(
		"INSERT INTO author VALUES (" . ($next_id++) . ", 'new author', 'de')",
		"UPDATE author SET name = name || '.' WHERE id = $a",
		"UPDATE author SET country = 'se' WHERE id = $a",
		"DELETE FROM author WHERE id = $a",
		"INSERT INTO post VALUES (" . ($next_id++) . ", $a, 'new post', " . pick('true', 'false') . ", " . rnd(0, 50) . ")",
		"INSERT INTO post VALUES ($p, $a, 'upserted', true, " . rnd(0, 50) . ") ON CONFLICT (id) DO UPDATE SET title = 'upserted', author_id = EXCLUDED.author_id",
		"UPDATE post SET author_id = $a WHERE id = $p",
		"UPDATE post SET published = NOT published WHERE id = $p",
		"UPDATE post SET score = " . rnd(0, 50) . " WHERE id = $p",
		"UPDATE post SET title = title || '!' WHERE id = $p",
		"UPDATE post SET score = score + 1 WHERE author_id = $a",
		"DELETE FROM post WHERE id = $p",
		"INSERT INTO comment VALUES (" . ($next_id++) . ", $p, $a, " . rnd(0, 6) . ", 'new comment')",
		"UPDATE comment SET likes = likes + 1 WHERE id = $c",
		"UPDATE comment SET post_id = $p WHERE id = $c",
		"UPDATE comment SET author_id = $a WHERE post_id = $p",
		"DELETE FROM comment WHERE id = $c",
		"DELETE FROM comment WHERE post_id = $p");
}

# run one statement in a writer's transaction, under a savepoint
sub write_step
{
	my ($s) = @_;
	my $dbh = $s->{dbh};
	if (!$s->{in_xact})
	{
		$dbh->begin_work;
		$s->{in_xact} = 1;
	}
	my $sql = random_write();
	$dbh->do("SAVEPOINT w");
	if (eval { $dbh->do($sql); 1 })
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
		$dbh->do("ROLLBACK TO SAVEPOINT w");
		note_op("$s->{name}: $sql -- failed, rolled back to the savepoint");
	}
}

# ------------------------------------------------------------------
# The check
# ------------------------------------------------------------------
my %stats = (ops => 0, commits => 0, checks => 0, compared => 0);
my $checker = connect_session('checker');

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

	print "differential: STALE READ after $why (seed $seed, operation $stats{ops})\n";
	for my $r (@$rows)
	{
		print "  query:  $r->[0]\n  params: $r->[1]\n  cached: $r->[2]\n  fresh:  $r->[3]\n";
	}
	print "  last operations:\n";
	print "    $_\n" for @log;
	print "differential: replay with --seed $seed\n";
	exit 1;
}

sub commit
{
	my ($s) = @_;
	my $rollback = rand() < 0.15;
	if ($rollback) { $s->{dbh}->rollback; }
	else { $s->{dbh}->commit; }
	$s->{in_xact} = 0;
	note_op("$s->{name}: " . ($rollback ? 'ROLLBACK' : 'COMMIT'));
	$stats{commits}++ unless $rollback;
	return !$rollback;
}

# ------------------------------------------------------------------
# The run
# ------------------------------------------------------------------
my @readers = map { connect_session("reader$_") } 1 .. 2;
my @writers = map { connect_session("writer$_") } 1 .. 3;
my $s0 = $checker->{dbh}->selectrow_hashref(
	"SELECT hits, invalidations FROM cache_stats()");

for my $op (1 .. $opt{ops})
{
	$stats{ops} = $op;
	my $r = rand();
	if ($r < 0.45)
	{
		# a read through the cache
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
			note_op("$s->{name}: read $shape $p -- failed: " . ($s->{dbh}->errstr // ''));
		}
	}
	elsif ($r < 0.85)
	{
		write_step(pick(@writers));
	}
	elsif ($r < 0.97)
	{
		# commit a writer, sometimes while a fill is in flight
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
	else
	{
		# a TRUNCATE, in a transaction of its own
		my @idle = grep { !$_->{in_xact} } @writers;
		next unless @idle;
		my $w = pick(@idle);
		my $sql = rand() < 0.7 ? 'TRUNCATE comment' : 'TRUNCATE post CASCADE';
		if (eval { $w->{dbh}->do($sql); 1 })
		{
			note_op("$w->{name}: $sql");
			$stats{commits}++;
			check_all($sql);
			# repopulate (a concurrent writer's row can make it time out)
			eval {
			$w->{dbh}->do("INSERT INTO post SELECT g, 1 + g % 30, 'post ' || g, g % 3 <> 0, g % 50
			                 FROM generate_series(1, 150) g WHERE EXISTS (SELECT 1 FROM author WHERE id = 1 + g % 30)
			               ON CONFLICT DO NOTHING");
			$w->{dbh}->do("INSERT INTO comment SELECT g, 1 + g % 150, 1 + g % 29, g % 7, 'comment ' || g
			                 FROM generate_series(1, 400) g
			                WHERE EXISTS (SELECT 1 FROM post WHERE id = 1 + g % 150)
			                  AND EXISTS (SELECT 1 FROM author WHERE id = 1 + g % 29)
			               ON CONFLICT DO NOTHING");
			};
			note_op("$w->{name}: repopulated");
			check_all('the repopulation');
		}
		else
		{
			note_op("$w->{name}: $sql -- failed");
		}
	}
}

# commit what is open and check once more
for my $w (@writers)
{
	next unless $w->{in_xact};
	$w->{dbh}->commit;
	$w->{in_xact} = 0;
	$stats{commits}++;
	check_all('the final commits');
}
check_all('the end');

my $s1 = $checker->{dbh}->selectrow_hashref(
	"SELECT hits, invalidations FROM cache_stats()");
printf "differential: seed=%d ops=%d commits=%d checks=%d compared=%d hits=%d invalidations=%d differences=0\n",
  $seed, $stats{ops}, $stats{commits}, $stats{checks}, $stats{compared},
  $s1->{hits} - $s0->{hits}, $s1->{invalidations} - $s0->{invalidations};
$_->{dbh}->disconnect for (@readers, @writers, $checker, $admin);
exit 0;
