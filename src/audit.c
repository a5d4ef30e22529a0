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
 * for a commit that did not happen.  It is written through SPI as the
 * owner of the audit table, with a safe search_path, so mutating roles
 * need no privilege on it.
 *
 * The table is a ring of cascade_cache.audit_max_rows slots (slot = id mod
 * audit_max_rows, INSERT ... ON CONFLICT (slot) DO UPDATE): it never grows
 * beyond that many rows whatever the mutation rate, and needs no trimming
 * job.  Once per revolution of the ring the slots beyond audit_max_rows
 * (left over after it was lowered) are deleted.
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
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
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

	if (!cc_audit_enabled)
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
 * Insert one row into the ring, as the table's owner.  Does nothing in a
 * database where the extension is not installed.
 */
static void
cc_audit_insert(const char *mutation_id, const char *source,
				const char *status, const char *error, Jsonb *payload,
				List *entities, List *names, List *missing, uint64 removed,
				int64 duration_us)
{
	static const char *sql =
	"WITH n AS (SELECT pg_catalog.nextval('cascade_cache.audit_seq'::pg_catalog.regclass) AS id) "
	"INSERT INTO cascade_cache.audit_log AS a "
	"  (slot, id, mutation_id, database, role, application_name, committed_at, "
	"   source, status, error, payload, payload_truncated, entities, entity_count, "
	"   query_names, missing, entries_removed, duration_us) "
	"SELECT n.id OPERATOR(pg_catalog.%) $1, n.id, $2, $3, $4, $5, pg_catalog.clock_timestamp(), "
	"       $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM n "
	"ON CONFLICT (slot) DO UPDATE SET id = excluded.id, mutation_id = excluded.mutation_id, "
	"  database = excluded.database, role = excluded.role, "
	"  application_name = excluded.application_name, committed_at = excluded.committed_at, "
	"  source = excluded.source, status = excluded.status, error = excluded.error, "
	"  payload = excluded.payload, payload_truncated = excluded.payload_truncated, "
	"  entities = excluded.entities, entity_count = excluded.entity_count, "
	"  query_names = excluded.query_names, missing = excluded.missing, "
	"  entries_removed = excluded.entries_removed, duration_us = excluded.duration_us "
	"RETURNING a.id";
	Oid			argtypes[16] = {INT8OID, TEXTOID, NAMEOID, NAMEOID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, JSONBOID, BOOLOID, TEXTARRAYOID, INT4OID,
	TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID};
	Datum		values[16];
	char		nulls[16];
	Oid			nsp;
	Oid			relid;
	Oid			owner;
	HeapTuple	tuple;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	const char *appname;
	bool		truncated = false;
	char	   *dbname;
	char	   *rolename;
	int64		id = 0;

	nsp = get_namespace_oid(CC_SCHEMA_NAME, true);
	if (!OidIsValid(nsp))
		return;
	relid = get_relname_relid("audit_log", nsp);
	if (!OidIsValid(relid))
		return;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);

	if (payload != NULL &&
		VARSIZE(payload) > (Size) cc_audit_max_payload_kb * 1024)
	{
		payload = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													 CStringGetDatum(psprintf("{\"truncated\": true, \"bytes\": %u}",
																			  (unsigned) VARSIZE(payload)))));
		truncated = true;
	}

	dbname = get_database_name(MyDatabaseId);
	rolename = GetUserNameFromId(GetUserId(), false);
	appname = GetConfigOption("application_name", true, false);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum((int64) Max(cc_audit_max_rows, 1));
	values[1] = CStringGetTextDatum(mutation_id);
	values[2] = CStringGetDatum(dbname);
	values[3] = CStringGetDatum(rolename);
	if (appname)
		values[4] = CStringGetTextDatum(appname);
	else
		nulls[4] = 'n';
	values[5] = CStringGetTextDatum(source);
	values[6] = CStringGetTextDatum(status);
	if (error)
		values[7] = CStringGetTextDatum(error);
	else
		nulls[7] = 'n';
	if (payload)
		values[8] = JsonbPGetDatum(payload);
	else
		nulls[8] = 'n';
	values[9] = BoolGetDatum(truncated);
	values[10] = cc_text_array(entities, CC_AUDIT_MAX_ENTITIES);
	values[11] = Int32GetDatum(list_length(entities));
	values[12] = cc_text_array(names, CC_AUDIT_MAX_ENTITIES);
	values[13] = cc_text_array(missing, CC_AUDIT_MAX_ENTITIES);
	values[14] = Int64GetDatum((int64) removed);
	values[15] = Int64GetDatum(duration_us);

	/* NAMEOID parameters want Name datums */
	values[2] = DirectFunctionCall1(namein, values[2]);
	values[3] = DirectFunctionCall1(namein, values[3]);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);

	/* at PRE_COMMIT there is no active snapshot any more */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cascade_cache: SPI_connect failed");
	if (SPI_execute_with_args(sql, 16, argtypes, values, nulls, false, 1) !=
		SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "cascade_cache: could not write the audit row");
	{
		bool		isnull;

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	}

	/*
	 * Once per revolution of the ring, drop the slots beyond its size (left
	 * over if audit_max_rows was lowered).
	 */
	if (id % Max(cc_audit_max_rows, 1) == 0)
	{
		Oid			delargtypes[1] = {INT8OID};
		Datum		delvalues[1];

		delvalues[0] = Int64GetDatum((int64) Max(cc_audit_max_rows, 1));
		(void) SPI_execute_with_args("DELETE FROM cascade_cache.audit_log "
									 "WHERE slot OPERATOR(pg_catalog.>=) $1",
									 1, delargtypes, delvalues, NULL, false, 0);
	}
	SPI_finish();
	PopActiveSnapshot();

	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
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
