/*-------------------------------------------------------------------------
 *
 * queue.c
 *		The recipe queue and the runner slots (see include/store/queue.h).
 *
 * Items live in a fixed array in shared memory (cascade_cache.recipe_queue
 * of them); an item's recipe is a copy in the store's DSA area, accounted
 * like the entries, so that a full queue cannot take memory the budget does
 * not know about.  Every scan is over the fixed array, under the queue
 * lock: bounded by the setting.
 *
 * Order, among the items of one (database, session user): refreshes
 * first, newest first (by a sequence number), then warm items, oldest
 * (hottest) first; but a runner takes a warm item, if one waits, after
 * three refreshes in a row, so that a warm restart goes on under a stream
 * of refreshes.  A refresh is worth something only if it is done before
 * the entry's next read, which the newest one is the likeliest to be;
 * when the runners fall behind (the clients take the CPU), a queue taken
 * oldest first would only ever run refreshes that come too late.  For the
 * same reason a refresh makes room for itself in a full queue by dropping
 * the oldest refresh (counted, CC_STAT_REFRESH_DROPPED; the entry's next
 * read then misses, as it would without refresh-ahead).  The old
 * refreshes left when the runners catch up still run: the CPU is free
 * then.  There is no time limit: a commit that invalidates many entries
 * at once must not lose the last of them to the time the first ones take.
 * A refresh merged into a queued item makes it as new as itself.
 *
 * A runner slot says which (database, session user) a runner serves, its
 * process and whether it got connected: a runner that could not connect
 * (its role or database gone, or not allowed to log in) leaves its slot
 * FAILED, and the launcher then drops the group's items
 * (src/api/launcher.c).
 *
 * Locking: CCShared->queue_lock, exclusive, around every read or write of
 * the array or the slots; nothing that can ERROR or allocate runs under it
 * (DSA allocation and freeing, and palloc, happen before or after).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "access/transam.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/shmem.h"

#include "base/counters.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "store_int.h"
#include "store/queue.h"
#include "queue_int.h"

CCQueueShared *cc_queue = NULL;

/* Refreshes taken in a row before a waiting warm item gets its turn */
#define CC_QUEUE_REFRESH_STREAK	3

/* Size of the queue's shared memory.  Called from shmem_request_hook. */
Size
cc_queue_shmem_size(void)
{
	return add_size(offsetof(CCQueueShared, items),
					mul_size(cc_recipe_queue_size, sizeof(CCQueueSlot)));
}

/*
 * Create (in the postmaster) or find the queue.  Called from
 * shmem_startup_hook under AddinShmemInitLock.
 */
void
cc_queue_shmem_init(void)
{
	bool		found;

	cc_queue = ShmemInitStruct("cascade_cache queue", cc_queue_shmem_size(),
							   &found);
	if (found)
		return;
	memset(cc_queue, 0, cc_queue_shmem_size());
	cc_queue->capacity = cc_recipe_queue_size;
	cc_queue->runner_limit = CC_MAX_RUNNERS;
	cc_queue->next_seq = 1;
}

/* Room left for items of 'kind'.  Takes the queue lock. */
int
cc_queue_room(CCRecipeKind kind)
{
	int			room;

	LWLockAcquire(cc_shared->queue_lock, LW_SHARED);
	room = Min(cc_queue_limit(kind) - cc_queue->count[kind],
			   cc_queue->capacity - cc_queue->count[CC_RECIPE_WARM] -
			   cc_queue->count[CC_RECIPE_REFRESH]);
	LWLockRelease(cc_shared->queue_lock);
	return Max(room, 0);
}

/* Items of 'kind' queued now.  Takes the queue lock. */
int
cc_queue_length(CCRecipeKind kind)
{
	int			n;

	LWLockAcquire(cc_shared->queue_lock, LW_SHARED);
	n = cc_queue->count[kind];
	LWLockRelease(cc_shared->queue_lock);
	return n;
}

/*
 * Does the item in 'slot' go before the one of the same kind in 'best'
 * (NULL: none yet)?  Refreshes newest first, warm items oldest first.
 */
static inline bool
cc_queue_before(const CCQueueSlot *slot, const CCQueueSlot *best)
{
	if (best == NULL)
		return true;
	if (slot->kind == CC_RECIPE_REFRESH)
		return slot->seq > best->seq;
	return slot->seq < best->seq;
}

/*
 * Take the next item of (dbid, session_userid) off the queue into *item
 * (in the order the header comment gives), its recipe copied into local
 * memory.  Returns false if there is none.  *refresh_streak is the
 * caller's count of refreshes it took in a row (kept by the runner, which
 * serves one pair; at most CC_QUEUE_REFRESH_STREAK).  The copy is
 * allocated before the item is taken: can ERROR (out of memory) only with
 * nothing taken.
 */
