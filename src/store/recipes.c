/*-------------------------------------------------------------------------
 *
 * recipes.c
 *		Reading the recipes kept with the entries: one entry's, and the
 *		hottest entries' for a warm restart.
 *
 * A recipe (include/xact/recipe.h) is opaque to the store: bytes kept in
 * the entry's blob after its name.  Both readers copy under one entries
 * partition lock at a time, in shared mode, and allocate before they lock.
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
 * A palloc'd copy of the recipe of the VALID entry under 'key', its length
 * in *len; NULL if there is no such entry or it has no recipe.  'max' bytes
 * are allocated beforehand: a longer recipe is not copied.  Takes the
 * key's partition lock in shared mode.  Can ERROR (out of memory) before
 * it locks.
 */
char *
cc_recipe_copy(const CCKey *key, uint32 max, uint32 *len)
{
	CCEntry    *entry;
	char	   *copy;
	bool		copied = false;

	cc_attach();
	copy = palloc(Max(max, 1));
	entry = dshash_find(cc_entries, key, false);
	if (entry != NULL)
	{
		if (entry->state == CC_ENTRY_VALID)
		{
			CCBlob	   *blob = dsa_get_address(cc_area, entry->blob);

			if (blob->recipe_len > 0 && blob->recipe_len <= max)
			{
				memcpy(copy, CC_BLOB_RECIPE(blob), blob->recipe_len);
				*len = blob->recipe_len;
				copied = true;
			}
		}
		dshash_release_lock(cc_entries, entry);
	}
	if (!copied)
	{
		pfree(copy);
		return NULL;
	}
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
		if (blob->recipe_len == 0)
			continue;
		all[n].key = entry->key;
		all[n].hits = pg_atomic_read_u64(&blob->hits);
		n++;
	}
	dshash_seq_term(&status);

	qsort(all, n, sizeof(CCHotEntry), cc_hot_cmp);
	*hot = all;
	return Min(n, max);
}
