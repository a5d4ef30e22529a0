/*-------------------------------------------------------------------------
 *
 * fill_plans.c
 *		The plans a session keeps of the statements its fills run.
 *
 * A fill parses, analyzes and plans its statement before it runs it; for the
 * small lookups a cache serves, that is close to half of the fill.  A session
 * that fills one statement again and again (a prepared statement's misses with
 * other parameters, a recipe runner refreshing one query's entries) keeps the
 * analysis of the last CC_FILL_PLANS statements it filled more than once (the
 * contexts of the last CC_FILL_SEEN filled without a plan are remembered) as
 * PostgreSQL plan cache entries (CreateCachedPlan(), SaveCachedPlan()), and
 * plans through them (GetCachedPlan()): custom plans at first, then the
 * generic plan once PostgreSQL's plan cache chooses it, as for a prepared
 * statement.
 *
 * A kept plan must give a fill exactly what parsing the text afresh would,
 * so one is used only while all of this holds:
 *	- the session state is the one it was made under: the key's database
 *	  and role, and the hashes of everything in the key up to the query
 *	  text (cc_compute_context(): every keyed setting, the session user,
 *	  a temporary schema), and the same native parameter types;
 *	- PostgreSQL has not invalidated it (a change of a relation, function
 *	  or type it uses), and its search_path is the current one;
 *	- no catalog change that flushes the database's or the cluster's
 *	  entries has committed, or is committing (or is held by a prepared
 *	  transaction), since before its analysis (the fence's stripes of the
 *	  database and the cluster against the sequence read before it was
 *	  analyzed, cc_fence_check()): a new function overload, operator or
 *	  cast can change what a fresh analysis finds without invalidating any
 *	  plan;
 *	- no function verdict has changed since (cc_function_verdicts_generation():
 *	  a function, type, relation or cast changed, or trusted_functions or
 *	  key_settings did);
 *	- it has not failed while running, and it is not running already.
 * The relations a kept plan reads are locked before it is used, as
 * GetCachedPlan() would lock them (those of its analysis and of its
 * generic plan), and the plan checked again after the invalidations the
 * locking took in, and again after binding and judging, just before
 * GetCachedPlan().  A kept analysis is judged again
 * (cc_check_query()) on every use, so that the verdict on the query
 * always follows the current settings and catalog caches: only parsing,
 * analysis and (with the generic plan) planning are saved.  Should the
 * plan cache analyze it again anyway (an invalidation of something not
 * locked, such as a function, arriving while GetCachedPlan() runs), the
 * parser setup hook notes it: the plan made from that analysis is not
 * used, and the fill parses the text afresh (an analysis by the plan cache
 * keeps the parameter types first inferred, where a fresh one infers them
 * again).  Such an analysis can still fail where a fresh one would not (a
 * function replaced by one taking other types, committed in that
 * window): the fill then fails, as a prepared statement would.
 *
 * Planning can run the query's own code: the planner folds calls of
 * IMMUTABLE functions with constant arguments, and the generic plan keeps
 * the value.  A function labeled IMMUTABLE is taken at its word here, as
 * by PostgreSQL's own plan cache and by the cache itself (its result is
 * stored with the rest).  What running it records is not taken for
 * granted: a function labeled IMMUTABLE that reads a table records that
 * table (or a reason not to store) in the fill while the planner runs it,
 * and a generic plan, made once and reused, would not run it again; the
 * fills after it would miss the dependency.  So a statement whose analysis
 * or planning records anything in its fill is not kept, and a kept one is
 * dropped as soon as a planning records anything (the fill that ran it
 * has its record).  What the fmgr hooks judged of the functions it calls
 * holds while the verdict generation does.
 *
 * Fills nested in another fill, cache_explain() and the pass-through never
 * use these plans (statement.c keeps the pass-through's own).
 *
 * Everything here is backend-local.  The only locks taken are the
 * relation locks using a kept plan takes (cc_fill_plan_lock()), held to
 * the end of the transaction as the query's own; the fence's stripes are
 * read with atomic operations only.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/fill_plans.h"
#include "xact/params.h"
#include "xact/statement.h"

/* Statements whose plans a session keeps for its fills */
#define CC_FILL_PLANS			32

/* Statement texts longer than this are not kept */
#define CC_FILL_PLAN_MAX_LEN	(64 * 1024)

/* Contexts of the last statements filled without a kept plan */
#define CC_FILL_SEEN			64

