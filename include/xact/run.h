/*-------------------------------------------------------------------------
 *
 * run.h
 *		Running a cached_query() statement (src/xact/run.c): the miss and
 *		its fill, the uncached run, cache_explain()'s dry run.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_RUN_H
#define CC_XACT_RUN_H

#include "utils/jsonb.h"

#include "cascade_cache.h"

extern bool cc_run_in_background;
extern bool cc_run_refused;

extern struct varlena *cc_run_miss(const char *src, const CCParams *params,
								   const CCKey *key, const char *name,
								   int64 ttl_us, CCFormat format);
extern struct varlena *cc_run_uncached(const char *src, const CCParams *params,
									   CCFormat format);
extern Jsonb *cc_explain_run(const char *src, const CCParams *params, const char *name,
							 CCFill *fill);

#endif							/* CC_XACT_RUN_H */
