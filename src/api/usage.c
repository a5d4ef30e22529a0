/*-------------------------------------------------------------------------
 *
 * usage.c
 *		Statistics by query name and by relation: which queries pay off,
 *		which ones churn, and which tables make them churn.
 *
 * Two fixed tables of CC_USAGE_SLOTS slots in shared memory, filled by
 * open addressing and never emptied (a slot is claimed with a
 * compare-and-swap on its key and keeps it until restart; once a table is
 * full, further names or relations are not tracked one by one):
 *
 *	- per (database, query name), unnamed calls sharing one slot per
 *	  database: results stored, and entries removed by invalidation,
 *	  eviction and expiry together with the hits they had served;
 *	- per (database, relation): commits that invalidated entries because
 *	  they wrote the relation, and how many entries those commits removed.
 *
 * Everything is pg_atomic arithmetic: the counters are updated under
 * dshash partition locks and at PRE_COMMIT, where nothing may fail.  The
 * live part (entries, bytes, hits of entries still cached) is computed by
 * scanning the entry table when the statistics are read; each entry's blob
 * remembers its name's slot and the relations it read.
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

#include "cascade_cache.h"

PG_FUNCTION_INFO_V1(cache_query_stats);
PG_FUNCTION_INFO_V1(cache_relation_stats);

/* Slots looked at before giving up on a key */
#define CC_USAGE_PROBES		32

/* Relations one call of cache_relation_stats() can report */
#define CC_REL_ACCUM		4096

Size
cc_usage_shmem_size(void)
{
	return add_size(MAXALIGN(mul_size(CC_USAGE_SLOTS, sizeof(CCNameUsage))),
					mul_size(CC_USAGE_SLOTS, sizeof(CCRelUsage)));
}

/* Initialize both tables at 'place' (postmaster). */
void
cc_usage_shmem_init(char *place)
{
	int			i;

	cc_shared->name_usage = (CCNameUsage *) place;
	cc_shared->rel_usage = (CCRelUsage *)
		(place + MAXALIGN(mul_size(CC_USAGE_SLOTS, sizeof(CCNameUsage))));
	memset(place, 0, cc_usage_shmem_size());
	for (i = 0; i < CC_USAGE_SLOTS; i++)
	{
		CCNameUsage *n = &cc_shared->name_usage[i];
		CCRelUsage *r = &cc_shared->rel_usage[i];

		pg_atomic_init_u64(&n->key, 0);
		pg_atomic_init_u32(&n->ready, 0);
		pg_atomic_init_u64(&n->stores, 0);
		pg_atomic_init_u64(&n->invalidations, 0);
		pg_atomic_init_u64(&n->evictions, 0);
		pg_atomic_init_u64(&n->expirations, 0);
		pg_atomic_init_u64(&n->removed_hits, 0);
		pg_atomic_init_u64(&r->key, 0);
		pg_atomic_init_u32(&r->ready, 0);
		pg_atomic_init_u64(&r->writes, 0);
		pg_atomic_init_u64(&r->invalidations, 0);
	}
}

/* Never 0: that marks a free slot. */
static inline uint64
cc_nonzero(uint64 h)
{
	return h == 0 ? 1 : h;
}

/*
 * The slot of (dbid, name) (name NULL: the database's unnamed calls),
 * claimed if new; -1 if the table has no room for it.  Lock-free, cannot
 * fail.
 */
int
cc_usage_name_slot(Oid dbid, const char *name)
{
	uint64		key;
	int			i;

	key = hash_bytes_extended((const unsigned char *) &dbid, sizeof(Oid),
							  name ? 1 : 2);
	if (name != NULL)
		key = hash_bytes_extended((const unsigned char *) name, strlen(name), key);
	key = cc_nonzero(key);

	for (i = 0; i < CC_USAGE_PROBES; i++)
	{
		int			idx = (int) ((key + i) % CC_USAGE_SLOTS);
		CCNameUsage *slot = &cc_shared->name_usage[idx];
		uint64		cur = pg_atomic_read_u64(&slot->key);

		if (cur == key)
			return idx;
		if (cur == 0)
		{
			if (pg_atomic_compare_exchange_u64(&slot->key, &cur, key))
			{
				slot->dbid = dbid;
				slot->unnamed = (name == NULL);
				strlcpy(slot->name, name ? name : "", sizeof(slot->name));
				pg_write_barrier();
				pg_atomic_write_u32(&slot->ready, 1);
				return idx;
			}
			if (cur == key)
				return idx;
		}
	}
	return -1;
}

/* A result was stored under the name of 'slot'. */
void
cc_usage_stored(int slot)
{
	if (slot >= 0)
		pg_atomic_fetch_add_u64(&cc_shared->name_usage[slot].stores, 1);
}

/*
 * An entry of 'slot' that had served 'hits' hits was removed, for the
 * reason 'counter' (CC_STAT_INVALIDATIONS, _EVICTIONS, _EXPIRATIONS, or
 * anything else).  Atomics only: called under dshash partition locks.
 */
void
cc_usage_removed(int slot, uint64 hits, int counter)
{
	CCNameUsage *u;

	if (slot < 0 || slot >= CC_USAGE_SLOTS)
		return;
	u = &cc_shared->name_usage[slot];
	pg_atomic_fetch_add_u64(&u->removed_hits, hits);
	if (counter == CC_STAT_INVALIDATIONS)
		pg_atomic_fetch_add_u64(&u->invalidations, 1);
	else if (counter == CC_STAT_EVICTIONS)
		pg_atomic_fetch_add_u64(&u->evictions, 1);
	else if (counter == CC_STAT_EXPIRATIONS)
		pg_atomic_fetch_add_u64(&u->expirations, 1);
}

