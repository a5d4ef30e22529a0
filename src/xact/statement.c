/*-------------------------------------------------------------------------
 *
 * statement.c
 *		The statement a call runs: parsing and checking it, executing a
 *		plan of it, and the plans the pass-through keeps.
 *
 * A statement is exactly one read-only SELECT; its parameter types are
 * inferred as PREPARE infers them, but for native values, whose types are
 * given (a value of type unknown still has its type inferred).  A fill
 * parses, analyzes and judges it here, and plans it afresh or through the
 * plan the session keeps of it (xact/fill_plans.c, which keeps the plan
 * cache entry cc_statement_parse() makes for it).  A
 * pass-through (a call that must not use the cache: the cache disabled, a
 * transaction that has written, REPEATABLE READ, a standby not caching
 * yet) runs it from a plan the session keeps: the plans of the last
 * CC_SAVED_PLANS statements it passed through, as PostgreSQL's plan cache
 * entries (CreateCachedPlan/SaveCachedPlan), which PostgreSQL itself
 * replans when what they read changes or a role changes under row-level
 * security.  Unlike a prepared statement's, a kept plan gives exactly
 * what parsing the text afresh would, so it is used only under the rules
 * of the fills' kept plans (xact/fill_plans.c):
 *	- in the session state it was made in: its context (cc_compute_context():
 *	  every keyed setting, the role, the session user, a temporary schema),
 *	  which a literal is parsed under (DateStyle, TimeZone,
 *	  standard_conforming_strings, transform_null_equals) and names are
 *	  resolved in; and its search_path;
 *	- while PostgreSQL has not invalidated it, no function verdict has
 *	  changed (the verdicts' generation advances with any change of a
 *	  function, type, operator, cast, schema or relation, this session's
 *	  own included), and no catalog change that flushes the database's or
 *	  the cluster's entries has committed since before its analysis (the
 *	  fence's stripes): a new overload, operator, collation or a table that
 *	  shadows another invalidates no plan;
 *	- not in a transaction that has changed a catalog itself (its changes
 *	  reach the fence only when it commits): neither used nor made then;
 *	- never analyzed again with the parameter types first inferred: should
 *	  the plan cache analyze it again while planning (the parser setup hook
 *	  notes it), the text is parsed afresh instead; and once its statement
 *	  fails while running from it, it is dropped;
 *	- a generic plan only if making it raises no error: planning without
 *	  the values folds what they would have pruned (cc_kept_plan_get());
 *	- not again once a planning of it ran queries (a function labeled
 *	  IMMUTABLE that reads a table, folded into the plan with what it read
 *	  then: cc_executor_starts());
 *	- a plan analyzed after the catalog caches caught up with every commit
 *	  before the fence was read, and a slot that counts as running from
 *	  before its values are bound (a domain's CHECK can call cached_query()
 *	  again, which must not drop or reuse it).
 *
 * Everything here is backend-local; no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "tcop/cmdtag.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/key.h"
#include "base/subxact.h"
#include "parser/parse_param.h"
#include "store/fence.h"
#include "xact/cacheability.h"
#include "xact/catalog_inval.h"
#include "xact/hooks.h"
#include "xact/params.h"
#include "xact/statement.h"

/* Statement texts whose plans a session keeps for its pass-through */
#define CC_SAVED_PLANS			32

/* Statement texts longer than this are not kept */
#define CC_SAVED_PLAN_MAX_LEN	(64 * 1024)

typedef struct CCSavedPlan
{
	char	   *src;			/* in TopMemoryContext; NULL: a free slot */
	size_t		len;
	CCKey		context;		/* cc_compute_context() of src then */
	uint64		verdicts;		/* cc_function_verdicts_generation() then */
	uint64		s0;				/* the fence read before its analysis */
	CachedPlanSource *plan;		/* saved */
	uint64		used;			/* cc_saved_clock at its last use */
	int			running;		/* executions of it in progress */
	bool		failed;			/* failed while running: parse it afresh */
	bool		reanalyzed;		/* the plan cache analyzed it again */
} CCSavedPlan;

static CCSavedPlan cc_saved[CC_SAVED_PLANS];
static uint64 cc_saved_clock = 0;