bool
cc_queue_take(Oid dbid, Oid session_userid, int *refresh_streak,
			  CCQueueItem *item)
{
	CCQueueSlot taken = {0};
	int			best_of[CC_NUM_RECIPE_KINDS] = {-1, -1};
	int			best;
	char	   *copy;
	int			i;

	cc_attach();
	copy = palloc(Max(CC_MAX_RECIPE_BYTES, 1));

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < cc_queue->capacity; i++)
	{
		CCQueueSlot *slot = &cc_queue->items[i];
		int			b;

		if (!slot->used || slot->key.dbid != dbid ||
			slot->session_userid != session_userid)
			continue;
		b = best_of[slot->kind];
		if (cc_queue_before(slot, b < 0 ? NULL : &cc_queue->items[b]))
			best_of[slot->kind] = i;
	}

	/*
	 * Refreshes first, but a warm item after CC_QUEUE_REFRESH_STREAK
	 * refreshes in a row: a steady stream of refreshes must not keep a warm
	 * restart waiting for ever.
	 */
	best = best_of[CC_RECIPE_REFRESH];
	if (best_of[CC_RECIPE_WARM] >= 0 &&
		(best < 0 || *refresh_streak >= CC_QUEUE_REFRESH_STREAK))
		best = best_of[CC_RECIPE_WARM];
	if (best >= 0)
	{
		taken = cc_queue->items[best];
		cc_queue->items[best].used = false;
		cc_queue->count[taken.kind]--;
	}
	LWLockRelease(cc_shared->queue_lock);

	if (best < 0)
	{
		pfree(copy);
		return false;
	}

	if (taken.kind == CC_RECIPE_REFRESH)
		*refresh_streak = Min(*refresh_streak + 1, CC_QUEUE_REFRESH_STREAK);
	else
		*refresh_streak = 0;

	/* the item is ours now: copy its recipe and free it */
	memcpy(copy, dsa_get_address(cc_area, taken.recipe),
		   Min(taken.recipe_len, CC_MAX_RECIPE_BYTES));
	dsa_free(cc_area, taken.recipe);
	cc_account(-(int64) taken.accounted);

	item->kind = (CCRecipeKind) taken.kind;
	item->key = taken.key;
	item->session_userid = taken.session_userid;
	item->wait_xid = taken.wait_xid;
	item->queued_at = taken.queued_at;
	item->recipe = copy;
	item->recipe_len = Min(taken.recipe_len, CC_MAX_RECIPE_BYTES);
	return true;
}

/*
 * The (database, session user) pairs with queued items, at most 'max' of
 * them, into 'groups', in the order they are first found in the queue, with
 * how many items each has, how many runners serve it, and when it was last
 * served (cc_queue_note_served(); the launcher orders them by that).
 * 'index' is the caller's room for a hash of the pairs, 2 * max entries.
 * Returns how many.  Takes the queue lock; O(queue size + max * (runner
 * slots + CC_QUEUE_SERVED)).
 */
int
cc_queue_groups(CCQueueGroup *groups, int max, int *index)
{
	int			n = 0;
	int			i;
	int			j;
	int			size = 2 * max;

	for (i = 0; i < size; i++)
		index[i] = -1;
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < cc_queue->capacity; i++)
	{
		CCQueueSlot *slot = &cc_queue->items[i];
		uint32		h;

		if (!slot->used)
			continue;
		h = (hash_bytes_uint32(slot->key.dbid) ^
			 hash_bytes_uint32(slot->session_userid) * 31) % size;
		while (index[h] >= 0 &&
			   (groups[index[h]].dbid != slot->key.dbid ||
				groups[index[h]].session_userid != slot->session_userid))
			h = (h + 1) % size;
		if (index[h] < 0)
		{
			if (n == max)
				continue;
			index[h] = n;
			groups[n].dbid = slot->key.dbid;
			groups[n].session_userid = slot->session_userid;
			groups[n].items = 0;
			groups[n].runners = 0;
			n++;
		}
		groups[index[h]].items++;
	}
	for (j = 0; j < n; j++)
	{
		groups[j].served_at = 0;
		for (i = 0; i < cc_queue->nserved; i++)
			if (cc_queue->served[i].dbid == groups[j].dbid &&
				cc_queue->served[i].session_userid == groups[j].session_userid)
				groups[j].served_at = cc_queue->served[i].at;
	}
	for (j = 0; j < n; j++)
		for (i = 0; i < CC_MAX_RUNNERS; i++)
		{
			CCRunnerSlot *r = &cc_queue->runners[i];

			if ((r->state == CC_RUNNER_STARTING ||
				 r->state == CC_RUNNER_CONNECTED) &&
				r->dbid == groups[j].dbid &&
				r->session_userid == groups[j].session_userid)
				groups[j].runners++;
		}
	LWLockRelease(cc_shared->queue_lock);
	return n;
}

