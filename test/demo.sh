#!/usr/bin/env bash
# make demo / make demo-stop.
#
# Installs what is missing, builds and installs cascade_cache, starts a
# throwaway cluster with it preloaded, loads the FraiseQL-style demo
# application (bench/schema.sql: 10,000 users, 100,000 posts, the JSON views
# v_user and v_post, the mutations create_post, update_user and
# delete_post, which report GraphQL cascades), walks through a miss, a hit,
# a mutation and its invalidation, refresh-ahead, runs a 30-second mixed
# workload (80% reads through cached_query, 20% mutations) without and with
# the cache, prints a report, and restarts the server to show a warm
# restart.  The cluster keeps running until `make demo-stop`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh
. bench/lib.sh

BENCH_DIR=${CC_DEMO_DIR:-/tmp/cascade_cache_demo}
BENCH_PORT=${CC_DEMO_PORT:-5490}
DEMO_SECONDS=${CC_DEMO_SECONDS:-15}

stop() {
	cluster_stop
	cc_log "demo cluster stopped"
}

# run_load LABEL PGOPTIONS: one pgbench run of the mixed workload, with
# progress; prints "tps p50 p99" at the end
run_load() {
	local label=$1 opts=$2 logdir tps
	logdir=$(mktemp -d "$BENCH_TMP/load.XXXXXX")
	chmod 777 "$logdir"
	cc_log "$label: ${DEMO_SECONDS}s, 16 clients, progress every 5s"
	(cd "$logdir" && PGOPTIONS="$opts" "$PGBIN/pgbench" -h 127.0.0.1 -p "$BENCH_PORT" -U postgres -n \
		-M prepared -c 16 -j 2 -T "$DEMO_SECONDS" -P 5 -l \
		-f "$read@80" -f "$create@8" -f "$update@8" -f "$delete@4" postgres 2>&1 |
		tee "$logdir/out" | grep --line-buffered '^progress' >&2) || true
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$logdir/out")
	cat "$logdir"/pgbench_log.* | awk '{print $3}' | sort -n | awk -v tps="${tps:-0}" '
		{ a[NR] = $1 }
		END { printf "%.0f %.3f %.3f\n", tps, a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }'
}

start() {
	cc_ensure_packages
	cc_build_install
	BENCH_TMP=$(mktemp -d /tmp/cascade_cache_demo_tmp.XXXXXX)
	chmod 755 "$BENCH_TMP"
	trap 'rm -rf "$BENCH_TMP"' EXIT

	cc_log "starting a throwaway cluster in $BENCH_DIR (port $BENCH_PORT)"
	cluster_start "shared_buffers = '256MB'
cascade_cache.max_memory = '512MB'"
	cc_log "loading the demo application: 10,000 users, 100,000 posts"
	bpsql < bench/schema.sql >/dev/null
	bpsql -c "ALTER DATABASE postgres SET search_path = public, cascade_cache"
	bpsql -c "SELECT cascade_watch('tb_user'), cascade_watch('tb_post', 'Post')" >/dev/null

	cc_as_server_user "$PGBIN/psql" -X -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -d postgres < bench/demo.sql

	read=$(script_file read "\\set id random_exponential(1, 10000, 8)
SELECT cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:id::int));")
	create=$(script_file create "\\set a random(1, 10000)
SELECT create_post(:a, 'demo post', 'written during the demo');")
	update=$(script_file update "\\set a random(1, 10000)
SELECT update_user(:a, 'renamed during the demo');")
	delete=$(script_file delete "\\set p random(1, 100000)
SELECT delete_post(:p);")

	echo
	echo "== The mixed workload: 80% reads of v_user documents through cached_query,"
	echo "== 20% mutations (create_post, update_user, delete_post) reporting cascades."
	read -r tps_off p50_off p99_off <<<"$(run_load "without the cache (cascade_cache.enabled = off)" "-c cascade_cache.enabled=off")"
	bpsql -c "SELECT cache_flush(), cache_stats_reset()" >/dev/null
	read -r tps_on p50_on p99_on <<<"$(run_load "with the cache" "")"

	echo
	echo "== Report"
	printf '\n%-22s %10s %10s %10s\n' "" "tps" "p50 ms" "p99 ms"
	printf '%-22s %10s %10s %10s\n' "without the cache" "$tps_off" "$p50_off" "$p99_off"
	printf '%-22s %10s %10s %10s\n' "with the cache" "$tps_on" "$p50_on" "$p99_on"
	echo
	bpsql -c "SELECT hits, misses, round(100.0 * hits / nullif(hits + misses, 0), 1) AS hit_rate_pct,
	                 invalidations, round(invalidation_precision_pct::numeric, 1) AS changed_by_invalidation_pct,
	                 entries, pg_size_pretty(bytes_used) AS memory
	            FROM cache_stats()"
	echo "Request coalescing:"
	bpsql -c "SELECT coalesce_leaders, coalesce_waits, db_calls_saved,
	                 round(db_call_reduction_pct::numeric, 1) AS reduction_pct,
	                 round(coalesce_wait_max_ms::numeric, 1) AS longest_wait_ms
	            FROM cache_stats()"
	echo "Cascade audit:"
	bpsql -c "SELECT total_mutations, success, partial, failed,
	                 round(failure_rate::numeric, 4) AS failure_rate, total_invalidations,
	                 round(avg_invalidations_per_mutation::numeric, 1) AS avg_per_mutation
	            FROM cascade_audit_metrics()"
	bpsql -c "SELECT id, source, status, entities, query_names, entries_removed, duration_us
	            FROM cascade_audit_recent(3)"
	echo "All the statistics:"
	bpsql -x -c "SELECT * FROM cache_stats()"

	echo
	echo "== Warm restart: the server restarts; at shutdown the worker wrote the recipes of"
	echo "== the hottest entries, and after the start runners compute them again."
	local before after
	before=$(bval "SELECT entries FROM cache_stats()")
	cc_log "restarting the demo server ($before entries cached)"
	cluster_restart
	for _ in $(seq 1 120); do
		[ "$(bval "SELECT state = 'done' AND waiting = 0 FROM cache_warm_status()")" = t ] && break
		sleep 0.5
	done
	after=$(bval "SELECT entries FROM cache_stats()")
	bpsql -c "SELECT state, recipes, queued, round(extract(epoch FROM finished_at - started_at)::numeric, 1) AS queued_in_s
	            FROM cache_warm_status()"
	bpsql -c "SELECT kind, queued, filled, present, skipped, failed FROM cache_recipe_stats() WHERE kind = 'warm'"
	echo "entries before the restart: $before; cached again after it: $after"

	cat <<MSG

tb_user and tb_post are watched (cascade_watch), so invalidation is precise:
a mutation removes only the documents that looked up the rows it changed
(changed_by_invalidation_pct: how many of the removed documents had really
changed when they were computed again).

The demo cluster is still running.  Explore it with:

    $( [ "$(id -u)" = 0 ] && printf 'runuser -u postgres -- ' )psql -h $BENCH_DIR -p $BENCH_PORT -U postgres postgres

    SELECT cached_query('SELECT data FROM v_user WHERE id = \$1', '[7]');
    SELECT create_post(7, 'hello', 'world');
    SELECT * FROM cache_stats();
    SELECT * FROM cascade_audit_recent(5);

Stop it with: make demo-stop
MSG
}

case "${1:-start}" in
	start) start ;;
	stop) stop ;;
	*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
