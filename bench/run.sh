#!/usr/bin/env bash
# make bench: the cascade_cache benchmark suite.
#
#   bench/run.sh                 every scenario, results in bench/results/
#   bench/run.sh --smoke         a short version that checks the scripts
#                                still work (run by make test); its chaos
#                                soak (~30 s) also asserts what the full
#                                one asserts
#   bench/run.sh hit herd ...    only the named scenarios
#   PG_CONFIG=.../pg_config bench/run.sh hit
#                                against another PostgreSQL (15 is Debian
#                                12's server package; 17 and 18 are built
#                                by make test-versions, in the cache)
#
# CC_BENCH_HIT_SECONDS / CC_BENCH_HIT_WARMUP / CC_BENCH_ROUNDS shorten the
# hit scenario (and the scale scenario's hot-key row) for a quick check;
# CC_BENCH_INSTALLED=1 uses the extension already installed in the system
# PostgreSQL instead of building and installing this checkout.
# CC_BENCH_PERF=DIR records a whole-system perf profile of each full-speed
# run of the refetch scenario into DIR (perf report -i DIR/refetch-...).
#
# Every scenario runs its competitors side by side in one run, against one
# cluster, with pgbench and the prepared protocol.  Results:
# bench/results/<date>-<scenario>.md, .csv and .png; the latest figures are
# copied into bench/README.md.  See bench/README.md for how to read them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh
. bench/lib.sh
. bench/chaos.sh
. bench/app.sh
. bench/warm.sh

SMOKE=0
SCENARIOS=()
for arg in "$@"; do
	case "$arg" in
		--smoke) SMOKE=1 ;;
		hit|scale|herd|mixed|miss|differential|invalidation|memory|large|compression|passthrough|replicas|chaos|app|warm|refetch) SCENARIOS+=("$arg") ;;
		*) echo "usage: $0 [--smoke] [hit|scale|herd|mixed|miss|differential|invalidation|memory|large|compression|passthrough|replicas|chaos|app|warm|refetch ...]" >&2; exit 2 ;;
	esac
done
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(hit scale herd mixed miss differential invalidation memory large compression passthrough replicas chaos app warm refetch)

BENCH_DIR=${CC_BENCH_DIR:-/tmp/cascade_cache_bench}
BENCH_PORT=${CC_BENCH_PORT:-5491}
PGPOOL_PORT=${CC_PGPOOL_PORT:-5493}
BENCH_TMP=$(mktemp -d /tmp/cascade_cache_bench_tmp.XXXXXX)
chmod 755 "$BENCH_TMP"
DATE=$(date +%Y-%m-%d)

if [ $SMOKE = 1 ]; then
	SECS=${CC_BENCH_SECONDS:-1}
	HIT_SECS=$SECS
	HIT_WARMUP=0
	ROUNDS=1
	USERS=200
	CLIENTS_LIST="1 4"
	SCALE_SIZES="100 1000"
	RESULTS="$BENCH_TMP/results"
	MAX_MEMORY=256MB
else
	SECS=${CC_BENCH_SECONDS:-10}
	HIT_SECS=${CC_BENCH_HIT_SECONDS:-10}
	HIT_WARMUP=${CC_BENCH_HIT_WARMUP:-4}
	ROUNDS=${CC_BENCH_ROUNDS:-3}
	USERS=10000
	CLIENTS_LIST="1 8 32"
	SCALE_SIZES="1000 100000 1000000"
	RESULTS="$top/bench/results"
	MAX_MEMORY=4GB
fi
mkdir -p "$RESULTS"

cleanup() {
	chaos_cleanup || true
	app_cleanup || true
	standbys_stop || true
	pgpool_stop || true
	cluster_stop || true
	rm -rf "$BENCH_TMP"
}
trap cleanup EXIT

cc_ensure_packages

# The PostgreSQL to run: Debian 12's server package (15), or the one
# PG_CONFIG names (say, a build of make test-versions); the results of
# another version than 15 are named <date>-<scenario>-pg<major>.
SYSTEM_PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
BENCH_PG_CONFIG=${PG_CONFIG:-$SYSTEM_PG_CONFIG}
PGBIN=$("$BENCH_PG_CONFIG" --bindir)
PG_MAJOR=$("$BENCH_PG_CONFIG" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
RESULTS_SUFFIX=""
[ "$PG_MAJOR" = 15 ] || RESULTS_SUFFIX="-pg$PG_MAJOR"
if [ "${CC_BENCH_INSTALLED:-0}" = 1 ]; then
	cc_log "using the installed cascade_cache (CC_BENCH_INSTALLED=1: this checkout is not built)"
elif [ "$BENCH_PG_CONFIG" = "$SYSTEM_PG_CONFIG" ]; then
	cc_build_install
else
	# in a copy: the objects in the tree stay those of the system's 15
	cc_log "building cascade_cache for $("$BENCH_PG_CONFIG" --version) ($BENCH_PG_CONFIG)"
	cp -a "$top/." "$BENCH_TMP/build"
	make -C "$BENCH_TMP/build" -s clean PG_CONFIG="$BENCH_PG_CONFIG"
	make -C "$BENCH_TMP/build" -s -j"$(nproc)" PG_CONFIG="$BENCH_PG_CONFIG"
	cc_as_root make -C "$BENCH_TMP/build" -s install PG_CONFIG="$BENCH_PG_CONFIG" >/dev/null
fi

cc_log "starting the bench cluster in $BENCH_DIR (port $BENCH_PORT)"
cluster_start "shared_buffers = '512MB'
synchronous_commit = off
cascade_cache.max_memory = '$MAX_MEMORY'
cascade_cache.max_entry_size = '2MB'
cascade_cache.audit_max_rows = 100000
cascade_cache.trusted_functions = 'bench_slow, chaos_sleep'
max_prepared_transactions = 0"
cc_log "loading the demo schema ($USERS users, $((USERS * 10)) posts)"
bpsql -v users=$USERS < bench/schema.sql
bpsql -c "ALTER DATABASE postgres SET search_path = public, cascade_cache"

# ---------------------------------------------------------------------
# results: rows of "scenario|variant|clients|tps|p50|p99|notes"
# ---------------------------------------------------------------------
declare -A ROWS

record() {
	local scenario=$1 variant=$2 clients=$3 tps=$4 p50=$5 p99=$6 notes=${7:-}
	ROWS[$scenario]+="$variant|$clients|$tps|$p50|$p99|$notes"$'\n'
	printf '  %-34s %3s clients %10.0f tps  p50 %7.3f ms  p99 %8.3f ms  %s\n' \
		"$variant" "$clients" "$tps" "$p50" "$p99" "$notes"
}

# draw_chart ROWS_FILE PNG TITLE: throughput and p99 latency of every
# variant, grouped by client count: one cluster of bars per client count,
# one bar per variant (in the order the scenario ran them); the exact
# figures and ratios are in the .md next to it.  ROWS_FILE holds the scenario's rows (variant|clients|tps|p50|p99|notes).
draw_chart() {
	local rows=$1 png=$2 title=$3 dat nv
	dat="$BENCH_TMP/chart.$$.dat"
	awk -F'|' 'NF >= 5 {
			v = $1; c = $2
			if (!(v in vi)) { vi[v] = ++nv; vn[nv] = v }
			if (!(c in ci)) { ci[c] = ++nc; cn[nc] = c }
			tps[c, v] = $3; p99[c, v] = $5
		}
		END {
			printf "clients"
			for (j = 1; j <= nv; j++) printf "\t\"%s\"", vn[j]
			for (j = 1; j <= nv; j++) printf "\t\"%s\"", vn[j]
			printf "\n"
			for (i = 1; i <= nc; i++) {
				printf "\"%s client%s\"", cn[i], cn[i] == 1 ? "" : "s"
				for (j = 1; j <= nv; j++) printf "\t%s", ((cn[i], vn[j]) in tps) ? tps[cn[i], vn[j]] : "-"
				for (j = 1; j <= nv; j++) printf "\t%s", ((cn[i], vn[j]) in p99) ? p99[cn[i], vn[j]] : "-"
				printf "\n"
			}
		}' "$rows" > "$dat"
	nv=$(head -1 "$dat" | awk -F'\t' '{ print (NF - 1) / 2 }')
	if [ "${nv:-0}" -ge 1 ]; then
		gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 1400,900 noenhanced font ",9"
set output "$png"
set datafile separator "\t"
set datafile missing "-"
set multiplot layout 2,1 title "cascade_cache: $title"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set linetype 1 lc rgb "#1f77b4"
set linetype 2 lc rgb "#ff7f0e"
set linetype 3 lc rgb "#2ca02c"
set linetype 4 lc rgb "#d62728"
set linetype 5 lc rgb "#9467bd"
set linetype 6 lc rgb "#8c564b"
set linetype 7 lc rgb "#e377c2"
set linetype 8 lc rgb "#7f7f7f"
set linetype 9 lc rgb "#bcbd22"
set linetype 10 lc rgb "#17becf"
set linetype 11 lc rgb "#393b79"
set linetype 12 lc rgb "#ad494a"
set linetype cycle 12
set key outside right top vertical
set grid ytics
set yrange [0:*]
set ylabel "transactions/s"
plot for [i=2:$((nv + 1))] "$dat" using i:xtic(1) title columnheader(i)
set ylabel "p99 latency (ms)"
plot for [i=$((nv + 2)):$((2 * nv + 1))] "$dat" using i:xtic(1) title columnheader(i)
unset multiplot
GP
	fi
	rm -f "$dat"
}

