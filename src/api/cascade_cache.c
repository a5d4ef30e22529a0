/*-------------------------------------------------------------------------
 *
 * cascade_cache.c
 *		Module entry point: GUCs, shared-memory requests and hook set-up.
 *
 * cascade_cache must be loaded through shared_preload_libraries: it sizes
 * fixed shared memory, registers its background worker and installs the
 * executor, utility and transaction hooks that drive invalidation.  When
 * the library is loaded any other way (for instance by CREATE EXTENSION in
 * a server that does not preload it) _PG_init only notes that fact, and
 * every SQL-callable function raises an error that says how to fix it.
 *
 * _PG_init only wires modules together.  The GUC variables live in
 * src/base/settings.c (the layers below read them); every module's fixed
 * shared memory is requested and initialised here, through the table
 * cc_shmem_modules.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "cascade_cache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Saved hook values */
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void cc_shmem_request(void);
static void cc_shmem_startup(void);
static bool cc_check_key_settings(char **newval, void **extra,
								  GucSource source);
static bool cc_check_trusted_functions(char **newval, void **extra,
									   GucSource source);

/*
 * Every module's fixed shared memory, in the order it is initialised: the
 * core (CCShared) first, so that the others may publish pointers in it.
 * Each init function creates its memory (ShmemInitStruct under its own
 * name) in the postmaster and finds it in EXEC_BACKEND children.
 */
typedef struct CCShmemModule
{
	Size		(*size) (void);
	void		(*init) (void);
} CCShmemModule;

static const CCShmemModule cc_shmem_modules[] = {
	{cc_shmem_size, cc_shmem_init}, /* base: CCShared, the fence stripes */
	{cc_counters_shmem_size, cc_counters_shmem_init},	/* base */
	{cc_usage_shmem_size, cc_usage_shmem_init}, /* base */
	{cc_store_shmem_size, cc_store_shmem_init}, /* store */
	{cc_coalesce_shmem_size, cc_coalesce_shmem_init},	/* xact */
	{cc_twophase_shmem_size, cc_twophase_shmem_init},	/* xact */
	{cc_replication_shmem_size, cc_replication_shmem_init}, /* xact */
	{cc_monitor_shmem_size, cc_monitor_shmem_init}	/* api */
};

static const struct config_enum_entry cc_invalid_cascade_options[] = {
	{"record", CC_INVALID_CASCADE_RECORD, false},
	{"error", CC_INVALID_CASCADE_ERROR, false},
	{NULL, 0, false}
};

