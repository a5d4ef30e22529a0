/*-------------------------------------------------------------------------
 *
 * holds.h
 *		What keeps results from being stored for a while, as cache_holds()
 *		reports it: prepared transactions (src/xact/twophase_holds.c) and,
 *		on a hot standby, replayed transactions and the wait before the
 *		standby caches at all (src/xact/replay_holds.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_HOLDS_H
#define CC_XACT_HOLDS_H

#include "access/twophase.h"
#include "utils/timestamp.h"

/* What a hold keeps from being stored (cache_holds()'s scope) */
typedef enum CCHoldScope
{
	CC_HOLD_ROWS,				/* what the transaction changed */
	CC_HOLD_DATABASE,			/* every entry of its database */
	CC_HOLD_CLUSTER				/* every entry of every database */
} CCHoldScope;

/* Who holds (cache_holds()'s kind) */
typedef enum CCHoldKind
{
	CC_HOLD_RESTART,			/* a restart, until the prepared transactions
								 * are listed */
	CC_HOLD_PREPARED,			/* a prepared transaction */
	CC_HOLD_APPLY,				/* one a logical replication apply worker
								 * prepared (no GID of ours) */
	CC_HOLD_REPLAY,				/* a standby: a replayed transaction, until
								 * its end is replayed */
	CC_HOLD_STANDBY				/* a standby that does not cache yet */
} CCHoldKind;

/* Where the holder is (cache_holds()'s state) */
typedef enum CCHoldState
{
	CC_HOLD_PREPARING,			/* PREPARE TRANSACTION has not returned */
	CC_HOLD_HELD,				/* prepared, or a restart's listing to do */
	CC_HOLD_ENDED				/* ended: the next look releases it */
} CCHoldState;

/* One hold, as cc_twophase_holds() and cc_replica_holds() report it */
typedef struct CCHold
{
	CCHoldKind	kind;
	CCHoldScope scope;
	CCHoldState state;
	int			nstripes;		/* fence stripes held; -1: not by stripes (a
								 * standby that does not cache yet) */
	TransactionId xid;			/* Invalid for a restart's hold */
	Oid			dbid;			/* Invalid for a restart's hold */
	TimestampTz since;
	char		gid[GIDSIZE];	/* "" but for CC_HOLD_PREPARED */
} CCHold;

#endif							/* CC_XACT_HOLDS_H */
