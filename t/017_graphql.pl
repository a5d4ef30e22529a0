# The reference GraphQL server of examples/graphql, run for real (Node.js,
# its npm dependencies from the committed lockfile) on the demo schema with
# tenants, driven over HTTP: a repeated query hits; the read after a
# mutation, through the server or from another connection, returns the new
# data; two tenants never see each other's rows; a PostgreSQL error in a
# resolver comes back as a GraphQL error carrying its SQLSTATE; /health
# answers.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use CCTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy qw(copy);
use HTTP::Tiny;
use JSON::PP;

my $top = "$FindBin::RealBin/..";
my $example = "$top/examples/graphql";

my $node_version = `node --version 2>/dev/null` // '';
like($node_version, qr/^v(1[89]|[2-9]\d)\./, 'Node.js 18 or later is installed (make test installs it)')
  or BAIL_OUT('no Node.js');

my $node = cc_node('graphql');
$node->psql('postgres', undef, extra_params => [ '-v', 'users=50', '-f', "$top/bench/schema.sql" ],
	on_error_die => 1);
$node->psql('postgres', undef, extra_params => [ '-f', "$example/tenants.sql" ],
	on_error_die => 1);

# the server in a directory of its own, its dependencies from the lockfile
my $dir = PostgreSQL::Test::Utils::tempdir;
for my $f (qw(package.json package-lock.json server.js db.js resolvers.js schema.graphql))
{
	copy("$example/$f", "$dir/$f") or die "copy $f: $!";
}
my $npm_log = "$PostgreSQL::Test::Utils::log_path/017_npm.log";
my $rc = system("cd '$dir' && npm_config_cache='$dir/.npm' npm ci --no-audit --no-fund >'$npm_log' 2>&1");
is($rc, 0, 'npm ci installs the locked dependencies') or BAIL_OUT(slurp_file($npm_log));

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $server_log = "$PostgreSQL::Test::Utils::log_path/017_server.log";
my $server_pid = fork() // die "fork: $!";
if ($server_pid == 0)
{
	open(STDOUT, '>', $server_log) or die;
	open(STDERR, '>&', \*STDOUT) or die;
	@ENV{qw(PGHOST PGPORT PGUSER PGDATABASE PORT)} =
	  ($node->host, $node->port, 'graphql_app', 'postgres', $port);
	exec('node', "$dir/server.js") or die "exec node: $!";
}
END
{
	if ($server_pid)
	{
		kill 'TERM', $server_pid;
		waitpid($server_pid, 0);
	}
}

my $http = HTTP::Tiny->new(timeout => 30);
my $base = "http://127.0.0.1:$port";

my $health;
for my $try (1 .. 150)
{
	$health = $http->get("$base/health");
	last if $health->{success};
	die 'the server exited: ' . slurp_file($server_log) if waitpid($server_pid, 1) != 0;
	select(undef, undef, undef, 0.2);
}
ok($health->{success}, 'GET /health answers') or BAIL_OUT(slurp_file($server_log));
my $h = decode_json($health->{content});
like($h->{status}, qr/^(healthy|degraded|critical)$/, "/health reports cache_health()'s status ($h->{status})");
ok(ref $h->{warnings} eq 'ARRAY' && defined $h->{recommendation},
	'/health carries the warnings and the recommendation');

