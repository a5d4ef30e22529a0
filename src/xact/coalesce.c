/*-------------------------------------------------------------------------
 *
 * coalesce.c
 *		Request coalescing: concurrent misses of one key run the query once.
 *
 * The in-flight table is a partitioned shared hash table (ShmemInitHash,
 * fixed size, cascade_cache.max_inflight slots) from a cache key to the
 * fill that is computing it: the leader's PID and a fill id.  A miss
 * either creates the slot and leads, or finds it and waits.  The slot is
 * removed the moment the leader's fill ends, however it ends.
 *
 * Waiting uses condition variables in fixed shared memory, a power-of-two
 * array of buckets indexed by the key's hash (keys that share a bucket
 * only cause spurious wake-ups).  Each bucket also records the outcome of
 * the last fill that finished in it, so that a waiter woken after its slot
 * is gone can tell what happened:
 *
 *	STORED		the result is in the cache: read it from there;
 *	REFILL		the store was refused (a commit invalidated a dependency
 *				while the fill ran): start again, one waiter leads;
 *	UNSHAREABLE	the result may not be cached (uncacheable, too large, no
 *				room): every waiter runs the query on its own, at once;
 *	FAILED		the leader raised an error, was cancelled or exited: start
 *				again, the first waiter back leads (its own run decides,
 *				the leader's error is not copied).
 *
 * If the outcome was overwritten by another key sharing the bucket, the
 * waiter simply starts again, which reads the cache first.  A waiter also
 * checks, every CC_LEADER_CHECK_MS, that the leader's process is still
 * there; if it vanished without cleaning up, the waiter takes the slot
 * over.  A waiter that waits longer than cascade_cache.coalesce_timeout in
 * total runs the query itself and does not store the result.
 *
 * The deadlock detector cannot see a wait on a condition variable.  A
 * waiter may hold locks (taken earlier in its transaction, or by the query
 * that called cached_query()); if the leader waits for one of them through
 * a third process, the cycle would only end with the waiter's timeout (and
 * on a hot standby, replay would stall that long: a conflict with the
 * startup process cancels only a backend that waits for a lock).  So a
 * waiter that has waited deadlock_timeout while its leader (or one of the
 * leader's parallel workers) waits for a heavyweight lock, and some
 * process waits for a lock the waiter holds in a mode that conflicts with
 * the waiter's, stops waiting, as for a timeout: it runs the query itself,
 * and the cycle becomes a wait for a lock, where the deadlock detector (or
 * the standby's conflict handling) finds it.  (A parallel worker, whose
 * group leader holds the locks, does not coalesce.)  A waiter whose leader
 * waits for a lock also stops once it has waited the session's
 * lock_timeout, which its own run then raises.  So does, at once, a waiter on a hot standby holding the
 * buffer pin the startup process waits for (a page of the query that
 * called cached_query()): recovery's check for a deadlock through a pin,
 * too, looks only at backends that wait for a lock.  A heavyweight lock
 * or a pin are all a waiter holds that another process can wait for while
 * it sleeps (it holds no LWLock, and a transaction with an xid, whose row
 * locks and xid others wait for, does not coalesce).  (The look at the
 * locks takes the lock manager's partition locks, one at a time, with none
 * of ours held, at most once per deadlock_timeout or lock_timeout.)
 *
 * Locking: the slot table has CC_INFLIGHT_PARTITIONS partition locks (part
 * of the cascade_cache named tranche); the bucket of a key is protected by
 * its key's partition lock (the bucket count is a multiple of the
 * partition count).  No other lock is taken while one of them is held, and
 * nobody sleeps holding one: waiters sleep on the condition variable.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "access/parallel.h"
#include "access/xlog.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "xact/coalesce.h"

/* How often a waiter checks that its leader still exists */
#define CC_LEADER_CHECK_MS		100

/* A waiter gives up coalescing after this many rounds and runs alone */
#define CC_MAX_ROUNDS			8

