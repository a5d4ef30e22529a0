/*-------------------------------------------------------------------------
 *
 * settings.c
 *		The settings every layer reads, and the check that the library was
 *		preloaded.
 *
 * The variables of the settings several layers read live here, so that
 * no layer below the SQL entry points reaches into src/api for them;
 * cc_settings_define_gucs() defines them, with their documentation (a
 * module's own settings are defined by that module).  The initial values
 * below are the GUCs' defaults.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "base/settings.h"
#include "base/shmem.h"

/* true when loaded from shared_preload_libraries */
bool		cc_preloaded = false;

/* GUC variables */
bool		cc_enabled = true;
int			cc_max_memory_kb = 64 * 1024;
int			cc_max_entry_size_kb = 1024;
int			cc_default_ttl_s = 0;
char	   *cc_key_settings = NULL;
bool		cc_coalesce_enabled = true;
int			cc_coalesce_timeout_ms = 10000;
int			cc_max_inflight = 16384;
int			cc_recipe_queue_size = 1024;
int			cc_debug_fill_pause = 0;
bool		cc_debug_skip_fence = false;

/*
 * Raise a clear error if the library was not preloaded.  Every SQL-callable
 * function calls this first.
 */
void
cc_check_loaded(void)
{
	if (!cc_preloaded || cc_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cascade_cache must be loaded via shared_preload_libraries"),
				 errhint("Add cascade_cache to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * The configured cap on the cache's shared memory, in bytes.
 */
Size
cc_memory_limit_bytes(void)
{
	return (Size) cc_max_memory_kb * 1024;
}

/*
 * Define the settings whose variables live here.
 * Called once, from _PG_init.
 */
void
cc_settings_define_gucs(void)
{
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

	DefineCustomIntVariable("cascade_cache.recipe_queue",
							"Number of fills that can wait for a background runner.",
							"Refresh-ahead and warm restart queue their fills here; warm restart uses at most half.  A refresh that finds it full takes the place of the oldest queued refresh, which is dropped and counted.",
							&cc_recipe_queue_size,
							1024,
							16,
							65536,
							PGC_POSTMASTER,
							0,
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
}
