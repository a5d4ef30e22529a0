# Helpers for bench/run.sh and test/demo.sh: a throwaway cluster, pgbench
# runs with latency percentiles, and pgpool-II on loopback.  Sourced.
#
# Callers set BENCH_DIR (cluster directory), BENCH_PORT, and for pgpool
# PGPOOL_PORT; test/lib.sh must be sourced first.

PGBIN=/usr/lib/postgresql/15/bin

# psql on the bench cluster, as the server user
bpsql() {
	cc_as_server_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" \
		-p "$BENCH_PORT" -U postgres -d postgres "$@"
}

# one value from a query
bval() {
	bpsql -At -c "$1"
}

# Create and start a cluster in $BENCH_DIR with the extra settings in $1.
cluster_start() {
	local extra=$1
	cluster_stop
	mkdir -p "$BENCH_DIR"
	[ "$(id -u)" = 0 ] && chown "$(cc_server_user)": "$BENCH_DIR"
	cc_as_server_user "$PGBIN/initdb" -D "$BENCH_DIR/data" -A trust -U postgres >/dev/null
	cat <<CONF | cc_as_server_user tee -a "$BENCH_DIR/data/postgresql.conf" >/dev/null
shared_preload_libraries = 'cascade_cache'
port = $BENCH_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BENCH_DIR'
max_connections = 200
track_functions = all
$extra
CONF
	cc_as_server_user "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/server.log" -w start >/dev/null
	bpsql -c 'CREATE EXTENSION cascade_cache'
}

# Restart the cluster, optionally without cascade_cache preloaded ("plain").
cluster_restart() {
	local mode=${1:-cache}
	if [ "$mode" = plain ]; then
		cc_as_server_user sed -i "s/^shared_preload_libraries = 'cascade_cache'/shared_preload_libraries = ''/" "$BENCH_DIR/data/postgresql.conf"
	else
		cc_as_server_user sed -i "s/^shared_preload_libraries = ''/shared_preload_libraries = 'cascade_cache'/" "$BENCH_DIR/data/postgresql.conf"
	fi
	cc_as_server_user "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/server.log" -w -m fast restart >/dev/null
}

cluster_stop() {
	if [ -f "$BENCH_DIR/data/postmaster.pid" ]; then
		cc_as_server_user "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -m fast -w stop >/dev/null || true
	fi
	cc_as_root rm -rf "$BENCH_DIR"
}

# psql / one value on the node listening on port $1 (primary or standby)
spval() {
	local port=$1
	shift
	cc_as_server_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_DIR" \
		-p "$port" -U postgres -d postgres -At -c "$1"
}

# A hot standby N (1, 2, ...) of the bench cluster, streaming from it, on
# port BENCH_PORT + 10 + N, with the same settings (cascade_cache preloaded).
standby_start() {
	local n=$1 d="$BENCH_DIR/standby$1"
	cc_as_server_user "$PGBIN/pg_basebackup" -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres \
		-D "$d" -R -c fast >/dev/null
	echo "port = $((BENCH_PORT + 10 + n))" | cc_as_server_user tee -a "$d/postgresql.conf" >/dev/null
	cc_as_server_user "$PGBIN/pg_ctl" -D "$d" -l "$BENCH_DIR/standby$n.log" -w start >/dev/null
}

standbys_stop() {
	local d
	for d in "$BENCH_DIR"/standby*; do
		[ -f "$d/postmaster.pid" ] || continue
		cc_as_server_user "$PGBIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null || true
		cc_as_root rm -rf "$d"
	done
}

# Write a pgbench script to a file readable by everyone; prints its path.
# A trailing meta-command makes pgbench take a fresh timestamp at the end of
# each transaction: without one, pgbench 15 can log a stale one and report
# a latency of 0 for sub-millisecond transactions.
script_file() {
	local name=$1 body=$2
	local f="$BENCH_TMP/$name.sql"
	printf '%s\n\\set cc_done 1\n' "$body" > "$f"
	chmod 644 "$f"
	echo "$f"
}

