/*-------------------------------------------------------------------------
 *
 * cached_query.c
 *		cached_query(query, params, ttl, name), cached_query_json(),
 *		cached_document() and cached_document_json(): the SQL entry points;
 *		and their _args forms, which take the values of $1..$n as native
 *		SQL values (VARIADIC "any") instead of a JSON array.
 *
 * The four differ only in the form of the result (CCFormat): the rows or
 * the first row's first column, as jsonb or as JSON text.  Each checks its
 * arguments, decides whether this session may use the cache at all
 * (cc_session_bypass_reason()), computes the key (src/base/key.c) and looks
 * it up (src/store/store.c).
 *
 * An _args call site's argument types are fixed by its expression: they
 * are checked, and their length and passing convention looked up, once,
 * and kept in the FmgrInfo (fn_extra), so that its calls touch no catalog
 * on the hit path either.  No pseudo-type is accepted but unknown (an
 * undecorated literal, whose type the query infers): a value of type
 * record is read with a row type of the session's own (its typmod), so
 * that equal bytes could mean different rows in two sessions.  The _args
 * forms have no ttl and no name (nothing can follow VARIADIC): the default
 * ttl applies.
 *
 * The hit path does no parsing and no SPI, and reads the catalogs only to
 * resolve a search path that a change outdated: it computes the key, looks
 * it up under one shared dshash partition lock and returns a copy of the
 * stored bytes (jsonb, or JSON text); a stored empty document is returned
 * as NULL.
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
#include "catalog/pg_type.h"
#include "common/int.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

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
PG_FUNCTION_INFO_V1(cached_query_args);
PG_FUNCTION_INFO_V1(cached_query_json_args);
PG_FUNCTION_INFO_V1(cached_document_args);
PG_FUNCTION_INFO_V1(cached_document_json_args);

/* Longest query name accepted, in bytes */
#define CC_MAX_NAME_LEN		1024

/* Longest ttl accepted: 100 years */
#define CC_MAX_TTL_DAYS		36525

/* Most native values accepted: as many as the protocol can bind (16 bits) */
#define CC_MAX_NATIVE_ARGS	65535

/*
 * What an _args call site passes, found once (fn_extra): the types of its
 * values (after the query text), or, for VARIADIC of an array, the type of
 * the array's elements.
 */
typedef struct CCArgsSite
{
	bool		variadic_array; /* VARIADIC array: values are its elements */
	int			nargs;			/* not variadic_array: number of values */
	Oid			types[FUNC_MAX_ARGS];
	int16		typlens[FUNC_MAX_ARGS];
	bool		typbyvals[FUNC_MAX_ARGS];
	char		elemalign;		/* variadic_array: the elements' alignment */
} CCArgsSite;

static Datum cc_cached_query(FunctionCallInfo fcinfo, CCFormat format,
							 const char *fn);
static Datum cc_cached_query_args(FunctionCallInfo fcinfo, CCFormat format,
								  const char *fn);
static text *cc_query_arg(FunctionCallInfo fcinfo, const char *fn);
static Datum cc_serve(FunctionCallInfo fcinfo, text *query,
					  const CCParams *params, const char *name,
					  int64 ttl_us, CCFormat format);
static CCArgsSite *cc_args_site(FunctionCallInfo fcinfo, const char *fn);
static void cc_check_native_type(Oid type, const char *fn);
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
	CCParams	cparams;

	query = cc_query_arg(fcinfo, fn);

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

	memset(&cparams, 0, sizeof(cparams));
	cparams.json = params;
	return cc_serve(fcinfo, query, &cparams, name, ttl_us, format);
}

/*
 * The entry point's query text: ERROR (55000) unless the library is loaded,
 * (22004) if it is NULL.
 */
static text *
cc_query_arg(FunctionCallInfo fcinfo, const char *fn)
{
	cc_check_loaded();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s query must not be null", fn)));
	return PG_GETARG_TEXT_PP(0);
}

/*
 * The result of 'query' with 'params' in 'format', as the entry point's
 * return value: from the cache, or run (and stored, if it can be) on a
 * miss, or run uncached when this session must not use the cache.  A
 * document that is an empty varlena is NULL.  Called by the entry points
 * with their arguments checked.
 */
