/*-------------------------------------------------------------------------
 *
 * store_int.h
 *		What the files of src/store share and nobody else sees: the layout
 *		of entries (of blobs: blob.h), the store's shared state, the
 *		functions the files call in each other.
 *
 * Layout
 * ------
 * The store's fixed shared memory (CCStoreShared) holds its gauges, the
 * invalidation ghosts and the first CC_DSA_INPLACE_SIZE bytes of a DSA
 * area created in place by the postmaster.  Because the area exists before
 * any backend starts and lives as long as the postmaster, no backend
 * depends on the background worker to find it.  Further DSA segments are
 * created on demand by whichever backend needs them; the area is
 * hard-capped at cascade_cache.max_memory with dsa_set_size_limit().
 *
 * Four dshash tables live in the area:
 *
 *	entries:  CCKey -> CCEntry.  Each entry points at a blob (CCBlob), one
 *			  DSA allocation holding the payload (a complete jsonb varlena,
 *			  compressed when that saves space), the entry's dependency
 *			  links and its CLOCK ring links.
 *	deps:	  dependency key (uint64) -> CCDepEntry, the head of a doubly
 *			  linked list running through the CCDepLink nodes embedded in the
 *			  blobs of every entry with that dependency.  Invalidating a key
 *			  therefore costs O(entries that depend on it).
 *	names:	  CC_DEP_NAME key of (database, query name) -> CCNameEntry, the
 *			  query-name registry, so that PREFIX and PATTERN invalidations
 *			  cost O(distinct names), not O(cache).
 *	contexts: hash of a recipe's context -> CCContextEntry: the part of
 *			  recipes that the entries of one statement in one session
 *			  share (role, form, name, query text, settings), kept once
 *			  and counted; a blob keeps only its parameters and the hash
 *			  (context.c).
 *
 * Every blob is also linked into one circular CLOCK ring, protected by
 * CCShared->clock_lock.  Hits set the blob's reference bit; the sweep
 * clears it and evicts blobs whose bit is already clear.
 *
 * The locking rules are in include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_STORE_INT_H
#define CC_STORE_STORE_INT_H

#include "lib/dshash.h"
#include "miscadmin.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/key.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "base/usage_counters.h"
#include "store/store.h"

/* Size of the part of the DSA area that lives in fixed shared memory */
#define CC_DSA_INPLACE_SIZE		(256 * 1024)

/* Invalidated entries remembered to measure invalidation precision */
#define CC_NUM_GHOSTS			16384

/* Results at least this large are stored compressed (blob.c) */
#define CC_COMPRESS_MIN_BYTES	512

/* Relations one entry remembers for the statistics (more are not shown) */
#define CC_MAX_RELIDS_PER_ENTRY	64

/* Hard cap on the number of entries: dshash's bucket array must fit 1GB */
#define CC_MAX_ENTRIES			(64 * 1024 * 1024)

/* Victims collected per critical section by the CLOCK sweep */
#define CC_EVICT_BATCH			64

/* The store's fixed shared memory */
typedef struct CCStoreShared
{
	int			dsa_tranche;
	int			entries_tranche;
	int			deps_tranche;
	int			names_tranche;
	int			contexts_tranche;
	dshash_table_handle entries_handle;
	dshash_table_handle deps_handle;
	dshash_table_handle names_handle;
	dshash_table_handle contexts_handle;
	dsa_pointer clock_hand;		/* next blob the sweep looks at; clock_lock */
	pg_atomic_uint64 bytes_used;	/* accounted bytes */
	pg_atomic_uint64 entries;	/* entries in the table (any state) */
	pg_atomic_uint64 ttl_entries;	/* entries with an expiry time */
	pg_atomic_uint64 names;		/* entries in the name registry */
	pg_atomic_uint64 epoch;		/* entries of older epochs are dead */
	pg_atomic_uint64 shortage_logged_at;	/* guard.c's last log line */
	pg_atomic_uint64 refused_at;	/* guard.c: when a segment was refused */
	pg_atomic_uint64 refused_size;	/* ... for a request of this size */
	pg_atomic_uint64 ghosts[CC_NUM_GHOSTS]; /* see remove.c */
	char		dsa_space[FLEXIBLE_ARRAY_MEMBER];	/* CC_DSA_INPLACE_SIZE */
} CCStoreShared;

