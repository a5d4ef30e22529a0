/*-------------------------------------------------------------------------
 *
 * twophase_int.h
 *		The prepared transactions' slots, shared only by twophase.c (which
 *		fills and releases them) and twophase_holds.c (which reports them).
 *
 * twophase_holds.c calls twophase.c, never the other way round.  The
 * locking rules are twophase.c's: prepared_lock protects the slot array,
 * the counters are atomics read without it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_TWOPHASE_INT_H
#define CC_XACT_TWOPHASE_INT_H

#include "access/twophase.h"
#include "port/atomics.h"
#include "utils/timestamp.h"

#include "xact/twophase.h"

/*
 * Fence stripes a slot holds: a prepared transaction that marked more
 * holds its database's stripe (or the cluster's) instead
 */
#define CC_PREPARED_STRIPES		256

/* States of the listing of prepared transactions after a restart */
#define CC_RESTORE_NEEDED		0
#define CC_RESTORE_RUNNING		1
#define CC_RESTORE_DONE			2

/*
 * A prepared transaction's invalidation, held until its transaction has
 * ended and released its locks.
 */
typedef struct CCPreparedSlot
{
	bool		used;
	bool		ready;			/* the PREPARE completed (or restored) */
	bool		restored;		/* given by cc_twophase_restore() */
	CCHoldScope scope;			/* what the stripes stand for */
	int			nstripes;
	int			stripes[CC_PREPARED_STRIPES];	/* fence stripes held */
	TransactionId xid;			/* the prepared transaction */
	Oid			dbid;			/* its database */
	TimestampTz since;			/* when the slot began to hold */
	char		gid[GIDSIZE];
} CCPreparedSlot;

/* The slots, in fixed shared memory of their own, under prepared_lock */
typedef struct CCTwophaseShared
{
	pg_atomic_uint32 restore;	/* CC_RESTORE_*; NEEDED: the cluster's stripe
								 * is held (cc_twophase_shmem_init()) */
	pg_atomic_uint32 nready;	/* ready slots, read without the lock */
	pg_atomic_uint32 nrestored; /* restored ones among them */
	pg_atomic_uint64 last_reap; /* when a fill last looked (TimestampTz) */
	TimestampTz created;		/* when the shared memory was created */
	int			nslots;
	CCPreparedSlot slots[FLEXIBLE_ARRAY_MEMBER];
} CCTwophaseShared;

extern CCTwophaseShared *cc_twophase;

extern bool cc_xid_lock_free(TransactionId xid);

#endif							/* CC_XACT_TWOPHASE_INT_H */
