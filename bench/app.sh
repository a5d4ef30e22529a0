# The application benchmark of bench/run.sh (scenario "app"): the GraphQL
# server of examples/graphql in front of PostgreSQL through PgBouncer in
# transaction pooling, as a deployment would run it, under autocannon with
# keep-alive connections (bench/app/load.js: reads of random users, one
# mutation in 20, and a stale-read checker beside it), with the cache on and
# off.  Sourced by bench/run.sh, which provides BENCH_*, PGBIN, SMOKE, USERS,
# bpsql/bval, record and write_results.
#
# Per run: requests/s, p50 and p99 latency (autocannon), the hit rate (from
# cache_stats() deltas), and the CPU time per request of node, of the
# PostgreSQL server (postmaster and backends) and of PgBouncer (utime +
# stime from /proc, divided by the requests).

APP_PIDS=()

app_cleanup() {
	local pid
	for pid in "${APP_PIDS[@]}"; do
		# only if it is still one of ours, not a process that reused the pid
		[ -r "/proc/$pid/cmdline" ] || continue
		tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'server\.js\|pgbouncer' || continue
		kill -TERM "$pid" 2>/dev/null || true
	done
	APP_PIDS=()
}

# CPU ticks (utime + stime) of the given processes; with "+children", also
# the ticks of their children that have exited (cutime + cstime)
app_ticks() {
	local children=0 pid
	[ "${1:-}" = +children ] && { children=1; shift; }
	for pid in "$@"; do
		[ -r "/proc/$pid/stat" ] && sed 's/^.*) //' "/proc/$pid/stat"
	done | awk -v c=$children '{ t += $12 + $13 + (c ? $14 + $15 : 0) } END { print t + 0 }'
}

# the PostgreSQL server's ticks: the postmaster, the processes that exited
# (reaped by it) and the live ones
app_pg_ticks() {
	local pm
	pm=$(head -1 "$BENCH_DIR/data/postmaster.pid")
	echo $(($(app_ticks +children "$pm") + $(app_ticks $(pgrep -P "$pm"))))
}

# PgBouncer on loopback in transaction pooling, one pool per role
app_pgbouncer_start() {
	local d="$BENCH_DIR/pgbouncer"
	cc_as_server_user mkdir -p "$d"
	cc_as_server_user tee "$d/userlist.txt" >/dev/null <<-EOF
	"graphql_app" ""
	"graphql_app_nocache" ""
	EOF
	cc_as_server_user tee "$d/pgbouncer.ini" >/dev/null <<-EOF
	[databases]
	postgres = host=127.0.0.1 port=$BENCH_PORT dbname=postgres

	[pgbouncer]
	listen_addr = 127.0.0.1
	listen_port = $APP_PGBOUNCER_PORT
	unix_socket_dir =
	auth_type = trust
	auth_file = $d/userlist.txt
	pool_mode = transaction
	default_pool_size = $APP_PG_CONNECTIONS
	max_client_conn = 1000
	server_reset_query =
	logfile = $d/pgbouncer.log
	pidfile = $d/pgbouncer.pid
	EOF
	cc_as_server_user /usr/sbin/pgbouncer -d "$d/pgbouncer.ini"
	for _ in $(seq 1 50); do
		[ -s "$d/pgbouncer.pid" ] && break
		sleep 0.1
	done
	APP_PGBOUNCER_PID=$(cat "$d/pgbouncer.pid")
	APP_PIDS+=("$APP_PGBOUNCER_PID")
}

# the GraphQL server as ROLE, through PgBouncer; waits for /health
app_server_start() {
	local role=$1
	(cd "$APP_DIR/server" && exec env PGHOST=127.0.0.1 PGPORT="$APP_PGBOUNCER_PORT" PGUSER="$role" \
		PGDATABASE=postgres PORT="$APP_HTTP_PORT" PG_POOL_SIZE="$APP_PG_CONNECTIONS" \
		node server.js >>"$APP_DIR/server.log" 2>&1) &
	APP_SERVER_PID=$!
	APP_PIDS+=("$APP_SERVER_PID")
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$APP_HTTP_PORT/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "app: the GraphQL server did not start (see $APP_DIR/server.log)" >> "$BENCH_TMP/problems"
	return 1
}

