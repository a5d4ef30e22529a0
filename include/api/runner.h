/*-------------------------------------------------------------------------
 *
 * runner.h
 *		Recipe runners and their launcher (src/api/runner.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_RUNNER_H
#define CC_API_RUNNER_H

extern int	cc_recipe_workers;

extern void cc_runner_define_gucs(void);
extern void cc_runners_launch(void);
extern PGDLLEXPORT void cc_runner_main(Datum arg);

#endif							/* CC_API_RUNNER_H */
