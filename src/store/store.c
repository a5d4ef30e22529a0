/*-------------------------------------------------------------------------
 *
 * cache_shmem.c
 *		The cache's shared memory: the area, the entry table, the dependency
 *		index, CLOCK eviction and memory accounting.
 *
 * Layout
 * ------
 * The postmaster allocates one chunk of fixed shared memory (CCShared, the
 * fence stripes, one counter slot per backend, and the first 256kB of a DSA
 * area created in place).  Because the area exists before any backend
 * starts and lives as long as the postmaster, no backend depends on the
 * background worker to find it; the worker only does upkeep.  Further DSA
 * segments are created on demand by whichever backend needs them; the area
 * is hard-capped at cascade_cache.max_memory with dsa_set_size_limit().
 *
 * Two dshash tables live in the area:
 *
 *	entries:  CCKey -> CCEntry.  Each entry points at a blob (CCBlob), one
 *			  DSA allocation holding the payload (a complete jsonb varlena),
 *			  the entry's dependency links and its CLOCK ring links.
 *	deps:	  dependency key (uint64) -> CCDepEntry, the head of a doubly
 *			  linked list running through the CCDepLink nodes embedded in the
 *			  blobs of every entry with that dependency.  Invalidating a key
 *			  therefore costs O(entries that depend on it).
 *
 * Every blob is also linked into one circular CLOCK ring, protected by
 * CascadeCacheShared->clock_lock.  Hits set the blob's reference bit; the
 * sweep clears it and evicts blobs whose bit is already clear.
 *
 * Payloads of CC_COMPRESS_MIN_BYTES or more are stored compressed when that
 * saves space (cc_compress(), TOAST's compression); cc_lookup() copies the
 * stored bytes under the partition lock and decompresses after releasing
 * it.
 *
 * Locking rules
 * -------------
 *	- At most one lock at a time among: an entries partition lock, a deps
 *	  partition lock, clock_lock.  Every multi-structure operation below is
 *	  a sequence of short critical sections.
 *	- Nothing that can ERROR (palloc, catalog access, SQL) runs while one of
 *	  them is held.  The hit path allocates its result with
 *	  MCXT_ALLOC_NO_OOM for that reason.
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
 *	  mark it DOOMED; the owner then removes it.  See cc_store().
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/detoast.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"

/* Shared state, set in every process by cc_shmem_init() */
CCShared   *cc_shared = NULL;

/* Per-backend attachment, set up by cc_attach() */
dsa_area   *cc_area = NULL;
static dshash_table *cc_entries = NULL;
static dshash_table *cc_deps = NULL;
static dshash_table *cc_names = NULL;

/* Hard cap on the number of entries: dshash's bucket array must fit 1GB. */
#define CC_MAX_ENTRIES			(64 * 1024 * 1024)

/* Victims collected per critical section by the CLOCK sweep. */
#define CC_EVICT_BATCH			64

/* Keys collected per critical section when invalidating a dependency. */
#define CC_INVAL_BATCH			64

/* What cc_scan_entries() removes. */
typedef enum CCScanMode
{
	CC_SCAN_DATABASE,			/* every entry of a database (or all) */
	CC_SCAN_EXPIRED,			/* entries past their expiry time */
	CC_SCAN_ORPHANS				/* PENDING/DOOMED entries of dead owners */
} CCScanMode;

/* A (key, serial) pair copied out of shared memory under a lock. */
typedef struct CCVictim
{
	CCKey		key;
	uint64		serial;
} CCVictim;

static int	cc_key_compare(const void *a, const void *b, size_t size,
						   void *arg);
static dshash_hash cc_key_hash(const void *key, size_t size, void *arg);
static int	cc_dep_compare(const void *a, const void *b, size_t size,
						   void *arg);
static dshash_hash cc_dep_key_hash(const void *key, size_t size, void *arg);
static dshash_parameters cc_entries_params(void);
static dshash_parameters cc_deps_params(void);
static dshash_parameters cc_names_params(void);
static void cc_names_ref(CCBlob *blob);
static void cc_names_unref(CCBlob *blob);
static Size cc_chunk_size(Size size);
static Size cc_entry_overhead(void);
static Size cc_dep_entry_overhead(void);
static void cc_link_deps(dsa_pointer blob_dp, CCBlob *blob);
static void cc_release_blob(dsa_pointer blob_dp);
static void cc_ring_insert(dsa_pointer blob_dp, CCBlob *blob);
static void cc_ring_remove(dsa_pointer blob_dp, CCBlob *blob);
static bool cc_remove_by_key(const CCKey *key, uint64 serial, int counter);
static void cc_ghost_note(const CCKey *key, uint32 payload_hash);
static Jsonb *cc_compress(Jsonb *payload);
static void cc_ghost_check(const CCKey *key, uint32 payload_hash);
static uint64 cc_scan_entries(CCScanMode mode, Oid dbid, int counter);
static int	cc_uint64_cmp(const void *a, const void *b);

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

/* ----------------------------------------------------------------
 * Fixed shared memory
 * ----------------------------------------------------------------
 */

/*
 * Number of per-backend counter slots: one per PGPROC that can run our code.
 */
static int
cc_num_stats_slots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS;
}

/*
 * Size of the fixed shared memory chunk.  Called from shmem_request_hook,
 * after MaxBackends is known.
 */
Size
cc_shmem_size(void)
{
	Size		size;

	size = MAXALIGN(sizeof(CCShared));
	size = add_size(size, MAXALIGN(mul_size(CC_NUM_STRIPES, sizeof(CCStripe))));
	size = add_size(size, MAXALIGN(mul_size(CC_NUM_GHOSTS, sizeof(pg_atomic_uint64))));
	size = add_size(size, MAXALIGN(mul_size(cc_num_stats_slots(),
											sizeof(CCBackendStats))));
	size = add_size(size, MAXALIGN(cc_twophase_shmem_size()));
	size = add_size(size, MAXALIGN(cc_monitor_shmem_size()));
	size = add_size(size, MAXALIGN(cc_usage_shmem_size()));
	size = add_size(size, MAXALIGN(cc_replication_shmem_size()));
	size = add_size(size, CC_DSA_INPLACE_SIZE);
	return size;
}

