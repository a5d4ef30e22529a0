/*-------------------------------------------------------------------------
 *
 * twophase_holds.c
 *		What the prepared transactions' slots hold, for cache_holds() and
 *		cache_health().
 *
 * A prepared transaction's slot (twophase.c) keeps the entries that depend
 * on what it changed from being stored until it has ended; one that
 * changed more than a slot holds, or a catalog every entry depends on,
 * holds its whole database or every database, and so does a transaction
 * left prepared across a restart.  That is correct and can last as long as
 * nobody finishes the transaction: the DBA needs to see it.  This file
 * copies the slots under prepared_lock in share mode (bounded by the
 * number of slots, nothing that can ERROR under it), then tests, with no
 * lock of ours held, whether each prepared transaction has ended (its xid
 * lock is free: the next fill's look releases its slot).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/lwlock.h"

#include "cascade_cache.h"
#include "base/shmem.h"
#include "xact/twophase.h"
#include "xact/twophase_int.h"

/*
 * Report the holds into a palloc'd array (*holds, NULL if none) and return
 * their number: the restart's own hold while the prepared transactions
 * have not been listed, then one per slot in use, being prepared, held or
 * ended.  Needs a transaction (the lock test).  May ERROR (out of memory,
 * out of shared memory for the lock test), with no lock of ours held.
 */
int
cc_twophase_holds(CCHold **holds)
{
	CCHold	   *h;
	int			n = 0;
	int			i;

	*holds = NULL;
	if (cc_twophase == NULL || cc_twophase->nslots == 0)
		return 0;
	h = palloc0(sizeof(CCHold) * (cc_twophase->nslots + 1));

	/* read first: the listing gives its slots before it ends this hold */
	if (pg_atomic_read_u32(&cc_twophase->restore) != CC_RESTORE_DONE)
	{
		h[n].kind = CC_HOLD_RESTART;
		h[n].scope = CC_HOLD_CLUSTER;
		h[n].state = CC_HOLD_HELD;
		h[n].nstripes = 1;
		h[n].xid = InvalidTransactionId;
		h[n].dbid = InvalidOid;
		h[n].since = cc_twophase->created;
		n++;
	}

	LWLockAcquire(cc_shared->prepared_lock, LW_SHARED);
	for (i = 0; i < cc_twophase->nslots; i++)
	{
		CCPreparedSlot *s = &cc_twophase->slots[i];

		if (!s->used)
			continue;
		h[n].kind = s->gid[0] == '\0' ? CC_HOLD_APPLY : CC_HOLD_PREPARED;
		h[n].scope = s->scope;
		h[n].state = s->ready ? CC_HOLD_HELD : CC_HOLD_PREPARING;
		h[n].nstripes = s->nstripes;
		h[n].xid = s->xid;
		h[n].dbid = s->dbid;
		h[n].since = s->since;
		memcpy(h[n].gid, s->gid, GIDSIZE);
		h[n].gid[GIDSIZE - 1] = '\0';
		n++;
	}
	LWLockRelease(cc_shared->prepared_lock);

	/* a prepared transaction holds its xid lock until it has ended */
	for (i = 0; i < n; i++)
		if (h[i].kind != CC_HOLD_RESTART && h[i].state == CC_HOLD_HELD &&
			cc_xid_lock_free(h[i].xid))
			h[i].state = CC_HOLD_ENDED;

	*holds = h;
	return n;
}
