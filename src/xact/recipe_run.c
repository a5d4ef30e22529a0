/*-------------------------------------------------------------------------
 *
 * recipe_run.c
 *		Running a recipe in a background runner: the entry computed again,
 *		as the session that stored it, through the normal fill path.
 *
 * The runner (src/api/runner.c) is connected to the entry's database as
 * the recipe's session user, so it holds exactly that role's privileges
 * and gets the settings the configuration, ALTER ROLE and ALTER DATABASE
 * give it.  cc_recipe_run() then applies the settings the session had
 * chosen, as SET LOCAL does and with the role's own right to set them (so
 * SET ROLE is replayed with PostgreSQL's membership check), computes the
 * key and compares it with the recorded one.  Only an exact match runs:
 * anything that differs (a setting that could not be applied, a changed
 * configuration, a type that is gone, a role no longer granted) skips the
 * recipe.  The fill is an ordinary miss (cc_run_miss()): coalesced with
 * foreground misses of the key, judged for cacheability, row-level
 * security and the fence like any other, so a runner never stores what
 * the session could not have stored, nor anything older than a commit
 * that preceded it.
 *
 * Runs inside the caller's transaction, which the caller ends (the
 * settings end with it).  Locks: none held on entry or exit.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "base/key.h"
#include "store/store.h"
#include "xact/recipe.h"
#include "xact/run.h"

static bool cc_recipe_entry_live(const CCKey *key);
static bool cc_recipe_types_match(const CCParams *params);
static bool cc_recipe_apply_settings(const CCRecipe *recipe);

/*
 * Run the recipe of 'len' bytes at 'data', whose entry had key 'expect'.
 * The caller is connected to expect->dbid, has checked that this session
 * may use the cache, and runs this inside a transaction it ends.
 * 'own_placeholders' are the placeholder settings the caller's session had
 * before it ran any recipe (its configuration's).  Returns the outcome,
 * CC_RECIPE_NEEDS_FRESH_RUNNER, or CC_RECIPE_REFUSED (run, and the fence
 * refused the result); an error of the query (or of anything else)
 * propagates.
 */
CCRecipeOutcome
cc_recipe_run(const char *data, uint32 len, const CCKey *expect,
			  const List *own_placeholders)
{
	CCRecipe	recipe;
	CCKey		key;
	CCEntryInfo info;
	List	   *extra;
	ListCell   *lc;
	char	   *src;

	if (expect->dbid != MyDatabaseId ||
		cc_recipe_session_user(data, len) != GetSessionUserId())
		return CC_RECIPE_SKIPPED;

	/*
	 * Filled meanwhile (a read that missed, a refresh before): nothing to do,
	 * no parameters to parse, no settings to replay.  An entry there is
	 * valid: every commit that queued this recipe removed the entry before
	 * queuing it, and the fence kept anything older out since.  (One that has
	 * expired is filled again.)
	 */
	cc_attach();
	if (cc_recipe_entry_live(expect))
		return CC_RECIPE_PRESENT;

	if (!cc_recipe_parse(data, len, &recipe) ||
		recipe.session_userid != GetSessionUserId())
		return CC_RECIPE_SKIPPED;

	/*
	 * Every placeholder is in the key, even an empty one, and none can be
	 * removed from a session: a placeholder this session has and the recipe's
	 * session had not makes the key unreproducible here.  One that an earlier
	 * recipe created: a fresh runner can; one of the runner's own
	 * configuration: no runner can.
	 */
	extra = cc_key_placeholders_except(recipe.setting_names,
									   recipe.nsettings);
	foreach(lc, extra)
	{
		ListCell   *lc2;
		bool		own = false;

		foreach(lc2, own_placeholders)
			own = own || pg_strcasecmp(lfirst(lc), lfirst(lc2)) == 0;
		if (!own)
			return CC_RECIPE_NEEDS_FRESH_RUNNER;
	}
	if (extra != NIL)
		return CC_RECIPE_SKIPPED;
	if (CC_PARAMS_ARE_NATIVE(&recipe.params) &&
		!cc_recipe_types_match(&recipe.params))
		return CC_RECIPE_SKIPPED;
	if (!cc_recipe_apply_settings(&recipe))
		return CC_RECIPE_SKIPPED;

	cc_compute_key(recipe.query, &recipe.params, recipe.name, recipe.format,
				   &key);
	if (memcmp(&key, expect, sizeof(CCKey)) != 0)
	{
		ereport(DEBUG1,
				(errmsg_internal("cascade_cache runner: the key of a recipe of role %u differs here (%d settings replayed)",
								 recipe.session_userid, recipe.nsettings)));
		return CC_RECIPE_SKIPPED;
	}

	if (cc_recipe_entry_live(&key))
		return CC_RECIPE_PRESENT;

	src = text_to_cstring(recipe.query);
	(void) cc_run_miss(src, &recipe.params, &key, recipe.name,
					   recipe.ttl_us, recipe.format);
	cc_entry_info(&key, &info);
	if (info.state == CC_ENTRY_VALID)
		return CC_RECIPE_FILLED;

	/*
	 * Refused by the fence, or another backend's store of the key is still in
	 * progress (which the fence may yet refuse): worth another try.
	 */
	if (cc_run_refused || info.state == CC_ENTRY_PENDING)
		return CC_RECIPE_REFUSED;
	return CC_RECIPE_NOT_STORED;
}

/* Is an entry stored under 'key' that a read would be served (not expired)? */
static bool
cc_recipe_entry_live(const CCKey *key)
{
	CCEntryInfo info;

	cc_entry_info(key, &info);
	return info.state == CC_ENTRY_VALID &&
		(info.expires_at == 0 || info.expires_at > GetCurrentTimestamp());
}

/*
 * Do the recorded types of the native values still exist, with the length
 * and passing convention the values were recorded with?  (A type dropped
 * and created again has another OID: the key would differ anyway.)
 */
static bool
cc_recipe_types_match(const CCParams *params)
{
	int			i;

	for (i = 0; i < params->nargs; i++)
	{
		HeapTuple	tuple;
		Form_pg_type typ;
		bool		match;

		tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(params->types[i]));
		if (!HeapTupleIsValid(tuple))
			return false;
		typ = (Form_pg_type) GETSTRUCT(tuple);
		match = typ->typlen == params->typlens[i] &&
			typ->typbyval == params->typbyvals[i];
		ReleaseSysCache(tuple);
		if (!match)
			return false;
	}
	return true;
}

/*
 * Apply the recipe's settings for the rest of the transaction, with the
 * session user's right to set each (a superuser's, only if it is one); a
 * NULL value resets a placeholder to nothing, creating it if need be.
 * Returns false if any could not be applied; the transaction's end undoes
 * those that were.
 */
static bool
cc_recipe_apply_settings(const CCRecipe *recipe)
{
	GucContext	context = superuser() ? PGC_SUSET : PGC_USERSET;
	int			i;

	for (i = 0; i < recipe->nsettings; i++)
	{
		if (set_config_option(recipe->setting_names[i],
							  recipe->setting_values[i], context,
							  PGC_S_SESSION, GUC_ACTION_LOCAL, true,
							  DEBUG1, false) <= 0)
			return false;
	}
	return true;
}