/*
 * Create (in the postmaster) or find (in EXEC_BACKEND children) the fixed
 * shared state.  In the postmaster this also creates the DSA area in place
 * and both dshash tables.
 */
void
cc_shmem_init(void)
{
	bool		found;
	char	   *p;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cc_shared = ShmemInitStruct("cascade_cache", cc_shmem_size(), &found);
	if (!found)
	{
		CCShared   *s = cc_shared;
		dsa_area   *area;
		dshash_table *table;
		dshash_parameters params;
		int			i;

		memset(s, 0, sizeof(CCShared));
		p = (char *) s + MAXALIGN(sizeof(CCShared));
		s->stripes = (CCStripe *) p;
		p += MAXALIGN(mul_size(CC_NUM_STRIPES, sizeof(CCStripe)));
		s->ghosts = (pg_atomic_uint64 *) p;
		p += MAXALIGN(mul_size(CC_NUM_GHOSTS, sizeof(pg_atomic_uint64)));
		s->nstats_slots = cc_num_stats_slots();
		s->stats = (CCBackendStats *) p;
		p += MAXALIGN(mul_size(s->nstats_slots, sizeof(CCBackendStats)));
		cc_twophase_shmem_init(p);
		p += MAXALIGN(cc_twophase_shmem_size());
		s->rates = (CCRateRing *) p;
		cc_monitor_shmem_init(s->rates);
		p += MAXALIGN(cc_monitor_shmem_size());
		cc_usage_shmem_init(p);
		p += MAXALIGN(cc_usage_shmem_size());
		cc_replication_shmem_init(p);
		p += MAXALIGN(cc_replication_shmem_size());
		pg_atomic_init_u64(&s->epoch, 1);
		s->dsa_space = p;

		s->clock_lock = &(GetNamedLWLockTranche(CC_EXTENSION_NAME))[0].lock;
		s->stats_lock = &(GetNamedLWLockTranche(CC_EXTENSION_NAME))[1].lock;
		s->prepared_lock = &(GetNamedLWLockTranche(CC_EXTENSION_NAME))[2].lock;
		for (i = 0; i < CC_INFLIGHT_PARTITIONS; i++)
			s->inflight_locks[i] =
				&(GetNamedLWLockTranche(CC_EXTENSION_NAME))[3 + i].lock;
		pg_atomic_init_u64(&s->coalesce_wait_max_us, 0);
		pg_atomic_init_u64(&s->audit_last_failure, 0);
		pg_atomic_init_u64(&s->max_entry_bytes, 0);
		s->dsa_tranche = LWLockNewTrancheId();
		s->entries_tranche = LWLockNewTrancheId();
		s->deps_tranche = LWLockNewTrancheId();
		s->names_tranche = LWLockNewTrancheId();
		pg_atomic_init_u64(&s->names, 0);
		s->clock_hand = InvalidDsaPointer;

		if (!pg_strong_random(&s->seed1, sizeof(s->seed1)) ||
			!pg_strong_random(&s->seed2, sizeof(s->seed2)))
			ereport(FATAL,
					(errmsg("cascade_cache could not generate a random hash seed")));

		pg_atomic_init_u64(&s->next_serial, 1);
		pg_atomic_init_u64(&s->inval_seq, 1);
		pg_atomic_init_u64(&s->bytes_used, 0);
		pg_atomic_init_u64(&s->entries, 0);
		pg_atomic_init_u64(&s->ttl_entries, 0);
		pg_atomic_init_u32(&s->worker_pid, 0);
		s->stats_reset_time = GetCurrentTimestamp();

		for (i = 0; i < CC_NUM_STRIPES; i++)
		{
			pg_atomic_init_u64(&s->stripes[i].gen, 0);
			pg_atomic_init_u32(&s->stripes[i].inprogress, 0);
		}
		for (i = 0; i < CC_NUM_GHOSTS; i++)
			pg_atomic_init_u64(&s->ghosts[i], 0);
		for (i = 0; i < s->nstats_slots; i++)
		{
			int			c;

			for (c = 0; c < CC_STAT_LAST; c++)
				pg_atomic_init_u64(&s->stats[i].counters[c], 0);
		}

		LWLockRegisterTranche(s->dsa_tranche, "cascade_cache_dsa");
		LWLockRegisterTranche(s->entries_tranche, "cascade_cache_entries");
		LWLockRegisterTranche(s->deps_tranche, "cascade_cache_deps");
		LWLockRegisterTranche(s->names_tranche, "cascade_cache_names");

		/*
		 * Create the area in place and both tables inside its fixed part, as
		 * pgstat_shmem.c does: the postmaster cannot create DSM segments, so
		 * limit the area to its in-place size while creating the tables.
		 */
		area = dsa_create_in_place(s->dsa_space, CC_DSA_INPLACE_SIZE,
								   s->dsa_tranche, NULL);
		dsa_pin(area);
		dsa_set_size_limit(area, CC_DSA_INPLACE_SIZE);

		params = cc_entries_params();
		table = dshash_create(area, &params, NULL);
		s->entries_handle = dshash_get_hash_table_handle(table);
		dshash_detach(table);

		params = cc_deps_params();
		table = dshash_create(area, &params, NULL);
		s->deps_handle = dshash_get_hash_table_handle(table);
		dshash_detach(table);

		params = cc_names_params();
		table = dshash_create(area, &params, NULL);
		s->names_handle = dshash_get_hash_table_handle(table);
		dshash_detach(table);

		dsa_set_size_limit(area, Max(cc_memory_limit_bytes(),
									 CC_DSA_INPLACE_SIZE));
		dsa_detach(area);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Attach this backend to the DSA area and both tables, once.  Can ERROR
 * (out of memory); never call it with a lock held.
 */
void
cc_attach(void)
{
	MemoryContext oldcxt;
	dshash_parameters params;

	/* the last one attached: everything is */
	if (cc_names != NULL)
		return;

	cc_check_loaded();

	LWLockRegisterTranche(cc_shared->dsa_tranche, "cascade_cache_dsa");
	LWLockRegisterTranche(cc_shared->entries_tranche, "cascade_cache_entries");
	LWLockRegisterTranche(cc_shared->deps_tranche, "cascade_cache_deps");
	LWLockRegisterTranche(cc_shared->names_tranche, "cascade_cache_names");

	/*
	 * Each step is done once, so that an error half-way (out of memory)
	 * leaves a state the next call completes.
	 */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	if (cc_area == NULL)
	{
		dsa_area   *area = dsa_attach_in_place(cc_shared->dsa_space, NULL);

		dsa_pin_mapping(area);
		on_shmem_exit(dsa_on_shmem_exit_release_in_place,
					  PointerGetDatum(cc_shared->dsa_space));
		cc_area = area;
	}
	if (cc_entries == NULL)
	{
		params = cc_entries_params();
		cc_entries = dshash_attach(cc_area, &params,
								   cc_shared->entries_handle, NULL);
	}
	if (cc_deps == NULL)
	{
		params = cc_deps_params();
		cc_deps = dshash_attach(cc_area, &params, cc_shared->deps_handle,
								NULL);
	}
	params = cc_names_params();
	cc_names = dshash_attach(cc_area, &params, cc_shared->names_handle, NULL);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Apply cascade_cache.max_memory to the area.  Called by the worker at start
 * and after a configuration reload.
 */
void
cc_apply_size_limit(void)
{
	cc_attach();
	dsa_set_size_limit(cc_area, Max(cc_memory_limit_bytes(),
									CC_DSA_INPLACE_SIZE));
}

/*
 * The accounted bytes the cache may use: a fixed fraction of max_memory
 * (the rest is slack for the allocator, see CC_MEMORY_BUDGET_FRACTION).
 */
Size
cc_budget_bytes(void)
{
	return (Size) (cc_memory_limit_bytes() * CC_MEMORY_BUDGET_FRACTION);
}

/* ----------------------------------------------------------------
 * Hash table parameters and hashing
 * ----------------------------------------------------------------
 */

static int
cc_key_compare(const void *a, const void *b, size_t size, void *arg)
{
	return memcmp(a, b, sizeof(CCKey));
}

static dshash_hash
cc_key_hash(const void *key, size_t size, void *arg)
{
	const CCKey *k = (const CCKey *) key;

	/* h1 already covers dbid and userid; see cc_compute_key() */
	return (dshash_hash) (k->h1 ^ (k->h1 >> 32));
}

static int
cc_dep_compare(const void *a, const void *b, size_t size, void *arg)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

static dshash_hash
cc_dep_key_hash(const void *key, size_t size, void *arg)
{
	uint64		k = *(const uint64 *) key;

	return (dshash_hash) (k ^ (k >> 32));
}

static dshash_parameters
cc_entries_params(void)
{
	dshash_parameters p;

	p.key_size = sizeof(CCKey);
	p.entry_size = sizeof(CCEntry);
	p.compare_function = cc_key_compare;
	p.hash_function = cc_key_hash;
	p.tranche_id = cc_shared->entries_tranche;
	return p;
}

static dshash_parameters
cc_deps_params(void)
{
	dshash_parameters p;

	p.key_size = sizeof(uint64);
	p.entry_size = sizeof(CCDepEntry);
	p.compare_function = cc_dep_compare;
	p.hash_function = cc_dep_key_hash;
	p.tranche_id = cc_shared->deps_tranche;
	return p;
}

static dshash_parameters
cc_names_params(void)
{
	dshash_parameters p;

	p.key_size = sizeof(uint64);
	p.entry_size = sizeof(CCNameEntry);
	p.compare_function = cc_dep_compare;
	p.hash_function = cc_dep_key_hash;
	p.tranche_id = cc_shared->names_tranche;
	return p;
}

/*
 * Hash a dependency key.  All processes agree on the value because the seed
 * is in shared memory.
 */
uint64
cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid)
{
	struct
	{
		uint32		kind;
		Oid			dbid;
		Oid			objid;
		uint32		pad;
	}			k;

	k.kind = (uint32) kind;
	k.dbid = dbid;
	k.objid = objid;
	k.pad = 0;
	return hash_bytes_extended((const unsigned char *) &k, sizeof(k),
							   CC_DEP_SEED);
}

/*
 * Hash a dependency key named by text: an entity tag, a type, a query name.
 */
uint64
cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text, int len)
{
	uint64		h = cc_dep_hash(kind, dbid, InvalidOid);

	return hash_bytes_extended((const unsigned char *) text, len, h);
}

/* ----------------------------------------------------------------
 * Memory accounting
 * ----------------------------------------------------------------
 */

/*
 * The size of the DSA chunk that serves a request of 'size' bytes: DSA's
 * small size classes up to 8kB, whole 4kB pages above.
 */
static Size
cc_chunk_size(Size size)
{
	static const uint16 classes[] = {
		8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256,
		320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1560, 1816, 2048,
		2616, 3120, 3640, 4096, 5456, 6552, 7280, 8192
	};
	Size		i;

	if (size > 8192)
		return TYPEALIGN(4096, size);
	for (i = 0; i < lengthof(classes); i++)
		if (size <= classes[i])
			return classes[i];
	return 8192;
}

/*
 * Accounted cost of one entry in the entries table: the dshash item plus an
 * average share of the bucket array (8 bytes per bucket, load factor 0.375
 * to 0.75).
 */
static Size
cc_entry_overhead(void)
{
	return cc_chunk_size(MAXALIGN(2 * sizeof(dsa_pointer)) + sizeof(CCEntry)) + 16;
}

/* Accounted cost of one entry in the dependency index. */
static Size
cc_dep_entry_overhead(void)
{
	return cc_chunk_size(MAXALIGN(2 * sizeof(dsa_pointer)) + sizeof(CCDepEntry)) + 16;
}

static inline void
cc_account(int64 delta)
{
	if (delta >= 0)
		pg_atomic_fetch_add_u64(&cc_shared->bytes_used, (uint64) delta);
	else
		pg_atomic_fetch_sub_u64(&cc_shared->bytes_used, (uint64) -delta);
}

/* ----------------------------------------------------------------
 * The hit path
 * ----------------------------------------------------------------
 */

/*
 * Look the key up.  Returns a palloc'd copy of the payload of a VALID,
 * unexpired entry, or NULL.  Takes one entries partition lock in shared mode.
 */
Jsonb *
cc_lookup(const CCKey *key)
{
	CCEntry    *entry;
	CCBlob	   *blob;
	Jsonb	   *result;

	entry = dshash_find(cc_entries, key, false);
	if (entry == NULL)
		return NULL;

	if (entry->state != CC_ENTRY_VALID ||
		entry->epoch != pg_atomic_read_u64(&cc_shared->epoch) ||
		(entry->expires_at != 0 && GetCurrentTimestamp() >= entry->expires_at))
	{
		dshash_release_lock(cc_entries, entry);
		return NULL;
	}

	blob = dsa_get_address(cc_area, entry->blob);
	result = MemoryContextAllocExtended(CurrentMemoryContext,
										blob->payload_len,
										MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (result != NULL)
	{
		memcpy(result, (char *) blob + blob->payload_off, blob->payload_len);
		if (!blob->referenced)
			blob->referenced = 1;
		/* a plain increment: concurrent hits may rarely lose one */
		pg_atomic_write_u64(&blob->hits, pg_atomic_read_u64(&blob->hits) + 1);
	}
	dshash_release_lock(cc_entries, entry);

	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to copy a cached result of %u bytes.",
						   blob->payload_len)));
	if (VARATT_IS_COMPRESSED(result))
	{
		Jsonb	   *plain = (Jsonb *) detoast_attr((struct varlena *) result);

		pfree(result);
		result = plain;
	}
	return result;
}

