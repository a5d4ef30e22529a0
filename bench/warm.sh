# The warm and refetch scenarios of bench/run.sh: no cold cache after a
# restart (warm restart) or after a mutation (refresh-ahead).  Sourced by
# bench/run.sh, which defines record, write_results, pgb, bval, ... .

# hit rate (percent, one decimal) of the cache_stats() deltas "h0 m0" "h1 m1"
warm_hit_rate() {
	local h0 m0 h1 m1
	read -r h0 m0 <<<"$1"
	read -r h1 m1 <<<"$2"
	awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN { if (h + m) printf "%.1f", 100 * h / (h + m); else print "n/a" }'
}

# fill the cache with every user's document and every version (the hot set)
warm_fill() {
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	bval "SELECT count(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g), NULL, 'user')) FROM generate_series(1, $USERS) g" >/dev/null
	bval "SELECT count(cascade_cache.cached_query('SELECT v FROM bench_version WHERE id = \$1', jsonb_build_array(g), NULL, 'version')) FROM generate_series(1, 100) g" >/dev/null
}

# The mixed workload with named reads (so that refetch_names can name
# them): W_READ, W_CHECK (the stale-read checker on named entries).
warm_scripts() {
	mixed_scripts
	W_READ=$(script_file w_read "\\set id random_exponential(1, $USERS, 8)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:id::int), NULL, 'user');")
	W_CHECK=$(script_file w_check "\\set v random(1, 100)
SELECT check_version(:v, 'version');")
	W_AFTER=$(script_file w_after "\\set a random(1, $USERS)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:a::int), NULL, 'user');
SELECT update_user(:a, 'renamed at ' || clock_timestamp());
\\sleep 20 ms
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:a::int), NULL, 'user');")
}

# ---------------------------------------------------------------------
# warm restart: the first 30 s after a restart, cold and warm
# ---------------------------------------------------------------------
scenario_warm() {
	cc_log "scenario warm: the first seconds after a restart, without and with warm restart"
	local mode secs rate before after tps p50 p99 n f stale st hr filled recipes took
	warm_scripts
	if [ $SMOKE = 1 ]; then secs=5; rate=200; else secs=30; rate=1000; fi
	bpsql -c "SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post'), cascade_cache.cascade_watch('bench_version', 'Version')" >/dev/null
	for mode in cold warm; do
		if [ $mode = cold ]; then
			bpsql -c "ALTER SYSTEM SET cascade_cache.warm_entries = 0" >/dev/null
		else
			bpsql -c "ALTER SYSTEM SET cascade_cache.warm_entries = $((USERS + 1000))" >/dev/null
		fi
		bval "SELECT pg_reload_conf()" >/dev/null
		sleep 1
		warm_fill
		# reads as before the restart, so that the hits rank the hot set
		pgb $BENCH_PORT 8 "$((secs / 3))" "$W_READ" >/dev/null
		# a clean restart: with warm restart on, the worker writes the recipes
		cluster_restart
		bval "SELECT cascade_cache.cache_stats_reset()" >/dev/null
		before=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
		read -r tps p50 p99 n f <<<"$(PGB_KEEP_OUTPUT="$BENCH_TMP/warm_$mode.out" pgb $BENCH_PORT 16 "$secs" "$W_READ@70" -f "$W_CHECK@10" -f "$M_CREATE@8" -f "$M_UPDATE@6" -f "$M_DELETE@4" -f "$M_BUMP@2" -R "$rate")"
		after=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
		hr=$(warm_hit_rate "$before" "$after")
		stale=$(grep -c 'stale read' "$BENCH_TMP/warm_$mode.out" || true)
		read -r filled recipes took <<<"$(bval "SELECT r.filled + r.not_stored || ' ' || w.recipes || ' ' || coalesce(round(extract(epoch FROM w.finished_at - w.started_at)::numeric, 1)::text, '-') FROM cascade_cache.cache_recipe_stats() r, cascade_cache.cache_warm_status() w WHERE r.kind = 'warm'" | tr '|' ' ')"
		if [ $mode = cold ]; then
			record warm "cold restart" 16 "$tps" "$p50" "$p99" "hit rate over the first ${secs}s: $hr%, stale reads: $stale"
		else
			record warm "warm restart" 16 "$tps" "$p50" "$p99" "hit rate over the first ${secs}s: $hr%, stale reads: $stale; $filled of $recipes recipes filled (fills ÷ recipes $(ratio "$filled" "$recipes")), all queued in ${took}s"
		fi
		eval "WARM_HR_$mode=\$hr WARM_FILLED_$mode=\$filled WARM_RECIPES_$mode=\$recipes"
	done
	bpsql -c "ALTER SYSTEM RESET cascade_cache.warm_entries" >/dev/null
	bval "SELECT pg_reload_conf()" >/dev/null
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user'), cascade_cache.cascade_unwatch('tb_post'), cascade_cache.cascade_unwatch('bench_version')" >/dev/null
	write_results warm "Warm restart: the first ${secs} seconds after a restart" \
"The hot set ($USERS user documents and 100 versions, every one cached) is filled, the server
is restarted cleanly, and the mixed workload (70% reads of users' documents, the
stale-read checker, create/update/delete mutations; 16 clients at $rate transactions/s) runs
for the first ${secs} seconds. Reads pick users with the mixed scenario's skew
(random_exponential, parameter 8), and ran for $((secs / 3)) s before the restart, so
that the hits rank the hot set; warming queues the recipes hottest first. Cold: cascade_cache.warm_entries = 0, the cache starts empty.
Warm: the worker wrote the recipes of the hot set at shutdown, and runners computed them
again after the start (at most cascade_cache.warm_rate = 1000 queued a second) while the
workload ran.

Hit rate over the first ${secs}s: cold **${WARM_HR_cold:-n/a}%**, warm **${WARM_HR_warm:-n/a}%**
[target ≥ 80%: $(at_least "${WARM_HR_warm:-n/a}" 80)]; fills ÷ recipes while warming
**$(ratio "${WARM_FILLED_warm:-0}" "${WARM_RECIPES_warm:-0}")** [target ≤ 1.1: a recipe runs once, a key the
workload filled first counts as present]."
}

