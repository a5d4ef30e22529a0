/*-------------------------------------------------------------------------
 *
 * queue_push.c
 *		Queuing recipes: one, or all those a commit collected, in one scan
 *		of the queue.
 *
 * Every push looks through the whole queue under the queue lock: for the
 * key already queued (which is not queued twice), for free slots, and,
 * for a refresh that finds the queue full, for the oldest refresh to drop.
 * A commit that removes many entries with refresh-ahead on queues them
 * all at PRE_COMMIT, while its client waits; one scan per recipe made that
 * quadratic in the queue's size (with recipe_queue at its maximum, 65,536,
 * a commit queuing 20,000 refreshes took seconds).  cc_queue_push_many()
 * queues a batch in one scan: it finds the batch's keys through a hash
 * table in local memory, collects as many free slots as the batch may
 * need, and keeps the oldest refreshes the batch may have to drop in a
 * bounded max-heap, so the lock is held for O(queue + batch * log batch).
 * As with pushing the recipes one by one, a key queued already is merged
 * (and a refresh becomes the newest), a key twice in the batch is queued
 * once, and a refresh that finds no free slot takes the place of the
 * oldest refresh, which is dropped and counted; the counts are the same.
 * Unlike it, the batch never drops one of its own (an item it queued or
 * merged into): when it brings more than the free slots and the older
 * refreshes can take, its last recipes are not queued (CC_QUEUE_FULL),
 * where one by one the later ones would have dropped the earlier.  (A
 * commit collects at most as many as the queue holds, so that takes a
 * queue held by warm items or by the batch's merges.)  All the copies are
 * made before the lock, so a batch accounts, for an instant, the recipes
 * it ends up merging or not queuing too: at most what the commit
 * collected.  They are made under cc_area_guarded() (guard.c): a commit
 * whose copies need a new DSM segment that the system refuses (a full
 * /dev/shm) queues those it copied before and drops the rest, counted,
 * instead of failing.
 *
 * Locking: CCShared->queue_lock, exclusive, for the scan and the changes;
 * the local memory, the DSA copies of the recipes and their accounting are
 * taken before it and given back after it.  Nothing under it can ERROR.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include "base/counters.h"
#include "base/shmem.h"
#include "store_int.h"
#include "store/queue.h"
#include "queue_int.h"

/* The (database, session user) pairs of one batch that count their items */
#define CC_PUSH_PAIRS			8

typedef struct CCPushPair
{
	Oid			dbid;
	Oid			session_userid;
	int			waiting;		/* its items in the queue, as the batch leaves
								 * it */
	bool		queued;			/* the batch queued one of its items */
	bool		woken;			/* its runners were woken */
	int			runners;		/* how many serve it, once woken */
	int			all_runners;	/* how many run in all, once woken */
} CCPushPair;

/* A refresh queued before the batch, a candidate to be dropped for it */
typedef struct CCPushOld
{
	uint64		seq;
	int			slot;
} CCPushOld;

/* What the batch keeps per recipe, besides the caller's CCQueuePush */
typedef struct CCPushCopy
{
	dsa_pointer dp;				/* its copy, or InvalidDsaPointer */
	Size		accounted;
	int			first;			/* the batch's first recipe of its key */
	int			pair;			/* index in the pairs, or -1 */
} CCPushCopy;

/* Step 1 of a batch, cc_push_copy(): what it is given and fills in */
typedef struct CCPushCopying
{
	CCQueuePush *items;
	CCPushCopy *copies;
	int			n;
	int		   *hash;
	int			hash_size;
	CCPushPair *pairs;
	int			npairs;
} CCPushCopying;

static inline uint32
cc_push_hash(const CCKey *key)
{
	return (uint32) (key->h1 ^ (key->h1 >> 32) ^ key->h2 ^ key->dbid);
}

/* Sift 'heap[i]' down a max-heap of 'n' refreshes, by seq */
static void
cc_push_sift_down(CCPushOld *heap, int n, int i)
{
	for (;;)
	{
		int			largest = i;
		int			l = 2 * i + 1;
		int			r = l + 1;
		CCPushOld	tmp;

		if (l < n && heap[l].seq > heap[largest].seq)
			largest = l;
		if (r < n && heap[r].seq > heap[largest].seq)
			largest = r;
		if (largest == i)
			return;
		tmp = heap[i];
		heap[i] = heap[largest];
		heap[largest] = tmp;
		i = largest;
	}
}