/*
 * Make every entry invisible at once: the fail-safe of replay, which must
 * not raise errors.  The worker removes the dead entries.  Atomic only.
 */
void
cc_bump_epoch(void)
{
	pg_atomic_fetch_add_u64(&cc_shared->epoch, 1);
}

/* Has the epoch moved since *seen?  Updates *seen. */
bool
cc_epoch_changed(uint64 *seen)
{
	uint64		now = pg_atomic_read_u64(&cc_shared->epoch);

	if (now == *seen)
		return false;
	*seen = now;
	return true;
}

/* The entry table, for the statistics scans of usage.c. */
dshash_table *
cc_entries_table(void)
{
	return cc_entries;
}

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
	/* room for the name first: nothing may fail under the lock */
	name = palloc(CC_MAX_NAME_COPY + 1);
	entry = dshash_find(cc_entries, key, false);
	if (entry != NULL)
	{
		info->state = entry->state;
		info->expires_at = entry->expires_at;
		blob = dsa_get_address(cc_area, entry->blob);
		info->created_at = blob->created_at;
		payload = (char *) blob + blob->payload_off;
		info->stored_len = blob->payload_len;
		info->payload_len = blob->payload_len;
		if (VARATT_IS_COMPRESSED(payload))
			info->payload_len = VARDATA_COMPRESSED_GET_EXTSIZE(payload) +
				VARHDRSZ;
		info->alloc_size = blob->alloc_size;
		info->hits = pg_atomic_read_u64(&blob->hits);
		info->ndeps = blob->ndeps;
		name_len = Min(blob->name_len, CC_MAX_NAME_COPY);
		memcpy(name, CC_BLOB_NAME(blob), name_len);
		dshash_release_lock(cc_entries, entry);
	}
	name[name_len] = '\0';
	info->name = name_len > 0 ? name : NULL;
}