# ---------------------------------------------------------------------
# refresh-ahead: reads right after their mutation, INVALIDATE and REFETCH
# ---------------------------------------------------------------------
# set refetch_names for VARIANT (REFETCH: 'user, version'; INVALIDATE: unset)
refetch_variant() {
	if [ "$1" = REFETCH ]; then
		bpsql -c "ALTER SYSTEM SET cascade_cache.refetch_names = 'user, version'" >/dev/null
	else
		bpsql -c "ALTER SYSTEM RESET cascade_cache.refetch_names" >/dev/null
	fi
	bval "SELECT pg_reload_conf()" >/dev/null
	sleep 1
}

# refetch_mixed VARIANT RATE [ROUND]: one run of the mixed workload with the
# stale-read checker on named entries, recorded; sets MIXED_TPS
refetch_mixed() {
	local variant=$1 rate=$2 round=${3:-} ropt=() label before after r0 r1 tps p50 p99 n f hr stale
	local q0 fl0 d0 q1 fl1 d1
	[ "$rate" != max ] && ropt=(-R "$rate")
	label="mixed, $variant, rate $rate${round:+, round $round}"
	warm_fill
	before=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
	r0=$(bval "SELECT queued || ' ' || filled || ' ' || dropped FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'")
	# CC_BENCH_PERF=DIR: a whole-system profile of each full-speed run
	local perf_pid=
	if [ -n "${CC_BENCH_PERF:-}" ] && [ "$rate" = max ]; then
		(sleep 2; cc_as_root perf record -a -g -q -o "$CC_BENCH_PERF/refetch-$variant${round:+-$round}.data" -- sleep $((SECS - 4)) >/dev/null 2>&1) &
		perf_pid=$!
	fi
	read -r tps p50 p99 n f <<<"$(PGB_KEEP_OUTPUT="$BENCH_TMP/refetch_$variant.out" pgb $BENCH_PORT 16 "$SECS" "$W_READ@70" -f "$W_CHECK@10" -f "$M_CREATE@8" -f "$M_UPDATE@6" -f "$M_DELETE@4" -f "$M_BUMP@2" "${ropt[@]}")"
	[ -z "$perf_pid" ] || wait "$perf_pid"
	after=$(bval "SELECT hits || ' ' || misses FROM cascade_cache.cache_stats()")
	r1=$(bval "SELECT queued || ' ' || filled || ' ' || dropped FROM cascade_cache.cache_recipe_stats() WHERE kind = 'refresh'")
	hr=$(warm_hit_rate "$before" "$after")
	stale=$(grep -c 'stale read' "$BENCH_TMP/refetch_$variant.out" || true)
	read -r q0 fl0 d0 <<<"$r0"
	read -r q1 fl1 d1 <<<"$r1"
	record refetch "$label" 16 "$tps" "$p50" "$p99" "hit rate $hr%, stale reads: $stale, other failures: $((f - stale)); refreshes queued $((q1 - q0)), filled $((fl1 - fl0)), dropped $((d1 - d0))"
	eval "REFETCH_STALE_$variant=\$(( \${REFETCH_STALE_$variant:-0} + stale ))"
	MIXED_TPS=$tps
}

