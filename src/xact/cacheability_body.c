/*-------------------------------------------------------------------------
 *
 * cacheability_body.c
 *		Judging the body of a LANGUAGE sql function like a query.
 *
 * A SQL function can be cached when every statement of its body could be:
 * the body is parsed and analyzed as the function's first call would
 * (prepare_sql_fn_parse_info(), with the function's own SET options
 * applied as fmgr_security_definer() applies them), or, for BEGIN ATOMIC,
 * taken as stored and rewritten; every statement is then checked with the
 * query check cacheability_func.c passes in.  A function it calls is
 * judged in turn (its verdict is the worst of what it calls); a call
 * cycle is untrusted (cacheability_func.c).
 *
 * Failing closed:
 *	- a statement other than SELECT: volatile (the function is VOLATILE
 *	  anyway);
 *	- a body that cannot be analyzed without a call site (polymorphic
 *	  arguments) or fails to parse or analyze: untrusted;
 *	- outside a transaction, in parallel mode, or nested deeper than
 *	  CC_MAX_BODY_DEPTH: untrusted for now (the caller does not keep the
 *	  verdict).
 * Names in the body resolve with the function's own search_path or the
 * caller's (one of its own that names or reaches a temporary schema makes
 * the function temporary_object, as it makes a session's query), its
 * literals lex under standard_conforming_strings, and what it may read
 * depends on the role: a verdict holds in the session context it was made
 * in (info->path_dependent; cacheability_func.c keeps it under
 * cc_compute_context(), every keyed setting, the role and the session
 * user, rather than under a list of what parsing reads).
 *
 * The analysis runs in an internal subtransaction that is always rolled
 * back: the locks it takes, the settings it applies and any error it
 * raises go with it, except one that tells of the moment rather than of
 * the function (a cancel, a recovery conflict, lock_timeout, ...:
 * cc_error_is_transient()), which is re-thrown and makes no verdict.  Any
 * other error makes the function untrusted, and is kept as its verdict
 * only if it tells of the body (cc_error_is_lasting(): a syntax or a data
 * error, say, not a stack too deep or a missing privilege).
 * The only state is the nesting depth.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "executor/functions.h"
#include "miscadmin.h"
#include "rewrite/rewriteHandler.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "cascade_cache.h"
#include "base/search_path.h"
#include "base/subxact.h"
#include "xact/cacheability.h"
#include "xact/cacheability_int.h"

/* Nesting of SQL function bodies being analyzed; deeper is untrusted */
#define CC_MAX_BODY_DEPTH		8
static int	cc_body_depth = 0;

/*
 * Why a LANGUAGE sql function keeps a result out of the cache, or
 * CC_BYPASS_NONE: the first reason 'checker' finds in the statements of its
 * body, parsed and analyzed as the function's first call would (with its
 * own SET options applied).  A body that cannot be analyzed without a call
 * site (polymorphic arguments), or that fails to parse, gives
 * CC_BYPASS_UNTRUSTED_FUNCTION; so does one judged outside a transaction,
 * in parallel mode or too deep, or whose analysis failed with an error that
 * does not tell of the body, which also clears info->cacheable.  Sets
 * info->path_dependent otherwise.
 *
 * Runs the analysis in an internal subtransaction, rolled back before
 * returning (it releases the locks the analysis took and the settings);
 * ERRORs only with an error of the moment (cc_error_is_transient(): a
 * cancel, a shutdown, a recovery conflict, lock_timeout, a deadlock, out of
 * memory).
 */