/* ----------------------------------------------------------------
 * Storing
 * ----------------------------------------------------------------
 */

static int
cc_uint64_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/*
 * Allocate a blob of 'size' bytes, evicting to make room.  Returns
 * InvalidDsaPointer if the cache cannot make room.  No locks held.
 */
static dsa_pointer
cc_allocate_blob(Size size, Size accounted)
{
	int			attempt;

	for (attempt = 0; attempt < 4; attempt++)
	{
		Size		budget = cc_budget_bytes();
		dsa_pointer dp;

		if (accounted > budget)
			return InvalidDsaPointer;

		if (pg_atomic_read_u64(&cc_shared->bytes_used) + accounted > budget ||
			pg_atomic_read_u64(&cc_shared->entries) >= CC_MAX_ENTRIES)
		{
			cc_evict_to(budget - accounted, CC_EVICT_BATCH * 4);
			cc_wake_worker();
			if (pg_atomic_read_u64(&cc_shared->bytes_used) + accounted > budget)
				continue;
		}

		dp = dsa_allocate_extended(cc_area, size,
								   DSA_ALLOC_NO_OOM | DSA_ALLOC_HUGE);
		if (DsaPointerIsValid(dp))
			return dp;

		/* The area is full although the budget is not: fragmentation. */
		cc_evict_to(pg_atomic_read_u64(&cc_shared->bytes_used) / 10 * 9,
					CC_EVICT_BATCH * 4);
	}
	return InvalidDsaPointer;
}

/* What one attempt to store came to. */
typedef enum CCStoreOutcome
{
	CC_STORE_DONE,				/* stored, rejected or raced: counted */
	CC_STORE_NO_MEMORY			/* the area could not hold it */
} CCStoreOutcome;

static CCStoreOutcome cc_store_attempt(const CCKey *key, Jsonb *payload,
									   uint32 payload_hash,
									   const uint64 *deps, int ndeps,
									   const Oid *relids, int nrelids,
									   const char *name, int usage_slot,
									   int64 ttl_us, uint64 s0,
									   CCStoreResult *result);

