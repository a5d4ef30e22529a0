#!/usr/bin/env bash
# Checks the server logs a test run left behind for failed assertions,
# sanitizer reports and processes killed by a signal, including those that
# no test noticed (a crash after the last query of a test, say):
#
#   test/check-server-logs.sh WORKDIR [LOGDIR...]
#
# WORKDIR is where `make installcheck` ran.  Read are WORKDIR/tmp_check*/log/*
# (pg_regress's and pg_isolation_regress's postmaster.log, the TAP tests'
# node logs and regress_log_* files, which hold the output of the client
# programs they ran), and the *.log files under WORKDIR/server_log (where
# test/run-debug.sh has the regression and isolation servers log:
# pg_regress removes its instance, postmaster.log included, when all
# passed) and under each LOGDIR.  Reported, with an excerpt, and exit
# status 1:
#   - "TRAP:" lines: failed assertions (--enable-cassert);
#   - AddressSanitizer and LeakSanitizer reports;
#   - "terminated by signal N": a process killed by a signal.  The one
#     expected case: "terminated by signal 9: Killed" in the logs of a TAP
#     test (t/NAME.pl writes tmp_check/log/NAME_<node>.log) that sends
#     SIGKILL itself (kill 'KILL' / kill 9 / kill9 in t/NAME.pl).  Any other
#     signal (6 for an abort, 11 for a segfault, ...), and signal 9 in any
#     other log, is a failure.
# Exits 1 as well when no log was found at all.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 WORKDIR [LOGDIR...]" >&2; exit 2; }
work=$1
shift

# TAP tests that kill a server process with SIGKILL on purpose
killers=""
for t in "$work"/t/*.pl; do
	[ -f "$t" ] || continue
	if grep -Eq "kill9|kill[[:space:]]*\(?[[:space:]]*['\"]?-?(KILL|SIGKILL|9)['\"]?[[:space:]]*," "$t"; then
		killers="$killers $(basename "$t" .pl)"
	fi
done

logs=()
for f in "$work"/tmp_check*/log/*; do
	[ -f "$f" ] && logs+=("$f")
done
[ -d "$work/server_log" ] && set -- "$@" "$work/server_log"
for d in "$@"; do
	while IFS= read -r -d '' f; do logs+=("$f"); done < <(find "$d" -type f -name '*.log' -print0 | sort -z)
done
if [ ${#logs[@]} -eq 0 ]; then
	echo "check-server-logs: no server log found under $work" >&2
	exit 1
fi

# kills_on_purpose LOG: whether LOG belongs to a TAP test that sends SIGKILL
kills_on_purpose() {
	local name k
	name=$(basename "$1")
	name=${name#regress_log_}
	for k in $killers; do
		case $name in "$k" | "$k"_*) return 0 ;; esac
	done
	return 1
}

bad=0
for f in "${logs[@]}"; do
	problems=""
	grep -q 'TRAP:' "$f" && problems="$problems assertion-failure"
	grep -Eq 'AddressSanitizer|LeakSanitizer' "$f" && problems="$problems sanitizer-report"
	signals=$(grep -E 'terminated by signal [0-9]+' "$f" || true)
	expected='^$'
	if [ -n "$signals" ] && kills_on_purpose "$f"; then
		expected='terminated by signal 9: Killed'
		signals=$(echo "$signals" | grep -v "$expected" || true)
	fi
	[ -n "$signals" ] && problems="$problems killed-by-signal"
	[ -n "$problems" ] || continue
	bad=1
	echo "==== $f:$problems"
	# each TRAP and signal line with what led to it; each sanitizer report
	# whole, up to its SUMMARY line (at most 80 lines)
	grep -n -B 8 -A 3 -E 'TRAP:|terminated by signal [0-9]+' "$f" |
		grep -v -- "$expected" | head -n 120 || true
	awk '/ERROR: (AddressSanitizer|LeakSanitizer)|AddressSanitizer:DEADLYSIGNAL/ { on = 1; n = 0 }
		on { printf "%d:%s\n", NR, $0; if (++n >= 80 || /^SUMMARY: /) on = 0 }' "$f" | head -n 400
done

if [ $bad -ne 0 ]; then
	echo "check-server-logs: assertion failures, sanitizer reports or unexpected signals (above)"
	exit 1
fi
echo "check-server-logs: ${#logs[@]} logs, no assertion failure, sanitizer report or unexpected signal" \
	"(SIGKILL expected in:${killers:- none})"
