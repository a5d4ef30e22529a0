/*-------------------------------------------------------------------------
 *
 * explain.c
 *		cache_explain(query, params, name): would this call be cached, and
 *		what is cached for it now?
 *
 * It computes the key the call would use, reports whether an entry is
 * stored under it (its size, age, expiry, hits), and whether the same call
 * through cached_query_json(), cached_document() and cached_document_json()
 * has an entry (each form is stored under a key of its own: one row each,
 * "json_entry", "document_entry", "document_json_entry"), and runs the
 * query once the way a fill of cached_query() does, with the fill
 * describing itself (CCFill.describe): whether the result may be cached
 * and, if not, why; and everything the entry depends on: how each relation
 * is read (the keys it looks up, or any change), its entities and its
 * query name.  (A document's size and entities are those of its first
 * value only; the dry run judges the rows.)  The dry run stores nothing
 * and counts nothing; it runs with the caller's privileges, like
 * cached_query itself.
 *
 * cache_key_settings() lists the settings whose values are part of every
 * key in the calling session (src/base/key.c decides which).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/key.h"
#include "base/settings.h"
#include "store/store.h"
#include "xact/fill.h"
#include "xact/run.h"
#include "api/cached_query.h"

PG_FUNCTION_INFO_V1(cache_explain);
PG_FUNCTION_INFO_V1(cache_key_settings);

static void
cc_explain_row(ReturnSetInfo *rsinfo, const char *item, const char *value)
{
	Datum		values[2];
	bool		nulls[2] = {false, value == NULL};

	values[0] = CStringGetTextDatum(item);
	values[1] = value ? CStringGetTextDatum(value) : (Datum) 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * One line on the entry 'info' describes, for the json_entry row.  Where
 * the entry is not valid, says whether it is being stored or not cached.
 */
static char *
cc_explain_entry_line(const CCEntryInfo *info, const char *form)
{
	TimestampTz now;
	const char *expires;
	const char *what;

	if (info->state == 0)
		return pstrdup("not cached");
	if (info->state != CC_ENTRY_VALID)
		return pstrdup("being stored");
	now = GetCurrentTimestamp();
	if (info->expires_at == 0)
		expires = "never";
	else if (info->expires_at <= now)
		expires = "expired";
	else
		expires = psprintf("in %.1f s", (info->expires_at - now) / 1000000.0);
	if (info->payload_len <= VARHDRSZ)
		what = "NULL (no row, or a NULL value)";
	else
		what = psprintf("%u bytes of %s", info->payload_len - (uint32) VARHDRSZ,
						form);
	return psprintf("cached: %s, %zu bytes of memory, " UINT64_FORMAT " hits, stored at %s, expires %s",
					what, info->alloc_size, info->hits,
					timestamptz_to_str(info->created_at), expires);
}

