/*-------------------------------------------------------------------------
 *
 * gucset.h
 *		The session's GUC variables, and whether the set of them changed
 *		(src/base/gucset.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_GUCSET_H
#define CC_BASE_GUCSET_H

struct config_generic;

extern struct config_generic **cc_gucset_all(int *n);
extern void cc_gucset_free(struct config_generic **vars);
extern bool cc_gucset_may_key(struct config_generic *gen);
extern bool cc_gucset_changed(void);
extern void cc_gucset_remember(struct config_generic **vars, int n);
extern void cc_gucset_forget(void);

#endif							/* CC_BASE_GUCSET_H */
