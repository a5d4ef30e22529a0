/*-------------------------------------------------------------------------
 *
 * levelset.c
 *		Backend-local sets of items stamped with a subtransaction level.
 *
 * Everything a transaction records to act on at commit is recorded with
 * the nesting level of the subtransaction that recorded it, so that
 *
 *	- RELEASE SAVEPOINT (subtransaction commit at level L) hands the items
 *	  of levels >= L to the parent: their level becomes L - 1
 *	  (cc_levelset_promote());
 *	- ROLLBACK TO SAVEPOINT (subtransaction abort at level L) forgets the
 *	  items of levels >= L (cc_levelset_forget());
 *	- the end of the top-level transaction drops everything
 *	  (cc_levelset_reset()).
 *
 * A keyed set holds one item per key, stamped with the lowest level that
 * added it: an item added again by a subtransaction survives that
 * subtransaction's rollback, as the outer addition still stands.  An
 * ordered set keeps every addition, in order.
 *
 * Contract: the sets are backend-local and touch no shared memory and no
 * lock.  Adding can ERROR (out of memory); promoting, forgetting, walking
 * and resetting cannot, so they may run in transaction and subtransaction
 * callbacks, including at COMMIT.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include "base/levelset.h"

#define CC_LEVEL_OF(set, item)	((int *) ((char *) (item) + (set)->level_offset))

/*
 * Describe an empty set.  keysize 0 makes an ordered set; 'hash' and
 * 'match' (both or neither) replace hashing and comparing the key's bytes,
 * e.g. for a key that points to a string.  'name' must be a constant.
 */
void
cc_levelset_init(CCLevelSet *set, const char *name, Size keysize,
				 Size entrysize, Size level_offset, long nelem,
				 HashValueFunc hash, HashCompareFunc match)
{
	Assert(level_offset + sizeof(int) <= entrysize);
	Assert(keysize == 0 || level_offset >= keysize);
	Assert((hash == NULL) == (match == NULL));

	memset(set, 0, sizeof(CCLevelSet));
	set->name = name;
	set->keysize = keysize;
	set->entrysize = entrysize;
	set->level_offset = level_offset;
	set->nelem = nelem;
	set->hash = hash;
	set->match = match;
}

/*
 * The memory context of the set, created if need be: what its items point
 * to may be allocated there, to live exactly as long as the set.
 */
MemoryContext
cc_levelset_memory(CCLevelSet *set)
{
	if (set->cxt == NULL)
	{
		set->cxt = AllocSetContextCreate(TopMemoryContext,
										 "cascade_cache level set",
										 ALLOCSET_DEFAULT_SIZES);
		MemoryContextSetIdentifier(set->cxt, set->name);
	}
	return set->cxt;
}

/*
 * Add an item at the current nesting level and return it.  Keyed sets:
 * the item of 'key', *found telling whether it was there already; its
 * level is lowered to the current one if need be, and the caller fills in
 * the rest of a new item.  Ordered sets: 'key' is ignored, a new zeroed
 * item is appended, *found is false.  Can ERROR.
 */
void *
cc_levelset_add(CCLevelSet *set, const void *key, bool *found)
{
	int			level = GetCurrentTransactionNestLevel();
	void	   *item;

	if (set->keysize == 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cc_levelset_memory(set));

		item = palloc0(set->entrysize);
		set->list = lappend(set->list, item);
		MemoryContextSwitchTo(oldcxt);
		*found = false;
	}
	else
	{
		if (set->items == NULL)
		{
			HASHCTL		ctl;
			int			flags = HASH_ELEM | HASH_CONTEXT;

			ctl.keysize = set->keysize;
			ctl.entrysize = set->entrysize;
			ctl.hcxt = cc_levelset_memory(set);
			if (set->hash != NULL)
			{
				ctl.hash = set->hash;
				ctl.match = set->match;
				flags |= HASH_FUNCTION | HASH_COMPARE;
			}
			else
				flags |= HASH_BLOBS;
			set->items = hash_create(set->name, set->nelem, &ctl, flags);
		}
		item = hash_search(set->items, key, HASH_ENTER, found);
		if (*found && *CC_LEVEL_OF(set, item) <= level)
			return item;
	}
	*CC_LEVEL_OF(set, item) = level;
	return item;
}

/* Has nothing been added (or all of it been forgotten)? */
bool
cc_levelset_is_empty(CCLevelSet *set)
{
	return cc_levelset_count(set) == 0;
}

/* The number of items */
int
cc_levelset_count(CCLevelSet *set)
{
	if (set->keysize == 0)
		return list_length(set->list);
	return set->items == NULL ? 0 : (int) hash_get_num_entries(set->items);
}

/*
 * Walk the items: cc_levelset_begin(), then cc_levelset_next() until it
 * returns NULL.  A walk must be run to its end; the set must not change
 * meanwhile.
 */
void
cc_levelset_begin(CCLevelSet *set, CCLevelSetIter *iter)
{
	iter->set = set;
	iter->next = 0;
	if (set->keysize != 0 && set->items != NULL)
		hash_seq_init(&iter->status, set->items);
}

void *
cc_levelset_next(CCLevelSetIter *iter)
{
	CCLevelSet *set = iter->set;

	if (set->keysize == 0)
	{
		if (iter->next >= list_length(set->list))
			return NULL;
		return list_nth(set->list, iter->next++);
	}
	if (set->items == NULL)
		return NULL;
	return hash_seq_search(&iter->status);
}

/*
 * The subtransaction at 'level' committed: its items (and those of the
 * subtransactions it contained) now belong to its parent.  Cannot fail.
 */
void
cc_levelset_promote(CCLevelSet *set, int level)
{
	CCLevelSetIter iter;
	void	   *item;

	cc_levelset_begin(set, &iter);
	while ((item = cc_levelset_next(&iter)) != NULL)
		if (*CC_LEVEL_OF(set, item) >= level)
			*CC_LEVEL_OF(set, item) = level - 1;
}

/*
 * The subtransaction at 'level' rolled back: forget its items (and those
 * of the subtransactions it contained).  Their memory is released with the
 * set's.  Cannot fail.
 */
void
cc_levelset_forget(CCLevelSet *set, int level)
{
	if (set->keysize == 0)
	{
		ListCell   *lc;

		foreach(lc, set->list)
		{
			if (*CC_LEVEL_OF(set, lfirst(lc)) >= level)
				set->list = foreach_delete_current(set->list, lc);
		}
	}
	else if (set->items != NULL)
	{
		HASH_SEQ_STATUS status;
		void	   *item;

		/* dynahash allows removing the item just returned */
		hash_seq_init(&status, set->items);
		while ((item = hash_seq_search(&status)) != NULL)
			if (*CC_LEVEL_OF(set, item) >= level)
				(void) hash_search(set->items, item, HASH_REMOVE, NULL);
	}
}

/* Drop every item and all the set's memory.  Cannot fail. */
void
cc_levelset_reset(CCLevelSet *set)
{
	if (set->cxt != NULL)
		MemoryContextDelete(set->cxt);
	set->cxt = NULL;
	set->items = NULL;
	set->list = NIL;
}
