/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		The core of the fixed shared memory: CCShared and the named lock
 *		tranche.
 *
 * Every module owns its own shared memory (a ShmemInitStruct of its own
 * name) and exports a size and an init function; the shmem_request and
 * shmem_startup hooks of src/api/cascade_cache.c call them all, in one
 * table.  CCShared holds only what several modules share: the locks of
 * the named tranche, the sequences, the random key seed, the worker's
 * latch.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_SHMEM_H
#define CC_BASE_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

/* Partitions of the in-flight table of request coalescing (coalesce.c) */
#define CC_INFLIGHT_PARTITIONS	16

/*
 * The locks of the named tranche "cascade_cache", by index.  Requested as
 * one tranche of CC_NUM_LWLOCKS locks.
 */
typedef enum CCLockId
{
	CC_LOCK_CLOCK = 0,			/* the store's CLOCK ring and hand */
	CC_LOCK_STATS,				/* the counters' reset baseline, the rates */
	CC_LOCK_PREPARED,			/* the prepared-transaction slots */
	CC_LOCK_QUEUE,				/* the recipe queue and the runner slots */
	CC_LOCK_INFLIGHT_FIRST,		/* CC_INFLIGHT_PARTITIONS in-flight locks */
	CC_NUM_LWLOCKS = CC_LOCK_INFLIGHT_FIRST + CC_INFLIGHT_PARTITIONS
} CCLockId;

typedef struct CCShared
{
	LWLock	   *clock_lock;		/* CC_LOCK_CLOCK */
	LWLock	   *stats_lock;		/* CC_LOCK_STATS */
	LWLock	   *prepared_lock;	/* CC_LOCK_PREPARED: twophase.c's slots */
	LWLock	   *queue_lock;		/* CC_LOCK_QUEUE: store/queue.c */
	LWLock	   *inflight_locks[CC_INFLIGHT_PARTITIONS]; /* coalesce.c */
	uint64		key_seed;		/* random seed of the key hashes */
	pg_atomic_uint64 next_serial;	/* entry serials and fill ids */
	pg_atomic_uint64 inval_seq; /* global invalidation sequence */
	pg_atomic_uint64 coalesce_wait_max_us;	/* longest wait since reset */
	pg_atomic_uint64 audit_last_failure;	/* TimestampTz, 0 if none */
	Latch	   *worker_latch;	/* the background worker's, or NULL */
} CCShared;

extern CCShared *cc_shared;

extern Size cc_shmem_size(void);
extern void cc_shmem_init(void);
extern void cc_wake_worker(void);

#endif							/* CC_BASE_SHMEM_H */
