/*-------------------------------------------------------------------------
 *
 * store.c
 *		The store's entry points: the hit path, storing (prepare, publish,
 *		abandon), what is stored under a key, and the walk over the cached
 *		entries.
 *
 * The layout is described in src/store/store_int.h, the locking rules and
 * the order of the store's files in include/store/store.h.
 *
 * Storing
 * -------
 * A store is a small state machine (CCStoreState below), at most one per
 * backend:
 *
 *	IDLE --cc_store_prepare()--> ALLOCATING --> ALLOCATED --> PENDING
 *	--> LINKED --cc_store_publish() or cc_store_abandon()--> IDLE
 *
 *	IDLE:		no store in progress; the handle holds nothing.
 *	ALLOCATING:	taking the blob, the name's and the context's copies and
 *				the dshash reserve, each recorded in the handle as it is
 *				taken (so that an ERROR can be cleaned up).
 *	ALLOCATED:	the blob is allocated, accounted and filled, and the name's
 *				copy for the registry allocated; nothing in shared memory
 *				refers to them yet.  If the key is taken (another backend
 *				stored, or is storing, it) the blob is freed and the store
 *				ends RACED: back to IDLE.  Otherwise the entry is inserted
 *				as PENDING (taking over an expired VALID or a DOOMED one).
 *	PENDING:	the entry is in the table, PENDING, owned by this backend
 *				(others may only mark it DOOMED); the blob is being linked
 *				into the CLOCK ring, its dependencies' lists and the name
 *				registry.
 *	LINKED:		all linked; cc_store_prepare() returns CC_STORE_PREPARED.
 *				The caller checks the fence.  cc_store_publish() flips the
 *				entry to VALID (STORED) unless it was DOOMED or taken over
 *				meanwhile (REJECTED); cc_store_abandon() removes it
 *				(REJECTED).
 *
 * Errors: every allocation is made in ALLOCATED or before, with
 * MCXT_ALLOC_NO_OOM / DSA_ALLOC_NO_OOM, and a failure frees what was allocated
 * and ends the attempt: nothing in shared memory was touched.  Two things
 * raise ERROR all the same: a new DSM segment the system refuses
 * (DSA_ALLOC_NO_OOM covers only the area's size limit), and dshash's own
 * allocation when it inserts an item (the entry, a dependency list head, a
 * registry name) or grows a table's bucket array (PostgreSQL 15's dshash has
 * no NO_OOM insert, and raises it with its partition locks held).  So a try of
 * the store, allocation and inserts, runs under cc_area_guarded() (guard.c),
 * in a subtransaction: should taking memory raise ERROR, rolling the
 * subtransaction back releases the locks as PostgreSQL does for any error, the
 * store's subtransaction abort callback ends the store from whatever state it
 * reached (freeing what it took: each allocation is recorded in the handle as
 * it is made), and the store counts as no room; no lock is ever released by
 * hand.  (Before that, the store makes sure a chunk of the entry's size is
 * free, so that the common case never gets that far.)  In parallel mode no
 * subtransaction can start: the store then makes sure a chunk of every item's
 * size is free first, and should dshash run out all the same (another backend
 * took the room, or a table grows its bucket array) it raises ERROR, and the
 * (sub)transaction abort callbacks end the store.
 *
 * When the area is exhausted (the accounting budget normally prevents it,
 * allocator fragmentation can still cause it: a dshash table growing its
 * bucket array needs contiguous pages) the store evicts a tenth of the
 * cache and tries again, twice at most, then gives up: CC_STORE_NO_MEMORY.
 * When the system refused a segment, it evicts a tenth and tries once
 * more; but for a result larger than a tenth of what the cache holds, or
 * one the back-off refused (guard.c), it gives up at once, evicting
 * nothing.
 * Outside parallel mode the cache never raises an error for lack of room.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "store_int.h"

/* Tries of cc_allocate_blob(), each after evicting */
#define CC_ALLOCATE_TRIES		4

