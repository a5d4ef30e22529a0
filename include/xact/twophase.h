/*-------------------------------------------------------------------------
 *
 * twophase.h
 *		Invalidation across PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED
 *		(src/xact/twophase.c), and the report of what it holds
 *		(src/xact/twophase_holds.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_TWOPHASE_H
#define CC_XACT_TWOPHASE_H

#include "access/twophase.h"
#include "nodes/parsenodes.h"
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
	CC_HOLD_APPLY				/* one a logical replication apply worker
								 * prepared (no GID of ours) */
} CCHoldKind;

/* Where the holder is (cache_holds()'s state) */
typedef enum CCHoldState
{
	CC_HOLD_PREPARING,			/* PREPARE TRANSACTION has not returned */
	CC_HOLD_HELD,				/* prepared, or a restart's listing to do */
	CC_HOLD_ENDED				/* ended: the next look releases it */
} CCHoldState;

/* One hold, as cc_twophase_holds() reports it */
typedef struct CCHold
{
	CCHoldKind	kind;
	CCHoldScope scope;
	CCHoldState state;
	int			nstripes;		/* fence stripes held */
	TransactionId xid;			/* Invalid for a restart's hold */
	Oid			dbid;			/* Invalid for a restart's hold */
	TimestampTz since;
	char		gid[GIDSIZE];	/* "" but for CC_HOLD_PREPARED */
} CCHold;

extern Size cc_twophase_shmem_size(void);
extern void cc_twophase_shmem_init(void);
extern void cc_twophase_pre_prepare(void);
extern void cc_twophase_prepared(void);
extern void cc_twophase_abort(void);
extern void cc_twophase_before(TransactionStmt *stmt, bool is_top_level);
extern void cc_twophase_after(TransactionStmt *stmt);
extern void cc_twophase_before_fill(void);

/* twophase_holds.c */
extern int	cc_twophase_holds(CCHold **holds);

#endif							/* CC_XACT_TWOPHASE_H */
