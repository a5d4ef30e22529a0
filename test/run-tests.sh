#!/usr/bin/env bash
# The whole test suite (what `make test` and CI run):
#   - installs missing Debian packages, builds and installs the extension;
#   - checks the layering of src/ (test/check-layers.sh);
#   - runs pg_regress (sql/, expected/), the isolation specs (specs/) and the
#     TAP tests (t/), each against throwaway clusters with the library
#     preloaded;
#   - runs the benchmark suite's smoke version (bench/run.sh --smoke), which
#     checks that every benchmark script still works (no judgement on speed).
# Works as root (the clusters then run as the 'postgres' account, because
# initdb refuses root) and as a normal user with sudo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh

cc_ensure_packages
cc_ensure_node
cc_build_install

# the structure: calls go one way between the layers, no cycles, size limits
cc_log "layer check"
make -s check-layers PG_CONFIG="$PG_CONFIG"

# The suite writes results next to the sources; when we are root, run it in
# a copy owned by the server account.
work="$top"
if [ "$(id -u)" = 0 ]; then
	work=$(mktemp -d /tmp/cascade_cache-test.XXXXXX)
	cp -a "$top/." "$work/"
	chown -R postgres: "$work"
	trap 'rm -rf "$work"' EXIT
fi

status=0
cc_as_server_user make -C "$work" -s installcheck PG_CONFIG="$PG_CONFIG" || status=$?

if [ $status -eq 0 ]; then
	cc_log "benchmark smoke run"
	bench/run.sh --smoke || status=$?
fi

if [ $status -ne 0 ]; then
	cc_print_failures "$work"
	echo "TESTS FAILED"
	exit $status
fi
echo "ALL TESTS PASSED"
