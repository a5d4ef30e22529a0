/*-------------------------------------------------------------------------
 *
 * settings.h
 *		The settings every layer reads, and the check that the library was
 *		preloaded.
 *
 * The variables live in src/base/settings.c so that no layer below the SQL
 * entry points has to reach into src/api for them; settings.c also
 * defines the GUCs that set them.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_SETTINGS_H
#define CC_BASE_SETTINGS_H

/* true when loaded from shared_preload_libraries */
extern bool cc_preloaded;

/* GUC variables */
extern bool cc_enabled;
extern int	cc_max_memory_kb;
extern int	cc_max_entry_size_kb;
extern int	cc_default_ttl_s;
extern char *cc_key_settings;
extern bool cc_coalesce_enabled;
extern int	cc_coalesce_timeout_ms;
extern int	cc_max_inflight;
extern int	cc_recipe_queue_size;
extern int	cc_debug_fill_pause;
extern bool cc_debug_skip_fence;

extern void cc_check_loaded(void);
extern Size cc_memory_limit_bytes(void);

extern void cc_settings_define_gucs(void);

#endif							/* CC_BASE_SETTINGS_H */
