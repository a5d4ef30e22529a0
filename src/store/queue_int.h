/*-------------------------------------------------------------------------
 *
 * queue_int.h
 *		The recipe queue's shared memory, private to src/store/queue.c
 *		(the queue, its runner slots) and src/store/queue_push.c (queuing).
 *
 * The design and the locking rules are in include/store/queue.h and in
 * the header comment of queue.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_QUEUE_INT_H
#define CC_STORE_QUEUE_INT_H

#include "store/queue.h"
#include "utils/timestamp.h"

/* The states of a runner slot */
#define CC_RUNNER_FREE			0
#define CC_RUNNER_STARTING		1	/* attached, connecting */
#define CC_RUNNER_CONNECTED		2
#define CC_RUNNER_FAILED		3	/* exited before it connected */

typedef struct CCQueueSlot
{
	bool		used;
	uint8		kind;			/* CCRecipeKind */
	CCKey		key;
	Oid			session_userid;
	TransactionId wait_xid;
	TimestampTz queued_at;
	uint64		seq;			/* order of queuing */
	dsa_pointer recipe;
	uint32		recipe_len;
	Size		accounted;
} CCQueueSlot;

typedef struct CCRunnerSlot
{
	int			state;			/* CC_RUNNER_* */
	int			pid;
	Oid			dbid;
	Oid			session_userid;
	Latch	   *latch;
} CCRunnerSlot;

/*
 * When a (database, session user) was last served: a runner of it started
 * or stopped.  In shared memory, so that a restarted background worker
 * still knows who was served when.
 */
typedef struct CCQueueServed
{
	Oid			dbid;
	Oid			session_userid;
	TimestampTz at;
} CCQueueServed;

/* Pairs whose last service is remembered (the oldest is forgotten) */
#define CC_QUEUE_SERVED			64

typedef struct CCQueueShared
{
	int			capacity;
	int			runner_limit;	/* cascade_cache.recipe_workers, as the
								 * launcher last saw it */
	bool		launch_refused; /* the launcher's last start of a runner found
								 * no background worker slot */
	int			count[CC_NUM_RECIPE_KINDS];
	uint64		next_seq;
	CCRunnerSlot runners[CC_MAX_RUNNERS];
	int			nserved;
	CCQueueServed served[CC_QUEUE_SERVED];
	CCQueueSlot items[FLEXIBLE_ARRAY_MEMBER];
} CCQueueShared;

extern CCQueueShared *cc_queue;

/* How many items of 'kind' may be queued in all: warm gets half. */
static inline int
cc_queue_limit(CCRecipeKind kind)
{
	return kind == CC_RECIPE_WARM ? cc_queue->capacity / 2 : cc_queue->capacity;
}

extern int	cc_runner_wake_locked(Oid dbid, Oid session_userid,
								  int *all_runners);

#endif							/* CC_STORE_QUEUE_INT_H */
