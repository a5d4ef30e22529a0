/*-------------------------------------------------------------------------
 *
 * levelset.h
 *		Backend-local sets of items stamped with a subtransaction level.
 *
 * What a transaction records for its commit (written relations, keys,
 * name scopes, cascades, watched rows) must be handed to the parent when a
 * subtransaction commits and forgotten when it rolls back.  A CCLevelSet
 * does that once for every such record: each item carries the nesting
 * level (GetCurrentTransactionNestLevel()) of the lowest subtransaction
 * that recorded it; cc_levelset_promote() and cc_levelset_forget() are
 * called from the subtransaction callback.  See levelset.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_LEVELSET_H
#define CC_BASE_LEVELSET_H

#include "nodes/pg_list.h"
#include "utils/hsearch.h"

/*
 * A set of items.  Keyed sets (keysize > 0) hold one item per key, the key
 * first in the item as dynahash requires; ordered sets (keysize == 0) keep
 * every item added, in the order added.  Every item has an int level at
 * level_offset.  All the memory of a set is in its own context, created on
 * the first add and deleted by cc_levelset_reset().
 */
typedef struct CCLevelSet
{
	/* set by cc_levelset_init() */
	const char *name;
	Size		keysize;		/* 0: an ordered set */
	Size		entrysize;
	Size		level_offset;	/* offsetof(item type, level) */
	long		nelem;			/* initial size of a keyed set */
	HashValueFunc hash;			/* NULL: the key's bytes */
	HashCompareFunc match;		/* with hash */
	/* contents */
	MemoryContext cxt;			/* NULL while the set is empty and reset */
	HTAB	   *items;			/* keyed sets */
	List	   *list;			/* ordered sets */
} CCLevelSet;

/* Walks the items of a set; see cc_levelset_next() */
typedef struct CCLevelSetIter
{
	CCLevelSet *set;
	HASH_SEQ_STATUS status;
	int			next;
} CCLevelSetIter;

extern void cc_levelset_init(CCLevelSet *set, const char *name,
							 Size keysize, Size entrysize, Size level_offset,
							 long nelem, HashValueFunc hash,
							 HashCompareFunc match);
extern void *cc_levelset_add(CCLevelSet *set, const void *key, bool *found);
extern MemoryContext cc_levelset_memory(CCLevelSet *set);
extern bool cc_levelset_is_empty(CCLevelSet *set);
extern int	cc_levelset_count(CCLevelSet *set);
extern void cc_levelset_begin(CCLevelSet *set, CCLevelSetIter *iter);
extern void *cc_levelset_next(CCLevelSetIter *iter);
extern void cc_levelset_promote(CCLevelSet *set, int level);
extern void cc_levelset_forget(CCLevelSet *set, int level);
extern void cc_levelset_reset(CCLevelSet *set);

#endif							/* CC_BASE_LEVELSET_H */