typedef struct CCInflight
{
	CCKey		key;			/* hash key, must be first */
	int			leader_pid;
	uint64		fill_id;
} CCInflight;

typedef struct CCWaitBucket
{
	ConditionVariable cv;
	uint64		last_fill_id;	/* last fill that finished in this bucket */
	int			last_outcome;	/* its CCFillOutcome */
} CCWaitBucket;

static HTAB *cc_inflight = NULL;
static CCWaitBucket *cc_buckets = NULL;
static int	cc_nbuckets = 0;

/* The fill this backend leads, if any */
static bool cc_leading = false;
static CCKey cc_leading_key;
static uint64 cc_leading_fill_id;
static uint32 cc_leading_hash;

static void cc_coalesce_exit(int code, Datum arg);

/* Buckets: a power of two, at least max_inflight, multiple of partitions */
static int
cc_bucket_count(void)
{
	int			n = CC_INFLIGHT_PARTITIONS;

	while (n < cc_max_inflight)
		n *= 2;
	return n;
}

Size
cc_coalesce_shmem_size(void)
{
	Size		size;

	size = hash_estimate_size(cc_max_inflight, sizeof(CCInflight));
	size = add_size(size, mul_size(cc_bucket_count(), sizeof(CCWaitBucket)));
	return size;
}

/*
 * Create or attach to the in-flight table and the buckets.  Called from
 * shmem_startup_hook, under AddinShmemInitLock, in every process that runs
 * it (the postmaster, and EXEC_BACKEND children).
 */
void
cc_coalesce_shmem_init(void)
{
	HASHCTL		info;
	bool		found;
	int			i;

	info.keysize = sizeof(CCKey);
	info.entrysize = sizeof(CCInflight);
	info.num_partitions = CC_INFLIGHT_PARTITIONS;
	cc_inflight = ShmemInitHash("cascade_cache in-flight fills",
								cc_max_inflight, cc_max_inflight,
								&info,
								HASH_ELEM | HASH_BLOBS | HASH_PARTITION |
								HASH_FIXED_SIZE);

	cc_nbuckets = cc_bucket_count();
	cc_buckets = ShmemInitStruct("cascade_cache fill buckets",
								 mul_size(cc_nbuckets, sizeof(CCWaitBucket)),
								 &found);
	if (!found)
	{
		for (i = 0; i < cc_nbuckets; i++)
		{
			ConditionVariableInit(&cc_buckets[i].cv);
			cc_buckets[i].last_fill_id = 0;
			cc_buckets[i].last_outcome = CC_FILL_FAILED;
		}
	}
}

/*
 * Clean up after ourselves on exit, once per process.  Registered by the
 * backend itself, not by _PG_init: a postmaster child forgets the
 * postmaster's exit callbacks (on_exit_reset()).  Can ERROR (no room for
 * another callback); called before any slot is taken.
 */
static void
cc_coalesce_register_exit(void)
{
	static bool registered = false;

	if (!registered)
	{
		on_shmem_exit(cc_coalesce_exit, (Datum) 0);
		registered = true;
	}
}

static inline LWLock *
cc_partition_lock(uint32 hash)
{
	return cc_shared->inflight_locks[hash % CC_INFLIGHT_PARTITIONS];
}

static inline CCWaitBucket *
cc_bucket(uint32 hash)
{
	return &cc_buckets[hash & (cc_nbuckets - 1)];
}

/* Is process 'pid' gone?  Signal 0 probes without sending anything. */
static bool
cc_process_gone(int pid)
{
	return kill(pid, 0) != 0 && errno == ESRCH;
}

/*
 * Whether the process 'pid', or a member of the lock group it leads (its
 * parallel workers, which run the query when it is parallel), waits for a
 * heavyweight lock now.  waitLock is read without the lock protecting it:
 * a hint, good enough to stop waiting early.  The group's list is read
 * under its leader's lock manager partition lock, shared, as PostgreSQL
 * reads it; cannot fail.
 */
