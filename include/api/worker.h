/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The background worker (src/api/worker.c).
 *
 * Other processes wake it with cc_wake_worker() (include/base/shmem.h),
 * which sets the latch it publishes in CCShared: nothing calls into
 * worker.c but _PG_init and the postmaster.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_WORKER_H
#define CC_API_WORKER_H

extern void cc_register_worker(void);
extern PGDLLEXPORT void cc_worker_main(Datum arg);

#endif							/* CC_API_WORKER_H */