/*
 * Remove every item of (dbid, session_userid): no runner can serve them.
 * Adds how many of each kind to dropped_by_kind[] and returns the total.
 * Frees the recipes after releasing the lock.
 */
int
cc_queue_drop_group(Oid dbid, Oid session_userid, int *dropped_by_kind)
{
	dsa_pointer *recipes;
	Size		accounted = 0;
	int			n = 0;
	int			i;

	cc_attach();
	recipes = palloc(sizeof(dsa_pointer) * cc_queue->capacity);
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < cc_queue->capacity; i++)
	{
		CCQueueSlot *slot = &cc_queue->items[i];

		if (slot->used && slot->key.dbid == dbid &&
			slot->session_userid == session_userid)
		{
			slot->used = false;
			cc_queue->count[slot->kind]--;
			dropped_by_kind[slot->kind]++;
			recipes[n++] = slot->recipe;
			accounted += slot->accounted;
		}
	}
	LWLockRelease(cc_shared->queue_lock);
	for (i = 0; i < n; i++)
		dsa_free(cc_area, recipes[i]);
	cc_account(-(int64) accounted);
	pfree(recipes);
	return n;
}

/* ----------------------------------------------------------------
 * Runner slots
 * ----------------------------------------------------------------
 */

/*
 * Note that (dbid, session_userid) was served at 'at' (a runner of it
 * started or stopped); the pair served longest ago makes room if need be.
 * Caller holds the queue lock exclusively.
 */
static void
cc_queue_served(Oid dbid, Oid session_userid, TimestampTz at)
{
	int			slot = -1;
	int			i;

	for (i = 0; i < cc_queue->nserved && slot < 0; i++)
		if (cc_queue->served[i].dbid == dbid &&
			cc_queue->served[i].session_userid == session_userid)
			slot = i;
	if (slot < 0 && cc_queue->nserved < CC_QUEUE_SERVED)
		slot = cc_queue->nserved++;
	if (slot < 0)
	{
		slot = 0;
		for (i = 1; i < cc_queue->nserved; i++)
			if (cc_queue->served[i].at < cc_queue->served[slot].at)
				slot = i;
	}
	cc_queue->served[slot].dbid = dbid;
	cc_queue->served[slot].session_userid = session_userid;
	cc_queue->served[slot].at = at;
}

/*
 * The launcher started a runner for (dbid, session_userid): it is served
 * from now.  (A runner's stop is noted by cc_runner_detach().)  Takes the
 * queue lock.
 */
void
cc_queue_note_served(Oid dbid, Oid session_userid)
{
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	cc_queue_served(dbid, session_userid, now);
	LWLockRelease(cc_shared->queue_lock);
}

/*
 * Claim a slot for this process, about to connect as a runner of (dbid,
 * session_userid).  Returns its index, or -1 if no slot is free.
 */
int
cc_runner_attach(Oid dbid, Oid session_userid)
{
	int			found = -1;
	int			i;

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < CC_MAX_RUNNERS && found < 0; i++)
		if (cc_queue->runners[i].state == CC_RUNNER_FREE)
			found = i;
	if (found >= 0)
	{
		CCRunnerSlot *r = &cc_queue->runners[found];

		r->state = CC_RUNNER_STARTING;
		r->pid = MyProcPid;
		r->dbid = dbid;
		r->session_userid = session_userid;
		r->latch = MyLatch;
	}
	LWLockRelease(cc_shared->queue_lock);
	return found;
}

/* The runner in 'slot' is connected. */
void
cc_runner_connected(int slot)
{
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	cc_queue->runners[slot].state = CC_RUNNER_CONNECTED;
	LWLockRelease(cc_shared->queue_lock);
}

/*
 * The runner in 'slot' exits: its slot is free again, or FAILED if it
 * never connected and 'failed' (the launcher then drops its group's items
 * and frees the slot); its pair was served until now.  Called from an exit
 * callback: takes only the queue lock.
 */
void
cc_runner_detach(int slot, bool failed)
{
	CCRunnerSlot *r = &cc_queue->runners[slot];
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	cc_queue_served(r->dbid, r->session_userid, now);
	r->state = r->state == CC_RUNNER_STARTING && failed ?
		CC_RUNNER_FAILED : CC_RUNNER_FREE;
	r->pid = 0;
	r->latch = NULL;
	LWLockRelease(cc_shared->queue_lock);
}

/*
 * How many runner slots are taken (runners starting or connected),
 * whoever started them: a restarted background worker knows none of the
 * runners it started before.  Of the 'npids' processes in 'pids', those
 * that have no slot (started and not attached yet, or detached and not
 * stopped yet) are added, so that a runner is counted once from its
 * launch: 0 for "not started" counts as one without a slot.
 */