scenario_refetch() {
	cc_log "scenario refetch: refresh-ahead against invalidation"
	local variant before after tps p50 p99 n f hr saved round rounds order
	local tps_invalidate=() tps_refetch=()
	warm_scripts
	bpsql -c "SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post'), cascade_cache.cascade_watch('bench_version', 'Version')" >/dev/null
	for variant in INVALIDATE REFETCH; do
		refetch_variant $variant

		# a mutation, then its user's document read 20 ms later
		warm_fill
		before=$(bval "SELECT hits || ' ' || misses || ' ' || db_calls_saved FROM cascade_cache.cache_stats()")
		read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$W_AFTER")"
		after=$(bval "SELECT hits || ' ' || misses || ' ' || db_calls_saved FROM cascade_cache.cache_stats()")
		hr=$(warm_hit_rate "${before% *}" "${after% *}")
		saved=$(( ${after##* } - ${before##* } ))
		record refetch "read after its mutation, $variant" 8 "$tps" "$p50" "$p99" "hit rate $hr% (reads that joined a refresh in flight: $saved)"
		eval "REFETCH_AFTER_$variant=\$hr"

		# the mixed workload at a fixed rate, below saturation
		[ $SMOKE = 1 ] || refetch_mixed $variant 4000
	done

	# the mixed workload at full speed: the variants alternate, round by
	# round (the tables grow as the workload creates posts), and the ratio
	# is that of the medians
	if [ $SMOKE = 1 ]; then rounds=1; else rounds=$ROUNDS; fi
	for round in $(seq 1 "$rounds"); do
		if [ $((round % 2)) = 1 ]; then order="INVALIDATE REFETCH"; else order="REFETCH INVALIDATE"; fi
		for variant in $order; do
			refetch_variant $variant
			refetch_mixed $variant max "$round"
			if [ $variant = REFETCH ]; then tps_refetch+=("$MIXED_TPS"); else tps_invalidate+=("$MIXED_TPS"); fi
		done
	done
	REFETCH_TPS_INVALIDATE=$(printf '%s\n' "${tps_invalidate[@]}" | median_run)
	REFETCH_TPS_REFETCH=$(printf '%s\n' "${tps_refetch[@]}" | median_run)
	# and round by round, each variant against the other in its round
	local paired=() i
	for i in "${!tps_refetch[@]}"; do
		paired+=("$(ratio "${tps_refetch[$i]}" "${tps_invalidate[$i]:-0}")")
	done
	REFETCH_ROUNDS=$(printf '%s×, ' "${paired[@]}")
	REFETCH_ROUNDS=${REFETCH_ROUNDS%, }
	REFETCH_GEOMEAN=$(printf '%s\n' "${paired[@]}" | awk '$1 + 0 > 0 { s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else print "n/a" }')
	bpsql -c "ALTER SYSTEM RESET cascade_cache.refetch_names" >/dev/null
	bval "SELECT pg_reload_conf()" >/dev/null
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user'), cascade_cache.cascade_unwatch('tb_post'), cascade_cache.cascade_unwatch('bench_version')" >/dev/null
	write_results refetch "Refresh-ahead: reads right after a mutation, INVALIDATE against REFETCH" \
"Reads are named ('user', 'version'); REFETCH is cascade_cache.refetch_names = 'user,
version' (the same as a cascade's REFETCH invalidation of those names), INVALIDATE the
default. \"Read after its mutation\": each transaction reads a random user's document, updates
the user (update_user, which reports the cascade), waits 20 ms, and reads the document
again (8 clients); the hit rate counts both reads.
\"Mixed\": 70% reads of users' documents (the mixed scenario's skew), 10% the stale-read
checker (on named entries: a version read directly and through the cache, failing if the
cached one is older), 20% mutations; 16 clients, at 4000 transactions/s and at full
speed; the full-speed runs alternate between the variants for $ROUNDS rounds (the tables
grow as the workload writes), and the ratio is that of the median runs. Mutations pick users uniformly, reads mostly the hot ones: most refreshes recompute
documents that are not read before their next change, and on this machine's $(nproc) cores
the runners take that CPU from the clients.

Read after its mutation, hit rate: INVALIDATE **${REFETCH_AFTER_INVALIDATE:-n/a}%**, REFETCH
**${REFETCH_AFTER_REFETCH:-n/a}%** [target ≥ 90%: $(at_least "${REFETCH_AFTER_REFETCH:-n/a}" 90)]. Stale
reads with REFETCH: **${REFETCH_STALE_REFETCH:-n/a}** [target 0]. Mixed throughput at full
speed, REFETCH ÷ INVALIDATE: **$(ratio "${REFETCH_TPS_REFETCH:-0}" "${REFETCH_TPS_INVALIDATE:-0}")×** [target ≥ 1.0:
$(at_least "$(ratio "${REFETCH_TPS_REFETCH:-0}" "${REFETCH_TPS_INVALIDATE:-0}")" 1.0)]. Round by round (each
variant against the other in its round): ${REFETCH_ROUNDS:-n/a}; their geometric
mean ${REFETCH_GEOMEAN:-n/a}×."
}
