/*-------------------------------------------------------------------------
 *
 * tags.h
 *		Entity tags and query names of stored results (src/xact/tags.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_TAGS_H
#define CC_XACT_TAGS_H

#include "cascade_cache.h"
#include "utils/jsonb.h"

/* Entity tags kept per entry before it falls back to type tags only */
#define CC_MAX_TAGS_PER_ENTRY	1024

extern void cc_collect_tags(Jsonb *result, CCFill *fill);
extern void cc_name_deps(const char *name, Jsonb *params, CCFill *fill);
extern char *cc_tag_id_text(JsonbValue *v);
extern uint64 cc_params_tag(const char *name, Jsonb *params);

#endif							/* CC_XACT_TAGS_H */
