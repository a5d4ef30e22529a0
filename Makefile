# cascade_cache: shared-memory query result cache for PostgreSQL 15
#
#   make            build
#   make install    install into the PostgreSQL found by pg_config
#   make test       install missing packages, build, install and run every test
#   make test-debug the regression, isolation and TAP tests against a build of
#                   PostgreSQL with assertions and AddressSanitizer (cached)
#   make demo       install missing packages, start a throwaway cluster, show it
#   make demo-stop  stop the demo cluster
#   make bench      run the benchmark suite (bench/README.md)

MODULE_big = cascade_cache
OBJS = \
	src/cascade_cache.o \
	src/cache_shmem.o \
	src/cache_key.o \
	src/cached_query.o \
	src/coalesce.o \
	src/cacheability.o \
	src/params.o \
	src/jsonb_dest.o \
	src/invalidate.o \
	src/twophase.o \
	src/worker.o \
	src/stats.o \
	src/tags.o \
	src/cascade.o \
	src/audit.o \
	src/precise.o \
	src/monitor.o \
	src/explain.o \
	src/usage.o \
	src/replication.o \
	src/glob.o \
	src/catalog_inval.o

EXTENSION = cascade_cache
DATA = sql/cascade_cache--1.0.sql sql/cascade_cache--1.0--1.1.sql \
	sql/cascade_cache--1.1--1.2.sql
PGFILEDESC = "cascade_cache - shared-memory query result cache"

PG_CPPFLAGS = -I$(srcdir)/include
# PostgreSQL's own headers and hook signatures trip these; everything else
# is an error.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

REGRESS = core_api core_bypass core_invalidation core_keys cascade precise monitor pgtap_api hardening
ISOLATION = fence_stale_fill commit_visibility coalesce cascade_fence precise_fence catalog_fence
ISOLATION_OPTS = --temp-config=$(srcdir)/test/cascade_cache.conf \
	--temp-instance=./tmp_check_iso

TAP_TESTS = 1

REGRESS_OPTS = --temp-config=$(srcdir)/test/cascade_cache.conf \
	--temp-instance=./tmp_check_regress --inputdir=$(srcdir)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): include/cascade_cache.h

.PHONY: test test-debug demo demo-stop bench
test:
	./test/run-tests.sh

test-debug:
	./test/run-debug.sh

demo:
	./test/demo.sh start

demo-stop:
	./test/demo.sh stop

bench:
	./bench/run.sh
