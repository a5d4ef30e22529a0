/*-------------------------------------------------------------------------
 *
 * key.h
 *		The cache key (src/base/key.c) and the hashing of dependency keys.
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

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "cascade_cache.h"

extern void cc_compute_key(text *query, Jsonb *params, const char *name,
						   CCFormat format,
						   CCKey *key);
extern uint64 cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid);
extern uint64 cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text,
							   int len);

/* The settings in the key */
extern bool cc_is_key_setting(const char *name);
extern bool cc_setting_readable(const char *name);
extern bool cc_split_name_list(const char *value, bool identifiers,
							   MemoryContext cxt, List **names);
extern bool cc_have_key_settings(void);
extern void cc_key_settings_assign(const char *newval, void *extra);
extern uint64 cc_key_settings_generation(void);
extern void cc_key_note_catalog_change(void);
extern List *cc_keyed_setting_names(void);

extern bool cc_check_name_list(char **newval, bool identifiers);
extern void cc_key_define_gucs(void);

#endif							/* CC_BASE_KEY_H */
