/*-------------------------------------------------------------------------
 *
 * twophase.h
 *		Invalidation across PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED (src/xact/twophase.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_TWOPHASE_H
#define CC_XACT_TWOPHASE_H

#include "nodes/parsenodes.h"

extern Size cc_twophase_shmem_size(void);
extern void cc_twophase_shmem_init(void);
extern void cc_twophase_pre_prepare(void);
extern void cc_twophase_prepared(void);
extern void cc_twophase_abort(void);
extern void cc_twophase_before(TransactionStmt *stmt, bool is_top_level);
extern void cc_twophase_after(TransactionStmt *stmt);
extern void cc_twophase_before_fill(void);

#endif							/* CC_XACT_TWOPHASE_H */
