/*-------------------------------------------------------------------------
 *
 * launcher.h
 *		The launcher of the recipe runners (src/api/launcher.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_LAUNCHER_H
#define CC_API_LAUNCHER_H

extern void cc_runners_launch(void);

#endif							/* CC_API_LAUNCHER_H */