/*
 * Store a result.
 *
 * 'deps' are the dependency keys the fill recorded (duplicates allowed),
 * 's0' the invalidation sequence read before the fill took its snapshot.
 * The entry becomes visible only if no invalidation of any of its
 * dependencies can have committed after s0; see invalidate.c for the
 * fence.
 *
 * The cache never raises an error for lack of room: when the area is
 * exhausted (which the accounting budget normally prevents, but allocator
 * fragmentation can still cause) the store evicts and tries once more,
 * then gives up and counts a no_memory bypass.
 *
 * Returns nothing; outcomes are counted.  Called with no locks held.
 */
CCStoreResult
cc_store(const CCKey *key, Jsonb *payload, const uint64 *deps_in,
		 int ndeps_in, const Oid *relids, int nrelids, const char *name,
		 int64 ttl_us, uint64 s0)
{
	uint64	   *deps;
	int			ndeps;
	int			attempt;
	int			i;
	uint32		payload_hash;
	int			usage_slot;
	Jsonb	   *stored;

	cc_attach();

	/* sort and de-duplicate the dependencies */
	deps = palloc(sizeof(uint64) * Max(ndeps_in, 1));
	memcpy(deps, deps_in, sizeof(uint64) * ndeps_in);
	qsort(deps, ndeps_in, sizeof(uint64), cc_uint64_cmp);
	for (i = 0, ndeps = 0; i < ndeps_in; i++)
		if (ndeps == 0 || deps[ndeps - 1] != deps[i])
			deps[ndeps++] = deps[i];

	if (ndeps > CC_MAX_DEPS_PER_ENTRY)
	{
		cc_count_bypass(CC_BYPASS_TOO_MANY_DEPENDENCIES);
		pfree(deps);
		return CC_STORE_REFUSED;
	}

	payload_hash = hash_bytes((const unsigned char *) payload, VARSIZE(payload));
	stored = cc_compress(payload);
	usage_slot = cc_usage_name_slot(key->dbid, name);
	nrelids = Min(nrelids, CC_MAX_RELIDS_PER_ENTRY);
	for (attempt = 0; attempt < 2; attempt++)
	{
		CCStoreResult result;

		if (cc_store_attempt(key, stored, payload_hash, deps, ndeps,
							 relids, nrelids, name, usage_slot, ttl_us, s0,
							 &result) == CC_STORE_DONE)
		{
			if (result == CC_STORE_STORED)
			{
				cc_ghost_check(key, payload_hash);
				cc_monitor_entry_size(VARSIZE(payload));
				cc_usage_stored(usage_slot);
			}
			pfree(deps);
			if (stored != payload)
				pfree(stored);
			return result;
		}
		/* make real room: a tenth of what is there */
		cc_evict_to(pg_atomic_read_u64(&cc_shared->bytes_used) / 10 * 9,
					INT_MAX);
		cc_wake_worker();
	}
	cc_count_bypass(CC_BYPASS_NO_MEMORY);
	pfree(deps);
	if (stored != payload)
		pfree(stored);
	return CC_STORE_REFUSED;
}

/*
 * The form in which a result is stored: compressed as TOAST would do it
 * (LZ4 where the server has it), when that saves space.  JSON documents
 * shrink several times over, so the cache holds more of them, and a hit
 * copies, and each backend maps, a fraction of the pages; cc_lookup
 * decompresses after releasing its lock.  Can ERROR (out of memory); call
 * it with no lock held.
 */
static Jsonb *
cc_compress(Jsonb *payload)
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
	return (Jsonb *) DatumGetPointer(compressed);
}

/*
 * One attempt to store; 'deps' are sorted and unique.
 *
 * The protocol:
 *	1. allocate and fill the blob;
 *	2. insert the entry as PENDING (taking over an expired or DOOMED one);
 *	3. link the blob into the CLOCK ring and into every dependency's list;
 *	4. check the fence;
 *	5. flip PENDING to VALID, or remove the entry.
 * An invalidation that runs concurrently either finds the entry through
 * the dependency lists (step 3 happened first; it dooms or removes the
 * entry) or has already marked the fence (step 4 sees it).
 *
 * Steps 2 and 3 allocate inside dshash, which raises ERROR when the area is
 * exhausted, with one of its partition locks held.  We catch that one
 * error (ERRCODE_OUT_OF_MEMORY), release the lock, undo the partial store
 * and report CC_STORE_NO_MEMORY; dshash and DSA leave their structures
 * consistent when an allocation fails.  Any other error is re-thrown after
 * the same cleanup.
 */
