/*-------------------------------------------------------------------------
 *
 * xact.h
 *		Commit-time invalidation: the transaction callbacks.  See xact.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_XACT_H
#define CC_XACT_XACT_H

extern void cc_invalidate_init(void);
extern uint64 cc_invalidate_now(const uint64 *deps, int ndeps,
								bool flush_db);

#endif							/* CC_XACT_XACT_H */