/*
 * Parse 'src' and analyze it: exactly one read-only SELECT, its parameter
 * types inferred (*types, *ntypes: palloc'd, or NULL and 0 on entry; an
 * entry already there that is not UNKNOWNOID is given, not inferred) as
 * PREPARE infers them.  Returns the
 * Query; *rawstmt is the raw statement (analysis changes it: a caller that
 * keeps it copies it first, see *clock_literals), and *clock_literals, if
 * not NULL, the string literals naming the current time found in the raw
 * tree before analysis.  ERRORs otherwise.
 */
static Query *
cc_analyze(const char *src, RawStmt **rawstmt_out, CachedPlanSource **plan,
		   Oid **types, int *ntypes, List **clock_literals)
{
	List	   *rawlist;
	RawStmt    *rawstmt;
	List	   *querytrees;
	Query	   *query;

	rawlist = pg_parse_query(src);
	if (list_length(rawlist) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query accepts exactly one SQL statement, got %d",
						list_length(rawlist))));
	rawstmt = linitial_node(RawStmt, rawlist);
	*rawstmt_out = rawstmt;

	/*
	 * Only a SELECT (or VALUES, or TABLE) is run: an INSERT, UPDATE or DELETE
	 * that a rule turns into a SELECT is still refused.
	 */
	if (!IsA(rawstmt->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query only runs read-only SELECT statements"),
				 errdetail("The statement is %s.",
						   GetCommandTagName(CreateCommandTag(rawstmt->stmt)))));
	/* before analysis, which changes the raw tree */
	if (clock_literals != NULL)
		*clock_literals = cc_clock_literals(rawstmt->stmt);
	if (plan != NULL)
		*plan = CreateCachedPlan(rawstmt, src, CMDTAG_SELECT);

	querytrees = pg_analyze_and_rewrite_varparams(rawstmt, src, types,
												  ntypes, NULL);
	if (list_length(querytrees) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query only runs read-only SELECT statements"),
				 errdetail("The statement is rewritten into %d statements.",
						   list_length(querytrees))));
	query = linitial_node(Query, querytrees);
	if (query->commandType != CMD_SELECT || query->utilityStmt != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query only runs read-only SELECT statements"),
				 errdetail("The statement is %s.",
						   GetCommandTagName(CreateCommandTag((Node *) query)))));
	if (query->hasModifyingCTE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cached_query only runs read-only SELECT statements"),
				 errdetail("The statement has a data-modifying WITH clause.")));
	return query;
}

/* Walker: the $n a query tree uses, into *(Bitmapset **) context. */
static bool
cc_params_used_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN)
	{
		Bitmapset **used = (Bitmapset **) context;

		*used = bms_add_member(*used, ((Param *) node)->paramid);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, cc_params_used_walker,
								 context, 0);
	return expression_tree_walker(node, cc_params_used_walker, context);
}

/*
 * Parse and analyze 'src' (cc_analyze(), with the types of native values
 * given) and bind 'params'.  If 'reason'
 * is not NULL, judge the query too: *reason is why its result cannot be
 * cached (cc_check_query(), or a literal or parameter naming the current
 * time), or CC_BYPASS_NONE.  If 'plan' is not NULL, *plan is a plan cache
 * entry of the statement, completed with a copy of the analysis and the
 * parameter types, not saved (it lives in the current memory context until
 * the caller saves it: xact/fill_plans.c), or NULL if the statement was
 * judged and its result cannot be cached.  ERRORs otherwise.
 */
Query *
cc_statement_parse(const char *src, const CCParams *params,
				   ParamListInfo *paramLI, CCBypassReason *reason,
				   CachedPlanSource **plan)
{
	RawStmt    *rawstmt;
	Query	   *query;
	Oid		   *types = NULL;
	int			ntypes = 0;
	List	   *clock_literals = NIL;
	CCBypassReason bound;

	/* native values come with their types */
	if (CC_PARAMS_ARE_NATIVE(params) && params->nargs > 0)
	{
		ntypes = params->nargs;
		types = palloc(sizeof(Oid) * ntypes);
		memcpy(types, params->types, sizeof(Oid) * ntypes);
	}
	query = cc_analyze(src, &rawstmt, plan, &types, &ntypes,
					   reason != NULL ? &clock_literals : NULL);

	/*
	 * Given types count as parameters whether or not the query uses them: a
	 * native value the query does not use is an error, as a JSON value beyond
	 * its last parameter is.  (An unused value of type unknown has already
	 * failed: its type could not be inferred.)
	 */
	if (CC_PARAMS_ARE_NATIVE(params) && ntypes == params->nargs &&
		ntypes > 0)
	{
		Bitmapset  *used = NULL;
		int			i;

		(void) cc_params_used_walker((Node *) query, &used);
		for (i = 1; i <= ntypes; i++)
			if (!bms_is_member(i, used))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cached_query was given %d value%s, but the query does not use $%d",
								params->nargs, params->nargs == 1 ? "" : "s",
								i)));
		bms_free(used);
	}
	*paramLI = cc_bind_params(params, types, ntypes, &bound);

	if (reason != NULL)
	{
		*reason = cc_check_query(query, clock_literals);
		if (*reason == CC_BYPASS_NONE)
			*reason = bound;
	}

	/*
	 * A plan only of what may be cached; the copy is made before planning,
	 * which changes the tree in place.
	 */
	if (plan != NULL && reason != NULL && *reason != CC_BYPASS_NONE)
	{
		DropCachedPlan(*plan);
		*plan = NULL;
	}
	else if (plan != NULL)
		CompleteCachedPlan(*plan, list_make1(query), NULL, types, ntypes,
						   NULL, NULL, CURSOR_OPT_PARALLEL_OK, false);
	return query;
}