static CCStoreOutcome
cc_store_attempt(const CCKey *key, Jsonb *payload, uint32 payload_hash,
				 const uint64 *deps, int ndeps, const Oid *relids,
				 int nrelids, const char *name, int usage_slot,
				 int64 ttl_us, uint64 s0, CCStoreResult *result)
{
	int			name_len = name ? strlen(name) : 0;
	uint32		payload_len = VARSIZE(payload);
	Size		header_size;
	Size		size;
	Size		accounted;
	dsa_pointer blob_dp;
	CCBlob	   *blob;
	uint64		serial;
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int stage = 0;
	volatile CCStoreOutcome outcome = CC_STORE_DONE;
	int			i;

	/* 1. allocate and fill the blob */
	header_size = offsetof(CCBlob, deps) + ndeps * sizeof(CCDepLink) +
		nrelids * sizeof(Oid) + name_len;
	size = MAXALIGN(header_size) + payload_len;
	accounted = cc_chunk_size(size) + cc_entry_overhead();
	blob_dp = cc_allocate_blob(size, accounted);
	if (!DsaPointerIsValid(blob_dp))
		return CC_STORE_NO_MEMORY;
	cc_account(accounted);

	serial = pg_atomic_fetch_add_u64(&cc_shared->next_serial, 1);
	blob = dsa_get_address(cc_area, blob_dp);
	blob->key = *key;
	blob->serial = serial;
	blob->clock_prev = InvalidDsaPointer;
	blob->clock_next = InvalidDsaPointer;
	blob->created_at = now;
	blob->alloc_size = accounted;
	blob->payload_len = payload_len;
	blob->payload_off = MAXALIGN(header_size);
	blob->payload_hash = payload_hash;
	pg_atomic_init_u64(&blob->hits, 0);
	blob->ndeps = ndeps;
	blob->nrelids = nrelids;
	blob->name_len = name_len;
	blob->usage_slot = usage_slot;
	blob->referenced = 0;
	blob->in_ring = false;
	blob->name_registered = false;
	for (i = 0; i < ndeps; i++)
	{
		blob->deps[i].dep = deps[i];
		blob->deps[i].prev = InvalidDsaPointer;
		blob->deps[i].next = CC_LINK_DETACHED;
		blob->deps[i].blob_off = offsetof(CCBlob, deps) + i * sizeof(CCDepLink);
	}
	if (nrelids > 0)
		memcpy(CC_BLOB_RELIDS(blob), relids, nrelids * sizeof(Oid));
	if (name_len > 0)
		memcpy(CC_BLOB_NAME(blob), name, name_len);
	memcpy((char *) blob + blob->payload_off, payload, payload_len);

	PG_TRY();
	{
		CCEntry    *entry;
		bool		found;
		dsa_pointer old_blob = InvalidDsaPointer;
		bool		fence_ok;

		/* 2. insert the entry as PENDING */
		entry = dshash_find_or_insert(cc_entries, key, &found);
		if (found)
		{
			bool		expired = ((entry->expires_at != 0 &&
									entry->expires_at <= now) ||
								   entry->epoch != pg_atomic_read_u64(&cc_shared->epoch));

			if (entry->state == CC_ENTRY_PENDING ||
				(entry->state == CC_ENTRY_VALID && !expired))
			{
				/* somebody else stored (or is storing) this key: keep theirs */
				dshash_release_lock(cc_entries, entry);
				cc_account(-(int64) accounted);
				dsa_free(cc_area, blob_dp);
				cc_count(CC_STAT_STORE_RACES, 1);
				*result = CC_STORE_RACED;
				stage = -1;
			}
			else
			{
				/*
				 * Take the key over.  An expired VALID entry's blob is ours
				 * to release; a DOOMED entry's blob belongs to its owner, who
				 * will find the serial changed and release it.
				 */
				if (entry->state == CC_ENTRY_VALID)
				{
					old_blob = entry->blob;
					if (entry->expires_at != 0)
						pg_atomic_fetch_sub_u64(&cc_shared->ttl_entries, 1);
				}
				pg_atomic_fetch_sub_u64(&cc_shared->entries, 1);
			}
		}

		if (stage == 0)
		{
			entry->state = CC_ENTRY_PENDING;
			entry->owner_pid = MyProcPid;
			entry->serial = serial;
			entry->blob = blob_dp;
			entry->expires_at = ttl_us > 0 ? now + ttl_us : 0;
			entry->epoch = pg_atomic_read_u64(&cc_shared->epoch);
			dshash_release_lock(cc_entries, entry);
			pg_atomic_fetch_add_u64(&cc_shared->entries, 1);
			if (ttl_us > 0)
				pg_atomic_fetch_add_u64(&cc_shared->ttl_entries, 1);
			stage = 1;

			if (DsaPointerIsValid(old_blob))
			{
				CCBlob	   *old = dsa_get_address(cc_area, old_blob);

				cc_usage_removed(old->usage_slot, pg_atomic_read_u64(&old->hits),
								 CC_STAT_EXPIRATIONS);
				cc_release_blob(old_blob);
				cc_count(CC_STAT_EXPIRATIONS, 1);
			}

			/* 3. link into the CLOCK ring, the dependency lists, the names */
			cc_ring_insert(blob_dp, blob);
			cc_link_deps(blob_dp, blob);
			if (name_len > 0)
				cc_names_ref(blob);

			/* 4. check the fence */
			pg_memory_barrier();
			fence_ok = cc_debug_skip_fence ||
				cc_fence_check(deps, ndeps, s0, name_len > 0);

			/* 5. publish or remove */
			entry = dshash_find(cc_entries, key, true);
			if (entry != NULL && entry->serial == serial)
			{
				if (fence_ok && entry->state == CC_ENTRY_PENDING)
				{
					entry->state = CC_ENTRY_VALID;
					entry->owner_pid = 0;
					dshash_release_lock(cc_entries, entry);
					cc_count(CC_STAT_STORES, 1);
					*result = CC_STORE_STORED;
				}
				else
				{
					if (entry->expires_at != 0)
						pg_atomic_fetch_sub_u64(&cc_shared->ttl_entries, 1);
					dshash_delete_entry(cc_entries, entry);
					pg_atomic_fetch_sub_u64(&cc_shared->entries, 1);
					cc_release_blob(blob_dp);
					cc_count(CC_STAT_REJECTED_STORES, 1);
					*result = CC_STORE_REJECTED;
				}
			}
			else
			{
				/* our DOOMED entry was taken over by another store */
				if (entry != NULL)
					dshash_release_lock(cc_entries, entry);
				cc_release_blob(blob_dp);
				cc_count(CC_STAT_REJECTED_STORES, 1);
				*result = CC_STORE_REJECTED;
			}
			stage = 2;
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * We hold no LWLock of our own here (the caller is a SQL function),
		 * so releasing all of them releases exactly dshash's.
		 */
		LWLockReleaseAll();
		MemoryContextSwitchTo(oldcxt);

		if (stage == 0)
		{
			cc_account(-(int64) accounted);
			dsa_free(cc_area, blob_dp);
		}
		else if (stage == 1)
		{
			CCEntry    *entry = dshash_find(cc_entries, key, true);

			if (entry != NULL && entry->serial == serial)
			{
				if (entry->expires_at != 0)
					pg_atomic_fetch_sub_u64(&cc_shared->ttl_entries, 1);
				dshash_delete_entry(cc_entries, entry);
				pg_atomic_fetch_sub_u64(&cc_shared->entries, 1);
			}
			else if (entry != NULL)
				dshash_release_lock(cc_entries, entry);
			cc_release_blob(blob_dp);
		}

		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_OUT_OF_MEMORY)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		outcome = CC_STORE_NO_MEMORY;
	}
	PG_END_TRY();

	return outcome;
}

