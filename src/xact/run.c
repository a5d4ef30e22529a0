/*-------------------------------------------------------------------------
 *
 * run.c
 *		Running a cached_query() statement: the miss, coalesced, and the
 *		fill that stores its result; the uncached run of a bypass; the dry
 *		run of cache_explain().
 *
 * A miss parses and analyzes the statement itself (so that the parameter
 * types are inferred as PREPARE infers them), rejects anything that is not
 * a single read-only SELECT, plans it with the parameter values known and
 * runs it through the executor into a jsonb-building DestReceiver; or it
 * runs it from the plan the session keeps of the statement, where a fresh
 * parse would give the same (xact/fill_plans.c).  While
 * it runs, a CCFill is active: the executor hook (hooks.c) records
 * every relation any plan opens, including plans run inside functions,
 * as a dependency and notes anything that makes the result uncacheable.
 *
 * The fence: the invalidation sequence is read before the snapshot for the
 * fill is taken; cc_store() prepares the entry in the store, checks the
 * fence, and publishes the result only if none of its dependencies was
 * invalidated after that point (see fence.c), abandoning it
 * otherwise.  It counts what the store came to.
 *
 * Coalescing: a miss first joins the key's fill in the in-flight table
 * (coalesce.c).  The leader runs the query and reports how its fill ended;
 * waiters read the stored result from the cache, start again (one of them
 * leads) when the leader failed or its result was fenced out, or run the
 * query alone when the result cannot be shared.  A leader that finds
 * before executing that the query is uncacheable releases its waiters at
 * once.
 *
 * Locks: none held on entry or exit of any function here; the store and
 * the fence take and release their own (include/store/store.h).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */

#include "postgres.h"

#include "access/xact.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "store/fence.h"
#include "store/store.h"
#include "xact/cacheability.h"
#include "xact/coalesce.h"
#include "xact/fill.h"
#include "xact/fill_plans.h"
#include "xact/jsonb_dest.h"
#include "xact/recipe.h"
#include "xact/replication.h"
#include "xact/statement.h"
#include "xact/tags.h"
#include "xact/run.h"
#include "xact/twophase.h"

/*
 * Rounds of joining a key's fill (each ended by a refill, a failed leader
 * or an overwritten outcome) before a miss gives up coalescing and runs
 * the query on its own: bounds the loop in cc_run_miss().
 */
#define CC_MAX_COALESCE_ROUNDS	8

/*
 * Set by a recipe runner (src/api/runner.c): its fills are counted in
 * cache_recipe_stats(), not as misses.
 */
bool		cc_run_in_background = false;

/*
 * Set when the fence (or an invalidation) refused a fill this backend ran
 * since cc_run_miss() was called: whether trying again could store it.
 */
bool		cc_run_refused = false;

/* A fill run by a leader, kept in memory so PG_TRY cannot clobber it */
typedef struct CCLeadRun
{
	const char *src;
	const CCParams *params;
	const CCKey *key;
	const char *name;
	int64		ttl_us;
	CCFormat	format;
	CCFillOutcome outcome;
	struct varlena *result;
} CCLeadRun;


static struct varlena *cc_lead(const char *src, const CCParams *params,
							   const CCKey *key, const char *name,
							   int64 ttl_us, CCFormat format);
static void cc_note_wait(TimestampTz started);
static struct varlena *cc_run(const char *src, const CCParams *params,
							  const CCKey *key, const char *name,
							  int64 ttl_us, CCFormat format,
							  CCFillOutcome *outcome);
static void cc_run_fill(const char *src, const CCParams *params,
						CCFill *fill, DestReceiver *dest,
						CCFillOutcome *outcome, uint64 s0);
static void cc_statement_error_callback(void *arg);
static int	cc_fill_serial_begin(void);
static void cc_debug_pause(void);
static CCStoreResult cc_store(const CCKey *key, struct varlena *payload,
							  CCFormat format, CCFill *fill, const char *name,
							  const char *recipe, uint32 recipe_len,
							  uint32 context_len, int64 ttl_us, uint64 s0);

