/*-------------------------------------------------------------------------
 *
 * fence.h
 *		The generation fence: what keeps a fill that raced a commit out of
 *		the cache.  See fence.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_FENCE_H
#define CC_STORE_FENCE_H

/* Shared memory */
extern Size cc_fence_shmem_size(void);
extern void cc_fence_shmem_init(void);

/* Fills */
extern uint64 cc_fence_begin(void);
extern bool cc_fence_check(const uint64 *deps, int ndeps, uint64 s0,
						   bool named);

/* Invalidations run by this backend (commits, manual invalidations) */
extern void cc_fence_reserve(int nstripes);
extern void cc_fence_mark(const uint64 *deps, int ndeps);
extern void cc_fence_unmark(void);

/* Handing marks over: prepared transactions, standbys */
extern void cc_fence_held(int **stripes, int *nstripes);

/* Marks no backend holds (replayed transactions on a standby) */
extern int	cc_stripe_index(uint64 dep);
extern void cc_fence_hold_stripes(const int *stripes, int n);
extern void cc_fence_release_stripes(const int *stripes, int n);

#endif							/* CC_STORE_FENCE_H */
