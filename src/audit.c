/*-------------------------------------------------------------------------
 *
 * audit.c
 *		The cascade audit trail.
 *
 * Every committed transaction that reported a cascade (cascade_invalidate)
 * or changed a watched table leaves one row in cascade_cache.audit_log, an
 * UNLOGGED table read through the cascade_audit view; so does every call of
 * cache_flush() and cache_invalidate_relation().  Plain writes, whose
 * invalidation is automatic, leave none.
 *
 * The row is written at PRE_COMMIT, after the invalidation has removed the
 * entries (so it knows how many), in the committing transaction itself: a
 * transaction that rolls back leaves nothing, and a row is never written
 * for a commit that did not happen.  It goes straight into the heap and
 * the id index (CatalogTupleInsert), which costs a few microseconds; no
 * SPI, no executor, and no privilege of the mutating role is needed.
 *
 * The table keeps the latest cascade_cache.audit_max_rows rows: every
 * audit_max_rows / 10 rows (at most every 1000), the inserting backend
 * deletes the rows that fell out of that window, so the table never holds
 * more than 110% of it whatever the mutation rate, and no trimming job is
 * needed.  The cascade_audit view shows exactly the window.
 *
 * The counters behind cascade_audit_metrics() are bumped in the COMMIT
 * callback, from values prepared at PRE_COMMIT (nothing there can fail).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"

PG_FUNCTION_INFO_V1(cascade_audit_metrics);

/* GUCs */
bool		cc_audit_enabled = true;
int			cc_audit_max_rows = 100000;
int			cc_audit_max_payload_kb = 64;

/* Longest entity list kept in one row */
#define CC_AUDIT_MAX_ENTITIES	1000

/* Status of this transaction's audit row, counted at COMMIT; 0 if none */
#define CC_AUDIT_NONE		0
#define CC_AUDIT_SUCCESS	1
#define CC_AUDIT_PARTIAL	2
#define CC_AUDIT_FAILED		3
static int	cc_audit_status = CC_AUDIT_NONE;
static uint64 cc_audit_removed = 0;

static const char *const cc_status_names[] = {NULL, "success", "partial", "failed"};

/* The trimming DELETE, planned once per backend (fully qualified) */
static SPIPlanPtr cc_audit_trim_plan = NULL;

static void cc_audit_insert(const char *mutation_id, const char *source,
							const char *status, const char *error,
							Jsonb *payload, List *entities, List *names,
							List *missing, uint64 removed, int64 duration_us);

/*
 * PRE_COMMIT (and PRE_PREPARE), after the invalidation: write the audit row
 * if the transaction reported a cascade or changed watched rows.  May
 * ERROR, which aborts the transaction.
 */
void
cc_audit_pre_commit(uint64 removed, int64 duration_us)
{
	CCAuditInfo info;
	const char *source;
	Jsonb	   *payload = NULL;
	char	   *mutation_id;

	cc_audit_status = CC_AUDIT_NONE;
	if (!cc_cascade_audit_info(&info))
		return;

	if (info.error != NULL)
		cc_audit_status = CC_AUDIT_FAILED;
	else if (info.missing != NIL)
		cc_audit_status = CC_AUDIT_PARTIAL;
	else
		cc_audit_status = CC_AUDIT_SUCCESS;
	cc_audit_removed = removed;

	if (!cc_audit_enabled)
		return;

	if (info.has_cascade && info.has_rows)
		source = "both";
	else if (info.has_cascade)
		source = "cascade";
	else
		source = "trigger";

	if (list_length(info.payloads) == 1)
		payload = (Jsonb *) linitial(info.payloads);
	else if (info.payloads != NIL)
	{
		JsonbParseState *state = NULL;
		ListCell   *lc;
		JsonbValue *res;

		(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		foreach(lc, info.payloads)
		{
			Jsonb	   *jb = (Jsonb *) lfirst(lc);
			JsonbValue	v;

			v.type = jbvBinary;
			v.val.binary.data = &jb->root;
			v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
			(void) pushJsonbValue(&state, WJB_ELEM, &v);
		}
		res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		payload = JsonbValueToJsonb(res);
	}

	mutation_id = info.mutation_id ? info.mutation_id :
		psprintf("%u", GetTopTransactionId());

	cc_audit_insert(mutation_id, source, cc_status_names[cc_audit_status],
					info.error, payload, info.entities, info.names,
					info.missing, removed, duration_us);
}

/*
 * End of transaction: count the audited mutation if it committed.  No
 * ERROR allowed (called from the COMMIT callback).
 */
void
cc_audit_xact_end(bool commit)
{
	if (commit && cc_audit_status != CC_AUDIT_NONE)
	{
		cc_count(CC_STAT_AUDIT_MUTATIONS, 1);
		cc_count(CC_STAT_AUDIT_REMOVED, cc_audit_removed);
		switch (cc_audit_status)
		{
			case CC_AUDIT_SUCCESS:
				cc_count(CC_STAT_AUDIT_SUCCESS, 1);
				break;
			case CC_AUDIT_PARTIAL:
				cc_count(CC_STAT_AUDIT_PARTIAL, 1);
				break;
			default:
				cc_count(CC_STAT_AUDIT_FAILED, 1);
				pg_atomic_write_u64(&cc_shared->audit_last_failure,
									(uint64) GetCurrentTimestamp());
				break;
		}
	}
	cc_audit_status = CC_AUDIT_NONE;
	cc_audit_removed = 0;
}

/*
 * The audit row of a manual invalidation (cache_flush,
 * cache_invalidate_relation), written in the caller's transaction.
 */
void
cc_audit_manual(const char *function, uint64 removed, int64 duration_us)
{
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *res;

	/* a hot standby cannot write the audit table */
	if (!cc_audit_enabled || RecoveryInProgress())
		return;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "function";
	k.val.string.len = 8;
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) function;
	v.val.string.len = strlen(function);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	cc_audit_insert(psprintf("%u", GetTopTransactionId()), "manual", "success",
					NULL, JsonbValueToJsonb(res), NIL, NIL, NIL, removed,
					duration_us);
}

