/*-------------------------------------------------------------------------
 *
 * blob.c
 *		A blob and its links: the CLOCK ring, the dependency lists, the
 *		query-name registry; compression; releasing a blob.
 *
 * A blob (CCBlob, src/store/blob.h) is one DSA allocation per entry.
 * Once its entry is inserted, the blob is linked into the CLOCK ring, into
 * the list of every one of its dependency keys, and (if the entry has a
 * query name) counted in the name registry.  cc_release_blob() undoes
 * whatever of that was done, so it also cleans up after a store that
 * stopped half-way.  Each function takes one lock at a time; the locking
 * rules are in include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/toast_compression.h"
#include "access/toast_internals.h"

#include "store_int.h"

static void cc_ring_remove(dsa_pointer blob_dp, CCBlob *blob);
static void cc_names_unref(CCBlob *blob);

/*
 * The form in which a result is stored: compressed as TOAST would do it
 * (LZ4 where the server has it), when that saves space.  JSON documents
 * shrink several times over, so the cache holds more of them, and a hit
 * copies, and each backend maps, a fraction of the pages; cc_lookup()
 * decompresses after releasing its lock.  Can ERROR (out of memory); call
 * it with no lock held.
 */
struct varlena *
cc_compress(struct varlena *payload)
{
	Datum		compressed;

	if (VARSIZE(payload) < CC_COMPRESS_MIN_BYTES)
		return payload;
#ifdef USE_LZ4
	compressed = toast_compress_datum(PointerGetDatum(payload),
									  TOAST_LZ4_COMPRESSION);
#else
	compressed = toast_compress_datum(PointerGetDatum(payload),
									  TOAST_PGLZ_COMPRESSION);
#endif
	if (DatumGetPointer(compressed) == NULL)
		return payload;			/* not worth it */
	return (struct varlena *) DatumGetPointer(compressed);
}

/* ----------------------------------------------------------------
 * The CLOCK ring
 * ----------------------------------------------------------------
 */

/*
 * Link a new blob into the ring just behind the hand, so that it gets a
 * full revolution before the sweep first looks at it.
 */
void
cc_ring_insert(dsa_pointer blob_dp, CCBlob *blob)
{
	LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
	if (!DsaPointerIsValid(cc_store_shared->clock_hand))
	{
		blob->clock_prev = blob_dp;
		blob->clock_next = blob_dp;
		cc_store_shared->clock_hand = blob_dp;
	}
	else
	{
		dsa_pointer hand_dp = cc_store_shared->clock_hand;
		CCBlob	   *hand = dsa_get_address(cc_area, hand_dp);
		CCBlob	   *prev = dsa_get_address(cc_area, hand->clock_prev);

		blob->clock_prev = hand->clock_prev;
		blob->clock_next = hand_dp;
		prev->clock_next = blob_dp;
		hand->clock_prev = blob_dp;
	}
	LWLockRelease(cc_shared->clock_lock);
}

/* Unlink a blob from the ring, if it is in it. */
static void
cc_ring_remove(dsa_pointer blob_dp, CCBlob *blob)
{
	LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
	if (DsaPointerIsValid(blob->clock_next))
	{
		if (blob->clock_next == blob_dp)
			cc_store_shared->clock_hand = InvalidDsaPointer;
		else
		{
			CCBlob	   *prev = dsa_get_address(cc_area, blob->clock_prev);
			CCBlob	   *next = dsa_get_address(cc_area, blob->clock_next);

			prev->clock_next = blob->clock_next;
			next->clock_prev = blob->clock_prev;
			if (cc_store_shared->clock_hand == blob_dp)
				cc_store_shared->clock_hand = blob->clock_next;
		}
		blob->clock_prev = InvalidDsaPointer;
		blob->clock_next = InvalidDsaPointer;
	}
	LWLockRelease(cc_shared->clock_lock);
}

/* ----------------------------------------------------------------
 * Dependency links
 * ----------------------------------------------------------------
 */

/*
 * Link every dependency node of a blob into its dependency's list.  Takes
 * one deps partition lock at a time.  dshash allocates a new list head
 * under that lock; the caller has reserved the memory (see store.c).
 */
void
cc_link_deps(dsa_pointer blob_dp, CCBlob *blob)
{
	int			i;

	for (i = 0; i < blob->ndeps; i++)
	{
		CCDepLink  *node = &blob->deps[i];
		dsa_pointer node_dp = blob_dp + offsetof(CCBlob, deps) +
			i * sizeof(CCDepLink);
		CCDepEntry *dep;
		bool		found;

		dep = cc_area_insert(cc_deps, &node->dep, &found);
		if (!found)
		{
			dep->head = InvalidDsaPointer;
			cc_account(cc_dep_entry_overhead());
		}
		node->prev = InvalidDsaPointer;
		node->next = dep->head;
		if (DsaPointerIsValid(dep->head))
		{
			CCDepLink  *head = dsa_get_address(cc_area, dep->head);

			head->prev = node_dp;
		}
		dep->head = node_dp;
		dshash_release_lock(cc_deps, dep);
	}
}

