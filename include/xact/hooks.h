/*-------------------------------------------------------------------------
 *
 * hooks.h
 *		The executor and utility hooks.  See hooks.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_HOOKS_H
#define CC_XACT_HOOKS_H

extern void cc_hooks_init(void);
extern uint64 cc_executor_starts(void);

#endif							/* CC_XACT_HOOKS_H */
