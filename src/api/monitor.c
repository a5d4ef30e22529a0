/*-------------------------------------------------------------------------
 *
 * monitor.c
 *		Rates over time and the gauges behind the monitoring views.
 *
 * The background worker samples the cluster-wide counters about once a
 * second into a ring of CC_RATE_SAMPLES samples in fixed shared memory
 * (15 minutes of history).  A sample holds the raw counter sums, which only
 * ever grow (cache_stats_reset() moves a baseline, not the counters), so
 * the rate over a window is the difference between the newest sample and
 * the newest one at least that old, divided by the time between them.
 *
 * Locking: the worker writes a sample, and readers copy the ring, under
 * CCShared->stats_lock (exclusive and shared).  Nothing that can ERROR
 * happens while it is held.
 *
 * cache_health() and the views of the 1.1 SQL script are built from these
 * rates, cache_stats() and cascade_audit_metrics(); see the SQL script.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "api/monitor.h"

PG_FUNCTION_INFO_V1(cache_rate_windows);
PG_FUNCTION_INFO_V1(cache_max_entry_bytes);

/*
 * Thresholds of cache_health() (GUCs; the SQL function reads them with
 * current_setting()).  The defaults are the design's.
 */
static int	cc_health_hit_rate_warning = 70;
static int	cc_health_hit_rate_critical = 60;
static int	cc_health_min_lookups = 100;
static int	cc_health_memory_pct = 90;
static int	cc_health_inflight = 10000;
static double cc_health_cascade_failure_pct = 0.1;
static int	cc_health_entry_size_kb = 500;
static int	cc_health_read_qps = 20000;
static int	cc_health_mutation_qps = 5000;
static int	cc_health_mixed_ops = 8000;
static int	cc_health_hold_s = 10;

/*
 * The worker's samples of the counters.  CC_RATE_SAMPLES samples, one a
 * second: 15 minutes.
 */
#define CC_RATE_SAMPLES			900

/* The worker samples when the last sample is at least this old */
#define CC_SAMPLE_INTERVAL_MS	990

typedef struct CCRateSample
{
	TimestampTz time;
	uint64		reads;			/* hits + misses + bypasses */
	uint64		hits;
	uint64		misses;
	uint64		mutations;		/* invalidation events */
	uint64		invalidations;	/* entries invalidated */
	uint64		evictions;
} CCRateSample;

typedef struct CCRateRing
{
	int			next;			/* where the next sample goes */
	int			count;			/* samples in the ring */
	CCRateSample samples[CC_RATE_SAMPLES];
} CCRateRing;

/* The ring, in fixed shared memory; under CCShared->stats_lock */
static CCRateRing *cc_rates = NULL;

/* The windows cache_rate_windows() reports, in minutes */
static const int cc_rate_windows[] = {1, 5, 15};

/* Define an integer health threshold. */
static void
cc_define_threshold(const char *name, const char *desc, int *var, int def,
					int max, int flags)
{
	DefineCustomIntVariable(name, desc, NULL, var, def, 0, max, PGC_SUSET,
							flags, NULL, NULL, NULL);
}

/*
 * Define the health thresholds.  Called from _PG_init.
 */
void
cc_monitor_define_gucs(void)
{
	cc_define_threshold("cascade_cache.health_hit_rate_warning",
						"cache_health() warns below this hit rate, in percent.",
						&cc_health_hit_rate_warning, 70, 100, 0);
	cc_define_threshold("cascade_cache.health_hit_rate_critical",
						"cache_health() is critical below this hit rate, in percent.",
						&cc_health_hit_rate_critical, 60, 100, 0);
	cc_define_threshold("cascade_cache.health_min_lookups",
						"Lookups in five minutes (or since the last reset) below which cache_health() does not judge the hit rate.",
						&cc_health_min_lookups, 100, INT_MAX, 0);
	cc_define_threshold("cascade_cache.health_memory_pct",
						"cache_health() warns when the cache uses more than this share of its memory budget while evicting, in percent.",
						&cc_health_memory_pct, 90, 100, 0);
	cc_define_threshold("cascade_cache.health_inflight",
						"cache_health() reports degraded above this many fills in flight.",
						&cc_health_inflight, 10000, INT_MAX, 0);
	DefineCustomRealVariable("cascade_cache.health_cascade_failure_pct",
							 "cache_health() is critical above this cascade failure rate, in percent.",
							 NULL, &cc_health_cascade_failure_pct, 0.1, 0.0,
							 100.0, PGC_SUSET, 0, NULL, NULL, NULL);
	cc_define_threshold("cascade_cache.health_entry_size",
						"cache_health() warns when the average entry is larger than this.",
						&cc_health_entry_size_kb, 500, MAX_KILOBYTES,
						GUC_UNIT_KB);
	cc_define_threshold("cascade_cache.health_read_qps",
						"cache_health() warns above this many cached_query calls per second (last minute).",
						&cc_health_read_qps, 20000, INT_MAX, 0);
	cc_define_threshold("cascade_cache.health_mutation_qps",
						"cache_health() warns above this many mutations per second (last minute).",
						&cc_health_mutation_qps, 5000, INT_MAX, 0);
	cc_define_threshold("cascade_cache.health_mixed_ops",
						"cache_health() warns above this many reads and mutations per second when mutations are at least a tenth of them.",
						&cc_health_mixed_ops, 8000, INT_MAX, 0);
	cc_define_threshold("cascade_cache.health_hold",
						"cache_health() reports a prepared transaction that has kept results from being stored for longer than this.",
						&cc_health_hold_s, 10, INT_MAX, GUC_UNIT_S);
}

/*
 * Size of the sample ring in fixed shared memory.
 */
