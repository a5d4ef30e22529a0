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
 *	  subtransaction, where an ERROR raised while memory was being taken,
 *	  if it says memory is lacking ("out of memory", or an error of
 *	  dsm.c), rolls the subtransaction back (PostgreSQL releases the
 *	  LWLocks DSA or dshash held, as for any error), is logged (at most
 *	  once a minute in the server) and becomes "false"; any other ERROR (a
 *	  cancel during an eviction, a can't-happen error of dsa.c) is raised
 *	  again.  The caller's abort callbacks
 *	  free what it had taken, so it records each allocation where they
 *	  find it as soon as it has it.
 *
 * After a refused segment the store evicts a tenth of the cache and tries
 * once more, as at max_memory: the pages that frees usually hold what did
 * not fit, and the cache goes on replacing entries at the system's limit.
 * Not for a request larger than a tenth of what the cache holds, which
 * evicting would not make room for.  A refused request of more than 8 kB
 * (its size) is also remembered for CC_REFUSED_BACKOFF_MS: each refused
 * request leaves a span descriptor of PostgreSQL 15's dsa.c behind, about
 * 80 bytes of the area, and a client asking for the same large result
 * again and again must not make it ask the system again and again.
 * Meanwhile a first try at least that large is refused at once (before
 * the store evicts for it); a try after eviction is not, and if it fits
 * the back-off ends.  (Smaller
 * requests are refused when their size class needs a new superblock: that
 * says nothing of other sizes, and evicting frees such chunks.)
 *
 * Outside a transaction (a runner between two recipes) and in parallel
 * mode, where no subtransaction can start, the code runs unguarded, and
 * such an error is raised.  The subtransaction is begun by
 * cc_subxact_begin(), so that it may be rolled back while an explicit
 * transaction block commits (src/base/subxact.c).
 *
 * State: backend-local flags: memory being taken (and how much), what the
 * last guarded call was refused, whether the back-off applies.  Locks:
 * none of their own; the time of the last log line and the last refusal
 * are atomics in the store's shared memory.
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
#include "base/subxact.h"

/* At most one log line about a refused segment per this many ms */
#define CC_SHORTAGE_LOG_MS		60000

/* How long a refused request size is refused at once */
#define CC_REFUSED_BACKOFF_MS	10000

/* Requests up to this size come from DSA's size classes (no back-off) */
#define CC_AREA_MAX_SMALL		8192

/*
 * Memory is being taken (cc_area_allocate(), cc_area_insert()): an ERROR
 * raised now means the area could not give it
 */
static volatile bool cc_area_taking = false;

/* ... and how much cc_area_allocate() asks for (0: a dshash insert) */
static volatile Size cc_area_taking_size = 0;

/* What the last cc_area_guarded() call was refused, if anything */
static CCAreaRefusal cc_area_refusal = CC_AREA_NOT_REFUSED;

/* The largest allocation made since the last cc_area_guarded() call began */
static Size cc_area_largest_taken = 0;

/*
 * cc_area_allocate() refuses at once what the back-off covers: set from
 * cc_area_backoff_next by each cc_area_guarded() call
 */
static bool cc_area_backoff_on = true;
static bool cc_area_backoff_next = true;

/*
 * Is a request of 'size' bytes covered by the back-off (see the header
 * comment)?  Cannot fail.
 */
static bool
cc_area_backing_off(Size size)
{
	uint64		refused_at;
	TimestampTz now;

	if (size <= CC_AREA_MAX_SMALL || !cc_area_backoff_on)
		return false;
	refused_at = pg_atomic_read_u64(&cc_store_shared->refused_at);
	if (likely(refused_at == 0))
		return false;
	pg_read_barrier();
	if (size < pg_atomic_read_u64(&cc_store_shared->refused_size))
		return false;
	now = GetCurrentTimestamp();
	/* a refusal in the future (the clock was set back) is over */
	return (TimestampTz) refused_at <= now &&
		!TimestampDifferenceExceeds((TimestampTz) refused_at, now,
									CC_REFUSED_BACKOFF_MS);
}

/*
 * dsa_allocate_extended() with DSA_ALLOC_NO_OOM added to 'flags': returns
 * InvalidDsaPointer when the area is at its size limit, or at once for a
 * size the back-off covers; raises ERROR when the system refuses a new
 * segment (see the header comment).
 */
dsa_pointer
cc_area_allocate(Size size, int flags)
{
	dsa_pointer dp;

	if (cc_area_backed_off(size))
		return InvalidDsaPointer;
	cc_area_taking_size = size;
	cc_area_taking = true;
	dp = dsa_allocate_extended(cc_area, size, flags | DSA_ALLOC_NO_OOM);
	cc_area_taking = false;
	if (DsaPointerIsValid(dp) && size > cc_area_largest_taken)
		cc_area_largest_taken = size;
	return dp;
}

/*
 * Would cc_area_allocate() refuse 'size' bytes at once, by the back-off?
 * Then cc_area_last_refusal() says so.  For a caller that would evict
 * before it allocates: evicting for a request that is refused anyway only
 * empties the cache.  Cannot fail.
 */
bool
cc_area_backed_off(Size size)
{
	if (!cc_area_backing_off(size))
		return false;
	cc_area_refusal = CC_AREA_BACKED_OFF;
	return true;
}

/*
 * dshash_find_or_insert(): returns the item, exclusively locked, as it
 * does; raises ERROR, with the partition lock held, when there is no room.
 */
void *
cc_area_insert(dshash_table *table, const void *key, bool *found)
{
	void	   *item;

	cc_area_taking_size = 0;
	cc_area_taking = true;
	item = dshash_find_or_insert(table, key, found);
	cc_area_taking = false;
	return item;
}

/*
 * The next cc_area_guarded() call is not refused by the back-off: the
 * store's try after evicting.  Cannot fail.
 */
void
cc_area_skip_backoff_once(void)
{
	cc_area_backoff_next = false;
}

/*
 * A try after evicting fitted: if the last guarded call allocated at least
 * the size whose refusal started the back-off, the back-off is over.  A
 * smaller success says nothing of that size, and a back-off started by
 * another refusal meanwhile (a new refused_at) stands.  Cannot fail.
 */
void
cc_area_backoff_end(void)
{
	uint64		refused_at = pg_atomic_read_u64(&cc_store_shared->refused_at);

	if (refused_at == 0)
		return;
	pg_read_barrier();
	if (cc_area_largest_taken < pg_atomic_read_u64(&cc_store_shared->refused_size))
		return;
	(void) pg_atomic_compare_exchange_u64(&cc_store_shared->refused_at,
										  &refused_at, 0);
}

/*
 * Is 'edata' the area failing to take memory: an "out of memory" (dshash,
 * or dsa.c beyond DSA_ALLOC_NO_OOM), or an ERROR of dsm.c or dsm_impl.c (a
 * refused segment: no space, too many segments, a file that cannot be
 * created; their functions' names, which no translation changes, begin
 * "dsm_")?  Anything else raised while memory was taken (a can't-happen
 * elog of dsa.c or dshash.c) is not a lack of room and is raised again.
 */
static bool
cc_area_is_shortage(ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
		(edata->funcname != NULL && strncmp(edata->funcname, "dsm_", 4) == 0);
}

/*
 * Note that the area could not take memory ('size' bytes asked, 0 for a
 * dshash insert): remember a refused segment's request (see the header
 * comment), and log it, at most once a minute in the server.  A refused
 * segment is an ERROR raised in dsm.c or dsm_impl.c (its function's name,
 * which no translation changes, begins "dsm_"); anything else ("out of
 * memory" of a dshash insert at the area's size limit) is the cache at
 * cascade_cache.max_memory.  Can ERROR only as ereport(LOG) can.
 */
static void
cc_area_note_shortage(ErrorData *edata, Size size)
{
	TimestampTz now = GetCurrentTimestamp();
	uint64		last = pg_atomic_read_u64(&cc_store_shared->shortage_logged_at);
	bool		segment = edata->funcname != NULL &&
		strncmp(edata->funcname, "dsm_", 4) == 0;

	cc_area_refusal = segment ? CC_AREA_REFUSED : CC_AREA_AT_LIMIT;
	if (segment && size > CC_AREA_MAX_SMALL)
	{
		pg_atomic_write_u64(&cc_store_shared->refused_size, size);
		pg_write_barrier();
		pg_atomic_write_u64(&cc_store_shared->refused_at, (uint64) now);
	}

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
			 segment ?
			 errhint("Give the server more dynamic shared memory (/dev/shm; in a container, its shared memory size), or lower cascade_cache.max_memory to what it can have.") :
			 errhint("The cache is at cascade_cache.max_memory.")));
}