# write_results SCENARIO TITLE SUMMARY: .csv, .md and .png (RESULTS_METHOD
# replaces "N s per run, pgbench -M prepared" in the header line)
write_results() {
	local scenario=$1 title=$2 summary=$3
	local base="$RESULTS/$DATE-$scenario$RESULTS_SUFFIX"
	{
		echo "variant,clients,tps,p50_ms,p99_ms,notes"
		printf '%s' "${ROWS[$scenario]:-}" | awk -F'|' 'NF { printf "\"%s\",%s,%s,%s,%s,\"%s\"\n", $1, $2, $3, $4, $5, $6 }'
	} > "$base.csv"
	{
		echo "## $title"
		echo
		echo "$DATE, $(nproc) cores, PostgreSQL $(bval 'SHOW server_version'), ${RESULTS_METHOD:-${SECS}s per run, pgbench -M prepared}."
		echo
		echo "| variant | clients | tps | p50 ms | p99 ms | notes |"
		echo "|---|---:|---:|---:|---:|---|"
		printf '%s' "${ROWS[$scenario]:-}" | awk -F'|' 'NF { printf "| %s | %s | %.0f | %.3f | %.3f | %s |\n", $1, $2, $3, $4, $5, $6 }'
		echo
		printf '%s\n' "$summary"
	} > "$base.md"
	# (a scenario that draws a chart of its own sets RESULTS_CUSTOM_CHART)
	if [ -z "${RESULTS_CUSTOM_CHART:-}" ] && command -v gnuplot >/dev/null && [ -n "${ROWS[$scenario]:-}" ]; then
		printf '%s' "${ROWS[$scenario]}" > "$BENCH_TMP/$scenario.rows"
		draw_chart "$BENCH_TMP/$scenario.rows" "$base.png" "$title ($DATE)"
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# median_run: of lines "tps p50 p99 n failed" on stdin, the one with the
# median tps
median_run() {
	sort -n -k1,1 | awk 'NF { a[++n] = $0 } END { print a[int((n + 1) / 2)] }'
}

# the tps of VARIANT at CLIENTS among a scenario's rows on stdin
row_tps() {
	awk -F'|' -v v="$1" -v c="$2" '$1 == v && $2 == c {print $3}'
}

# at_least RATIO TARGET: "met" or "missed" (n/a counts as missed)
at_least() {
	awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r + 0 >= t + 0) ? "met" : "missed" }'
}

# sql_json_literal: the JSON text on stdin as an SQL string literal of
# exactly those bytes, for a pgbench script.  Quotes are doubled; pgbench
# takes ":name" for a variable even inside quotes, so if the text holds a
# colon followed by a letter, an underscore or a non-ASCII byte, the literal
# becomes an E'' string (backslashes doubled) with those colons as \x3a.
sql_json_literal() {
	perl -0777 -ne 's/\n\z//;
		if (/:[A-Za-z_\x80-\xff]/) {
			s/\\/\\\\/g; s/\x27/\x27\x27/g; s/:(?=[A-Za-z_\x80-\xff])/\\x3a/g;
			print "E\x27$_\x27";
		} else {
			s/\x27/\x27\x27/g;
			print "\x27$_\x27";
		}'
}

# The id of the user whose document (as cached_query's text) is closest to
# the average length; fills the cache for every user.
average_doc_id() {
	bval "WITH d AS (SELECT g AS id, octet_length(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))::text) AS len FROM generate_series(1, $USERS) g) SELECT id FROM d ORDER BY abs(len - (SELECT avg(len) FROM d)), id LIMIT 1"
}