/*
 * Run a planned SELECT into 'dest' with a fresh snapshot.  The caller has
 * made its fill (if any) the active one, so the executor hook records what
 * the plan (and every plan it causes) reads.
 */
void
cc_statement_execute(PlannedStmt *pstmt, const char *src,
					 ParamListInfo paramLI, DestReceiver *dest)
{
	QueryDesc  *qdesc;

	PushActiveSnapshot(GetTransactionSnapshot());
	qdesc = CreateQueryDesc(pstmt, src, GetActiveSnapshot(),
							InvalidSnapshot, dest, paramLI, NULL, 0);
	ExecutorStart(qdesc, 0);
	CC_EXECUTOR_RUN_ALL(qdesc);
	ExecutorFinish(qdesc);
	ExecutorEnd(qdesc);
	FreeQueryDesc(qdesc);
	PopActiveSnapshot();
}

/*
 * Execute the plan cache's 'cplan' of 'src', which must be one statement,
 * with 'paramLI' into 'dest'.  ERRORs as the statement does.
 */
void
cc_statement_execute_cached(CachedPlan *cplan, const char *src,
							ParamListInfo paramLI, DestReceiver *dest)
{
	if (list_length(cplan->stmt_list) != 1)
		elog(ERROR, "a kept cached_query plan has %d statements",
			 list_length(cplan->stmt_list));
	cc_statement_execute(linitial_node(PlannedStmt, cplan->stmt_list),
						 src, paramLI, dest);
}

/* Drop the kept plan of slot 'i' (not running) and free the slot. */
static void
cc_saved_drop(int i)
{
	CCSavedPlan *slot = &cc_saved[i];

	Assert(slot->running == 0);
	DropCachedPlan(slot->plan);
	pfree(slot->src);
	memset(slot, 0, sizeof(*slot));
}

/*
 * Would GetCachedPlan() make a generic plan of 'plan' now?  As the plan
 * cache's choose_custom_plan() decides, for a plan source that has no
 * valid generic plan; false when in doubt.
 */
static bool
cc_kept_plan_goes_generic(CachedPlanSource *plan, ParamListInfo paramLI)
{
	/* without parameters a generic plan is what a fresh planning makes */
	if (paramLI == NULL || paramLI->numParams == 0)
		return false;
	if ((plan->cursor_options & CURSOR_OPT_CUSTOM_PLAN) ||
		(plan->gplan != NULL && plan->gplan->is_valid) ||
		plan_cache_mode == PLAN_CACHE_MODE_FORCE_CUSTOM_PLAN)
		return false;
	if (plan_cache_mode == PLAN_CACHE_MODE_FORCE_GENERIC_PLAN ||
		(plan->cursor_options & CURSOR_OPT_GENERIC_PLAN))
		return true;
	if (plan->num_custom_plans < 5)
		return false;
	return plan->generic_cost <
		plan->total_custom_cost / plan->num_custom_plans;
}

/*
 * GetCachedPlan() of 'plan' with plan_cache_mode forced to custom plans for
 * the call (see cc_kept_plan_get()).  ERRORs as GetCachedPlan() does, the
 * setting restored.
 */
