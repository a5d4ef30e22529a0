/*-------------------------------------------------------------------------
 *
 * audit.c
 *		The cascade audit trail: what goes into an audit row, and the
 *		counters behind cascade_audit_metrics().
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
 * for a commit that did not happen.  The transaction callbacks (xact.c)
 * hand over what the transaction reported (a CCAuditInfo, gathered by
 * cascade.c); audit_table.c writes the row.
 *
 * The audit never fails the commit it describes.  What it keeps is bounded
 * before anything is written (payloads past cascade_cache.audit_max_payload
 * are replaced by a note of their size; audit_table.c cuts the lists), and
 * a row that cannot be written costs a WARNING, not the commit.
 *
 * Entries that read the audit table are invalidated by the commit that
 * writes a row (the transaction callbacks add the table to what the commit
 * changed, see cc_audit_will_write()).
 *
 * The counters behind cascade_audit_metrics() are bumped in the COMMIT
 * callback (cc_audit_xact_end()), from values prepared at PRE_COMMIT:
 * nothing there can fail.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/guc.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/shmem.h"
#include "xact/audit.h"
#include "xact/audit_table.h"

/* GUCs */
bool		cc_audit_enabled = true;
int			cc_audit_max_payload_kb = 64;

/* Status of this transaction's audit row, counted at COMMIT */
typedef enum CCAuditStatus
{
	CC_AUDIT_NONE = 0,			/* no row */
	CC_AUDIT_SUCCESS,
	CC_AUDIT_PARTIAL,			/* watched rows the cascade did not report */
	CC_AUDIT_FAILED				/* a malformed cascade */
} CCAuditStatus;

static const char *const cc_status_names[] = {
	[CC_AUDIT_NONE] = NULL,
	[CC_AUDIT_SUCCESS] = "success",
	[CC_AUDIT_PARTIAL] = "partial",
	[CC_AUDIT_FAILED] = "failed"
};

static CCAuditStatus cc_audit_status = CC_AUDIT_NONE;
static uint64 cc_audit_removed = 0;

static Jsonb *cc_audit_payload(const CCAuditInfo *info, bool *truncated);

/*
 * Will a committing transaction write an audit row, given whether it
 * reported a cascade or changed watched rows?  (Then the commit also
 * invalidates the entries that read the audit table.)
 */
bool
cc_audit_will_write(bool reported)
{
	return cc_audit_enabled && reported;
}

/*
 * PRE_COMMIT (and PRE_PREPARE), after the invalidation: write the audit row
 * of a transaction that reported a cascade or changed watched rows ('info',
 * NULL if it did neither).  Never raises an ERROR for the row itself (see
 * cc_audit_write()); can ERROR only for out of memory while preparing it,
 * as any PRE_COMMIT work can.
 */
void
cc_audit_pre_commit(const CCAuditInfo *info, uint64 removed,
					int64 duration_us)
{
	CCAuditRow	row;

	cc_audit_status = CC_AUDIT_NONE;
	if (info == NULL)
		return;

	if (info->error != NULL)
		cc_audit_status = CC_AUDIT_FAILED;
	else if (info->missing != NIL)
		cc_audit_status = CC_AUDIT_PARTIAL;
	else
		cc_audit_status = CC_AUDIT_SUCCESS;
	cc_audit_removed = removed;

	/* a hot standby cannot write the audit table */
	if (!cc_audit_enabled || RecoveryInProgress())
		return;

	memset(&row, 0, sizeof(row));
	if (info->has_cascade && info->has_rows)
		row.source = "both";
	else if (info->has_cascade)
		row.source = "cascade";
	else
		row.source = "trigger";
	row.status = cc_status_names[cc_audit_status];
	row.error = info->error;
	row.payload = cc_audit_payload(info, &row.payload_truncated);
	row.mutation_id = info->mutation_id;	/* NULL: the transaction id */
	row.entities = info->entities;
	row.names = info->names;
	row.missing = info->missing;
	row.removed = removed;
	row.duration_us = duration_us;
	cc_audit_write(&row);
}

/*
 * The payload column: the one cascade, or an array of them, or, when they
 * do not all fit in cascade_cache.audit_max_payload, a note of their size.
 */
static Jsonb *
cc_audit_payload(const CCAuditInfo *info, bool *truncated)
{
	JsonbParseState *state = NULL;
	ListCell   *lc;
	JsonbValue *res;

	*truncated = false;
	if (info->payloads == NIL && !info->payloads_dropped)
		return NULL;

	if (info->payloads_dropped ||
		info->payload_bytes > (Size) cc_audit_max_payload_kb * 1024)
	{
		*truncated = true;
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												  CStringGetDatum(psprintf("{\"truncated\": true, \"bytes\": " UINT64_FORMAT ", \"cascades\": %d}",
																		   (uint64) info->payload_bytes,
																		   info->ncalls))));
	}

	if (list_length(info->payloads) == 1)
		return (Jsonb *) linitial(info->payloads);

	(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, info->payloads)
	{
		Jsonb	   *jb = (Jsonb *) lfirst(lc);
		JsonbValue	v;

		v.type = jbvBinary;
		v.val.binary.data = &jb->root;
		v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
		(void) pushJsonbValue(&state, WJB_ELEM, &v);
	}
	res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
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
 * cache_invalidate_relation), written in the caller's transaction.  Returns
 * the audit table if a row was due in it (written, or not with a WARNING),
 * else InvalidOid; the caller's transaction must invalidate the entries
 * that read that table when it commits.  Like every audit row, a failure
 * to write it is a WARNING, not an ERROR.
 */
Oid
cc_audit_manual(const char *function, uint64 removed, int64 duration_us)
{
	static const char key[] = "function";
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *res;
	CCAuditRow	row;
	Oid			relid;

	/* a hot standby cannot write the audit table */
	if (!cc_audit_enabled || RecoveryInProgress())
		return InvalidOid;
	relid = cc_audit_relid();

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = sizeof(key) - 1;
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) function;
	v.val.string.len = strlen(function);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	memset(&row, 0, sizeof(row));
	row.mutation_id = NULL;		/* the transaction id */
	row.source = "manual";
	row.status = cc_status_names[CC_AUDIT_SUCCESS];
	row.payload = JsonbValueToJsonb(res);
	row.removed = removed;
	row.duration_us = duration_us;
	cc_audit_write(&row);
	return relid;
}

/*
 * Define the audit's settings.
 * Called once, from _PG_init.
 */
void
cc_audit_define_gucs(void)
{
	DefineCustomBoolVariable("cascade_cache.audit",
							 "Writes a cascade_audit row for every audited transaction.",
							 "Counting for cascade_audit_metrics() continues when off.",
							 &cc_audit_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("cascade_cache.audit_max_rows",
							"Size of the audit ring: the audit keeps this many latest rows.",
							NULL,
							&cc_audit_max_rows,
							100000,
							10,
							INT_MAX,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.audit_max_payload",
							"Largest cascade payload kept in an audit row; larger ones are replaced by a note of their size.",
							NULL,
							&cc_audit_max_payload_kb,
							64,
							1,
							100 * 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);
}