# ---------------------------------------------------------------------
# 1. the hit path
# ---------------------------------------------------------------------
scenario_hit() {
	cc_log "scenario hit: a cached user document against the alternatives"
	local s_one s_tv s_view s_cached s_const s_json s_json_one s_json_args s_floor doc_size has_json has_args has_floor doc_id doc_bytes lit same
	local q="'SELECT data FROM v_user WHERE id = \$1'"
	doc_size=$(bval "SELECT round(avg(pg_column_size(data))) FROM (SELECT data FROM v_user WHERE id <= 100) s")
	# The floor: a C function with cached_query_json's signature that
	# returns a copy of its first argument (bench/floor/json_floor.c), here
	# the json constant's document: the call and the copy of a hit, without
	# the key and the lookup.  Built for the bench cluster only, and created
	# before the entries are filled: a new function flushes the database.
	has_floor=f
	rm -rf "$BENCH_TMP/floor"
	cp -r bench/floor "$BENCH_TMP/floor"
	if make -C "$BENCH_TMP/floor" -s PG_CONFIG="$BENCH_PG_CONFIG" >/dev/null 2>&1 &&
		cc_as_root make -C "$BENCH_TMP/floor" -s install PG_CONFIG="$BENCH_PG_CONFIG" >/dev/null 2>&1 &&
		bval "CREATE OR REPLACE FUNCTION public.json_floor(doc text, params jsonb DEFAULT '[]', ttl interval DEFAULT NULL, name text DEFAULT NULL) RETURNS json AS '\$libdir/json_floor', 'json_floor' LANGUAGE C VOLATILE PARALLEL UNSAFE" >/dev/null; then
		has_floor=t
	else
		cc_log "  bench/floor did not build: its variant is skipped"
		echo "hit: bench/floor/json_floor.c did not build or load" >> "$BENCH_TMP/problems"
	fi
	bval "SELECT count(cascade_cache.cached_query($q, jsonb_build_array(g))) FROM generate_series(1, $USERS) g" >/dev/null
	# cached_query_json is newer than the rest: where the installed extension
	# does not have it, its variant is skipped and its ratios say so (a
	# skipped variant meets no target)
	has_json=$(bval "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'cached_query_json' AND pronamespace = 'cascade_cache'::regnamespace")
	if [ "$has_json" = t ]; then
		bval "SELECT count(cascade_cache.cached_query_json($q, jsonb_build_array(g))) FROM generate_series(1, $USERS) g" >/dev/null
	else
		cc_log "  cached_query_json not installed: its variant is skipped"
	fi
	# the _args form (native parameters, no jsonb_build_array) is newer still
	has_args=$(bval "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'cached_query_json_args' AND pronamespace = 'cascade_cache'::regnamespace")
	if [ "$has_args" = t ]; then
		bval "SELECT count(cascade_cache.cached_query_json_args($q, g)) FROM generate_series(1, $USERS) g" >/dev/null
	fi
	# The json constant: the text of the cached document of average length,
	# as a literal of the same bytes (checked below through the server).
	doc_id=$(average_doc_id)
	lit=$(bval "SELECT cascade_cache.cached_query($q, jsonb_build_array($doc_id))::text" | sql_json_literal)
	printf 'SELECT %s::json::text = cascade_cache.cached_query(%s, jsonb_build_array(%s))::text, octet_length(%s);\n' \
		"$lit" "$q" "$doc_id" "$lit" > "$BENCH_TMP/json_const_check.sql"
	chmod 644 "$BENCH_TMP/json_const_check.sql"
	read -r same doc_bytes <<<"$(bpsql -At -F ' ' -f "$BENCH_TMP/json_const_check.sql")"
	[ "$same" = t ] || echo "hit: the json constant is not the bytes of user $doc_id's cached document" >> "$BENCH_TMP/problems"
	s_one=$(script_file one "SELECT 1;")
	s_tv=$(script_file tv "\\set id random(1, $USERS)
SELECT data FROM tv_user WHERE id = :id;")
	s_view=$(script_file view "\\set id random(1, $USERS)
SELECT data FROM v_user WHERE id = :id;")
	s_cached=$(script_file cached "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query($q, jsonb_build_array(:id::int));")
	s_const=$(script_file json_const "\\set id random(1, $USERS)
SELECT $lit::json;")
	s_json=$(script_file cached_json "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query_json($q, jsonb_build_array(:id::int));")
	s_json_args=$(script_file cached_json_args "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query_json_args($q, :id::int);")
	# the same call for the json constant's own document only: the same
	# bytes as the constant, as hot in the CPU caches as the constant is
	s_json_one=$(script_file cached_json_one "\\set id $doc_id
SELECT cascade_cache.cached_query_json($q, jsonb_build_array(:id::int));")
	s_floor=$(script_file json_floor "\\set id $doc_id
SELECT public.json_floor($lit, jsonb_build_array(:id::int));")

	pgpool_start || echo "pgpool-II did not start" >> "$BENCH_TMP/problems"
	# Each variant runs ROUNDS times, the variants taking turns, and the
	# median run is recorded: on a shared 2-core machine one run of a few
	# seconds varies by 10-15%, which is as much as the differences measured.
	local round variant port script label mb0 mb1
	local variants="one tv view cached json_const json_floor cached_json json_one json_args pool_view pool_tv"
	local -A runs
	# every call of the cached variants is a hit: the entries were filled
	# above, and nothing invalidates them while the variants run
	mb0=$(bval "SELECT misses || ' ' || bypasses FROM cascade_cache.cache_stats()")
	for c in $CLIENTS_LIST; do
		runs=()
		for round in $(seq 1 "$ROUNDS"); do
			for variant in $variants; do
				case $variant in
					one) port=$BENCH_PORT script=$s_one ;;
					tv) port=$BENCH_PORT script=$s_tv ;;
					view) port=$BENCH_PORT script=$s_view ;;
					cached) port=$BENCH_PORT script=$s_cached ;;
					json_const) port=$BENCH_PORT script=$s_const ;;
					json_floor) port=$BENCH_PORT script=$s_floor ;;
					cached_json) port=$BENCH_PORT script=$s_json ;;
					json_one) port=$BENCH_PORT script=$s_json_one ;;
					json_args) port=$BENCH_PORT script=$s_json_args ;;
					pool_view) port=$PGPOOL_PORT script=$s_view ;;
					pool_tv) port=$PGPOOL_PORT script=$s_tv ;;
				esac
				if [ "${variant#pool_}" != "$variant" ] && [ ! -f "$BENCH_DIR/pgpool/pgpool.pid" ]; then
					continue
				fi
				case $variant in cached_json | json_one) [ "$has_json" = t ] || continue ;; esac
				[ $variant != json_args ] || [ "$has_args" = t ] || continue
				[ $variant != json_floor ] || [ "$has_floor" = t ] || continue
				runs[$variant]+="$(PGB_WARMUP=$HIT_WARMUP pgb "$port" "$c" "$HIT_SECS" "$script")"$'\n'
			done
		done
		for variant in $variants; do
			[ -n "${runs[$variant]:-}" ] || continue
			read -r tps p50 p99 n f <<<"$(printf '%s' "${runs[$variant]}" | median_run)"
			case $variant in
				one) label="SELECT 1" ;;
				tv) label="tv_user by primary key" ;;
				view) label="v_user uncached" ;;
				cached) label="cached_query hit" ;;
				json_const) label="json constant" ;;
				json_floor) label="C function floor" ;;
				cached_json) label="cached_query_json hit" ;;
				json_one) label="cached_query_json hit, one document" ;;
				json_args) label="cached_query_json_args hit" ;;
				pool_view) label="pgpool cache, v_user" ;;
				pool_tv) label="pgpool cache, tv_user" ;;
			esac
			if [ "${variant#pool_}" != "$variant" ]; then
				record hit "$label" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS; pgpool cache: $(pgpool_cache | awk '{print $1 " hits, " $2 " entries"}')"
			elif [ $variant = json_one ]; then
				record hit "$label" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS; every call reads user $doc_id's document, the json constant's bytes"
			elif [ $variant = json_floor ]; then
				record hit "$label" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS; bench/floor/json_floor.c: a C function with cached_query_json's signature returning a copy of the constant's document"
			elif [ $variant = json_const ]; then
				record hit "$label" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS; SELECT '<user $doc_id's cached document, $doc_bytes bytes>'::json"
			else
				record hit "$label" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS"
			fi
		done
	done
	pgpool_stop
	mb1=$(bval "SELECT misses || ' ' || bypasses FROM cascade_cache.cache_stats()")
	[ "$mb1" = "$mb0" ] ||
		echo "hit: calls of the cached variants that were not hits (misses and bypasses before: $mb0, after: $mb1)" >> "$BENCH_TMP/problems"

	# ratios at every client count; the cached_query_json targets
	local rows="${ROWS[hit]}" summary="" cached tv view pool_tv const json one args floor r_const r_one r_tv r_args r_floor r_above
	local skipped="skipped: cached_query_json not installed"
	local v_const="" v_one="" v_tv="not measured (no 8-client run)"
	for c in $CLIENTS_LIST; do
		cached=$(printf '%s' "$rows" | row_tps "cached_query hit" "$c")
		tv=$(printf '%s' "$rows" | row_tps "tv_user by primary key" "$c")
		view=$(printf '%s' "$rows" | row_tps "v_user uncached" "$c")
		pool_tv=$(printf '%s' "$rows" | row_tps "pgpool cache, tv_user" "$c")
		const=$(printf '%s' "$rows" | row_tps "json constant" "$c")
		if [ "$has_json" = t ]; then
			json=$(printf '%s' "$rows" | row_tps "cached_query_json hit" "$c")
			one=$(printf '%s' "$rows" | row_tps "cached_query_json hit, one document" "$c")
			r_const="$(ratio "$json" "$const")×" r_one="$(ratio "$one" "$const")×" r_tv="$(ratio "$json" "$tv")×"
			[ "$(at_least "${r_const%×}" 0.9)" = met ] || v_const+="${v_const:+, }missed at $c clients ($r_const)"
			[ "$(at_least "${r_one%×}" 0.9)" = met ] || v_one+="${v_one:+, }missed at $c clients ($r_one)"
			[ "$c" = 8 ] && v_tv="**$(at_least "${r_tv%×}" 1.5)** ($r_tv)"
		else
			r_const=$skipped r_one=$skipped r_tv=$skipped
		fi
		r_args="skipped: cached_query_json_args not installed"
		if [ "$has_args" = t ]; then
			args=$(printf '%s' "$rows" | row_tps "cached_query_json_args hit" "$c")
			r_args="$(ratio "$args" "$tv")×"
		fi
		r_floor="skipped: bench/floor not built" r_above=$r_floor
		if [ "$has_floor" = t ]; then
			floor=$(printf '%s' "$rows" | row_tps "C function floor" "$c")
			r_floor="$(ratio "$floor" "$const")×"
			[ "$has_json" = t ] && r_above="$(ratio "$one" "$floor")×"
		fi
		summary+="| $c | $(ratio "$cached" "$tv")× | $(ratio "$cached" "$view")× | $(ratio "$cached" "${pool_tv:-0}")× | $r_one | $r_const | $r_tv | $r_args | $(ratio "$const" "$tv")× | $r_floor | $r_above |"$'\n'
	done
	if [ "$has_json" != t ]; then
		v_const="**not met: not measured** ($skipped)" v_one=$v_const v_tv=$v_const
	else
		if [ -z "$v_const" ]; then v_const="**met** at every client count"; else v_const="**missed**: $v_const"; fi
		if [ -z "$v_one" ]; then v_one="**met** at every client count"; else v_one="**missed**: $v_one"; fi
	fi
	if [ "$same" != t ]; then
		v_const+="; the json constant was NOT the same bytes as the cached document (see the run's problems)"
	fi
	write_results hit "Hit path: the ${doc_size}-byte user document" \
