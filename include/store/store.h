/*-------------------------------------------------------------------------
 *
 * store.h
 *		The store: the cache's entries in a DSA area, the dependency index,
 *		the query-name registry, CLOCK eviction and memory accounting.
 *
 * The store is a leaf: it calls only src/base.  Its callers check the
 * fence, count outcomes and wake nobody; the store counts only what it
 * removes (evictions, expirations, invalidations; by query name too).
 *
 * Files (each calls only the ones before it):
 *	area.c		the store's shared memory, the DSA area and its four dshash
 *				tables, memory accounting, the epoch
 *	guard.c		taking shared memory: a refused DSM segment is "no room"
 *	context.c	the registry of recipe contexts
 *	hits.c		the hit path: lookup, per-entry hit counts batched per
 *				backend
 *	blob.c		a blob and its links: CLOCK ring, dependency lists, name
 *				registry; compression; releasing a blob
 *	remove.c	removing one entry; invalidation ghosts
 *	deps.c		the dependency index and the name registry as a whole:
 *				names matching, counting and removing dependents
 *	evict.c		CLOCK eviction and whole-table scans (expiry, orphans,
 *				remove_all)
 *	store.c		storing (prepare, publish, abandon)
 *	inspect.c	what is stored under a key; a walk over the valid entries
 *	recipes.c	reading recipes: one entry's, the hottest entries'
 *	queue.c		the recipe queue and the runner slots (store/queue.h)
 *
 * Storing
 * -------
 * cc_store_prepare() allocates the entry's blob, inserts the entry as
 * PENDING and links it into every dependency's list; the caller then checks
 * the fence (cc_fence_check()) and calls cc_store_publish() (the entry
 * becomes VALID) or cc_store_abandon() (it is removed).  An invalidation
 * that runs meanwhile either finds the entry through its dependency lists
 * (and dooms or removes it) or has already marked the fence.
 *
 * Locking rules (for the whole extension; other files refer here)
 * -------------
 *	- The hit path (cc_lookup) takes one entries partition lock in shared
 *	  mode, copies the payload and releases it.  It writes to shared memory
 *	  only to set the entry's CLOCK bit when it is clear and, once per
 *	  CC_HITS_BATCH hits of the entry in this backend, to add those hits
 *	  to the entry's count (hits.c); the lock's own state word is the one
 *	  shared write every hit makes.
 *	- At most one lock at a time among: an entries partition lock, a deps
 *	  partition lock, a names partition lock, a contexts partition lock,
 *	  CCShared->clock_lock, CCShared->queue_lock; none of them together
 *	  with an in-flight partition lock (coalesce.c).  Every
 *	  multi-structure operation is a sequence of short critical sections.
 *	- Nothing that can ERROR, sleep or run SQL runs while an LWLock is
 *	  held; memory is allocated before a lock is taken, or with
 *	  MCXT_ALLOC_NO_OOM / DSA_ALLOC_NO_OOM.  The one exception is dshash's
 *	  own allocation when it inserts (PostgreSQL 15 has no NO_OOM insert):
 *	  the inserts run in a subtransaction that an out-of-memory rolls
 *	  back, see store.c.
 *	- A link leaves a dependency list only after its entry has left the
 *	  entries table (or, if PENDING, was marked DOOMED), so that whoever
 *	  still finds a link can still remove its entry, and whoever finds the
 *	  list empty knows its former entries can no longer be served.
 *	- A blob is freed only by the backend that deleted its entry from the
 *	  entries table (or that failed to publish it), and only after all of
 *	  its dependency links are detached and it is out of the CLOCK ring;
 *	  so a link reached from a dependency list, or a blob reached from the
 *	  ring, is always live while the corresponding lock is held.
 *	- A PENDING entry belongs to the backend storing it.  Others may only
 *	  mark it DOOMED; the owner then removes it.
 *	- The fence (generation stripes) is lock-free: pg_atomic operations
 *	  only.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_STORE_H
#define CC_STORE_STORE_H

#include "utils/dsa.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"

/* Longest query name copied out of the store (cache_explain, matching) */
#define CC_MAX_NAME_COPY		1024

/* Upper bound on the dependencies one entry may carry */
#define CC_MAX_DEPS_PER_ENTRY	4096

/*
 * The accounted bytes are kept at or below this fraction of max_memory; the
 * rest of the DSA area (which is hard-capped at max_memory) absorbs the
 * allocator's own fragmentation and the dshash bucket arrays.
 */
#define CC_MEMORY_BUDGET_FRACTION	0.90

/* The background worker starts evicting above this fraction of the budget */
#define CC_EVICT_HIGH_WATERMARK		0.95
#define CC_EVICT_LOW_WATERMARK		0.85

