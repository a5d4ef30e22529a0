# Monitoring against a live cluster: every query of the postgres_exporter
# file runs as a pg_monitor member and returns the metrics it declares;
# every alert rule uses only metrics the exporter file produces; the real
# postgres_exporter (Debian's) scrapes them all with sane values, and
# promtool accepts the alert rules; the
# worker's rates see the traffic; cache_health() reacts to the rate-based
# thresholds and to fills in flight; the dashboard renders.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Utils;
use Test::More;
use YAML::XS qw(LoadFile);
use Time::HiRes qw(usleep);
use HTTP::Tiny;
use IPC::Run;
use PostgreSQL::Test::Cluster;

my $node = cc_node('monitoring');
$node->safe_psql('postgres', q{
	CREATE ROLE exporter LOGIN IN ROLE pg_monitor;
	CREATE TABLE tb_item (id int PRIMARY KEY, v int);
	INSERT INTO tb_item SELECT g, g FROM generate_series(1, 100) g;
	SELECT cascade_cache.cascade_watch('tb_item');
	CREATE FUNCTION touch(i int) RETURNS void LANGUAGE sql AS
	  $$ UPDATE tb_item SET v = v + 1 WHERE id = i $$;
});

# traffic: named and unnamed reads, mutations, a cascade
$node->pgbench('--no-vacuum --client=2 --transactions=300', 0, [qr{processed: 600/600}], [qr{^$}],
	'traffic',
	{
		'read' => "\\set i random(1, 100)\nSELECT cascade_cache.cached_query('SELECT v FROM tb_item WHERE id = \$1', jsonb_build_array(:i), name => 'getItem');\n",
		'write' => "\\set i random(1, 100)\nSELECT touch(:i);\n",
	});

# --- the exporter file ---
my $exporter = LoadFile("$FindBin::RealBin/../monitoring/postgres_exporter.yml");
my %produced;
for my $section (sort keys %$exporter)
{
	my $spec = $exporter->{$section};
	my @declared = map { (keys %$_)[0] } @{ $spec->{metrics} };
	my %usage = map { my ($k) = keys %$_; ($k => $_->{$k}{usage}) } @{ $spec->{metrics} };
	(my $q = $spec->{query}) =~ s/\s+$//;
	my $out = $node->safe_psql('postgres', "COPY ($q) TO STDOUT WITH (FORMAT csv, HEADER)",
		extra_params => [ '-U', 'exporter' ]);
	my ($header, @rows) = split /\n/, $out;
	is_deeply([ sort split /,/, $header ], [ sort @declared ],
		"$section: the query returns exactly the declared metrics");
	ok(@rows >= 1, "$section: at least one row");
	for my $row (@rows)
	{
		my %v;
		@v{ split /,/, $header } = split /,/, $row, -1;
		for my $m (@declared)
		{
			next if $usage{$m} eq 'LABEL';
			like($v{$m}, qr/^-?[0-9.]+(e[-+]?\d+)?$/, "$section.$m is a number ($v{$m})");
		}
	}
	for my $m (@declared)
	{
		next if $usage{$m} eq 'LABEL';
		$produced{ $section eq 'cascade_cache' ? "cascade_cache_$m" : "${section}_$m" } = 1;
	}
}

# --- the alert rules ---
my $alerts = LoadFile("$FindBin::RealBin/../monitoring/alerts.yml");
my @rules = map { @{ $_->{rules} } } @{ $alerts->{groups} };
cmp_ok(scalar @rules, '>=', 8, 'alert rules');
for my $rule (@rules)
{
	my @used = $rule->{expr} =~ /\b(cascade_cache_[a-z_]+)/g;
	ok(@used > 0, "$rule->{alert} uses cascade_cache metrics");
	ok($produced{$_}, "$rule->{alert}: $_ is produced by the exporter") for @used;
	like($rule->{labels}{severity}, qr/^(warning|critical)$/, "$rule->{alert} has a severity");
	ok($rule->{annotations}{description}, "$rule->{alert} says what to do");
}
my %thresholds = map { $_->{alert} => $_->{expr} } @rules;
like($thresholds{CascadeCacheHitRateCritical}, qr/< 60\b/, 'critical below a 60% hit rate');
like($thresholds{CascadeCacheHitRateLow}, qr/< 70\b/, 'warning below 70%');
like($thresholds{CascadeCacheCascadeFailures}, qr/> 0\.1\b/, 'cascade failures above 0.1%');
like($thresholds{CascadeCacheInflightHigh}, qr/> 10000\b/, 'more than 10,000 in flight');
like($thresholds{CascadeCacheReadLoad}, qr/> 20000\b/, '20,000 reads/s');
like($thresholds{CascadeCacheMutationLoad}, qr/> 5000\b/, '5,000 mutations/s');
like($thresholds{CascadeCacheMixedLoad}, qr/> 8000\b/, '8,000 mixed ops/s');

# --- the real exporter and promtool (Debian's packages; make test installs them) ---
my $exporter_bin = '/usr/bin/prometheus-postgres-exporter';
my $promtool = '/usr/bin/promtool';
ok(-x $exporter_bin, 'prometheus-postgres-exporter is installed') or BAIL_OUT('no exporter');
ok(-x $promtool, 'promtool is installed') or BAIL_OUT('no promtool');
my $nrules = scalar @rules;
command_like([ $promtool, 'check', 'rules', "$FindBin::RealBin/../monitoring/alerts.yml" ],
	qr/SUCCESS: $nrules rules found/, "promtool accepts the $nrules alert rules");