CCBypassReason
cc_sql_body_reason(HeapTuple proctup, CCNodeChecker checker,
				   CCVerdictInfo *info)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile CCBypassReason result = CC_BYPASS_NONE;
	volatile bool caught = false;
	HeapTuple	copy;
	int			levels;
	bool		config_isnull;
	Datum		proconfig;
	bool		has_config;

	if (!IsTransactionState() || IsInParallelMode() ||
		cc_body_depth >= CC_MAX_BODY_DEPTH)
	{
		/* untrusted now, not for ever */
		info->cacheable = false;
		return CC_BYPASS_UNTRUSTED_FUNCTION;
	}

	/*
	 * Names in the body resolve with the function's own search_path (which
	 * can say "$user") or the caller's, it lexes under the session's
	 * standard_conforming_strings, and what the body may read depends on the
	 * role: the verdict holds in this session context only.
	 */
	proconfig = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proconfig,
								&config_isnull);
	has_config = !config_isnull;
	info->path_dependent = true;

	copy = heap_copytuple(proctup);
	levels = cc_subxact_begin();
	MemoryContextSwitchTo(oldcxt);
	cc_body_depth++;
	PG_TRY();
	{
		bool		isnull;
		Datum		body;
		List	   *queries = NIL;
		List	   *clock_literals = NIL;
		ListCell   *lc;
		CCBypassReason reason = CC_BYPASS_NONE;

		/* the function's own settings, as fmgr_security_definer sets them */
		if (has_config)
		{
			(void) NewGUCNestLevel();
			ProcessGUCArray(DatumGetArrayTypeP(proconfig),
							superuser() ? PGC_SUSET : PGC_USERSET,
							PGC_S_SESSION, GUC_ACTION_SAVE);
		}

		body = SysCacheGetAttr(PROCOID, copy, Anum_pg_proc_prosqlbody,
							   &isnull);
		if (has_config && cc_search_path_names_temp())
		{
			/*
			 * Its own search_path names another session's temporary schema,
			 * whose objects' changes flush nothing (base/search_path.c)
			 */
			reason = CC_BYPASS_TEMPORARY_OBJECT;
		}
		else if (!isnull)
		{
			/* BEGIN ATOMIC: stored analyzed; its literals were evaluated */
			Node	   *n = stringToNode(TextDatumGetCString(body));
			List	   *stored;

			if (IsA(n, List))
				stored = linitial_node(List, castNode(List, n));
			else
				stored = list_make1(n);
			foreach(lc, stored)
			{
				Query	   *q = copyObject(lfirst_node(Query, lc));

				AcquireRewriteLocks(q, true, false);
				queries = list_concat(queries, pg_rewrite_query(q));
			}
		}
		else
		{
			char	   *src;
			SQLFunctionParseInfoPtr pinfo;
			List	   *raw;

			body = SysCacheGetAttr(PROCOID, copy, Anum_pg_proc_prosrc,
								   &isnull);
			if (isnull)
				elog(ERROR, "null prosrc for function %u", proc->oid);
			src = TextDatumGetCString(body);
			pinfo = prepare_sql_fn_parse_info(copy, NULL, InvalidOid);
			raw = pg_parse_query(src);
			foreach(lc, raw)
			{
				RawStmt    *rs = lfirst_node(RawStmt, lc);

				/* anything but a SELECT makes the function VOLATILE anyway */
				if (IsA(rs->stmt, SelectStmt))
					clock_literals = list_concat(clock_literals,
												 cc_clock_literals(rs->stmt));
				queries = list_concat(queries,
									  pg_analyze_and_rewrite_withcb(rs, src,
																	(ParserSetupHook) sql_fn_parser_setup,
																	pinfo, NULL));
			}
		}

		foreach(lc, queries)
		{
			Query	   *q = lfirst_node(Query, lc);

			if (q->commandType != CMD_SELECT)
			{
				/* writes and DDL: the function is VOLATILE anyway */
				reason = CC_BYPASS_VOLATILE_FUNCTION;
				break;
			}
			reason = checker((Node *) q, clock_literals);
			if (reason != CC_BYPASS_NONE)
				break;
		}

		result = reason;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		cc_body_depth--;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		/* a cancel, a recovery conflict, lock_timeout... are not a verdict */
		if (cc_error_is_transient(edata))
		{
			FreeErrorData(edata);
			cc_subxact_rollback(levels);
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
			PG_RE_THROW();
		}
		/* untrusted; for ever only if the error tells of the body */
		if (!cc_error_is_lasting(edata))
			info->cacheable = false;
		FlushErrorState();
		FreeErrorData(edata);
		cc_subxact_rollback(levels);
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		result = CC_BYPASS_UNTRUSTED_FUNCTION;
		caught = true;
	}
	PG_END_TRY();
	if (!caught)
	{
		cc_body_depth--;
		/* the settings go with the subtransaction (AtEOSubXact_GUC) */
		cc_subxact_rollback(levels);
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}

	heap_freetuple(copy);
	return result;
}
