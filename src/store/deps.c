/*-------------------------------------------------------------------------
 *
 * deps.c
 *		The dependency index and the query-name registry as a whole: the
 *		names matching a prefix or a pattern, counting and removing the
 *		entries that depend on a key.
 *
 * These are what an invalidation (src/xact) asks of the store.  Removing
 * the dependents of a key is the heart of it; see cc_remove_dependents()
 * for what it guarantees a committing transaction.  The locking rules are
 * in include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "base/glob.h"
#include "store/store.h"
#include "store_int.h"

/* Keys collected per critical section when invalidating a dependency */
#define CC_INVAL_BATCH			64

/* Room for names registered while cc_names_matching() sizes its array */
#define CC_NAMES_SLACK			16

/* One name of the registry, as copied out of it */
typedef struct CCNameCopy
{
	uint64		dep;
	uint64		count;
	uint32		len;
} CCNameCopy;

/*
 * The query names of database 'dbid' that start with 'pattern' (prefix) or
 * match the glob 'pattern' (glob.c).  Returns how many, their dependency
 * keys in *deps (palloc'd) and the number of entries they have in
 * *entries.  Names that appear while this runs may be missed;
 * invalidations therefore also mark CC_DEP_NAME_ANY, which every named
 * fill checks.
 *
 * No matching happens under a lock: the registry is scanned (one partition
 * lock at a time) into an array sized beforehand, each name is then copied
 * out under its own partition lock, and matched with no lock held.  The
 * work per lock hold is a copy of fixed size; interrupts are checked
 * between names (except in the startup process, where this runs in redo).
 * Can ERROR (out of memory, interrupts), never with a lock held.
 */
int
cc_names_matching(Oid dbid, bool prefix, const char *pattern, uint64 **deps,
				  uint64 *entries)
{
	dshash_seq_status status;
	CCNameEntry *entry;
	size_t		plen = strlen(pattern);
	CCNameCopy *copies;
	CCGlob	   *glob = NULL;
	char	   *name;
	int			max;
	int			ncopies = 0;
	int			n = 0;
	int			i;

	cc_attach();
	max = (int) Min(pg_atomic_read_u64(&cc_store_shared->names) + CC_NAMES_SLACK,
					MaxAllocHugeSize / sizeof(CCNameCopy));
	copies = MemoryContextAllocHuge(CurrentMemoryContext,
									sizeof(CCNameCopy) * max);
	*deps = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * max);
	*entries = 0;
	name = palloc(CC_MAX_NAME_COPY + 1);
	if (!prefix)
		glob = cc_glob_compile(pattern);

	/* 1. the database's names, copied under one partition lock at a time */
	dshash_seq_init(&status, cc_names, false);
	while (ncopies < max && (entry = dshash_seq_next(&status)) != NULL)
	{
		if (entry->dbid != dbid)
			continue;
		copies[ncopies].dep = entry->dep;
		copies[ncopies].count = entry->count;
		copies[ncopies].len = entry->len;
		ncopies++;
	}
	dshash_seq_term(&status);

	/* 2. each name's text, then the match with no lock held */
	for (i = 0; i < ncopies; i++)
	{
		uint32		len;
		bool		match;

		cc_interrupt_point();

		/* a name shorter than the prefix cannot match */
		if (prefix && copies[i].len < plen)
			continue;
		entry = dshash_find(cc_names, &copies[i].dep, false);
		if (entry == NULL)
			continue;			/* gone: its entries are gone too */
		len = Min(entry->len, CC_MAX_NAME_COPY);
		memcpy(name, dsa_get_address(cc_area, entry->text), len);
		dshash_release_lock(cc_names, entry);
		name[len] = '\0';

		if (prefix)
			match = len >= plen && memcmp(name, pattern, plen) == 0;
		else
			match = cc_glob_match(glob, name, len);
		if (match)
		{
			(*deps)[n++] = copies[i].dep;
			*entries += copies[i].count;
		}
	}
	pfree(copies);
	pfree(name);
	return n;
}

/*
 * How many distinct entries of role 'userid' (of any role if InvalidOid)
 * depend on any of 'deps' right now.  Reads each list under a shared lock;
 * an entry on several lists counts once.
 */
uint64
cc_count_dependents(const uint64 *deps, int ndeps, Oid userid)
{
	uint64	   *serials = NULL;
	int			nserials = 0;
	int			maxserials = 0;
	uint64		distinct = 0;
	int			d;
	int			i;
	bool		retried = false;

	cc_attach();
	for (d = 0; d < ndeps; d++)
	{
		CCDepEntry *entry;
		int			start = nserials;
		uint64		len = 0;
		dsa_pointer node_dp;

		cc_interrupt_point();

		/*
		 * Copy what fits; if the list is longer, make room and read it once
		 * more (a list that grew meanwhile is then copied as far as fits)
		 */
		entry = dshash_find(cc_deps, &deps[d], false);
		if (entry == NULL)
		{
			retried = false;
			continue;
		}
		for (node_dp = entry->head; DsaPointerIsValid(node_dp); len++)
		{
			CCDepLink  *node = dsa_get_address(cc_area, node_dp);

			if (nserials < maxserials)
			{
				CCBlob	   *blob = (CCBlob *) ((char *) node - node->blob_off);

				if (!OidIsValid(userid) || blob->key.userid == userid)
					serials[nserials++] = blob->serial;
			}
			node_dp = node->next;
		}
		dshash_release_lock(cc_deps, entry);

		if (start + len > (uint64) maxserials && !retried)
		{
			nserials = start;
			maxserials = (int) (start + len) * 2 + 16;
			serials = serials ? repalloc_huge(serials, sizeof(uint64) * maxserials)
				: MemoryContextAllocHuge(CurrentMemoryContext,
										 sizeof(uint64) * maxserials);
			retried = true;
			d--;				/* read this list again */
		}
		else
			retried = false;
	}

	if (nserials > 0)
	{
		qsort(serials, nserials, sizeof(uint64), cc_uint64_cmp);
		for (i = 0; i < nserials; i++)
			if (i == 0 || serials[i] != serials[i - 1])
				distinct++;
		pfree(serials);
	}
	return distinct;
}

