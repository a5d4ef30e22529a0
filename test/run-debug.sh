#!/usr/bin/env bash
# The debug suite (what `make test-debug` and CI run after `make test`):
# the whole suite against PostgreSQL 15 built from Debian's source package
# of the installed version with assertions and AddressSanitizer.  See
# test/run-built.sh.
exec "$(dirname "$0")/run-built.sh" debug 15