struct CCFillPlan
{
	MemoryContext cxt;			/* src, types, clock_literals; NULL: free */
	char	   *src;
	size_t		len;
	CCKey		context;		/* cc_compute_context() of src */
	int			ntypes;			/* native values' types, or -1 for JSON */
	Oid		   *types;			/* or NULL */
	List	   *clock_literals; /* of the raw tree */
	CachedPlanSource *plan;		/* saved */
	uint64		s0;				/* the fence's sequence before its analysis */
	uint64		verdicts;		/* cc_function_verdicts_generation() then */
	uint64		used;			/* cc_fill_plan_clock at its last use */
	int			running;		/* plannings and executions in progress */
	bool		failed;			/* not to be used again: dropped when idle */
	bool		reanalyzed;		/* the plan cache analyzed it again */
};

static CCFillPlan cc_fill_plans[CC_FILL_PLANS];
static uint64 cc_fill_plan_clock = 0;

/*
 * The contexts of the last CC_FILL_SEEN statements filled without a kept
 * plan, a ring: a plan is kept only of a statement filled twice, so that a
 * session whose every statement text is new (values written into the
 * text) does not pay for keeping plans it never uses.
 */
static CCKey cc_fill_seen[CC_FILL_SEEN];
static int	cc_fill_seen_next = 0;

/* What a fill had recorded before a planning */
typedef struct CCFillMark
{
	int			ndeps;
	int			nrelids;
	CCBypassReason reason;
} CCFillMark;

static inline void
cc_fill_mark(const CCFill *fill, CCFillMark *mark)
{
	mark->ndeps = fill->ndeps;
	mark->nrelids = fill->nrelids;
	mark->reason = fill->reason;
}

static inline bool
cc_fill_changed(const CCFill *fill, const CCFillMark *mark)
{
	return fill->ndeps != mark->ndeps || fill->nrelids != mark->nrelids ||
		fill->reason != mark->reason;
}

/* Drop the kept plan of a slot that is not running, freeing the slot. */
static void
cc_fill_plan_drop(CCFillPlan *fp)
{
	Assert(fp->running == 0);
	DropCachedPlan(fp->plan);
	MemoryContextDelete(fp->cxt);
	memset(fp, 0, sizeof(*fp));
}

/* Do 'params' have the parameter types 'fp' was analyzed with? */
static bool
cc_fill_plan_types_match(const CCFillPlan *fp, const CCParams *params)
{
	if (!CC_PARAMS_ARE_NATIVE(params))
		return fp->ntypes == -1;
	return fp->ntypes == params->nargs &&
		(params->nargs == 0 ||
		 memcmp(fp->types, params->types, sizeof(Oid) * params->nargs) == 0);
}

/*
 * The parser setup hook of a kept plan: the plan cache is analyzing it
 * again.  Note it, and give the parameters the types of the first
 * analysis, as the plan cache itself would.
 */
static void
cc_fill_plan_setup(ParseState *pstate, void *arg)
{
	CCFillPlan *fp = (CCFillPlan *) arg;

	cc_kept_plan_reanalyzing(pstate, fp->plan, &fp->reanalyzed);
}

/*
 * May the kept plan 'fp' be used now?  See the file's header comment.
 */
static bool
cc_fill_plan_usable(CCFillPlan *fp, uint64 verdicts)
{
	return cc_kept_plan_usable(fp->plan, fp->failed, fp->verdicts, fp->s0,
							   verdicts);
}

static void cc_fill_plan_lock_query(Query *query);

/* Walker of cc_fill_plan_lock_query(): the queries of SubLinks. */
static bool
cc_fill_plan_lock_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		cc_fill_plan_lock_query(castNode(Query, ((SubLink *) node)->subselect));
	/* not into Query nodes: cc_fill_plan_lock_query() takes those */
	return expression_tree_walker(node, cc_fill_plan_lock_walker, context);
}

/*
 * Lock the relations an analyzed query reads, in the modes its range
 * tables give, as the plan cache locks them before it uses a plan cache
 * entry's analysis; into subqueries in FROM, WITH and SubLinks.
 */
static void
cc_fill_plan_lock_query(Query *query)
{
	ListCell   *lc;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
			LockRelationOid(rte->relid, rte->rellockmode);
		else if (rte->rtekind == RTE_SUBQUERY)
		{
			/* a view, from 16 on (15 locks it through the subquery's OLD) */
			if (OidIsValid(rte->relid) && rte->rellockmode != NoLock)
				LockRelationOid(rte->relid, rte->rellockmode);
			cc_fill_plan_lock_query(rte->subquery);
		}
	}
	foreach(lc, query->cteList)
		cc_fill_plan_lock_query(castNode(Query,
										 lfirst_node(CommonTableExpr, lc)->ctequery));
	if (query->hasSubLinks)
		(void) query_tree_walker(query, cc_fill_plan_lock_walker, NULL,
								 QTW_IGNORE_RC_SUBQUERIES);
}

/*
 * Lock what using the kept plan 'fp' locks: the relations its analysis
 * reads, and those of its generic plan if it has a valid one (partitions,
 * the tables of inlined functions), in their own modes, so that a change
 * committed while the fill waits is seen before the plan is used.  Locks
 * nothing PostgreSQL would not lock for the same plan.  ERRORs as taking
 * a lock can.
 */
