/*-------------------------------------------------------------------------
 *
 * stats.c
 *		Counters and the statistics functions.
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
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"

PG_FUNCTION_INFO_V1(cache_stats);
PG_FUNCTION_INFO_V1(cache_bypass_stats);
PG_FUNCTION_INFO_V1(cache_stats_reset);

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
	"untrusted_function"
};

/*
 * Add n to one of this process's counters.
 */
void
cc_count(CCCounter counter, uint64 n)
{
	CCBackendStats *slot;

	if (cc_shared == NULL || MyProc == NULL ||
		MyProc->pgprocno >= cc_shared->nstats_slots)
		return;
	slot = &cc_shared->stats[MyProc->pgprocno];
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

/* Sum of one counter over all slots, raw (no reset baseline). */
static uint64
cc_counter_raw(int counter)
{
	uint64		sum = 0;
	int			i;

	for (i = 0; i < cc_shared->nstats_slots; i++)
		sum += pg_atomic_read_u64(&cc_shared->stats[i].counters[counter]);
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
		uint64		base = cc_shared->stats_reset_base[c];

		values[c] = raw >= base ? raw - base : 0;
	}
	LWLockRelease(cc_shared->stats_lock);
}

/*
 * cache_stats(): one row of counters and gauges.
 */
Datum
cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	uint64		c[CC_STAT_LAST];
	Datum		values[29];
	bool		nulls[29];
	uint64		bypasses = 0;
	uint64		saved;
	int			i = 0;
	int			r;
	TimestampTz reset_time;

	cc_check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	cc_counters_read(c);
	for (r = 0; r < CC_NUM_BYPASS_REASONS; r++)
		bypasses += c[CC_STAT_BYPASS_FIRST + r];
	LWLockAcquire(cc_shared->stats_lock, LW_SHARED);
	reset_time = cc_shared->stats_reset_time;
	LWLockRelease(cc_shared->stats_lock);
	saved = c[CC_STAT_COALESCE_SAVED];

	memset(nulls, 0, sizeof(nulls));
	values[i++] = Int64GetDatum((int64) c[CC_STAT_HITS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_MISSES]);
	values[i++] = Int64GetDatum((int64) bypasses);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_STORES]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_REJECTED_STORES]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_STORE_RACES]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_EVICTIONS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_EXPIRATIONS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_INVALIDATIONS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_INVALIDATION_EVENTS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_REFILL_UNCHANGED]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_REFILL_CHANGED]);
	if (c[CC_STAT_REFILL_UNCHANGED] + c[CC_STAT_REFILL_CHANGED] > 0)
		values[i++] = Float8GetDatum(100.0 * c[CC_STAT_REFILL_CHANGED] /
									 (c[CC_STAT_REFILL_UNCHANGED] +
									  c[CC_STAT_REFILL_CHANGED]));
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_LEADS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_WAITS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_TAKEOVERS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_TIMEOUTS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_UNSHAREABLE]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_COALESCE_FULL]);
	values[i++] = Float8GetDatum(c[CC_STAT_COALESCE_WAIT_US] / 1000.0);
	values[i++] = Float8GetDatum(pg_atomic_read_u64(&cc_shared->coalesce_wait_max_us) / 1000.0);
	values[i++] = Int64GetDatum((int64) saved);
	if (saved + c[CC_STAT_MISSES] > 0)
		values[i++] = Float8GetDatum(100.0 * saved / (saved + c[CC_STAT_MISSES]));
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum(cc_coalesce_inflight());
	values[i++] = Int64GetDatum((int64) pg_atomic_read_u64(&cc_shared->entries));
	values[i++] = Int64GetDatum((int64) pg_atomic_read_u64(&cc_shared->bytes_used));
	values[i++] = Int64GetDatum((int64) cc_budget_bytes());
	values[i++] = Int64GetDatum((int64) cc_memory_limit_bytes());
	values[i++] = TimestampTzGetDatum(reset_time);
	Assert(i == tupdesc->natts);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * cache_bypass_stats(): one row per bypass reason.
 */
Datum
cache_bypass_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		c[CC_STAT_LAST];
	int			r;

	cc_check_loaded();
	InitMaterializedSRF(fcinfo, 0);
	cc_counters_read(c);

	for (r = 0; r < CC_NUM_BYPASS_REASONS; r++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(cc_bypass_names[r]);
		values[1] = Int64GetDatum((int64) c[CC_STAT_BYPASS_FIRST + r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * cache_stats_reset(): start all counters from zero.
 */
Datum
cache_stats_reset(PG_FUNCTION_ARGS)
{
	int			c;

	cc_check_loaded();
	LWLockAcquire(cc_shared->stats_lock, LW_EXCLUSIVE);
	for (c = 0; c < CC_STAT_LAST; c++)
		cc_shared->stats_reset_base[c] = cc_counter_raw(c);
	cc_shared->stats_reset_time = GetCurrentTimestamp();
	pg_atomic_write_u64(&cc_shared->max_entry_bytes, 0);
	pg_atomic_write_u64(&cc_shared->coalesce_wait_max_us, 0);
	pg_atomic_write_u64(&cc_shared->audit_last_failure, 0);
	LWLockRelease(cc_shared->stats_lock);
	PG_RETURN_VOID();
}