/*
 * Module load callback.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	cc_preloaded = true;

	/* invalidations in the WAL, for hot standbys */
	cc_replication_init();

	DefineCustomIntVariable("cascade_cache.max_memory",
							"Maximum shared memory used by cached results, including their bookkeeping.",
							"The cache's DSA area never grows beyond this; entries are evicted to stay under it.",
							&cc_max_memory_kb,
							64 * 1024,
							1024,
							INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.max_entry_size",
							"Largest result that is stored; larger results are returned but not cached.",
							NULL,
							&cc_max_entry_size_kb,
							1024,
							1,
							MaxAllocSize / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.default_ttl",
							"Time to live of cached entries when cached_query() is given no ttl; 0 means no expiry.",
							NULL,
							&cc_default_ttl_s,
							0,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);

	DefineCustomBoolVariable("cascade_cache.enabled",
							 "Enables serving and storing results in this session.",
							 "When off, cached_query() runs every query as a plain pass-through.",
							 &cc_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomStringVariable("cascade_cache.key_settings",
							   "Comma-separated names of settings that are part of every cache key even if they are known not to change results.",
							   "Every setting is part of the key except a documented list (application_name, logging, timeouts, planner costs, ...); name one of those here to key it too.  Tables with row-level security are cached only when this is set.",
							   &cc_key_settings,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   cc_check_key_settings,
							   cc_key_settings_assign,
							   NULL);

	DefineCustomStringVariable("cascade_cache.trusted_functions",
							   "Comma-separated names of STABLE functions whose results may be cached although their bodies cannot be inspected.",
							   "A STABLE function that is not LANGUAGE sql may read the clock or the session; listing it (name or schema.name) promises it depends only on its arguments, the data and the settings.",
							   &cc_trusted_functions,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   cc_check_trusted_functions,
							   cc_trusted_functions_assign,
							   NULL);

	cc_monitor_define_gucs();

	DefineCustomBoolVariable("cascade_cache.precise_invalidation",
							 "Invalidates entries by the keys they looked up in watched tables.",
							 "When off, every write to a table invalidates every entry that read it.",
							 &cc_precise_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomBoolVariable("cascade_cache.coalesce",
							 "Coalesces concurrent misses of one key into one execution.",
							 NULL,
							 &cc_coalesce_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("cascade_cache.coalesce_timeout",
							"Longest wait for another session's fill of the same key.",
							"After this the waiter runs the query itself and does not store the result.",
							&cc_coalesce_timeout_ms,
							10000,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.max_inflight",
							"Number of keys that can be filled at once with coalescing.",
							"When all are in use, further misses run without coalescing.",
							&cc_max_inflight,
							16384,
							64,
							1024 * 1024,
							PGC_POSTMASTER,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomEnumVariable("cascade_cache.invalid_cascade",
							 "What cascade_invalidate() does with a malformed cascade.",
							 "record: a WARNING, a failed audit row and conservative invalidation; error: an ERROR, so the mutation rolls back.",
							 &cc_invalid_cascade,
							 CC_INVALID_CASCADE_RECORD,
							 cc_invalid_cascade_options,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_updated",
							"Most entities a cascade may list under \"updated\".",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_updated,
							500,
							0,
							1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_deleted",
							"Most entities a cascade may list under \"deleted\".",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_deleted,
							100,
							0,
							1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_invalidations",
							"Most query-name invalidations a cascade may list.",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_invalidations,
							100,
							0,
							10000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_size",
							"Largest cascade payload accepted.",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_size_kb,
							5 * 1024,
							1,
							MaxAllocSize / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	DefineCustomBoolVariable("cascade_cache.audit",
							 "Writes a cascade_audit row for every audited transaction.",
							 "Counting for cascade_audit_metrics() continues when off.",
							 &cc_audit_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("cascade_cache.audit_max_rows",
							"Size of the audit ring: the audit keeps this many latest rows.",
							NULL,
							&cc_audit_max_rows,
							100000,
							10,
							INT_MAX,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.audit_max_payload",
							"Largest cascade payload kept in an audit row; larger ones are replaced by a note of their size.",
							NULL,
							&cc_audit_max_payload_kb,
							64,
							1,
							100 * 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.debug_fill_pause",
							"Test only: a fill waits on this advisory lock key before storing.",
							"0 disables the pause.  Used by the isolation tests.",
							&cc_debug_fill_pause,
							0,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_NOT_IN_SAMPLE,
							NULL,
							NULL,
							NULL);

	DefineCustomBoolVariable("cascade_cache.debug_skip_fence",
							 "Test only: store fills without checking the generation fence.",
							 "Exists so that the isolation tests can show the stale result the fence prevents.  Never turn it on otherwise.",
							 &cc_debug_skip_fence,
							 false,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL,
							 NULL,
							 NULL);

	MarkGUCPrefixReserved("cascade_cache");

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cc_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cc_shmem_startup;

	cc_invalidate_init();
	cc_catalog_init();
	cc_cacheability_init();
	cc_register_worker();
}

/*
 * shmem_request_hook: ask for every module's fixed shared memory and the
 * named lock tranche.
 */
static void
cc_shmem_request(void)
{
	int			i;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	for (i = 0; i < (int) lengthof(cc_shmem_modules); i++)
		RequestAddinShmemSpace(cc_shmem_modules[i].size());
	RequestNamedLWLockTranche(CC_EXTENSION_NAME, CC_NUM_LWLOCKS);
}

/*
 * shmem_startup_hook: create or attach to every module's shared memory.
 */
static void
cc_shmem_startup(void)
{
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (i = 0; i < (int) lengthof(cc_shmem_modules); i++)
		cc_shmem_modules[i].init();
	LWLockRelease(AddinShmemInitLock);
}

/*
 * GUC check hooks for cascade_cache.key_settings (a list of setting names)
 * and cascade_cache.trusted_functions (function names, each optionally
 * schema-qualified).
 */
static bool
cc_check_name_list(char **newval, bool identifiers)
{
	List	   *names;
	bool		ok = cc_split_name_list(*newval, identifiers,
										CurrentMemoryContext, &names);

	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free_deep(names);
	return ok;
}

static bool
cc_check_key_settings(char **newval, void **extra, GucSource source)
{
	return cc_check_name_list(newval, true);
}

static bool
cc_check_trusted_functions(char **newval, void **extra, GucSource source)
{
	return cc_check_name_list(newval, false);
}