static CachedPlan *
cc_kept_plan_get_custom(CachedPlanSource *plan, ParamListInfo paramLI)
{
	CachedPlan *volatile cplan = NULL;
	int			saved = plan_cache_mode;

	plan_cache_mode = PLAN_CACHE_MODE_FORCE_CUSTOM_PLAN;
	PG_TRY();
	{
		cplan = GetCachedPlan(plan, paramLI, CurrentResourceOwner, NULL);
	}
	PG_CATCH();
	{
		plan_cache_mode = saved;
		PG_RE_THROW();
	}
	PG_END_TRY();
	plan_cache_mode = saved;
	return cplan;
}

/*
 * GetCachedPlan() of a kept plan (a pass-through's here, or a fill's,
 * xact/fill_plans.c), with CurrentResourceOwner.  A generic plan is made
 * without the parameters' values, and planning folds constants that the
 * values would have pruned (the arm of a CASE whose condition is on a
 * parameter, dividing by zero): it can fail where a fresh planning, with
 * the values, would not.  So a plan source's generic plan is made first
 * in a subtransaction; if that fails, the plan source makes custom plans
 * only from then on (CURSOR_OPT_CUSTOM_PLAN), and the error is forgotten:
 * the custom plan then raises any error the values do.  Only if the error
 * tells of the statement (cc_error_is_lasting(): a constant that does not
 * convert, a division by zero); any other (a stack too deep, say) gives a
 * custom plan for this call, and the generic plan is tried again only after
 * as many custom plans as a new plan source makes; and one that tells of the moment
 * (cc_error_is_transient(): a cancel, a recovery conflict, lock_timeout,
 * ...) is raised again.  ERRORs as GetCachedPlan() does.
 *
 * Limits: a generic plan that GetCachedPlan() itself drops and makes again
 * (an invalidation taken in while it locks) is made outside the
 * subtransaction.  (The subtransaction is cc_subxact_begin()'s, which may
 * be rolled back while a transaction block commits: a deferred trigger's
 * cached_query() at COMMIT.)
 */
CachedPlan *
cc_kept_plan_get(CachedPlanSource *plan, ParamListInfo paramLI)
{
	if (cc_kept_plan_goes_generic(plan, paramLI) && IsTransactionState() &&
		!IsInParallelMode())
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		ResourceOwner oldowner = CurrentResourceOwner;
		uint32		holdoff = InterruptHoldoffCount;
		uint32		cancel_holdoff = QueryCancelHoldoffCount;
		volatile bool lasting = true;
		volatile bool failed = false;
		int			levels = cc_subxact_begin();

		MemoryContextSwitchTo(oldcxt);
		PG_TRY();
		{
			CachedPlan *cplan = GetCachedPlan(plan, paramLI,
											  CurrentResourceOwner, NULL);

			ReleaseCachedPlan(cplan, CurrentResourceOwner);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata = cc_subxact_abandon(oldcxt, oldowner, levels);

			failed = true;
			if (cc_error_is_transient(edata))
				ReThrowError(edata);
			/* errfinish() zeroed these for the error this forgets */
			InterruptHoldoffCount = holdoff;
			QueryCancelHoldoffCount = cancel_holdoff;
			lasting = cc_error_is_lasting(edata);
			FreeErrorData(edata);
			if (lasting)
				plan->cursor_options |= CURSOR_OPT_CUSTOM_PLAN;
			else
			{
				/* custom plans again, as for a new plan source, before a try */
				plan->num_custom_plans = 0;
				plan->total_custom_cost = 0;
			}
		}
		PG_END_TRY();
		if (!failed)
		{
			cc_subxact_end(levels);
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		if (!lasting)
			return cc_kept_plan_get_custom(plan, paramLI);
	}

	/*
	 * plan_cache_mode = force_generic_plan overrides the plan source's
	 * CURSOR_OPT_CUSTOM_PLAN (choose_custom_plan() looks at the setting
	 * first): for a plan whose generic plan failed, custom is forced here.
	 */
	if ((plan->cursor_options & CURSOR_OPT_CUSTOM_PLAN) &&
		plan_cache_mode == PLAN_CACHE_MODE_FORCE_GENERIC_PLAN)
		return cc_kept_plan_get_custom(plan, paramLI);
	return GetCachedPlan(plan, paramLI, CurrentResourceOwner, NULL);
}

/*
 * A kept plan (a pass-through's here, or a fill's, xact/fill_plans.c) is
 * being analyzed again by the plan cache: note it in *reanalyzed (the
 * plan is then not used), and give the parameters the types of the first
 * analysis, as the plan cache itself would.  For parser setup hooks.
 */
