/*-------------------------------------------------------------------------
 *
 * refresh.c
 *		Refresh-ahead: entries a commit invalidates that are to be computed
 *		again right after it, so that the next read is a hit.
 *
 * Which entries: those a commit removes (through its dependency keys:
 * writes, entities, query-name scopes) whose query name
 *
 *	- a REFETCH invalidation of a cascade in the transaction names
 *	  (EXACT: the name; PREFIX; PATTERN, a glob), or
 *	- matches cascade_cache.refetch_names (a comma-separated list of exact
 *	  names, or prefixes written as "prefix*"), if the entry was read (a
 *	  hit: its CLOCK bit) since it was stored.  refetch_names is a
 *	  standing rule over every commit: recomputing entries nobody reads
 *	  would only take CPU from those who read; a REFETCH is the
 *	  mutation's own request, and is always followed.
 *
 * Entries removed by a whole-database flush (an ALL scope, a catalog
 * change), and by a PREPAREd transaction, are not refreshed.
 *
 * How: while the commit removes entries (at PRE_COMMIT, xact.c), the store
 * shows each one to cc_refresh_collect(), which copies the recipe of those
 * with a name (with MCXT_ALLOC_NO_OOM: a copy that does not fit is simply not
 * refreshed), at most as many as the queue holds and
 * CC_REFRESH_COLLECT_MAX_BYTES of them: a commit that removes more cannot have
 * them all queued anyway (each would drop an earlier one), and the rest count
 * as dropped.  Once the removal is done, cc_refresh_queue() queues the
 * matching ones for a runner (src/store/queue.c, src/api/runner.c), to run
 * after the transaction (its xid, if it has one) has ended.  A refresh is an
 * ordinary fill: it reads after the commit, as the entry's role with its
 * settings, and the fence refuses it while the commit's marks stand; so it
 * never stores anything older than the commit.  A full queue drops the refresh
 * (counted); the next read then misses as it would without refresh-ahead.
 *
 * State: the transaction's REFETCH scopes, per subtransaction level (a
 * rolled-back savepoint forgets its cascades), and the recipes collected
 * during one commit.  Backend-local; no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/glob.h"
#include "base/keyed.h"
#include "base/levelset.h"
#include "base/settings.h"
#include "store/queue.h"
#include "store/store.h"
#include "xact/recipe.h"
#include "xact/refresh.h"

/* A REFETCH scope of the transaction */
typedef struct CCRefetchScope
{
	int			level;
	CCScope		scope;
	char	   *text;			/* the name, prefix or pattern; NULL for ALL */
	CCGlob	   *glob;			/* PATTERN: compiled once, when it is added */
	Oid			userid;			/* the role that asked (current user) */
	Oid			session_userid; /* ... and its session user */
	bool		any_role;		/* both superusers: every role's entries */
} CCRefetchScope;

/* A removed entry's recipe, collected during a commit */
typedef struct CCCollected
{
	struct CCCollected *next;
	CCKey		key;
	char	   *name;
	char	   *recipe;
	uint32		recipe_len;
	bool		read;			/* a hit since it was stored */
} CCCollected;

/*
 * cascade_cache.refetch_names, and its parsed form (the check hook's
 * "extra"): the names, each NUL-terminated, then an empty string.
 */
char	   *cc_refetch_names = NULL;
static const char *cc_refetch_parsed = NULL;

static CCLevelSet cc_refetch_scopes;
static bool cc_refetch_ready = false;

/* Recipes one commit collects at most, in bytes (and the queue's size) */
#define CC_REFRESH_COLLECT_MAX_BYTES	((Size) 64 * 1024 * 1024)

/*
 * The recipes collected during one commit, newest first; how many, their
 * bytes, and how many more were wanted
 */
static CCCollected *cc_collected = NULL;
static int	cc_ncollected = 0;
static Size cc_collected_bytes = 0;
static uint64 cc_collect_overflow = 0;
static MemoryContext cc_collect_cxt = NULL;

