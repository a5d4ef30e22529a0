/*-------------------------------------------------------------------------
 *
 * keyed.h
 *		Which settings are part of the cache key (src/base/keyed.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_KEYED_H
#define CC_BASE_KEYED_H

#include "nodes/pg_list.h"

struct config_generic;

extern bool cc_is_key_setting(const char *name);
extern bool cc_setting_readable(const char *name);
extern bool cc_is_constant_setting(struct config_generic *gen);
extern bool cc_guc_at_boot(struct config_generic *gen);
extern bool cc_split_name_list(const char *value, bool identifiers,
							   MemoryContext cxt, List **names);
extern bool cc_have_key_settings(void);
extern void cc_key_settings_assign(const char *newval, void *extra);
extern uint64 cc_key_settings_generation(void);
extern List *cc_get_key_settings(void);

extern bool cc_check_name_list(char **newval, bool identifiers);
extern bool cc_name_patterns_check(const char *value, void **extra);
extern bool cc_name_patterns_match(const char *patterns, const char *name);
extern void cc_key_define_gucs(void);

/* Are two setting values (NULL or a string) equal? */
static inline bool
cc_string_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#endif							/* CC_BASE_KEYED_H */