static Datum
cc_serve(FunctionCallInfo fcinfo, text *query, const CCParams *params,
		 const char *name, int64 ttl_us, CCFormat format)
{
	CCBypassReason reason;
	CCKey		key;
	struct varlena *result;

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
 * cached_query_args(query text, VARIADIC params "any") RETURNS jsonb, and
 * cached_query_json_args(), cached_document_args(),
 * cached_document_json_args(): the same with the values of $1..$n passed
 * as themselves, with their types.
 */
Datum
cached_query_args(PG_FUNCTION_ARGS)
{
	return cc_cached_query_args(fcinfo, CC_FORMAT_JSONB, "cached_query_args");
}

Datum
cached_query_json_args(PG_FUNCTION_ARGS)
{
	return cc_cached_query_args(fcinfo, CC_FORMAT_JSON,
								"cached_query_json_args");
}

Datum
cached_document_args(PG_FUNCTION_ARGS)
{
	return cc_cached_query_args(fcinfo, CC_FORMAT_DOC_JSONB,
								"cached_document_args");
}

Datum
cached_document_json_args(PG_FUNCTION_ARGS)
{
	return cc_cached_query_args(fcinfo, CC_FORMAT_DOC_JSON,
								"cached_document_json_args");
}

/*
 * The body of the _args entry points.  The values are the arguments after
 * the query text, or the elements of the array passed with VARIADIC (a
 * NULL array: no values).  ERRORs (42804) on a value of a pseudo-type,
 * (54023) on more than CC_MAX_NATIVE_ARGS values.
 */
static Datum
cc_cached_query_args(FunctionCallInfo fcinfo, CCFormat format, const char *fn)
{
	text	   *query = cc_query_arg(fcinfo, fn);
	CCArgsSite *site = cc_args_site(fcinfo, fn);
	CCParams	cparams;

	memset(&cparams, 0, sizeof(cparams));
	if (!site->variadic_array)
	{
		int			i;

		cparams.nargs = site->nargs;
		cparams.types = site->types;
		cparams.typlens = site->typlens;
		cparams.typbyvals = site->typbyvals;
		cparams.values = palloc(sizeof(Datum) * Max(site->nargs, 1));
		cparams.nulls = palloc(sizeof(bool) * Max(site->nargs, 1));
		for (i = 0; i < site->nargs; i++)
		{
			cparams.nulls[i] = PG_ARGISNULL(i + 1);
			cparams.values[i] = cparams.nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
		}
	}
	else if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
		Oid		   *types;
		int16	   *typlens;
		bool	   *typbyvals;
		int			i;

		if (n > CC_MAX_NATIVE_ARGS)
			ereport(ERROR,
					(errcode(ERRCODE_TOO_MANY_ARGUMENTS),
					 errmsg("%s takes at most %d values, got %d",
							fn, CC_MAX_NATIVE_ARGS, n)));
		deconstruct_array(arr, site->types[0], site->typlens[0],
						  site->typbyvals[0], site->elemalign,
						  &cparams.values, &cparams.nulls, &cparams.nargs);
		types = palloc(sizeof(Oid) * Max(n, 1));
		typlens = palloc(sizeof(int16) * Max(n, 1));
		typbyvals = palloc(sizeof(bool) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			types[i] = site->types[0];
			typlens[i] = site->typlens[0];
			typbyvals[i] = site->typbyvals[0];
		}
		cparams.types = types;
		cparams.typlens = typlens;
		cparams.typbyvals = typbyvals;
	}

	return cc_serve(fcinfo, query, &cparams, NULL,
					(int64) cc_default_ttl_s * USECS_PER_SEC, format);
}

/*
 * The call site's argument types, checked and looked up once and kept in
 * fn_extra.  ERRORs when a type cannot be determined or is not accepted.
 */
static CCArgsSite *
cc_args_site(FunctionCallInfo fcinfo, const char *fn)
{
	CCArgsSite *site = (CCArgsSite *) fcinfo->flinfo->fn_extra;
	CCArgsSite	s;
	int			i;

	if (site != NULL)
		return site;

	memset(&s, 0, sizeof(s));
	s.variadic_array = get_fn_expr_variadic(fcinfo->flinfo);
	s.nargs = PG_NARGS() - 1;
	Assert(s.nargs >= 0 && s.nargs < FUNC_MAX_ARGS);
	for (i = 0; i < s.nargs; i++)
	{
		Oid			type = get_fn_expr_argtype(fcinfo->flinfo, i + 1);

		if (!OidIsValid(type))
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("%s could not determine the type of value %d",
							fn, i + 1)));
		if (s.variadic_array)
		{
			/* an array, or a domain over one, as the parser accepts */
			Oid			elemtype = get_base_element_type(type);

			if (!OidIsValid(elemtype))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("VARIADIC argument of %s must be an array", fn)));
			type = elemtype;
		}
		cc_check_native_type(type, fn);
		s.types[i] = type;
		if (s.variadic_array)
			get_typlenbyvalalign(type, &s.typlens[i], &s.typbyvals[i],
								 &s.elemalign);
		else
			get_typlenbyval(type, &s.typlens[i], &s.typbyvals[i]);
	}
	if (s.variadic_array && s.nargs != 1)
		elog(ERROR, "%s called with VARIADIC and %d arguments", fn, s.nargs);

	site = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(CCArgsSite));
	memcpy(site, &s, sizeof(CCArgsSite));
	fcinfo->flinfo->fn_extra = site;
	return site;
}

/*
 * ERROR (42804) unless a value of 'type' can be bound and keyed: no
 * pseudo-type but unknown, no array of one.
 */
static void
cc_check_native_type(Oid type, const char *fn)
{
	Oid			elemtype = get_base_element_type(type);
	Oid			check = OidIsValid(elemtype) ? elemtype : type;

	if (type != UNKNOWNOID && get_typtype(check) == TYPTYPE_PSEUDO)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s does not take a value of type %s",
						fn, format_type_be(type)),
				 errhint("Cast the value to a type of its own (a row to a named composite type), or pass the values as JSON to the form without _args.")));
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

	/*
	 * In a parallel worker, or in a query running in parallel mode (a
	 * PARALLEL SAFE function of the user's calling cached_query()): a fill
	 * could not keep its plans from parallel workers, whose reads no fill
	 * records, since no setting can change in parallel mode (run.c)
	 */
	if (IsInParallelMode())
		return CC_BYPASS_PARALLEL_MODE;
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
