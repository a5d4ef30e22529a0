# The chaos soak of bench/run.sh (scenario "chaos"; bench/README.md,
# "Chaos soak").  Sourced by bench/run.sh, which provides BENCH_*, PGBIN,
# SMOKE, bpsql/bval, script_file, record and write_results.
#
# The mixed workload (the mixed scenario's pgbench scripts, with its
# stale-read checker) runs next to large entries that keep the cache at
# cascade_cache.max_memory, slow fills (check_slow, a stale-read check whose
# fill sleeps) and fills under a low statement_timeout, while a driver
# injects faults: it cancels and terminates fillers, kills the background
# worker, SIGKILLs a filling backend (a crash-restart of the whole server),
# and fires bursts of more concurrent distinct misses than
# cascade_cache.max_inflight.  Then it asserts: no stale read, no
# unexpected error, every client answered within a bound, the server came
# back after every crash and the worker after every kill, nothing left in
# flight, a fresh miss is stored and then hit, bytes_used back to its
# baseline after cache_flush(), nothing in the server log that the driver
# did not cause.  A failed assertion fails the run.

CHAOS_TMP=
CHAOS_FAILED=0

# now, in whole seconds and in milliseconds since the epoch
chaos_now() { echo "${EPOCHREALTIME%[.,]*}"; }
chaos_now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
# seconds since the soak started, with one decimal
chaos_t() { awk -v n="$(chaos_now_ms)" -v s="$CHAOS_T0_MS" 'BEGIN { printf "%.1f", (n - s) / 1000 }'; }

# psql for the driver: over TCP as the current user, never fatal, bounded
cq() {
	PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=30s' \
		"$PGBIN/psql" -X -q -At -F '|' -h 127.0.0.1 -p "$BENCH_PORT" -U postgres \
		-d postgres "$@" 2>>"$CHAOS_TMP/driver.err"
}

# chaos_event KIND TEXT: the timeline of the soak (KIND marks the chart)
chaos_event() {
	local kind=$1
	shift
	echo "$(chaos_t) $kind $*" >> "$CHAOS_TMP/events"
	cc_log "  [chaos $(chaos_t)s] $*"
}

# An assertion: chaos_check NAME OK(0/1) DETAIL
chaos_check() {
	local name=$1 ok=$2 detail=$3
	if [ "$ok" = 1 ]; then
		echo "| $name | ok | $detail |" >> "$CHAOS_TMP/checks"
	else
		echo "| $name | **FAILED** | $detail |" >> "$CHAOS_TMP/checks"
		echo "chaos: $name: $detail" >> "$CHAOS_TMP/failures"
		CHAOS_FAILED=1
		cc_log "  CHAOS ASSERTION FAILED: $name: $detail"
	fi
}

# Wait until the server accepts connections, at most $1 seconds.
chaos_wait_ready() {
	local bound=$1 t0
	t0=$(chaos_now)
	until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$BENCH_PORT" -U postgres -d postgres -t 2; do
		[ $(( $(chaos_now) - t0 )) -ge "$bound" ] && return 1
		sleep 0.1
	done
}

