/*-------------------------------------------------------------------------
 *
 * runner.h
 *		Recipe runners (src/api/runner.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_RUNNER_H
#define CC_API_RUNNER_H

/* What the launcher hands a runner (bgw_extra) */
typedef struct CCRunnerArgs
{
	Oid			dbid;
	Oid			session_userid;
} CCRunnerArgs;

extern int	cc_recipe_workers;
extern int	cc_recipe_timeout_ms;

extern void cc_runner_define_gucs(void);
extern PGDLLEXPORT void cc_runner_main(Datum arg);

#endif							/* CC_API_RUNNER_H */