/*
 * Attempts of cc_store_prepare(), each after the first after making real
 * room (after a segment the system refused, two at most)
 */
#define CC_STORE_ATTEMPTS		3

/* Victims a backend evicts, at most, to make room for its own blob */
#define CC_EVICT_FOR_STORE		(CC_EVICT_BATCH * 4)

/* The states of a store; see the header comment */
typedef enum CCStoreState
{
	CC_STORE_IDLE = 0,
	CC_STORE_ALLOCATING,
	CC_STORE_ALLOCATED,
	CC_STORE_PENDING,
	CC_STORE_LINKED
} CCStoreState;

struct CCStoreHandle
{
	CCStoreState state;
	CCKey		key;
	uint64		serial;			/* the entry's incarnation */
	dsa_pointer blob;
	Size		accounted;		/* the blob's accounted size */
	dsa_pointer name_text;		/* the registry's copy of the name, until the
								 * registry takes it */
	dsa_pointer context_copy;	/* the context registry's copy of the recipe's
								 * context, until it takes it */
	uint32		context_len;
	TimestampTz now;			/* when the store began */
	uint32		payload_hash;	/* of the uncompressed payload */
	int			usage_slot;
	uint64	   *deps;			/* sorted, unique; palloc'd */
	int			ndeps;
	dsa_pointer *reserved;		/* cc_reserve_dshash_items()'s chunks, while
								 * it has them */
	int			nreserved;
};

/* What cc_store_attempt() is given and returns */
typedef struct CCStoreAttempt
{
	CCStoreHandle *h;
	struct varlena *stored;
	const Oid  *relids;
	int			nrelids;
	const char *name;
	const char *recipe;
	uint32		recipe_len;
	uint32		context_len;
	int64		ttl_us;
	CCStoreResult result;
} CCStoreAttempt;

/* The store in progress in this backend, if any */
static CCStoreHandle cc_store_current;

static bool cc_store_allocate(CCStoreHandle *h, struct varlena *stored,
							  const Oid *relids, int nrelids,
							  const char *name, const char *recipe,
							  uint32 recipe_len, uint32 context_len,
							  int64 ttl_us);
static CCStoreResult cc_store_insert(CCStoreHandle *h, int64 ttl_us);
static void cc_store_attempt(void *arg);
static void cc_store_free_reserved(CCStoreHandle *h, bool free_array);
static void cc_store_finish(CCStoreHandle *h, CCEntry *entry, bool free_local);
static void cc_store_register_cleanup(void);

/* ----------------------------------------------------------------
 * Storing
 * ----------------------------------------------------------------
 */

/*
 * Allocate a blob of 'size' bytes, evicting to make room.  Returns
 * InvalidDsaPointer if the cache cannot make room.  No locks held.  Raises
 * ERROR only if the system refuses a new DSM segment (cc_area_allocate()),
 * or for an interrupt while evicting.
 */
static dsa_pointer
cc_allocate_blob(Size size, Size accounted)
{
	int			attempt;

	for (attempt = 0; attempt < CC_ALLOCATE_TRIES; attempt++)
	{
		Size		budget = cc_budget_bytes();
		dsa_pointer dp;

		if (accounted > budget)
			return InvalidDsaPointer;
		/* refused at once by the back-off: do not evict for it */
		if (cc_area_backed_off(size))
			break;

		if (pg_atomic_read_u64(&cc_store_shared->bytes_used) + accounted > budget ||
			pg_atomic_read_u64(&cc_store_shared->entries) >= CC_MAX_ENTRIES)
		{
			cc_evict_to(budget - accounted, CC_EVICT_FOR_STORE);
			cc_wake_worker();
			if (pg_atomic_read_u64(&cc_store_shared->bytes_used) + accounted > budget)
				continue;
		}

		dp = cc_area_allocate(size, DSA_ALLOC_HUGE);
		if (DsaPointerIsValid(dp))
			return dp;
		/* refused at once by the back-off: evicting would not help */
		if (cc_area_last_refusal() == CC_AREA_BACKED_OFF)
			break;
		/* no try follows (the store's own retry evicts for itself) */
		if (attempt == CC_ALLOCATE_TRIES - 1)
			break;

		/* The area is full although the budget is not: fragmentation. */
		cc_evict_to(pg_atomic_read_u64(&cc_store_shared->bytes_used) / 10 * 9,
					CC_EVICT_FOR_STORE);
	}
	return InvalidDsaPointer;
}

