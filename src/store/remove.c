/*-------------------------------------------------------------------------
 *
 * remove.c
 *		Removing one entry, and the invalidation ghosts.
 *
 * Every removal of an entry goes through cc_entry_delete(): delete it from
 * the entries table and fix the gauges.  The caller releases the blob
 * afterwards (cc_release_blob(), with no lock held), and counts the
 * removal.  The locking rules are in include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "store_int.h"

static void cc_ghost_note(const CCKey *key, uint32 payload_hash);

/*
 * The entry leaves the table (or is taken over by a new store): it no
 * longer counts among the entries, nor among those with an expiry time.
 * Atomics only.
 */
void
cc_entry_uncount(const CCEntry *entry)
{
	if (entry->expires_at != 0)
		pg_atomic_fetch_sub_u64(&cc_store_shared->ttl_entries, 1);
	pg_atomic_fetch_sub_u64(&cc_store_shared->entries, 1);
}

/*
 * Delete 'entry', which the caller holds exclusively locked, from the
 * entries table, and fix the gauges.  With 'status' (a scan of the table)
 * the entry is the scan's current one and its partition stays locked;
 * without, the entry was found with dshash_find() and its partition lock
 * is released.  The blob is the caller's to release.
 */
void
cc_entry_delete(CCEntry *entry, dshash_seq_status *status)
{
	cc_entry_uncount(entry);
	if (status != NULL)
		dshash_delete_current(status);
	else
		dshash_delete_entry(cc_entries, entry);
}

/* This backend's collector of removed entries' recipes, or NULL */
static CCRemoveCollector cc_remove_collector = NULL;
static void *cc_remove_collector_arg = NULL;

/*
 * Have every entry this backend invalidates from now on (through
 * cc_remove_dependents()) shown to 'collect' before its blob is freed; NULL
 * stops it.  'collect' is called with no lock held, on an entry already
 * out of the table, and must not ERROR (it may allocate with
 * MCXT_ALLOC_NO_OOM): the blob is freed after it returns.
 */
void
cc_remove_set_collector(CCRemoveCollector collect, void *arg)
{
	cc_remove_collector = collect;
	cc_remove_collector_arg = arg;
}

/*
 * Show the collector a removed entry's name and recipe: its context (still
 * counted by the blob) and its own part, and whether it was read since it
 * was stored (its CLOCK bit, which only a sweep under memory pressure
 * clears), copied together into a buffer this backend allocates once with
 * MCXT_ALLOC_NO_OOM (no room: not shown).  No lock held on
 * entry; takes the context's partition lock.  Cannot fail.
 */
static void
cc_remove_collect(const CCKey *key, CCBlob *blob)
{
	static char *recipe = NULL;
	uint32		context_len;

	/* the own part (16 bits) always fits, with room for a context */
	StaticAssertStmt(PG_UINT16_MAX < CC_MAX_RECIPE_BYTES,
					 "a blob's recipe part fits the buffer");
	/* one buffer for the life of the backend, taken the first time */
	if (recipe == NULL)
		recipe = MemoryContextAllocExtended(TopMemoryContext,
											CC_MAX_RECIPE_BYTES,
											MCXT_ALLOC_NO_OOM);
	if (recipe == NULL)
		return;
	context_len = cc_context_copy(blob->context_hash, recipe,
								  CC_MAX_RECIPE_BYTES - blob->recipe_len);
	if (context_len > 0)
	{
		memcpy(recipe + context_len, CC_BLOB_RECIPE(blob), blob->recipe_len);
		cc_remove_collector(key, CC_BLOB_NAME(blob), blob->name_len, recipe,
							context_len + blob->recipe_len,
							blob->referenced != 0, cc_remove_collector_arg);
	}
}

/*
 * Remove the entry with this key if it is still the incarnation 'serial'.
 * A PENDING entry is only marked DOOMED (its owner removes it).  Returns
 * true if a VALID entry was removed; counts it under 'counter' (and by
 * query name).  Called with no locks held.
 */
bool
cc_remove_by_key(const CCKey *key, uint64 serial, CCCounter counter)
{
	CCEntry    *entry;
	CCBlob	   *blob;
	dsa_pointer blob_dp;

	entry = dshash_find(cc_entries, key, true);
	if (entry == NULL)
		return false;
	if (entry->serial != serial || entry->state == CC_ENTRY_DOOMED)
	{
		dshash_release_lock(cc_entries, entry);
		return false;
	}
	if (entry->state == CC_ENTRY_PENDING)
	{
		entry->state = CC_ENTRY_DOOMED;
		dshash_release_lock(cc_entries, entry);
		return false;
	}

	blob_dp = entry->blob;
	blob = dsa_get_address(cc_area, blob_dp);
	if (counter == CC_STAT_INVALIDATIONS)
		cc_ghost_note(key, blob->payload_hash);
	cc_usage_removed(blob->usage_slot, cc_blob_hits(blob),
					 counter);
	cc_entry_delete(entry, NULL);
	if (cc_remove_collector != NULL && counter == CC_STAT_INVALIDATIONS &&
		blob->context_registered)
		cc_remove_collect(key, blob);
	cc_release_blob(blob_dp);
	if (counter != CC_STAT_NONE)
		cc_count(counter, 1);
	return true;
}

/* ----------------------------------------------------------------
 * Invalidation precision
 *
 * To tell how many invalidations were needed, an invalidated entry leaves
 * a ghost: a 64-bit word in a fixed array of CC_NUM_GHOSTS, at the slot
 * its key hashes to, holding 32 bits of the key and a hash of the payload.
 * When the key is stored again, the ghost is taken (compare-and-swap to 0)
 * and the new payload's hash tells whether the result had changed.  A
 * ghost overwritten by another key, or never refilled, is simply not
 * counted: refills_changed and refills_unchanged are a sample.  Atomic
 * operations only; safe under a dshash partition lock.
 * ----------------------------------------------------------------
 */

static inline pg_atomic_uint64 *
cc_ghost_slot(const CCKey *key)
{
	return &cc_store_shared->ghosts[key->h1 % CC_NUM_GHOSTS];
}

static inline uint64
cc_ghost_word(const CCKey *key, uint32 payload_hash)
{
	/* never 0: a free slot */
	return ((uint64) ((key->h2 >> 32) | 1) << 32) | payload_hash;
}

/* An entry of 'key' with this payload was invalidated. */
static void
cc_ghost_note(const CCKey *key, uint32 payload_hash)
{
	pg_atomic_write_u64(cc_ghost_slot(key), cc_ghost_word(key, payload_hash));
}

/* 'key' was stored again with this payload: did the invalidation matter? */
void
cc_ghost_check(const CCKey *key, uint32 payload_hash)
{
	pg_atomic_uint64 *slot = cc_ghost_slot(key);
	uint64		word = pg_atomic_read_u64(slot);
	uint64		mine = cc_ghost_word(key, payload_hash);

	if (word == 0 || (word >> 32) != (mine >> 32))
		return;
	if (!pg_atomic_compare_exchange_u64(slot, &word, 0))
		return;
	cc_count(word == mine ? CC_STAT_REFILL_UNCHANGED : CC_STAT_REFILL_CHANGED, 1);
}