/*
 * How many VALID entries database 'dbid' has right now, of role 'userid'
 * (of any role if InvalidOid).
 */
uint64
cc_count_database(Oid dbid, Oid userid)
{
	dshash_seq_status status;
	CCEntry    *entry;
	uint64		n = 0;

	cc_attach();
	dshash_seq_init(&status, cc_entries, false);
	while ((entry = dshash_seq_next(&status)) != NULL)
		if (entry->key.dbid == dbid && entry->state == CC_ENTRY_VALID &&
			(!OidIsValid(userid) || entry->key.userid == userid))
			n++;
	dshash_seq_term(&status);
	return n;
}

/*
 * Has cc_remove_dependents() already processed the entry with this serial
 * (and seen it stay in the list)?  'kept' holds the first ones, 'seen' (if
 * not NULL) the rest.  Called under a deps partition lock: allocates
 * nothing.
 */
static inline bool
cc_serial_seen(uint64 serial, const uint64 *kept, int nkept, HTAB *seen)
{
	int			i;

	for (i = 0; i < nkept; i++)
		if (kept[i] == serial)
			return true;
	return seen != NULL && hash_search(seen, &serial, HASH_FIND, NULL) != NULL;
}

/*
 * Remove every entry that depends on 'dep'; returns how many VALID entries
 * were removed.  Called with no locks held.
 *
 * When this returns, no entry that was in the dependency's list when it
 * was called can be served any more: each one was deleted from the entries
 * table (by us or by someone else) or is PENDING/DOOMED and will never be
 * published.  That is what lets a committing transaction rely on it.  It
 * relies in turn on the rule that a link leaves a dependency list only
 * after its entry has left the entries table (cc_release_blob), so a
 * concurrent invalidation of the same key either still sees the link, or
 * the entry is already gone.
 *
 * The list is read under the deps partition lock in shared mode, in
 * batches: copy up to CC_INVAL_BATCH (key, serial) pairs, release the lock,
 * remove those entries one by one (which unlinks them), and read again
 * from the head.  Links that stay in the list after we processed them
 * (their entry is DOOMED, or another backend is half-way through removing
 * it) are remembered by serial and skipped.  An entry we removed took its
 * links out of every list before cc_remove_by_key() returned, so only the
 * others need remembering: a few in a local array, more in a hash table.
 */
uint64
cc_remove_dependents(uint64 dep)
{
	uint64		removed = 0;
	uint64		kept[CC_INVAL_BATCH];
	int			nkept = 0;
	HTAB	   *seen = NULL;

	cc_attach();
	/* this backend's batched hits reach the entries before they go */
	cc_hits_flush();

	for (;;)
	{
		CCVictim	batch[CC_INVAL_BATCH];
		int			n = 0;
		int			i;
		CCDepEntry *entry;
		dsa_pointer node_dp;

		cc_interrupt_point();

		entry = dshash_find(cc_deps, &dep, false);
		if (entry == NULL)
			break;

		for (node_dp = entry->head;
			 DsaPointerIsValid(node_dp) && n < CC_INVAL_BATCH;)
		{
			CCDepLink  *node = dsa_get_address(cc_area, node_dp);
			CCBlob	   *blob = (CCBlob *) ((char *) node - node->blob_off);

			if (!cc_serial_seen(blob->serial, kept, nkept, seen))
			{
				batch[n].key = blob->key;
				batch[n].serial = blob->serial;
				n++;
			}
			node_dp = node->next;
		}
		dshash_release_lock(cc_deps, entry);

		if (n == 0)
			break;

		for (i = 0; i < n; i++)
		{
			if (cc_remove_by_key(&batch[i].key, batch[i].serial,
								 CC_STAT_INVALIDATIONS))
			{
				removed++;
				continue;
			}
			/* its links may stay in the list for a while: skip them */
			if (nkept < CC_INVAL_BATCH)
			{
				kept[nkept++] = batch[i].serial;
				continue;
			}
			if (seen == NULL)
			{
				HASHCTL		ctl;

				ctl.keysize = sizeof(uint64);
				ctl.entrysize = sizeof(uint64);
				ctl.hcxt = CurrentMemoryContext;
				seen = hash_create("cascade_cache invalidated serials", 256,
								   &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			}
			(void) hash_search(seen, &batch[i].serial, HASH_ENTER, NULL);
		}
	}

	if (seen != NULL)
		hash_destroy(seen);
	return removed;
}
