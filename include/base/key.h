/*-------------------------------------------------------------------------
 *
 * key.h
 *		The cache key (src/base/key.c) and the hashing of dependency keys.
 *		Which settings the key holds is base/keyed.h, included here.
 *
 * CCKey and CCDepKind are declared in cascade_cache.h, which every layer
 * shares.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_KEY_H
#define CC_BASE_KEY_H

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "cascade_cache.h"
#include "base/keyed.h"

extern void cc_compute_key(text *query, const CCParams *params,
						   const char *name,
						   CCFormat format,
						   CCKey *key);
extern void cc_compute_context(const char *query, CCKey *context);
extern uint64 cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid);
extern uint64 cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text,
							   int len);

/* The settings in the key: base/keyed.h */
extern void cc_key_note_catalog_change(void);
extern List *cc_keyed_setting_names(void);
extern int	cc_key_session_settings(StringInfo buf);
extern List *cc_key_placeholders_except(char **names, int n);

#endif							/* CC_BASE_KEY_H */
