/*-------------------------------------------------------------------------
 *
 * hits.c
 *		The hit path: looking a key up, and per-entry hit counts without a
 *		shared write per hit.
 *
 * Every entry counts the hits served from it (cache_explain(), the
 * statistics by query name, the CLOCK-independent "hits of removed
 * entries").  Incrementing a counter in the entry's blob on every hit
 * would make concurrent hits of one hot entry bounce that cache line
 * between cores, as pg_stat_statements' per-entry counters do.  So each
 * backend counts its hits in a small direct-mapped table of its own,
 * indexed by the key's hash, and adds them to the blob's counter in
 * batches:
 *
 *	- when an entry's count in this backend reaches CC_HITS_BATCH, during
 *	  the hit itself (the hit path holds the entry's partition lock then,
 *	  so the blob is live): one shared write per CC_HITS_BATCH hits;
 *	- when this backend reads per-entry counts (cc_hits_flush(), called by
 *	  the statistics functions and cache_explain() before they read), when
 *	  it removes entries (invalidation, cache_flush(); so that the hits of
 *	  entries it removes are counted for their query name), and when it
 *	  exits (before_shmem_exit): for every entry it has counts for.
 *
 * An entry's count is 32 bits and saturates: it stays at PG_UINT32_MAX
 * (4,294,967,295) rather than wrap (cc_hits_add()).  The global hit
 * counter is not one of these (see below).
 *
 * A slot holds one entry, identified by its key and its serial (so that
 * counts never reach a later entry stored under the same key; a slot that
 * holds an earlier entry of the key starts over).
 *
 * Counts of other backends that have not reached a batch are not visible
 * until those backends read statistics or exit: a per-entry count may lag
 * by less than CC_HITS_BATCH per backend.  An entry removed meanwhile
 * loses them (its serial no longer matches).  The global hit counter
 * (cache_stats().hits) is exact: it is a per-backend counter already.
 *
 * A hit whose slot holds another key's counts goes to the blob directly
 * (a compare-and-exchange on a line the hit has just read, not a batch,
 * but no worse than no table at all).  The slot stays with its key while
 * that key keeps being hit; once CC_HITS_STEAL hits of other keys came
 * between two of its hits, the hit path flushes it (after releasing its
 * own lock) and the slot goes to the next key hit.  So a hot key keeps its
 * slot among many cold ones, and hits spread over more keys than slots
 * take one extra partition lock per CC_HITS_STEAL hits, not one per hit.
 *
 * Locking: cc_hits_note() runs under the entry's partition lock, held by
 * its caller, and only does atomic arithmetic on the blob.  Flushing takes
 * one partition lock at a time, in shared mode.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "storage/ipc.h"

#include "store_int.h"

/* Slots of this backend's table (a power of two) */
#define CC_HITS_SLOTS			256

/* Hits of one entry counted locally before they are added to its blob */
#define CC_HITS_BATCH			64

/* Hits of other keys after which a slot's key is flushed and replaced */
#define CC_HITS_STEAL			16

StaticAssertDecl((CC_HITS_SLOTS & (CC_HITS_SLOTS - 1)) == 0,
				 "CC_HITS_SLOTS must be a power of two");

typedef struct CCHitSlot
{
	CCKey		key;
	uint64		serial;
	uint32		pending;		/* hits not yet added to the blob */
	uint32		conflicts;		/* hits of other keys since its last hit */
} CCHitSlot;

static CCHitSlot cc_hit_slots[CC_HITS_SLOTS];
static bool cc_hits_exit_registered = false;

static void cc_hits_exit(int code, Datum arg);
static void cc_hits_add(CCBlob *blob, uint32 n);
static void cc_hits_register(void);
static int	cc_hits_note(const CCKey *key, CCBlob *blob);
static void cc_hits_flush_slot(int i);

/*
 * Make sure this backend hands its counts over when it exits.  Called on
 * the hit path before the partition lock is taken (registering can fail).
 */
static void
cc_hits_register(void)
{
	if (likely(cc_hits_exit_registered))
		return;
	before_shmem_exit(cc_hits_exit, (Datum) 0);
	cc_hits_exit_registered = true;
}

/*
 * Count one hit of 'blob', the blob of the entry 'key' whose partition lock
 * the caller holds.  Returns the index of a slot the caller should flush
 * (cc_hits_flush_slot()) once it has released the lock, or -1.  A slot to
 * flush is this key's slot, held by another key that has gone cold (this
 * hit went to the blob directly); flushing frees it for the next key hit.
 * No allocation, cannot fail.
 */
