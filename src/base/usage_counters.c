/*-------------------------------------------------------------------------
 *
 * usage_counters.c
 *		Counters by query name and by relation.
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
 * dshash partition locks and at PRE_COMMIT, where nothing may fail.  Each
 * entry's blob remembers its name's slot (src/store).  src/api/usage.c
 * shows the counters together with what is cached now.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/shmem.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/usage_counters.h"

typedef struct CCNameUsage
{
	pg_atomic_uint64 key;		/* 0: free; else the name's hash */
	pg_atomic_uint32 ready;		/* dbid and name are set */
	Oid			dbid;
	char		name[NAMEDATALEN * 2];	/* truncated */
	bool		unnamed;
	pg_atomic_uint64 stores;
	pg_atomic_uint64 invalidations;
	pg_atomic_uint64 evictions;
	pg_atomic_uint64 expirations;
	pg_atomic_uint64 removed_hits;	/* hits of entries no longer cached */
} CCNameUsage;

typedef struct CCRelUsage
{
	pg_atomic_uint64 key;		/* 0: free; else hash of (dbid, relid) */
	pg_atomic_uint32 ready;
	Oid			dbid;
	Oid			relid;
	pg_atomic_uint64 writes;	/* commits that invalidated it */
	pg_atomic_uint64 invalidations; /* entries those commits removed */
} CCRelUsage;

static CCNameUsage *cc_name_usage = NULL;	/* CC_USAGE_SLOTS */
static CCRelUsage *cc_rel_usage = NULL; /* CC_USAGE_SLOTS */

Size
cc_usage_shmem_size(void)
{
	return add_size(MAXALIGN(mul_size(CC_USAGE_SLOTS, sizeof(CCNameUsage))),
					mul_size(CC_USAGE_SLOTS, sizeof(CCRelUsage)));
}

/* Create or find both tables.  Under AddinShmemInitLock. */
void
cc_usage_shmem_init(void)
{
	bool		found;
	char	   *place;
	int			i;

	place = ShmemInitStruct("cascade_cache usage", cc_usage_shmem_size(),
							&found);
	cc_name_usage = (CCNameUsage *) place;
	cc_rel_usage = (CCRelUsage *)
		(place + MAXALIGN(mul_size(CC_USAGE_SLOTS, sizeof(CCNameUsage))));
	if (found)
		return;

	memset(place, 0, cc_usage_shmem_size());
	for (i = 0; i < CC_USAGE_SLOTS; i++)
	{
		CCNameUsage *n = &cc_name_usage[i];
		CCRelUsage *r = &cc_rel_usage[i];

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
 * claimed if new; CC_USAGE_NO_SLOT if the table has no room for it.
 * Lock-free, cannot fail.
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
		CCNameUsage *slot = &cc_name_usage[idx];
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
	return CC_USAGE_NO_SLOT;
}

/* A result was stored under the name of 'slot'. */
void
cc_usage_stored(int slot)
{
	if (slot >= 0 && slot < CC_USAGE_SLOTS)
		pg_atomic_fetch_add_u64(&cc_name_usage[slot].stores, 1);
}

/*
 * An entry of 'slot' that had served 'hits' hits was removed, for the
 * reason 'counter' (CC_STAT_INVALIDATIONS, _EVICTIONS, _EXPIRATIONS, or
 * anything else).  Atomics only: called under dshash partition locks.
 */
void
cc_usage_removed(int slot, uint64 hits, CCCounter counter)
{
	CCNameUsage *u;

	if (slot < 0 || slot >= CC_USAGE_SLOTS)
		return;
	u = &cc_name_usage[slot];
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
		CCRelUsage *slot = &cc_rel_usage[(key + i) % CC_USAGE_SLOTS];
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

/* Copy the counters of name slot 'slot'; false if the slot is not in use. */
bool
cc_usage_name_read(int slot, CCNameUsageRow *row)
{
	CCNameUsage *u = &cc_name_usage[slot];

	if (pg_atomic_read_u32(&u->ready) == 0)
		return false;
	pg_read_barrier();
	row->dbid = u->dbid;
	row->unnamed = u->unnamed;
	memcpy(row->name, u->name, sizeof(row->name));
	row->stores = pg_atomic_read_u64(&u->stores);
	row->invalidations = pg_atomic_read_u64(&u->invalidations);
	row->evictions = pg_atomic_read_u64(&u->evictions);
	row->expirations = pg_atomic_read_u64(&u->expirations);
	row->removed_hits = pg_atomic_read_u64(&u->removed_hits);
	return true;
}

/* Copy the counters of relation slot 'slot'; false if it is not in use. */
bool
cc_usage_rel_read(int slot, CCRelUsageRow *row)
{
	CCRelUsage *u = &cc_rel_usage[slot];

	if (pg_atomic_read_u32(&u->ready) == 0)
		return false;
	pg_read_barrier();
	row->dbid = u->dbid;
	row->relid = u->relid;
	row->writes = pg_atomic_read_u64(&u->writes);
	row->invalidations = pg_atomic_read_u64(&u->invalidations);
	return true;
}
