/*-------------------------------------------------------------------------
 *
 * statement.h
 *		The statement a call runs (src/xact/statement.c): parsing and
 *		checking it, executing a plan of it, the pass-through's kept plans.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_STATEMENT_H
#define CC_XACT_STATEMENT_H

#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "parser/parse_node.h"
#include "tcop/dest.h"
#include "utils/jsonb.h"
#include "utils/plancache.h"

#include "cascade_cache.h"

extern Query *cc_statement_parse(const char *src, const CCParams *params,
								 ParamListInfo *paramLI,
								 CCBypassReason *reason,
								 CachedPlanSource **plan);
extern void cc_statement_execute(PlannedStmt *pstmt, const char *src,
								 ParamListInfo paramLI, DestReceiver *dest);
extern void cc_statement_execute_cached(CachedPlan *cplan, const char *src,
										ParamListInfo paramLI,
										DestReceiver *dest);
extern CachedPlan *cc_kept_plan_get(CachedPlanSource *plan,
									ParamListInfo paramLI);
extern void cc_kept_plan_reanalyzing(ParseState *pstate,
									 CachedPlanSource *plan,
									 bool *reanalyzed);
extern bool cc_kept_plan_usable(CachedPlanSource *plan, bool failed,
								uint64 verdicts_then, uint64 s0,
								uint64 verdicts);
extern void cc_statement_run_saved(const char *src,
								   const CCParams *params,
								   DestReceiver *dest);

#endif							/* CC_XACT_STATEMENT_H */