# Stop every process the scenario started (cleanup, also on errors).
chaos_cleanup() {
	[ -n "$CHAOS_TMP" ] && [ -d "$CHAOS_TMP" ] || return 0
	local pid
	for pid in $(cat "$CHAOS_TMP/pids" "$CHAOS_TMP"/*.pids 2>/dev/null); do
		# only if it is still one of ours (pgbench, a chaos client, a burst's
		# gate session or a pgbench group's subshell), not a process that
		# reused the pid
		[ -r "/proc/$pid/cmdline" ] || continue
		tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'pgbench\|chaos_client\.pl\|psql\|run\.sh' || continue
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# A group of pgbench clients that carries on through crash-restarts: pgbench
# runs until the end of the soak; when it ends early (its clients lost
# their connections) it starts again as soon as the server accepts
# connections.  A pgbench run that outlasts the end by CHAOS_BOUND seconds
# is hung: what its sessions do is recorded, and it is killed.
#   chaos_pgbench_group NAME CLIENTS RATE SCRIPT [-f SCRIPT ...]
chaos_pgbench_group() {
	set +e
	local name=$1 clients=$2 rate=$3
	shift 3
	local dir="$CHAOS_TMP/$name" round=0 rem pid t0 rc jobs=1 ropt=()
	[ "$clients" -ge 2 ] && jobs=2
	[ "$rate" != max ] && ropt=(-R "$rate")
	mkdir -p "$dir"
	while :; do
		rem=$(( CHAOS_END - $(chaos_now) ))
		[ "$rem" -ge 1 ] || break
		round=$((round + 1))
		mkdir -p "$dir/$round"
		(cd "$dir/$round" && exec "$PGBIN/pgbench" -h 127.0.0.1 -p "$BENCH_PORT" -U postgres -n \
			-M prepared -c "$clients" -j "$jobs" -T "$rem" -l "${ropt[@]}" -f "$@" \
			postgres >out 2>&1) &
		pid=$!
		echo "$pid" >> "$CHAOS_TMP/pids"
		t0=$(chaos_now)
		while kill -0 "$pid" 2>/dev/null; do
			if [ $(( $(chaos_now) - t0 )) -gt $((rem + CHAOS_BOUND)) ]; then
				{
					echo "pgbench run $round ($clients clients) still running $CHAOS_BOUND s after the end; its sessions:"
					cq -c "SELECT pid, state, wait_event_type, wait_event, now() - query_start, left(query, 120) FROM pg_stat_activity WHERE application_name = 'pgbench'"
				} >> "$dir/hung"
				kill -KILL "$pid"
				break
			fi
			sleep 0.2
		done
		wait "$pid"
		rc=$?
		echo "$round $rc $t0 $(chaos_now)" >> "$dir/rounds"
		[ $(( CHAOS_END - $(chaos_now) )) -ge 1 ] || break
		# ended early: reconnect once the server is back
		if ! chaos_wait_ready "$CHAOS_OUTAGE"; then
			echo "the server did not accept connections for $CHAOS_OUTAGE s" >> "$dir/hung"
			break
		fi
	done
}

# The errors a pgbench group's clients reported: "stale crash unexpected",
# the unexpected ones in $dir/unexpected.
chaos_pgbench_errors() {
	local dir=$1
	cat "$dir"/*/out 2>/dev/null | grep 'pgbench: error:' | awk -v out="$dir/unexpected" '
		/stale read/ { stale++; print > out; next }
		/Run was aborted|perhaps the backend died|terminating connection because of crash|server closed the connection|in recovery mode|starting up|not yet accepting connections|could not receive data|could not send data|connection to server .* failed|Connection refused|no connection to the server/ { crash++; next }
		{ unexpected++; print > out }
		END { printf "%d %d %d\n", stale, crash, unexpected }'
}

# transactions, p50 and p99 (ms) of a pgbench group's per-transaction logs
chaos_pgbench_latency() {
	cat "$1"/*/pgbench_log.* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n | awk '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "0 0 0"; exit }
			printf "%d %.3f %.3f\n", NR, a[int(NR * 0.50) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000
		}'
}

# key=value from a chaos_client.pl summary line
chaos_field() {
	local v
	v=$(sed -n "s/.* $2=\\([0-9.]*\\).*/\\1/p" <<<"$1" | head -1)
	echo "${v:-0}"
}

# the sum, or with "max" the largest, of one field over summary lines
sum_field() {
	local f=$1 lines=$2 agg=${3:-sum} t=0 v l
	while read -r l; do
		[ -n "$l" ] || continue
		v=$(chaos_field "$l" "$f")
		v=${v%.*}
		if [ "$agg" = max ]; then [ "$v" -gt "$t" ] && t=$v; else t=$((t + v)); fi
	done <<<"$lines"
	echo "$t"
}

# One tick of the driver: sample the counters, cancel a filler, and on
# every other tick terminate one; on every third tick cancel a session
# waiting for another's fill.
chaos_tick() {
	local tick=$1 out
	out=$(cq -c "SELECT $(chaos_now_ms), $CHAOS_EPOCH, inflight, coalesce_table_full, bytes_used, memory_budget, memory_limit, evictions, hits, misses, stores, rejected_stores, coalesce_takeovers, coalesce_timeouts, coalesce_waits, db_calls_saved, coalesce_leaders, entries, coalesce_unshareable FROM cascade_cache.cache_stats()" \
		-c "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) FROM (SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'chaos%' AND wait_event = 'PgSleep' ORDER BY random() LIMIT 1) f" \
		-c "SELECT count(*) FILTER (WHERE $((tick % 2)) = 0 AND pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'chaos%' AND wait_event = 'PgSleep' ORDER BY random() LIMIT 1) f" \
		-c "SELECT count(*) FILTER (WHERE $((tick % 3)) = 0 AND pg_cancel_backend(pid)) FROM (SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'chaos%' AND backend_type = 'client backend' AND wait_event_type = 'Extension' ORDER BY random() LIMIT 1) f") || true
	[ -n "$out" ] || return 0
	sed -n 1p <<<"$out" >> "$CHAOS_TMP/samples"
	# during a burst: terminate one of its leaders, whose key nobody else
	# asks for (its slot must not outlive it)
	if [ "$CHAOS_BURST_TERM_AT" -gt 0 ] && [ "$(chaos_now_ms)" -ge "$CHAOS_BURST_TERM_AT" ]; then
		local victim
		victim=$(cq -c "SELECT pid FROM (SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'chaos_burst%' AND wait_event = 'PgSleep' ORDER BY random() LIMIT 1) f WHERE pg_terminate_backend(pid)") || true
		if [ -n "$victim" ]; then
			CHAOS_BURST_TERM_AT=0
			CHAOS_TERMS=$((CHAOS_TERMS + 1))
			chaos_event burst_term "pg_terminate_backend($victim): a burst client in the middle of its fill"
		elif [ "$(chaos_now_ms)" -gt $((CHAOS_BURST_TERM_AT + 3000)) ]; then
			CHAOS_BURST_TERM_AT=0
		fi
	fi
	read -r c t w <<<"$(sed -n '2,4p' <<<"$out" | tr '\n' ' ')"
	CHAOS_CANCELS=$((CHAOS_CANCELS + ${c:-0}))
	CHAOS_TERMS=$((CHAOS_TERMS + ${t:-0}))
	CHAOS_WAITER_CANCELS=$((CHAOS_WAITER_CANCELS + ${w:-0}))
}

# SIGKILL a backend in the middle of a fill: the postmaster kills every
# process and reinitializes shared memory (restart_after_crash = on).
chaos_crash() {
	local victim="" what t0 off
	# a checkpoint first keeps the recovery short
	cq -c 'CHECKPOINT' >/dev/null || true
	for _ in $(seq 1 30); do
		victim=$(cq -c "SELECT pid || ' ' || application_name FROM pg_stat_activity WHERE application_name LIKE 'chaos%' AND wait_event = 'PgSleep' ORDER BY random() LIMIT 1") || true
		[ -n "$victim" ] && break
		sleep 0.1
	done
	if [ -z "$victim" ]; then
		victim=$(cq -c "SELECT pid || ' ' || application_name FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1") || true
	fi
	if [ -z "$victim" ]; then
		chaos_check "crash-restart $((CHAOS_CRASHES + 1))" 0 "found no backend to kill"
		return
	fi
	read -r pid what <<<"$victim"
	off=$(stat -c %s "$BENCH_DIR/server.log")
	t0=$(chaos_now_ms)
	kill -KILL "$pid" 2>/dev/null || cc_as_server_user kill -KILL "$pid" || true
	CHAOS_CRASHES=$((CHAOS_CRASHES + 1))
	CHAOS_KILLED_PIDS+=" $pid"
	chaos_event crash "SIGKILL of backend $pid ($what, in the middle of a fill)"
	local reinit=0
	for _ in $(seq 1 300); do
		if tail -c +$((off + 1)) "$BENCH_DIR/server.log" | grep -q 'all server processes terminated; reinitializing'; then
			reinit=1
			break
		fi
		sleep 0.1
	done
	if [ $reinit = 1 ] && chaos_wait_ready "$CHAOS_OUTAGE"; then
		local ms=$(( $(chaos_now_ms) - t0 ))
		echo "$ms" >> "$CHAOS_TMP/crash_ms"
		CHAOS_EPOCH=$((CHAOS_EPOCH + 1))
		chaos_event recovered "the server accepts connections again, $ms ms after the SIGKILL"
	else
		chaos_check "crash-restart $CHAOS_CRASHES" 0 "after SIGKILL of backend $pid: reinitialized: $reinit; not accepting connections within $CHAOS_OUTAGE s"
		CHAOS_EPOCH=$((CHAOS_EPOCH + 1))
	fi
}

# Terminate the background worker: the postmaster must start a new one.
chaos_kill_worker() {
	local old new="" t0
	old=$(cq -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'") || true
	if [ -z "$old" ]; then
		chaos_check "worker kill $((CHAOS_WORKER_KILLS + 1))" 0 "no cascade_cache worker in pg_stat_activity"
		return
	fi
	t0=$(chaos_now_ms)
	cq -c "SELECT pg_terminate_backend($old)" >/dev/null || true
	CHAOS_WORKER_KILLS=$((CHAOS_WORKER_KILLS + 1))
	CHAOS_WORKER_PIDS+=" $old"
	chaos_event worker_killed "pg_terminate_backend($old) of the cascade_cache worker"
	while [ $(( $(chaos_now_ms) - t0 )) -lt $((CHAOS_WORKER_BOUND * 1000)) ]; do
		new=$(cq -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker' AND pid <> $old") || true
		[ -n "$new" ] && break
		sleep 0.1
	done
	if [ -n "$new" ]; then
		local ms=$(( $(chaos_now_ms) - t0 ))
		echo "$ms" >> "$CHAOS_TMP/worker_ms"
		chaos_event worker_back "the postmaster started a new worker, pid $new, $ms ms later"
	else
		chaos_check "worker kill $CHAOS_WORKER_KILLS" 0 "no new cascade_cache worker within $CHAOS_WORKER_BOUND s of pg_terminate_backend($old)"
	fi
}

# More concurrent distinct misses than max_inflight: CHAOS_BURST clients
# connect and queue behind an advisory lock the driver holds; once they are
# all queued (or after 20 s) the driver opens the gate and they all miss a
# key of their own with a 1.5 s fill at once.
chaos_burst() {
	CHAOS_BURSTS=$((CHAOS_BURSTS + 1))
	local gate=$((4711000 + CHAOS_BURSTS)) holder queued=0 t0
	# the gate: a session that holds the lock (not named chaos*, so that the
	# driver's cancels leave it alone)
	(PGAPPNAME=burst_gate_$CHAOS_BURSTS PGCONNECT_TIMEOUT=5 exec "$PGBIN/psql" -X -q -h 127.0.0.1 \
		-p "$BENCH_PORT" -U postgres -d postgres -c "SELECT pg_advisory_lock($gate)" \
		-c "SELECT pg_sleep(25)" >/dev/null 2>&1) &
	holder=$!
	echo "$holder" >> "$CHAOS_TMP/pids"
	t0=$(chaos_now_ms)
	until [ "$(cq -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $gate AND granted")" = 1 ]; do
		[ $(( $(chaos_now_ms) - t0 )) -gt 10000 ] && break
		sleep 0.05
	done
	perl bench/chaos_client.pl --port "$BENCH_PORT" --mode burst --clients "$CHAOS_BURST" \
		--until $(( $(chaos_now) + 40 )) --gate "$gate" \
		--key-base $((100 + CHAOS_BURSTS * CHAOS_BURST)) --ms $((1500 + CHAOS_BURSTS)) \
		--bound "$CHAOS_BOUND" --outage "$CHAOS_OUTAGE" --out "$CHAOS_TMP/burst" >/dev/null 2>&1 &
	echo $! >> "$CHAOS_TMP/pids"
	echo $! >> "$CHAOS_TMP/burst_parents"
	t0=$(chaos_now_ms)
	while [ $(( $(chaos_now_ms) - t0 )) -lt 20000 ]; do
		queued=$(cq -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $gate AND NOT granted") || true
		[ "${queued:-0}" -ge "$CHAOS_BURST" ] && break
		sleep 0.1
	done
	cq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'burst_gate_$CHAOS_BURSTS'" >/dev/null || true
	wait "$holder" 2>/dev/null || true
	CHAOS_BURST_TERM_AT=$(( $(chaos_now_ms) + 500 ))
	chaos_event burst "$CHAOS_BURST clients, ${queued:-0} of them queued at the gate after $(( $(chaos_now_ms) - t0 )) ms, miss $CHAOS_BURST distinct slow keys at once (max_inflight $CHAOS_INFLIGHT)"
}

# Wait for a process we started, at most $2 seconds; kill it after that.
chaos_wait_pid() {
	local pid=$1 bound=$2 label=$3 t0
	t0=$(chaos_now)
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(( $(chaos_now) - t0 )) -gt "$bound" ]; then
			echo "$label (pid $pid) still running $bound s after the end of the soak" >> "$CHAOS_TMP/hung"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null || true
}

# Sums over the epochs (the counters start again at 0 after each
# crash-restart): the last sample of each epoch.  Prints NAME=VALUE lines.
chaos_totals() {
	awk -F'|' '
		{ last[$2] = $0; if ($3 > maxinf) maxinf = $3; if ($5 > maxbytes) maxbytes = $5
		  if ($6 > 0 && $5 / $6 > maxpct) maxpct = $5 / $6; if ($5 > $7) overlimit++ }
		END {
			for (e in last) {
				split(last[e], f, "|")
				full += f[4]; ev += f[8]; hits += f[9]; misses += f[10]; stores += f[11]
				rej += f[12]; tk += f[13]; to += f[14]; waits += f[15]; saved += f[16]; leaders += f[17]
				unsh += f[19]
			}
			printf "table_full=%d\nevictions=%d\nhits=%d\nmisses=%d\nstores=%d\nrejected=%d\n", full, ev, hits, misses, stores, rej
			printf "takeovers=%d\ntimeouts=%d\nwaits=%d\nsaved=%d\nleaders=%d\nunshareable=%d\n", tk, to, waits, saved, leaders, unsh
			printf "max_inflight=%d\nmax_bytes=%d\nmax_pct=%.1f\nover_limit=%d\n", maxinf, maxbytes, 100 * maxpct, overlimit
		}' "$CHAOS_TMP/samples"
}

# The timeline chart: throughput per second of each workload, the fills in
# flight and the memory in use, with the faults marked.
chaos_chart() {
	local png=$1 d="$CHAOS_TMP/chart"
	command -v gnuplot >/dev/null || return 0
	mkdir -p "$d"
	local t0s
	t0s=$(awk -v s="$CHAOS_T0_MS" 'BEGIN { printf "%.3f", s / 1000 }')
	cat "$CHAOS_TMP"/mixed/*/pgbench_log.* 2>/dev/null | awk -v t0="$t0s" '$3 ~ /^[0-9]+$/ { print int($5 + $6 / 1e6 - t0) }' | sort -n | uniq -c | awk '{ print $2, $1 }' > "$d/mixed.dat"
	cat "$CHAOS_TMP"/large/*/pgbench_log.* 2>/dev/null | awk -v t0="$t0s" '$3 ~ /^[0-9]+$/ { print int($5 + $6 / 1e6 - t0) }' | sort -n | uniq -c | awk '{ print $2, $1 }' > "$d/large.dat"
	cat "$CHAOS_TMP"/slow.done "$CHAOS_TMP"/timeout.done "$CHAOS_TMP"/burst.done 2>/dev/null | awk -v t0="$t0s" '{ print int($1 - t0) }' | sort -n | uniq -c | awk '{ print $2, $1 }' > "$d/fills.dat"
	awk -F'|' -v s="$CHAOS_T0_MS" '{ printf "%.1f %d %.1f\n", ($1 - s) / 1000, $3, ($6 > 0 ? 100 * $5 / $6 : 0) }' "$CHAOS_TMP/samples" > "$d/samples.dat"
	local marks="" t kind
	while read -r t kind _; do
		case "$kind" in
			crash) marks+="set arrow from $t, graph 0 to $t, graph 1 nohead lc rgb '#cc0000' lw 2 dt 2"$'\n'
				marks+="set label 'crash' at $t, graph 0.97 right offset -0.5,0 tc rgb '#cc0000'"$'\n' ;;
			worker_killed) marks+="set arrow from $t, graph 0 to $t, graph 1 nohead lc rgb '#2255cc' lw 1 dt 3"$'\n'
				marks+="set label 'worker killed' at $t, graph 0.90 right offset -0.5,0 tc rgb '#2255cc'"$'\n' ;;
			burst) marks+="set arrow from $t, graph 0 to $t, graph 1 nohead lc rgb '#229922' lw 1 dt 4"$'\n'
				marks+="set label 'burst' at $t, graph 0.83 right offset -0.5,0 tc rgb '#229922'"$'\n' ;;
		esac
	done < "$CHAOS_TMP/events"
	gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 1200,700 noenhanced font ",9"
set output "$png"
set multiplot layout 2,1 title "cascade_cache: chaos soak ($DATE, ${CHAOS_SECS}s)"
set grid
set xrange [0:$CHAOS_SECS]
set xlabel "seconds"
$marks
set ylabel "completed per second"
set key below horizontal
plot "$d/mixed.dat" using 1:2 with steps lw 2 lc rgb "#3366aa" title "mixed workload (pgbench)", \
     "$d/large.dat" using 1:2 with steps lc rgb "#cc6633" title "large-entry reads", \
     "$d/fills.dat" using 1:2 with steps lc rgb "#888888" title "slow fills and checks (chaos clients)"
set ylabel "fills in flight"
set y2label "cache memory, % of budget"
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
plot "$d/samples.dat" using 1:2 with lines lw 2 lc rgb "#229922" title "in flight (cache_stats().inflight)", \
     "$d/samples.dat" using 1:3 axes x1y2 with lines lc rgb "#aa3377" title "bytes_used / memory_budget"
unset multiplot
GP
}