my $mport = PostgreSQL::Test::Cluster::get_free_port();
my ($eout, $eerr) = ('', '');
my $scraper;
{
	local $ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port
	  . ' user=exporter dbname=postgres sslmode=disable';
	$scraper = IPC::Run::start(
		[ $exporter_bin,
		  "--extend.query-path=$FindBin::RealBin/../monitoring/postgres_exporter.yml",
		  "--web.listen-address=127.0.0.1:$mport", '--disable-default-metrics' ],
		'>', \$eout, '2>', \$eerr);
}
my $body;
for my $try (1 .. 100)
{
	my $r = HTTP::Tiny->new(timeout => 10)->get("http://127.0.0.1:$mport/metrics");
	if ($r->{success} && $r->{content} =~ /^cascade_cache_hits/m)
	{
		$body = $r->{content};
		last;
	}
	usleep(100_000);
}
$scraper->kill_kill;
ok(defined $body, 'the exporter serves /metrics with cascade_cache metrics')
  or diag("exporter: $eerr");
$body //= '';
my %scraped;
for my $line (split /\n/, $body)
{
	next if $line =~ /^#/;
	$scraped{$1} = $2 if $line =~ /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/;
}
is($scraped{pg_up}, '1', 'the exporter reaches the server');
for my $m (sort keys %produced)
{
	ok(exists $scraped{$m}, "scraped: $m");
}
cmp_ok($scraped{cascade_cache_hits} // -1, '>', 0, 'hits counted');
cmp_ok($scraped{cascade_cache_misses} // -1, '>', 0, 'misses counted');
cmp_ok($scraped{cascade_cache_invalidations} // -1, '>', 0, 'invalidations counted');
cmp_ok($scraped{cascade_cache_bytes_used} // -1, '>', 0, 'bytes in use');
ok(($scraped{cascade_cache_hit_rate_pct} // -1) >= 0 && $scraped{cascade_cache_hit_rate_pct} <= 100,
	"a hit rate in percent ($scraped{cascade_cache_hit_rate_pct})");
cmp_ok($scraped{cascade_cache_cascade_total_mutations} // -1, '>', 0, 'cascades counted');
ok(exists $scraped{cascade_cache_cascade_failure_rate_pct}, 'the cascade failure rate');
ok(exists $scraped{cascade_cache_coalesce_leaders}, 'coalescing');

# --- rates: the worker samples every second ---
usleep(2_500_000);
my ($reads, $mutations, $covered) = split /\|/, $node->safe_psql('postgres',
	'SELECT read_qps, mutation_qps, covered_seconds FROM cascade_cache.cache_rates WHERE window_minutes = 1');
cmp_ok($reads, '>', 0, "the 1-minute window sees the reads ($reads/s)");
cmp_ok($mutations, '>', 0, "and the mutations ($mutations/s)");
cmp_ok($covered, '>=', 2, "over the seconds since the traffic ($covered s)");

# --- health: rate-based thresholds driven low ---
# (the traffic above mixes reads and writes half and half: its hit rate is
# low, so the hit-rate thresholds are set out of the way)
my $health = sub {
	my ($settings) = @_;
	return $node->safe_psql('postgres',
		"SET cascade_cache.health_hit_rate_warning = 0; SET cascade_cache.health_hit_rate_critical = 0; $settings; "
		  . "SELECT status || ' ' || array_to_string(warnings, ' / ') || ' => ' || recommendation FROM cascade_cache.cache_health()");
};
like($health->('SET cascade_cache.health_read_qps = 1'),
	qr/^degraded warning: \d+ reads\/s \(more than 1\).*read replicas/, 'read load');
like($health->('SET cascade_cache.health_mutation_qps = 0'),
	qr/^degraded warning: \d+ mutations\/s \(more than 0\).*batch mutations/, 'mutation load');
like($health->('SET cascade_cache.health_mixed_ops = 1'),
	qr/^degraded .*operations\/s with \d+% mutations \(more than 1 at a mixed load\).*plan read replicas/, 'mixed load');
like($health->('SET search_path = public'), qr/^healthy  => System healthy at current load$/, 'healthy at the defaults');

# fills in flight: a fill held before storing
my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(4242)');
my $bg = $node->background_psql('postgres');
$bg->query_until(qr/go/, q{
	\echo go
	SET cascade_cache.debug_fill_pause = 4242;
	SELECT cascade_cache.cached_query('SELECT 42 AS held');
});
$node->poll_query_until('postgres',
	"SELECT inflight = 1 FROM cascade_cache.coalesce_metrics") or die 'no fill in flight';
like($health->('SET cascade_cache.health_inflight = 0'),
	qr/^degraded degraded: 1 fills in flight/, 'fills in flight');
$holder->query_safe('SELECT pg_advisory_unlock(4242)');
$holder->quit;
$bg->quit;

# memory: a small cache that evicts
$node->append_conf('postgresql.conf', "cascade_cache.max_memory = '1MB'\n");
$node->reload;
$node->safe_psql('postgres',
	q{SELECT count(cascade_cache.cached_query('SELECT $1::int AS n, repeat(''x'', 2000) AS pad', jsonb_build_array(g))) FROM generate_series(1, 2000) g});
usleep(2_500_000);
like($health->('SET cascade_cache.health_memory_pct = 1'),
	qr/^degraded .*warning: memory [0-9.]+% of the budget, evicting.*raise cascade_cache\.max_memory/,
	'memory near the budget while evicting');

# --- the dashboard ---
my @lines = split /\n/, $node->safe_psql('postgres',
	'SELECT line FROM cascade_cache.cache_dashboard', extra_params => [ '-U', 'exporter' ]);
is(scalar(grep { /^┌─ (Cache Health|Request Coalescing|Cascade Health|System Load) / } @lines), 4,
	'the dashboard draws four boxes');
like(join("\n", @lines), qr/Hit rate: [0-9.]+%/, 'with live numbers');
note join("\n", @lines);

$node->stop;
done_testing();
