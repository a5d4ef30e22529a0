/*-------------------------------------------------------------------------
 *
 * cached_query.h
 *		cached_query(): lookup, fill and store (src/api/cached_query.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_CACHED_QUERY_H
#define CC_API_CACHED_QUERY_H

#include "cascade_cache.h"
#include "fmgr.h"
#include "utils/jsonb.h"

extern Datum cached_query(PG_FUNCTION_ARGS);
extern Datum cached_query_json(PG_FUNCTION_ARGS);
extern Datum cached_document(PG_FUNCTION_ARGS);
extern Datum cached_document_json(PG_FUNCTION_ARGS);
extern CCBypassReason cc_session_bypass_reason(void);
extern void cc_check_query_name(const char *name, const char *fn);

#endif							/* CC_API_CACHED_QUERY_H */
