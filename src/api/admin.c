/*-------------------------------------------------------------------------
 *
 * admin.c
 *		Manual invalidation, cache_flush() and cache_invalidate_relation(),
 *		and the audit's counters, cascade_audit_metrics().
 *
 * The manual invalidations run at once, in the caller's transaction, with
 * the same fence as a commit's (cc_invalidate_now(), xact.c), and each
 * leaves an audit row (audit.c).  Both functions are revoked from PUBLIC.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/key.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "xact/audit.h"
#include "xact/pending.h"
#include "xact/xact.h"

PG_FUNCTION_INFO_V1(cache_flush);
PG_FUNCTION_INFO_V1(cache_invalidate_relation);
PG_FUNCTION_INFO_V1(cascade_audit_metrics);

/* Columns of cascade_audit_metrics(): 1.0 and 1.1 declare the first eight */
#define CC_AUDIT_METRICS_COLS_1_0	8
#define CC_AUDIT_METRICS_COLS		10

/*
 * The audit row of a manual invalidation; the commit then also invalidates
 * the entries that read the audit table.
 */
static void
cc_audit_manual_invalidation(const char *function, uint64 removed,
							 TimestampTz started)
{
	Oid			audit = cc_audit_manual(function, removed,
										GetCurrentTimestamp() - started);

	if (OidIsValid(audit))
		cc_pending_add_relation(audit);
}

/*
 * cache_flush(): remove every entry of the current database now.
 */
Datum
cache_flush(PG_FUNCTION_ARGS)
{
	uint64		dbdep;
	uint64		removed;
	TimestampTz started = GetCurrentTimestamp();

	cc_check_loaded();
	dbdep = cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId, InvalidOid);
	removed = cc_invalidate_now(&dbdep, 1, true);
	cc_audit_manual_invalidation("cache_flush()", removed, started);
	PG_RETURN_INT64((int64) removed);
}

/*
 * cache_invalidate_relation(regclass): remove every entry that depends on
 * the relation (for a partition tree member: on any member of the tree)
 * now.
 */
Datum
cache_invalidate_relation(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	CCDepList	deps;
	uint64		removed;
	TimestampTz started = GetCurrentTimestamp();

	cc_check_loaded();
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	cc_deplist_init(&deps);
	cc_relation_deps(relid, &deps);
	removed = cc_invalidate_now(deps.deps, deps.ndeps, false);
	cc_audit_manual_invalidation(psprintf("cache_invalidate_relation(%s)",
										  quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																	 get_rel_name(relid))),
								 removed, started);
	PG_RETURN_INT64((int64) removed);
}

/*
 * cascade_audit_metrics(): totals since the last cache_stats_reset().
 */
Datum
cascade_audit_metrics(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	uint64		c[CC_STAT_LAST];
	Datum		values[CC_AUDIT_METRICS_COLS];
	bool		nulls[CC_AUDIT_METRICS_COLS];
	uint64		mutations;
	uint64		last;
	int			i;

	cc_check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* 1.0 and 1.1 declare the first eight columns only */
	if (tupdesc->natts != CC_AUDIT_METRICS_COLS_1_0 &&
		tupdesc->natts != CC_AUDIT_METRICS_COLS)
		elog(ERROR, "unexpected result type of cascade_audit_metrics()");

	cc_counters_read(c);
	mutations = c[CC_STAT_AUDIT_MUTATIONS];
	last = pg_atomic_read_u64(&cc_shared->audit_last_failure);

	memset(nulls, 0, sizeof(nulls));
	i = 0;
	values[i++] = Int64GetDatum((int64) mutations);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_SUCCESS]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_PARTIAL]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_FAILED]);
	if (mutations > 0)
		values[i++] = Float8GetDatum((double) c[CC_STAT_AUDIT_FAILED] / mutations);
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_REMOVED]);
	if (mutations > 0)
		values[i++] = Float8GetDatum((double) c[CC_STAT_AUDIT_REMOVED] / mutations);
	else
		nulls[i++] = true;
	if (last != 0)
		values[i++] = TimestampTzGetDatum((TimestampTz) last);
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_DROPPED]);
	values[i++] = Int64GetDatum((int64) c[CC_STAT_AUDIT_TRUNCATED]);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