# one GraphQL request; returns the decoded response (and the HTTP status)
sub gql
{
	my ($tenant, $query, $variables) = @_;
	my %headers = ('content-type' => 'application/json', accept => 'application/json');
	$headers{'x-tenant-id'} = $tenant if defined $tenant;
	my $res = $http->post("$base/graphql", {
		headers => \%headers,
		content => encode_json({ query => $query, variables => $variables // {} }) });
	my $body = eval { decode_json($res->{content}) } // { raw => $res->{content} };
	return wantarray ? ($body, $res->{status}) : $body;
}

my $user_q = 'query ($id: ID!) { user(id: $id) { id name posts { id title } } }';
sub user_doc { return gql($_[0], $user_q, { id => $_[1] })->{data}{user} }
sub stat_of  { return cc_stats($node, $_[0]) }
my $rls_bypasses = sub {
	$node->safe_psql('postgres',
		"SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'row_level_security'");
};

# --- a repeated query hits
my $rls0 = $rls_bypasses->();
my $first = user_doc('acme', 1);
is($first->{name}, 'User 1', 'user 1 of tenant acme');
my ($hits0, $misses0) = split /,/, stat_of('hits, misses');
my $again = user_doc('acme', 1);
is_deeply($again, $first, 'the repeated query returns the same document');
my ($hits1, $misses1) = split /,/, stat_of('hits, misses');
cmp_ok($hits1, '>', $hits0, 'the repeated query is a cache hit');
is($misses1, $misses0, 'and not a miss');
is($rls_bypasses->(), $rls0,
	'reads of the tables with row-level security are cached (key_settings names the tenant)');
my $h2 = decode_json($http->get("$base/health")->{content});
cmp_ok($h2->{stats}{hits}, '>=', $hits1, '/health reports the hits');

# --- two tenants: same query, different rows
my $users_q = '{ users(limit: 5) { id } }';
my @acme = map { $_->{id} } @{ gql('acme', $users_q)->{data}{users} };
my @globex = map { $_->{id} } @{ gql('globex', $users_q)->{data}{users} };
is_deeply(\@acme, [ 1, 3, 5, 7, 9 ], 'acme lists its own users');
is_deeply(\@globex, [ 2, 4, 6, 8, 10 ], 'globex, with the same query, lists its own');
my $hits2 = stat_of('hits');
is_deeply([ map { $_->{id} } @{ gql('globex', $users_q)->{data}{users} } ], \@globex,
	'globex again: still its own users');
cmp_ok(stat_of('hits'), '>', $hits2, "and from the cache: each tenant has its entries");
is(user_doc('globex', 1), undef, "globex cannot read acme's user by id (after acme cached it)");
is(user_doc('acme', 2), undef, "acme cannot read globex's user by id");
is(gql('globex', '{ post(id: 1) { id } }')->{data}{post}, undef, "nor globex acme's post");
is(gql('acme', '{ post(id: 1) { id title } }')->{data}{post}{title}, 'Post number 1',
	'acme reads its post');
my $other = gql('acme', 'mutation { updateUser(id: 2, input: {name: "taken"}) { success errors { code } } }');
is_deeply($other->{data}{updateUser}, { success => JSON::PP::false, errors => [ { code => 'NOT_FOUND' } ] },
	"acme cannot update globex's user");
is(user_doc('globex', 2)->{name}, 'User 2', "globex's user is unchanged");
my (undef, $status) = gql(undef, '{ user(id: 1) { id } }');
is($status, 400, 'a request without X-Tenant-Id is refused');

# --- the read after a mutation through the server
user_doc('acme', 1) for 1 .. 2;    # cached
my $upd = gql('acme', 'mutation ($id: ID!, $name: String!) {
	updateUser(id: $id, input: {name: $name}) {
		success data { id name }
		cascade { updated { typename id operation entity { __typename id ... on User { name } } }
		          deleted { typename id } invalidations { queryName }
		          metadata { timestamp depth affectedCount } } } }',
	{ id => 1, name => 'Ann' })->{data}{updateUser};
ok($upd->{success}, 'updateUser succeeds');
is_deeply($upd->{cascade}{updated},
	[ { typename => 'User', id => '1', operation => 'UPDATED',
		entity => { __typename => 'User', id => '1', name => 'Ann' } } ],
	'its cascade names the user, with the entity as it now is');
is($upd->{cascade}{metadata}{affectedCount}, 1, 'the cascade metadata counts it');
is(user_doc('acme', 1)->{name}, 'Ann', 'the read after the mutation returns the new name');

my $created = gql('acme', 'mutation {
	createPost(input: {authorId: 1, title: "Fresh", body: "news"}) {
		success data { id title author { id } }
		cascade { updated { typename id operation } } } }')->{data}{createPost};
ok($created->{success}, 'createPost succeeds');
my $post_id = $created->{data}{id};
is_deeply([ sort map { "$_->{typename} $_->{operation}" } @{ $created->{cascade}{updated} } ],
	[ 'Post CREATED', 'User UPDATED' ], 'its cascade: the post created, its author updated');
ok((grep { $_->{id} eq $post_id } @{ user_doc('acme', 1)->{posts} }),
	"the author's document, read again, holds the new post");
my $deleted = gql('acme', 'mutation ($id: ID!) { deletePost(id: $id) {
		success data { id title } cascade { deleted { typename id } } } }', { id => $post_id })
  ->{data}{deletePost};
is_deeply([ $deleted->{success}, $deleted->{data}{title}, $deleted->{cascade}{deleted} ],
	[ JSON::PP::true, 'Fresh', [ { typename => 'Post', id => $post_id } ] ],
	'deletePost answers with the deleted post and its cascade');
ok(!(grep { $_->{id} eq $post_id } @{ user_doc('acme', 1)->{posts} }),
	"the author's document no longer holds it");

# --- a write from another connection
user_doc('acme', 3) for 1 .. 2;    # cached
$node->safe_psql('postgres', q{UPDATE tb_user SET name = 'Changed elsewhere' WHERE id = 3});
is(user_doc('acme', 3)->{name}, 'Changed elsewhere',
	'a write committed by another connection is seen by the next read');

# --- errors carry the SQLSTATE
my $bad = gql('acme', '{ user(id: "abc") { id } }');
is($bad->{errors}[0]{extensions}{code}, '22P02',
	'an invalid id comes back as a GraphQL error with SQLSTATE 22P02');
is_deeply($bad->{errors}[0]{path}, ['user'], 'at the field that failed');
like($bad->{errors}[0]{message}, qr/invalid input syntax for type integer/, 'with PostgreSQL\'s message');
my $mixed = gql('acme', '{ a: user(id: "abc") { id } b: user(id: 5) { name } }');
is($mixed->{data}{b}{name}, 'User 5', 'a sibling field of the failed one is still answered');
my $fk = gql('acme', 'mutation { createPost(input: {authorId: 2, title: "x", body: "y"}) { success } }');
is($fk->{errors}[0]{extensions}{code}, '23503',
	"a post for another tenant's author fails the foreign key: SQLSTATE 23503");
is($node->safe_psql('postgres', q{SELECT count(*) FROM tb_post WHERE title = 'x'}), '0',
	'and nothing was written');

$node->stop;
done_testing();