/*
 * A committing write to 'relid' (this database) removed 'removed' entries.
 * Lock-free, cannot fail: called at PRE_COMMIT.
 */
void
cc_usage_relation(Oid relid, uint64 removed)
{
	uint64		key;
	int			i;

	key = cc_nonzero(cc_dep_hash(CC_DEP_RELATION, MyDatabaseId, relid));
	for (i = 0; i < CC_USAGE_PROBES; i++)
	{
		CCRelUsage *slot = &cc_shared->rel_usage[(key + i) % CC_USAGE_SLOTS];
		uint64		cur = pg_atomic_read_u64(&slot->key);

		if (cur == 0 && pg_atomic_compare_exchange_u64(&slot->key, &cur, key))
		{
			slot->dbid = MyDatabaseId;
			slot->relid = relid;
			pg_write_barrier();
			pg_atomic_write_u32(&slot->ready, 1);
			cur = key;
		}
		if (cur == key)
		{
			pg_atomic_fetch_add_u64(&slot->writes, 1);
			pg_atomic_fetch_add_u64(&slot->invalidations, removed);
			return;
		}
	}
}

/* ----------------------------------------------------------------
 * Reading
 * ----------------------------------------------------------------
 */

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

/*
 * Scan the entry table under shared partition locks.  Per name slot into
 * 'by_slot' (CC_USAGE_SLOTS + 1, the last for entries without a slot), and
 * per relation into 'rels' (CC_REL_ACCUM, open addressing on relid and
 * dbid).  Both are allocated by the caller: nothing here allocates.
 */
static void
cc_usage_scan(CCLive *by_slot, CCUsageRow *rels, bool *rel_used)
{
	dshash_seq_status status;
	CCEntry    *entry;

	cc_attach();
	dshash_seq_init(&status, cc_entries_table(), false);
	while ((entry = dshash_seq_next(&status)) != NULL)
	{
		CCBlob	   *blob;
		int64		hits;
		Oid		   *relids;
		int			i;

		if (entry->state != CC_ENTRY_VALID)
			continue;
		blob = dsa_get_address(cc_area, entry->blob);
		hits = (int64) pg_atomic_read_u64(&blob->hits);
		if (by_slot != NULL)
		{
			int			s = (blob->usage_slot >= 0 && blob->usage_slot < CC_USAGE_SLOTS) ?
			blob->usage_slot : CC_USAGE_SLOTS;

			by_slot[s].entries++;
			by_slot[s].bytes += blob->alloc_size;
			by_slot[s].hits += hits;
		}
		if (rels == NULL)
			continue;
		relids = CC_BLOB_RELIDS(blob);
		for (i = 0; i < blob->nrelids; i++)
		{
			uint32		h = hash_bytes_uint32(relids[i] ^ entry->key.dbid);
			int			p;

			for (p = 0; p < CC_USAGE_PROBES; p++)
			{
				CCUsageRow *r = &rels[(h + p) % CC_REL_ACCUM];
				bool	   *used = &rel_used[(h + p) % CC_REL_ACCUM];

				if (!*used)
				{
					*used = true;
					r->dbid = entry->key.dbid;
					r->relid = relids[i];
				}
				if (r->dbid == entry->key.dbid && r->relid == relids[i])
				{
					r->v[0]++;
					r->v[1] += blob->alloc_size;
					r->v[2] += hits;
					break;
				}
			}
		}
	}
	dshash_seq_term(&status);
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
		CCNameUsage *u = &cc_shared->name_usage[i];
		CCUsageRow *r;

		if (pg_atomic_read_u32(&u->ready) == 0)
			continue;
		pg_read_barrier();
		r = &rows[nrows++];
		r->dbid = u->dbid;
		r->name = u->unnamed ? NULL : pstrdup(u->name);
		r->v[0] = live[i].entries;
		r->v[1] = live[i].bytes;
		r->v[2] = live[i].hits + (int64) pg_atomic_read_u64(&u->removed_hits);
		r->v[3] = (int64) pg_atomic_read_u64(&u->stores);
		r->v[4] = (int64) pg_atomic_read_u64(&u->invalidations);
		r->v[5] = (int64) pg_atomic_read_u64(&u->evictions);
		r->v[6] = (int64) pg_atomic_read_u64(&u->expirations);
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
		CCRelUsage *u = &cc_shared->rel_usage[i];
		uint32		h;
		int			p;

		if (pg_atomic_read_u32(&u->ready) == 0)
			continue;
		pg_read_barrier();
		h = hash_bytes_uint32(u->relid ^ u->dbid);
		for (p = 0; p < CC_USAGE_PROBES; p++)
		{
			int			j = (h + p) % CC_REL_ACCUM;

			if (!used[j])
			{
				used[j] = true;
				acc[j].dbid = u->dbid;
				acc[j].relid = u->relid;
			}
			if (acc[j].dbid == u->dbid && acc[j].relid == u->relid)
			{
				acc[j].v[3] += (int64) pg_atomic_read_u64(&u->writes);
				acc[j].v[4] += (int64) pg_atomic_read_u64(&u->invalidations);
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