static bool cc_refetch_names_check(char **newval, void **extra,
								   GucSource source);
static void cc_refetch_names_assign(const char *newval, void *extra);
static bool cc_refresh_wanted(const char *name, Oid userid,
							  Oid session_userid, bool read);

/* Define cascade_cache.refetch_names.  Called once, from _PG_init. */
void
cc_refresh_define_gucs(void)
{
	DefineCustomStringVariable("cascade_cache.refetch_names",
							   "Query names whose entries are computed again right after a commit invalidates them.",
							   "A comma-separated list of exact names, or prefixes written as \"prefix*\".  Empty: only a cascade's REFETCH invalidations refresh.",
							   &cc_refetch_names,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   cc_refetch_names_check,
							   cc_refetch_names_assign,
							   NULL);
}

/* Check hook: the list parsed into a flat copy, the "extra" */
static bool
cc_refetch_names_check(char **newval, void **extra, GucSource source)
{
	return cc_name_patterns_check(*newval, extra);
}

static void
cc_refetch_names_assign(const char *newval, void *extra)
{
	cc_refetch_parsed = extra;
}

/* ----------------------------------------------------------------
 * The transaction's REFETCH scopes
 * ----------------------------------------------------------------
 */

/*
 * A cascade in this transaction asked to REFETCH the entries of 'scope'
 * ('text': the name, prefix or pattern; NULL for ALL).
 */
void
cc_refresh_add_scope(CCScope scope, const char *text)
{
	CCRefetchScope *rs;
	bool		found;

	if (!cc_refetch_ready)
	{
		cc_levelset_init(&cc_refetch_scopes, "cascade_cache refetch scopes",
						 0, sizeof(CCRefetchScope),
						 offsetof(CCRefetchScope, level), 0, NULL, NULL);
		cc_refetch_ready = true;
	}
	rs = cc_levelset_add(&cc_refetch_scopes, NULL, &found);
	rs->scope = scope;
	rs->userid = GetUserId();
	rs->session_userid = GetSessionUserId();
	/* not a superuser's SECURITY DEFINER function called by another role */
	rs->any_role = superuser() && superuser_arg(rs->session_userid);
	rs->text = text ?
				MemoryContextStrdup(cc_levelset_memory(&cc_refetch_scopes), text) :
				NULL;

	rs->glob = NULL;
	if (scope == CC_SCOPE_PATTERN && text !=NULL)
	{
		MemoryContext oldcxt;

		oldcxt = MemoryContextSwitchTo(cc_levelset_memory(&cc_refetch_scopes));
		rs->glob = cc_glob_compile(text);
		MemoryContextSwitchTo(oldcxt);
	}
}

/* Subtransaction end: keep (commit) or forget (abort).  Cannot fail. */
void
cc_refresh_subxact(bool commit, int level)
{
	if (!cc_refetch_ready)
		return;
	if (commit)
		cc_levelset_promote(&cc_refetch_scopes, level);
	else
		cc_levelset_forget(&cc_refetch_scopes, level);
}

/* Transaction end: forget everything.  Cannot fail. */
void
cc_refresh_reset(void)
{
	cc_remove_set_collector(NULL, NULL);
	cc_collected = NULL;
	cc_ncollected = 0;
	cc_collected_bytes = 0;
	cc_collect_overflow = 0;
	if (cc_collect_cxt != NULL)
		MemoryContextReset(cc_collect_cxt);
	if (cc_refetch_ready)
		cc_levelset_reset(&cc_refetch_scopes);
}

/* Could this commit refresh anything? */
static bool
cc_refresh_possible(void)
{
	return (cc_refetch_parsed != NULL && cc_refetch_parsed[0] != '\0') ||
		(cc_refetch_ready && !cc_levelset_is_empty(&cc_refetch_scopes));
}

