/*-------------------------------------------------------------------------
 *
 * glob.h
 *		Linear-time glob matching of query names (src/base/glob.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_GLOB_H
#define CC_BASE_GLOB_H

typedef struct CCGlob CCGlob;

extern CCGlob *cc_glob_compile(const char *pattern);
extern bool cc_glob_match(CCGlob *glob, const char *name, int len);

#endif							/* CC_BASE_GLOB_H */