/*
 * Make sure the area has room for what dshash will allocate when the store
 * inserts its items: allocate, with DSA_ALLOC_NO_OOM, a chunk of each
 * item's size, then free them all.  Outside parallel mode that is the
 * entry only (most dependency list heads, registry names and recipe
 * contexts exist already, and an insert that does run out is caught by
 * cc_area_guarded()); in parallel mode, where nothing can catch
 * it, it is every item: the entry, a list head per dependency, the name,
 * the context.  Returns false if there is no room.  The chunks are kept in
 * 'h' while it has them, for the abort clean-up: taking one can raise
 * ERROR (a new DSM segment refused).  No locks held.
 */
static bool
cc_reserve_dshash_items(CCStoreHandle *h, bool named, bool with_context)
{
	int			n = 1;
	dsa_pointer *chunks;
	bool		ok = true;
	int			ndeps = h->ndeps;
	int			i;

	if (IsInParallelMode())
		n += ndeps + (named ? 1 : 0) + (with_context ? 1 : 0);
	chunks = palloc_extended(sizeof(dsa_pointer) * n, MCXT_ALLOC_NO_OOM);
	if (chunks == NULL)
		return false;
	/* where the abort clean-up finds them, should taking one raise ERROR */
	h->reserved = chunks;
	h->nreserved = 0;
	for (i = 0; i < n && ok; i++)
	{
		Size		size;

		if (i == 0)
			size = cc_dshash_item_size(sizeof(CCEntry));
		else if (i <= ndeps)
			size = cc_dshash_item_size(sizeof(CCDepEntry));
		else if (named && i == ndeps + 1)
			size = cc_dshash_item_size(sizeof(CCNameEntry));
		else
			size = cc_dshash_item_size(sizeof(CCContextEntry));
		chunks[i] = cc_area_allocate(size, 0);
		ok = DsaPointerIsValid(chunks[i]);
		if (ok)
			h->nreserved = i + 1;
	}
	cc_store_free_reserved(h, true);
	return ok;
}

/*
 * Free the chunks cc_reserve_dshash_items() took, and their array.  Cannot
 * fail.
 */
static void
cc_store_free_reserved(CCStoreHandle *h, bool free_array)
{
	int			i;

	for (i = 0; i < h->nreserved; i++)
		dsa_free(cc_area, h->reserved[i]);
	if (free_array && h->reserved != NULL)
		pfree(h->reserved);
	h->reserved = NULL;
	h->nreserved = 0;
}

/*
 * Store a result, first step (IDLE -> LINKED, see the header comment).
 *
 * 'deps' are the dependency keys the fill recorded (duplicates allowed).
 * 'compress': store the payload compressed when that saves space (a hit
 * then decompresses it); false stores it as it is, for a hit that must
 * hand out the bytes at the cost of a copy.  'recipe' (recipe_len bytes,
 * or NULL) is kept with the entry, opaque to the store, for
 * cc_recipe_copy(): its first context_len bytes (the context) in the
 * contexts registry, shared with other entries, the rest in the blob (at
 * most PG_UINT16_MAX bytes: a longer recipe is not kept).  Returns
 * CC_STORE_PREPARED and sets *handle: the caller checks the fence
 * over cc_store_deps() (the entry may only become visible if no
 * invalidation of any of its dependencies can have committed since the
 * fill began), then calls cc_store_publish() or cc_store_abandon(), with
 * nothing that can ERROR in between.  Otherwise returns what the store came
 * to: CC_STORE_RACED, CC_STORE_TOO_MANY_DEPS or CC_STORE_NO_MEMORY; the
 * caller counts it.  Called with no locks held.
 */