/* ----------------------------------------------------------------
 * At commit
 * ----------------------------------------------------------------
 */

/*
 * The store's collector (cc_remove_set_collector()): keep a copy of a
 * removed named entry's recipe.  No lock held; must not ERROR.
 */
static void
cc_refresh_collect(const CCKey *key, const char *name, uint32 name_len,
				   const char *recipe, uint32 recipe_len, bool read, void *arg)
{
	CCCollected *c;
	char		namebuf[CC_MAX_NAME_COPY + 1];

	/* only what is to be refreshed: deciding allocates nothing */
	if (name_len == 0 || name_len > CC_MAX_NAME_COPY)
		return;
	memcpy(namebuf, name, name_len);
	namebuf[name_len] = '\0';
	if (!cc_refresh_wanted(namebuf, key->userid,
						   cc_recipe_session_user(recipe, recipe_len), read))
		return;
	if (cc_ncollected >= cc_recipe_queue_size ||
		cc_collected_bytes + recipe_len > CC_REFRESH_COLLECT_MAX_BYTES)
	{
		cc_collect_overflow++;
		return;
	}
	c = MemoryContextAllocExtended(cc_collect_cxt, sizeof(CCCollected),
								   MCXT_ALLOC_NO_OOM);
	if (c == NULL)
		return;
	c->name = MemoryContextAllocExtended(cc_collect_cxt, name_len + 1,
										 MCXT_ALLOC_NO_OOM);
	c->recipe = MemoryContextAllocExtended(cc_collect_cxt, recipe_len,
										   MCXT_ALLOC_NO_OOM);
	if (c->name == NULL || c->recipe == NULL)
		return;
	c->key = *key;
	memcpy(c->name, name, name_len);
	c->name[name_len] = '\0';
	memcpy(c->recipe, recipe, recipe_len);
	c->recipe_len = recipe_len;
	c->read = read;
	c->next = cc_collected;
	cc_collected = c;
	cc_ncollected++;
	cc_collected_bytes += recipe_len;
}

/*
 * Before the commit removes its entries: collect them if any could be
 * refreshed.  Called at PRE_COMMIT; can ERROR (out of memory).
 */
void
cc_refresh_begin(void)
{
	if (!cc_refresh_possible())
		return;
	if (cc_collect_cxt == NULL)
		cc_collect_cxt = AllocSetContextCreate(TopMemoryContext,
											   "cascade_cache refresh",
											   ALLOCSET_DEFAULT_SIZES);
	cc_collected = NULL;
	cc_ncollected = 0;
	cc_collected_bytes = 0;
	cc_collect_overflow = 0;
	cc_remove_set_collector(cc_refresh_collect, NULL);
}

/*
 * After the commit removed its entries: queue the refresh of those that match,
 * all in one batch, to run once this transaction has ended; those that did not
 * fit in the collection or in the queue count as dropped.  Called at
 * PRE_COMMIT; can ERROR (out of memory while matching): the commit then fails,
 * with its entries already removed.
 */