static int
cc_hits_note(const CCKey *key, CCBlob *blob)
{
	int			i = key->h1 & (CC_HITS_SLOTS - 1);
	CCHitSlot  *slot = &cc_hit_slots[i];

	if (slot->pending > 0 && memcmp(&slot->key, key, sizeof(CCKey)) != 0)
	{
		/* taken by another key: count this one in the blob */
		cc_hits_add(blob, 1);
		/* and hand the slot over once its key has gone cold here */
		return ++slot->conflicts >= CC_HITS_STEAL ? i : -1;
	}
	if (slot->pending > 0 && slot->serial != blob->serial)
	{
		/*
		 * An earlier entry of this key, which is gone (one entry per key;
		 * serials only grow): its counts would be dropped by a flush anyway.
		 */
		slot->pending = 0;
	}
	if (slot->pending == 0)
	{
		slot->key = *key;
		slot->serial = blob->serial;
	}
	slot->conflicts = 0;
	if (++slot->pending >= CC_HITS_BATCH)
	{
		cc_hits_add(blob, slot->pending);
		slot->pending = 0;
	}
	return -1;
}

/*
 * Add 'n' hits to a blob's count, which stops at PG_UINT32_MAX rather than
 * wrap.  A compare-and-exchange loop: the adds come in batches, but for a
 * slot taken by another key (one hit at a time).  Cannot fail.
 */
static void
cc_hits_add(CCBlob *blob, uint32 n)
{
	uint32		old = pg_atomic_read_u32(&blob->hits);

	while (old != PG_UINT32_MAX)
	{
		uint32		sum = n > PG_UINT32_MAX - old ? PG_UINT32_MAX : old + n;

		if (pg_atomic_compare_exchange_u32(&blob->hits, &old, sum))
			break;
	}
}

/*
 * Add the counts of slot 'i' to its entry's blob, if the entry is still the
 * one counted, and free the slot.  Takes that entry's partition lock
 * (shared); no lock held on entry; the caller attached.
 */
static void
cc_hits_flush_slot(int i)
{
	CCHitSlot  *slot = &cc_hit_slots[i];
	CCEntry    *entry;

	if (slot->pending == 0)
		return;
	entry = dshash_find(cc_entries, &slot->key, false);
	if (entry != NULL)
	{
		if (entry->serial == slot->serial &&
			DsaPointerIsValid(entry->blob))
		{
			CCBlob	   *blob = dsa_get_address(cc_area, entry->blob);

			cc_hits_add(blob, slot->pending);
		}
		dshash_release_lock(cc_entries, entry);
	}
	slot->pending = 0;
	slot->conflicts = 0;
}

/*
 * Add every count this backend holds to its entry's blob (see
 * cc_hits_flush_slot()).  Takes one partition lock at a time (shared); no
 * lock held on entry; the caller attached.  Can ERROR only where dshash can
 * (mapping a segment of the area this backend has not seen yet).
 */
void
cc_hits_flush(void)
{
	int			i;

	for (i = 0; i < CC_HITS_SLOTS; i++)
		cc_hits_flush_slot(i);
}

/*
 * Backend exit: hand over what this backend counted, on a clean exit only.
 * After an error (code != 0) this process may still hold a partition lock
 * (a background worker's ERROR goes straight to proc_exit before its locks
 * are released); its last counts, fewer than CC_HITS_BATCH per entry, are
 * then lost.
 */
static void
cc_hits_exit(int code, Datum arg)
{
	if (code == 0 && cc_entries != NULL)
		cc_hits_flush();
}

/*
 * Look the key up.  Returns a palloc'd copy of the payload of a VALID,
 * unexpired entry, or NULL.  Takes one entries partition lock in shared mode.
 */
struct varlena *
cc_lookup(const CCKey *key)
{
	CCEntry    *entry;
	CCBlob	   *blob;
	struct varlena *result;
	uint32		len;
	int			flush_slot = -1;

	cc_hits_register();
	entry = dshash_find(cc_entries, key, false);
	if (entry == NULL)
		return NULL;

	if (entry->state != CC_ENTRY_VALID ||
		entry->epoch != pg_atomic_read_u64(&cc_store_shared->epoch) ||
		(entry->expires_at != 0 && GetCurrentTimestamp() >= entry->expires_at))
	{
		dshash_release_lock(cc_entries, entry);
		return NULL;
	}

	blob = dsa_get_address(cc_area, entry->blob);
	len = blob->payload_len;
	result = MemoryContextAllocExtended(CurrentMemoryContext, len,
										MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (result != NULL)
	{
		memcpy(result, CC_BLOB_PAYLOAD(blob), len);
		/* no shared write unless needed: the bit set if clear, hits batched */
		if (!blob->referenced)
			blob->referenced = 1;
		flush_slot = cc_hits_note(key, blob);
	}
	dshash_release_lock(cc_entries, entry);

	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to copy a cached result of %u bytes.",
						   len)));
	if (flush_slot >= 0)
		cc_hits_flush_slot(flush_slot);
	if (VARATT_IS_COMPRESSED(result))
	{
		struct varlena *plain = detoast_attr(result);

		pfree(result);
		result = plain;
	}
	return result;
}
