/*-------------------------------------------------------------------------
 *
 * usage_counters.h
 *		Counters by query name and by relation.
 *
 * Counting is lock-free and cannot fail: the store counts removals under
 * dshash partition locks, the commit path counts at PRE_COMMIT.  The SQL
 * functions that show them are in src/api/usage.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_USAGE_COUNTERS_H
#define CC_BASE_USAGE_COUNTERS_H

#include "cascade_cache.h"

/* Slots of each table */
#define CC_USAGE_SLOTS			1024

/* Slots looked at before giving up on a key */
#define CC_USAGE_PROBES			32

/* No usage slot: the table had no room for the name */
#define CC_USAGE_NO_SLOT		(-1)

/* A copy of one query name's counters */
typedef struct CCNameUsageRow
{
	Oid			dbid;
	bool		unnamed;
	char		name[NAMEDATALEN * 2];	/* truncated */
	uint64		stores;
	uint64		invalidations;
	uint64		evictions;
	uint64		expirations;
	uint64		removed_hits;	/* hits of entries no longer cached */
} CCNameUsageRow;

/* A copy of one relation's counters */
typedef struct CCRelUsageRow
{
	Oid			dbid;
	Oid			relid;
	uint64		writes;			/* commits that invalidated it */
	uint64		invalidations;	/* entries those commits removed */
} CCRelUsageRow;

extern Size cc_usage_shmem_size(void);
extern void cc_usage_shmem_init(void);

extern int	cc_usage_name_slot(Oid dbid, const char *name);
extern void cc_usage_stored(int slot);
extern void cc_usage_removed(int slot, uint64 hits, CCCounter counter);
extern void cc_usage_relation(Oid relid, uint64 removed);

extern bool cc_usage_name_read(int slot, CCNameUsageRow *row);
extern bool cc_usage_rel_read(int slot, CCRelUsageRow *row);

#endif							/* CC_BASE_USAGE_COUNTERS_H */