/*
 * Link every dependency node of a blob into its dependency's list.  Takes
 * one deps partition lock at a time.  Can ERROR (dshash allocation) with
 * that lock held; see cc_store().
 */
static void
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

		dep = dshash_find_or_insert(cc_deps, &node->dep, &found);
		if (!found)
		{
			dep->head = InvalidDsaPointer;
			dep->count = 0;
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
		dep->count++;
		dshash_release_lock(cc_deps, dep);
	}
}

/*
 * Release a blob that is no longer reachable from the entries table:
 * detach its remaining dependency links, take it out of the CLOCK ring,
 * un-account and free it.  Called with no locks held; takes one lock at a
 * time.
 */
static void
cc_release_blob(dsa_pointer blob_dp)
{
	CCBlob	   *blob = dsa_get_address(cc_area, blob_dp);
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

		if (--dep->count == 0)
		{
			Assert(!DsaPointerIsValid(dep->head));
			dshash_delete_entry(cc_deps, dep);
			cc_account(-(int64) cc_dep_entry_overhead());
		}
		else
			dshash_release_lock(cc_deps, dep);
	}

	if (blob->name_registered)
		cc_names_unref(blob);
	cc_ring_remove(blob_dp, blob);
	cc_account(-(int64) blob->alloc_size);
	dsa_free(cc_area, blob_dp);
}

/* ----------------------------------------------------------------
 * The query-name registry
 * ----------------------------------------------------------------
 */

/*
 * Count the blob's entry under its query name.  Can ERROR (out of memory,
 * with nothing leaked and no lock held by us); cc_store_attempt() catches
 * that.
 */
