/*-------------------------------------------------------------------------
 *
 * hooks.c
 *		The executor and utility hooks: seeing what a transaction writes
 *		and what a fill reads.
 *
 *	- ExecutorStart_hook sees every plan the backend runs, including SQL
 *	  run inside functions and triggers and foreign-key actions: the result
 *	  relations of INSERT, UPDATE, DELETE and MERGE (and data-modifying
 *	  WITH) are recorded in the pending set (pending.c), unless they are
 *	  watched tables whose trigger reports every changed row (precise.c).
 *	  The same hook lets precise.c record what a fill reads, and keeps a
 *	  fill whose plan could still run in parallel workers from being stored
 *	  (see run.c).
 *	- ProcessUtility_hook records the target of COPY FROM, which writes
 *	  without the executor, lets twophase.c see PREPARE TRANSACTION and
 *	  COMMIT/ROLLBACK PREPARED and catalog_inval.c see catalog changes, and
 *	  marks VACUUM while it runs.
 *
 * DDL needs no hook: the relcache and catcache invalidation messages a
 * transaction sends are read at commit (pending.c).  Both hooks call the
 * previous hook, or the standard function, first or around their work, and
 * hold no lock of their own.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"

#include "cascade_cache.h"
#include "xact/catalog_inval.h"
#include "xact/fill.h"
#include "xact/hooks.h"
#include "xact/pending.h"
#include "xact/precise.h"
#include "xact/twophase.h"

/* Saved hook values */
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Plans this backend started (cc_executor_starts()) */
static uint64 cc_nexecutor_starts = 0;

static void cc_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void cc_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

/* Install the hooks.  Called once, from _PG_init. */
void
cc_hooks_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = cc_ExecutorStart;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = cc_ProcessUtility;
}

/*
 * How many plans this backend has started so far: a planning during which
 * it grew ran queries (an IMMUTABLE function that reads a table, folded
 * into the plan), which a plan that is kept must not have (statement.c).
 * Cannot fail.
 */
uint64
cc_executor_starts(void)
{
	return cc_nexecutor_starts;
}

/*
 * ExecutorStart hook: record written relations, and the relations a fill
 * reads.
 */
static void
cc_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *pstmt = queryDesc->plannedstmt;
	CCFill	   *fill;
	ListCell   *lc;

	cc_nexecutor_starts++;
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	if (pstmt->commandType != CMD_SELECT || pstmt->hasModifyingCTE)
	{
		foreach(lc, pstmt->resultRelations)
		{
			RangeTblEntry *rte = rt_fetch(lfirst_int(lc), pstmt->rtable);

			/* a watched table's trigger describes the write row by row */
			if (!cc_precise_write(rte->relid))
				cc_pending_add_relation(rte->relid);
			/* a catalog written by hand: nothing it changes is explained */
			if (IsCatalogRelationOid(rte->relid))
				cc_catalog_note_catalog_write();
		}
	}

	fill = cc_fill_current();
	if (fill == NULL)
		return;

	/*
	 * A plan that could run in parallel workers: a fill runs with
	 * max_parallel_workers = 0 (run.c), so that a Gather runs its plan in
	 * this process, where the plans of the functions it calls start and are
	 * recorded.  A function's own SET clause can raise it again: whatever
	 * such a plan reads in a worker is recorded nowhere, and the result is
	 * not stored.
	 */
	if (pstmt->parallelModeNeeded && max_parallel_workers > 0 &&
		fill->reason == CC_BYPASS_NONE)
		fill->reason = CC_BYPASS_PARALLEL_MODE;
	cc_precise_fill_start(queryDesc, fill);
}

/* The next ProcessUtility in the chain. */
static void
cc_call_process_utility(PlannedStmt *pstmt, const char *queryString,
						bool readOnlyTree, ProcessUtilityContext context,
						ParamListInfo params, QueryEnvironment *queryEnv,
						DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* VACUUM, marked while it runs (cc_catalog_note_vacuum()). */
static void
cc_call_vacuum(PlannedStmt *pstmt, const char *queryString,
			   bool readOnlyTree, ProcessUtilityContext context,
			   ParamListInfo params, QueryEnvironment *queryEnv,
			   DestReceiver *dest, QueryCompletion *qc)
{
	cc_catalog_note_vacuum(true);
	PG_TRY();
	{
		cc_call_process_utility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		cc_catalog_note_vacuum(false);
	}
	PG_END_TRY();
}

/* A relation COPY FROM writes. */
static void
cc_copy_target(Oid relid)
{
	cc_pending_add_relation(relid);
	if (IsCatalogRelationOid(relid))
		cc_catalog_note_catalog_write();
}

/*
 * ProcessUtility hook: COPY FROM writes without the executor; catalog
 * changes are noted (catalog_inval.c); VACUUM is marked while it runs.
 */
static void
cc_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	RangeVar   *copy_target = NULL;

	if (IsA(parsetree, CopyStmt) && ((CopyStmt *) parsetree)->is_from &&
		((CopyStmt *) parsetree)->relation != NULL)
	{
		Oid			relid;

		/*
		 * The table COPY will write, resolved now, with the lock COPY takes
		 * first thing: a trigger or default it runs can change the
		 * search_path, or create a table of the same name, before the name is
		 * resolved again below.
		 */
		copy_target = copyObject(((CopyStmt *) parsetree)->relation);
		relid = RangeVarGetRelidExtended(copy_target, RowExclusiveLock,
										 RVR_MISSING_OK, NULL, NULL);
		if (OidIsValid(relid))
			cc_copy_target(relid);
	}

	if (IsA(parsetree, TransactionStmt))
		cc_twophase_before((TransactionStmt *) parsetree,
						   context == PROCESS_UTILITY_TOPLEVEL);
	cc_catalog_note_utility(parsetree);

	/* VACUUM commits its own transactions; see cc_catalog_note_vacuum */
	if (IsA(parsetree, VacuumStmt) && ((VacuumStmt *) parsetree)->is_vacuumcmd)
		cc_call_vacuum(pstmt, queryString, readOnlyTree, context, params,
					   queryEnv, dest, qc);
	else
		cc_call_process_utility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (IsA(parsetree, TransactionStmt))
		cc_twophase_after((TransactionStmt *) parsetree);

	/* ... and as COPY resolved it (a table created meanwhile, say) */
	if (copy_target != NULL)
	{
		Oid			relid = RangeVarGetRelid(copy_target, NoLock, true);

		if (OidIsValid(relid))
			cc_copy_target(relid);
	}
}