Size
cc_monitor_shmem_size(void)
{
	return sizeof(CCRateRing);
}

/* Create or find the ring.  Under AddinShmemInitLock. */
void
cc_monitor_shmem_init(void)
{
	bool		found;

	cc_rates = ShmemInitStruct("cascade_cache rates", sizeof(CCRateRing),
							   &found);
	if (!found)
		memset(cc_rates, 0, sizeof(CCRateRing));
}

/* Raw sums of the counters a sample keeps.  Called with no lock held. */
static void
cc_take_sample(CCRateSample *s)
{
	uint64		c[CC_STAT_LAST];
	int			r;

	cc_counters_read_raw(c);
	s->time = GetCurrentTimestamp();
	s->hits = c[CC_STAT_HITS];
	s->misses = c[CC_STAT_MISSES];
	s->reads = c[CC_STAT_HITS] + c[CC_STAT_MISSES];
	for (r = 0; r < CC_NUM_BYPASS_REASONS; r++)
		s->reads += c[CC_STAT_BYPASS_FIRST + r];
	s->mutations = c[CC_STAT_INVALIDATION_EVENTS];
	s->invalidations = c[CC_STAT_INVALIDATIONS];
	s->evictions = c[CC_STAT_EVICTIONS];
}

/*
 * The worker's sampling: add a sample if the last one is at least a
 * second old.  Called from the worker's loop with no lock held.
 */
void
cc_monitor_sample(void)
{
	CCRateRing *ring = cc_rates;
	CCRateSample s;
	TimestampTz last = 0;

	LWLockAcquire(cc_shared->stats_lock, LW_SHARED);
	if (ring->count > 0)
		last = ring->samples[(ring->next + CC_RATE_SAMPLES - 1) % CC_RATE_SAMPLES].time;
	LWLockRelease(cc_shared->stats_lock);

	if (last != 0 &&
		!TimestampDifferenceExceeds(last, GetCurrentTimestamp(),
									CC_SAMPLE_INTERVAL_MS))
		return;

	cc_take_sample(&s);
	LWLockAcquire(cc_shared->stats_lock, LW_EXCLUSIVE);
	ring->samples[ring->next] = s;
	ring->next = (ring->next + 1) % CC_RATE_SAMPLES;
	if (ring->count < CC_RATE_SAMPLES)
		ring->count++;
	LWLockRelease(cc_shared->stats_lock);
}

/*
 * Rates over the last 'seconds' seconds, ending now: a fresh sample taken
 * by the caller against the newest ring sample at least that old (or the
 * oldest there is).  Returns the seconds actually covered (0: no history).
 */
static double
cc_rates_over(int seconds, const CCRateSample *now, const CCRateSample *ring,
			  int count, CCRateSample *from)
{
	int			i;
	const CCRateSample *best = NULL;

	/* ring[] is oldest first */
	for (i = count - 1; i >= 0; i--)
	{
		best = &ring[i];
		if (!TimestampDifferenceExceeds(ring[i].time, now->time,
										seconds * 1000 - 500))
			continue;
		break;
	}
	if (best == NULL)
		return 0;
	*from = *best;
	return (now->time - best->time) / 1000000.0;
}

/*
 * cache_rate_windows(): one row per window (1, 5 and 15 minutes): read
 * calls per second (hits, misses and bypasses), mutations per second
 * (committed transactions that invalidated something), invalidated entries
 * per second, evictions per second, the hit rate, and the seconds of
 * history the row covers (less than the window after a restart).
 */
Datum
cache_rate_windows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CCRateSample now;
	CCRateSample *copy;
	int			count;
	int			w;
	int			i;

	cc_check_loaded();
	InitMaterializedSRF(fcinfo, 0);

	/* copy the ring, oldest first, then take a sample of now */
	copy = palloc(sizeof(CCRateSample) * CC_RATE_SAMPLES);
	LWLockAcquire(cc_shared->stats_lock, LW_SHARED);
	count = cc_rates->count;
	for (i = 0; i < count; i++)
		copy[i] = cc_rates->samples[(cc_rates->next + CC_RATE_SAMPLES -
									 count + i) % CC_RATE_SAMPLES];
	LWLockRelease(cc_shared->stats_lock);
	cc_take_sample(&now);

	for (w = 0; w < (int) lengthof(cc_rate_windows); w++)
	{
		Datum		values[8];
		bool		nulls[8];
		CCRateSample from;
		double		secs;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(cc_rate_windows[w]);
		secs = cc_rates_over(cc_rate_windows[w] * 60, &now, copy, count, &from);
		if (secs < 0.5)
		{
			for (i = 1; i < 7; i++)
				nulls[i] = true;
			values[7] = Float8GetDatum(0);
		}
		else
		{
			uint64		lookups = (now.hits - from.hits) + (now.misses - from.misses);

			values[1] = Float8GetDatum((now.reads - from.reads) / secs);
			values[2] = Float8GetDatum((now.mutations - from.mutations) / secs);
			values[3] = Float8GetDatum((now.invalidations - from.invalidations) / secs);
			values[4] = Float8GetDatum((now.evictions - from.evictions) / secs);
			values[5] = Int64GetDatum((int64) lookups);
			if (lookups > 0)
				values[6] = Float8GetDatum(100.0 * (now.hits - from.hits) / lookups);
			else
				nulls[6] = true;
			values[7] = Float8GetDatum(secs);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* cache_max_entry_bytes(): the largest result stored since the last reset */
Datum
cache_max_entry_bytes(PG_FUNCTION_ARGS)
{
	cc_check_loaded();
	PG_RETURN_INT64((int64) cc_max_entry_bytes());
}
