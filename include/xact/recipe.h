/*-------------------------------------------------------------------------
 *
 * recipe.h
 *		Recipes: what it takes to compute a cached entry again in another
 *		process (src/xact/recipe.c builds and parses them,
 *		src/xact/recipe_run.c runs them).
 *
 * A recipe is a flat byte string stored with its entry: the session user,
 * the result's form, the ttl, the query name, the query text, the
 * settings the session chose (name and value) and the parameters (the
 * jsonb array as JSON text, or each native value's type and bytes).  All but the
 * parameters is its context, shared with the other entries of the
 * statement in the session.  The database and the
 * current role are the entry key's.  Recipes are read back from shared
 * memory and from the warm-restart file: parsing checks every length.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_RECIPE_H
#define CC_XACT_RECIPE_H

#include "nodes/pg_list.h"

#include "cascade_cache.h"

/* A recipe, parsed; everything palloc'd */
typedef struct CCRecipe
{
	Oid			session_userid;
	CCFormat	format;
	int64		ttl_us;			/* as the caller asked: 0 = none */
	char	   *name;			/* or NULL */
	text	   *query;
	CCParams	params;
	int			nsettings;
	char	  **setting_names;
	char	  **setting_values; /* NULL: a placeholder reset to nothing */
} CCRecipe;

/* What running a recipe came to */
typedef enum CCRecipeOutcome
{
	CC_RECIPE_FILLED = 0,		/* run and stored */
	CC_RECIPE_PRESENT,			/* already cached: nothing run */
	CC_RECIPE_SKIPPED,			/* not reproducible here: role, database,
								 * settings, a type, the key */
	CC_RECIPE_NOT_STORED,		/* run, but not stored (the fence, or no
								 * longer cacheable) */
	CC_RECIPE_FAILED			/* the query raised an error */
} CCRecipeOutcome;

#define CC_NUM_RECIPE_OUTCOMES	5

/*
 * Not an outcome: this runner cannot run the recipe (its session holds a
 * placeholder setting that an earlier recipe created), a fresh one can.
 */
#define CC_RECIPE_NEEDS_FRESH_RUNNER	((CCRecipeOutcome) CC_NUM_RECIPE_OUTCOMES)

/*
 * Not an outcome either: run, but the fence refused the result (the commit
 * that queued a refresh may not have lifted its marks yet).  Worth another
 * try; CC_RECIPE_NOT_STORED if it stays so.  Every other reason not to
 * store (too large, row-level security, uncacheable, no memory) would be
 * the same again: CC_RECIPE_NOT_STORED at once.
 */
#define CC_RECIPE_REFUSED	((CCRecipeOutcome) (CC_NUM_RECIPE_OUTCOMES + 1))

StaticAssertDecl(CC_STAT_REFRESH_QUEUED ==
				 CC_STAT_WARM_OUTCOME_FIRST + CC_NUM_RECIPE_OUTCOMES &&
				 CC_STAT_BYPASS_FIRST ==
				 CC_STAT_REFRESH_OUTCOME_FIRST + CC_NUM_RECIPE_OUTCOMES,
				 "room for every recipe outcome among the counters");

extern char *cc_recipe_build(const char *src, const CCParams *params,
							 const char *name, int64 ttl_us, CCFormat format,
							 uint32 *len, uint32 *context_len);
extern bool cc_recipe_parse(const char *data, uint32 len, CCRecipe *recipe);
extern bool cc_recipe_parse_context(const char *data, uint32 len,
									CCRecipe *recipe);
extern Oid	cc_recipe_session_user(const char *data, uint32 len);

/* recipe_run.c */
extern CCRecipeOutcome cc_recipe_run(const char *data, uint32 len,
									 const CCKey *expect,
									 const List *own_placeholders);

#endif							/* CC_XACT_RECIPE_H */
