/*-------------------------------------------------------------------------
 *
 * guard.c
 *		Taking shared memory without failing the caller: the store's DSA
 *		allocations and dshash inserts, and the subtransaction that turns
 *		an error raised while taking memory into "no room".
 *
 * The area grows by new DSM segments, and the system can refuse one: a
 * /dev/shm smaller than cascade_cache.max_memory (a container's is 64 MB
 * unless configured), a segment file that cannot be created
 * (dynamic_shared_memory_type = mmap), too many segments.
 * DSA_ALLOC_NO_OOM covers the area's own size limit, not these:
 * dsa_allocate_extended() then raises ERROR, and dshash raises ERROR for
 * any lack of memory when it inserts an item or grows its bucket array
 * (PostgreSQL 15's dshash has no NO_OOM insert), with its partition locks
 * held.  A cache must not fail a read or a commit because it could not
 * keep a result or a recipe, so:
 *
 *	- every allocation and dshash insert of the store goes through
 *	  cc_area_allocate() / cc_area_insert(), which note that memory is
 *	  being taken;
 *	- the code that takes it runs under cc_area_guarded(): in a
 *	  subtransaction, where an ERROR raised while memory was being taken
 *	  rolls the subtransaction back (PostgreSQL releases the LWLocks DSA
 *	  or dshash held, as for any error), is logged (at most once a minute
 *	  in the server) and becomes "false"; any other ERROR (a cancel during
 *	  an eviction, say) is raised again.  The caller's abort callbacks
 *	  free what it had taken, so it records each allocation where they
 *	  find it as soon as it has it.
 *
 * Outside a transaction (a runner between two recipes) and in parallel
 * mode, where no subtransaction can start, the code runs unguarded, and
 * such an error is raised.  Rolling a subtransaction back at PRE_COMMIT of
 * an explicit transaction block is supported by PostgreSQL, but trips an
 * assertion at the end of PostgreSQL 15's
 * RollbackAndReleaseCurrentSubTransaction() (it expects no TBLOCK_END) in
 * assert-enabled builds; the audit's protected writes (audit_table.c) have
 * the same limit.
 *
 * State: one backend-local flag.  Locks: none of its own; the shared
 * time of the last log line is an atomic.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "store_int.h"

/* At most one log line about a refused segment per this many ms */
#define CC_SHORTAGE_LOG_MS		60000

/*
 * Memory is being taken (cc_area_allocate(), cc_area_insert()): an ERROR
 * raised now means the area could not give it
 */
static volatile bool cc_area_taking = false;

/*
 * dsa_allocate_extended() with DSA_ALLOC_NO_OOM added to 'flags': returns
 * InvalidDsaPointer when the area is at its size limit; raises ERROR when
 * the system refuses a new segment (see the header comment).
 */
dsa_pointer
cc_area_allocate(Size size, int flags)
{
	dsa_pointer dp;

	cc_area_taking = true;
	dp = dsa_allocate_extended(cc_area, size, flags | DSA_ALLOC_NO_OOM);
	cc_area_taking = false;
	return dp;
}

/*
 * dshash_find_or_insert(): returns the item, exclusively locked, as it
 * does; raises ERROR, with the partition lock held, when there is no room.
 */
void *
cc_area_insert(dshash_table *table, const void *key, bool *found)
{
	void	   *item;

	cc_area_taking = true;
	item = dshash_find_or_insert(table, key, found);
	cc_area_taking = false;
	return item;
}

/*
 * Log that the area could not take memory, at most once a minute in the
 * server.  Can ERROR only as ereport(LOG) can.
 */
static void
cc_area_log_shortage(ErrorData *edata)
{
	TimestampTz now = GetCurrentTimestamp();
	uint64		last = pg_atomic_read_u64(&cc_store_shared->shortage_logged_at);

	if (last != 0 &&
		!TimestampDifferenceExceeds((TimestampTz) last, now,
									CC_SHORTAGE_LOG_MS))
		return;
	if (!pg_atomic_compare_exchange_u64(&cc_store_shared->shortage_logged_at,
										&last, (uint64) now))
		return;					/* another backend logs it */
	ereport(LOG,
			(errcode(edata->sqlerrcode),
			 errmsg("cascade_cache could not take more shared memory: %s",
					edata->message),
			 errdetail("What did not fit was not cached; the cache goes on with the memory it has.  This is logged at most once a minute."),
			 errhint("Give the server more dynamic shared memory (/dev/shm; in a container, its shared memory size), or lower cascade_cache.max_memory to what it can have.")));
}

/*
 * Run fn(arg) so that a lack of shared memory cannot fail the caller (see
 * the header comment).  Returns true if fn returned; false if it raised an
 * ERROR while taking memory, which was logged and rolled back with its
 * subtransaction (fn's abort callbacks having freed what it took).  Any
 * other ERROR is raised again.  Can ERROR (starting the subtransaction,
 * and as fn can).
 */
bool
cc_area_guarded(void (*fn) (void *), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	cc_area_taking = false;
	if (!IsTransactionState() || IsInParallelMode())
	{
		fn(arg);
		return true;
	}

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		bool		taking = cc_area_taking;
		ErrorData  *edata;

		cc_area_taking = false;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (!taking)
			ReThrowError(edata);
		cc_area_log_shortage(edata);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}
