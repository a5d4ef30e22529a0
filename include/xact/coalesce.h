/*-------------------------------------------------------------------------
 *
 * coalesce.h
 *		Request coalescing: one fill per key, waiters share it (src/xact/coalesce.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_COALESCE_H
#define CC_XACT_COALESCE_H

#include "cascade_cache.h"
#include "utils/timestamp.h"

typedef enum CCFillRole
{
	CC_ROLE_LEADER,				/* run the query, then cc_coalesce_finish() */
	CC_ROLE_WAITER,				/* another backend runs it: wait */
	CC_ROLE_ALONE				/* no room to coalesce: run it alone */
} CCFillRole;

/* How a leader's fill ended, as its waiters see it */
typedef enum CCFillOutcome
{
	CC_FILL_STORED = 1,			/* the result is in the cache */
	CC_FILL_REFILL,				/* the fence refused it: start again */
	CC_FILL_UNSHAREABLE,		/* it may not be cached: run alone */
	CC_FILL_FAILED				/* the leader failed: start again */
} CCFillOutcome;

typedef enum CCWaitResult
{
	CC_WAIT_STORED = CC_FILL_STORED,
	CC_WAIT_REFILL = CC_FILL_REFILL,
	CC_WAIT_UNSHAREABLE = CC_FILL_UNSHAREABLE,
	CC_WAIT_FAILED = CC_FILL_FAILED,
	CC_WAIT_UNKNOWN,			/* outcome overwritten: start again */
	CC_WAIT_TIMEOUT,			/* coalesce_timeout passed, or the leader
								 * waits for a lock (see coalesce.c) */
	CC_WAIT_TAKEOVER			/* the leader vanished; we lead now */
} CCWaitResult;

extern Size cc_coalesce_shmem_size(void);
extern void cc_coalesce_shmem_init(void);
extern CCFillRole cc_coalesce_begin(const CCKey *key, uint64 *fill_id);
extern void cc_coalesce_finish(CCFillOutcome outcome);
extern CCWaitResult cc_coalesce_wait(const CCKey *key, uint64 *fill_id,
									 TimestampTz deadline);
extern int64 cc_coalesce_inflight(void);

#endif							/* CC_XACT_COALESCE_H */
