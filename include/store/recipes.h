/*-------------------------------------------------------------------------
 *
 * recipes.h
 *		Reading the recipes kept with the store's entries
 *		(src/store/recipes.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_RECIPES_H
#define CC_STORE_RECIPES_H

#include "cascade_cache.h"

/* An entry of the hot set: its key and its hits */
typedef struct CCHotEntry
{
	CCKey		key;
	uint64		hits;
} CCHotEntry;

extern char *cc_recipe_copy(const CCKey *key, uint32 max, uint32 *len);
extern int	cc_store_hot(int max, CCHotEntry **hot);

#endif							/* CC_STORE_RECIPES_H */