CCStoreResult
cc_store_prepare(const CCKey *key, struct varlena *payload, bool compress,
				 const uint64 *deps_in,
				 int ndeps_in, const Oid *relids, int nrelids,
				 const char *name, const char *recipe, uint32 recipe_len,
				 uint32 context_len, int64 ttl_us, CCStoreHandle **handle)
{
	CCStoreHandle *h = &cc_store_current;
	uint64	   *deps;
	int			ndeps;
	int			attempt;
	int			i;
	struct varlena *stored;
	bool		refused = false;

	*handle = NULL;
	/* the blob keeps the name's length in 16 bits (callers allow 1kB) */
	if (name != NULL && strlen(name) > PG_UINT16_MAX)
		elog(ERROR, "cascade_cache: a query name of %zu bytes", strlen(name));
	cc_attach();
	cc_store_register_cleanup();
	/* a store that stopped half-way was finished by the abort callbacks */
	Assert(h->state == CC_STORE_IDLE);

	/* sort and de-duplicate the dependencies */
	deps = palloc(sizeof(uint64) * Max(ndeps_in, 1));
	memcpy(deps, deps_in, sizeof(uint64) * ndeps_in);
	qsort(deps, ndeps_in, sizeof(uint64), cc_uint64_cmp);
	for (i = 0, ndeps = 0; i < ndeps_in; i++)
		if (ndeps == 0 || deps[ndeps - 1] != deps[i])
			deps[ndeps++] = deps[i];

	if (ndeps > CC_MAX_DEPS_PER_ENTRY)
	{
		pfree(deps);
		return CC_STORE_TOO_MANY_DEPS;
	}

	memset(h, 0, sizeof(CCStoreHandle));
	h->key = *key;
	h->blob = InvalidDsaPointer;
	h->name_text = InvalidDsaPointer;
	h->context_copy = InvalidDsaPointer;
	h->payload_hash = hash_bytes((const unsigned char *) payload,
								 VARSIZE(payload));
	h->deps = deps;
	h->ndeps = ndeps;
	stored = compress ? cc_compress(payload) : payload;
	h->usage_slot = cc_usage_name_slot(key->dbid, name);
	nrelids = Min(nrelids, CC_MAX_RELIDS_PER_ENTRY);

	/*
	 * The blob keeps the recipe's own part in at most PG_UINT16_MAX bytes.
	 * cc_recipe_build() makes none longer (a whole recipe is at most
	 * CC_MAX_RECIPE_BYTES, its head included); one that were would be left
	 * out, and the entry stored without it, never replayed.
	 */
	Assert(recipe == NULL || context_len <= recipe_len);
	if (recipe != NULL && recipe_len - context_len > PG_UINT16_MAX)
		recipe = NULL;

	for (attempt = 0; attempt < CC_STORE_ATTEMPTS; attempt++)
	{
		CCStoreAttempt a = {h, stored, relids, nrelids, name, recipe,
		recipe_len, context_len, ttl_us, CC_STORE_NO_MEMORY};
		CCStoreResult result;
		CCAreaRefusal refusal;

		/* the abort clean-up of a failed try forgot the array, not freed it */
		h->deps = deps;
		/* on false, the abort clean-up ended the store */
		result = cc_area_guarded(cc_store_attempt, &a) ? a.result :
			CC_STORE_NO_MEMORY;
		refusal = cc_area_last_refusal();
		Assert(result != CC_STORE_NO_MEMORY || h->state == CC_STORE_IDLE);
		if (result != CC_STORE_NO_MEMORY)
		{
			/* room made after a refused segment: the back-off is over */
			if (refused)
				cc_area_backoff_end();
			if (stored != payload)
				pfree(stored);
			if (result == CC_STORE_RACED)
				return CC_STORE_RACED;
			Assert(result == CC_STORE_PREPARED);
			*handle = h;
			return CC_STORE_PREPARED;
		}

		/*
		 * Refused at once by the back-off, or a segment refused for more than
		 * a tenth of what the cache holds: evicting would not make room
		 * (guard.c).
		 */
		if (refusal == CC_AREA_BACKED_OFF ||
			(refusal == CC_AREA_REFUSED &&
			 VARSIZE(stored) > cc_store_bytes_used() / 10))
			break;
		/* no try follows: evicting now would only empty the cache */
		if (attempt == CC_STORE_ATTEMPTS - 1 ||
			(attempt > 0 && refusal == CC_AREA_REFUSED))
			break;
		refused = refusal == CC_AREA_REFUSED;
		if (refused)
			cc_area_skip_backoff_once();
		/* make real room: a tenth of what is there */
		cc_evict_to(cc_store_bytes_used() / 10 * 9, INT_MAX);
		cc_wake_worker();
	}
	if (stored != payload)
		pfree(stored);
	pfree(deps);
	h->deps = NULL;
	return CC_STORE_NO_MEMORY;
}

