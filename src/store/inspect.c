/*-------------------------------------------------------------------------
 *
 * inspect.c
 *		Reading the entries for the statistics and cache_explain(): what is
 *		stored under a key, and a walk over every valid entry.
 *
 * Both count this backend's batched hits in first (hits.c), then copy what
 * they show under the partition locks, one at a time, in shared mode;
 * nothing that can ERROR runs under a lock.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "store_int.h"

/*
 * What is stored under 'key', for cache_explain().  Called with no lock
 * held; takes the key's partition lock in shared mode to copy.
 */
void
cc_entry_info(const CCKey *key, CCEntryInfo *info)
{
	CCEntry    *entry;
	CCBlob	   *blob;
	char	   *payload;
	char	   *name = NULL;
	int			name_len = 0;

	memset(info, 0, sizeof(CCEntryInfo));
	cc_attach();
	cc_hits_flush();			/* this backend's hits, counted in */
	/* room for the name first: nothing may fail under the lock */
	name = palloc(CC_MAX_NAME_COPY + 1);
	entry = dshash_find(cc_entries, key, false);
	if (entry != NULL)
	{
		info->state = entry->state;
		info->expires_at = entry->expires_at;
		blob = dsa_get_address(cc_area, entry->blob);
		info->created_at = blob->created_at;
		payload = CC_BLOB_PAYLOAD(blob);
		info->stored_len = blob->payload_len;
		info->payload_len = blob->payload_len;
		if (VARATT_IS_COMPRESSED(payload))
			info->payload_len = VARDATA_COMPRESSED_GET_EXTSIZE(payload) +
				VARHDRSZ;
		info->alloc_size = cc_blob_accounted(blob);
		info->hits = cc_blob_hits(blob);
		info->ndeps = blob->ndeps;
		name_len = Min(blob->name_len, CC_MAX_NAME_COPY);
		memcpy(name, CC_BLOB_NAME(blob), name_len);
		dshash_release_lock(cc_entries, entry);
	}
	name[name_len] = '\0';
	info->name = name_len > 0 ? name : NULL;
}

/*
 * Call 'visit' for every VALID entry, under the shared partition lock of
 * its part of the entries table (one partition at a time): 'visit' must not
 * allocate, ERROR or take a lock.  Entries stored or removed meanwhile may
 * or may not be seen.
 */
void
cc_store_foreach_valid(CCEntryVisitor visit, void *arg)
{
	dshash_seq_status status;
	CCEntry    *entry;

	cc_attach();
	cc_hits_flush();			/* this backend's hits, counted in */
	dshash_seq_init(&status, cc_entries, false);
	while ((entry = dshash_seq_next(&status)) != NULL)
	{
		CCBlob	   *blob;
		CCEntryView view;

		if (entry->state != CC_ENTRY_VALID)
			continue;
		blob = dsa_get_address(cc_area, entry->blob);
		view.dbid = entry->key.dbid;
		view.usage_slot = blob->usage_slot;
		view.alloc_size = cc_blob_accounted(blob);
		view.hits = cc_blob_hits(blob);
		view.nrelids = blob->nrelids;
		view.relids = CC_BLOB_RELIDS(blob);
		visit(&view, arg);
	}
	dshash_seq_term(&status);
}