app_server_stop() {
	kill -TERM "$APP_SERVER_PID" 2>/dev/null || true
	wait "$APP_SERVER_PID" 2>/dev/null || true
}

# one run: VARIANT CONNECTIONS; records a row
app_run() {
	local variant=$1 conns=$2 url="http://127.0.0.1:$APP_HTTP_PORT/graphql"
	local s0 s1 n0 n1 p0 p1 b0 b1 out
	s0=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
	n0=$(app_ticks "$APP_SERVER_PID"); p0=$(app_pg_ticks); b0=$(app_ticks "$APP_PGBOUNCER_PID")
	out=$(node "$APP_DIR/load/load.js" run "$url" "$USERS" "$conns" "$APP_SECS" 2>>"$APP_DIR/load.log") || out=""
	n1=$(app_ticks "$APP_SERVER_PID"); p1=$(app_pg_ticks); b1=$(app_ticks "$APP_PGBOUNCER_PID")
	s1=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
	if [ -z "$out" ]; then
		echo "app: the load of '$variant' at $conns connections failed (see $APP_DIR/load.log)" >> "$BENCH_TMP/problems"
		return 0
	fi
	# "rps p50 p99 requests errors checks stale": from load.js's JSON
	read -r rps p50 p99 n errors checks stale <<<"$(printf '%s' "$out" | node -e '
		const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
		console.log([r.rps, r.p50_ms, r.p99_ms, r.requests, r.errors + r.checker_errors, r.checks, r.stale].join(" "))')"
	local notes
	notes=$(awk -v s0="$s0" -v s1="$s1" -v n="$n" -v hz="$(getconf CLK_TCK)" \
		-v node=$((n1 - n0)) -v pg=$((p1 - p0)) -v pgb=$((b1 - b0)) \
		-v checks="$checks" -v stale="$stale" -v errors="$errors" 'BEGIN {
			split(s0, a, " "); split(s1, b, " ")
			h = b[1] - a[1]; m = b[2] - a[2]
			us = 1e6 / hz / (n > 0 ? n : 1)
			printf "hit rate %s; CPU µs/request: node %.0f, postgres %.0f, pgbouncer %.0f; %d stale of %d checks; %d errors",
				(h + m > 0 ? sprintf("%.1f%%", 100 * h / (h + m)) : "n/a"), node * us, pg * us, pgb * us, stale, checks, errors
		}')
	record app "$variant" "$conns" "$rps" "$p50" "$p99" "$notes"
	[ "$stale" = 0 ] || echo "app: $stale stale reads ($variant, $conns connections)" >> "$BENCH_TMP/problems"
	[ "$n" -gt 0 ] && [ "$errors" = 0 ] && [ "$checks" -gt 0 ] ||
		echo "app: $variant at $conns connections: $n requests, $errors errors, $checks checks" >> "$BENCH_TMP/problems"
}