static void
cc_fill_plan_lock(CCFillPlan *fp)
{
	CachedPlanSource *plan = fp->plan;
	ListCell   *lc;

	check_stack_depth();
	foreach(lc, plan->query_list)
		cc_fill_plan_lock_query(lfirst_node(Query, lc));
	if (plan->gplan != NULL && plan->gplan->is_valid)
	{
		foreach(lc, plan->gplan->stmt_list)
		{
			PlannedStmt *pstmt = lfirst_node(PlannedStmt, lc);
			ListCell   *lc2;

			foreach(lc2, pstmt->rtable)
			{
				RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc2);

				if (rte->rtekind == RTE_RELATION)
					LockRelationOid(rte->relid, rte->rellockmode);
			}
		}
	}
}

/*
 * The kept plan of 'src' with 'params' in the current session state that a
 * fill may use now, or NULL.  A kept plan of the same statement that may no
 * longer be used is dropped (unless it is running).  The relations the plan
 * reads are locked first, as GetCachedPlan() would lock them, and the plan
 * checked again after the invalidations that locking took in: a change
 * committed while the fill waited for a lock makes it parse the text afresh
 * rather than have the plan cache analyze it again.  When there is no plan to
 * use, *seen is what cc_fill_plan_keep() needs: the statement's context, and
 * the generation of the function verdicts (cc_function_verdicts_generation())
 * if the fill should make a plan to keep (the statement was filled recently in
 * this context, or its kept plan was just dropped), else 0.  Call after the
 * fill has read the fence and accepted the catalog invalidations sent so far.
 * ERRORs as taking a lock can.
 */
CCFillPlan *
cc_fill_plan_find(const char *src, const CCParams *params, CCFillPlanSeen *seen)
{
	size_t		len = strlen(src);
	uint64		generation;
	CCKey	   *context = &seen->context;
	int			i;

	seen->verdicts = 0;
	if (len > CC_FILL_PLAN_MAX_LEN)
		return NULL;
	cc_compute_context(src, context);
	generation = cc_function_verdicts_generation();
	for (i = 0; i < CC_FILL_PLANS; i++)
	{
		CCFillPlan *fp = &cc_fill_plans[i];

		if (fp->cxt == NULL || fp->len != len ||
			memcmp(&fp->context, context, sizeof(CCKey)) != 0 ||
			!cc_fill_plan_types_match(fp, params) ||
			memcmp(fp->src, src, len) != 0)
			continue;
		/* a fill cannot start while another runs (nested ones never get here) */
		if (fp->running > 0)
			return NULL;
		if (cc_fill_plan_usable(fp, generation))
		{
			cc_fill_plan_lock(fp);
			/* forgets the verdicts if key_settings changed: read it again */
			generation = cc_function_verdicts_generation();
			if (cc_fill_plan_usable(fp, generation))
			{
				fp->used = ++cc_fill_plan_clock;
				return fp;
			}
		}
		cc_fill_plan_drop(fp);
		seen->verdicts = generation;
		return NULL;
	}

	/* filled recently: keep a plan this time; otherwise remember it */
	for (i = 0; i < CC_FILL_SEEN; i++)
		if (memcmp(&cc_fill_seen[i], context, sizeof(CCKey)) == 0)
		{
			seen->verdicts = generation;
			return NULL;
		}
	cc_fill_seen[cc_fill_seen_next] = *context;
	cc_fill_seen_next = (cc_fill_seen_next + 1) % CC_FILL_SEEN;
	return NULL;
}

/*
 * Keep 'plan' (completed by cc_statement_parse(), not saved) as the plan of
 * 'src' with 'params' in the context cc_fill_plan_find() gave in 'seen'
 * (the one it was analyzed in), analyzed after the fence read 's0', in a
 * free slot
 * or the least recently used one that is not running (its plan dropped),
 * if 'fill' (fresh when the analysis began) recorded nothing while 'src'
 * was analyzed and planned and may be stored, and the function verdicts
 * have not changed meanwhile.  Otherwise, or if every slot is running or
 * the text is too long, the plan is left to its memory context.  Can
 * ERROR (out of memory) before anything is changed.
 */