"Throughput of a cached_query hit divided by each alternative's (targets: ≥ 1.0× the
tv_user lookup, ≥ 2× the uncached view, ≥ 2× pgpool's cache), and of a cached_query_json
hit divided by the json constant's (target: ≥ 0.90× at 1, 8 and 32 clients) and by the
tv_user lookup's (target: ≥ 1.5× at 8 clients):

| clients | cached_query / tv_user lookup | cached_query / uncached v_user | cached_query / pgpool cache (tv_user) | cached_query_json, the constant's document / json constant | cached_query_json, 10,000 documents / json constant | cached_query_json / tv_user lookup | cached_query_json_args (native id) / tv_user lookup | json constant / tv_user lookup | C function floor / json constant | cached_query_json, the constant's document / C function floor |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${summary}
cached_query_json ≥ 0.90× the json constant, serving the constant's own document: ${v_one};
serving random users' documents: ${v_const}. cached_query_json ≥ 1.5× the
tv_user lookup at 8 clients (both over random users): ${v_tv}.

The json constant is \`SELECT '<document>'::json\` with the text of one cached document
(user $doc_id's, the one closest to the average length: $doc_bytes bytes), byte for byte
\`cached_query(...)::text\`: the floor for serving stored JSON text. The cached_query and
cached_query_json variants read random users' documents (\`cached_query_json\` entries
are filled for every user first); \"cached_query_json hit, one document\" makes the same
call for the constant's own document only, so that it serves the same bytes, as hot in the
CPU caches as the constant's (the like-for-like comparison: random users' documents, 45 MB
of them, come from main memory, see the profiling notes). \"cached_query_json_args hit\"
is the same read of random users through the _args form, the id bound as an integer (no
jsonb_build_array in the statement, a 4-byte value to hash for the key). The \"C function
floor\" (bench/floor/json_floor.c, built into the bench cluster only) is a C function with
cached_query_json's signature, called as the one-document variant calls it, that returns
a copy of its first argument, the constant's document: the executor's call of a C
function with four arguments, the parameter array and the copy of a hit, without the key
and the lookup. No C function of that signature can serve faster than it; what the json
constant does better than it is the cost of any function call, what it does better than a
hit is the cache's own.
Each figure is the median of $ROUNDS runs of ${HIT_SECS}s, the variants taking turns; every
run opens new connections, and only its last $((HIT_SECS - HIT_WARMUP))s are counted (the steady
state of an application's pooled connections: each new backend first pays for touching
the cached documents, see the profiling notes).
pgpool-II 4.3 does not cache queries over views (its documentation says so; the
pgpool cache counters in the notes are shared by both pgpool rows), so its v_user row is a
pass-through. At 32 clients the two
cores are oversubscribed (pgbench runs on them too)."
}

# ---------------------------------------------------------------------
# 2. scale: hit latency with 1k .. 1M entries; one hot key against many
# ---------------------------------------------------------------------
scenario_scale() {
	cc_log "scenario scale: hits with a growing number of entries"
	local s n first last filled
	local q="'SELECT \$1::int AS n, ''payload of about one hundred bytes for the scale scenario'' AS pad'"
	filled=0
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	for n in $SCALE_SIZES; do
		bval "SELECT count(cascade_cache.cached_query($q, jsonb_build_array(g))) FROM generate_series($((filled + 1)), $n) g" >/dev/null
		filled=$n
		s=$(script_file "scale_$n" "\\set i random(1, $n)
SELECT cascade_cache.cached_query($q, jsonb_build_array(:i::int));")
		read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s")"
		record scale "$n entries" 8 "$tps" "$p50" "$p99" "entries now: $(bval 'SELECT entries FROM cascade_cache.cache_stats()')"
	done
	first=$(printf '%s' "${ROWS[scale]}" | awk -F'|' '$1 ~ / entries$/ {print $4; exit}')
	last=$(printf '%s' "${ROWS[scale]}" | awk -F'|' '$1 ~ / entries$/ {v = $4} END {print v}')

	# 32 clients on one hot key against 32 clients spread over 10,000 keys,
	# in a cache of those 10,000 entries: concurrent hits of one entry must
	# not contend on it.  Same scripts but for the key's range; the two take
	# turns, ROUNDS runs each, median recorded, counted like the hit scenario.
	local keys=10000 round variant hot spread
	local -A runs=()
	cc_log "  32 clients: one hot key against $keys keys"
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	bval "SELECT count(cascade_cache.cached_query($q, jsonb_build_array(g))) FROM generate_series(1, $keys) g" >/dev/null
	local s_hot s_spread
	s_hot=$(script_file scale_hot "\\set i random(1, 1)
SELECT cascade_cache.cached_query($q, jsonb_build_array(:i::int));")
	s_spread=$(script_file scale_spread "\\set i random(1, $keys)
SELECT cascade_cache.cached_query($q, jsonb_build_array(:i::int));")
	for round in $(seq 1 "$ROUNDS"); do
		runs[hot]+="$(PGB_WARMUP=$HIT_WARMUP pgb $BENCH_PORT 32 "$HIT_SECS" "$s_hot")"$'\n'
		runs[spread]+="$(PGB_WARMUP=$HIT_WARMUP pgb $BENCH_PORT 32 "$HIT_SECS" "$s_spread")"$'\n'
	done
	read -r hot p50 p99 cnt f <<<"$(printf '%s' "${runs[hot]}" | median_run)"
	record scale "one hot key (of $keys entries)" 32 "$hot" "$p50" "$p99" "median of $ROUNDS; every client hits key 1"
	read -r spread p50 p99 cnt f <<<"$(printf '%s' "${runs[spread]}" | median_run)"
	record scale "$keys keys (of $keys entries)" 32 "$spread" "$p50" "$p99" "median of $ROUNDS; keys random in 1..$keys"
	local r_hot
	r_hot=$(ratio "$hot" "$spread")
	write_results scale "Scale: hit latency from $(echo $SCALE_SIZES | awk '{print $1}') to $(echo $SCALE_SIZES | awk '{print $NF}') entries; one hot key against $keys" \
"p50 latency, largest cache / smallest cache: **$(ratio "$last" "$first")×** [within 1.10×]

Throughput with 32 clients all hitting one hot key / 32 clients spread over $keys keys:
**${r_hot}×** [within 10%: ≥ 0.90×; **$(at_least "$r_hot" 0.9)**]. The two rows run in a cache
of just those $keys entries, taking turns, median of $ROUNDS runs of ${HIT_SECS}s counting the
last $((HIT_SECS - HIT_WARMUP))s. A hot key slower than spread keys means the hits of one
entry contend (a shared write per hit bounces the entry's cache line between cores); a
hot key faster than spread keys is the CPU caches favouring one entry, not a miss."
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
}

# ---------------------------------------------------------------------
# 3. thundering herd
# ---------------------------------------------------------------------
scenario_herd() {
	cc_log "scenario herd: 64 clients miss at once on a 200 ms query"
	bpsql -c "CREATE OR REPLACE FUNCTION bench_slow(i int) RETURNS int LANGUAGE plpgsql STABLE AS \$\$ BEGIN PERFORM pg_sleep(0.2); RETURN i; END \$\$"
	bpsql -c "CREATE TABLE IF NOT EXISTS herd_times (run text, elapsed float8)"
	local mode key=0 s calls wall holder_pid
	for mode in on off; do
		key=$((key + 1))
		bpsql -c "SELECT cascade_cache.cache_flush(), pg_stat_reset()" >/dev/null
		s=$(script_file "herd_$mode" "SET cascade_cache.enabled = off;
SELECT cascade_cache.cached_query('SELECT 1 AS warm_up');
RESET cascade_cache.enabled;
SET cascade_cache.coalesce = $mode;
SELECT pg_advisory_lock_shared(4711);
SELECT pg_advisory_unlock_shared(4711);
SELECT extract(epoch FROM clock_timestamp()) AS t0,
       cascade_cache.cached_query('SELECT bench_slow(\$1) AS v', jsonb_build_array($key)) AS r,
       extract(epoch FROM clock_timestamp()) AS t1 \\gset
INSERT INTO herd_times VALUES ('$mode', :t1 - :t0);")
		# hold the barrier, let 64 clients queue behind it, release
		cc_as_server_user "$PGBIN/psql" -X -q -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -d postgres \
			-c "SELECT pg_advisory_lock(4711)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
		sleep 0.5
		(cd "$BENCH_TMP" && "$PGBIN/pgbench" -h 127.0.0.1 -p "$BENCH_PORT" -U postgres -n -c 64 -j 2 -t 1 -f "$s" postgres >"$BENCH_TMP/herd_$mode.out" 2>&1) &
		local pgb_pid=$!
		for _ in $(seq 1 100); do
			[ "$(bval "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4711 AND NOT granted")" -ge 64 ] && break
			sleep 0.1
		done
		holder_pid=$(bval "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'")
		bval "SELECT pg_terminate_backend($holder_pid)" >/dev/null
		wait $pgb_pid || true
		grep -q 'processed: 64/64' "$BENCH_TMP/herd_$mode.out" ||
			echo "herd ($mode): $(grep -m1 'processed\|error' "$BENCH_TMP/herd_$mode.out")" >> "$BENCH_TMP/problems"
		sleep 1
		calls=$(bval "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'bench_slow'")
		wall=$(bval "SELECT round(max(elapsed)::numeric * 1000, 1) FROM herd_times WHERE run = '$mode'")
		record herd "coalesce $mode" 64 0 "$(bval "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed)::numeric * 1000, 3) FROM herd_times WHERE run = '$mode'")" "$wall" "executions: $calls"
	done
	write_results herd "Thundering herd: 64 simultaneous misses on a 200 ms query" \
"Executions of the query, and the latency of the 64 calls (p99 column = the slowest). Target: a herd costs 1 execution."
}

# ---------------------------------------------------------------------
# 4. mixed 80/20 reads and mutations, with the stale-read checker
# ---------------------------------------------------------------------
# The mixed workload's pgbench scripts (also run by the chaos soak):
# M_READ, M_CREATE, M_UPDATE, M_DELETE, M_CHECK (the stale-read checker)
# and M_BUMP (which bumps the versions it checks).
mixed_scripts() {
	M_READ=$(script_file m_read "\\set id random_exponential(1, $USERS, 8)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:id::int));")
	M_CREATE=$(script_file m_create "\\set a random(1, $USERS)
SELECT create_post(:a, 'bench post', 'written by the mixed benchmark');")
	M_UPDATE=$(script_file m_update "\\set a random(1, $USERS)
SELECT update_user(:a, 'renamed at ' || clock_timestamp());")
	M_DELETE=$(script_file m_delete "\\set p random(1, $((USERS * 10)))
SELECT delete_post(:p);")
	M_CHECK=$(script_file m_check "\\set v random(1, 100)
SELECT check_version(:v);")
	M_BUMP=$(script_file m_bump "\\set v random(1, 100)
SELECT bump_version(:v);")
}

scenario_mixed() {
	cc_log "scenario mixed: 80% reads, 20% mutations, precise and relation-level invalidation"
	local read create update delete checker bumper rates r mode before after hits misses stale
	local same changed precision
	mixed_scripts
	read=$M_READ create=$M_CREATE update=$M_UPDATE delete=$M_DELETE checker=$M_CHECK bumper=$M_BUMP
	bpsql -c "SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post'), cascade_cache.cascade_watch('bench_version', 'Version')" >/dev/null
	if [ $SMOKE = 1 ]; then rates="200 max"; else rates="2000 5000 10000 max"; fi
	for r in $rates; do
		for mode in precise relation; do
			local ropt=()
			[ "$r" != max ] && ropt=(-R "$r")
			if [ $mode = precise ]; then
				bpsql -c "ALTER DATABASE postgres RESET cascade_cache.precise_invalidation" >/dev/null
			else
				bpsql -c "ALTER DATABASE postgres SET cascade_cache.precise_invalidation = off" >/dev/null
			fi
			# a warm cache: every document and version cached, as in steady state
			bval "SELECT cascade_cache.cache_flush()" >/dev/null
			bval "SELECT count(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, $USERS) g" >/dev/null
			bval "SELECT count(cascade_cache.cached_query('SELECT v FROM bench_version WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, 100) g" >/dev/null
			before=$(bval "SELECT hits || ' ' || misses || ' ' || refills_unchanged || ' ' || refills_changed FROM cascade_cache.cache_stats()")
			read -r tps p50 p99 n f <<<"$(PGB_KEEP_OUTPUT="$BENCH_TMP/mixed_$r.out" pgb $BENCH_PORT 16 "$SECS" "$read@70" -f "$checker@10" -f "$create@8" -f "$update@6" -f "$delete@4" -f "$bumper@2" "${ropt[@]}")"
			after=$(bval "SELECT hits || ' ' || misses || ' ' || refills_unchanged || ' ' || refills_changed FROM cascade_cache.cache_stats()")
			read -r h0 m0 u0 c0 <<<"$before"
			read -r h1 m1 u1 c1 <<<"$after"
			hits=$((h1 - h0)) misses=$((m1 - m0)) same=$((u1 - u0)) changed=$((c1 - c0))
			precision=$(awk -v s=$same -v c=$changed 'BEGIN { if (s + c) printf "%.0f%%", 100 * c / (s + c); else print "n/a" }')
			stale=$(grep -c 'stale read' "$BENCH_TMP/mixed_$r.out" || true)
			record mixed "$mode, rate $r" 16 "$tps" "$p50" "$p99" "hit rate $(awk -v h=$hits -v m=$misses 'BEGIN { if (h + m) printf "%.1f%%", 100 * h / (h + m); else print "n/a" }'), invalidations that changed the result: $precision ($changed of $((same + changed)) refilled), stale reads: $stale, other failures: $((f - stale))"
		done
	done
	bpsql -c "ALTER DATABASE postgres RESET cascade_cache.precise_invalidation" >/dev/null
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user'), cascade_cache.cascade_unwatch('tb_post'), cascade_cache.cascade_unwatch('bench_version')" >/dev/null
	local rows="${ROWS[mixed]}" tp tr hp
	tp=$(printf '%s' "$rows" | awk -F'|' '$1 == "precise, rate max" {print $3}')
	tr=$(printf '%s' "$rows" | awk -F'|' '$1 == "relation, rate max" {print $3}')
	hp=$(printf '%s' "$rows" | awk -F'|' '$1 == "precise, rate max" {print $6}' | sed -n 's/^hit rate \([0-9.]*\)%.*/\1/p')
	write_results mixed "Mixed workload: 80% cached reads, 20% mutations (create_post, update_user, delete_post)" \
"Readers read v_user documents (exponentially skewed ids) through cached_query; 10% of the
transactions are the stale-read checker, which reads a version directly and then through
cached_query and fails if the cached one is older; writers bump those versions. A stale
read aborts a pgbench client, so the count must be 0 [target: 0].

Each rate runs twice on the same cluster, from a warm cache (every document cached), with
the three tables watched: with precise
invalidation (the default: a mutation invalidates the documents that looked up the rows it
changed) and with cascade_cache.precise_invalidation = off (relation level: every mutation
invalidates every document). \"Invalidations that changed the result\" is the share of
invalidated entries whose next fill produced a different result (cache_stats()
invalidation_precision_pct).

At maximum rate: precise hit rate **${hp:-n/a}%** [≥ 85%, aim 95%]; throughput precise /
relation level: **$(ratio "${tp:-0}" "${tr:-0}")×** [≥ 3×]."
}

# ---------------------------------------------------------------------
# 4a. the cost of recording lookups on a miss
# ---------------------------------------------------------------------
scenario_miss() {
	cc_log "scenario miss: the cost of precise invalidation's bookkeeping on a miss"
	local s mode tps_precise tps_relation tps_text
	# a random second parameter makes every call a new key: every call misses
	s=$(script_file miss "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1 AND \$2::float8 >= 0', jsonb_build_array(:id::int, random()));")
	bpsql -c "SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post')" >/dev/null
	for mode in precise relation; do
		if [ $mode = precise ]; then
			bpsql -c "ALTER DATABASE postgres RESET cascade_cache.precise_invalidation" >/dev/null
		else
			bpsql -c "ALTER DATABASE postgres SET cascade_cache.precise_invalidation = off" >/dev/null
		fi
		bval "SELECT cascade_cache.cache_flush(), cascade_cache.cache_stats_reset()" >/dev/null
		read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s")"
		record miss "misses, $mode" 8 "$tps" "$p50" "$p99" "$(bval "SELECT misses || ' misses, ' || hits || ' hits' FROM cascade_cache.cache_stats()")"
		[ $mode = precise ] && tps_precise=$tps || tps_relation=$tps
	done
	bpsql -c "ALTER DATABASE postgres RESET cascade_cache.precise_invalidation" >/dev/null
	# the same misses, each of a statement text the session has not filled
	# before: no kept plan, every fill parses, analyzes and plans afresh
	s=$(script_file miss_text "\\set id random(1, $USERS)
\\set r random(1, 1000000000)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1 AND \$2::float8 > -' || :r, jsonb_build_array(:id::int, random()));")
	bval "SELECT cascade_cache.cache_flush(), cascade_cache.cache_stats_reset()" >/dev/null
	read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s")"
	record miss "misses, a new text every call" 8 "$tps" "$p50" "$p99" "$(bval "SELECT misses || ' misses, ' || hits || ' hits' FROM cascade_cache.cache_stats()")"
	tps_text=$tps
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user'), cascade_cache.cascade_unwatch('tb_post')" >/dev/null
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	write_results miss "Miss cost of precise invalidation" \
"Every call is a miss (a random parameter makes each key new) on the v_user document, whose fill
looks up tb_user by id and tb_post by author_id; with precise invalidation the fill records
those lookups. Throughput precise / relation level: **$(ratio "${tps_precise:-0}" "${tps_relation:-0}")×**
[bookkeeping ≤ 10% of a miss: ≥ 0.90×]. The last row misses with a statement text the session
has never filled (a random constant in it), so that no fill runs from a kept plan: misses of one
statement run **$(ratio "${tps_precise:-0}" "${tps_text:-0}")×** as fast (precise, both) [no target]."
}

# ---------------------------------------------------------------------
# 4b. the randomized differential test of invalidation
# ---------------------------------------------------------------------
scenario_differential() {
	local ops out
	if [ $SMOKE = 1 ]; then ops=300; else ops=${CC_DIFF_OPS:-100000}; fi
	cc_log "scenario differential: $ops random operations, every entry checked after every commit"
	out="$BENCH_TMP/differential.out"
	if perl test/differential.pl --host 127.0.0.1 --port "$BENCH_PORT" --user postgres \
		--ops "$ops" ${CC_DIFF_SEED:+--seed "$CC_DIFF_SEED"} > "$out" 2>&1; then
		record differential "$ops operations" 5 0 0 0 "$(tail -1 "$out" | sed 's/^differential: //')"
	else
		cat "$out" >&2
		echo "differential: $(grep -m1 'STALE\|seed' "$out")" >> "$BENCH_TMP/problems"
		record differential "$ops operations" 5 0 0 0 "FAILED: $(grep -m1 'STALE' "$out")"
	fi
	bpsql -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS diff CASCADE" >/dev/null
	write_results differential "Randomized differential test of invalidation" \
"Readers fill entries from 13 query shapes over three watched tables with foreign keys while
three writer sessions run random transactions; after every commit every cached entry is
compared with a fresh execution (test/differential.pl). Target: 0 differences. The notes
column holds the seed, which replays the run."
}

# ---------------------------------------------------------------------
# 5. invalidation cost
# ---------------------------------------------------------------------
scenario_invalidation() {
	cc_log "scenario invalidation: the cost of invalidating, and of committing a write"
	local n k base
	if [ $SMOKE = 1 ]; then n=2000; else n=1000000; fi
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	cc_log "  filling $n entries tagged Single:i, Ten:i/10, Thousand:i/1000"
	bval "SELECT count(cascade_cache.cached_query('SELECT jsonb_build_array(jsonb_build_object(''__typename'', ''Single'', ''id'', \$1::int), jsonb_build_object(''__typename'', ''Ten'', ''id'', \$1::int / 10), jsonb_build_object(''__typename'', ''Thousand'', ''id'', \$1::int / 1000)) AS tags', jsonb_build_array(g))) FROM generate_series(1, $n) g" >/dev/null
	bval "TRUNCATE cascade_cache.audit_log" >/dev/null
	for k in Single Ten Thousand; do
		# one session (as an application's pooled connection would be), one
		# transaction per invalidation; the first one warms the session up
		# and is not counted
		for i in $(seq 0 20); do
			echo "SELECT cascade_cache.cascade_invalidate('{\"updated\": [{\"__typename\": \"$k\", \"id\": $((i * 37 + 11))}]}');"
		done > "$BENCH_TMP/inval_$k.sql"
		chmod 644 "$BENCH_TMP/inval_$k.sql"
		bpsql -f "$BENCH_TMP/inval_$k.sql" >/dev/null
		read -r med removed <<<"$(bval "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us), round(avg(entries_removed)) FROM cascade_cache.cascade_audit WHERE entities[1] LIKE '$k:%' AND entities[1] <> '$k:11'" | tr '|' ' ')"
		record invalidation "invalidate $k (in $n entries)" 1 0 "$(awk -v u="$med" 'BEGIN { printf "%.3f", u / 1000 }')" 0 "median ${med} µs for ${removed} entries removed"
	done

	# commit overhead on a 1-row UPDATE
	local upd casc
	upd=$(script_file upd "\\set id random(1, $USERS)
BEGIN;
UPDATE tb_user SET bio = bio WHERE id = :id;
COMMIT;")
	casc=$(script_file upd_casc "\\set id random(1, $USERS)
BEGIN;
UPDATE tb_user SET bio = bio WHERE id = :id;
SELECT cascade_cache.cascade_invalidate(jsonb_build_object('updated', jsonb_build_array(jsonb_build_object('__typename', 'User', 'id', :id::int))));
COMMIT;")
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	cluster_restart plain
	read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 4 "$SECS" "$upd")"; base=$tps
	record invalidation "UPDATE, cascade_cache not loaded" 4 "$tps" "$p50" "$p99"
	cluster_restart cache
	read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 4 "$SECS" "$upd")"
	record invalidation "UPDATE, nothing cached" 4 "$tps" "$p50" "$p99" "$(ratio "$tps" "$base")× of not loaded"
	bpsql -c "SELECT cascade_cache.cascade_watch('tb_user')" >/dev/null
	read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 4 "$SECS" "$upd")"
	record invalidation "UPDATE, table watched" 4 "$tps" "$p50" "$p99" "$(ratio "$tps" "$base")× of not loaded"
	bpsql -c "ALTER DATABASE postgres SET cascade_cache.audit = off" >/dev/null
	read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 4 "$SECS" "$casc")"; local audit_off=$tps
	record invalidation "UPDATE + cascade, audit off" 4 "$tps" "$p50" "$p99" "$(ratio "$tps" "$base")× of not loaded"
	bpsql -c "ALTER DATABASE postgres RESET cascade_cache.audit" >/dev/null
	read -r tps p50 p99 cnt f <<<"$(pgb $BENCH_PORT 4 "$SECS" "$casc")"
	record invalidation "UPDATE + cascade, audit on" 4 "$tps" "$p50" "$p99" "audit on / off: $(ratio "$tps" "$audit_off")× [≥ 0.90×]"
	bpsql -c "SELECT cascade_cache.cascade_unwatch('tb_user')" >/dev/null
	write_results invalidation "Invalidation cost" \
"The first rows give the time one commit spent invalidating an entity held by 1, 10
and 1000 entries in a cache of $n entries (median of 20, p50 column in ms; target for
one entity: < 50 µs). The UPDATE rows measure the commit overhead on a 1-row UPDATE
(synchronous_commit = off, so that the overhead is not hidden behind WAL flushes)."
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
}

# ---------------------------------------------------------------------
# 6. memory per entry
# ---------------------------------------------------------------------
scenario_memory() {
	cc_log "scenario memory: bytes per entry"
	local n payload stored bytes entries per docs
	if [ $SMOKE = 1 ]; then n=1000; else n=100000; fi
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	bval "SELECT count(cascade_cache.cached_query('SELECT \$1::int AS n, repeat(''x'', 80) AS pad', jsonb_build_array(g))) FROM generate_series(1, $n) g" >/dev/null
	payload=$(bval "SELECT pg_column_size(cascade_cache.cached_query('SELECT \$1::int AS n, repeat(''x'', 80) AS pad', '[1]'))")
	read -r bytes entries <<<"$(bval "SELECT bytes_used, entries FROM cascade_cache.cache_stats()" | tr '|' ' ')"
	per=$(( bytes / entries - payload ))
	record memory "${payload}-byte payloads" 0 0 0 0 "$entries entries, $bytes bytes: $per bytes of overhead per entry; at 1M entries $((bytes / entries)) MB"
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	docs=$USERS
	bval "SELECT count(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, $docs) g" >/dev/null
	payload=$(bval "SELECT round(avg(pg_column_size(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))))) FROM generate_series(1, 100) g")
	# documents are stored compressed: the overhead is counted over the stored size
	stored=$(bval "SELECT round(avg(coalesce(substring(detail from 'stored compressed in ([0-9]+)'), substring(detail from '^([0-9]+) bytes of result'))::int)) FROM generate_series(1, 100) g, cascade_cache.cache_explain('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g)) WHERE item = 'size'")
	read -r bytes entries <<<"$(bval "SELECT bytes_used, entries FROM cascade_cache.cache_stats()" | tr '|' ' ')"
	per=$(( bytes / entries - stored ))
	record memory "${payload}-byte user documents" 0 0 0 0 "$entries entries, $bytes bytes, stored compressed in $stored bytes each: $per bytes of overhead per entry (11 entity tags each); at 1M entries $((bytes / entries)) MB"
	write_results memory "Memory per entry" \
"Overhead = accounted bytes per entry minus the payload as stored (results of 512 bytes or
more are stored compressed): the dshash item, the blob header,
the dependency links (relations and entity tags), DSA size-class rounding, a share of the
hash table. Target: ≤ 200 bytes. (At 1M entries the total is that per-entry figure in
MB.)"
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
}

# ---------------------------------------------------------------------
# 7. large responses
# ---------------------------------------------------------------------
scenario_large() {
	cc_log "scenario large: 100 kB and 1 MB entries"
	bpsql -c "DROP TABLE IF EXISTS bench_blob" -c "CREATE TABLE bench_blob (id int PRIMARY KEY, data jsonb)" \
		-c "INSERT INTO bench_blob SELECT g, jsonb_build_object('id', g, 'chunks', (SELECT jsonb_agg(md5(g::text || c::text)) FROM generate_series(1, 3000) c)) FROM generate_series(1, 10) g" \
		-c "INSERT INTO bench_blob SELECT 100 + g, jsonb_build_object('id', g, 'chunks', (SELECT jsonb_agg(md5(g::text || c::text)) FROM generate_series(1, 28000) c)) FROM generate_series(1, 10) g" \
		-c "VACUUM ANALYZE bench_blob" >/dev/null 2>&1
	# (28,000 strings: the result, about 1,008,000 bytes, is within the
	# default max_entry_size of 1MB, so that the hits are hits)
	local size lo hi fn s_direct s_cached before after hits
	for size in 100kB 1MB; do
		if [ $size = 100kB ]; then lo=1; hi=10; else lo=101; hi=110; fi
		s_direct=$(script_file "large_d_$size" "\\set id random($lo, $hi)
SELECT data FROM bench_blob WHERE id = :id;")
		read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s_direct")"; local d=$tps
		record large "$size, uncached" 8 "$tps" "$p50" "$p99" "$(bval "SELECT pg_column_size(data) FROM bench_blob WHERE id = $lo") bytes"
		# cached_query returns jsonb (jsonb_out on every hit); the JSON text
		# forms return the stored bytes
		for fn in cached_query cached_query_json cached_document_json; do
			bval "SELECT count(cascade_cache.$fn('SELECT data FROM bench_blob WHERE id = \$1', jsonb_build_array(g))) FROM generate_series($lo, $hi) g" >/dev/null
			s_cached=$(script_file "large_${fn}_$size" "\\set id random($lo, $hi)
SELECT cascade_cache.$fn('SELECT data FROM bench_blob WHERE id = \$1', jsonb_build_array(:id::int));")
			before=$(bval "SELECT hits || ' ' || misses || ' ' || bypasses FROM cascade_cache.cache_stats()")
			read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s_cached")"
			after=$(bval "SELECT hits || ' ' || misses || ' ' || bypasses FROM cascade_cache.cache_stats()")
			hits=$(awk -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " "); h = y[1] - x[1]; m = y[2] - x[2]; p = y[3] - x[3]; if (m + p == 0) printf "%d hits, every call a hit", h; else printf "NOT ALL HITS: %d hits, %d misses, %d bypasses", h, m, p }')
			record large "$size, $fn hit" 8 "$tps" "$p50" "$p99" "$(ratio "$tps" "$d")× uncached; $hits"
			case $hits in NOT*) echo "large: $size, $fn: $hits" >> "$BENCH_TMP/problems" ;; esac
		done
	done
	write_results large "Large responses" \
"Hit throughput for 100 kB and 1 MB results against running the query (a jsonb column,
stored compressed by TOAST, so each read decompresses it and turns it into text).
cached_query returns jsonb, so each hit copies the entry (and decompresses it where
storing it compressed saved space) and turns it into text too; cached_query_json
and cached_document_json return JSON text stored as it is, so a hit is a copy."
}

# ---------------------------------------------------------------------
# 7c. the pass-through: cached_query where the cache must not be used
# ---------------------------------------------------------------------
scenario_passthrough() {
	cc_log "scenario passthrough: cached_query with the cache off against the plain statement"
	local round c tps p50 p99 n f plain pt s_plain s_pt b0 b1
	b0=$(bval "SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'disabled'")
	# a role whose sessions have the cache off, as a write transaction's
	# reads (or cascade_cache.enabled = off) have
	bpsql -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS cc_passthrough" \
		-c "CREATE ROLE cc_passthrough LOGIN" \
		-c "GRANT USAGE ON SCHEMA cascade_cache TO cc_passthrough" \
		-c "GRANT EXECUTE ON FUNCTION cascade_cache.cached_query(text, jsonb, interval, text) TO cc_passthrough" \
		-c "GRANT SELECT ON tv_user TO cc_passthrough" \
		-c "ALTER ROLE cc_passthrough SET cascade_cache.enabled = off" >/dev/null
	s_plain=$(script_file pt_plain "\\set id random(1, $USERS)
SELECT data FROM tv_user WHERE id = :id;")
	s_pt=$(script_file pt_cached "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query('SELECT data FROM tv_user WHERE id = \$1', jsonb_build_array(:id::int));")
	for c in 1 8; do
		local -A runs=()
		for round in $(seq 1 "$ROUNDS"); do
			runs[plain]+="$(pgb "$BENCH_PORT" "$c" "$SECS" "$s_plain" -U cc_passthrough)"$'\n'
			runs[pt]+="$(pgb "$BENCH_PORT" "$c" "$SECS" "$s_pt" -U cc_passthrough)"$'\n'
		done
		read -r tps p50 p99 n f <<<"$(printf '%s' "${runs[plain]}" | median_run)"
		plain=$tps
		record passthrough "tv_user lookup, plain statement" "$c" "$tps" "$p50" "$p99" "median of $ROUNDS"
		read -r tps p50 p99 n f <<<"$(printf '%s' "${runs[pt]}" | median_run)"
		pt=$tps
		record passthrough "the same through cached_query, cache off" "$c" "$tps" "$p50" "$p99" \
			"median of $ROUNDS; $(ratio "$pt" "$plain")× the plain statement; $(awk -v a="$pt" -v b="$plain" 'BEGIN { if (a > 0 && b > 0) printf "%.1f", (1 / a - 1 / b) * 1e6 * '"$c"'; else print "n/a" }') µs more per call"
	done
	# every cached_query call of the role was a pass-through
	b1=$(bval "SELECT count FROM cascade_cache.cache_bypass_stats() WHERE reason = 'disabled'")
	[ "$b1" -gt "$b0" ] || echo "passthrough: the calls were not counted as bypasses (disabled)" >> "$BENCH_TMP/problems"
	write_results passthrough "The pass-through: cached_query with the cache off" \
"A session that must not use the cache (here a role with cascade_cache.enabled = off; the
same path serves the reads of a transaction that has written) runs the statement from
the plans it keeps for its last 32 statement texts, as a prepared statement would.
Ratio: its throughput against the same tv_user lookup sent as a plain prepared statement;
µs more per call: the difference in time per transaction times the clients (the CPU a
call costs more, on this 2-core machine where pgbench shares the cores)."
	bpsql -c "DROP OWNED BY cc_passthrough" -c "DROP ROLE cc_passthrough" >/dev/null
}

# ---------------------------------------------------------------------
# 7b. does compression pay on the hit path?
# ---------------------------------------------------------------------
scenario_compression() {
	cc_log "scenario compression: LZ4 decompression of a stored document against copying it plain"
	cc_ensure_packages liblz4-dev
	local prog="$BENCH_TMP/lz4_vs_copy" ms doc_id d="$BENCH_TMP/docs" table
	cc -O2 -Wall -pthread -o "$prog" bench/lz4_vs_copy.c -llz4
	if [ $SMOKE = 1 ]; then ms=50; else ms=${CC_BENCH_LZ4_MS:-2000}; fi
	mkdir -p "$d"
	# the user document of average length in its two stored forms: the JSON
	# text (what a cached_query_json hit serves) and the jsonb value
	# cached_query stores (its bytes after the varlena header, which is what
	# toast_compress_datum() compresses), read off a heap page
	doc_id=$(average_doc_id)
	bval "SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array($doc_id))::text" |
		perl -0777 -pe 's/\n\z//' > "$d/json-text"
	bpsql -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pageinspect" \
		-c "DROP TABLE IF EXISTS bench_doc" -c "CREATE TABLE bench_doc (d jsonb)" \
		-c "ALTER TABLE bench_doc ALTER d SET STORAGE PLAIN" \
		-c "INSERT INTO bench_doc SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array($doc_id))" >/dev/null
	bval "SELECT encode(substring(t_attrs[1] from 5), 'hex') FROM heap_page_item_attrs(get_raw_page('bench_doc', 0), 'bench_doc'::regclass)" |
		perl -ne 'chomp; print pack("H*", $_)' > "$d/jsonb"
	bpsql -c "DROP TABLE bench_doc" -c "DROP EXTENSION pageinspect" >/dev/null
	if ! table=$("$prog" -m "$ms" -t 32 "$d/json-text" "$d/jsonb"); then
		echo "compression: lz4_vs_copy failed" >> "$BENCH_TMP/problems"
		return 0
	fi
	printf '%s\n' "$table"
	{
		echo "## Compression on the hit path: LZ4_decompress_safe against memcpy"
		echo
		echo "$DATE, $(nproc) cores, liblz4 $(dpkg-query -W -f='${Version}' liblz4-1 2>/dev/null), ${ms} ms per measurement, bench/lz4_vs_copy.c (cc -O2)."
		echo
		printf '%s\n' "$table"
		echo
		echo "User $doc_id's document (the one closest to the average length), as JSON text and as"
		echo "the jsonb value, compressed with LZ4_compress_default (what toast_compress_datum() does"
		echo "with LZ4), decompressed with LZ4_decompress_safe (what a hit does today) against a"
		echo "memcpy of the plain bytes. ns/op: wall time × threads / operations, what one operation"
		echo "costs a client when the threads share the cores; aggregate: wall time / operations."
		echo "\"10,000 copies\": the threads read 10,000 separately allocated copies in a random order"
		echo "(clients reading different documents), instead of one copy that stays in the CPU caches."
	} > "$RESULTS/$DATE-compression$RESULTS_SUFFIX.md"
}

# ---------------------------------------------------------------------
# 8. read replicas: hits served by the primary, one standby, two standbys
# ---------------------------------------------------------------------
scenario_replicas() {
	cc_log "scenario replicas: cached reads from the primary, one standby and two standbys"
	local s lsn port n tps1 tps2 sum
	standby_start 1
	standby_start 2
	# a record of ours after the base backups: the standbys start caching
	bval "SELECT cascade_cache.cache_flush()" >/dev/null
	lsn=$(bval "SELECT pg_current_wal_lsn()")
	for n in 1 2; do
		port=$((BENCH_PORT + 10 + n))
		for _ in $(seq 1 300); do
			[ "$(spval "$port" "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
			sleep 0.1
		done
	done
	s=$(script_file replicas "\\set id random(1, $USERS)
SELECT cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(:id::int));")
	for port in $BENCH_PORT $((BENCH_PORT + 11)) $((BENCH_PORT + 12)); do
		spval "$port" "SELECT count(cascade_cache.cached_query('SELECT data FROM v_user WHERE id = \$1', jsonb_build_array(g))) FROM generate_series(1, $USERS) g" >/dev/null
	done

	read -r tps p50 p99 n f <<<"$(pgb $BENCH_PORT 8 "$SECS" "$s")"
	local primary=$tps
	record replicas "primary alone" 8 "$tps" "$p50" "$p99" "hits: $(spval $BENCH_PORT 'SELECT hits FROM cascade_cache.cache_stats()')"
	read -r tps p50 p99 n f <<<"$(pgb $((BENCH_PORT + 11)) 8 "$SECS" "$s")"
	tps1=$tps
	record replicas "one standby" 8 "$tps" "$p50" "$p99" "$(ratio "$tps" "$primary")× the primary; standby hits/misses/bypasses: $(spval $((BENCH_PORT + 11)) "SELECT hits || '/' || misses || '/' || bypasses FROM cascade_cache.cache_stats()")"
	# both standbys at once, 8 clients each
	pgb $((BENCH_PORT + 11)) 8 "$SECS" "$s" > "$BENCH_TMP/replica1.out" &
	local pid1=$!
	pgb $((BENCH_PORT + 12)) 8 "$SECS" "$s" > "$BENCH_TMP/replica2.out"
	wait $pid1
	read -r tps1 p50 p99 n f < "$BENCH_TMP/replica1.out"
	record replicas "two standbys: standby 1" 8 "$tps1" "$p50" "$p99" "run at the same time as standby 2"
	read -r tps2 p50 p99 n f < "$BENCH_TMP/replica2.out"
	record replicas "two standbys: standby 2" 8 "$tps2" "$p50" "$p99" "run at the same time as standby 1"
	sum=$(awk -v a="$tps1" -v b="$tps2" 'BEGIN { printf "%.0f", a + b }')
	record replicas "two standbys: together" 16 "$sum" 0 0 "$(ratio "$sum" "$primary")× the primary alone"
	standbys_stop
	write_results replicas "Read replicas: cached hits from the primary, one and two hot standbys" \
"Hits on the user document (8 clients per node). Each standby has its own cache, kept
coherent by replaying the primary's invalidation records. All three servers and pgbench
share this machine's $(nproc) cores, so two standbys cannot add throughput here: the
figures show that a standby serves hits at the primary's rate and that the work splits
across standbys; on separate machines each standby adds its own CPUs. p50/p99 of the
'together' row are not measured (0)."
}

for s in "${SCENARIOS[@]}"; do
	"scenario_$s"
done

if [ -s "$BENCH_TMP/problems" ]; then
	cc_log "some benchmark runs did not work:"
	sed 's/^/    /' "$BENCH_TMP/problems"
	[ $SMOKE = 1 ] && exit 1
fi
if [ $SMOKE = 1 ]; then
	cc_log "smoke run done: every scenario ran (no judgement on speed)"
	ls "$RESULTS"
else
	bench/update-readme.sh "$RESULTS" "$DATE"
	cc_log "results in bench/results/$DATE-*.md, .csv, .png; latest figures in bench/README.md"
fi
# a scenario that asserts (chaos) fails the run, smoke or not
if [ -s "$BENCH_TMP/failed_scenarios" ]; then
	cc_log "FAILED: $(sort -u "$BENCH_TMP/failed_scenarios" | tr '\n' ' ')(see above)"
	exit 1
fi
