/*-------------------------------------------------------------------------
 *
 * counters.c
 *		The cumulative counters and the largest-entry gauge.
 *
 * Every process that uses the cache owns one slot of counters in fixed
 * shared memory, indexed by its PGPROC number.  Only the owner writes its
 * slot, so counting is a plain 64-bit load and store (pg_atomic_*_u64 keeps
 * readers from seeing torn values) with no shared cache line on the hit
 * path.  A slot outlives its process and is continued by the next process
 * that gets the same PGPROC.  Readers add all slots up; cache_stats_reset()
 * records the current sums as a baseline rather than touching other
 * processes' slots.
 *
 * All counters are declared in one place, CCCounter in cascade_cache.h;
 * the bypass reasons follow CC_STAT_BYPASS_FIRST in CCBypassReason order.
 * The SQL functions that show them are in src/api/stats.c.
 *
 * Locking: the reset baseline and its time are written and read under
 * CCShared->stats_lock; nothing else here takes a lock.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/counters.h"
#include "base/shmem.h"

typedef struct CCBackendStats
{
	pg_atomic_uint64 counters[CC_STAT_LAST];
} CCBackendStats;

typedef struct CCCounters
{
	uint64		reset_base[CC_STAT_LAST];	/* under stats_lock */
	TimestampTz reset_time;		/* under stats_lock */
	pg_atomic_uint64 max_entry_bytes;	/* largest payload since reset */
	int			nslots;
	CCBackendStats slots[FLEXIBLE_ARRAY_MEMBER];	/* nslots */
} CCCounters;

static CCCounters *cc_counters = NULL;

static const char *const cc_bypass_names[CC_NUM_BYPASS_REASONS] = {
	"disabled",
	"write_transaction",
	"isolation_level",
	"standby",
	"nested",
	"locking",
	"volatile_function",
	"session_function",
	"temporary_table",
	"system_catalog",
	"foreign_table",
	"subscribed_table",
	"sequence",
	"row_level_security",
	"too_large",
	"too_many_dependencies",
	"no_memory",
	"clock",
	"temporary_object",
	"untrusted_function",
	"system_column",
	"parallel_mode"
};

/* One slot per PGPROC that can run our code. */
static int
cc_num_slots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS;
}

Size
cc_counters_shmem_size(void)
{
	return add_size(offsetof(CCCounters, slots),
					mul_size(cc_num_slots(), sizeof(CCBackendStats)));
}

/* Create or find the counters.  Under AddinShmemInitLock. */
void
cc_counters_shmem_init(void)
{
	bool		found;
	int			i;
	int			c;

	cc_counters = ShmemInitStruct("cascade_cache counters",
								  cc_counters_shmem_size(), &found);
	if (found)
		return;

	memset(cc_counters->reset_base, 0, sizeof(cc_counters->reset_base));
	cc_counters->reset_time = GetCurrentTimestamp();
	pg_atomic_init_u64(&cc_counters->max_entry_bytes, 0);
	cc_counters->nslots = cc_num_slots();
	for (i = 0; i < cc_counters->nslots; i++)
		for (c = 0; c < CC_STAT_LAST; c++)
			pg_atomic_init_u64(&cc_counters->slots[i].counters[c], 0);
}

/*
 * Add n to one of this process's counters.
 */
void
cc_count(CCCounter counter, uint64 n)
{
	CCBackendStats *slot;

	if (cc_counters == NULL || MyProc == NULL ||
		CC_MY_PROC_NUMBER() >= cc_counters->nslots)
		return;
	slot = &cc_counters->slots[CC_MY_PROC_NUMBER()];
	pg_atomic_write_u64(&slot->counters[counter],
						pg_atomic_read_u64(&slot->counters[counter]) + n);
}

void
cc_count_bypass(CCBypassReason reason)
{
	cc_count((CCCounter) (CC_STAT_BYPASS_FIRST + reason), 1);
}

const char *
cc_bypass_reason_name(CCBypassReason reason)
{
	if (reason < 0 || reason >= CC_NUM_BYPASS_REASONS)
		return "none";
	return cc_bypass_names[reason];
}

/* Note a stored payload of 'bytes' bytes for max_entry_bytes.  Lock-free. */
void
cc_note_entry_size(uint64 bytes)
{
	uint64		cur = pg_atomic_read_u64(&cc_counters->max_entry_bytes);

	while (bytes > cur &&
		   !pg_atomic_compare_exchange_u64(&cc_counters->max_entry_bytes, &cur,
										   bytes))
		;
}

/* The largest result stored since the last reset. */
uint64
cc_max_entry_bytes(void)
{
	return pg_atomic_read_u64(&cc_counters->max_entry_bytes);
}

/* Sum of one counter over all slots, raw (no reset baseline). */
static uint64
cc_counter_raw(int counter)
{
	uint64		sum = 0;
	int			i;

	for (i = 0; i < cc_counters->nslots; i++)
		sum += pg_atomic_read_u64(&cc_counters->slots[i].counters[counter]);
	return sum;
}

/* All counters, raw: sums that only grow. */
void
cc_counters_read_raw(uint64 *values)
{
	int			c;

	for (c = 0; c < CC_STAT_LAST; c++)
		values[c] = cc_counter_raw(c);
}

/* All counters since the last reset. */
void
cc_counters_read(uint64 *values)
{
	int			c;

	LWLockAcquire(cc_shared->stats_lock, LW_SHARED);
	for (c = 0; c < CC_STAT_LAST; c++)
	{
		uint64		raw = cc_counter_raw(c);
		uint64		base = cc_counters->reset_base[c];

		values[c] = raw >= base ? raw - base : 0;
	}
	LWLockRelease(cc_shared->stats_lock);
}

/* When the counters were last reset (or the server started). */
TimestampTz
cc_counters_reset_time(void)
{
	TimestampTz t;

	LWLockAcquire(cc_shared->stats_lock, LW_SHARED);
	t = cc_counters->reset_time;
	LWLockRelease(cc_shared->stats_lock);
	return t;
}

/*
 * Start all counters from zero: record the current sums as the baseline,
 * and clear the gauges (the largest entry, the longest coalescing wait, the
 * last audit failure), all under stats_lock, so that a reader never sees
 * counters reset and gauges not.
 */
void
cc_counters_reset(void)
{
	int			c;

	LWLockAcquire(cc_shared->stats_lock, LW_EXCLUSIVE);
	for (c = 0; c < CC_STAT_LAST; c++)
		cc_counters->reset_base[c] = cc_counter_raw(c);
	cc_counters->reset_time = GetCurrentTimestamp();
	pg_atomic_write_u64(&cc_counters->max_entry_bytes, 0);
	pg_atomic_write_u64(&cc_shared->coalesce_wait_max_us, 0);
	pg_atomic_write_u64(&cc_shared->audit_last_failure, 0);
	LWLockRelease(cc_shared->stats_lock);
}