/*
 * An entry in the dshash entry table.  The payload and all the per-entry
 * bookkeeping live in a separate DSA allocation, the blob.
 */
typedef struct CCEntry
{
	CCKey		key;			/* hash key, must be first */
	uint32		state;			/* CC_ENTRY_* */
	int32		owner_pid;		/* storing backend, while PENDING */
	uint64		serial;			/* identifies this incarnation of the key */
	dsa_pointer blob;			/* CCBlob */
	TimestampTz expires_at;		/* 0 = never */
	uint64		epoch;			/* CCStoreShared.epoch when stored */
} CCEntry;

/* The blob of an entry: its layout is in blob.h */
typedef struct CCBlob CCBlob;

/* An entry of the query-name registry */
typedef struct CCNameEntry
{
	uint64		dep;			/* hash key: cc_dep_hash_text(NAME, db, name) */
	Oid			dbid;
	uint32		len;
	uint64		count;			/* entries with this name */
	dsa_pointer text;			/* the name, len bytes and a NUL */
} CCNameEntry;

/*
 * An entry of the dependency index: the head of a list of CCDepLinks.  It
 * exists while the list is not empty (it holds no count: 32 bytes as a
 * dshash item instead of 40).
 */
typedef struct CCDepEntry
{
	uint64		dep;			/* hash key, must be first */
	dsa_pointer head;
} CCDepEntry;

/* A (key, serial) pair copied out of shared memory under a lock. */
typedef struct CCVictim
{
	CCKey		key;
	uint64		serial;
} CCVictim;

/*
 * Between two lock holds of a long loop: let a cancel or a termination
 * through.  Not in the startup process, where this runs inside redo.
 */
static inline void
cc_interrupt_point(void)
{
	if (!AmStartupProcess())
		CHECK_FOR_INTERRUPTS();
}

/* area.c */
extern CCStoreShared *cc_store_shared;
extern dshash_table *cc_entries;
extern dshash_table *cc_deps;
extern dshash_table *cc_names;
extern Size cc_chunk_size(Size size);
extern Size cc_dshash_item_size(Size entry_size);
extern Size cc_entry_overhead(void);
extern Size cc_dep_entry_overhead(void);
extern Size cc_name_entry_overhead(void);
extern void cc_account(int64 delta);
extern int	cc_uint64_cmp(const void *a, const void *b);

/* blob.c */
extern struct varlena *cc_compress(struct varlena *payload);
extern void cc_ring_insert(dsa_pointer blob_dp, CCBlob *blob);
extern void cc_link_deps(dsa_pointer blob_dp, CCBlob *blob);
extern void cc_names_ref(CCBlob *blob, dsa_pointer text);
extern void cc_release_blob(dsa_pointer blob_dp);

/* guard.c */
typedef enum CCAreaRefusal
{
	CC_AREA_NOT_REFUSED = 0,
	CC_AREA_AT_LIMIT,			/* dshash's "out of memory": max_memory */
	CC_AREA_REFUSED,			/* the system refused a segment */
	CC_AREA_BACKED_OFF			/* refused at once: one as large was lately */
} CCAreaRefusal;

extern dsa_pointer cc_area_allocate(Size size, int flags);
extern void *cc_area_insert(dshash_table *table, const void *key,
							bool *found);
extern bool cc_area_backed_off(Size size);
extern void cc_area_skip_backoff_once(void);
extern void cc_area_backoff_end(void);
extern bool cc_area_guarded(void (*fn) (void *), void *arg);
extern CCAreaRefusal cc_area_last_refusal(void);

/* remove.c */
extern void cc_entry_uncount(const CCEntry *entry);
extern void cc_entry_delete(CCEntry *entry, dshash_seq_status *status);
extern bool cc_remove_by_key(const CCKey *key, uint64 serial,
							 CCCounter counter);
extern void cc_ghost_check(const CCKey *key, uint32 payload_hash);

/* the blob's layout, and the recipe contexts (context.c): their own headers */
#include "blob.h"
#include "context.h"

#endif							/* CC_STORE_STORE_INT_H */