/*
 * Run fn(arg) so that a lack of shared memory cannot fail the caller (see the
 * header comment).  Returns true if fn returned; false if it raised an ERROR
 * while taking memory, which was logged and rolled back with its
 * subtransaction (fn's abort callbacks having freed what it took).  Any other
 * ERROR, and an ERROR raised while taking memory that is not a lack of it
 * (cc_area_is_shortage()), is raised again.  cc_area_last_refusal() then says
 * what was refused, if anything (an allocation can also fail without an
 * ERROR).  The caller holds no LWLock (rolling the subtransaction back
 * releases them all).  Can ERROR (starting the subtransaction, and as fn can).
 */
bool
cc_area_guarded(void (*fn) (void *), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	uint32		holdoff = InterruptHoldoffCount;
	uint32		cancel_holdoff = QueryCancelHoldoffCount;
	volatile bool ok = true;
	int			levels;

	cc_area_taking = false;
	cc_area_refusal = CC_AREA_NOT_REFUSED;
	cc_area_largest_taken = 0;
	cc_area_backoff_on = cc_area_backoff_next;
	cc_area_backoff_next = true;
	if (!IsTransactionState() || IsInParallelMode())
	{
		fn(arg);
		return true;
	}

	levels = cc_subxact_begin();
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		bool		taking = cc_area_taking;
		Size		size = cc_area_taking_size;
		ErrorData  *edata;

		cc_area_taking = false;
		edata = cc_subxact_abandon(oldcxt, oldowner, levels);
		if (!taking || !cc_area_is_shortage(edata))
			ReThrowError(edata);
		/* errfinish() zeroed these for the error this swallows */
		InterruptHoldoffCount = holdoff;
		QueryCancelHoldoffCount = cancel_holdoff;
		cc_area_note_shortage(edata, size);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	if (ok)
	{
		cc_subxact_end(levels);
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	return ok;
}

/* What the last cc_area_guarded() call was refused.  Cannot fail. */
CCAreaRefusal
cc_area_last_refusal(void)
{
	return cc_area_refusal;
}