/*
 * A miss: lead the key's fill, or wait for the one in progress and share
 * its result.  See coalesce.c for the states a wait can end in.
 */
struct varlena *
cc_run_miss(const char *src, const CCParams *params, const CCKey *key, const char *name,
			int64 ttl_us, CCFormat format)
{
	TimestampTz deadline = 0;
	bool		took_over = false;
	int			round;

	cc_run_refused = false;
	for (round = 0;; round++)
	{
		CCFillRole	role;
		CCWaitResult wait;
		TimestampTz started;
		uint64		fill_id;

		if (round > 0)
		{
			struct varlena *result = cc_lookup(key);

			if (result != NULL)
			{
				cc_count(CC_STAT_COALESCE_SAVED, 1);
				return result;
			}
		}

		if (!cc_coalesce_enabled || round >= CC_MAX_COALESCE_ROUNDS)
			return cc_run(src, params, key, name, ttl_us, format, NULL);

		role = cc_coalesce_begin(key, &fill_id);
		if (role == CC_ROLE_ALONE)
		{
			cc_count(CC_STAT_COALESCE_FULL, 1);
			return cc_run(src, params, key, name, ttl_us, format, NULL);
		}
		if (role == CC_ROLE_LEADER)
		{
			if (took_over)
				cc_count(CC_STAT_COALESCE_TAKEOVERS, 1);
			return cc_lead(src, params, key, name, ttl_us, format);
		}

		/* a waiter */
		started = GetCurrentTimestamp();
		if (deadline == 0)
			deadline = TimestampTzPlusMilliseconds(started,
												   cc_coalesce_timeout_ms);
		cc_count(CC_STAT_COALESCE_WAITS, 1);
		wait = cc_coalesce_wait(key, &fill_id, deadline);
		cc_note_wait(started);

		switch (wait)
		{
			case CC_WAIT_STORED:
			case CC_WAIT_REFILL:
			case CC_WAIT_UNKNOWN:
				/* read the cache again; if missing, join or lead anew */
				break;
			case CC_WAIT_FAILED:
				took_over = true;
				break;
			case CC_WAIT_TAKEOVER:
				cc_count(CC_STAT_COALESCE_TAKEOVERS, 1);
				return cc_lead(src, params, key, name, ttl_us, format);
			case CC_WAIT_UNSHAREABLE:
				cc_count(CC_STAT_COALESCE_UNSHAREABLE, 1);
				return cc_run(src, params, key, name, ttl_us, format, NULL);
			case CC_WAIT_TIMEOUT:
				cc_count(CC_STAT_COALESCE_TIMEOUTS, 1);
				return cc_run(src, params, NULL, NULL, 0, format, NULL);
		}
	}
}

static void
cc_lead_run(CCLeadRun *run)
{
	run->result = cc_run(run->src, run->params, run->key, run->name,
						 run->ttl_us, run->format, &run->outcome);
}

/*
 * Run the fill as the leader of the key's slot; whatever happens, the slot
 * is released and the waiters woken with the outcome.
 */
