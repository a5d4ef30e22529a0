/*-------------------------------------------------------------------------
 *
 * context.c
 *		The registry of recipe contexts.
 *
 * A recipe (include/xact/recipe.h) is a context (the session user, the
 * form, the ttl, the query name, the query text and the session's
 * settings) followed by the parameters.  Every entry a statement fills in
 * one session has the same context; only the parameters differ.  So a
 * blob keeps its parameters and the hash of its context, and the context
 * itself is kept once in the contexts table, counted by the blobs that
 * refer to it, as the query-name registry counts names (blob.c).
 *
 * The table is keyed by a 64-bit hash of the context's bytes.  Two
 * different contexts with the same hash would share the first one's
 * bytes: a recipe read back would then have the wrong context, and the
 * runner would compute another key than the entry's and skip it
 * (src/xact/recipe_run.c).  A collision costs a skipped recipe, never a
 * wrong result.
 *
 * Locking: one contexts partition lock at a time, never with another
 * store lock held (include/store/store.h); the copy made under it is at
 * most CC_MAX_RECIPE_BYTES.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "base/shmem.h"
#include "store_int.h"

/*
 * The hash of a context's bytes, seeded with the cluster's secret key seed
 * (so that no role can make its context collide with another's on
 * purpose, which would only deny that one its recipes).
 */
uint64
cc_context_hash(const char *bytes, uint32 len)
{
	return hash_bytes_extended((const unsigned char *) bytes, (int) len,
							   cc_shared->key_seed ^ UINT64CONST(0x5245434950455321));
}

/*
 * Count the blob under its context (blob->context_hash).  'copy' is a DSA
 * chunk of 'len' bytes holding the context, allocated by the caller
 * beforehand: it becomes the registry's copy of a new context, or is
 * freed.  The registry's dshash item is reserved by the caller too (see
 * store.c).  Takes one contexts partition lock.
 */
void
cc_context_ref(CCBlob *blob, dsa_pointer copy, uint32 len)
{
	CCContextEntry *entry;
	bool		found;

	entry = cc_area_insert(cc_contexts, &blob->context_hash, &found);
	if (found)
	{
		entry->count++;
		dshash_release_lock(cc_contexts, entry);
		dsa_free(cc_area, copy);
	}
	else
	{
		entry->count = 1;
		entry->bytes = copy;
		entry->len = len;
		dshash_release_lock(cc_contexts, entry);
		cc_account(cc_chunk_size(len) + cc_context_entry_overhead());
	}
	blob->context_registered = true;
}

/* Undo cc_context_ref().  Cannot fail. */
void
cc_context_unref(CCBlob *blob)
{
	CCContextEntry *entry;
	dsa_pointer bytes = InvalidDsaPointer;
	uint32		len = 0;

	entry = dshash_find(cc_contexts, &blob->context_hash, true);
	if (entry == NULL)
		return;
	if (--entry->count == 0)
	{
		bytes = entry->bytes;
		len = entry->len;
		dshash_delete_entry(cc_contexts, entry);
	}
	else
		dshash_release_lock(cc_contexts, entry);

	if (DsaPointerIsValid(bytes))
	{
		dsa_free(cc_area, bytes);
		cc_account(-(int64) (cc_chunk_size(len) + cc_context_entry_overhead()));
	}
	blob->context_registered = false;
}

/*
 * Copy the context of hash 'hash' into 'buf' ('max' bytes).  Returns its
 * length, or 0 if there is no such context or it is longer than 'max'.
 * Takes its partition lock in shared mode; cannot fail.
 */
uint32
cc_context_copy(uint64 hash, char *buf, uint32 max)
{
	CCContextEntry *entry;
	uint32		len = 0;

	entry = dshash_find(cc_contexts, &hash, false);
	if (entry == NULL)
		return 0;
	if (entry->len <= max)
	{
		len = entry->len;
		memcpy(buf, dsa_get_address(cc_area, entry->bytes), len);
	}
	dshash_release_lock(cc_contexts, entry);
	return len;
}