void
cc_refresh_queue(void)
{
	TransactionId xid = GetTopTransactionIdIfAny();
	CCCollected *c;
	CCQueuePush *pushes = NULL;
	int			npushes = 0;
	uint64		queued;
	uint64		dropped;
	int			i;

	cc_remove_set_collector(NULL, NULL);
	if (cc_collect_overflow > 0)
	{
		cc_count(CC_STAT_REFRESH_QUEUED, cc_collect_overflow);
		cc_count(CC_STAT_REFRESH_DROPPED, cc_collect_overflow);
		cc_collect_overflow = 0;
	}

	/*
	 * All in one batch: one scan of the queue, however many there are, and
	 * nothing that checks for interrupts (a cancel that arrived meanwhile is
	 * handled after the commit, which optional work does not fail).
	 */
	if (cc_collected != NULL)
	{
		pushes = MemoryContextAllocExtended(cc_collect_cxt,
											sizeof(CCQueuePush) * cc_ncollected,
											MCXT_ALLOC_NO_OOM);
		for (c = cc_collected; pushes != NULL && c != NULL; c = c->next)
		{
			CCQueuePush *push = &pushes[npushes];

			push->key = c->key;
			push->session_userid = cc_recipe_session_user(c->recipe,
														  c->recipe_len);
			push->recipe = c->recipe;
			push->recipe_len = c->recipe_len;
			if (OidIsValid(push->session_userid))
				npushes++;
		}
		if (pushes != NULL)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(cc_collect_cxt);

			cc_queue_push_many(CC_RECIPE_REFRESH, pushes, npushes, xid);
			MemoryContextSwitchTo(oldcxt);
		}
	}

	/*
	 * Every refresh asked for counts as queued, and ends run (an outcome the
	 * runner counts) or dropped: here, or later in the queue.  One merged
	 * into a key queued already is not counted again: that item runs once,
	 * after this transaction too.
	 */
	queued = cc_ncollected;
	dropped = cc_ncollected - npushes;
	for (i = 0; i < npushes; i++)
	{
		if (pushes[i].result == CC_QUEUE_MERGED)
			queued--;
		else if (pushes[i].result == CC_QUEUE_TOOK_OVER)
		{
			/* the warm item is now this refresh: it ends as present */
			cc_count(CC_STAT_WARM_OUTCOME_FIRST + CC_RECIPE_PRESENT, 1);
		}
		else if (pushes[i].result == CC_QUEUE_FULL)
			dropped++;
	}
	cc_count(CC_STAT_REFRESH_QUEUED, queued);
	cc_count(CC_STAT_REFRESH_DROPPED, dropped);
	cc_collected = NULL;
	cc_ncollected = 0;
	cc_collected_bytes = 0;
	if (cc_collect_cxt != NULL)
		MemoryContextReset(cc_collect_cxt);
}

/*
 * Is the removed entry named 'name', of role 'userid' in a session of
 * 'session_userid' (the recipe's, as which its runner connects), to be
 * refreshed?  If refetch_names matches the name and the entry was read
 * ('read') since it was stored; or if a REFETCH scope of the transaction
 * matches it, and the entry is of the role and session user that asked
 * for the REFETCH, or was read, or a superuser asked (in a superuser's
 * session).  (A REFETCH may invalidate every role's entries, but it makes
 * queries run as other roles only for entries they read: the work any
 * role can cause for another is bounded by that role's own reads.  Roles
 * are told apart as PostgreSQL tells them: sessions that share a login
 * role and a role set with SET ROLE are the same role.)  Allocates
 * nothing and cannot fail: the store's collector calls it.
 */
static bool
cc_refresh_wanted(const char *name, Oid userid, Oid session_userid,
				  bool read)
{
	int			len = strlen(name);

	if (read && cc_name_patterns_match(cc_refetch_parsed, name))
		return true;

	if (cc_refetch_ready && !cc_levelset_is_empty(&cc_refetch_scopes))
	{
		CCLevelSetIter iter;
		CCRefetchScope *rs;

		cc_levelset_begin(&cc_refetch_scopes, &iter);
		while ((rs = cc_levelset_next(&iter)) != NULL)
		{
			bool		match = false;

			if (!read && !rs->any_role &&
				(rs->userid != userid || rs->session_userid != session_userid))
				continue;
			switch (rs->scope)
			{
				case CC_SCOPE_EXACT:
					match = strcmp(name, rs->text) == 0;
					break;
				case CC_SCOPE_PREFIX:
					match = strncmp(name, rs->text, strlen(rs->text)) == 0;
					break;
				case CC_SCOPE_PATTERN:
					match = cc_glob_match(rs->glob, name, len);
					break;
				case CC_SCOPE_ALL:
					match = true;
					break;
			}
			if (match)
				return true;
		}
	}
	return false;
}