/*
 * One try of a store, under cc_area_guarded() (see "Errors" in the header
 * comment): allocate (IDLE -> ALLOCATED), then insert (-> LINKED, or back
 * to IDLE when RACED).  Sets a->result; CC_STORE_NO_MEMORY with nothing
 * taken if the area cannot hold it.  Should taking memory raise ERROR all
 * the same (a new DSM segment refused, dshash's own allocation), the
 * guard's rollback runs the store's subtransaction abort callback, which
 * ends the store from the state it reached.  No locks held on entry or
 * exit.
 */
static void
cc_store_attempt(void *arg)
{
	CCStoreAttempt *a = (CCStoreAttempt *) arg;

	a->result = CC_STORE_NO_MEMORY;
	if (cc_store_allocate(a->h, a->stored, a->relids, a->nrelids, a->name,
						  a->recipe, a->recipe_len, a->context_len,
						  a->ttl_us))
		a->result = cc_store_insert(a->h, a->ttl_us);
}

/*
 * IDLE -> ALLOCATED: allocate, account and fill the blob, and allocate the
 * name's copy for the registry, all with NO_OOM; make sure dshash will
 * find room too.  Returns false, with nothing allocated, if the area
 * cannot hold it.  Each allocation is recorded in 'h' as soon as it is
 * made, so that the abort clean-up frees it should a later one raise
 * ERROR (a new DSM segment refused; cc_area_guarded()).  No locks held.
 */
