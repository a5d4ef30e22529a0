/*-------------------------------------------------------------------------
 *
 * counters.h
 *		The cumulative counters (CCCounter, in cascade_cache.h) and the
 *		largest-entry gauge.
 *
 * Counting is lock-free and cannot fail: any layer may count, also under a
 * dshash partition lock.  The SQL functions that read the counters are in
 * src/api/stats.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_COUNTERS_H
#define CC_BASE_COUNTERS_H

#include "utils/timestamp.h"

#include "cascade_cache.h"

extern Size cc_counters_shmem_size(void);
extern void cc_counters_shmem_init(void);

extern void cc_count(CCCounter counter, uint64 n);
extern void cc_count_bypass(CCBypassReason reason);
extern const char *cc_bypass_reason_name(CCBypassReason reason);
extern void cc_note_entry_size(uint64 bytes);

extern void cc_counters_read_raw(uint64 *values);
extern void cc_counters_read(uint64 *values);
extern TimestampTz cc_counters_reset_time(void);
extern uint64 cc_max_entry_bytes(void);
extern void cc_counters_reset(void);

#endif							/* CC_BASE_COUNTERS_H */
