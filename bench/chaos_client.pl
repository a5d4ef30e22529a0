#!/usr/bin/env perl
# Error-tolerant, reconnecting clients for the chaos scenario of
# bench/run.sh (bench/README.md, "Chaos soak").
#
#   perl bench/chaos_client.pl --port 5491 --mode slow --clients 6 \
#        --until EPOCH --out FILE [options]
#
# Every client is a process of its own with one connection at a time.  It
# runs check_slow(key, ms) (bench/chaos.sh creates it: a direct read of a
# version, then the same version through cached_query() with a fill that
# sleeps ms milliseconds, and an exception 'stale read ...' if the cached
# value is older) and survives what the chaos driver does to it: a
# cancelled statement, a statement_timeout, a terminated connection, a
# crash-restart of the whole server (it reconnects as soon as the server
# accepts connections again).  Every error is classified; a stale read, an
# error that is none of those, a statement that takes longer than --bound
# seconds and a client that is still running --bound seconds after --until
# are failures.
#
# Modes:
#   slow     keys 1..--keys, shared by the clients (their misses coalesce);
#            a --bump share of the iterations first bumps the key's version
#            (so that the key is filled again, sometimes while a fill runs)
#   timeout  the same keys, each statement under a random statement_timeout
#            of --timeout-min..--timeout-max ms, around the fill's --ms: the
#            timeout fires in the middle of fills and of coalescing waits
#   burst    every client connects, queues on the advisory lock --gate
#            (which the driver holds until every client is queued) and then
#            runs one miss of a key of its own (--key-base + client number):
#            more concurrent distinct misses than cascade_cache.max_inflight
#
# Output, appended to --out:
#   summary mode=M clients=N ok=.. cancel=.. timeout=.. terminated=..
#           crash=.. connect_fail=.. reconnects=.. stale=.. unexpected=..
#           hung=.. over_bound=.. p50_ms=.. p99_ms=.. max_ms=.. max_outage_ms=..
#   problem <text>            (stale reads, unexpected errors, hung clients)
# and FILE.done (one "epoch_seconds" line per successful statement, for the
# timeline chart).  The exit status is 0 when there is no problem.
use strict;
use warnings;

use DBI;
use Getopt::Long;
use POSIX ();
use Time::HiRes qw(time sleep);

my %o = (
	host => '127.0.0.1',
	port => 5491,
	user => 'postgres',
	db => 'postgres',
	mode => 'slow',
	clients => 4,
	until => 0,
	gate => 0,
	keys => 20,
	'key-base' => 1000,
	ms => 300,
	bump => 0.3,
	'timeout-min' => 50,
	'timeout-max' => 500,
	bound => 30,
	outage => 90,
	out => '',);
GetOptions(\%o, 'host=s', 'port=i', 'user=s', 'db=s', 'mode=s', 'clients=i',
	'until=f', 'gate=i', 'keys=i', 'key-base=i', 'ms=i', 'bump=f',
	'timeout-min=i', 'timeout-max=i', 'bound=f', 'outage=f', 'out=s')
  or die "usage: see the head of $0\n";
die "--out is required\n" unless $o{out};
die "--until is required\n" unless $o{until} > 0;
die "unknown --mode $o{mode}\n" unless $o{mode} =~ /^(slow|timeout|burst)$/;

my @counters = qw(ok cancel timeout terminated crash connect_fail reconnects
  stale unexpected over_bound);

# What an error message means.  'crash' covers everything a client sees
# around a crash-restart: its connection dropped, and connection attempts
# refused while the server restarts and recovers.
sub classify
{
	my ($msg) = @_;
	$msg //= '';
	return 'stale' if $msg =~ /stale read/;
	return 'cancel' if $msg =~ /canceling statement due to user request/;
	return 'timeout' if $msg =~ /canceling statement due to statement timeout/;
	return 'terminated'
	  if $msg =~ /terminating connection due to administrator command/;
	return 'crash'
	  if $msg =~ /terminating connection because of crash of another server process|server closed the connection unexpectedly|no connection to the server|could not receive data from server|could not send data to server|the database system is (in recovery mode|starting up|not yet accepting connections)|Connection refused|connection to server .* failed|SSL SYSCALL|EOF detected/;
	return 'unexpected';
}

sub oneline
{
	my ($s) = @_;
	$s //= '';
	$s =~ s/\s+/ /g;
	return substr($s, 0, 400);
}

