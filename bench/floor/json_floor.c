/*-------------------------------------------------------------------------
 *
 * json_floor.c
 *		The floor of a cached_query_json() hit, for bench/run.sh hit: a C
 *		function with cached_query_json()'s signature that returns a copy of
 *		its first argument as json.
 *
 * A hit of cached_query_json() is a call of a C function with four
 * arguments (the executor sets it up: fmgr_info(), the EXECUTE privilege
 * check; the statement builds the parameter array) that hashes its key,
 * finds the entry and copies the stored bytes out into a palloc'd result.
 * This function does everything of that except the key and the lookup:
 * called with the document as its first argument (a constant of the
 * prepared statement), it copies it into a palloc'd result.  What the json
 * constant does better than this function, no C function of that
 * signature can do; what this function does better than a hit is the
 * cache's own cost.
 *
 * Built and loaded by the bench only (into the bench cluster, never into
 * a server of the product's); not part of the extension.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(json_floor);

/*
 * json_floor(doc text, params jsonb, ttl interval, name text) RETURNS json
 *
 * A copy of 'doc', whatever the other arguments are (NULL if it is NULL).
 */
Datum
json_floor(PG_FUNCTION_ARGS)
{
	text	   *doc;
	Size		len;
	struct varlena *copy;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	doc = PG_GETARG_TEXT_PP(0);
	len = VARSIZE_ANY(doc);
	copy = palloc(len);
	memcpy(copy, doc, len);
	PG_RETURN_POINTER(copy);
}