scenario_app() {
	cc_log "scenario app: the GraphQL server through PgBouncer under autocannon, cache on and off"
	cc_ensure_node
	local conns_list variant role c
	APP_DIR="$BENCH_TMP/app"
	APP_HTTP_PORT=${CC_APP_HTTP_PORT:-$((BENCH_PORT + 5))}
	APP_PGBOUNCER_PORT=${CC_APP_PGBOUNCER_PORT:-$((BENCH_PORT + 6))}
	APP_PG_CONNECTIONS=${CC_APP_PG_CONNECTIONS:-8}
	if [ $SMOKE = 1 ]; then
		conns_list="50" APP_SECS=${CC_APP_SECONDS:-3}
	else
		conns_list="1000 5000 10000" APP_SECS=${CC_APP_SECONDS:-15}
	fi
	# every connection is a file descriptor of autocannon and of node
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((${conns_list##* } + 1000)) ]; then
		ulimit -n $((${conns_list##* } + 1000)) 2>/dev/null ||
			cc_log "app: ulimit -n is $(ulimit -n): the larger runs will fail to connect"
	fi

	# the server and the load driver, their dependencies from the lockfiles
	mkdir -p "$APP_DIR/server" "$APP_DIR/load"
	cp examples/graphql/{package.json,package-lock.json,server.js,db.js,resolvers.js,schema.graphql} "$APP_DIR/server/"
	cp bench/app/{package.json,package-lock.json,load.js} "$APP_DIR/load/"
	for d in server load; do
		(cd "$APP_DIR/$d" && npm_config_cache="$APP_DIR/.npm" npm ci --no-audit --no-fund >"$APP_DIR/npm-$d.log" 2>&1) || {
			echo "app: npm ci failed (see $APP_DIR/npm-$d.log)" >> "$BENCH_TMP/problems"
			return 0
		}
	done

	# tenants on the demo schema; a second role with the cache off
	bpsql < examples/graphql/tenants.sql
	bpsql -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS graphql_app_nocache" \
		-c "CREATE ROLE graphql_app_nocache LOGIN IN ROLE graphql_app" \
		-c "ALTER ROLE graphql_app_nocache SET cascade_cache.enabled = off" >/dev/null
	app_pgbouncer_start

	for variant in on off; do
		role=graphql_app
		[ $variant = off ] && role=graphql_app_nocache
		app_server_start "$role" || break
		# every user read once: the cache (or the buffers) warm
		node "$APP_DIR/load/load.js" prime "http://127.0.0.1:$APP_HTTP_PORT/graphql" "$USERS" 2>>"$APP_DIR/load.log" ||
			echo "app: priming failed (see $APP_DIR/load.log)" >> "$BENCH_TMP/problems"
		for c in $conns_list; do
			app_run "cache $variant" "$c"
		done
		app_server_stop
	done
	app_cleanup
	# the demo schema as the other scenarios know it (no tenants, no
	# row-level security)
	bpsql -c "DROP ROLE graphql_app_nocache" >/dev/null
	bpsql -v users=$USERS < bench/schema.sql >/dev/null

	RESULTS_METHOD="${APP_SECS}s per run, autocannon (clients: its HTTP connections, tps: requests/s)" \
		write_results app "The application: a GraphQL server through PgBouncer, cache on and off" \
"examples/graphql (Node.js $(node --version), one process) in front of PostgreSQL through
PgBouncer $(/usr/sbin/pgbouncer --version | head -1 | awk '{ print $2 }') in transaction pooling ($APP_PG_CONNECTIONS server connections per role, as
many in node's pool), driven by autocannon (bench/app/load.js) with keep-alive
connections for ${APP_SECS}s per run: reads of a random one of $USERS users (as the
user's tenant, under row-level security) and one updateUser in 20; the cache warmed by
one read of every user first. Beside it a stale-read checker renames a user through the
server and reads the user back at once: the read must see the new name. \"cache off\":
the same server as a role with cascade_cache.enabled = off. tps: requests per second
(the checker's included); p50/p99: autocannon's latencies (ms); hit rate: cache_stats()
hits / (hits + misses) over the run; CPU µs/request: utime + stime of each process
(PostgreSQL: the postmaster and every backend) over the run, divided by the requests.
On this $(nproc)-core machine autocannon, node, PgBouncer and PostgreSQL share the
cores, so the load generator takes CPU from the servers it measures. The one node
process is the bottleneck (the largest CPU per request): throughput stays at what it
can serve whatever the number of connections, and latency grows with the connections
queued behind it. The cache shows in PostgreSQL's CPU per request rather than in req/s
here; several node processes (or machines) in front of one database are where that
saving becomes throughput. At high connection counts the checker, which waits in the
same queue, makes few checks."
}