/* Take every linked dependency node of a blob out of its list. */
static void
cc_unlink_deps(CCBlob *blob)
{
	int			i;

	for (i = 0; i < blob->ndeps; i++)
	{
		CCDepLink  *node = &blob->deps[i];
		CCDepEntry *dep;

		dep = dshash_find(cc_deps, &node->dep, true);
		if (dep == NULL)
			continue;			/* list already cut and dropped */
		if (node->next == CC_LINK_DETACHED)
		{
			dshash_release_lock(cc_deps, dep);
			continue;
		}

		if (DsaPointerIsValid(node->prev))
			((CCDepLink *) dsa_get_address(cc_area, node->prev))->next = node->next;
		else
			dep->head = node->next;
		if (DsaPointerIsValid(node->next))
			((CCDepLink *) dsa_get_address(cc_area, node->next))->prev = node->prev;
		node->next = CC_LINK_DETACHED;
		node->prev = InvalidDsaPointer;

		if (!DsaPointerIsValid(dep->head))
		{
			/* the list is empty: drop its head */
			dshash_delete_entry(cc_deps, dep);
			cc_account(-(int64) cc_dep_entry_overhead());
		}
		else
			dshash_release_lock(cc_deps, dep);
	}
}

/* ----------------------------------------------------------------
 * The query-name registry
 * ----------------------------------------------------------------
 */

/*
 * Count the blob's entry under its query name.  'text' is a DSA chunk of
 * name_len + 1 bytes the caller allocated beforehand: it becomes the
 * registry's copy of a new name, or is freed.  The registry's dshash item
 * is reserved by the caller too (see store.c).
 */
void
cc_names_ref(CCBlob *blob, dsa_pointer text)
{
	const char *name = CC_BLOB_NAME(blob);
	uint32		len = blob->name_len;
	uint64		dep = cc_dep_hash_text(CC_DEP_NAME, blob->key.dbid, name, len);
	CCNameEntry *entry;
	bool		found;

	/* the copy of the name (NUL-terminated), before taking the lock */
	memcpy(dsa_get_address(cc_area, text), name, len);
	((char *) dsa_get_address(cc_area, text))[len] = '\0';

	entry = cc_area_insert(cc_names, &dep, &found);
	if (found)
	{
		entry->count++;
		dshash_release_lock(cc_names, entry);
		dsa_free(cc_area, text);
	}
	else
	{
		entry->dbid = blob->key.dbid;
		entry->len = len;
		entry->count = 1;
		entry->text = text;

		dshash_release_lock(cc_names, entry);
		pg_atomic_fetch_add_u64(&cc_store_shared->names, 1);
		cc_account(cc_chunk_size(len + 1) + cc_name_entry_overhead());
	}
	blob->name_registered = true;
}

/* Undo cc_names_ref().  Cannot fail. */
static void
cc_names_unref(CCBlob *blob)
{
	const char *name = CC_BLOB_NAME(blob);
	uint32		len = blob->name_len;
	uint64		dep = cc_dep_hash_text(CC_DEP_NAME, blob->key.dbid, name, len);
	CCNameEntry *entry;
	dsa_pointer text = InvalidDsaPointer;

	entry = dshash_find(cc_names, &dep, true);
	if (entry == NULL)
		return;
	if (--entry->count == 0)
	{
		text = entry->text;

		dshash_delete_entry(cc_names, entry);
		pg_atomic_fetch_sub_u64(&cc_store_shared->names, 1);
	}
	else
		dshash_release_lock(cc_names, entry);

	if (DsaPointerIsValid(text))
	{
		dsa_free(cc_area, text);
		cc_account(-(int64) (cc_chunk_size(len + 1) + cc_name_entry_overhead()));
	}
	blob->name_registered = false;
}

/* ----------------------------------------------------------------
 * Releasing
 * ----------------------------------------------------------------
 */

/*
 * Release a blob that is no longer reachable from the entries table: detach
 * its remaining dependency links, take it out of the name registry, the recipe
 * contexts and the CLOCK ring, un-account and free it.  Undoes only what was
 * done, so it also serves a store that stopped half-way.  Called with no locks
 * held; takes one lock at a time; cannot fail.
 */
void
cc_release_blob(dsa_pointer blob_dp)
{
	CCBlob	   *blob = dsa_get_address(cc_area, blob_dp);

	cc_unlink_deps(blob);
	if (blob->name_registered)
		cc_names_unref(blob);
	if (blob->context_registered)
		cc_context_unref(blob);
	cc_ring_remove(blob_dp, blob);
	cc_account(-(int64) cc_blob_accounted(blob));
	dsa_free(cc_area, blob_dp);
}