void
cc_kept_plan_reanalyzing(ParseState *pstate, CachedPlanSource *plan,
						 bool *reanalyzed)
{
	*reanalyzed = true;
	setup_parse_fixed_parameters(pstate, plan->param_types, plan->num_params);
}

/*
 * May a kept plan be used now: it has not failed, PostgreSQL has not
 * invalidated it, the search_path is the one it was made under, the
 * function verdicts are those of then ('verdicts_then' against
 * 'verdicts'), and no catalog change that flushes the database's or the
 * cluster's entries has committed, or is committing, since the fence read
 * 's0' before its analysis?  (Nor is one held: a prepared transaction's
 * marks stay until its slot is released, which can be a while after its
 * commit is visible, and a plan made from the catalogs before it must not
 * be used in between.)  See the header comment.  Cannot fail.
 */
bool
cc_kept_plan_usable(CachedPlanSource *plan, bool failed,
					uint64 verdicts_then, uint64 s0, uint64 verdicts)
{
	return !failed && plan->is_valid &&
		CC_SEARCH_PATH_MATCHES(plan->search_path) &&
		verdicts_then == verdicts &&
	/* no entry here: only the database's and the cluster's stripes */
		cc_fence_check(NULL, 0, s0, false);
}

/* The parser setup hook of a pass-through's kept plan */
static void
cc_saved_setup(ParseState *pstate, void *arg)
{
	CCSavedPlan *slot = (CCSavedPlan *) arg;

	cc_kept_plan_reanalyzing(pstate, slot->plan, &slot->reanalyzed);
}

/* May the kept plan of 'slot' be used now? */
static inline bool
cc_saved_usable(CCSavedPlan *slot, uint64 verdicts)
{
	return cc_kept_plan_usable(slot->plan, slot->failed, slot->verdicts,
							   slot->s0, verdicts);
}

/*
 * The slot keeping a usable plan of 'src' in 'context'; -1 if there is
 * none, -2 if there is one but it is running and must not be used (the
 * caller then runs the statement unsaved).  A slot whose plan may not be
 * used (cc_saved_usable()) is dropped unless it is running.
 */
static int
cc_saved_find(const char *src, size_t len, const CCKey *context,
			  uint64 verdicts)
{
	int			i;

	for (i = 0; i < CC_SAVED_PLANS; i++)
	{
		CCSavedPlan *slot = &cc_saved[i];

		if (slot->src == NULL || slot->len != len ||
			memcmp(&slot->context, context, sizeof(CCKey)) != 0 ||
			memcmp(slot->src, src, len) != 0)
			continue;
		if (!cc_saved_usable(slot, verdicts))
		{
			if (slot->running > 0)
				return -2;
			cc_saved_drop(i);
			return -1;
		}
		return i;
	}
	return -1;
}

/*
 * Parse, analyze and keep the plan of 'src' in 'context' in a slot: a free
 * one, or the least recently used one that is not running (its plan
 * dropped).  Returns the slot, or -1 when every slot is running or the
 * function verdicts changed while it was analyzed (the caller then runs
 * the statement unsaved; the plan made here goes with the current memory
 * context).  ERRORs as cc_analyze() does, keeping nothing.
 */
static int
cc_saved_add(const char *src, size_t len, const CCKey *context,
			 uint64 verdicts)
{
	int			victim = -1;
	int			i;
	RawStmt    *rawstmt;
	CachedPlanSource *plan = NULL;
	Oid		   *types = NULL;
	int			ntypes = 0;
	Query	   *query;
	char	   *copy;
	uint64		s0;

	/*
	 * Before anything is looked up in the catalogs for it, and then the
	 * catalog caches catch up with every commit before that (inside a
	 * transaction block they would not until its next command): a change
	 * committed after s0 drops the plan, one before it is seen.
	 */
	s0 = cc_fence_begin();
	AcceptInvalidationMessages();
	query = cc_analyze(src, &rawstmt, &plan, &types, &ntypes, NULL);
	Assert(plan != NULL);
	CompleteCachedPlan(plan, list_make1(query), NULL, types, ntypes,
					   NULL, NULL, CURSOR_OPT_PARALLEL_OK, false);
	if (cc_function_verdicts_generation() != verdicts)
		return -1;

	/* chosen after the analysis, which leaves the slots as they were */
	for (i = 0; i < CC_SAVED_PLANS; i++)
	{
		if (cc_saved[i].src == NULL)
		{
			victim = i;
			break;
		}
		if (cc_saved[i].running == 0 &&
			(victim < 0 || cc_saved[i].used < cc_saved[victim].used))
			victim = i;
	}
	if (victim < 0)
		return -1;

	/* only the copy of the text can fail from here on */
	copy = MemoryContextAlloc(TopMemoryContext, len + 1);
	memcpy(copy, src, len + 1);
	if (cc_saved[victim].src != NULL)
		cc_saved_drop(victim);
	plan->parserSetup = cc_saved_setup;
	plan->parserSetupArg = &cc_saved[victim];
	SaveCachedPlan(plan);
	cc_saved[victim].src = copy;
	cc_saved[victim].len = len;
	cc_saved[victim].context = *context;
	cc_saved[victim].verdicts = verdicts;
	cc_saved[victim].s0 = s0;
	cc_saved[victim].plan = plan;
	cc_saved[victim].running = 0;
	cc_saved[victim].failed = false;
	cc_saved[victim].reanalyzed = false;
	return victim;
}

