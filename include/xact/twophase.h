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

#include "xact/holds.h"

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