static bool
cc_waits_for_lock(int pid)
{
	PGPROC	   *proc = BackendPidGetProc(pid);
	LWLock	   *partition;
	dlist_iter	iter;
	bool		waits = false;

	if (proc == NULL)
		return false;
	if (((volatile PGPROC *) proc)->waitLock != NULL)
		return true;
	partition = LockHashPartitionLockByProc(proc);
	LWLockAcquire(partition, LW_SHARED);
	if (proc->lockGroupLeader == proc)
	{
		dlist_foreach(iter, &proc->lockGroupMembers)
		{
			PGPROC	   *member = dlist_container(PGPROC, lockGroupLink,
												 iter.cur);

			if (((volatile PGPROC *) member)->waitLock != NULL)
			{
				waits = true;
				break;
			}
		}
	}
	LWLockRelease(partition);
	return waits;
}

/*
 * Does a process wait for the lock of 'proclock' in a mode that conflicts
 * with a mode this backend holds it in?  (One that waits in a mode that
 * does not, behind DDL on a table this backend reads, say, does not wait
 * for this backend.)  Caller holds the lock's partition lock.
 */
static bool
cc_waited_for(const PROCLOCK *proclock)
{
	const LOCK *lock = proclock->tag.myLock;
	LockMethod	method;
	int			mode;

	if (lock->waitMask == 0)
		return false;
	method = GetLocksMethodTable(lock);
	for (mode = 1; mode <= method->numLockModes; mode++)
		if ((lock->waitMask & LOCKBIT_ON(mode)) &&
			(method->conflictTab[mode] & proclock->holdMask))
			return true;
	return false;
}

/*
 * Whether some process waits for a heavyweight lock this backend holds, in
 * a mode that conflicts with this backend's.
 * (A lock someone waits for is in the main lock table: a strong lock
 * request moves the fast-path ones there first.)  Takes the lock manager's
 * partition locks in shared mode, one at a time; cannot fail.
 */
static bool
cc_my_locks_have_waiters(void)
{
	bool		waiters = false;
	int			i;

	for (i = 0; i < NUM_LOCK_PARTITIONS && !waiters; i++)
	{
		LWLock	   *partition = LockHashPartitionLockByIndex(i);

#if PG_VERSION_NUM >= 160000
		dlist_iter	iter;

		LWLockAcquire(partition, LW_SHARED);
		dlist_foreach(iter, &MyProc->myProcLocks[i])
		{
			PROCLOCK   *proclock = dlist_container(PROCLOCK, procLink, iter.cur);

			if (cc_waited_for(proclock))
			{
				waiters = true;
				break;
			}
		}
#else
		SHM_QUEUE  *procLocks = &MyProc->myProcLocks[i];
		PROCLOCK   *proclock;

		LWLockAcquire(partition, LW_SHARED);
		proclock = (PROCLOCK *) SHMQueueNext(procLocks, procLocks,
											 offsetof(PROCLOCK, procLink));
		while (proclock != NULL)
		{
			if (cc_waited_for(proclock))
			{
				waiters = true;
				break;
			}
			proclock = (PROCLOCK *) SHMQueueNext(procLocks, &proclock->procLink,
												 offsetof(PROCLOCK, procLink));
		}
#endif
		LWLockRelease(partition);
	}
	return waiters;
}

/*
 * Join the fill of 'key'.  Returns CC_ROLE_LEADER (a new slot: run the
 * query, then cc_coalesce_finish()), CC_ROLE_WAITER (someone else runs it:
 * cc_coalesce_wait() with *fill_id) or CC_ROLE_ALONE (the table is full,
 * this backend already leads a fill, or is a parallel worker: run the
 * query without coalescing).
 */
