# cascade_cache: shared-memory query result cache for PostgreSQL 15, 17
# and 18
#
#   make            build
#   make install    install into the PostgreSQL found by pg_config
#   make test       install missing packages, build, install and run every test
#   make test-debug the regression, isolation and TAP tests against a build of
#                   PostgreSQL with assertions and AddressSanitizer (cached)
#   make test-versions  the same tests against PostgreSQL 17 and 18, built
#                   from Debian's source packages (cached)
#   make demo       install missing packages, start a throwaway cluster, show it
#   make demo-stop  stop the demo cluster
#   make bench      run the benchmark suite (bench/README.md)
#   make check-layers  check that calls go one way between the layers of
#                   src/ (make test runs it)
#   make indent     pgindent over src/ and include/ (PGINDENT=path/to/pgindent)

MODULE_big = cascade_cache
# The layers, top to bottom; a file calls only into its own layer or the
# layers below it (test/check-layers.sh checks this on every make test).
CC_API_OBJS = \
	src/api/admin.o \
	src/api/cascade.o \
	src/api/cascade_cache.o \
	src/api/cached_query.o \
	src/api/explain.o \
	src/api/launcher.o \
	src/api/monitor.o \
	src/api/runner.o \
	src/api/stats.o \
	src/api/usage.o \
	src/api/warm.o \
	src/api/watch.o \
	src/api/worker.o
CC_XACT_OBJS = \
	src/xact/audit.o \
	src/xact/audit_table.o \
	src/xact/cacheability.o \
	src/xact/cacheability_body.o \
	src/xact/cacheability_builtins.o \
	src/xact/cacheability_clock.o \
	src/xact/cacheability_func.o \
	src/xact/cacheability_rel.o \
	src/xact/cacheability_type.o \
	src/xact/cascade.o \
	src/xact/catalog_explain.o \
	src/xact/catalog_names.o \
	src/xact/catalog_inval.o \
	src/xact/coalesce.o \
	src/xact/fill.o \
	src/xact/fill_plans.o \
	src/xact/hooks.o \
	src/xact/jsonb_dest.o \
	src/xact/params.o \
	src/xact/pending.o \
	src/xact/precise.o \
	src/xact/precise_fill.o \
	src/xact/prepared_xacts.o \
	src/xact/recipe.o \
	src/xact/recipe_run.o \
	src/xact/refresh.o \
	src/xact/replay.o \
	src/xact/replay_holds.o \
	src/xact/run.o \
	src/xact/statement.o \
	src/xact/replication.o \
	src/xact/tags.o \
	src/xact/twophase.o \
	src/xact/twophase_holds.o \
	src/xact/xact.o
CC_STORE_OBJS = \
	src/store/area.o \
	src/store/blob.o \
	src/store/context.o \
	src/store/deps.o \
	src/store/evict.o \
	src/store/fence.o \
	src/store/guard.o \
	src/store/hits.o \
	src/store/inspect.o \
	src/store/queue.o \
	src/store/queue_push.o \
	src/store/recipes.o \
	src/store/remove.o \
	src/store/store.o
CC_BASE_OBJS = \
	src/base/counters.o \
	src/base/glob.o \
	src/base/gucset.o \
	src/base/key.o \
	src/base/keyed.o \
	src/base/levelset.o \
	src/base/search_path.o \
	src/base/settings.o \
	src/base/shmem.o \
	src/base/subxact.o \
	src/base/usage_counters.o
OBJS = $(CC_API_OBJS) $(CC_XACT_OBJS) $(CC_STORE_OBJS) $(CC_BASE_OBJS)

EXTENSION = cascade_cache
DATA = sql/cascade_cache--1.0.sql sql/cascade_cache--1.0--1.1.sql \
	sql/cascade_cache--1.1--1.2.sql sql/cascade_cache--1.2--1.3.sql \
	sql/cascade_cache--1.3--1.4.sql sql/cascade_cache--1.4--1.5.sql \
	sql/cascade_cache--1.5--1.6.sql sql/cascade_cache--1.6--1.7.sql \
	sql/cascade_cache--1.7--1.8.sql sql/cascade_cache--1.8--1.9.sql
PGFILEDESC = "cascade_cache - shared-memory query result cache"

PG_CPPFLAGS = -I$(srcdir)/include
# PostgreSQL's own headers and hook signatures trip -Wunused-parameter;
# everything else is an error.  -Wshadow=compatible-local is what
# PostgreSQL 16 and later build with: a 15 build catches it too.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow=compatible-local

REGRESS = core_api core_bypass core_invalidation core_keys cascade precise monitor pgtap_api hardening json_api document_api native_args recipes fill_plans
ISOLATION = fence_stale_fill commit_visibility coalesce cascade_fence precise_fence catalog_fence hit_counts fill_plan_ddl policy_walk verdict_race passthrough_ddl search_path_membership temp_schema_reach
ISOLATION_OPTS = --temp-config=$(srcdir)/test/cascade_cache.conf \
	--temp-instance=./tmp_check_iso

TAP_TESTS = 1

REGRESS_OPTS = --temp-config=$(srcdir)/test/cascade_cache.conf \
	--temp-instance=./tmp_check_regress --inputdir=$(srcdir)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard include/*.h include/*/*.h src/*/*.h)

.PHONY: test test-debug test-versions demo demo-stop bench check-layers indent
# calls go one way between the layers (test/check-layers.sh)
check-layers: $(OBJS)
	./test/check-layers.sh

# PostgreSQL's pgindent (16 or later, with pg_bsd_indent on PATH, knowing
# PostgreSQL's own typedefs) over src/ and include/, with our typedefs
PGINDENT ?= pgindent
indent:
	$(PGINDENT) --typedefs=test/typedefs.list src/*/*.c src/*/*.h \
		include/*.h include/*/*.h

test:
	./test/run-tests.sh

test-debug:
	./test/run-debug.sh

test-versions:
	./test/run-versions.sh

demo:
	./test/demo.sh start

demo-stop:
	./test/demo.sh stop

bench:
	./bench/run.sh
