/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The cascade_cache background worker: upkeep of the shared cache.
 *
 * The worker keeps the cache healthy but is never on the path of a hit, a
 * miss or an invalidation: the area it maintains lives in fixed shared
 * memory from postmaster start, and every backend can evict for itself.
 * Once a second, or sooner when a backend wakes it (cc_wake_worker() sets
 * the latch the worker publishes in CCShared), the worker
 *
 *	- evicts (CLOCK) down to CC_EVICT_LOW_WATERMARK of the budget once the
 *	  accounted bytes pass CC_EVICT_HIGH_WATERMARK, so that backends rarely
 *	  have to evict on their own miss path;
 *	- removes expired entries (only when some entry has a ttl);
 *	- every ten seconds, removes entries left PENDING by a process that is
 *	  gone;
 *	- applies a changed cascade_cache.max_memory to the area;
 *	- queues the recipes of a warm restart (warm.c; every 50 ms while it
 *	  does), starts the recipe runners that queued fills need (launcher.c),
 *	  and writes the hot set's recipes every cascade_cache.warm_interval.
 *
 * When it starts for the first time in a shared memory lifetime it reads
 * the warm restart file; at a clean shutdown it writes it.
 *
 * It is connected to no particular database (so that it shows in
 * pg_stat_activity as "cascade_cache worker"), starts once the server is
 * consistent (so it also runs on hot standbys) and never runs SQL; the
 * runners it starts do, each as its own role.  Any exit other than
 * postmaster shutdown, including pg_terminate_backend(), leads to a
 * restart after one second; the cache keeps its contents meanwhile.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procsignal.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/shmem.h"
#include "store/store.h"
#include "xact/replication.h"
#include "api/launcher.h"
#include "api/monitor.h"
#include "api/runner.h"
#include "api/warm.h"
#include "api/worker.h"

/* The worker's intervals */
#define CC_WORKER_NAPTIME_MS		1000	/* between rounds of upkeep */
#define CC_ORPHAN_SCAN_INTERVAL_MS	10000	/* between orphan scans */
#define CC_WORKER_REPLICA_NAPTIME_MS	10	/* while replayed stripes are held */
#define CC_ANNOUNCE_INTERVAL_MS		60000	/* between announcements */
#define CC_WORKER_WARM_NAPTIME_MS	50	/* while queuing warm recipes */

static void cc_worker_upkeep(TimestampTz *last_orphan_scan, bool *warming);

/*
 * Register the worker.  Called from _PG_init during preload.
 */
void
cc_register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "cascade_cache");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "cc_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "cascade_cache worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "cascade_cache worker");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

/* The epoch the worker last cleaned up after */
static uint64 cc_worker_epoch = 1;

/* Stop being woken: the latch is about to be reused by another process. */
static void
cc_worker_exit(int code, Datum arg)
{
	cc_shared->worker_latch = NULL;
}

/*
 * Worker entry point.
 */
void
cc_worker_main(Datum arg)
{
	MemoryContext upkeep_cxt;
	uint32		wait_event_cache = 0;
	uint32		wait_event;
	TimestampTz last_orphan_scan = GetCurrentTimestamp();
	TimestampTz announced_at = 0;
	XLogRecPtr	announced_lsn = InvalidXLogRecPtr;
	MemoryContext oldcxt;
	bool		warming = true;

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGUSR1, procsignal_sigusr1_handler);
	BackgroundWorkerUnblockSignals();

	/*
	 * Connect to no database in particular: that makes the worker visible in
	 * pg_stat_activity, which is all we need the connection for.
	 */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	on_shmem_exit(cc_worker_exit, (Datum) 0);
	/* backends that need room wake us with cc_wake_worker() */
	cc_shared->worker_latch = MyLatch;

	upkeep_cxt = AllocSetContextCreate(TopMemoryContext,
									   "cascade_cache worker",
									   ALLOCSET_DEFAULT_SIZES);

	cc_apply_size_limit();
	wait_event = CC_WAIT_EVENT(wait_event_cache, "CascadeCacheWorkerMain");
	ereport(LOG, (errmsg("cascade_cache worker started")));

	/* a warm restart: once per shared memory lifetime */
	oldcxt = MemoryContextSwitchTo(upkeep_cxt);
	cc_warm_start();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(upkeep_cxt);

	for (;;)
	{
		long		naptime = CC_WORKER_NAPTIME_MS;

		/*
		 * On a standby, replayed invalidations are released as soon as their
		 * transaction's end has been replayed: look often while any is held.
		 */
		if (cc_replica_any_held())
			naptime = CC_WORKER_REPLICA_NAPTIME_MS;
		else if (warming)
			naptime = CC_WORKER_WARM_NAPTIME_MS;

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 naptime, wait_event);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		cc_replica_release();

		/*
		 * A primary (also after a promotion) announces itself to standbys at
		 * start, and again every minute in which it wrote WAL, so that a
		 * standby started from a newer base backup learns it soon.
		 */
		if (!RecoveryInProgress() &&
			(announced_at == 0 ||
			 (TimestampDifferenceExceeds(announced_at, GetCurrentTimestamp(),
										 CC_ANNOUNCE_INTERVAL_MS) &&
			  GetXLogInsertRecPtr() != announced_lsn)))
		{
			announced_lsn = cc_wal_announce();
			announced_at = GetCurrentTimestamp();
		}

		if (ShutdownRequestPending)
		{
			/* a clean shutdown: keep the hot set's recipes */
			oldcxt = MemoryContextSwitchTo(upkeep_cxt);
			cc_warm_dump(true);
			MemoryContextSwitchTo(oldcxt);
			break;
		}

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cc_apply_size_limit();
		}

		oldcxt = MemoryContextSwitchTo(upkeep_cxt);
		cc_worker_upkeep(&last_orphan_scan, &warming);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(upkeep_cxt);
	}

	/* exit code 1: the postmaster restarts us unless it is shutting down */
	proc_exit(1);
}

/*
 * One round of upkeep.
 */
static void
cc_worker_upkeep(TimestampTz *last_orphan_scan, bool *warming)
{
	Size		budget = cc_budget_bytes();
	TimestampTz now;

	cc_monitor_sample();

	/* entries of an older epoch are dead (see cc_bump_epoch): remove them */
	if (cc_epoch_changed(&cc_worker_epoch))
		(void) cc_remove_all(InvalidOid, false, CC_STAT_NONE);

	if (cc_store_bytes_used() > (uint64) (budget * CC_EVICT_HIGH_WATERMARK))
		cc_evict_to((Size) (budget * CC_EVICT_LOW_WATERMARK), INT_MAX);

	if (cc_store_ttl_entries() > 0)
		(void) cc_remove_all(InvalidOid, true, CC_STAT_EXPIRATIONS);

	now = GetCurrentTimestamp();
	if (TimestampDifferenceExceeds(*last_orphan_scan, now,
								   CC_ORPHAN_SCAN_INTERVAL_MS))
	{
		cc_gc_orphans();
		*last_orphan_scan = now;
	}

	/* warm restart and refresh-ahead: queue, launch runners, keep recipes */
	*warming = cc_warm_feed();
	cc_runners_launch();
	cc_warm_dump(false);
}
