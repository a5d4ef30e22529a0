/*-------------------------------------------------------------------------
 *
 * monitor.h
 *		Rates over time and the monitoring gauges (src/api/monitor.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_API_MONITOR_H
#define CC_API_MONITOR_H

extern Size cc_monitor_shmem_size(void);
extern void cc_monitor_shmem_init(void);
extern void cc_monitor_sample(void);
extern void cc_monitor_define_gucs(void);

#endif							/* CC_API_MONITOR_H */
