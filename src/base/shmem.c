/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		The core of the fixed shared memory: CCShared and the locks of the
 *		named tranche.
 *
 * See include/base/shmem.h for what lives here and why.  cc_shmem_init()
 * runs first among the modules' init functions (src/api/cascade_cache.c);
 * every other module keeps its own memory and its own pointer to it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/latch.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/shmem.h"

/* Shared state, set in every process by cc_shmem_init() */
CCShared   *cc_shared = NULL;

/* Size of CCShared.  Called from shmem_request_hook. */
Size
cc_shmem_size(void)
{
	return MAXALIGN(sizeof(CCShared));
}

/*
 * Create (in the postmaster) or find (in EXEC_BACKEND children) CCShared.
 * Called from shmem_startup_hook under AddinShmemInitLock.
 */
void
cc_shmem_init(void)
{
	bool		found;
	CCShared   *s;
	LWLockPadded *locks;
	int			i;

	s = ShmemInitStruct("cascade_cache", cc_shmem_size(), &found);
	cc_shared = s;
	if (found)
		return;

	memset(s, 0, sizeof(CCShared));
	locks = GetNamedLWLockTranche(CC_EXTENSION_NAME);
	s->clock_lock = &locks[CC_LOCK_CLOCK].lock;
	s->stats_lock = &locks[CC_LOCK_STATS].lock;
	s->prepared_lock = &locks[CC_LOCK_PREPARED].lock;
	s->queue_lock = &locks[CC_LOCK_QUEUE].lock;
	for (i = 0; i < CC_INFLIGHT_PARTITIONS; i++)
		s->inflight_locks[i] = &locks[CC_LOCK_INFLIGHT_FIRST + i].lock;

	if (!pg_strong_random(&s->key_seed, sizeof(s->key_seed)))
		ereport(FATAL,
				(errmsg("cascade_cache could not generate a random hash seed")));

	pg_atomic_init_u64(&s->next_serial, 1);
	pg_atomic_init_u64(&s->inval_seq, 1);
	pg_atomic_init_u64(&s->coalesce_wait_max_us, 0);
	pg_atomic_init_u64(&s->audit_last_failure, 0);
	s->worker_latch = NULL;
}

/*
 * Wake the background worker, if it is running, to evict now.  Sets the
 * latch it published; safe with no lock held, from any process.
 */
void
cc_wake_worker(void)
{
	Latch	   *latch = cc_shared->worker_latch;

	if (latch != NULL)
		SetLatch(latch);
}
