/*-------------------------------------------------------------------------
 *
 * area.c
 *		The store's shared memory: the DSA area and its four dshash
 *		tables, memory accounting, the gauges and the epoch.
 *
 * The layout is described in src/store/store_int.h, the locking rules in
 * include/store/store.h.  The postmaster creates the area in place in the
 * store's fixed shared memory, with the tables inside its fixed part; each
 * backend attaches once (cc_attach()).
 *
 * Memory accounting: every blob, every dshash item and every registered
 * name is accounted at the size of the DSA chunk that serves it
 * (cc_chunk_size()), dshash items with an average share of their bucket
 * array.  The accounted bytes are kept within the budget
 * (CC_MEMORY_BUDGET_FRACTION of max_memory) by eviction; the rest of the
 * area absorbs fragmentation.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "compat.h"
#include "store_int.h"

/* DSA's largest small size class; larger requests take whole pages */
#define CC_DSA_MAX_SMALL_SIZE	8192
#define CC_DSA_PAGE_SIZE		4096

/* A dshash item's header (dshash_table_item, private to dshash.c) */
#define CC_DSHASH_ITEM_HEADER	MAXALIGN(2 * sizeof(dsa_pointer))

/* Average share of the bucket array per dshash item, in bytes */
#define CC_DSHASH_BUCKET_SHARE	16

/* Set in every process by cc_store_shmem_init() */
CCStoreShared *cc_store_shared = NULL;

/* Per-backend attachment, set up by cc_attach() */
dsa_area   *cc_area = NULL;
dshash_table *cc_entries = NULL;
dshash_table *cc_deps = NULL;
dshash_table *cc_names = NULL;
dshash_table *cc_contexts = NULL;

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

/*
 * The parameters of one of the store's dshash tables.  The keys are fixed
 * size and copied with memcpy (17 made the copy function a parameter).
 */
static dshash_parameters
cc_dshash_params(size_t key_size, size_t entry_size,
				 dshash_compare_function compare,
				 dshash_hash_function hash, int tranche_id)
{
	dshash_parameters p;

	memset(&p, 0, sizeof(p));
	p.key_size = key_size;
	p.entry_size = entry_size;
	p.compare_function = compare;
	p.hash_function = hash;
	CC_DSHASH_COPY_WITH_MEMCPY(p);
	p.tranche_id = tranche_id;
	return p;
}

static dshash_parameters
cc_entries_params(void)
{
	return cc_dshash_params(sizeof(CCKey), sizeof(CCEntry), cc_key_compare,
							cc_key_hash, cc_store_shared->entries_tranche);
}

static dshash_parameters
cc_deps_params(void)
{
	return cc_dshash_params(sizeof(uint64), sizeof(CCDepEntry),
							cc_dep_compare, cc_dep_key_hash,
							cc_store_shared->deps_tranche);
}

static dshash_parameters
cc_names_params(void)
{
	return cc_dshash_params(sizeof(uint64), sizeof(CCNameEntry),
							cc_dep_compare, cc_dep_key_hash,
							cc_store_shared->names_tranche);
}

static dshash_parameters
cc_contexts_params(void)
{
	return cc_dshash_params(sizeof(uint64), sizeof(CCContextEntry),
							cc_dep_compare, cc_dep_key_hash,
							cc_store_shared->contexts_tranche);
}

static void
cc_register_tranches(void)
{
	LWLockRegisterTranche(cc_store_shared->dsa_tranche, "cascade_cache_dsa");
	LWLockRegisterTranche(cc_store_shared->entries_tranche,
						  "cascade_cache_entries");
	LWLockRegisterTranche(cc_store_shared->deps_tranche, "cascade_cache_deps");
	LWLockRegisterTranche(cc_store_shared->names_tranche,
						  "cascade_cache_names");
	LWLockRegisterTranche(cc_store_shared->contexts_tranche,
						  "cascade_cache_contexts");
}

/* ----------------------------------------------------------------
 * Fixed shared memory
 * ----------------------------------------------------------------
 */

Size
cc_store_shmem_size(void)
{
	return add_size(offsetof(CCStoreShared, dsa_space), CC_DSA_INPLACE_SIZE);
}

/*
 * Create (in the postmaster) or find (in EXEC_BACKEND children) the
 * store's shared state.  In the postmaster this also creates the DSA area
 * in place and the four dshash tables.  Under AddinShmemInitLock.
 */
