/*-------------------------------------------------------------------------
 *
 * evict.c
 *		CLOCK eviction, and the scans of the whole entries table: expiry,
 *		orphans, remove_all.
 *
 * Eviction walks the CLOCK ring (blob.c) under clock_lock, collecting a
 * batch of victims whose reference bit is clear, then removes them one by
 * one with no lock held.  The scans walk the entries table one partition
 * at a time.  The locking rules are in include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "utils/memutils.h"

#include "store_int.h"

/* Most blobs the sweep looks at per hold of clock_lock */
#define CC_EVICT_MAX_STEPS		(CC_EVICT_BATCH * 16)

/* Room for entries stored while cc_scan_entries() sizes its array */
#define CC_SCAN_SLACK			64

/* What cc_scan_entries() removes. */
typedef enum CCScanMode
{
	CC_SCAN_DATABASE,			/* every entry of a database (or all) */
	CC_SCAN_EXPIRED,			/* entries past their expiry time */
	CC_SCAN_ORPHANS				/* PENDING/DOOMED entries of dead owners */
} CCScanMode;

static uint64 cc_scan_entries(CCScanMode mode, Oid dbid, CCCounter counter);

/*
 * Remove every entry of database 'dbid' (InvalidOid: of every database).
 * Returns the number of VALID entries removed, counted under 'counter'.
 */
uint64
cc_remove_all(Oid dbid, bool expired_only, CCCounter counter)
{
	cc_attach();
	/* this backend's batched hits reach the entries before they go */
	cc_hits_flush();
	return cc_scan_entries(expired_only ? CC_SCAN_EXPIRED : CC_SCAN_DATABASE,
						   dbid, counter);
}

/*
 * Remove PENDING and DOOMED entries whose owner process is gone.  A store
 * cleans up after itself even on ERROR, so this only matters if a backend
 * left in a way that skipped its error handling.
 */
void
cc_gc_orphans(void)
{
	cc_attach();
	(void) cc_scan_entries(CC_SCAN_ORPHANS, InvalidOid, CC_STAT_NONE);
}

/*
 * Walk the whole entries table and remove what 'mode' selects.
 *
 * The scan holds one partition lock at a time (exclusively, so that it can
 * delete the entries it selects); the blobs of deleted entries are
 * collected in an array sized before the scan and released after it,
 * because releasing takes other locks.  If the array fills up the scan
 * stops early and starts over, so progress is guaranteed.
 */
static uint64
cc_scan_entries(CCScanMode mode, Oid dbid, CCCounter counter)
{
	uint64		removed = 0;
	TimestampTz now = GetCurrentTimestamp();

	for (;;)
	{
		dshash_seq_status status;
		CCEntry    *entry;
		dsa_pointer *blobs;
		int			maxblobs;
		int			nblobs = 0;
		bool		full = false;
		int			i;

		cc_interrupt_point();

		maxblobs = (int) Min(pg_atomic_read_u64(&cc_store_shared->entries) +
							 CC_SCAN_SLACK,
							 (uint64) (MaxAllocHugeSize / sizeof(dsa_pointer)));
		blobs = MemoryContextAllocHuge(CurrentMemoryContext,
									   sizeof(dsa_pointer) * maxblobs);

		dshash_seq_init(&status, cc_entries, true);
		while ((entry = dshash_seq_next(&status)) != NULL)
		{
			bool		match;

			switch (mode)
			{
				case CC_SCAN_DATABASE:
					match = (!OidIsValid(dbid) || entry->key.dbid == dbid);
					break;
				case CC_SCAN_EXPIRED:
					match = (entry->state == CC_ENTRY_VALID &&
							 entry->expires_at != 0 &&
							 entry->expires_at <= now);
					break;
				case CC_SCAN_ORPHANS:
					match = (entry->state != CC_ENTRY_VALID &&
							 entry->owner_pid != 0 &&
							 kill(entry->owner_pid, 0) != 0 &&
							 errno == ESRCH);
					break;
				default:
					match = false;
					break;
			}
			if (!match)
				continue;

			if (entry->state == CC_ENTRY_PENDING && mode != CC_SCAN_ORPHANS)
			{
				/* its owner will see this and remove it */
				entry->state = CC_ENTRY_DOOMED;
				continue;
			}
			if (entry->state == CC_ENTRY_DOOMED && mode != CC_SCAN_ORPHANS)
				continue;

			if (nblobs >= maxblobs)
			{
				full = true;
				break;
			}
			blobs[nblobs++] = entry->blob;
			if (entry->state == CC_ENTRY_VALID)
			{
				CCBlob	   *blob = dsa_get_address(cc_area, entry->blob);

				removed++;
				cc_usage_removed(blob->usage_slot,
								 cc_blob_hits(blob), counter);
			}
			cc_entry_delete(entry, &status);
		}
		dshash_seq_term(&status);

		for (i = 0; i < nblobs; i++)
			cc_release_blob(blobs[i]);
		pfree(blobs);

		if (!full)
			break;
	}

	if (counter != CC_STAT_NONE && removed > 0)
		cc_count(counter, removed);
	return removed;
}

/*
 * Evict with the CLOCK algorithm until the accounted bytes are at or below
 * 'target', or 'max_victims' entries were evicted, or a sweep found nothing
 * to evict.  Called with no locks held, by backends that need room and by
 * the background worker.
 */
void
cc_evict_to(Size target, int max_victims)
{
	int			evicted = 0;
	uint64		fruitless_steps = 0;

	cc_attach();

	/*
	 * Give up once two full revolutions of the hand have produced nothing:
	 * everything left is being stored right now.
	 */
	while (pg_atomic_read_u64(&cc_store_shared->bytes_used) > target &&
		   evicted < max_victims &&
		   fruitless_steps <=
		   2 * pg_atomic_read_u64(&cc_store_shared->entries) + 2)
	{
		CCVictim	batch[CC_EVICT_BATCH];
		int			n = 0;
		int			steps = 0;
		int			removed = 0;
		int			i;

		cc_interrupt_point();

		LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
		while (DsaPointerIsValid(cc_store_shared->clock_hand) &&
			   n < CC_EVICT_BATCH && n < max_victims - evicted &&
			   steps < CC_EVICT_MAX_STEPS)
		{
			CCBlob	   *blob = dsa_get_address(cc_area,
											   cc_store_shared->clock_hand);

			if (blob->referenced)
				blob->referenced = 0;
			else
			{
				batch[n].key = blob->key;
				batch[n].serial = blob->serial;
				n++;
			}
			cc_store_shared->clock_hand = blob->clock_next;
			steps++;
		}
		LWLockRelease(cc_shared->clock_lock);

		if (steps == 0)
			break;				/* the ring is empty */

		for (i = 0; i < n; i++)
			if (cc_remove_by_key(&batch[i].key, batch[i].serial,
								 CC_STAT_EVICTIONS))
				removed++;
		evicted += removed;
		if (removed == 0)
			fruitless_steps += steps;
		else
			fruitless_steps = 0;
	}
}
