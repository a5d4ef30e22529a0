/*-------------------------------------------------------------------------
 *
 * fill_plans.h
 *		The plans a session keeps of the statements its fills run
 *		(src/xact/fill_plans.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_FILL_PLANS_H
#define CC_XACT_FILL_PLANS_H

#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/plancache.h"

#include "cascade_cache.h"
#include "xact/fill.h"

typedef struct CCFillPlan CCFillPlan;

/* What cc_fill_plan_find() hands to cc_fill_plan_keep() */
typedef struct CCFillPlanSeen
{
	CCKey		context;		/* the statement's (cc_compute_context()) */
	uint64		verdicts;		/* the verdict generation, or 0: keep none */
} CCFillPlanSeen;

extern CCFillPlan *cc_fill_plan_find(const char *src, const CCParams *params,
									 CCFillPlanSeen *seen);
extern void cc_fill_plan_keep(const char *src, const CCParams *params,
							  CachedPlanSource *plan, uint64 s0,
							  const CCFillPlanSeen *seen, const CCFill *fill);
extern ParamListInfo cc_fill_plan_bind(CCFillPlan *fp, const CCParams *params,
									   CCBypassReason *reason);
extern bool cc_fill_plan_execute(CCFillPlan *fp, const char *src,
								 ParamListInfo paramLI, CCFill *fill,
								 DestReceiver *dest);

#endif							/* CC_XACT_FILL_PLANS_H */