void
cc_store_shmem_init(void)
{
	CCStoreShared *s;
	dsa_area   *area;
	dshash_table *table;
	dshash_parameters params;
	bool		found;
	int			i;

	s = ShmemInitStruct("cascade_cache store", cc_store_shmem_size(), &found);
	cc_store_shared = s;
	if (found)
		return;

	s->dsa_tranche = LWLockNewTrancheId();
	s->entries_tranche = LWLockNewTrancheId();
	s->deps_tranche = LWLockNewTrancheId();
	s->names_tranche = LWLockNewTrancheId();
	s->contexts_tranche = LWLockNewTrancheId();
	s->clock_hand = InvalidDsaPointer;
	pg_atomic_init_u64(&s->bytes_used, 0);
	pg_atomic_init_u64(&s->entries, 0);
	pg_atomic_init_u64(&s->ttl_entries, 0);
	pg_atomic_init_u64(&s->names, 0);
	pg_atomic_init_u64(&s->epoch, 1);
	pg_atomic_init_u64(&s->shortage_logged_at, 0);
	pg_atomic_init_u64(&s->refused_at, 0);
	pg_atomic_init_u64(&s->refused_size, 0);
	for (i = 0; i < CC_NUM_GHOSTS; i++)
		pg_atomic_init_u64(&s->ghosts[i], 0);
	cc_register_tranches();

	/*
	 * Create the area in place and the tables inside its fixed part, as
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

	params = cc_contexts_params();
	table = dshash_create(area, &params, NULL);
	s->contexts_handle = dshash_get_hash_table_handle(table);
	dshash_detach(table);

	dsa_set_size_limit(area, Max(cc_memory_limit_bytes(),
								 CC_DSA_INPLACE_SIZE));
	dsa_detach(area);
}

/*
 * Attach this backend to the DSA area and the four tables, once.  Can
 * ERROR (out of memory); never call it with a lock held.
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
	cc_register_tranches();

	/*
	 * Each step is done once, so that an error half-way (out of memory)
	 * leaves a state the next call completes.
	 */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	if (cc_area == NULL)
	{
		dsa_area   *area = dsa_attach_in_place(cc_store_shared->dsa_space,
											   NULL);

		dsa_pin_mapping(area);
		on_shmem_exit(dsa_on_shmem_exit_release_in_place,
					  PointerGetDatum(cc_store_shared->dsa_space));
		cc_area = area;
	}
	if (cc_entries == NULL)
	{
		params = cc_entries_params();
		cc_entries = dshash_attach(cc_area, &params,
								   cc_store_shared->entries_handle, NULL);
	}
	if (cc_deps == NULL)
	{
		params = cc_deps_params();
		cc_deps = dshash_attach(cc_area, &params,
								cc_store_shared->deps_handle, NULL);
	}
	if (cc_contexts == NULL)
	{
		params = cc_contexts_params();
		cc_contexts = dshash_attach(cc_area, &params,
									cc_store_shared->contexts_handle, NULL);
	}
	params = cc_names_params();
	cc_names = dshash_attach(cc_area, &params, cc_store_shared->names_handle,
							 NULL);
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

/* ----------------------------------------------------------------
 * Memory accounting and gauges
 * ----------------------------------------------------------------
 */

/*
 * The accounted bytes the cache may use: a fixed fraction of max_memory
 * (the rest is slack for the allocator, see CC_MEMORY_BUDGET_FRACTION).
 */
Size
cc_budget_bytes(void)
{
	return (Size) (cc_memory_limit_bytes() * CC_MEMORY_BUDGET_FRACTION);
}

/*
 * The size of the DSA chunk that serves a request of 'size' bytes: DSA's
 * small size classes up to 8kB, whole 4kB pages above.
 */
Size
cc_chunk_size(Size size)
{
	static const uint16 classes[] = {
		8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256,
		320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1560, 1816, 2048,
		2616, 3120, 3640, 4096, 5456, 6552, 7280, 8192
	};
	Size		i;

	if (size > CC_DSA_MAX_SMALL_SIZE)
		return TYPEALIGN(CC_DSA_PAGE_SIZE, size);
	for (i = 0; i < lengthof(classes); i++)
		if (size <= classes[i])
			return classes[i];
	return CC_DSA_MAX_SMALL_SIZE;
}

/* What dshash allocates for one item of a table of 'entry_size' entries */
Size
cc_dshash_item_size(Size entry_size)
{
	return CC_DSHASH_ITEM_HEADER + entry_size;
}

/*
 * Accounted cost of one entry in the entries table: the dshash item plus an
 * average share of the bucket array (8 bytes per bucket, load factor 0.375
 * to 0.75).
 */
Size
cc_entry_overhead(void)
{
	return cc_chunk_size(cc_dshash_item_size(sizeof(CCEntry))) +
		CC_DSHASH_BUCKET_SHARE;
}

/* Accounted cost of one entry in the dependency index. */
Size
cc_dep_entry_overhead(void)
{
	return cc_chunk_size(cc_dshash_item_size(sizeof(CCDepEntry))) +
		CC_DSHASH_BUCKET_SHARE;
}

/* Accounted cost of one entry in the query-name registry (not its text). */
Size
cc_name_entry_overhead(void)
{
	return cc_chunk_size(cc_dshash_item_size(sizeof(CCNameEntry))) +
		CC_DSHASH_BUCKET_SHARE;
}

Size
cc_context_entry_overhead(void)
{
	return cc_chunk_size(cc_dshash_item_size(sizeof(CCContextEntry))) +
		CC_DSHASH_BUCKET_SHARE;
}

void
cc_account(int64 delta)
{
	if (delta >= 0)
		pg_atomic_fetch_add_u64(&cc_store_shared->bytes_used, (uint64) delta);
	else
		pg_atomic_fetch_sub_u64(&cc_store_shared->bytes_used, (uint64) -delta);
}

/* The accounted bytes */
uint64
cc_store_bytes_used(void)
{
	return pg_atomic_read_u64(&cc_store_shared->bytes_used);
}

/* The entries in the table, in any state */
uint64
cc_store_entries(void)
{
	return pg_atomic_read_u64(&cc_store_shared->entries);
}

/* The entries with an expiry time */
uint64
cc_store_ttl_entries(void)
{
	return pg_atomic_read_u64(&cc_store_shared->ttl_entries);
}

int
cc_uint64_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/* ----------------------------------------------------------------
 * The epoch
 * ----------------------------------------------------------------
 */

/*
 * Make every entry invisible at once: the fail-safe of replay, which must
 * not raise errors.  The worker removes the dead entries.  Atomic only.
 */
void
cc_bump_epoch(void)
{
	pg_atomic_fetch_add_u64(&cc_store_shared->epoch, 1);
}

/* Has the epoch moved since *seen?  Updates *seen. */
bool
cc_epoch_changed(uint64 *seen)
{
	uint64		now = pg_atomic_read_u64(&cc_store_shared->epoch);

	if (now == *seen)
		return false;
	*seen = now;
	return true;
}
