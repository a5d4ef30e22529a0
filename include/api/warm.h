/*-------------------------------------------------------------------------
 *
 * warm.h
 *		Warm restart (src/api/warm.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_WARM_H
#define CC_API_WARM_H

extern int	cc_warm_entries;
extern int	cc_warm_interval_s;
extern int	cc_warm_rate;

extern void cc_warm_define_gucs(void);
extern Size cc_warm_shmem_size(void);
extern void cc_warm_shmem_init(void);
extern void cc_warm_start(void);
extern bool cc_warm_feed(void);
extern void cc_warm_dump(bool shutdown);

#endif							/* CC_API_WARM_H */