static struct varlena *
cc_lead(const char *src, const CCParams *params, const CCKey *key, const char *name,
		int64 ttl_us, CCFormat format)
{
	CCLeadRun	run;

	run.src = src;
	run.params = params;
	run.key = key;
	run.name = name;
	run.ttl_us = ttl_us;
	run.format = format;
	run.outcome = CC_FILL_FAILED;
	run.result = NULL;

	cc_count(CC_STAT_COALESCE_LEADS, 1);
	PG_TRY();
	{
		cc_lead_run(&run);
	}
	PG_CATCH();
	{
		cc_coalesce_finish(CC_FILL_FAILED);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cc_coalesce_finish(run.outcome);
	return run.result;
}

/* Account one wait that began at 'started'. */
static void
cc_note_wait(TimestampTz started)
{
	uint64		us = (uint64) Max(GetCurrentTimestamp() - started, 0);
	uint64		max = pg_atomic_read_u64(&cc_shared->coalesce_wait_max_us);

	cc_count(CC_STAT_COALESCE_WAIT_US, us);
	while (us > max &&
		   !pg_atomic_compare_exchange_u64(&cc_shared->coalesce_wait_max_us,
										   &max, us))
		;
}


/*
 * Run 'src' with 'params' without the cache (a bypass, or a wait that timed
 * out) and return its rows in 'format', in the caller's memory context.
 * ERRORs as the statement does.
 */
struct varlena *
cc_run_uncached(const char *src, const CCParams *params, CCFormat format)
{
	return cc_run(src, params, NULL, NULL, 0, format, NULL);
}

/*
 * Run a fill's statement into 'dest', with 'fill' (fresh) active: from the
 * plan this session keeps of it (xact/fill_plans.c), or parsed, analyzed
 * and planned afresh, keeping the plan for the next fill.  Judges the
 * query into fill->reason; if the fill leads its key ('outcome' not NULL)
 * and the result cannot be cached, the waiters are released before the
 * statement runs.  's0' is the fence's sequence the fill read.  ERRORs as
 * the statement does.
 */
static void
cc_run_fill(const char *src, const CCParams *params, CCFill *fill,
			DestReceiver *dest, CCFillOutcome *outcome, uint64 s0)
{
	CCFillPlanSeen seen;
	CCFillPlan *fp = cc_fill_plan_find(src, params, &seen);

	for (;;)
	{
		ParamListInfo paramLI;
		CCBypassReason found;
		CachedPlanSource *plan = NULL;
		Query	   *query = NULL;
		PlannedStmt *pstmt;

		if (fp != NULL)
			paramLI = cc_fill_plan_bind(fp, params, &found);
		else
			query = cc_statement_parse(src, params, &paramLI, &found,
									   seen.verdicts != 0 ? &plan : NULL);

		if (fill->reason == CC_BYPASS_NONE)
			fill->reason = found;
		if (fill->reason != CC_BYPASS_NONE && outcome != NULL)
		{
			/* nothing to share: let the waiters run it alone now */
			*outcome = CC_FILL_UNSHAREABLE;
			cc_coalesce_finish(CC_FILL_UNSHAREABLE);
		}

		/* from here on the executor hook records what the plan reads */
		if (fp != NULL)
		{
			if (cc_fill_plan_execute(fp, src, paramLI, fill, dest))
				return;

			/*
			 * Changed meanwhile, or analyzed again by the plan cache: parse
			 * it afresh, forgetting what the attempt recorded (this fill is
			 * the outermost one: nothing else is in it).
			 */
			fp = NULL;
			seen.verdicts = 0;
			fill->reason = CC_BYPASS_NONE;
			fill->ndeps = 0;
			fill->nrelids = 0;
			continue;
		}
		pstmt = pg_plan_query(query, src, CURSOR_OPT_PARALLEL_OK, paramLI);
		if (plan != NULL)
			cc_fill_plan_keep(src, params, plan, s0, &seen, fill);
		cc_statement_execute(pstmt, src, paramLI, dest);
		return;
	}
}

/*
 * Run the rest of a fill without parallel workers, until AtEOXact_GUC(true,
 * the level returned) or the end of the (sub)transaction: a plan's Gather
 * then runs its plan in this process.  A function that a worker evaluates
 * (a PARALLEL SAFE one of the user's, reading tables through queries of its
 * own) starts those queries' plans in the worker, where no fill records
 * what they read: the entry would not depend on those tables, and a write
 * to them would leave it stale.  Plans made before the fill (a PL/pgSQL
 * function's kept ones) may hold Gather nodes: max_parallel_workers = 0
 * keeps them from starting workers; max_parallel_workers_per_gather = 0
 * keeps plans made during the fill serial, as the Gather would only cost.
 * Neither setting is in the key.  (A function's own SET clause can raise
 * them again: the executor hook then keeps the result out, hooks.c.)  Not
 * in parallel mode, where settings cannot change: cc_session_bypass_reason()
 * keeps the cache out of it.
 */
static int
cc_fill_serial_begin(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("max_parallel_workers_per_gather", "0",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	(void) set_config_option("max_parallel_workers", "0",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	return level;
}

/*
 * Run 'src' with 'params' and return its rows as a jsonb array, or its
 * first row's first column, as jsonb or as JSON text, as 'format' says
 * (an empty varlena for a document of no row or a NULL value), allocated
 * in the caller's memory context.  If 'key' is not NULL the result is a
 * candidate for the cache: dependencies are recorded, and the result is
 * stored unless something made it uncacheable.  If 'outcome' is not NULL
 * the caller leads the key's fill: *outcome says how the fill ended, and
 * waiters are released as soon as the query is known to be uncacheable.
 */
static struct varlena *
cc_run(const char *src, const CCParams *params, const CCKey *key, const char *name,
	   int64 ttl_us, CCFormat format, CCFillOutcome *outcome)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext runcxt;
	ErrorContextCallback errcallback;
	CCBypassReason reason;
	CCFill		fill;
	CCFill	   *outer;
	volatile uint64 s0 = 0;
	volatile int gucs = 0;
	DestReceiver *dest;
	Jsonb	   *result;
	struct varlena *payload;

	runcxt = AllocSetContextCreate(callercxt, "cascade_cache run",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(runcxt);

	errcallback.callback = cc_statement_error_callback;
	errcallback.arg = (void *) src;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	dest = cc_create_jsonb_dest(runcxt, CC_FORMAT_IS_DOCUMENT(format));

	/*
	 * A candidate for the cache is a fill from the start: parse analysis and
	 * planning can call functions too (the planner pre-evaluates IMMUTABLE
	 * ones), and a cached_query() reached that way must see it and run as a
	 * nested bypass, not start a second fill of its own.
	 */
	memset(&fill, 0, sizeof(fill));
	fill.reason = CC_BYPASS_NONE;
	fill.cxt = runcxt;
	outer = (key == NULL) ? cc_fill_current() : NULL;
	if (key != NULL)
	{
		gucs = cc_fill_serial_begin();
		cc_fill_push(&fill);
	}
	PG_TRY();
	{
		Query	   *query;
		ParamListInfo paramLI;
		PlannedStmt *pstmt;
		CCBypassReason found;
		bool		nested;

		/*
		 * The invalidation sequence is read before anything is looked up in
		 * the catalogs for this query, and before the snapshot is taken: a
		 * commit after this point, catalog change or write, keeps the result
		 * out of the cache.  Then the catalog caches catch up with every
		 * commit before it.
		 */
		if (key != NULL)
		{
			/*
			 * first release the holds that have ended: a standby's, and
			 * prepared transactions'
			 */
			cc_replica_release();
			cc_twophase_before_fill();
			s0 = cc_fence_begin();
			AcceptInvalidationMessages();
		}

		/*
		 * A fill judges its query; so does a call nested inside another fill
		 * (a cached_query() in a function the outer query calls): what makes
		 * this query uncacheable makes the outer result, which includes it,
		 * uncacheable.
		 */
		nested = outer != NULL && outer->reason == CC_BYPASS_NONE;
		if (key == NULL && !nested)
		{
			/* a pass-through, judged by nobody: as a prepared statement */
			cc_statement_run_saved(src, params, dest);
		}
		else if (key != NULL)
			cc_run_fill(src, params, &fill, dest, outcome, s0);
		else
		{
			query = cc_statement_parse(src, params, &paramLI, &found, NULL);
			if (outer->reason == CC_BYPASS_NONE)
				outer->reason = found;
			pstmt = pg_plan_query(query, src, CURSOR_OPT_PARALLEL_OK, paramLI);
			cc_statement_execute(pstmt, src, paramLI, dest);
		}
	}
	PG_FINALLY();
	{
		if (key != NULL)
			cc_fill_pop(&fill);
	}
	PG_END_TRY();
	/* (after an ERROR, aborting the (sub)transaction undoes the settings) */
	if (key != NULL)
		AtEOXact_GUC(true, gucs);

	error_context_stack = errcallback.previous;

	MemoryContextSwitchTo(callercxt);
	result = cc_jsonb_dest_result(dest);
	/* what is stored and returned: the jsonb, or its text made once */
	if (result == NULL)
	{
		/* a document of no row, or of a NULL value */
		payload = palloc(VARHDRSZ);
		SET_VARSIZE(payload, VARHDRSZ);
	}
	else if (CC_FORMAT_IS_TEXT(format))
	{
		char	   *json = JsonbToCString(NULL, &result->root, VARSIZE(result));

		payload = (struct varlena *) cstring_to_text(json);
		pfree(json);
	}
	else
		payload = (struct varlena *) result;

	if (key != NULL)
	{
		reason = fill.reason;
		if (reason == CC_BYPASS_NONE &&
			VARSIZE(payload) > (Size) cc_max_entry_size_kb * 1024)
			reason = CC_BYPASS_TOO_LARGE;
		if (reason == CC_BYPASS_NONE)
			reason = cc_check_policies(fill.relids, fill.nrelids);

		if (reason != CC_BYPASS_NONE)
		{
			cc_count_bypass(reason);
			if (outcome != NULL)
				*outcome = CC_FILL_UNSHAREABLE;
		}
		else
		{
			CCStoreResult stored;
			char	   *recipe;
			uint32		recipe_len = 0;
			uint32		context_len = 0;

			/* a runner's fill is no application's miss (cache_recipe_stats) */
			if (!cc_run_in_background)
				cc_count(CC_STAT_MISSES, 1);

			/* what a cascade can invalidate it by: entities and the name */
			MemoryContextSwitchTo(runcxt);
			if (result != NULL)
				cc_collect_tags(result, &fill);
			/* a name comes only with JSON parameters */
			if (name != NULL)
				cc_name_deps(name, params->json, &fill);

			/* how a runner computes it again (NULL: it cannot) */
			recipe = cc_recipe_build(src, params, name, ttl_us, format,
									 &recipe_len, &context_len);
			MemoryContextSwitchTo(callercxt);

			if (cc_debug_fill_pause != 0)
				cc_debug_pause();
			stored = cc_store(key, payload, format, &fill, name, recipe,
							  recipe_len, context_len, ttl_us, s0);
			if (outcome != NULL)
			{
				if (stored == CC_STORE_STORED || stored == CC_STORE_RACED)
					*outcome = CC_FILL_STORED;
				else if (stored == CC_STORE_REJECTED)
					*outcome = CC_FILL_REFILL;
				else
					*outcome = CC_FILL_UNSHAREABLE;
			}
		}
	}

	MemoryContextDelete(runcxt);
	return payload;
}

/*
 * Store a fill's result ('payload', in 'format') under 'key', with its recipe
 * (or NULL): prepare the entry in the store, check the fence from 's0' over
 * its dependencies (unless cascade_cache.debug_skip_fence), then publish or
 * abandon it, and count what that came to.  Called with no locks held; nothing
 * between prepare and publish can ERROR.
 */
static CCStoreResult
cc_store(const CCKey *key, struct varlena *payload, CCFormat format,
		 CCFill *fill, const char *name, const char *recipe,
		 uint32 recipe_len, uint32 context_len, int64 ttl_us, uint64 s0)
{
	CCStoreHandle *handle;
	CCStoreResult stored;

	/* jsonb compressed when that pays; JSON text plain, for a copying hit */
	stored = cc_store_prepare(key, payload, !CC_FORMAT_IS_TEXT(format),
							  fill->deps, fill->ndeps,
							  fill->relids, fill->nrelids, name,
							  recipe, recipe_len, context_len, ttl_us,
							  &handle);
	if (stored == CC_STORE_PREPARED)
	{
		const uint64 *deps;
		int			ndeps;

		deps = cc_store_deps(handle, &ndeps);
		if (cc_debug_skip_fence ||
			cc_fence_check(deps, ndeps, s0, name != NULL))
			stored = cc_store_publish(handle);
		else
			stored = cc_store_abandon(handle);
	}

	switch (stored)
	{
		case CC_STORE_STORED:
			cc_count(CC_STAT_STORES, 1);
			cc_note_entry_size(VARSIZE(payload));
			break;
		case CC_STORE_RACED:
			cc_count(CC_STAT_STORE_RACES, 1);
			break;
		case CC_STORE_REJECTED:
			cc_count(CC_STAT_REJECTED_STORES, 1);
			cc_run_refused = true;
			break;
		case CC_STORE_TOO_MANY_DEPS:
			cc_count_bypass(CC_BYPASS_TOO_MANY_DEPENDENCIES);
			break;
		case CC_STORE_NO_MEMORY:
			cc_count_bypass(CC_BYPASS_NO_MEMORY);
			break;
		case CC_STORE_PREPARED:
			Assert(false);
			break;
	}
	return stored;
}

/*
 * cache_explain()'s dry run: run 'src' as a fill would, with 'fill'
 * describing what it records (fill->describe), and return the result
 * without storing or counting anything.  'fill' must be zeroed, with cxt
 * set, by the caller.
 */
Jsonb *
cc_explain_run(const char *src, const CCParams *params, const char *name, CCFill *fill)
{
	ErrorContextCallback errcallback;
	DestReceiver *dest;
	Jsonb	   *result;
	volatile int gucs = 0;

	errcallback.callback = cc_statement_error_callback;
	errcallback.arg = (void *) src;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	dest = cc_create_jsonb_dest(CurrentMemoryContext, false);
	fill->reason = CC_BYPASS_NONE;
	/* without parallel workers, as a fill (what a worker reads is not seen) */
	if (!IsInParallelMode())
		gucs = cc_fill_serial_begin();
	cc_fill_push(fill);
	PG_TRY();
	{
		Query	   *query;
		ParamListInfo paramLI;
		PlannedStmt *pstmt;
		CCBypassReason reason;

		query = cc_statement_parse(src, params, &paramLI, &reason, NULL);
		if (fill->reason == CC_BYPASS_NONE)
			fill->reason = reason;
		pstmt = pg_plan_query(query, src, CURSOR_OPT_PARALLEL_OK, paramLI);
		cc_statement_execute(pstmt, src, paramLI, dest);
	}
	PG_FINALLY();
	{
		cc_fill_pop(fill);
	}
	PG_END_TRY();
	/* (after an ERROR, aborting the (sub)transaction undoes the settings) */
	if (gucs > 0)
		AtEOXact_GUC(true, gucs);
	error_context_stack = errcallback.previous;

	result = cc_jsonb_dest_result(dest);
	if (fill->reason == CC_BYPASS_NONE &&
		VARSIZE(result) > (Size) cc_max_entry_size_kb * 1024)
		fill->reason = CC_BYPASS_TOO_LARGE;
	if (fill->reason == CC_BYPASS_NONE)
		fill->reason = cc_check_policies(fill->relids, fill->nrelids);
	cc_collect_tags(result, fill);
	if (name != NULL)
		cc_name_deps(name, params->json, fill);
	return result;
}

/*
 * Report errors in the cached statement against its own text, as SPI does:
 * a position goes to the internal position and query (and, for clients
 * that show only the message and its context, to the context line).
 */
static void
cc_statement_error_callback(void *arg)
{
	const char *query = (const char *) arg;
	int			syntaxerrposition = geterrposition();

	if (syntaxerrposition > 0)
	{
		/* the position is in the query string, not the client's statement */
		errposition(0);
		internalerrposition(syntaxerrposition);
		internalerrquery(query);
		errcontext("cached_query statement, character %d", syntaxerrposition);
	}
	else
		errcontext("cached_query statement \"%s\"", query);
}

/*
 * Test only: wait for the advisory lock cascade_cache.debug_fill_pause
 * before storing, so that isolation tests can interleave a commit.
 */
static void
cc_debug_pause(void)
{
	Datum		lockkey = Int64GetDatum((int64) cc_debug_fill_pause);

	DirectFunctionCall1(pg_advisory_lock_int8, lockkey);
	DirectFunctionCall1(pg_advisory_unlock_int8, lockkey);
}