/* Keep 'old' if it is among the 'max' oldest seen (a max-heap of them) */
static void
cc_push_keep_oldest(CCPushOld *heap, int *n, int max, CCPushOld old)
{
	int			i;

	if (*n < max)
	{
		/* sift up */
		i = (*n)++;
		heap[i] = old;
		while (i > 0 && heap[(i - 1) / 2].seq < heap[i].seq)
		{
			CCPushOld	tmp = heap[i];

			heap[i] = heap[(i - 1) / 2];
			heap[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
	}
	else if (max > 0 && old.seq < heap[0].seq)
	{
		heap[0] = old;
		cc_push_sift_down(heap, *n, 0);
	}
}

static int
cc_push_old_cmp(const void *a, const void *b)
{
	uint64		sa = ((const CCPushOld *) a)->seq;
	uint64		sb = ((const CCPushOld *) b)->seq;

	return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/*
 * Step 1 of a batch: copy the recipes into the area, and account them
 * before any can be taken (a runner un-accounts an item as soon as it has
 * it); put the keys into the hash table, a key twice in the batch once;
 * note the pairs that count.  A recipe is copied once it is in the hash
 * table with its copy recorded, so that if taking memory raises ERROR
 * (under cc_area_guarded()) what was copied is queued as usual, and the
 * rest, left without a copy, is not.  The caller set every copy to none.
 */
static void
cc_push_copy(void *arg)
{
	CCPushCopying *c = (CCPushCopying *) arg;
	int			i;

	for (i = 0; i < c->n; i++)
	{
		CCQueuePush *item = &c->items[i];
		CCPushCopy *copy = &c->copies[i];
		dsa_pointer dp;
		uint32		h;
		int			p;

		if (item->recipe_len == 0 || item->recipe_len > CC_MAX_RECIPE_BYTES)
			continue;

		for (h = cc_push_hash(&item->key) & (c->hash_size - 1);
			 c->hash[h] >= 0;
			 h = (h + 1) & (c->hash_size - 1))
		{
			if (memcmp(&c->items[c->hash[h]].key, &item->key,
					   sizeof(CCKey)) == 0)
			{
				copy->first = c->hash[h];
				break;
			}
		}
		if (copy->first != i)
			continue;			/* queued (or not) with its first */

		dp = cc_area_allocate(item->recipe_len, 0);
		if (!DsaPointerIsValid(dp))
			continue;
		memcpy(dsa_get_address(cc_area, dp), item->recipe, item->recipe_len);
		copy->accounted = cc_chunk_size(item->recipe_len);
		cc_account((int64) copy->accounted);
		copy->dp = dp;
		c->hash[h] = i;

		for (p = 0; p < c->npairs; p++)
			if (c->pairs[p].dbid == item->key.dbid &&
				c->pairs[p].session_userid == item->session_userid)
				break;
		if (p == c->npairs && c->npairs < CC_PUSH_PAIRS)
		{
			CCPushPair *pair = &c->pairs[p];

			pair->dbid = item->key.dbid;
			pair->session_userid = item->session_userid;
			pair->waiting = 0;
			pair->queued = false;
			pair->woken = false;
			pair->runners = 0;
			pair->all_runners = 0;
			c->npairs++;
		}
		copy->pair = p < c->npairs ? p : -1;
	}
}

/*
 * Queue copies of the 'n' recipes in 'items' as items of 'kind', each for
 * a runner of (key.dbid, session_userid), to run once 'wait_xid' (if
 * valid) has ended; sets each one's result (include/store/queue.h).  A
 * refresh that finds the queue full drops the oldest refresh queued
 * before the batch (counted, CC_STAT_REFRESH_DROPPED); one that finds none
 * to drop is not queued (CC_QUEUE_FULL), nor is a recipe the area had no
 * memory for (or for which the system refused a new segment), or the
 * batch when the local memory for it is lacking.  Raises ERROR only in
 * cc_attach() (attaching the area) and in starting the subtransaction of
 * the copies, and, outside a transaction or in parallel mode, when the
 * system refuses the area a new segment; usable at PRE_COMMIT.
 */
void
cc_queue_push_many(CCRecipeKind kind, CCQueuePush *items, int n,
				   TransactionId wait_xid)
{
	char	   *local;
	CCPushCopy *copies;
	int		   *hash;
	int			hash_size = 1;
	int		   *free_slots;
	int			nfree = 0;
	int			used_free = 0;
	CCPushOld  *oldest;
	int			noldest = 0;
	int			used_oldest = 0;
	CCQueueSlot *dropped;
	int			ndropped = 0;
	CCPushPair	pairs[CC_PUSH_PAIRS];
	int			npairs;
	CCPushCopying copying;
	bool		wake_worker = false;
	int			runner_limit;
	TimestampTz now;
	int			i;
	int			s;

	for (i = 0; i < n; i++)
		items[i].result = CC_QUEUE_FULL;
	if (n <= 0)
		return;
	cc_attach();
	while (hash_size < 2 * n)
		hash_size <<= 1;

	/* the batch's local arrays, in one allocation */
	local = MemoryContextAllocExtended(CurrentMemoryContext,
									   MAXALIGN(sizeof(CCPushCopy) * n) +
									   MAXALIGN(sizeof(CCPushOld) * n) +
									   MAXALIGN(sizeof(CCQueueSlot) * n) +
									   MAXALIGN(sizeof(int) * hash_size) +
									   sizeof(int) * n,
									   MCXT_ALLOC_NO_OOM);
	if (local == NULL)
		return;					/* every item stays CC_QUEUE_FULL */
	copies = (CCPushCopy *) local;
	oldest = (CCPushOld *) ((char *) copies + MAXALIGN(sizeof(CCPushCopy) * n));
	dropped = (CCQueueSlot *) ((char *) oldest + MAXALIGN(sizeof(CCPushOld) * n));
	hash = (int *) ((char *) dropped + MAXALIGN(sizeof(CCQueueSlot) * n));
	free_slots = (int *) ((char *) hash + MAXALIGN(sizeof(int) * hash_size));

	/*
	 * 1. Copies of the recipes (cc_push_copy()), in a subtransaction where
	 * one is possible: should the system refuse the area a new segment, the
	 * recipes copied so far are queued and the rest are not, and the commit
	 * that queues them goes on.
	 */
	for (i = 0; i < n; i++)
	{
		copies[i].dp = InvalidDsaPointer;
		copies[i].accounted = 0;
		copies[i].first = i;
		copies[i].pair = -1;
	}
	memset(hash, -1, sizeof(int) * hash_size);
	copying.items = items;
	copying.copies = copies;
	copying.n = n;
	copying.hash = hash;
	copying.hash_size = hash_size;
	copying.pairs = pairs;
	copying.npairs = 0;
	(void) cc_area_guarded(cc_push_copy, &copying);
	npairs = copying.npairs;

	now = GetCurrentTimestamp();
	LWLockAcquire(cc_shared->queue_lock, LW_EXCLUSIVE);

	/*
	 * 2. One scan: merge the keys queued already, and note free slots and the
	 * oldest refreshes, as many as the batch may need.
	 */
	for (s = 0; s < cc_queue->capacity; s++)
	{
		CCQueueSlot *slot = &cc_queue->items[s];
		uint32		h;
		int			p;
		bool		merged = false;

		if (!slot->used)
		{
			if (nfree < n)
				free_slots[nfree++] = s;
			continue;
		}
		for (p = 0; p < npairs; p++)
			if (slot->key.dbid == pairs[p].dbid &&
				slot->session_userid == pairs[p].session_userid)
				pairs[p].waiting++;

		for (h = cc_push_hash(&slot->key) & (hash_size - 1);
			 hash[h] >= 0;
			 h = (h + 1) & (hash_size - 1))
		{
			CCQueuePush *item = &items[hash[h]];

			if (memcmp(&item->key, &slot->key, sizeof(CCKey)) != 0)
				continue;
			item->result = CC_QUEUE_MERGED;
			/* a refresh keeps its retries when it meets a warm item */
			if (kind == CC_RECIPE_REFRESH && slot->kind == CC_RECIPE_WARM)
			{
				cc_queue->count[CC_RECIPE_WARM]--;
				cc_queue->count[CC_RECIPE_REFRESH]++;
				slot->kind = (uint8) CC_RECIPE_REFRESH;
				item->result = CC_QUEUE_TOOK_OVER;
			}
			if (kind == CC_RECIPE_REFRESH)
				slot->seq = cc_queue->next_seq++;
			/* queued already: run it after the later transaction too */
			if (TransactionIdIsValid(wait_xid) &&
				(!TransactionIdIsValid(slot->wait_xid) ||
				 TransactionIdFollows(wait_xid, slot->wait_xid)))
				slot->wait_xid = wait_xid;
			merged = true;
			break;
		}

		/* one the batch merged into is its own: never dropped for it */
		if (kind == CC_RECIPE_REFRESH && slot->kind == CC_RECIPE_REFRESH &&
			!merged)
		{
			CCPushOld	old = {slot->seq, s};

			cc_push_keep_oldest(oldest, &noldest, n, old);
		}
	}
	/* the candidates to drop, oldest first */
	qsort(oldest, noldest, sizeof(CCPushOld), cc_push_old_cmp);

	/*
	 * 3. The batch's new keys, in its order: into a free slot, or, for a
	 * refresh, into the place of the oldest refresh queued before it.
	 */
	for (i = 0; i < n; i++)
	{
		CCQueuePush *item = &items[i];
		CCQueueSlot *slot;
		int			free_slot = -1;

		if (copies[i].first != i || !DsaPointerIsValid(copies[i].dp) ||
			item->result != CC_QUEUE_FULL)
			continue;
		if (used_free < nfree &&
			cc_queue->count[CC_RECIPE_WARM] + cc_queue->count[CC_RECIPE_REFRESH] <
			cc_queue->capacity &&
			cc_queue->count[kind] < cc_queue_limit(kind))
			free_slot = free_slots[used_free++];
		else if (kind == CC_RECIPE_REFRESH && used_oldest < noldest)
		{
			/* full: a refresh drops the oldest refresh to make room */
			free_slot = oldest[used_oldest++].slot;
			dropped[ndropped] = cc_queue->items[free_slot];
			if (copies[i].pair >= 0 &&
				dropped[ndropped].key.dbid == item->key.dbid &&
				dropped[ndropped].session_userid == item->session_userid)
				pairs[copies[i].pair].waiting--;
			ndropped++;
			cc_queue->items[free_slot].used = false;
			cc_queue->count[CC_RECIPE_REFRESH]--;
		}
		else
			continue;

		slot = &cc_queue->items[free_slot];
		slot->used = true;
		slot->kind = (uint8) kind;
		slot->key = item->key;
		slot->session_userid = item->session_userid;
		slot->wait_xid = wait_xid;
		slot->queued_at = now;
		slot->seq = cc_queue->next_seq++;
		slot->recipe = copies[i].dp;
		slot->recipe_len = item->recipe_len;
		slot->accounted = copies[i].accounted;
		cc_queue->count[kind]++;
		item->result = CC_QUEUE_QUEUED;
		if (copies[i].pair >= 0)
		{
			pairs[copies[i].pair].waiting++;
			pairs[copies[i].pair].queued = true;
		}
	}

	/* 4. Wake the runners of the pairs that got work */
	for (i = 0; i < n; i++)
	{
		CCQueuePush *item = &items[i];
		int			all_runners;
		int			runners;

		if (copies[i].first != i || item->result == CC_QUEUE_FULL)
			continue;
		if (copies[i].pair >= 0)
		{
			CCPushPair *pair = &pairs[copies[i].pair];

			if (!pair->woken)
			{
				pair->runners = cc_runner_wake_locked(pair->dbid,
													  pair->session_userid,
													  &pair->all_runners);
				pair->woken = true;
			}
			continue;
		}
		runners = cc_runner_wake_locked(item->key.dbid, item->session_userid,
										&all_runners);
		/* a pair the batch does not count: let the worker judge */
		if (item->result == CC_QUEUE_QUEUED &&
			(runners == 0 || all_runners < cc_queue->runner_limit))
			wake_worker = true;
	}
	runner_limit = cc_queue->runner_limit;
	LWLockRelease(cc_shared->queue_lock);

	/*
	 * No runner serves a pair yet, or its runners fall behind and another may
	 * start: the background worker launches one (or more, see launcher.c).
	 * Not once per push while every runner runs: the worker's round of upkeep
	 * would take CPU from the runners.
	 */
	for (i = 0; i < npairs; i++)
		if (pairs[i].queued &&
			(pairs[i].runners == 0 ||
			 (pairs[i].waiting > 2 * pairs[i].runners &&
			  pairs[i].all_runners < runner_limit)))
			wake_worker = true;
	if (wake_worker)
		cc_wake_worker();

	/* 5. Give back what was not queued, and what was dropped for the batch */
	for (i = 0; i < n; i++)
	{
		if (copies[i].first != i)
		{
			/* a key twice in the batch goes as its first did */
			items[i].result = items[copies[i].first].result == CC_QUEUE_FULL ?
				CC_QUEUE_FULL : CC_QUEUE_MERGED;
			continue;
		}
		if (items[i].result != CC_QUEUE_QUEUED &&
			DsaPointerIsValid(copies[i].dp))
		{
			dsa_free(cc_area, copies[i].dp);
			cc_account(-(int64) copies[i].accounted);
		}
	}
	for (i = 0; i < ndropped; i++)
	{
		dsa_free(cc_area, dropped[i].recipe);
		cc_account(-(int64) dropped[i].accounted);
		cc_count(CC_STAT_REFRESH_DROPPED, 1);
	}

	pfree(local);
}

/*
 * Queue a copy of one recipe (cc_queue_push_many() with one): returns its
 * result.  Raises ERROR only as cc_queue_push_many() does; usable at
 * PRE_COMMIT.
 */
CCQueueResult
cc_queue_push(CCRecipeKind kind, const CCKey *key, Oid session_userid,
			  TransactionId wait_xid, const char *recipe, uint32 recipe_len)
{
	CCQueuePush item;

	item.key = *key;
	item.session_userid = session_userid;
	item.recipe = recipe;
	item.recipe_len = recipe_len;
	cc_queue_push_many(kind, &item, 1, wait_xid);
	return item.result;
}