static bool
cc_store_allocate(CCStoreHandle *h, struct varlena *stored,
				  const Oid *relids,
				  int nrelids, const char *name, const char *recipe,
				  uint32 recipe_len, uint32 context_len, int64 ttl_us)
{
	int			name_len = name ? strlen(name) : 0;
	uint32		payload_len = VARSIZE(stored);
	uint32		params_len = recipe ? recipe_len - context_len : 0;
	dsa_pointer context = InvalidDsaPointer;
	Size		payload_off;
	Size		size;
	Size		accounted;
	dsa_pointer blob_dp;
	dsa_pointer text = InvalidDsaPointer;
	CCBlob	   *blob;
	int			i;

	/* the same lengths give the same figures for the blob later */
	payload_off = cc_blob_payload_offset(h->ndeps, nrelids, name_len,
										 params_len);
	size = payload_off + payload_len;
	accounted = cc_blob_accounted_size(size);
	h->state = CC_STORE_ALLOCATING;
	h->blob = blob_dp = cc_allocate_blob(size, accounted);
	if (!DsaPointerIsValid(blob_dp))
	{
		h->state = CC_STORE_IDLE;
		return false;
	}
	if (name_len > 0)
		h->name_text = text = cc_area_allocate(name_len + 1, 0);

	if (recipe != NULL)
		h->context_copy = context = cc_area_allocate(Max(context_len, 1), 0);

	if ((name_len > 0 && !DsaPointerIsValid(text)) ||
		(recipe != NULL && !DsaPointerIsValid(context)) ||
		!cc_reserve_dshash_items(h, name_len > 0, recipe != NULL))
	{
		/* back to IDLE: frees what was taken, keeps the dependency array */
		cc_store_finish(h, NULL, false);
		return false;
	}
	cc_account(accounted);
	h->accounted = accounted;

	h->now = GetCurrentTimestamp();
	h->serial = pg_atomic_fetch_add_u64(&cc_shared->next_serial, 1);
	h->context_len = context_len;
	if (recipe != NULL)
		memcpy(dsa_get_address(cc_area, context), recipe, context_len);

	blob = dsa_get_address(cc_area, blob_dp);
	blob->key = h->key;
	blob->serial = h->serial;
	blob->clock_prev = InvalidDsaPointer;
	blob->clock_next = InvalidDsaPointer;
	blob->created_at = h->now;
	blob->context_hash = recipe ? cc_context_hash(recipe, context_len) : 0;
	pg_atomic_init_u32(&blob->hits, 0);
	blob->payload_len = payload_len;
	blob->payload_hash = h->payload_hash;
	blob->ndeps = h->ndeps;
	blob->nrelids = nrelids;
	blob->name_len = name_len;
	blob->usage_slot = h->usage_slot;
	blob->recipe_len = params_len;
	blob->referenced = 0;
	blob->name_registered = false;
	blob->context_registered = false;
	Assert(cc_blob_payload_off(blob) == payload_off &&
		   cc_blob_accounted(blob) == accounted);
	for (i = 0; i < h->ndeps; i++)
	{
		blob->deps[i].dep = h->deps[i];
		blob->deps[i].prev = InvalidDsaPointer;
		blob->deps[i].next = CC_LINK_DETACHED;
		blob->deps[i].blob_off = offsetof(CCBlob, deps) + i * sizeof(CCDepLink);
	}
	if (nrelids > 0)
		memcpy(CC_BLOB_RELIDS(blob), relids, nrelids * sizeof(Oid));
	if (name_len > 0)
		memcpy(CC_BLOB_NAME(blob), name, name_len);
	if (params_len > 0)
		memcpy(CC_BLOB_RECIPE(blob), recipe + context_len, params_len);
	memcpy((char *) blob + payload_off, stored, payload_len);

	h->state = CC_STORE_ALLOCATED;
	return true;
}

/*
 * ALLOCATED -> PENDING -> LINKED, or ALLOCATED -> IDLE if the key is taken
 * (returns CC_STORE_RACED).  No locks held on entry.
 */
