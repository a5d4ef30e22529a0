/*-------------------------------------------------------------------------
 *
 * settings.c
 *		The settings every layer reads, and the check that the library was
 *		preloaded.
 *
 * Only the variables live here; _PG_init (src/api/cascade_cache.c)
 * defines the GUCs that set them, with their documentation.  The initial
 * values below are the GUCs' defaults.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cascade_cache.h"

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
