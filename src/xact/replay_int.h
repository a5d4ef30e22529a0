/*-------------------------------------------------------------------------
 *
 * replay_int.h
 *		The replica slots of a hot standby, shared only by replay.c (which
 *		fills and releases them) and replay_holds.c (which reports them).
 *		Private to src/xact; include after replication_int.h.
 *
 * replay_holds.c calls nothing of replay.c but cc_replica_ready().  The
 * rules for the slots are replay.c's: no lock, a state moved by
 * compare-and-swap, and only the process that moved a slot out of FREE
 * or HELD writes it; a reader copies a HELD slot and checks that it is
 * still HELD for the same transaction afterwards.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_REPLAY_INT_H
#define CC_XACT_REPLAY_INT_H

#include "port/atomics.h"
#include "utils/timestamp.h"

#include "xact/holds.h"

/* The states of a replica slot; see replay.c's file header */
typedef enum CCReplicaSlotState
{
	CC_SLOT_FREE = 0,
	CC_SLOT_FILLING,			/* claimed, being written */
	CC_SLOT_HELD,				/* holds its stripes until xid ends */
	CC_SLOT_RELEASING			/* being released by one process */
} CCReplicaSlotState;

/* The marks of one transaction's invalidation, held until it ends */
typedef struct CCReplicaSlot
{
	pg_atomic_uint32 state;		/* CCReplicaSlotState */
	TransactionId xid;
	pg_atomic_uint64 ended_by;	/* once xid was seen ended in recovery: the
								 * end of the record then being replayed;
								 * InvalidXLogRecPtr before */
	Oid			dbid;			/* the record's database (cache_holds()) */
	CCHoldScope scope;			/* what the stripes stand for (ditto) */
	TimestampTz since;			/* when the slot began to hold (ditto) */
	int			nstripes;
	int			stripes[CC_REPLICA_MAX_STRIPES];
} CCReplicaSlot;

/* This module's shared memory */
typedef struct CCReplicaShared
{
	pg_atomic_uint32 held;		/* slots in state HELD (or going) */
	pg_atomic_uint32 primary_logs;	/* a record of ours was replayed */
	pg_atomic_uint32 ready;		/* and older transactions ended */
	pg_atomic_uint64 ready_at;	/* ... seen at this replay position */
	TransactionId horizon;		/* set by the startup process */
	TimestampTz redo_started;	/* when, for cache_holds(); 0 before */
	int			nslots;
	CCReplicaSlot slots[FLEXIBLE_ARRAY_MEMBER];
} CCReplicaShared;

extern CCReplicaShared *cc_replica;

#endif							/* CC_XACT_REPLAY_INT_H */