CCFillRole
cc_coalesce_begin(const CCKey *key, uint64 *fill_id)
{
	uint32		hash = get_hash_value(cc_inflight, key);
	LWLock	   *lock = cc_partition_lock(hash);
	CCInflight *slot;
	bool		found;
	CCFillRole	role;

	/*
	 * One slot per backend: a miss reached while this backend leads a fill
	 * (cached_query() makes that a nested bypass, but fail safe) must not
	 * overwrite the slot it leads, nor wait for its own fill.
	 */
	if (cc_leading)
		return CC_ROLE_ALONE;

	/*
	 * Nor in a parallel worker: the locks its wait could close a cycle
	 * through are its group leader's, and the deadlock detector, which treats
	 * the group as one process, sees them only if it waits for a lock itself.
	 * (A second guard: both callers of cc_run_miss() bypass the cache in
	 * parallel mode first, cc_session_bypass_reason().)
	 */
	if (IsParallelWorker())
		return CC_ROLE_ALONE;

	/* a leader that exits (FATAL, terminated) must release its slot */
	cc_coalesce_register_exit();

	LWLockAcquire(lock, LW_EXCLUSIVE);
	slot = hash_search_with_hash_value(cc_inflight, key, hash,
									   HASH_ENTER_NULL, &found);
	if (slot == NULL)
		role = CC_ROLE_ALONE;
	else if (found)
	{
		*fill_id = slot->fill_id;
		role = CC_ROLE_WAITER;
	}
	else
	{
		slot->leader_pid = MyProcPid;
		slot->fill_id = pg_atomic_fetch_add_u64(&cc_shared->next_serial, 1);
		*fill_id = slot->fill_id;
		role = CC_ROLE_LEADER;
	}
	LWLockRelease(lock);

	if (role == CC_ROLE_LEADER)
	{
		cc_leading = true;
		cc_leading_key = *key;
		cc_leading_fill_id = *fill_id;
		cc_leading_hash = hash;
	}
	return role;
}

/*
 * The leader's fill ended with 'outcome': remove the slot, record the
 * outcome in the bucket and wake the waiters.  Safe to call more than once
 * and from error and exit paths (it only takes a partition lock).
 */
void
cc_coalesce_finish(CCFillOutcome outcome)
{
	LWLock	   *lock;
	CCInflight *slot;
	CCWaitBucket *bucket;

	if (!cc_leading)
		return;
	cc_leading = false;

	lock = cc_partition_lock(cc_leading_hash);
	bucket = cc_bucket(cc_leading_hash);

	LWLockAcquire(lock, LW_EXCLUSIVE);
	slot = hash_search_with_hash_value(cc_inflight, &cc_leading_key,
									   cc_leading_hash, HASH_FIND, NULL);
	/* a waiter may have taken the slot over if it thought we were gone */
	if (slot != NULL && slot->fill_id == cc_leading_fill_id)
		(void) hash_search_with_hash_value(cc_inflight, &cc_leading_key,
										   cc_leading_hash, HASH_REMOVE, NULL);
	bucket->last_fill_id = cc_leading_fill_id;
	bucket->last_outcome = outcome;
	LWLockRelease(lock);

	ConditionVariableBroadcast(&bucket->cv);
}

/*
 * Backend exit while leading (FATAL, pg_terminate_backend): let the
 * waiters go.
 */
static void
cc_coalesce_exit(int code, Datum arg)
{
	if (cc_leading && cc_inflight != NULL)
		cc_coalesce_finish(CC_FILL_FAILED);
}

/*
 * Wait for the fill '*fill_id' of 'key' to end, until 'deadline'.
 *
 * Returns the outcome, CC_WAIT_TIMEOUT (also once this call waited
 * deadlock_timeout while the leader waits for a lock and another process for
 * one of this backend's, or on a hot standby when the startup process waits
 * for a pin of this backend's: see the header comment), or CC_WAIT_TAKEOVER if
 * the leader vanished without cleaning up and this backend took the slot over
 * (it is the leader now, with a new *fill_id).  If a new fill of the key
 * started meanwhile (another waiter took over) this keeps waiting for that
 * one.  Honours query cancel and statement_timeout (the condition variable
 * sleep checks for interrupts).
 */
