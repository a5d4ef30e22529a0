/*-------------------------------------------------------------------------
 *
 * queue.h
 *		The recipe queue: fills that background runners are to make, for a
 *		warm restart (recipes of the entries hot before it) and for
 *		refresh-ahead (entries an invalidation removed that are to be
 *		recomputed right after its commit); and the runner slots.
 *
 * The queue is a fixed array of cascade_cache.recipe_queue items in
 * shared memory, under one LWLock (CCShared->queue_lock), each pointing at
 * a copy of its recipe in the store's DSA area.  Warm items may take at
 * most half of it, so that a warm restart never crowds out refreshes.  An
 * item is for one (database, session user): the runner connected as that
 * role in that database takes it (src/api/runner.c; a pair with a backlog
 * may have several).  A key is queued at most once; queuing it again only
 * moves its wait_xid on (and makes a refresh the newest).  Runners take a
 * pair's refreshes newest first, then its warm items oldest first (and a
 * warm item after three refreshes in a row); a refresh that finds the
 * queue full drops the oldest refresh (queue.c).
 *
 * Locking: every function takes and releases the queue lock itself, holds
 * it for a scan of the queue (times the runner slots, at most; a batch of
 * pushes, for one scan and its own size times its logarithm), allocates
 * and frees DSA memory only with it released, and never ERRORs with it
 * held.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_QUEUE_H
#define CC_STORE_QUEUE_H

#include "utils/timestamp.h"

#include "cascade_cache.h"

/* Runners that can run at once (the slots; cascade_cache.recipe_workers) */
#define CC_MAX_RUNNERS			32

/* Why an item was queued */
typedef enum CCRecipeKind
{
	CC_RECIPE_WARM = 0,			/* a warm restart's recipe */
	CC_RECIPE_REFRESH = 1		/* refresh-ahead after an invalidation */
} CCRecipeKind;

#define CC_NUM_RECIPE_KINDS		2

/* What cc_queue_push() came to */
typedef enum CCQueueResult
{
	CC_QUEUE_QUEUED,			/* a new item */
	CC_QUEUE_MERGED,			/* the key was queued already */
	CC_QUEUE_TOOK_OVER,			/* a refresh took over the key's warm item */
	CC_QUEUE_FULL				/* not queued: no room, or no memory */
} CCQueueResult;

/* One recipe to queue with cc_queue_push_many(), and what came of it */
typedef struct CCQueuePush
{
	CCKey		key;			/* the entry's key: key.dbid is the database */
	Oid			session_userid; /* the role the runner is to connect as */
	const char *recipe;
	uint32		recipe_len;
	CCQueueResult result;		/* set by cc_queue_push_many() */
} CCQueuePush;

/* An item taken off the queue (its recipe copied into local memory) */
typedef struct CCQueueItem
{
	CCRecipeKind kind;
	CCKey		key;			/* the entry's key: key.dbid is the database */
	Oid			session_userid; /* the role the runner connects as */
	TransactionId wait_xid;		/* run once this transaction has ended */
	TimestampTz queued_at;
	char	   *recipe;			/* palloc'd */
	uint32		recipe_len;
} CCQueueItem;

/* A (database, session user) with queued items: what a runner serves */
typedef struct CCQueueGroup
{
	Oid			dbid;
	Oid			session_userid;
	int			items;
	int			runners;		/* runner slots that serve it */
	TimestampTz served_at;		/* its last service (0: none remembered) */
} CCQueueGroup;

extern Size cc_queue_shmem_size(void);
extern void cc_queue_shmem_init(void);

extern CCQueueResult cc_queue_push(CCRecipeKind kind, const CCKey *key,
								   Oid session_userid, TransactionId wait_xid,
								   const char *recipe, uint32 recipe_len);
extern void cc_queue_push_many(CCRecipeKind kind, CCQueuePush *items, int n,
							   TransactionId wait_xid);
extern int	cc_queue_room(CCRecipeKind kind);
extern int	cc_queue_length(CCRecipeKind kind);
extern bool cc_queue_take(Oid dbid, Oid session_userid, int *refresh_streak,
						  CCQueueItem *item);
extern int	cc_queue_groups(CCQueueGroup *groups, int max, int *index);
extern void cc_queue_note_served(Oid dbid, Oid session_userid);
extern bool cc_queue_others_waiting(Oid dbid, Oid session_userid,
									bool if_no_slot);
extern int	cc_queue_drop_group(Oid dbid, Oid session_userid,
								int *dropped_by_kind);

extern int	cc_runner_attach(Oid dbid, Oid session_userid);
extern void cc_runner_connected(int slot);
extern void cc_runner_detach(int slot, bool failed);
extern bool cc_runner_take_failed(Oid *dbid, Oid *session_userid);
extern int	cc_runner_slots_in_use(const int *pids, int npids);
extern void cc_queue_set_runner_limit(int limit);
extern void cc_queue_set_launch_refused(bool refused);

#endif							/* CC_STORE_QUEUE_H */