# pgb PORT CLIENTS SECONDS SCRIPT [pgbench options...]
# Runs pgbench (prepared protocol, per-transaction log) and prints
# "tps p50_ms p99_ms transactions failed" on one line.  With PGB_WARMUP=W
# the figures cover only the last SECONDS - W seconds.
pgb() {
	local port=$1 clients=$2 secs=$3 script=$4
	shift 4
	local jobs=1 logdir out tps n p50 p99 failed
	[ "$clients" -ge 2 ] && jobs=2
	logdir=$(mktemp -d "$BENCH_TMP/pgb.XXXXXX")
	chmod 777 "$logdir"
	(cd "$logdir" && "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n \
		-M prepared -c "$clients" -j "$jobs" -T "$secs" -l -f "$script" "$@" \
		postgres >"$logdir/out" 2>&1) || true
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$logdir/out")
	failed=$(grep -c 'aborted in command' "$logdir/out" || true)
	if [ "$failed" != 0 ]; then
		grep -m 3 'error' "$logdir/out" | sed 's/^/    pgbench: /' >&2
	fi
	# PGB_WARMUP=W: count only the transactions that ended W seconds or
	# more after the first one (the steady state of long-lived connections)
	local warm=${PGB_WARMUP:-0} t0
	t0=$(cat "$logdir"/pgbench_log.* 2>/dev/null | awk 'NR == 1 || $5 + $6 / 1e6 < m { m = $5 + $6 / 1e6 } END { printf "%.6f", m + 0 }')
	set -- $(cat "$logdir"/pgbench_log.* 2>/dev/null | awk -v from="$t0" -v warm="$warm" '$5 + $6 / 1e6 >= from + warm {print $3}' | sort -n | awk '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "0 0 0"; exit }
			printf "%d %.3f %.3f\n", NR, a[int(NR * 0.50) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000
		}')
	n=$1 p50=$2 p99=$3
	if [ "$warm" != 0 ] && [ "$n" != 0 ]; then
		tps=$(awk -v n="$n" -v s="$secs" -v w="$warm" 'BEGIN { printf "%.6f", n / (s - w) }')
	fi
	# a script that no longer works: recorded for the end of the run
	if [ "$n" = 0 ] || [ "$failed" != 0 ]; then
		echo "$(basename "$script"): $n transactions, $failed clients aborted" >> "$BENCH_TMP/problems"
	fi
	if [ -n "${PGB_KEEP_OUTPUT:-}" ]; then cp "$logdir/out" "$PGB_KEEP_OUTPUT"; fi
	rm -rf "$logdir"
	echo "${tps:-0} $p50 $p99 $n $failed"
}

# pgpool-II in front of the bench cluster, on loopback, with its shared
# memory query cache (settings as in ../README "Running pgpool-II").
pgpool_start() {
	local d="$BENCH_DIR/pgpool"
	mkdir -p "$d/oiddir"
	: > "$d/pool_passwd"
	cat > "$d/pgpool.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPOOL_PORT
unix_socket_directories = '$d'
pcp_listen_addresses = ''
pcp_port = $((PGPOOL_PORT + 1))
pcp_socket_dir = '$d'
pid_file_name = '$d/pgpool.pid'
logdir = '$d'
backend_clustering_mode = 'raw'
backend_hostname0 = '127.0.0.1'
backend_port0 = $BENCH_PORT
backend_weight0 = 1
backend_flag0 = 'ALWAYS_PRIMARY'
load_balance_mode = off
sr_check_period = 0
health_check_period = 0
enable_pool_hba = off
pool_passwd = '$d/pool_passwd'
num_init_children = 40
max_pool = 1
connection_cache = on
memory_cache_enabled = on
memqcache_method = 'shmem'
memqcache_total_size = 256MB
memqcache_max_num_cache = 200000
memqcache_maxcache = 64kB
memqcache_cache_block_size = 1MB
memqcache_expire = 0
memqcache_auto_cache_invalidation = on
memqcache_oiddir = '$d/oiddir'
CONF
	[ "$(id -u)" = 0 ] && chown -R "$(cc_server_user)": "$d"
	cc_as_server_user sh -c "pgpool -f '$d/pgpool.conf' -n >'$d/pgpool.log' 2>&1 &"
	for _ in $(seq 1 50); do
		"$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPOOL_PORT" -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "pgpool did not start; see $d/pgpool.log" >&2
	return 1
}

pgpool_stop() {
	local d="$BENCH_DIR/pgpool"
	[ -f "$d/pgpool.conf" ] || return 0
	cc_as_server_user pgpool -f "$d/pgpool.conf" -m fast stop >/dev/null 2>&1 || true
	sleep 1
}

# "SHOW POOL_CACHE" through pgpool: "hits entries"
pgpool_cache() {
	"$PGBIN/psql" -X -h 127.0.0.1 -p "$PGPOOL_PORT" -U postgres -d postgres -At -F ' ' \
		-c 'SHOW POOL_CACHE' 2>/dev/null | awk '{print $1, $6}' | head -1
}