CCWaitResult
cc_coalesce_wait(const CCKey *key, uint64 *fill_id, TimestampTz deadline)
{
	uint32		hash = get_hash_value(cc_inflight, key);
	LWLock	   *lock = cc_partition_lock(hash);
	CCWaitBucket *bucket = cc_bucket(hash);
	CCWaitResult result;
	static uint32 wait_event = 0;
	uint32		event = CC_WAIT_EVENT(wait_event, "CascadeCacheCoalesce");
	TimestampTz began = GetCurrentTimestamp();
	TimestampTz next_look = began;	/* at the locks, for a cycle */
	int			look_ms = LockTimeout > 0 ?
		Min(DeadlockTimeout, LockTimeout) : DeadlockTimeout;

	ConditionVariablePrepareToSleep(&bucket->cv);
	for (;;)
	{
		CCInflight *slot;
		int			leader_pid = 0;
		bool		running = false;
		TimestampTz now;
		long		remaining_ms;

		LWLockAcquire(lock, LW_SHARED);
		slot = hash_search_with_hash_value(cc_inflight, key, hash,
										   HASH_FIND, NULL);
		if (slot != NULL)
		{
			/* a new fill may have replaced ours: wait for that one */
			*fill_id = slot->fill_id;
			leader_pid = slot->leader_pid;
			running = true;
		}
		else if (bucket->last_fill_id == *fill_id)
			result = (CCWaitResult) bucket->last_outcome;
		else
			result = CC_WAIT_UNKNOWN;	/* overwritten: start again */
		LWLockRelease(lock);

		if (!running)
			break;

		if (cc_process_gone(leader_pid))
		{
			/* the leader vanished without cleaning up: take over */
			LWLockAcquire(lock, LW_EXCLUSIVE);
			slot = hash_search_with_hash_value(cc_inflight, key, hash,
											   HASH_FIND, NULL);
			if (slot != NULL && slot->fill_id == *fill_id)
			{
				slot->leader_pid = MyProcPid;
				slot->fill_id = pg_atomic_fetch_add_u64(&cc_shared->next_serial, 1);
				*fill_id = slot->fill_id;
				cc_leading = true;
				cc_leading_key = *key;
				cc_leading_fill_id = *fill_id;
				cc_leading_hash = hash;
			}
			LWLockRelease(lock);
			if (cc_leading)
			{
				result = CC_WAIT_TAKEOVER;
				break;
			}
			continue;
		}

		now = GetCurrentTimestamp();
		if (now >= deadline ||
			(RecoveryInProgress() && HoldingBufferPinThatDelaysRecovery()))
		{
			result = CC_WAIT_TIMEOUT;
			break;
		}
		if (now >= next_look)
		{
			bool		past_deadlock = TimestampDifferenceExceeds(began, now,
																   DeadlockTimeout);
			bool		past_lock = LockTimeout > 0 &&
				TimestampDifferenceExceeds(began, now, LockTimeout);

			if ((past_deadlock || past_lock) &&
				cc_waits_for_lock(leader_pid) &&
				(past_lock || cc_my_locks_have_waiters()))
			{
				result = CC_WAIT_TIMEOUT;
				break;
			}
			if (past_deadlock || past_lock)
				next_look = TimestampTzPlusMilliseconds(now, look_ms);
			else
				next_look = TimestampTzPlusMilliseconds(began, look_ms);
		}
		remaining_ms = (long) ((deadline - now + 999) / 1000);
		(void) ConditionVariableTimedSleep(&bucket->cv,
										   Min(remaining_ms, CC_LEADER_CHECK_MS),
										   event);
	}
	ConditionVariableCancelSleep();
	return result;
}

/* Number of fills in flight now (approximate: read without locks). */
int64
cc_coalesce_inflight(void)
{
	return cc_inflight ? (int64) hash_get_num_entries(cc_inflight) : 0;
}