static void
cc_names_ref(CCBlob *blob)
{
	const char *name = CC_BLOB_NAME(blob);
	uint32		len = blob->name_len;
	uint64		dep = cc_dep_hash_text(CC_DEP_NAME, blob->key.dbid, name, len);
	CCNameEntry *entry;
	dsa_pointer text;
	bool		found;

	entry = dshash_find(cc_names, &dep, true);
	if (entry != NULL)
	{
		entry->count++;
		dshash_release_lock(cc_names, entry);
		blob->name_registered = true;
		return;
	}

	/* a new name: copy it (NUL-terminated) before taking the lock */
	text = dsa_allocate(cc_area, len + 1);
	memcpy(dsa_get_address(cc_area, text), name, len);
	((char *) dsa_get_address(cc_area, text))[len] = '\0';

	PG_TRY();
	{
		entry = dshash_find_or_insert(cc_names, &dep, &found);
	}
	PG_CATCH();
	{
		dsa_free(cc_area, text);
		PG_RE_THROW();
	}
	PG_END_TRY();

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
		pg_atomic_fetch_add_u64(&cc_shared->names, 1);
		cc_account(cc_chunk_size(len + 1) + cc_dep_entry_overhead());
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
		pg_atomic_fetch_sub_u64(&cc_shared->names, 1);
	}
	else
		dshash_release_lock(cc_names, entry);

	if (DsaPointerIsValid(text))
	{
		dsa_free(cc_area, text);
		cc_account(-(int64) (cc_chunk_size(len + 1) + cc_dep_entry_overhead()));
	}
	blob->name_registered = false;
}

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
	max = (int) Min(pg_atomic_read_u64(&cc_shared->names) + 16,
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
 * How many distinct entries depend on any of 'deps' right now.  Reads each
 * list under a shared lock; an entry on several lists counts once.
 */
uint64
cc_count_dependents(const uint64 *deps, int ndeps)
{
	uint64	   *serials = NULL;
	int			nserials = 0;
	int			maxserials = 0;
	uint64		distinct = 0;
	int			d;
	int			i;

	cc_attach();
	for (d = 0; d < ndeps; d++)
	{
		CCDepEntry *entry;
		uint64		count;
		dsa_pointer node_dp;

		cc_interrupt_point();

		entry = dshash_find(cc_deps, &deps[d], false);
		if (entry == NULL)
			continue;
		count = entry->count;
		dshash_release_lock(cc_deps, entry);

		/* make room outside the lock, then copy what fits */
		if (nserials + count > (uint64) maxserials)
		{
			maxserials = (int) (nserials + count) * 2 + 16;
			serials = serials ? repalloc_huge(serials, sizeof(uint64) * maxserials)
				: MemoryContextAllocHuge(CurrentMemoryContext,
										 sizeof(uint64) * maxserials);
		}
		entry = dshash_find(cc_deps, &deps[d], false);
		if (entry == NULL)
			continue;
		for (node_dp = entry->head;
			 DsaPointerIsValid(node_dp) && nserials < maxserials;)
		{
			CCDepLink  *node = dsa_get_address(cc_area, node_dp);
			CCBlob	   *blob = (CCBlob *) ((char *) node - node->blob_off);

			serials[nserials++] = blob->serial;
			node_dp = node->next;
		}
		dshash_release_lock(cc_deps, entry);
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

/* How many VALID entries database 'dbid' has right now. */
uint64
cc_count_database(Oid dbid)
{
	dshash_seq_status status;
	CCEntry    *entry;
	uint64		n = 0;

	cc_attach();
	dshash_seq_init(&status, cc_entries, false);
	while ((entry = dshash_seq_next(&status)) != NULL)
		if (entry->key.dbid == dbid && entry->state == CC_ENTRY_VALID)
			n++;
	dshash_seq_term(&status);
	return n;
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
	return &cc_shared->ghosts[key->h1 % CC_NUM_GHOSTS];
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
static void
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

/* ----------------------------------------------------------------
 * Removal
 * ----------------------------------------------------------------
 */

/*
 * Remove the entry with this key if it is still the incarnation 'serial'.
 * A PENDING entry is only marked DOOMED (its owner removes it).  Returns
 * true if a VALID entry was removed; counts it under 'counter'.  Called
 * with no locks held.
 */
static bool
cc_remove_by_key(const CCKey *key, uint64 serial, int counter)
{
	CCEntry    *entry;
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
	{
		CCBlob	   *blob = dsa_get_address(cc_area, blob_dp);

		if (counter == CC_STAT_INVALIDATIONS)
			cc_ghost_note(key, blob->payload_hash);
		cc_usage_removed(blob->usage_slot, pg_atomic_read_u64(&blob->hits),
						 counter);
	}
	if (entry->expires_at != 0)
		pg_atomic_fetch_sub_u64(&cc_shared->ttl_entries, 1);
	dshash_delete_entry(cc_entries, entry);
	pg_atomic_fetch_sub_u64(&cc_shared->entries, 1);
	cc_release_blob(blob_dp);
	if (counter >= 0)
		cc_count((CCCounter) counter, 1);
	return true;
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
 * it) are remembered by serial and skipped.
 */
uint64
cc_remove_dependents(uint64 dep)
{
	uint64		removed = 0;
	HTAB	   *seen = NULL;

	cc_attach();

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

			if (seen == NULL ||
				hash_search(seen, &blob->serial, HASH_FIND, NULL) == NULL)
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

		if (seen == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(uint64);
			ctl.entrysize = sizeof(uint64);
			ctl.hcxt = CurrentMemoryContext;
			seen = hash_create("cascade_cache invalidated serials", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		for (i = 0; i < n; i++)
		{
			if (cc_remove_by_key(&batch[i].key, batch[i].serial,
								 CC_STAT_INVALIDATIONS))
				removed++;
			(void) hash_search(seen, &batch[i].serial, HASH_ENTER, NULL);
		}
	}

	if (seen != NULL)
		hash_destroy(seen);
	return removed;
}

/*
 * Remove every entry of database 'dbid' (InvalidOid: of every database).
 * Returns the number of VALID entries removed, counted under 'counter'.
 */
uint64
cc_remove_all(Oid dbid, bool expired_only, int counter)
{
	cc_attach();
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
	(void) cc_scan_entries(CC_SCAN_ORPHANS, InvalidOid, -1);
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
cc_scan_entries(CCScanMode mode, Oid dbid, int counter)
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

		maxblobs = (int) Min(pg_atomic_read_u64(&cc_shared->entries) + 64,
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
								 pg_atomic_read_u64(&blob->hits), counter);
			}
			if (entry->expires_at != 0)
				pg_atomic_fetch_sub_u64(&cc_shared->ttl_entries, 1);
			pg_atomic_fetch_sub_u64(&cc_shared->entries, 1);
			dshash_delete_current(&status);
		}
		dshash_seq_term(&status);

		for (i = 0; i < nblobs; i++)
			cc_release_blob(blobs[i]);
		pfree(blobs);

		if (!full)
			break;
	}

	if (counter >= 0 && removed > 0)
		cc_count((CCCounter) counter, removed);
	return removed;
}

/* ----------------------------------------------------------------
 * CLOCK ring and eviction
 * ----------------------------------------------------------------
 */

/*
 * Link a new blob into the ring just behind the hand, so that it gets a
 * full revolution before the sweep first looks at it.
 */
static void
cc_ring_insert(dsa_pointer blob_dp, CCBlob *blob)
{
	LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
	if (!DsaPointerIsValid(cc_shared->clock_hand))
	{
		blob->clock_prev = blob_dp;
		blob->clock_next = blob_dp;
		cc_shared->clock_hand = blob_dp;
	}
	else
	{
		dsa_pointer hand_dp = cc_shared->clock_hand;
		CCBlob	   *hand = dsa_get_address(cc_area, hand_dp);
		CCBlob	   *prev = dsa_get_address(cc_area, hand->clock_prev);

		blob->clock_prev = hand->clock_prev;
		blob->clock_next = hand_dp;
		prev->clock_next = blob_dp;
		hand->clock_prev = blob_dp;
	}
	blob->in_ring = true;
	LWLockRelease(cc_shared->clock_lock);
}

/* Unlink a blob from the ring, if it is in it. */
static void
cc_ring_remove(dsa_pointer blob_dp, CCBlob *blob)
{
	LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
	if (blob->in_ring)
	{
		if (blob->clock_next == blob_dp)
			cc_shared->clock_hand = InvalidDsaPointer;
		else
		{
			CCBlob	   *prev = dsa_get_address(cc_area, blob->clock_prev);
			CCBlob	   *next = dsa_get_address(cc_area, blob->clock_next);

			prev->clock_next = blob->clock_next;
			next->clock_prev = blob->clock_prev;
			if (cc_shared->clock_hand == blob_dp)
				cc_shared->clock_hand = blob->clock_next;
		}
		blob->in_ring = false;
	}
	LWLockRelease(cc_shared->clock_lock);
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
	while (pg_atomic_read_u64(&cc_shared->bytes_used) > target &&
		   evicted < max_victims &&
		   fruitless_steps <= 2 * pg_atomic_read_u64(&cc_shared->entries) + 2)
	{
		CCVictim	batch[CC_EVICT_BATCH];
		int			n = 0;
		int			steps = 0;
		int			removed = 0;
		int			i;

		cc_interrupt_point();

		LWLockAcquire(cc_shared->clock_lock, LW_EXCLUSIVE);
		while (DsaPointerIsValid(cc_shared->clock_hand) &&
			   n < CC_EVICT_BATCH && n < max_victims - evicted &&
			   steps < CC_EVICT_BATCH * 16)
		{
			CCBlob	   *blob = dsa_get_address(cc_area, cc_shared->clock_hand);

			if (blob->referenced)
				blob->referenced = 0;
			else
			{
				batch[n].key = blob->key;
				batch[n].serial = blob->serial;
				n++;
			}
			cc_shared->clock_hand = blob->clock_next;
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
