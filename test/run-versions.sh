#!/usr/bin/env bash
# The version matrix (what `make test-versions` and CI run): the whole
# suite against PostgreSQL 17 and 18, each built from Debian's source
# package (-O2) into the cache once and reused; `make test` covers 15 (the
# Debian 12 server package) and `make test-debug` 15 with assertions.
# Every version runs even when one before failed.  See test/run-built.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
failed=""
for major in ${CC_TEST_VERSIONS:-17 18}; do
	"$top/test/run-built.sh" release "$major" || failed="$failed $major"
done
if [ -n "$failed" ]; then
	echo "VERSION TESTS FAILED:$failed"
	exit 1
fi
echo "ALL VERSION TESTS PASSED (${CC_TEST_VERSIONS:-17 18})"
