/*-------------------------------------------------------------------------
 *
 * usage.c
 *		Statistics by query name and by relation: which queries pay off,
 *		which ones churn, and which tables make them churn.
 *
 * The counters are kept by src/base/usage_counters.c (the store counts
 * removals there, the commit path the writes).  The live part (entries,
 * bytes, hits of entries still cached) is computed here when the
 * statistics are read, by walking the store's VALID entries with
 * cc_store_foreach_valid(): each entry remembers its name's usage slot and
 * the relations it read.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "base/settings.h"
#include "base/usage_counters.h"
#include "store/store.h"

PG_FUNCTION_INFO_V1(cache_query_stats);
PG_FUNCTION_INFO_V1(cache_relation_stats);

/* Relations one call of cache_relation_stats() can report */
#define CC_REL_ACCUM		4096

/* One row of either function, before sorting */
typedef struct CCUsageRow
{
	Oid			dbid;
	Oid			relid;			/* relations */
	const char *name;			/* names; NULL: unnamed */
	int64		v[7];			/* see the column lists below */
} CCUsageRow;

static int	cc_sort_column;

static int
cc_usage_row_cmp(const void *a, const void *b)
{
	int64		x = ((const CCUsageRow *) a)->v[cc_sort_column];
	int64		y = ((const CCUsageRow *) b)->v[cc_sort_column];

	return (x < y) - (x > y);	/* descending */
}

/* The column to sort by, among 'columns'; ERROR if unknown. */
static int
cc_order_column(text *order_by, const char *const *columns, int ncolumns)
{
	char	   *o = text_to_cstring(order_by);
	int			i;

	for (i = 0; i < ncolumns; i++)
		if (pg_strcasecmp(o, columns[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot order by \"%s\"", o),
			 errhint("Order by one of: entries, bytes, hits, %s.",
					 ncolumns > 5 ? "stores, invalidations, evictions, expirations" :
					 "writes, invalidations")));
	return 0;					/* keep the compiler quiet */
}