/* ----------
 * Entry states
 *
 * PENDING: stored by a backend whose fence check is not done yet; only that
 *			backend (the owner) may remove it.  Never served.
 * VALID:	served by the hit path.
 * DOOMED:	a PENDING entry that an invalidation reached; its owner removes
 *			it when it finishes storing.
 * ----------
 */
#define CC_ENTRY_PENDING	1
#define CC_ENTRY_VALID		2
#define CC_ENTRY_DOOMED		3

/* What a store came to */
typedef enum CCStoreResult
{
	CC_STORE_PREPARED,			/* prepared: check the fence, then publish or
								 * abandon */
	CC_STORE_STORED,			/* published */
	CC_STORE_RACED,				/* another backend had stored the key */
	CC_STORE_REJECTED,			/* the fence, or an invalidation, refused it */
	CC_STORE_TOO_MANY_DEPS,		/* more than CC_MAX_DEPS_PER_ENTRY */
	CC_STORE_NO_MEMORY			/* the area could not hold it */
} CCStoreResult;

/* A prepared store, between cc_store_prepare() and publish or abandon */
typedef struct CCStoreHandle CCStoreHandle;

/* What cache_explain() shows of a stored entry */
typedef struct CCEntryInfo
{
	uint32		state;			/* CC_ENTRY_*, or 0 if there is no entry */
	TimestampTz created_at;
	TimestampTz expires_at;
	uint32		payload_len;	/* the result's size */
	uint32		stored_len;		/* what is stored (less if compressed) */
	Size		alloc_size;
	uint64		hits;
	int			ndeps;
	char	   *name;			/* palloc'd, or NULL */
} CCEntryInfo;

/* What cc_store_foreach_valid() shows of one VALID entry */
typedef struct CCEntryView
{
	Oid			dbid;
	int			usage_slot;		/* its query name's usage slot, or
								 * CC_USAGE_NO_SLOT */
	Size		alloc_size;
	uint64		hits;
	int			nrelids;
	const Oid  *relids;			/* valid during the visit only */
} CCEntryView;

/*
 * Called under an entries partition lock (shared): must not allocate,
 * ERROR or take a lock.
 */
typedef void (*CCEntryVisitor) (const CCEntryView *entry, void *arg);

/*
 * Shown each entry an invalidation removes, with its name and recipe
 * (valid during the call only) and whether it was read (a hit) since it
 * was stored; see cc_remove_set_collector().
 */
typedef void (*CCRemoveCollector) (const CCKey *key, const char *name,
								   uint32 name_len, const char *recipe,
								   uint32 recipe_len, bool read, void *arg);

/* area.c */
extern dsa_area *cc_area;
extern Size cc_store_shmem_size(void);
extern void cc_store_shmem_init(void);
extern void cc_attach(void);
extern void cc_apply_size_limit(void);
extern Size cc_budget_bytes(void);
extern uint64 cc_store_bytes_used(void);
extern uint64 cc_store_entries(void);
extern uint64 cc_store_ttl_entries(void);
extern void cc_bump_epoch(void);
extern bool cc_epoch_changed(uint64 *seen);

/* deps.c */
extern int	cc_names_matching(Oid dbid, bool prefix, const char *pattern,
							  uint64 **deps, uint64 *entries);
extern uint64 cc_count_dependents(const uint64 *deps, int ndeps,
								  Oid userid);
extern uint64 cc_count_database(Oid dbid, Oid userid);
extern uint64 cc_remove_dependents(uint64 dep);

/* evict.c */
extern uint64 cc_remove_all(Oid dbid, bool expired_only, CCCounter counter);
extern void cc_evict_to(Size target, int max_victims);
extern void cc_gc_orphans(void);

/* remove.c */
extern void cc_remove_set_collector(CCRemoveCollector collect, void *arg);

/* hits.c */
extern struct varlena *cc_lookup(const CCKey *key);
extern void cc_hits_flush(void);

/* store.c */
extern CCStoreResult cc_store_prepare(const CCKey *key,
									  struct varlena *payload, bool compress,
									  const uint64 *deps, int ndeps,
									  const Oid *relids, int nrelids,
									  const char *name, const char *recipe,
									  uint32 recipe_len, uint32 context_len,
									  int64 ttl_us,
									  CCStoreHandle **handle);
extern const uint64 *cc_store_deps(CCStoreHandle *handle, int *ndeps);
extern CCStoreResult cc_store_publish(CCStoreHandle *handle);
extern CCStoreResult cc_store_abandon(CCStoreHandle *handle);
extern void cc_entry_info(const CCKey *key, CCEntryInfo *info);
extern void cc_store_foreach_valid(CCEntryVisitor visit, void *arg);

#endif							/* CC_STORE_STORE_H */
