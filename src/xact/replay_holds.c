/*-------------------------------------------------------------------------
 *
 * replay_holds.c
 *		What keeps a hot standby from storing results, for cache_holds()
 *		and cache_health(): the replica slots (replay.c), and the wait
 *		before the standby caches at all.
 *
 * A replayed invalidation holds its fence stripes in a replica slot until
 * its transaction's end has been replayed: for a transaction the primary
 * has prepared, as long as nobody finishes it there.  And a standby caches
 * nothing until it has replayed a record of ours and every transaction
 * that was running when its replay began has ended: a transaction left
 * prepared on the primary keeps a standby that (re)starts meanwhile from
 * caching at all.  Both are correct and can last: the DBA needs to see
 * them on the standby (whose pg_prepared_xacts does not list the prepared
 * transactions replay knows of: the primary's names them).
 *
 * Locking: none.  The slots are read as replay.c's rules allow (file
 * header of replay_int.h): a HELD slot is copied, then kept only if it is
 * still held for the same transaction.  What is reported may be a moment
 * old, as any statistics view is.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xlog.h"
#include "access/xlogdefs.h"
#include "storage/procarray.h"

#include "cascade_cache.h"
#include "xact/replication.h"

#include "replication_int.h"
#include "replay_int.h"

/* Is a slot in this state holding its stripes? */
static inline bool
cc_replica_slot_holds(uint32 state)
{
	return state == CC_SLOT_HELD || state == CC_SLOT_RELEASING;
}

/*
 * Report the holds into a palloc'd array (*holds, NULL if none) and return
 * their number: while this server is a standby that does not cache yet,
 * that wait (kind standby, scope cluster, no stripes; the oldest
 * transaction it waits for, if it waits for one, else none: it waits for
 * the primary's first record, or for replay to pass the end of the last
 * such transaction); then one per held replica slot (kind
 * replay; state ended once its transaction was seen ended and replay has
 * still to finish the record that ended it).  May ERROR (out of memory),
 * with no lock held.
 */
int
cc_replica_holds(CCHold **holds)
{
	CCHold	   *h;
	int			n = 0;
	int			i;

	*holds = NULL;
	if (cc_replica == NULL)
		return 0;
	h = palloc0(sizeof(CCHold) * (cc_replica->nslots + 1));

	if (RecoveryInProgress() && !cc_replica_ready())
	{
		TransactionId oldest;

		h[n].kind = CC_HOLD_STANDBY;
		h[n].scope = CC_HOLD_CLUSTER;
		h[n].state = CC_HOLD_HELD;
		h[n].nstripes = -1;
		h[n].xid = InvalidTransactionId;
		h[n].dbid = InvalidOid;
		h[n].since = cc_replica->redo_started;
		/* the oldest of the transactions it waits for, if any is left */
		oldest = GetOldestTransactionIdConsideredRunning();
		if (TransactionIdIsNormal(oldest) &&
			TransactionIdPrecedes(oldest, cc_replica->horizon))
			h[n].xid = oldest;
		n++;
	}

	if (pg_atomic_read_u32(&cc_replica->held) == 0)
	{
		*holds = h;
		return n;
	}
	for (i = 0; i < cc_replica->nslots; i++)
	{
		CCReplicaSlot *s = &cc_replica->slots[i];
		TransactionId xid;

		if (!cc_replica_slot_holds(pg_atomic_read_u32(&s->state)))
			continue;
		pg_read_barrier();
		xid = s->xid;
		h[n].kind = CC_HOLD_REPLAY;
		h[n].scope = s->scope;
		h[n].nstripes = s->nstripes;
		h[n].xid = xid;
		h[n].dbid = s->dbid;
		h[n].since = s->since;
		h[n].state =
			XLogRecPtrIsInvalid(pg_atomic_read_u64(&s->ended_by)) ?
			CC_HOLD_HELD : CC_HOLD_ENDED;
		/* released, and perhaps claimed again, while we copied: skip it */
		pg_read_barrier();
		if (!cc_replica_slot_holds(pg_atomic_read_u32(&s->state)) ||
			s->xid != xid)
			continue;
		n++;
	}
	*holds = h;
	return n;
}