static CCStoreResult
cc_store_insert(CCStoreHandle *h, int64 ttl_us)
{
	CCEntry    *entry;
	CCBlob	   *blob = dsa_get_address(cc_area, h->blob);
	dsa_pointer old_blob = InvalidDsaPointer;
	uint64		epoch;
	bool		found;

	entry = cc_area_insert(cc_entries, &h->key, &found);
	/* under the entry's lock, as every reader of the epoch does */
	epoch = pg_atomic_read_u64(&cc_store_shared->epoch);
	if (found)
	{
		bool		expired = ((entry->expires_at != 0 &&
								entry->expires_at <= h->now) ||
							   entry->epoch != epoch);

		if (entry->state == CC_ENTRY_PENDING ||
			(entry->state == CC_ENTRY_VALID && !expired))
		{
			/* somebody else stored (or is storing) this key: keep theirs */
			dshash_release_lock(cc_entries, entry);
			cc_store_finish(h, NULL, true);
			return CC_STORE_RACED;
		}

		/*
		 * Take the key over.  An expired VALID entry's blob is ours to
		 * release; a DOOMED entry's blob belongs to its owner, who will find
		 * the serial changed and release it.  (A DOOMED entry leaves the
		 * entry count only: its expiry, if it had one, stays counted in
		 * ttl_entries.)
		 */
		if (entry->state == CC_ENTRY_VALID)
		{
			old_blob = entry->blob;
			cc_entry_uncount(entry);
		}
		else
			pg_atomic_fetch_sub_u64(&cc_store_shared->entries, 1);
	}
	h->state = CC_STORE_PENDING;
	entry->state = CC_ENTRY_PENDING;
	entry->owner_pid = MyProcPid;
	entry->serial = h->serial;
	entry->blob = h->blob;
	entry->expires_at = ttl_us > 0 ? h->now + ttl_us : 0;
	entry->epoch = epoch;
	dshash_release_lock(cc_entries, entry);
	pg_atomic_fetch_add_u64(&cc_store_shared->entries, 1);
	if (ttl_us > 0)
		pg_atomic_fetch_add_u64(&cc_store_shared->ttl_entries, 1);

	if (DsaPointerIsValid(old_blob))
	{
		CCBlob	   *old = dsa_get_address(cc_area, old_blob);

		cc_usage_removed(old->usage_slot, cc_blob_hits(old),
						 CC_STAT_EXPIRATIONS);
		cc_release_blob(old_blob);
		cc_count(CC_STAT_EXPIRATIONS, 1);
	}

	/* link into the CLOCK ring, the dependency lists, the name registry */
	cc_ring_insert(h->blob, blob);
	cc_link_deps(h->blob, blob);
	if (DsaPointerIsValid(h->name_text))
	{
		cc_names_ref(blob, h->name_text);
		h->name_text = InvalidDsaPointer;
	}
	if (DsaPointerIsValid(h->context_copy))
	{
		cc_context_ref(blob, h->context_copy, h->context_len);
		h->context_copy = InvalidDsaPointer;
	}

	/* the links are visible before the caller reads the fence */
	pg_memory_barrier();
	h->state = CC_STORE_LINKED;
	return CC_STORE_PREPARED;
}

/* The prepared store's dependencies, sorted and unique, for the fence */
const uint64 *
cc_store_deps(CCStoreHandle *h, int *ndeps)
{
	Assert(h->state == CC_STORE_LINKED);
	*ndeps = h->ndeps;
	return h->deps;
}

/*
 * LINKED -> IDLE: the fence let the result through; make the entry VALID.
 * Returns CC_STORE_STORED, or CC_STORE_REJECTED if an invalidation doomed
 * the entry meanwhile (or another store took the DOOMED key over); the
 * caller counts it.  Counts the store by query name.  Cannot fail.
 */
CCStoreResult
cc_store_publish(CCStoreHandle *h)
{
	CCEntry    *entry;

	Assert(h->state == CC_STORE_LINKED);
	entry = dshash_find(cc_entries, &h->key, true);
	if (entry == NULL || entry->serial != h->serial ||
		entry->state != CC_ENTRY_PENDING)
	{
		cc_store_finish(h, entry, true);
		return CC_STORE_REJECTED;
	}
	entry->state = CC_ENTRY_VALID;
	entry->owner_pid = 0;
	dshash_release_lock(cc_entries, entry);
	h->state = CC_STORE_IDLE;
	h->blob = InvalidDsaPointer;	/* the entry's now */
	h->accounted = 0;

	cc_usage_stored(h->usage_slot);
	cc_ghost_check(&h->key, h->payload_hash);
	pfree(h->deps);
	h->deps = NULL;
	return CC_STORE_STORED;
}

/*
 * LINKED -> IDLE: the fence refused the result; remove the entry.  Returns
 * CC_STORE_REJECTED; the caller counts it.  Cannot fail.
 */
