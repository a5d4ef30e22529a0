/*-------------------------------------------------------------------------
 *
 * cached_query.c
 *		cached_query(query, params, ttl, name), cached_query_json(),
 *		cached_document() and cached_document_json(): the SQL entry points.
 *
 * The four differ only in the form of the result (CCFormat): the rows or
 * the first row's first column, as jsonb or as JSON text.  Each checks its
 * arguments, decides whether this session may use the cache at all
 * (cc_session_bypass_reason()), computes the key (src/base/key.c) and looks
 * it up (src/store/store.c).
 *
 * The hit path does no parsing, no catalog access and no SPI: it computes
 * the key, looks it up under one shared dshash partition lock and returns a
 * copy of the stored bytes (jsonb, or JSON text); a stored empty document
 * is returned as NULL.
 * A miss, and a call that must not use the cache (cascade_cache.enabled
 * off, a transaction that has written, REPEATABLE READ or SERIALIZABLE, a
 * hot standby that does not cache yet, or a call nested inside another
 * fill), is run by src/xact/run.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "common/int.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/key.h"
#include "base/settings.h"
#include "store/store.h"
#include "xact/fill.h"
#include "xact/pending.h"
#include "xact/replication.h"
#include "xact/run.h"
#include "api/cached_query.h"

PG_FUNCTION_INFO_V1(cached_query);
PG_FUNCTION_INFO_V1(cached_query_json);
PG_FUNCTION_INFO_V1(cached_document);
PG_FUNCTION_INFO_V1(cached_document_json);

/* Longest query name accepted, in bytes */
#define CC_MAX_NAME_LEN		1024

/* Longest ttl accepted: 100 years */
#define CC_MAX_TTL_DAYS		36525

static Datum cc_cached_query(FunctionCallInfo fcinfo, CCFormat format,
							 const char *fn);
static int64 cc_interval_to_us(Interval *ttl);

/* cached_query(query text, params jsonb, ttl interval, name text) */
Datum
cached_query(PG_FUNCTION_ARGS)
{
	return cc_cached_query(fcinfo, CC_FORMAT_JSONB, "cached_query");
}

/*
 * cached_query_json(query text, params jsonb, ttl interval, name text)
 *		RETURNS json
 *
 * The same rows as JSON text, exactly cached_query()::text, stored once in
 * that form so that a hit returns the stored bytes without serializing.
 */
Datum
cached_query_json(PG_FUNCTION_ARGS)
{
	return cc_cached_query(fcinfo, CC_FORMAT_JSON, "cached_query_json");
}

/*
 * cached_document(query text, params jsonb, ttl interval, name text)
 *		RETURNS jsonb
 *
 * The first column of the first row (NULL if there is no row or the value
 * is NULL), as jsonb: the document a resolver wants, without digging it
 * out of cached_query()'s array of row objects.
 */
Datum
cached_document(PG_FUNCTION_ARGS)
{
	return cc_cached_query(fcinfo, CC_FORMAT_DOC_JSONB, "cached_document");
}

/*
 * cached_document_json(query text, params jsonb, ttl interval, name text)
 *		RETURNS json
 *
 * The same document as JSON text, exactly cached_document()::text.
 */
Datum
cached_document_json(PG_FUNCTION_ARGS)
{
	return cc_cached_query(fcinfo, CC_FORMAT_DOC_JSON, "cached_document_json");
}

/*
 * The body of the entry points: a result in 'format', for SQL function
 * 'fn' (named in errors).  A document that is an empty varlena is NULL.
 */
static Datum
cc_cached_query(FunctionCallInfo fcinfo, CCFormat format, const char *fn)
{
	text	   *query;
	Jsonb	   *params;
	int64		ttl_us;
	char	   *name = NULL;
	CCBypassReason reason;
	CCKey		key;
	struct varlena *result;

	cc_check_loaded();

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s query must not be null", fn)));
	query = PG_GETARG_TEXT_PP(0);

	if (PG_ARGISNULL(1))
		params = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													CStringGetDatum("[]")));
	else
		params = PG_GETARG_JSONB_P(1);

	if (PG_ARGISNULL(2))
		ttl_us = (int64) cc_default_ttl_s * USECS_PER_SEC;
	else
		ttl_us = cc_interval_to_us(PG_GETARG_INTERVAL_P(2));

	if (!PG_ARGISNULL(3))
	{
		name = text_to_cstring(PG_GETARG_TEXT_PP(3));
		cc_check_query_name(name, fn);
	}

	reason = cc_session_bypass_reason();
	if (reason != CC_BYPASS_NONE)
	{
		cc_count_bypass(reason);
		result = cc_run_uncached(text_to_cstring(query), params, format);
	}
	else
	{
		cc_attach();
		cc_compute_key(query, params, name, format, &key);

		result = cc_lookup(&key);
		if (result != NULL)
			cc_count(CC_STAT_HITS, 1);
		else
			result = cc_run_miss(text_to_cstring(query), params, &key, name,
								 ttl_us, format);
	}

	if (CC_FORMAT_IS_DOCUMENT(format) && VARSIZE_ANY_EXHDR(result) == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(result);
}

/*
 * ERROR unless 'name' is a valid query name for function 'fn': between 1
 * and CC_MAX_NAME_LEN bytes.  (An empty name could be invalidated by EXACT
 * but by no PREFIX or PATTERN: unnamed calls pass NULL.)
 */
void
cc_check_query_name(const char *name, const char *fn)
{
	size_t		len = strlen(name);

	if (len == 0 || len > CC_MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s name must be between 1 and %d bytes long",
						fn, CC_MAX_NAME_LEN),
				 errhint("Pass NULL for a call without a name.")));
}

/*
 * Why this session must not use the cache right now, or CC_BYPASS_NONE.
 */
CCBypassReason
cc_session_bypass_reason(void)
{
	if (!cc_enabled)
		return CC_BYPASS_DISABLED;
	if (cc_fill_active())
		return CC_BYPASS_NESTED;
	if (cc_xact_has_writes())
		return CC_BYPASS_WRITE_TRANSACTION;
	if (IsolationUsesXactSnapshot())
		return CC_BYPASS_ISOLATION_LEVEL;
	/* a standby caches once it knows the primary logs invalidations */
	if (RecoveryInProgress() && !cc_replica_ready())
		return CC_BYPASS_STANDBY;
	return CC_BYPASS_NONE;
}

/*
 * A ttl interval in microseconds.  Months count as 30 days, as in
 * EXTRACT(epoch FROM interval).  ERRORs unless it lies between 0 and
 * CC_MAX_TTL_DAYS, computed without overflow.
 */
static int64
cc_interval_to_us(Interval *ttl)
{
	int64		us;
	int64		days;

	days = (int64) ttl->month * DAYS_PER_MONTH + ttl->day;
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, ttl->time, &us) ||
		us < 0 || us > (int64) CC_MAX_TTL_DAYS * USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cached_query ttl must be between 0 and %d days",
						CC_MAX_TTL_DAYS),
				 errhint("Pass NULL for cascade_cache.default_ttl, or 0 for an entry that never expires.")));
	return us;
}