sub append
{
	my ($file, $text) = @_;
	open my $fh, '>>', $file or die "$file: $!";
	syswrite $fh, $text;
	close $fh;
}

# ---------------------------------------------------------------------
# one client
# ---------------------------------------------------------------------
sub run_client
{
	my ($id) = @_;
	srand(($$ * 7919 + $id * 104729 + int(time * 1000)) % 2147483647);
	my %c = map { $_ => 0 } @counters;
	my ($max_ms, $max_outage_ms) = (0, 0);
	my (@lat, @done, @problems);
	my $app = "chaos_$o{mode}_$id";
	my $dsn = "dbi:Pg:dbname=$o{db};host=$o{host};port=$o{port};"
	  . "connect_timeout=5;application_name=$app";
	my $dbh;
	my $connected_once = 0;
	my $deadline = $o{until};

	my $connect = sub {
		my $t0 = time;
		for (;;)
		{
			$dbh = DBI->connect($dsn, $o{user}, '',
				{ AutoCommit => 1, RaiseError => 0, PrintError => 0 });
			if ($dbh)
			{
				my $outage = (time - $t0) * 1000;
				$max_outage_ms = $outage if $outage > $max_outage_ms;
				$c{reconnects}++ if $connected_once;
				$connected_once = 1;
				return 1;
			}
			my $err = $DBI::errstr;
			$c{connect_fail}++;
			if (classify($err) ne 'crash')
			{
				$c{unexpected}++;
				push @problems, "unexpected connection error: " . oneline($err);
			}
			if (time - $t0 > $o{outage})
			{
				$c{unexpected}++;
				push @problems,
				  sprintf('no connection for %.0f s: %s', time - $t0, oneline($err));
				return 0;
			}
			return 0 if time > $deadline;
			sleep 0.1;
		}
	};

	# Run one statement; returns 1 on success.  Counts and classifies the
	# error otherwise, and drops a connection that is gone.
	my $run = sub {
		my ($sql, $timed) = @_;
		my $t0 = time;
		my $ok = $dbh->do($sql);
		my $t1 = time;
		my $ms = ($t1 - $t0) * 1000;
		$max_ms = $ms if $ms > $max_ms;
		if ($ms > $o{bound} * 1000)
		{
			$c{over_bound}++;
			push @problems, sprintf('a statement took %.0f ms (bound %d s): %s',
				$ms, $o{bound}, $sql);
		}
		if (defined $ok)
		{
			if ($timed)
			{
				$c{ok}++;
				push @lat, $ms;
				push @done, sprintf('%.3f', $t1);
			}
			return 1;
		}
		my $err = $dbh->errstr;
		my $class = classify($err);
		$c{$class}++;
		push @problems, "$class: " . oneline($err) . " [in: $sql]"
		  if $class eq 'stale' || $class eq 'unexpected';
		if ($class eq 'terminated' || $class eq 'crash' || !$dbh->ping)
		{
			$dbh->disconnect;
			undef $dbh;
		}
		return 0;
	};

	if ($o{mode} eq 'burst')
	{
		# connect first, then all start together when the gate opens
		if ($connect->()
			&& $run->("SELECT pg_advisory_lock_shared($o{gate})", 0)
			&& $run->("SELECT pg_advisory_unlock_shared($o{gate})", 0))
		{
			my $key = $o{'key-base'} + $id;
			$run->("SELECT check_slow($key, $o{ms})", 1);
		}
	}
	else
	{
		while (time < $deadline)
		{
			unless ($dbh)
			{
				last unless $connect->();
			}
			my $key = 1 + int(rand($o{keys}));
			if ($o{mode} eq 'slow' && rand() < $o{bump})
			{
				$run->("SELECT bump_version($key)", 0) or next;
			}
			if ($o{mode} eq 'timeout')
			{
				my $t = $o{'timeout-min'} +
				  int(rand($o{'timeout-max'} - $o{'timeout-min'} + 1));
				$run->("SET statement_timeout = $t", 0) or next;
			}
			$run->("SELECT check_slow($key, $o{ms})", 1);
		}
	}
	$dbh->disconnect if $dbh;

	my $line = "client mode=$o{mode} id=$id "
	  . join(' ', map { "$_=$c{$_}" } @counters)
	  . sprintf(' max_ms=%.0f max_outage_ms=%.0f', $max_ms, $max_outage_ms);
	append("$o{out}.client.$id", join('', map { "lat $_\n" } @lat)
		  . join('', map { "done $_\n" } @done)
		  . join('', map { "problem client $id: $_\n" } @problems)
		  . "$line\n");
	POSIX::_exit(0);
}