# ---------------------------------------------------------------------
# the scenario
# ---------------------------------------------------------------------
scenario_chaos() {
	CHAOS_TMP="$BENCH_TMP/chaos"
	mkdir -p "$CHAOS_TMP"
	: > "$CHAOS_TMP/pids"; : > "$CHAOS_TMP/events"; : > "$CHAOS_TMP/samples"; : > "$CHAOS_TMP/checks"
	local mixed_clients mixed_rate large_clients slow_clients timeout_clients large_keys memory
	local crash_at worker_at burst_at
	if [ $SMOKE = 1 ]; then
		CHAOS_SECS=${CC_CHAOS_SECONDS:-16}
		mixed_clients=6 mixed_rate=300 large_clients=2 slow_clients=4 timeout_clients=3
		large_keys=200 memory=16MB
		crash_at="25" worker_at="70" burst_at="45"
	else
		CHAOS_SECS=${CC_CHAOS_SECONDS:-300}
		mixed_clients=16 mixed_rate=1500 large_clients=2 slow_clients=6 timeout_clients=4
		large_keys=600 memory=48MB
		crash_at="20 55" worker_at="10 35 70 85" burst_at="15 45 75 90"
	fi
	# percentages of the soak -> seconds
	local pct
	to_secs() { echo $(for pct in $1; do echo $((CHAOS_SECS * pct / 100)); done); }
	crash_at=$(to_secs "$crash_at"); worker_at=$(to_secs "$worker_at"); burst_at=$(to_secs "$burst_at")
	CHAOS_INFLIGHT=64          # the smallest cascade_cache.max_inflight there is
	CHAOS_BURST=80             # concurrent distinct misses in a burst
	CHAOS_BOUND=30             # longest a statement may take, and a client may outlast the end
	CHAOS_OUTAGE=60            # longest the server may take to come back after a crash
	CHAOS_WORKER_BOUND=15      # longest the postmaster may take to restart the worker
	CHAOS_EPOCH=0 CHAOS_CRASHES=0 CHAOS_WORKER_KILLS=0 CHAOS_BURSTS=0
	CHAOS_CANCELS=0 CHAOS_TERMS=0 CHAOS_WAITER_CANCELS=0 CHAOS_BURST_TERM_AT=0
	CHAOS_KILLED_PIDS="" CHAOS_WORKER_PIDS=""
	CHAOS_FAILED=0

	cc_log "scenario chaos: the mixed workload for ${CHAOS_SECS}s under injected faults"
	# a small cache, few in-flight slots, crash-restart on
	bpsql -c "ALTER SYSTEM SET cascade_cache.max_inflight = $CHAOS_INFLIGHT" \
		-c "ALTER SYSTEM SET cascade_cache.max_memory = '$memory'" \
		-c "ALTER SYSTEM SET restart_after_crash = on" >/dev/null
	cluster_restart cache
	bpsql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION chaos_sleep(ms int) RETURNS int LANGUAGE plpgsql STABLE AS $$
BEGIN
  PERFORM pg_sleep(ms / 1000.0);
  RETURN ms;
END $$;
-- the stale-read check of check_version, with a fill that sleeps ms
-- milliseconds (ms is part of the key): something to cancel, to terminate,
-- to time out and to SIGKILL in the middle of a fill
CREATE OR REPLACE FUNCTION check_slow(i int, ms int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  direct bigint;
  cached bigint;
BEGIN
  SELECT v INTO direct FROM bench_version WHERE id = i;
  cached := (cascade_cache.cached_query('SELECT v, chaos_sleep($2) AS slept FROM bench_version WHERE id = $1',
                                        jsonb_build_array(i, ms)) -> 0 ->> 'v')::bigint;
  IF cached < direct THEN
    RAISE EXCEPTION 'stale read of version % (slow fill): direct %, cached %', i, direct, cached;
  END IF;
  RETURN cached;
END $$;
SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post'),
       cascade_cache.cascade_watch('bench_version', 'Version');
SQL
	local large
	mixed_scripts
	large=$(script_file c_large "\\set k random(1, $large_keys)
SELECT pg_column_size(cascade_cache.cached_query('SELECT string_agg(md5(\$1::text || '':'' || g), '''') AS blob FROM generate_series(1, 8000) g', jsonb_build_array(:k::int)));")

	# the baseline: an empty cache
	local baseline log_off
	baseline=$(bval "SELECT cascade_cache.cache_flush(), cascade_cache.cache_stats_reset()" >/dev/null; bval "SELECT bytes_used FROM cascade_cache.cache_stats()")
	# a warm cache, as in the mixed scenario
	bval "SELECT count(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, least($USERS, 2000)) g" >/dev/null
	bval "SELECT count(cascade_cache.cached_query('SELECT v FROM bench_version WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, 100) g" >/dev/null
	log_off=$(stat -c %s "$BENCH_DIR/server.log")

	CHAOS_T0_MS=$(chaos_now_ms)
	CHAOS_END=$(( CHAOS_T0_MS / 1000 + CHAOS_SECS ))
	local pids_groups=()
	chaos_pgbench_group mixed "$mixed_clients" "$mixed_rate" "$M_READ@70" -f "$M_CHECK@10" -f "$M_CREATE@8" \
		-f "$M_UPDATE@6" -f "$M_DELETE@4" -f "$M_BUMP@2" &
	pids_groups+=($!); echo $! >> "$CHAOS_TMP/pids"
	chaos_pgbench_group large "$large_clients" max "$large" &
	pids_groups+=($!); echo $! >> "$CHAOS_TMP/pids"
	perl bench/chaos_client.pl --port "$BENCH_PORT" --mode slow --clients "$slow_clients" \
		--until "$CHAOS_END" --keys 20 --ms 300 --bump 0.3 --bound "$CHAOS_BOUND" \
		--outage "$CHAOS_OUTAGE" --out "$CHAOS_TMP/slow" >/dev/null 2>&1 &
	local pid_slow=$!; echo $! >> "$CHAOS_TMP/pids"
	perl bench/chaos_client.pl --port "$BENCH_PORT" --mode timeout --clients "$timeout_clients" \
		--until "$CHAOS_END" --keys 20 --ms 300 --timeout-min 50 --timeout-max 600 \
		--bound "$CHAOS_BOUND" --outage "$CHAOS_OUTAGE" --out "$CHAOS_TMP/timeout" >/dev/null 2>&1 &
	local pid_timeout=$!; echo $! >> "$CHAOS_TMP/pids"
	chaos_event start "mixed workload ($mixed_clients clients at $mixed_rate tx/s), large entries ($large_clients clients, max_memory $memory), $slow_clients slow fillers, $timeout_clients fillers under statement_timeout"

	# the driver
	local tick=0 next tick_s el
	if [ $SMOKE = 1 ]; then tick_s=0.5; else tick_s=1; fi
	while [ "$(chaos_now)" -lt "$CHAOS_END" ]; do
		tick=$((tick + 1))
		el=$(( $(chaos_now) - CHAOS_T0_MS / 1000 ))
		chaos_tick "$tick"
		next=$(awk '{ print $1 }' <<<"$crash_at")
		if [ -n "$next" ] && [ "$el" -ge "$next" ]; then
			crash_at=$(awk '{ $1 = ""; print }' <<<"$crash_at")
			chaos_crash
		fi
		next=$(awk '{ print $1 }' <<<"$worker_at")
		if [ -n "$next" ] && [ "$el" -ge "$next" ]; then
			worker_at=$(awk '{ $1 = ""; print }' <<<"$worker_at")
			chaos_kill_worker
		fi
		next=$(awk '{ print $1 }' <<<"$burst_at")
		if [ -n "$next" ] && [ "$el" -ge "$next" ]; then
			burst_at=$(awk '{ $1 = ""; print }' <<<"$burst_at")
			chaos_burst
		fi
		sleep "$tick_s"
	done
	chaos_event end "end of the soak: waiting for every client (bound ${CHAOS_BOUND}s)"

	# every client must finish within the bound
	local p
	for p in "${pids_groups[@]}" $pid_slow $pid_timeout $(cat "$CHAOS_TMP/burst_parents" 2>/dev/null); do
		chaos_wait_pid "$p" $((CHAOS_BOUND + 15)) "a chaos client group"
	done
	local waited_s
	waited_s=$(awk -v n="$(chaos_now_ms)" -v e="$CHAOS_END" 'BEGIN { printf "%.1f", n / 1000 - e }')
	chaos_event finished "every client finished, ${waited_s}s after the end"
	chaos_wait_ready 10 || true
	chaos_tick 1 >/dev/null   # the last sample (fills no longer run: nothing to signal)

	# ---------------- assertions ----------------
	local stale crash unexp ms_stale ms_crash ms_unexp ls_stale ls_crash ls_unexp
	read -r ms_stale ms_crash ms_unexp <<<"$(chaos_pgbench_errors "$CHAOS_TMP/mixed")"
	read -r ls_stale ls_crash ls_unexp <<<"$(chaos_pgbench_errors "$CHAOS_TMP/large")"
	local s_sum t_sum b_sum
	s_sum=$(grep '^summary' "$CHAOS_TMP/slow" 2>/dev/null | tail -1) || true
	t_sum=$(grep '^summary' "$CHAOS_TMP/timeout" 2>/dev/null | tail -1) || true
	b_sum=$(grep -h '^summary' "$CHAOS_TMP/burst" 2>/dev/null) || true
	local all_sums="$s_sum"$'\n'"$t_sum"$'\n'"$b_sum"
	stale=$(( ms_stale + ls_stale + $(sum_field stale "$all_sums") ))
	unexp=$(( ms_unexp + ls_unexp + $(sum_field unexpected "$all_sums") ))
	local problems_txt="" stale_txt="" unexp_txt=""
	problems_txt=$( { cat "$CHAOS_TMP"/mixed/unexpected "$CHAOS_TMP"/large/unexpected 2>/dev/null; grep -h '^problem' "$CHAOS_TMP/slow" "$CHAOS_TMP/timeout" "$CHAOS_TMP/burst" 2>/dev/null | sed 's/^problem //'; } | grep -v '^hung:\|^sessions of the hung\|took .* ms (bound' | sed 's/|/\//g' || true)
	stale_txt=$(grep 'stale read' <<<"$problems_txt" | head -3 | tr '\n' ' ' || true)
	unexp_txt=$(grep -v 'stale read' <<<"$problems_txt" | grep . | head -5 | tr '\n' ' ' || true)
	chaos_check "stale reads" $([ "$stale" = 0 ] && echo 1 || echo 0) "$stale (mixed workload checker: $ms_stale; slow-fill checks: $(( stale - ms_stale - ls_stale )))${stale_txt:+; first: $stale_txt}"
	chaos_check "unexpected errors" $([ "$unexp" = 0 ] && echo 1 || echo 0) "$unexp (errors other than the injected cancels, terminations, statement timeouts and crash-restarts)${unexp_txt:+; first: $unexp_txt}"

	# every session answered
	local hung_txt max_stmt over
	hung_txt=$( { cat "$CHAOS_TMP"/hung "$CHAOS_TMP"/mixed/hung "$CHAOS_TMP"/large/hung 2>/dev/null; grep -h '^problem hung\|^problem sessions of the hung' "$CHAOS_TMP/slow" "$CHAOS_TMP/timeout" "$CHAOS_TMP/burst" 2>/dev/null; } | tr '\n' ' ' | sed 's/|/\//g' | cut -c1-1500) || true
	max_stmt=$(sum_field max_ms "$all_sums" max)
	over=$(sum_field over_bound "$all_sums")
	chaos_check "every client answered" $([ -z "$hung_txt" ] && [ "$over" = 0 ] && echo 1 || echo 0) \
		"every pgbench run and chaos client finished within ${CHAOS_BOUND}s of the end (the last ${waited_s}s after it); longest statement of a chaos client ${max_stmt} ms (bound ${CHAOS_BOUND}s, $over over)${hung_txt:+; HUNG: $hung_txt}"

	# crash-restarts: the server came back and the workload reconnected
	local rounds_mixed rounds_large last_round_tx crash_ms
	rounds_mixed=$(wc -l < "$CHAOS_TMP/mixed/rounds" 2>/dev/null || echo 0)
	rounds_large=$(wc -l < "$CHAOS_TMP/large/rounds" 2>/dev/null || echo 0)
	last_round_tx=$(cat "$CHAOS_TMP/mixed/$rounds_mixed"/pgbench_log.* 2>/dev/null | wc -l) || true
	crash_ms=$(sort -n "$CHAOS_TMP/crash_ms" 2>/dev/null | tr '\n' ' ') || true
	if [ "$CHAOS_CRASHES" -gt 0 ]; then
		chaos_check "crash-restart" $([ "$(wc -l < "$CHAOS_TMP/crash_ms" 2>/dev/null || echo 0)" = "$CHAOS_CRASHES" ] && [ "$rounds_mixed" -gt "$CHAOS_CRASHES" ] && [ "$last_round_tx" -gt 0 ] && echo 1 || echo 0) \
			"$CHAOS_CRASHES SIGKILL(s) of a filling backend; accepting connections again after ${crash_ms}ms; the mixed workload ran $rounds_mixed pgbench runs ($last_round_tx transactions in the last one), the large-entry readers $rounds_large"
	fi

	# the worker
	local workers worker_ms
	workers=$(cq -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'cascade_cache worker'") || true
	worker_ms=$(sort -n "$CHAOS_TMP/worker_ms" 2>/dev/null | tr '\n' ' ') || true
	chaos_check "background worker" $([ "$(wc -l < "$CHAOS_TMP/worker_ms" 2>/dev/null || echo 0)" = "$CHAOS_WORKER_KILLS" ] && [ "${workers:-0}" = 1 ] && echo 1 || echo 0) \
		"killed $CHAOS_WORKER_KILLS time(s), restarted by the postmaster after ${worker_ms}ms; workers running at the end: ${workers:-?}"

	# the faults really happened
	local tot
	tot=$(chaos_totals)
	local t_full t_ev t_maxinf t_maxpct t_over
	t_full=$(sed -n 's/^table_full=//p' <<<"$tot"); t_ev=$(sed -n 's/^evictions=//p' <<<"$tot")
	t_maxinf=$(sed -n 's/^max_inflight=//p' <<<"$tot"); t_maxpct=$(sed -n 's/^max_pct=//p' <<<"$tot")
	t_over=$(sed -n 's/^over_limit=//p' <<<"$tot")
	local cl_cancel cl_term cl_timeout cl_crash
	cl_cancel=$(sum_field cancel "$all_sums"); cl_term=$(sum_field terminated "$all_sums")
	cl_timeout=$(sum_field timeout "$all_sums"); cl_crash=$(sum_field crash "$all_sums")
	chaos_check "faults injected" $([ "$cl_cancel" -gt 0 ] && [ "$cl_term" -gt 0 ] && [ "$cl_timeout" -gt 0 ] && [ "$t_ev" -gt 0 ] && [ "$t_full" -gt 0 ] && echo 1 || echo 0) \
		"fillers cancelled: $cl_cancel ($CHAOS_CANCELS leaders and $CHAOS_WAITER_CANCELS waiters signalled), terminated: $cl_term ($CHAOS_TERMS signalled), statement timeouts: $cl_timeout, evictions: $t_ev, misses run uncoalesced because the in-flight table was full: $t_full (most in flight at a sample: $t_maxinf)"
	chaos_check "memory limit" $([ "${t_over:-0}" = 0 ] && echo 1 || echo 0) \
		"bytes_used at most ${t_maxpct}% of memory_budget at the samples; above memory_limit at $t_over sample(s)"

	# the server log: nothing the driver did not cause
	local logtxt crashes_logged signals bad_signals worker_exits bad_worker panics other_errors
	logtxt=$(tail -c +$((log_off + 1)) "$BENCH_DIR/server.log")
	crashes_logged=$(grep -c 'all server processes terminated; reinitializing' <<<"$logtxt" || true)
	signals=$(grep -o 'server process (PID [0-9]*) was terminated by signal [0-9]*' <<<"$logtxt" || true)
	bad_signals=""
	while read -r l; do
		[ -n "$l" ] || continue
		local spid sig
		spid=$(sed 's/.*PID \([0-9]*\).*/\1/' <<<"$l"); sig=${l##* }
		if [ "$sig" != 9 ] || ! grep -qw "$spid" <<<"$CHAOS_KILLED_PIDS"; then bad_signals+="$l; "; fi
	done <<<"$signals"
	bad_worker=""
	while read -r l; do
		[ -n "$l" ] || continue
		local wpid
		wpid=$(sed 's/.*(PID \([0-9]*\)).*/\1/' <<<"$l")
		grep -qw "$wpid" <<<"$CHAOS_WORKER_PIDS" || bad_worker+="$l; "
	done <<<"$(grep -o 'background worker "cascade_cache worker" (PID [0-9]*) [a-z ]*[0-9]*' <<<"$logtxt" || true)"
	panics=$(grep -E 'PANIC|TRAP:|terminated by exception|segmentation|core dumped' <<<"$logtxt" | head -3 | tr '\n' ' ' || true)
	other_errors=$(grep -E '(ERROR|FATAL|PANIC): ' <<<"$logtxt" | sed 's/^.*\(ERROR\|FATAL\|PANIC\): *//' | grep -vE '^(canceling statement due to (user request|statement timeout)|terminating connection due to administrator command|the database system is (in recovery mode|starting up|not yet accepting connections|shutting down)|connection to client lost|canceling autovacuum task|terminating autovacuum process due to administrator command)' | sort | uniq -c | sort -rn | head -5 | tr '\n' ' ' | sed 's/  */ /g' || true)
	chaos_check "server log" $([ "$crashes_logged" = "$CHAOS_CRASHES" ] && [ -z "$bad_signals" ] && [ -z "$bad_worker" ] && [ -z "$panics" ] && [ -z "$other_errors" ] && echo 1 || echo 0) \
		"crash-restarts logged: $crashes_logged (caused: $CHAOS_CRASHES); other process deaths: ${bad_signals:-none}; unexplained worker exits: ${bad_worker:-none}; PANIC/TRAP: ${panics:-none}; other errors: ${other_errors:-none}"

	# in flight: nothing left once every client is gone
	local inflight=""
	for _ in $(seq 1 25); do
		inflight=$(cq -c "SELECT inflight FROM cascade_cache.coalesce_metrics") || true
		[ "$inflight" = 0 ] && break
		sleep 0.2
	done
	local stuck_txt=""
	[ "$inflight" = 0 ] || stuck_txt=$(cq -c "SELECT count(*) || ' client backend(s) left' || coalesce(': ' || string_agg(concat_ws(' ', pid, application_name, state, wait_event, left(query, 60)), '; '), ' (every slot outlived its leader)') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" | sed 's/|/\//g') || true
	chaos_check "no stuck in-flight slot" $([ "$inflight" = 0 ] && echo 1 || echo 0) \
		"coalesce_metrics.inflight = ${inflight:-?} once every client had finished${stuck_txt:+; $stuck_txt}"

	# a fresh miss takes a slot, is stored, then hit; two sessions
	# missing one fresh slow key at once share one execution
	local probe before after
	probe="chaos-probe-$$-$RANDOM"
	before=$(cq -c "SELECT misses, stores, hits, coalesce_leaders, coalesce_table_full, db_calls_saved FROM cascade_cache.cache_stats()") || true
	local r1 r2
	r1=$(cq -c "SELECT cascade_cache.cached_query('SELECT \$1::text AS probe', '[\"$probe\"]')") || true
	r2=$(cq -c "SELECT cascade_cache.cached_query('SELECT \$1::text AS probe', '[\"$probe\"]')") || true
	after=$(cq -c "SELECT misses, stores, hits, coalesce_leaders, coalesce_table_full, db_calls_saved FROM cascade_cache.cache_stats()") || true
	local d
	d=$(awk -F'|' -v a="$after" 'BEGIN { } { split(a, x, "|"); printf "%d %d %d %d %d", x[1] - $1, x[2] - $2, x[3] - $3, x[4] - $4, x[5] - $5 }' <<<"$before")
	chaos_check "a fresh miss is stored, then hit" $([ "$d" = "1 1 1 1 0" ] && [ "$r1" = "[{\"probe\": \"$probe\"}]" ] && [ "$r2" = "$r1" ] && echo 1 || echo 0) \
		"misses, stores, hits, in-flight slots taken, uncoalesced (table full) for two calls of a new key: $d (expected 1 1 1 1 0); results: $r1, $r2"
	local c1 c2 saved0 saved1 out1
	saved0=$(cq -c "SELECT db_calls_saved FROM cascade_cache.cache_stats()") || true
	out1="$CHAOS_TMP/probe1"
	cq -c "SELECT cascade_cache.cached_query('SELECT \$1::text AS probe, chaos_sleep(1000) AS slept', '[\"$probe\"]')" > "$out1" &
	c1=$!
	sleep 0.3
	c2=$(cq -c "SELECT cascade_cache.cached_query('SELECT \$1::text AS probe, chaos_sleep(1000) AS slept', '[\"$probe\"]')") || true
	wait $c1 || true
	saved1=$(cq -c "SELECT db_calls_saved FROM cascade_cache.cache_stats()") || true
	chaos_check "coalescing after the soak" $([ -n "$c2" ] && [ "$c2" = "$(cat "$out1")" ] && [ $(( ${saved1:-0} - ${saved0:-0} )) = 1 ] && echo 1 || echo 0) \
		"two sessions missing one new slow key at once: $(( ${saved1:-0} - ${saved0:-0} )) execution(s) saved (expected 1)"

	# memory: back to the baseline after cache_flush()
	local bytes_before bytes entries waited=0
	bytes_before=$(cq -c "SELECT bytes_used FROM cascade_cache.cache_stats()") || true
	cq -c "SELECT cascade_cache.cache_flush()" >/dev/null || true
	read -r bytes entries <<<"$(cq -c "SELECT bytes_used, entries FROM cascade_cache.cache_stats()" | tr '|' ' ')"
	if [ "$bytes" != "$baseline" ]; then
		# an entry left PENDING by a backend that skipped its clean-up
		# is removed by the worker's orphan scan (every 10 s)
		for waited in $(seq 1 15); do
			sleep 1
			cq -c "SELECT cascade_cache.cache_flush()" >/dev/null || true
			read -r bytes entries <<<"$(cq -c "SELECT bytes_used, entries FROM cascade_cache.cache_stats()" | tr '|' ' ')"
			[ "$bytes" = "$baseline" ] && break
		done
	fi
	chaos_check "memory after cache_flush()" $([ "$bytes" = "$baseline" ] && [ "$entries" = 0 ] && echo 1 || echo 0) \
		"bytes_used $bytes_before before, $bytes after (baseline $baseline), entries $entries$([ "$waited" -gt 0 ] && echo ", after waiting ${waited}s for the orphan scan")"

	# ---------------- results ----------------
	local tx p50 p99 tps mh mm hr
	read -r tx p50 p99 <<<"$(chaos_pgbench_latency "$CHAOS_TMP/mixed")"
	tps=$(awk -v n="$tx" -v s="$CHAOS_SECS" 'BEGIN { printf "%.1f", n / s }')
	mh=$(sed -n 's/^hits=//p' <<<"$tot"); mm=$(sed -n 's/^misses=//p' <<<"$tot")
	hr=$(awk -v h="$mh" -v m="$mm" 'BEGIN { if (h + m) printf "%.1f%%", 100 * h / (h + m); else print "n/a" }')
	record chaos "mixed workload (pgbench)" "$mixed_clients" "$tps" "$p50" "$p99" "rate $mixed_rate; $tx transactions in $rounds_mixed pgbench runs (a new run after each crash-restart); stale reads: $ms_stale; clients lost in crash-restarts: $ms_crash; other errors: $ms_unexp"
	read -r tx p50 p99 <<<"$(chaos_pgbench_latency "$CHAOS_TMP/large")"
	tps=$(awk -v n="$tx" -v s="$CHAOS_SECS" 'BEGIN { printf "%.1f", n / s }')
	record chaos "large entries (~250 kB)" "$large_clients" "$tps" "$p50" "$p99" "$large_keys keys, max_memory $memory; evictions: $t_ev; bytes_used at most ${t_maxpct}% of the budget; other errors: $ls_unexp"
	local l mode
	for l in "$s_sum" "$t_sum"; do
		[ -n "$l" ] || continue
		mode=$(sed -n 's/^summary mode=\([a-z]*\).*/\1/p' <<<"$l")
		tps=$(awk -v n="$(chaos_field "$l" ok)" -v s="$CHAOS_SECS" 'BEGIN { printf "%.1f", n / s }')
		record chaos "$([ "$mode" = slow ] && echo "slow fills, 20 shared keys" || echo "fills under statement_timeout 50-600 ms")" \
			"$(chaos_field "$l" clients)" "$tps" "$(chaos_field "$l" p50_ms)" "$(chaos_field "$l" p99_ms)" \
			"answered: $(chaos_field "$l" ok), cancelled: $(chaos_field "$l" cancel), timed out: $(chaos_field "$l" timeout), terminated: $(chaos_field "$l" terminated), lost in crash-restarts: $(chaos_field "$l" crash), reconnects: $(chaos_field "$l" reconnects), stale: $(chaos_field "$l" stale), unexpected: $(chaos_field "$l" unexpected), longest: $(chaos_field "$l" max_ms) ms"
	done
	if [ -n "$b_sum" ]; then
		record chaos "in-flight bursts" "$CHAOS_BURST" 0 0 0 \
			"$CHAOS_BURSTS burst(s) of $CHAOS_BURST distinct 1.5 s misses, max_inflight $CHAOS_INFLIGHT: answered $(sum_field ok "$b_sum"), cancelled/terminated $(( $(sum_field cancel "$b_sum") + $(sum_field terminated "$b_sum") )), uncoalesced (table full): $t_full, most in flight at a sample: $t_maxinf"
	fi
	local med mx
	if [ -s "$CHAOS_TMP/crash_ms" ]; then
		med=$(sort -n "$CHAOS_TMP/crash_ms" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'); mx=$(sort -n "$CHAOS_TMP/crash_ms" | tail -1)
		record chaos "crash-restart (SIGKILL mid-fill)" 0 0 "$med" "$mx" "$CHAOS_CRASHES crash(es); p50/p99 columns: ms until the server accepted connections again"
	fi
	if [ -s "$CHAOS_TMP/worker_ms" ]; then
		med=$(sort -n "$CHAOS_TMP/worker_ms" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'); mx=$(sort -n "$CHAOS_TMP/worker_ms" | tail -1)
		record chaos "worker killed" 0 0 "$med" "$mx" "$CHAOS_WORKER_KILLS kill(s); p50/p99 columns: ms until the new worker showed"
	fi
	record chaos "coalescing totals" 0 0 0 0 "leaders $(sed -n 's/^leaders=//p' <<<"$tot"), waits $(sed -n 's/^waits=//p' <<<"$tot"), executions saved $(sed -n 's/^saved=//p' <<<"$tot"), takeovers $(sed -n 's/^takeovers=//p' <<<"$tot"), wait timeouts $(sed -n 's/^timeouts=//p' <<<"$tot"), stores $(sed -n 's/^stores=//p' <<<"$tot"), rejected by the fence $(sed -n 's/^rejected=//p' <<<"$tot"), hit rate $hr"

	local verdict="every assertion held"
	[ "$CHAOS_FAILED" = 1 ] && verdict="**FAILED** (see the assertions)"
	local RESULTS_CUSTOM_CHART=1 SECS=$CHAOS_SECS
	write_results chaos "Chaos soak: the mixed workload under injected faults" \
"One soak of ${CHAOS_SECS}s: the mixed scenario's workload (80% cached reads with the
stale-read checker, 20% mutations) at $mixed_rate tx/s, readers of large entries that keep the
cache at cascade_cache.max_memory = $memory, $slow_clients clients filling slow keys (check_slow: a
stale-read check whose fill sleeps 300 ms) and $timeout_clients doing the same under a
statement_timeout of 50-600 ms, with cascade_cache.max_inflight = $CHAOS_INFLIGHT. Every
${tick_s}s the driver cancels a filler, every other tick terminates one, every third cancels a
session waiting for another's fill; it SIGKILLs a filling backend (crash-restart) $CHAOS_CRASHES time(s),
terminates the background worker $CHAOS_WORKER_KILLS time(s) and fires $CHAOS_BURSTS burst(s) of
$CHAOS_BURST simultaneous distinct misses. Counters are summed over the crash-restarts
(each restart starts them again at 0). tps = completed per second over the whole soak.

Result: $verdict.

| assertion | result | detail |
|---|---|---|
$(cat "$CHAOS_TMP/checks")

Faults, in order (seconds from the start):

\`\`\`
$(cat "$CHAOS_TMP/events")
\`\`\`"
	chaos_chart "$RESULTS/$DATE-chaos$RESULTS_SUFFIX.png"
	# CC_CHAOS_KEEP=DIR keeps the raw material for a post-mortem: every
	# pgbench output and log, the chaos clients' files, the driver's samples
	# and events, and the server log of the soak
	if [ -n "${CC_CHAOS_KEEP:-}" ]; then
		mkdir -p "$CC_CHAOS_KEEP"
		cp -a "$CHAOS_TMP/." "$CC_CHAOS_KEEP/"
		tail -c +$((log_off + 1)) "$BENCH_DIR/server.log" > "$CC_CHAOS_KEEP/server.log"
		cc_log "chaos: raw files kept in $CC_CHAOS_KEEP"
	fi

	# back to the bench cluster's settings
	chaos_cleanup
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user'), cascade_cache.cascade_unwatch('tb_post'), cascade_cache.cascade_unwatch('bench_version')" >/dev/null || true
	bpsql -c "ALTER SYSTEM RESET cascade_cache.max_inflight" -c "ALTER SYSTEM RESET cascade_cache.max_memory" \
		-c "ALTER SYSTEM RESET restart_after_crash" >/dev/null
	cluster_restart cache
	if [ "$CHAOS_FAILED" = 1 ]; then
		cc_log "chaos: FAILED; results in $RESULTS/$DATE-chaos$RESULTS_SUFFIX.md:"
		sed -n '/^| assertion/,$p' "$RESULTS/$DATE-chaos$RESULTS_SUFFIX.md" | sed 's/^/    /' >&2
		cc_log "chaos: the failed assertions:"
		sed 's/^/    /' "$CHAOS_TMP/failures" >&2
		cat "$CHAOS_TMP/failures" >> "$BENCH_TMP/problems"
		echo chaos >> "$BENCH_TMP/failed_scenarios"
	else
		cc_log "chaos: every assertion held ($(grep -c . "$CHAOS_TMP/checks") checks)"
	fi
}