/* list_sort() comparator of C strings, case-insensitively */
static int
cc_name_compare(const ListCell *a, const ListCell *b)
{
	return pg_strcasecmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * cache_explain(query text, params jsonb DEFAULT '[]', name text DEFAULT
 * NULL) RETURNS TABLE (item text, detail text)
 *
 * ERRORs on a NULL query or an invalid name, and as the query's dry run
 * does; takes and releases the entry's partition lock (cc_entry_info()).
 */
Datum
cache_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *query;
	CCParams	params;
	char	   *name = NULL;
	CCKey		key;
	CCEntryInfo info;
	CCBypassReason session_reason;
	CCFill		fill;
	Jsonb	   *result;
	ListCell   *lc;

	cc_check_loaded();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cache_explain query must not be null")));
	query = PG_GETARG_TEXT_PP(0);
	memset(&params, 0, sizeof(params));
	params.json = PG_ARGISNULL(1) ?
		DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"))) :
		PG_GETARG_JSONB_P(1);
	if (!PG_ARGISNULL(2))
	{
		name = text_to_cstring(PG_GETARG_TEXT_PP(2));
		cc_check_query_name(name, "cache_explain");
	}

	InitMaterializedSRF(fcinfo, 0);

	/* the key, and what is stored under it */
	cc_attach();
	cc_compute_key(query, &params, name, CC_FORMAT_JSONB, &key);
	cc_explain_row(rsinfo, "key",
				   psprintf("database %u, role %s, %016llx%016llx",
							key.dbid, GetUserNameFromId(key.userid, true),
							(unsigned long long) key.h1,
							(unsigned long long) key.h2));
	cc_entry_info(&key, &info);
	if (info.state == CC_ENTRY_VALID)
	{
		TimestampTz now = GetCurrentTimestamp();

		cc_explain_row(rsinfo, "entry", "cached");
		cc_explain_row(rsinfo, "stored_at", timestamptz_to_str(info.created_at));
		if (info.expires_at == 0)
			cc_explain_row(rsinfo, "expires", "never (invalidated by changes only)");
		else if (info.expires_at <= now)
			cc_explain_row(rsinfo, "expires", "expired (removed at the next upkeep)");
		else
			cc_explain_row(rsinfo, "expires",
						   psprintf("%s (in %.1f s)",
									timestamptz_to_str(info.expires_at),
									(info.expires_at - now) / 1000000.0));
		if (info.stored_len < info.payload_len)
			cc_explain_row(rsinfo, "size",
						   psprintf("%u bytes of result, stored compressed in %u, %zu bytes of memory",
									info.payload_len, info.stored_len,
									info.alloc_size));
		else
			cc_explain_row(rsinfo, "size",
						   psprintf("%u bytes of result, %zu bytes of memory",
									info.payload_len, info.alloc_size));
		cc_explain_row(rsinfo, "hits", psprintf(UINT64_FORMAT, info.hits));
		cc_explain_row(rsinfo, "dependency_keys", psprintf("%d", info.ndeps));
	}
	else if (info.state != 0)
		cc_explain_row(rsinfo, "entry", "being stored");
	else
		cc_explain_row(rsinfo, "entry", "not cached");

	/* the same call through the other forms: entries of their own */
	cc_compute_key(query, &params, name, CC_FORMAT_JSON, &key);
	cc_entry_info(&key, &info);
	cc_explain_row(rsinfo, "json_entry", cc_explain_entry_line(&info, "JSON text"));
	cc_compute_key(query, &params, name, CC_FORMAT_DOC_JSONB, &key);
	cc_entry_info(&key, &info);
	cc_explain_row(rsinfo, "document_entry", cc_explain_entry_line(&info, "jsonb"));
	cc_compute_key(query, &params, name, CC_FORMAT_DOC_JSON, &key);
	cc_entry_info(&key, &info);
	cc_explain_row(rsinfo, "document_json_entry",
				   cc_explain_entry_line(&info, "JSON text"));

	/* a dry run, as a fill */
	memset(&fill, 0, sizeof(fill));
	fill.cxt = CurrentMemoryContext;
	fill.describe = true;
	session_reason = cc_session_bypass_reason();
	if (session_reason == CC_BYPASS_NESTED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cache_explain cannot run inside a cached query")));
	/* cc_explain_run() makes the fill the active one while it runs */
	result = cc_explain_run(text_to_cstring(query), &params, name, &fill);

	if (session_reason != CC_BYPASS_NONE)
		cc_explain_row(rsinfo, "cacheable",
					   psprintf("not in this session now: %s",
								cc_bypass_reason_name(session_reason)));
	else if (fill.reason != CC_BYPASS_NONE)
		cc_explain_row(rsinfo, "cacheable",
					   psprintf("no: %s", cc_bypass_reason_name(fill.reason)));
	else
		cc_explain_row(rsinfo, "cacheable", "yes");
	if (session_reason != CC_BYPASS_NONE && fill.reason != CC_BYPASS_NONE)
		cc_explain_row(rsinfo, "cacheable",
					   psprintf("no: %s", cc_bypass_reason_name(fill.reason)));
	cc_explain_row(rsinfo, "result_size", psprintf("%u bytes", VARSIZE(result)));

	foreach(lc, fill.notes)
		cc_explain_row(rsinfo, "depends_on", (char *) lfirst(lc));

	return (Datum) 0;
}

/*
 * cache_key_settings() RETURNS SETOF text: the settings in this session's
 * keys, by name, sorted.
 */
Datum
cache_key_settings(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	TupleDesc	tupdesc;
	List	   *names;
	ListCell   *lc;

	cc_check_loaded();
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));

	/* a set of text: build the one-column descriptor ourselves */
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(tupdesc, (AttrNumber) 1, "setting", TEXTOID, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setDesc = tupdesc;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	names = cc_keyed_setting_names();
	list_sort(names, cc_name_compare);
	foreach(lc, names)
	{
		Datum		value = CStringGetTextDatum((const char *) lfirst(lc));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value,
							 &isnull);
	}
	return (Datum) 0;
}
