/*-------------------------------------------------------------------------
 *
 * cascade_cache.c
 *		Module entry point: wires the modules together.
 *
 * cascade_cache must be loaded through shared_preload_libraries: it sizes
 * fixed shared memory, registers its background worker and installs the
 * executor, utility and transaction hooks that drive invalidation.  When
 * the library is loaded any other way (for instance by CREATE EXTENSION in
 * a server that does not preload it) _PG_init only notes that fact, and
 * every SQL-callable function raises an error that says how to fix it.
 *
 * _PG_init only wires modules together: each module defines its own
 * settings (cc_*_define_gucs()) and installs its own hooks and callbacks
 * (cc_*_init()); every module's fixed shared memory is requested and
 * initialised here, through the table cc_shmem_modules.
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
#include "base/counters.h"
#include "base/key.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "base/usage_counters.h"
#include "store/fence.h"
#include "store/queue.h"
#include "store/store.h"
#include "xact/audit.h"
#include "xact/cacheability.h"
#include "xact/catalog_inval.h"
#include "xact/coalesce.h"
#include "xact/precise.h"
#include "xact/refresh.h"
#include "xact/replication.h"
#include "xact/twophase.h"
#include "xact/xact.h"
#include "api/cascade.h"
#include "api/monitor.h"
#include "api/runner.h"
#include "api/warm.h"
#include "api/worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Saved hook values */
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void cc_shmem_request(void);
static void cc_shmem_startup(void);

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
	{cc_shmem_size, cc_shmem_init}, /* base: CCShared */
	{cc_counters_shmem_size, cc_counters_shmem_init},	/* base */
	{cc_usage_shmem_size, cc_usage_shmem_init}, /* base */
	{cc_store_shmem_size, cc_store_shmem_init}, /* store */
	{cc_fence_shmem_size, cc_fence_shmem_init}, /* store */
	{cc_queue_shmem_size, cc_queue_shmem_init}, /* store */
	{cc_coalesce_shmem_size, cc_coalesce_shmem_init},	/* xact */
	{cc_twophase_shmem_size, cc_twophase_shmem_init},	/* xact */
	{cc_replication_shmem_size, cc_replication_shmem_init}, /* xact */
	{cc_monitor_shmem_size, cc_monitor_shmem_init},	/* api */
	{cc_warm_shmem_size, cc_warm_shmem_init}	/* api: after CCShared */
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

	/* settings: each module defines its own */
	cc_settings_define_gucs();
	cc_key_define_gucs();
	cc_cascade_define_gucs();
	cc_audit_define_gucs();
	cc_cacheability_define_gucs();
	cc_precise_define_gucs();
	cc_monitor_define_gucs();
	cc_refresh_define_gucs();
	cc_runner_define_gucs();
	cc_warm_define_gucs();

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
		RequestAddinShmemSpace(CACHELINEALIGN(cc_shmem_modules[i].size()));
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