# ---------------------------------------------------------------------
# the parent: start the clients, wait for them within the bound
# ---------------------------------------------------------------------
my %children;    # pid => client number
$SIG{TERM} = $SIG{INT} = sub {
	kill 'KILL', keys %children;
	POSIX::_exit(1);
};
for my $id (1 .. $o{clients})
{
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		$SIG{TERM} = $SIG{INT} = 'DEFAULT';
		run_client($id);
	}
	$children{$pid} = $id;
}
append("$o{out}.pids", join('', map { "$_\n" } keys %children));

my $end = $o{until} + $o{bound};
while (%children)
{
	my $pid = waitpid(-1, POSIX::WNOHANG());
	if ($pid > 0)
	{
		delete $children{$pid};
		next;
	}
	last if $pid < 0;    # no children left
	last if time > $end;
	sleep 0.1;
}

my @problems;
my $hung = 0;
if (%children)
{
	# still running after the bound: say what their sessions are doing
	my %app = map { ("chaos_$o{mode}_$children{$_}" => $_) } keys %children;
	my $activity = '';
	my $dbh = DBI->connect(
		"dbi:Pg:dbname=$o{db};host=$o{host};port=$o{port};connect_timeout=5",
		$o{user}, '', { AutoCommit => 1, RaiseError => 0, PrintError => 0 });
	if ($dbh)
	{
		my $rows = $dbh->selectall_arrayref(
			"SELECT application_name, pid, state, wait_event_type, wait_event,
			        round(extract(epoch FROM now() - query_start)::numeric, 1), query
			   FROM pg_stat_activity WHERE application_name LIKE 'chaos\\_%'")
		  || [];
		for my $r (@$rows)
		{
			next unless exists $app{ $r->[0] };
			$activity .= " [" . join(' | ', map { $_ // '' } @$r) . "]";
		}
		$dbh->disconnect;
	}
	for my $pid (keys %children)
	{
		$hung++;
		push @problems,
		  "hung: client $children{$pid} (pid $pid, chaos_$o{mode}_$children{$pid}) "
		  . "still running $o{bound} s after the end";
	}
	push @problems, "sessions of the hung clients:$activity" if $activity;
	kill 'KILL', keys %children;
	waitpid($_, 0) for keys %children;
}

# gather the clients' results
my %sum = map { $_ => 0 } @counters;
my ($max_ms, $max_outage_ms) = (0, 0);
my (@lat, @done);
for my $id (1 .. $o{clients})
{
	my $f = "$o{out}.client.$id";
	next unless -f $f;
	open my $fh, '<', $f or die "$f: $!";
	while (<$fh>)
	{
		chomp;
		if (/^lat (\S+)/) { push @lat, $1 }
		elsif (/^done (\S+)/) { push @done, $1 }
		elsif (/^problem (.*)/) { push @problems, $1 }
		elsif (/^client /)
		{
			for my $k (@counters) { $sum{$k} += $1 if /\b$k=(\d+)/ }
			$max_ms = $1 if /max_ms=(\d+)/ && $1 > $max_ms;
			$max_outage_ms = $1 if /max_outage_ms=(\d+)/ && $1 > $max_outage_ms;
		}
	}
	close $fh;
	unlink $f;
}
@lat = sort { $a <=> $b } @lat;
my $pct = sub {
	my ($p) = @_;
	return 0 unless @lat;
	return $lat[ int(@lat * $p) < @lat ? int(@lat * $p) : $#lat ];
};
append("$o{out}.done", join('', map { "$_\n" } @done));
append($o{out},
	    "summary mode=$o{mode} clients=$o{clients} "
	  . join(' ', map { "$_=$sum{$_}" } @counters)
	  . " hung=$hung"
	  . sprintf(' p50_ms=%.3f p99_ms=%.3f max_ms=%.0f max_outage_ms=%.0f',
		$pct->(0.50), $pct->(0.99), $max_ms, $max_outage_ms)
	  . "\n"
	  . join('', map { "problem " . oneline($_) . "\n" } @problems));
exit((@problems || $hung) ? 1 : 0);
