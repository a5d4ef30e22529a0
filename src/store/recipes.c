/*-------------------------------------------------------------------------
 *
 * recipes.c
 *		Reading the recipes kept with the entries: one entry's, and the
 *		hottest entries' for a warm restart.
 *
 * A recipe (include/xact/recipe.h) is opaque to the store: its context is
 * in the contexts registry (context.c), its own part in the entry's blob
 * after its name.  Both readers copy under one lock at a time, in shared
 * mode, and allocate before they lock.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "store_int.h"
#include "store/recipes.h"

/* Room for entries stored while cc_store_hot() sizes its array */
#define CC_HOT_SLACK			64

/*
 * A palloc'd copy of the recipe of the VALID entry under 'key' (its
 * context from the registry, then its own part), its length in *len; NULL
 * if there is no such entry, it has no recipe, or the recipe is longer
 * than 'max'.  Takes the key's partition lock in shared mode, then its
 * context's; allocates before either.  Can ERROR (out of memory) before it
 * locks.
 */
char *
cc_recipe_copy(const CCKey *key, uint32 max, uint32 *len)
{
	CCEntry    *entry;
	char	   *own;
	char	   *copy;
	uint32		own_len = 0;
	uint32		context_len;
	uint64		hash = 0;
	bool		found = false;

	cc_attach();
	own = palloc(Max(max, 1));
	copy = palloc(Max(max, 1));
	entry = dshash_find(cc_entries, key, false);
	if (entry != NULL)
	{
		if (entry->state == CC_ENTRY_VALID)
		{
			CCBlob	   *blob = dsa_get_address(cc_area, entry->blob);

			if (blob->context_registered && blob->recipe_len <= max)
			{
				own_len = blob->recipe_len;
				memcpy(own, CC_BLOB_RECIPE(blob), own_len);
				hash = blob->context_hash;
				found = true;
			}
		}
		dshash_release_lock(cc_entries, entry);
	}

	/* the entry may go meanwhile, and its context with it: then no recipe */
	context_len = found ? cc_context_copy(hash, copy, max - own_len) : 0;
	if (context_len == 0)
	{
		pfree(own);
		pfree(copy);
		return NULL;
	}
	memcpy(copy + context_len, own, own_len);
	pfree(own);
	*len = context_len + own_len;
	return copy;
}

static int
cc_hot_cmp(const void *a, const void *b)
{
	uint64		x = ((const CCHotEntry *) a)->hits;
	uint64		y = ((const CCHotEntry *) b)->hits;

	/* most hits first */
	return (x < y) - (x > y);
}

/*
 * The VALID entries that have a recipe, most hits first, at most 'max' of
 * them: their keys and hit counts in *hot (palloc'd).  Returns how many.
 * Scans the entries table one partition at a time (shared), copying a
 * fixed-size record per entry; sorts with no lock held.  Entries stored
 * meanwhile may be missed.  Can ERROR (out of memory) with no lock held.
 */
int
cc_store_hot(int max, CCHotEntry **hot)
{
	dshash_seq_status status;
	CCEntry    *entry;
	CCHotEntry *all;
	uint64		room;
	int			n = 0;

	cc_attach();
	cc_hits_flush();			/* this backend's hits, counted in */
	room = Min(cc_store_entries() + CC_HOT_SLACK,
			   MaxAllocHugeSize / sizeof(CCHotEntry));
	all = MemoryContextAllocHuge(CurrentMemoryContext,
								 sizeof(CCHotEntry) * room);
	dshash_seq_init(&status, cc_entries, false);
	while (n < (int) Min(room, INT_MAX) &&
		   (entry = dshash_seq_next(&status)) != NULL)
	{
		CCBlob	   *blob;

		if (entry->state != CC_ENTRY_VALID)
			continue;
		blob = dsa_get_address(cc_area, entry->blob);
		if (!blob->context_registered)
			continue;
		all[n].key = entry->key;
		all[n].hits = cc_blob_hits(blob);
		n++;
	}
	dshash_seq_term(&status);

	qsort(all, n, sizeof(CCHotEntry), cc_hot_cmp);
	*hot = all;
	return Min(n, max);
}