/* A text[] datum of at most 'max' elements of 'list' (char *). */
static Datum
cc_text_array(List *list, int max)
{
	int			n = Min(list_length(list), max);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, list)
	{
		if (i >= n)
			break;
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * Insert one row, directly into the heap and its id index: no SPI, no
 * executor, no permission checks (the row is written on the extension's
 * behalf; mutating roles need no privilege on the table).  Every so many
 * rows, delete those older than the latest audit_max_rows, so the table
 * stays bounded.  Does nothing in a database where the extension is not
 * installed.
 */
static void
cc_audit_insert(const char *mutation_id, const char *source,
				const char *status, const char *error, Jsonb *payload,
				List *entities, List *names, List *missing, uint64 removed,
				int64 duration_us)
{
	Oid			nsp;
	Oid			relid;
	Oid			seqid;
	Relation	rel;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	HeapTuple	tuple;
	const char *appname;
	bool		truncated = false;
	int64		id;
	int			period;
	int			i;

	nsp = get_namespace_oid(CC_SCHEMA_NAME, true);
	if (!OidIsValid(nsp))
		return;
	relid = get_relname_relid("audit_log", nsp);
	seqid = get_relname_relid("audit_seq", nsp);
	if (!OidIsValid(relid) || !OidIsValid(seqid))
		return;

	if (payload != NULL &&
		VARSIZE(payload) > (Size) cc_audit_max_payload_kb * 1024)
	{
		payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													 CStringGetDatum(psprintf("{\"truncated\": true, \"bytes\": %u}",
																			  (unsigned) VARSIZE(payload)))));
		truncated = true;
	}
	appname = GetConfigOption("application_name", true, false);
	id = nextval_internal(seqid, false);

	rel = table_open(relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		const char *col = NameStr(attr->attname);

		nulls[i] = false;
		if (attr->attisdropped)
			nulls[i] = true;
		else if (strcmp(col, "id") == 0)
			values[i] = Int64GetDatum(id);
		else if (strcmp(col, "mutation_id") == 0)
			values[i] = CStringGetTextDatum(mutation_id);
		else if (strcmp(col, "database") == 0)
			values[i] = DirectFunctionCall1(namein,
											CStringGetDatum(get_database_name(MyDatabaseId)));
		else if (strcmp(col, "role") == 0)
			values[i] = DirectFunctionCall1(namein,
											CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		else if (strcmp(col, "application_name") == 0 && appname != NULL)
			values[i] = CStringGetTextDatum(appname);
		else if (strcmp(col, "committed_at") == 0)
			values[i] = TimestampTzGetDatum(GetCurrentTimestamp());
		else if (strcmp(col, "source") == 0)
			values[i] = CStringGetTextDatum(source);
		else if (strcmp(col, "status") == 0)
			values[i] = CStringGetTextDatum(status);
		else if (strcmp(col, "error") == 0 && error != NULL)
			values[i] = CStringGetTextDatum(error);
		else if (strcmp(col, "payload") == 0 && payload != NULL)
			values[i] = JsonbPGetDatum(payload);
		else if (strcmp(col, "payload_truncated") == 0)
			values[i] = BoolGetDatum(truncated);
		else if (strcmp(col, "entities") == 0)
			values[i] = cc_text_array(entities, CC_AUDIT_MAX_ENTITIES);
		else if (strcmp(col, "entity_count") == 0)
			values[i] = Int32GetDatum(list_length(entities));
		else if (strcmp(col, "query_names") == 0)
			values[i] = cc_text_array(names, CC_AUDIT_MAX_ENTITIES);
		else if (strcmp(col, "missing") == 0)
			values[i] = cc_text_array(missing, CC_AUDIT_MAX_ENTITIES);
		else if (strcmp(col, "entries_removed") == 0)
			values[i] = Int64GetDatum((int64) removed);
		else if (strcmp(col, "duration_us") == 0)
			values[i] = Int64GetDatum(duration_us);
		else
			nulls[i] = true;
	}
	tuple = heap_form_tuple(desc, values, nulls);
	CatalogTupleInsert(rel, tuple);
	heap_freetuple(tuple);
	table_close(rel, RowExclusiveLock);

	/* keep the table bounded: now and then, drop what is out of the window */
	period = Min(Max(cc_audit_max_rows / 10, 1), 1000);
	if (id % period == 0 && id > cc_audit_max_rows)
	{
		Oid			argtypes[1] = {INT8OID};
		Datum		args[1];

		args[0] = Int64GetDatum(id - cc_audit_max_rows);
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "cascade_cache: SPI_connect failed");
		if (cc_audit_trim_plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare("DELETE FROM cascade_cache.audit_log "
										   "WHERE id OPERATOR(pg_catalog.<=) $1",
										   1, argtypes);

			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "cascade_cache: could not prepare the audit trim");
			cc_audit_trim_plan = plan;
		}
		(void) SPI_execute_plan(cc_audit_trim_plan, args, NULL, false, 0);
		SPI_finish();
		PopActiveSnapshot();
	}
}

/*
 * cascade_audit_metrics(): totals since the last cache_stats_reset().
 */
Datum
cascade_audit_metrics(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	uint64		c[CC_STAT_LAST];
	Datum		values[8];
	bool		nulls[8];
	uint64		mutations;
	uint64		last;
	int			i;

	cc_check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

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

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