int
cc_runner_slots_in_use(const int *pids, int npids)
{
	int			n = 0;
	int			i;
	int			j;

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < CC_MAX_RUNNERS; i++)
		if (cc_queue->runners[i].state == CC_RUNNER_STARTING ||
			cc_queue->runners[i].state == CC_RUNNER_CONNECTED)
			n++;
	for (j = 0; j < npids; j++)
	{
		bool		attached = false;

		for (i = 0; i < CC_MAX_RUNNERS && !attached && pids[j] != 0; i++)
			attached = cc_queue->runners[i].pid == pids[j] &&
				(cc_queue->runners[i].state == CC_RUNNER_STARTING ||
				 cc_queue->runners[i].state == CC_RUNNER_CONNECTED);
		if (!attached)
			n++;
	}
	LWLockRelease(cc_shared->queue_lock);
	return n;
}

/*
 * Take one FAILED slot: its (database, session user) into *dbid and
 * *session_userid, and the slot is free again.  Returns false if there is
 * none.
 */
bool
cc_runner_take_failed(Oid *dbid, Oid *session_userid)
{
	bool		found = false;
	int			i;

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	for (i = 0; i < CC_MAX_RUNNERS && !found; i++)
	{
		CCRunnerSlot *r = &cc_queue->runners[i];

		if (r->state == CC_RUNNER_FAILED)
		{
			*dbid = r->dbid;
			*session_userid = r->session_userid;
			r->state = CC_RUNNER_FREE;
			found = true;
		}
	}
	LWLockRelease(cc_shared->queue_lock);
	return found;
}

/*
 * Are fills queued for a (database, session user) other than this one that
 * no runner serves?  A runner with nothing left to do then exits at once,
 * so that its slot goes to that pair; a busy one, after a share of its
 * pair's fills, if 'if_no_slot' and no runner can start for that pair:
 * every runner slot is taken, or the launcher's last start found no
 * background worker slot (max_worker_processes; otherwise the launcher
 * starts a runner for that pair in a free one).  Takes the queue lock;
 * O(queue size * runner slots).
 */
bool
cc_queue_others_waiting(Oid dbid, Oid session_userid, bool if_no_slot)
{
	bool		waiting = false;
	int			i;
	int			j;

	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	if (if_no_slot)
	{
		int			running = 0;

		for (j = 0; j < CC_MAX_RUNNERS; j++)
			if (cc_queue->runners[j].state == CC_RUNNER_STARTING ||
				cc_queue->runners[j].state == CC_RUNNER_CONNECTED)
				running++;
		if (running < cc_queue->runner_limit && !cc_queue->launch_refused)
		{
			LWLockRelease(cc_shared->queue_lock);
			return false;
		}
	}
	for (i = 0; i < cc_queue->capacity && !waiting; i++)
	{
		CCQueueSlot *slot = &cc_queue->items[i];
		bool		served = false;

		if (!slot->used ||
			(slot->key.dbid == dbid && slot->session_userid == session_userid))
			continue;
		for (j = 0; j < CC_MAX_RUNNERS && !served; j++)
		{
			CCRunnerSlot *r = &cc_queue->runners[j];

			served = (r->state == CC_RUNNER_STARTING ||
					  r->state == CC_RUNNER_CONNECTED) &&
				r->dbid == slot->key.dbid &&
				r->session_userid == slot->session_userid;
		}
		waiting = !served;
	}
	LWLockRelease(cc_shared->queue_lock);
	return waiting;
}

/*
 * Wake the runners of (dbid, session_userid); queue lock held.  Returns
 * how many serve the pair.
 */
int
cc_runner_wake_locked(Oid dbid, Oid session_userid, int *all_runners)
{
	int			n = 0;
	int			i;

	*all_runners = 0;
	for (i = 0; i < CC_MAX_RUNNERS; i++)
	{
		CCRunnerSlot *r = &cc_queue->runners[i];

		if (r->state != CC_RUNNER_STARTING && r->state != CC_RUNNER_CONNECTED)
			continue;
		(*all_runners)++;
		if (r->dbid == dbid && r->session_userid == session_userid)
		{
			if (r->latch != NULL)
				SetLatch(r->latch);
			n++;
		}
	}
	return n;
}

/*
 * The launcher's limit on runners (cascade_cache.recipe_workers), so that
 * cc_queue_push() wakes it only when it may start one.
 */
void
cc_queue_set_runner_limit(int limit)
{
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	cc_queue->runner_limit = limit;
	LWLockRelease(cc_shared->queue_lock);
}

/*
 * Whether the launcher's last start of a runner found no background worker
 * slot: busy runners then give theirs up to pairs that wait
 * (cc_queue_others_waiting()) even while fewer than recipe_workers run.
 */
void
cc_queue_set_launch_refused(bool refused)
{
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);
	cc_queue->launch_refused = refused;
	LWLockRelease(cc_shared->queue_lock);
}