void
cc_fill_plan_keep(const char *src, const CCParams *params,
				  CachedPlanSource *plan, uint64 s0,
				  const CCFillPlanSeen *seen, const CCFill *fill)
{
	size_t		len = strlen(src);
	CCFillPlan *victim = NULL;
	MemoryContext cxt;
	char	   *copy;
	Oid		   *types = NULL;
	List	   *clock_literals;
	MemoryContext oldcxt;
	int			i;

	if (len > CC_FILL_PLAN_MAX_LEN || fill->reason != CC_BYPASS_NONE ||
		fill->ndeps > 0 || fill->nrelids > 0 || seen->verdicts == 0 ||
		cc_function_verdicts_generation() != seen->verdicts)
		return;
	for (i = 0; i < CC_FILL_PLANS; i++)
	{
		CCFillPlan *fp = &cc_fill_plans[i];

		if (fp->cxt == NULL)
		{
			victim = fp;
			break;
		}
		if (fp->running == 0 && (victim == NULL || fp->used < victim->used))
			victim = fp;
	}
	if (victim == NULL)
		return;

	/* made under the current context, which frees it if anything fails */
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"cascade_cache fill plan",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	copy = pnstrdup(src, len);
	if (CC_PARAMS_ARE_NATIVE(params) && params->nargs > 0)
	{
		types = palloc(sizeof(Oid) * params->nargs);
		memcpy(types, params->types, sizeof(Oid) * params->nargs);
	}
	/* the copy of the raw tree that plan kept is as parsing left it */
	clock_literals = cc_clock_literals(plan->raw_parse_tree->stmt);
	MemoryContextSwitchTo(oldcxt);

	/* nothing below can fail */
	if (victim->cxt != NULL)
		cc_fill_plan_drop(victim);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	SaveCachedPlan(plan);
	plan->parserSetup = cc_fill_plan_setup;
	plan->parserSetupArg = victim;
	victim->cxt = cxt;
	victim->src = copy;
	victim->len = len;
	victim->context = seen->context;
	victim->ntypes = CC_PARAMS_ARE_NATIVE(params) ? params->nargs : -1;
	victim->types = types;
	victim->clock_literals = clock_literals;
	victim->plan = plan;
	victim->s0 = s0;
	victim->verdicts = seen->verdicts;
	victim->used = ++cc_fill_plan_clock;
	victim->running = 0;
	victim->failed = false;
	victim->reanalyzed = false;
}

/*
 * Bind 'params' to the kept plan's parameter types and judge its analysis
 * as cc_statement_parse() does: *reason is why the result cannot be
 * cached, or CC_BYPASS_NONE.  ERRORs on a value its type rejects.
 */
ParamListInfo
cc_fill_plan_bind(CCFillPlan *fp, const CCParams *params,
				  CCBypassReason *reason)
{
	ParamListInfo paramLI;
	CCBypassReason bound;

	Assert(list_length(fp->plan->query_list) == 1);
	paramLI = cc_bind_params(params, fp->plan->param_types,
							 fp->plan->num_params, &bound);
	*reason = cc_check_query(linitial_node(Query, fp->plan->query_list),
							 fp->clock_literals);
	if (*reason == CC_BYPASS_NONE)
		*reason = bound;
	return paramLI;
}

/*
 * Plan the statement through the kept plan, with 'fill' active, and run it
 * into 'dest'.  Returns false, having run nothing, if the plan cache
 * analyzed the statement again meanwhile: the caller then parses it
 * afresh.  A kept plan whose planning recorded anything in the fill, or
 * that failed, is not used again.  ERRORs as the statement does.
 */
bool
cc_fill_plan_execute(CCFillPlan *fp, const char *src, ParamListInfo paramLI,
					 CCFill *fill, DestReceiver *dest)
{
	CachedPlan *cplan;
	CCFillMark	mark;
	volatile CCBypassReason saved_reason;
	volatile bool ran = false;

	/* binding and judging read the catalogs: checked again */
	if (!cc_fill_plan_usable(fp, cc_function_verdicts_generation()))
	{
		fp->failed = true;
		return false;
	}

	/*
	 * What planning records is seen even when the fill already has a reason
	 * not to store (a clock parameter): the first reason is put back after.
	 */
	saved_reason = fill->reason;
	fill->reason = CC_BYPASS_NONE;
	cc_fill_mark(fill, &mark);
	fp->reanalyzed = false;
	fp->running++;
	PG_TRY();
	{
		cplan = cc_kept_plan_get(fp->plan, paramLI);
		if (cc_fill_changed(fill, &mark) || fp->reanalyzed ||
			cc_function_verdicts_generation() != fp->verdicts)
			fp->failed = true;
		if (saved_reason != CC_BYPASS_NONE)
			fill->reason = saved_reason;
		if (!fp->reanalyzed)
		{
			cc_statement_execute_cached(cplan, src, paramLI, dest);
			ran = true;
		}
		ReleaseCachedPlan(cplan, CurrentResourceOwner);
	}
	PG_CATCH();
	{
		/* the resource owner releases the plan */
		fp->running--;
		fp->failed = true;
		if (saved_reason != CC_BYPASS_NONE)
			fill->reason = saved_reason;
		PG_RE_THROW();
	}
	PG_END_TRY();
	fp->running--;
	return ran;
}