CCStoreResult
cc_store_abandon(CCStoreHandle *h)
{
	Assert(h->state == CC_STORE_LINKED);
	cc_store_finish(h, dshash_find(cc_entries, &h->key, true), true);
	return CC_STORE_REJECTED;
}

/*
 * End the store 'h' without publishing it, from whatever state it reached:
 * remove its entry if it is still ours ('entry', exclusively locked, or
 * NULL if the caller found none or did not look), and release the blob.
 * 'free_local': pfree the dependency array (not during abort, where its
 * memory context goes anyway).  Takes one lock at a time; cannot fail.
 */
static void
cc_store_finish(CCStoreHandle *h, CCEntry *entry, bool free_local)
{
	switch (h->state)
	{
		case CC_STORE_IDLE:
			Assert(entry == NULL && !DsaPointerIsValid(h->blob));
			break;
		case CC_STORE_ALLOCATING:
		case CC_STORE_ALLOCATED:
			/* what cc_store_allocate() took so far */
			Assert(entry == NULL);
			if (DsaPointerIsValid(h->blob))
			{
				cc_account(-(int64) h->accounted);
				dsa_free(cc_area, h->blob);
			}
			cc_store_free_reserved(h, free_local);
			break;
		case CC_STORE_PENDING:
		case CC_STORE_LINKED:
			if (entry != NULL && entry->serial == h->serial)
				cc_entry_delete(entry, NULL);
			else if (entry != NULL)
				dshash_release_lock(cc_entries, entry);
			cc_release_blob(h->blob);
			break;
	}
	if (DsaPointerIsValid(h->name_text))
		dsa_free(cc_area, h->name_text);
	h->name_text = InvalidDsaPointer;
	if (DsaPointerIsValid(h->context_copy))
		dsa_free(cc_area, h->context_copy);
	h->context_copy = InvalidDsaPointer;
	h->blob = InvalidDsaPointer;
	h->accounted = 0;
	if (free_local && h->deps != NULL)
		pfree(h->deps);
	h->deps = NULL;
	h->state = CC_STORE_IDLE;
}

/*
 * A store that an ERROR interrupted (dshash's allocation, or the caller's
 * code between prepare and publish) is finished when the (sub)transaction
 * aborts.  PostgreSQL has released every LWLock by then.
 */
static void
cc_store_abort_cleanup(void)
{
	CCStoreHandle *h = &cc_store_current;

	if (h->state == CC_STORE_IDLE)
		return;
	if (h->state == CC_STORE_PENDING || h->state == CC_STORE_LINKED)
		cc_store_finish(h, dshash_find(cc_entries, &h->key, true), false);
	else
		cc_store_finish(h, NULL, false);
}

/*
 * Transaction callback: at XACT_EVENT_ABORT / PARALLEL_ABORT, end a store
 * an ERROR interrupted (cc_store_abort_cleanup()).  Every other event is
 * ignored: a store never spans a commit (prepare and publish run in one
 * cached_query() call).  Runs after PostgreSQL released every LWLock;
 * takes one dshash partition lock at a time; cannot fail.
 */
static void
cc_store_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		cc_store_abort_cleanup();
}

/*
 * Subtransaction callback: at SUBXACT_EVENT_ABORT_SUB, end a store an ERROR
 * interrupted inside that subtransaction (among them the one cc_area_guarded()
 * starts for a try of the store).  A store in progress is always the innermost
 * thing running, so any subtransaction that aborts while one is in progress is
 * the one that interrupted it.  Same rules as above.
 */
static void
cc_store_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cc_store_abort_cleanup();
}

/* Register the abort callbacks, once per backend.  Can ERROR. */
static void
cc_store_register_cleanup(void)
{
	static bool registered = false;

	if (registered)
		return;
	RegisterXactCallback(cc_store_xact_callback, NULL);
	RegisterSubXactCallback(cc_store_subxact_callback, NULL);
	registered = true;
}
