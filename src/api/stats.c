/*-------------------------------------------------------------------------
 *
 * stats.c
 *		The statistics functions: cache_stats(), cache_bypass_stats(),
 *		cache_stats_reset(), cache_recipe_stats(), and cache_holds() (what
 *		prepared transactions, and on a hot standby replayed ones, keep
 *		from being stored).
 *
 * The counters themselves, and how they are kept without a shared cache
 * line on the hit path, are in src/base/counters.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "store/queue.h"
#include "store/store.h"
#include "xact/coalesce.h"
#include "xact/recipe.h"
#include "xact/replication.h"
#include "xact/twophase.h"

PG_FUNCTION_INFO_V1(cache_stats);
PG_FUNCTION_INFO_V1(cache_bypass_stats);
PG_FUNCTION_INFO_V1(cache_stats_reset);
PG_FUNCTION_INFO_V1(cache_recipe_stats);
PG_FUNCTION_INFO_V1(cache_holds);
PG_FUNCTION_INFO_V1(cache_holds_1_9);

/* Columns of cache_stats() */
#define CC_CACHE_STATS_COLUMNS	29

/*
 * cache_stats(): one row of counters and gauges.
 */
Datum
cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	uint64		c[CC_STAT_LAST];
	Datum		values[CC_CACHE_STATS_COLUMNS];
	bool		nulls[CC_CACHE_STATS_COLUMNS];
	uint64		bypasses = 0;
	uint64		saved;
	int			i = 0;
	int			r;
	TimestampTz reset_time;

	cc_check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	cc_counters_read(c);
	reset_time = cc_counters_reset_time();
	for (r = 0; r < CC_NUM_BYPASS_REASONS; r++)
		bypasses += c[CC_STAT_BYPASS_FIRST + r];
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
	values[i++] = Int64GetDatum((int64) cc_store_entries());
	values[i++] = Int64GetDatum((int64) cc_store_bytes_used());
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

		values[0] = CStringGetTextDatum(cc_bypass_reason_name((CCBypassReason) r));
		values[1] = Int64GetDatum((int64) c[CC_STAT_BYPASS_FIRST + r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * cache_recipe_stats(): one row per kind of recipe run (warm restart,
 * refresh-ahead): how many were queued, what running them came to, how
 * many could not be queued and how many wait now.
 */
Datum
cache_recipe_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		c[CC_STAT_LAST];
	int			k;

	cc_check_loaded();
	InitMaterializedSRF(fcinfo, 0);
	cc_counters_read(c);

	for (k = 0; k < CC_NUM_RECIPE_KINDS; k++)
	{
		Datum		values[3 + CC_NUM_RECIPE_OUTCOMES + 1];
		bool		nulls[3 + CC_NUM_RECIPE_OUTCOMES + 1];
		int			first = k == CC_RECIPE_WARM ?
			CC_STAT_WARM_OUTCOME_FIRST : CC_STAT_REFRESH_OUTCOME_FIRST;
		int			i = 0;
		int			o;

		memset(nulls, 0, sizeof(nulls));
		values[i++] = CStringGetTextDatum(k == CC_RECIPE_WARM ? "warm" : "refresh");
		values[i++] = Int64GetDatum((int64) c[k == CC_RECIPE_WARM ?
											  CC_STAT_WARM_QUEUED :
											  CC_STAT_REFRESH_QUEUED]);
		for (o = 0; o < CC_NUM_RECIPE_OUTCOMES; o++)
			values[i++] = Int64GetDatum((int64) c[first + o]);
		values[i] = Int64GetDatum((int64) (k == CC_RECIPE_WARM ? 0 :
										   c[CC_STAT_REFRESH_DROPPED]));
		nulls[i++] = k == CC_RECIPE_WARM;
		values[i++] = Int64GetDatum((int64) cc_queue_length((CCRecipeKind) k));
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
	cc_check_loaded();
	cc_counters_reset();
	PG_RETURN_VOID();
}

/*
 * cache_holds(): one row per hold that keeps results from being stored
 * (src/xact/twophase_holds.c, and on a hot standby src/xact/replay_holds.c):
 * kind (restart, prepared, apply; replay, standby), the GID, the
 * transaction, its database, the scope (rows: what it changed; database;
 * cluster: every database), the fence stripes held (NULL for a standby that
 * does not cache yet), the state (preparing, held, ended: released by the
 * next look) and since when.  The SQL function of 1.9 is cache_holds_1_9;
 * that of 1.8 (cache_holds), which a standby runs until its primary has
 * updated the extension, shows no standby's hold: its cache_health() would
 * not read them right.
 */
static void
cc_cache_holds(FunctionCallInfo fcinfo, bool standby_holds)
{
	static const char *const kinds[] = {"restart", "prepared", "apply",
	"replay", "standby"};
	static const char *const scopes[] = {"rows", "database", "cluster"};
	static const char *const states[] = {"preparing", "held", "ended"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CCHold	   *prepared;
	CCHold	   *replayed;
	int			nprepared;
	int			nreplayed;
	int			k;

	cc_check_loaded();
	InitMaterializedSRF(fcinfo, 0);
	nprepared = cc_twophase_holds(&prepared);
	nreplayed = standby_holds ? cc_replica_holds(&replayed) : 0;

	for (k = 0; k < nprepared + nreplayed; k++)
	{
		CCHold	   *h = k < nprepared ? &prepared[k] : &replayed[k - nprepared];
		Datum		values[8] = {0};
		bool		nulls[8];
		char	   *datname = NULL;

		memset(nulls, 0, sizeof(nulls));
		if (OidIsValid(h->dbid))
			datname = get_database_name(h->dbid);
		values[0] = CStringGetTextDatum(kinds[h->kind]);
		values[1] = CStringGetTextDatum(h->gid);
		nulls[1] = h->kind != CC_HOLD_PREPARED;
		values[2] = TransactionIdGetDatum(h->xid);
		nulls[2] = !TransactionIdIsValid(h->xid);
		nulls[3] = datname == NULL;
		if (datname != NULL)
		{
			NameData   *name = palloc0(sizeof(NameData));

			namestrcpy(name, datname);
			values[3] = NameGetDatum(name);
		}
		values[4] = CStringGetTextDatum(scopes[h->scope]);
		values[5] = Int32GetDatum(h->nstripes);
		nulls[5] = h->nstripes < 0;
		values[6] = CStringGetTextDatum(states[h->state]);
		values[7] = TimestampTzGetDatum(h->since);
		nulls[7] = h->since == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* cache_holds() of 1.8: prepared transactions only */
Datum
cache_holds(PG_FUNCTION_ARGS)
{
	cc_cache_holds(fcinfo, false);
	return (Datum) 0;
}

/* cache_holds() of 1.9: and on a hot standby, what replay holds */
Datum
cache_holds_1_9(PG_FUNCTION_ARGS)
{
	cc_cache_holds(fcinfo, true);
	return (Datum) 0;
}