static void
cc_usage_emit(ReturnSetInfo *rsinfo, CCUsageRow *rows, int nrows, int top,
			  int ncolumns, bool relations)
{
	int			i;
	int			c;

	qsort(rows, nrows, sizeof(CCUsageRow), cc_usage_row_cmp);
	for (i = 0; i < nrows && i < top; i++)
	{
		Datum		values[9];
		bool		nulls[9];
		char	   *dbname = get_database_name(rows[i].dbid);

		memset(nulls, 0, sizeof(nulls));
		values[0] = dbname ? CStringGetTextDatum(dbname) : (Datum) 0;
		nulls[0] = (dbname == NULL);
		if (relations)
		{
			char	   *relname = NULL;

			if (rows[i].dbid == MyDatabaseId && get_rel_name(rows[i].relid) != NULL)
				relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(rows[i].relid)),
													 get_rel_name(rows[i].relid));
			values[1] = CStringGetTextDatum(relname ? relname :
											psprintf("relation %u", rows[i].relid));
		}
		else if (rows[i].name != NULL)
			values[1] = CStringGetTextDatum(rows[i].name);
		else
			nulls[1] = true;
		for (c = 0; c < ncolumns; c++)
			values[2 + c] = Int64GetDatum(rows[i].v[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* Live part: entries, bytes and hits of what is cached now */
typedef struct CCLive
{
	int64		entries;
	int64		bytes;
	int64		hits;
} CCLive;

/* Where cc_usage_visit() adds up what it sees */
typedef struct CCUsageScan
{
	CCLive	   *by_slot;		/* CC_USAGE_SLOTS + 1, or NULL */
	CCUsageRow *rels;			/* CC_REL_ACCUM, or NULL */
	bool	   *rel_used;		/* CC_REL_ACCUM */
} CCUsageScan;

/*
 * Add one cached entry: per name slot into 'by_slot' (the last element for
 * entries without a slot), and per relation into 'rels' (open addressing
 * on relid and dbid).  Runs under a partition lock of the store: nothing
 * here allocates or can fail.
 */
static void
cc_usage_visit(const CCEntryView *e, void *arg)
{
	CCUsageScan *scan = (CCUsageScan *) arg;
	int64		hits = (int64) e->hits;
	int			i;

	if (scan->by_slot != NULL)
	{
		int			s = (e->usage_slot >= 0 && e->usage_slot < CC_USAGE_SLOTS) ?
			e->usage_slot : CC_USAGE_SLOTS;

		scan->by_slot[s].entries++;
		scan->by_slot[s].bytes += e->alloc_size;
		scan->by_slot[s].hits += hits;
	}
	if (scan->rels == NULL)
		return;
	for (i = 0; i < e->nrelids; i++)
	{
		uint32		h = hash_bytes_uint32(e->relids[i] ^ e->dbid);
		int			p;

		for (p = 0; p < CC_USAGE_PROBES; p++)
		{
			CCUsageRow *r = &scan->rels[(h + p) % CC_REL_ACCUM];
			bool	   *used = &scan->rel_used[(h + p) % CC_REL_ACCUM];

			if (!*used)
			{
				*used = true;
				r->dbid = e->dbid;
				r->relid = e->relids[i];
			}
			if (r->dbid == e->dbid && r->relid == e->relids[i])
			{
				r->v[0]++;
				r->v[1] += e->alloc_size;
				r->v[2] += hits;
				break;
			}
		}
	}
}

/* Walk the cached entries into 'by_slot' and/or 'rels' (see above). */
static void
cc_usage_scan(CCLive *by_slot, CCUsageRow *rels, bool *rel_used)
{
	CCUsageScan scan;

	scan.by_slot = by_slot;
	scan.rels = rels;
	scan.rel_used = rel_used;
	cc_store_foreach_valid(cc_usage_visit, &scan);
}

/*
 * cache_query_stats(top int DEFAULT 20, order_by text DEFAULT 'hits')
 * RETURNS TABLE (database, query_name, entries, bytes, hits, stores,
 * invalidations, evictions, expirations)
 *
 * One row per query name (unnamed calls: query_name NULL), top rows by
 * order_by.  hits counts entries cached now and entries removed since the
 * server started; entries and bytes are what is cached now.
 */
Datum
cache_query_stats(PG_FUNCTION_ARGS)
{
	static const char *const columns[] = {
		"entries", "bytes", "hits", "stores", "invalidations", "evictions",
		"expirations"
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			top = PG_GETARG_INT32(0);
	CCLive	   *live;
	CCUsageRow *rows;
	int			nrows = 0;
	int			i;

	cc_check_loaded();
	cc_sort_column = cc_order_column(PG_GETARG_TEXT_PP(1), columns,
									 lengthof(columns));
	InitMaterializedSRF(fcinfo, 0);

	live = palloc0(sizeof(CCLive) * (CC_USAGE_SLOTS + 1));
	rows = palloc0(sizeof(CCUsageRow) * CC_USAGE_SLOTS);
	cc_usage_scan(live, NULL, NULL);

	for (i = 0; i < CC_USAGE_SLOTS; i++)
	{
		CCNameUsageRow u;
		CCUsageRow *r;

		if (!cc_usage_name_read(i, &u))
			continue;
		r = &rows[nrows++];
		r->dbid = u.dbid;
		r->name = u.unnamed ? NULL : pstrdup(u.name);
		r->v[0] = live[i].entries;
		r->v[1] = live[i].bytes;
		r->v[2] = live[i].hits + (int64) u.removed_hits;
		r->v[3] = (int64) u.stores;
		r->v[4] = (int64) u.invalidations;
		r->v[5] = (int64) u.evictions;
		r->v[6] = (int64) u.expirations;
	}
	cc_usage_emit(rsinfo, rows, nrows, top, lengthof(columns), false);
	return (Datum) 0;
}

/*
 * cache_relation_stats(top int DEFAULT 20, order_by text DEFAULT
 * 'invalidations') RETURNS TABLE (database, relation, entries, bytes,
 * hits, writes, invalidations)
 *
 * One row per relation: the entries cached now that read it (an entry
 * that read several relations counts for each), their bytes and hits; and
 * since the server started, the commits that invalidated entries because
 * they wrote it, and how many entries those commits removed.
 */
Datum
cache_relation_stats(PG_FUNCTION_ARGS)
{
	static const char *const columns[] = {
		"entries", "bytes", "hits", "writes", "invalidations"
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			top = PG_GETARG_INT32(0);
	CCUsageRow *acc;
	bool	   *used;
	CCUsageRow *rows;
	int			nrows = 0;
	int			i;

	cc_check_loaded();
	cc_sort_column = cc_order_column(PG_GETARG_TEXT_PP(1), columns,
									 lengthof(columns));
	InitMaterializedSRF(fcinfo, 0);

	acc = palloc0(sizeof(CCUsageRow) * CC_REL_ACCUM);
	used = palloc0(sizeof(bool) * CC_REL_ACCUM);
	cc_usage_scan(NULL, acc, used);

	/* add the write counters, and the relations that have no entries now */
	for (i = 0; i < CC_USAGE_SLOTS; i++)
	{
		CCRelUsageRow u;
		uint32		h;
		int			p;

		if (!cc_usage_rel_read(i, &u))
			continue;
		h = hash_bytes_uint32(u.relid ^ u.dbid);
		for (p = 0; p < CC_USAGE_PROBES; p++)
		{
			int			j = (h + p) % CC_REL_ACCUM;

			if (!used[j])
			{
				used[j] = true;
				acc[j].dbid = u.dbid;
				acc[j].relid = u.relid;
			}
			if (acc[j].dbid == u.dbid && acc[j].relid == u.relid)
			{
				acc[j].v[3] += (int64) u.writes;
				acc[j].v[4] += (int64) u.invalidations;
				break;
			}
		}
	}

	rows = palloc(sizeof(CCUsageRow) * CC_REL_ACCUM);
	for (i = 0; i < CC_REL_ACCUM; i++)
		if (used[i])
			rows[nrows++] = acc[i];
	cc_usage_emit(rsinfo, rows, nrows, top, lengthof(columns), true);
	return (Datum) 0;
}