/*
 * Run the kept plan of 'slot' with 'params' into 'dest'.  Returns false,
 * having run nothing, when the plan may no longer be used once the values
 * are bound (binding reads the catalogs), or the plan cache analyzed it
 * again or the function verdicts changed while it planned (the
 * invalidations its locks took in): the caller then parses the text
 * afresh.  The slot counts as running from before binding, which can run
 * a domain's CHECK, and so a nested cached_query() that must not drop or
 * reuse the slot.  ERRORs as the statement does; the slot is then marked
 * failed, to be parsed afresh next time.
 */
static bool
cc_saved_execute(CCSavedPlan *slot, const char *src, const CCParams *params,
				 DestReceiver *dest)
{
	volatile bool ran = false;

	slot->reanalyzed = false;
	slot->running++;
	PG_TRY();
	{
		ParamListInfo paramLI;
		CCBypassReason bound;	/* the pass-through stores nothing */

		paramLI = cc_bind_params(params, slot->plan->param_types,
								 slot->plan->num_params, &bound);
		if (!cc_saved_usable(slot, cc_function_verdicts_generation()))
			slot->failed = true;
		else
		{
			uint64		starts = cc_executor_starts();
			CachedPlan *cplan = cc_kept_plan_get(slot->plan, paramLI);

			/*
			 * A planning that ran queries folded what they read into the
			 * plan: this run may use it (it was just made), a later one
			 * must not.
			 */
			if (cc_executor_starts() != starts)
				slot->failed = true;
			if (slot->reanalyzed ||
				cc_function_verdicts_generation() != slot->verdicts)
				slot->failed = true;
			else
			{
				cc_statement_execute_cached(cplan, src, paramLI, dest);
				ran = true;
			}
			ReleaseCachedPlan(cplan, CurrentResourceOwner);
		}
	}
	PG_CATCH();
	{
		/* the resource owner releases the plan */
		slot->running--;
		slot->failed = true;
		PG_RE_THROW();
	}
	PG_END_TRY();
	slot->running--;
	return ran;
}

/*
 * Run 'src' with 'params' into 'dest' as the pass-through does: from the
 * plan this session keeps of it in this context (made now if it has none),
 * or parsed afresh when no plan may be used (see the header comment), no
 * slot is free, or the values are native (whose types the kept plans, made
 * with inferred types, do not take).  ERRORs as the statement does.
 */
void
cc_statement_run_saved(const char *src, const CCParams *params,
					   DestReceiver *dest)
{
	size_t		len = strlen(src);
	int			i = -1;
	ParamListInfo paramLI;
	Query	   *query;
	PlannedStmt *pstmt;

	if (len <= CC_SAVED_PLAN_MAX_LEN && !CC_PARAMS_ARE_NATIVE(params) &&
		!cc_catalog_changed_in_xact())
	{
		CCKey		context;
		uint64		verdicts;

		cc_compute_context(src, &context);
		verdicts = cc_function_verdicts_generation();
		i = cc_saved_find(src, len, &context, verdicts);
		if (i == -1)
			i = cc_saved_add(src, len, &context, verdicts);
	}
	if (i >= 0)
	{
		cc_saved[i].used = ++cc_saved_clock;
		if (cc_saved_execute(&cc_saved[i], src, params, dest))
			return;
	}

	query = cc_statement_parse(src, params, &paramLI, NULL, NULL);
	pstmt = pg_plan_query(query, src, CURSOR_OPT_PARALLEL_OK, paramLI);
	cc_statement_execute(pstmt, src, paramLI, dest);
}
