/*-------------------------------------------------------------------------
 *
 * refresh.h
 *		Refresh-ahead: entries computed again right after the commit that
 *		invalidated them (src/xact/refresh.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_REFRESH_H
#define CC_XACT_REFRESH_H

#include "cascade_cache.h"
#include "xact/pending.h"

extern char *cc_refetch_names;

extern void cc_refresh_define_gucs(void);
extern void cc_refresh_add_scope(CCScope scope, const char *text);
extern void cc_refresh_subxact(bool commit, int level);
extern void cc_refresh_reset(void);
extern void cc_refresh_begin(void);
extern void cc_refresh_queue(void);

#endif							/* CC_XACT_REFRESH_H */
