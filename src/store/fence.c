/*-------------------------------------------------------------------------
 *
 * fence.c
 *		The generation fence: no result computed from a snapshot that
 *		predates a commit is stored after that commit's invalidation.
 *
 * Removing entries at PRE_COMMIT alone would let a fill whose snapshot
 * predates the commit store its stale result afterwards; removing them at
 * COMMIT alone would leave the old entries servable after the new data is
 * visible.  So both ends are used, through CC_NUM_STRIPES generation
 * stripes in fixed shared memory of their own (cc_fence_shmem_init()).  A
 * dependency key maps onto one stripe, always through cc_stripe_index();
 * two keys sharing a stripe only make the fence more conservative, never
 * less safe.
 *
 *	mark (PRE_COMMIT, cc_fence_mark()): seq := ++inval_seq; for each
 *				dependency's stripe: inprogress++ and gen := max(gen, seq);
 *				then the caller removes every entry that depends on the
 *				changed objects.
 *	unmark (after the commit is visible, its catalog invalidation messages
 *	sent and its locks released, or at abort, cc_fence_unmark()):
 *				seq := ++inval_seq; for each stripe: gen := max(gen, seq),
 *				then inprogress--.
 *
 * A fill reads s0 := inval_seq (cc_fence_begin()) before it parses its
 * query (then accepts the catalog invalidations sent so far), so that what
 * parse analysis and planning looked up in the catalogs is covered too.
 * The store links the new entry into the dependency index, then refuses it
 * if cc_fence_check() finds that any stripe of its dependencies (or of its
 * database, or of the cluster) has inprogress > 0 or gen > s0.  If a commit
 * that the fill's snapshot did not see touched one of its dependencies,
 * either its PRE_COMMIT removal found the new entry in the index, or the
 * check sees its mark or its bump.
 *
 * The marks a backend sets are remembered in a backend-local list (the
 * held stripes) until it unmarks them.  Marks that outlive the backend's
 * transaction are set again on the same stripes without a backend holding
 * them (cc_fence_held(), cc_fence_hold_stripes()): a prepared transaction's
 * (twophase.c, replication.c) and a replayed one's (replay.c).
 *
 * Locking: none.  The stripes are changed and read with pg_atomic
 * operations only; nothing here takes a lock, and only cc_fence_reserve()
 * (and cc_fence_mark(), through it, before it touches shared memory) can
 * ERROR.  Unmarking only does atomic arithmetic on memory prepared when
 * marking, so it cannot fail: it is safe after a commit and at backend
 * exit.  The fence calls nothing above the shared-memory layout.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/shmem.h"
#include "store/fence.h"

/*
 * Number of generation stripes in the fence.  A dependency key maps onto
 * one stripe; two keys sharing a stripe only make the fence more
 * conservative, never less safe.
 */
#define CC_NUM_STRIPES			65536

/*
 * A generation stripe of the fence.  See the header comment.
 */
typedef struct CCStripe
{
	pg_atomic_uint64 gen;		/* invalidation sequence of the last bump */
	pg_atomic_uint32 inprogress;	/* committing invalidations not done */
	uint32		pad;
} CCStripe;

/* Smallest allocation of the held-stripes list */
#define CC_MIN_HELD_STRIPES		64

StaticAssertDecl((CC_NUM_STRIPES & (CC_NUM_STRIPES - 1)) == 0,
				 "CC_NUM_STRIPES must be a power of two");

/* Stripes this backend has marked, to unmark at the end of its xact */
static int *cc_held_stripes = NULL;
static int	cc_nheld = 0;
static int	cc_maxheld = 0;

/* The stripes, set in every process by cc_fence_shmem_init() */
static CCStripe *cc_stripes = NULL;

static void cc_fence_shmem_exit(int code, Datum arg);

/* Size of the stripes.  Called from shmem_request_hook. */
Size
cc_fence_shmem_size(void)
{
	return mul_size(CC_NUM_STRIPES, sizeof(CCStripe));
}

/*
 * Create (in the postmaster) or find (in EXEC_BACKEND children) the
 * stripes.  Called from shmem_startup_hook under AddinShmemInitLock.
 */
void
cc_fence_shmem_init(void)
{
	bool		found;
	int			i;

	cc_stripes = ShmemInitStruct("cascade_cache fence",
								 cc_fence_shmem_size(), &found);
	if (found)
		return;
	for (i = 0; i < CC_NUM_STRIPES; i++)
	{
		pg_atomic_init_u64(&cc_stripes[i].gen, 0);
		pg_atomic_init_u32(&cc_stripes[i].inprogress, 0);
	}
}

/* The stripe a dependency key maps onto: the one place that says so. */
int
cc_stripe_index(uint64 dep)
{
	return (int) (dep & (CC_NUM_STRIPES - 1));
}

/* gen := max(gen, seq), lock-free */
static inline void
cc_stripe_bump(CCStripe *stripe, uint64 seq)
{
	uint64		cur = pg_atomic_read_u64(&stripe->gen);

	while (cur < seq &&
		   !pg_atomic_compare_exchange_u64(&stripe->gen, &cur, seq))
		;
}

/* Mark stripe 'idx' in progress as of invalidation 'seq' */
static inline void
cc_stripe_mark(int idx, uint64 seq)
{
	CCStripe   *stripe = &cc_stripes[idx];

	pg_atomic_fetch_add_u32(&stripe->inprogress, 1);
	cc_stripe_bump(stripe, seq);
}

/* Bump stripe 'idx' to invalidation 'seq', then unmark it */
static inline void
cc_stripe_unmark(int idx, uint64 seq)
{
	CCStripe   *stripe = &cc_stripes[idx];

	cc_stripe_bump(stripe, seq);
	pg_atomic_fetch_sub_u32(&stripe->inprogress, 1);
}

/* Has the stripe of 'dep' been marked or bumped since s0? */
static inline bool
cc_stripe_moved(uint64 dep, uint64 s0)
{
	CCStripe   *stripe = &cc_stripes[cc_stripe_index(dep)];

	return pg_atomic_read_u32(&stripe->inprogress) > 0 ||
		pg_atomic_read_u64(&stripe->gen) > s0;
}

/*
 * Start of a fill: the invalidation sequence, read before the fill takes
 * its snapshot.  (On a standby the caller first releases the held
 * invalidations whose transaction has ended, so that they do not refuse
 * this fill; see cc_replica_release().)
 */
uint64
cc_fence_begin(void)
{
	uint64		s0;

	pg_memory_barrier();
	s0 = pg_atomic_read_u64(&cc_shared->inval_seq);
	pg_memory_barrier();
	return s0;
}

/*
 * May a fill that started at s0 and depends on 'deps' be published?  Also
 * checks the keys every entry implicitly depends on: its database and the
 * whole cluster, and for an entry with a query name, any query name of its
 * database (PREFIX and PATTERN invalidations mark that).  Lock-free; the
 * caller has issued a memory barrier after linking the entry into the
 * dependency index.
 */
bool
cc_fence_check(const uint64 *deps, int ndeps, uint64 s0, bool named)
{
	int			i;

	if (cc_stripe_moved(cc_dep_hash(CC_DEP_CLUSTER, InvalidOid,
									InvalidOid), s0) ||
		cc_stripe_moved(cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId,
									InvalidOid), s0))
		return false;
	if (named &&
		cc_stripe_moved(cc_dep_hash(CC_DEP_NAME_ANY, MyDatabaseId,
									InvalidOid), s0))
		return false;
	for (i = 0; i < ndeps; i++)
		if (cc_stripe_moved(deps[i], s0))
			return false;
	return true;
}

/*
 * Make room in the held list for 'n' more stripes, and make sure a backend
 * that holds marks clears them when it exits.  (The exit callback is
 * registered by the backend itself: a postmaster child forgets the
 * callbacks _PG_init registered, on_exit_reset().)  Can ERROR; call it
 * before marking anything.
 */
void
cc_fence_reserve(int n)
{
	static bool exit_registered = false;

	if (!exit_registered)
	{
		on_shmem_exit(cc_fence_shmem_exit, (Datum) 0);
		exit_registered = true;
	}

	if (cc_nheld + n > cc_maxheld)
	{
		int			newmax = Max(CC_MIN_HELD_STRIPES, (cc_nheld + n) * 2);

		if (cc_held_stripes == NULL)
			cc_held_stripes = MemoryContextAlloc(TopMemoryContext,
												 sizeof(int) * newmax);
		else
			cc_held_stripes = repalloc(cc_held_stripes, sizeof(int) * newmax);
		cc_maxheld = newmax;
	}
}

/*
 * Mark the stripes of 'deps' as being invalidated; this backend holds the
 * marks until cc_fence_unmark() (a prepared transaction marks them again
 * for itself, see twophase.c).  Can ERROR (growing the held list) before it
 * touches shared memory, never after.
 */
void
cc_fence_mark(const uint64 *deps, int ndeps)
{
	uint64		seq;
	int			i;

	cc_fence_reserve(ndeps);

	seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	for (i = 0; i < ndeps; i++)
	{
		int			idx = cc_stripe_index(deps[i]);

		cc_stripe_mark(idx, seq);
		cc_held_stripes[cc_nheld++] = idx;
	}
}

/*
 * Bump and unmark every stripe this backend holds.  Atomic arithmetic on
 * prepared memory only: safe after a commit and at backend exit.
 */
void
cc_fence_unmark(void)
{
	uint64		seq;
	int			i;

	if (cc_nheld == 0)
		return;

	seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	for (i = 0; i < cc_nheld; i++)
		cc_stripe_unmark(cc_held_stripes[i], seq);
	cc_nheld = 0;
}

/* The stripes this backend holds marked. */
void
cc_fence_held(int **stripes, int *nstripes)
{
	*stripes = cc_held_stripes;
	*nstripes = cc_nheld;
}

/*
 * Mark stripes as being invalidated on behalf of a replayed transaction
 * (replay.c, replication.c), like cc_fence_mark() without a backend holding
 * them.
 * Atomics only.
 */
void
cc_fence_hold_stripes(const int *stripes, int n)
{
	uint64		seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	int			i;

	for (i = 0; i < n; i++)
		cc_stripe_mark(stripes[i], seq);
}

/* Bump and unmark stripes held by cc_fence_hold_stripes().  Atomics only. */
void
cc_fence_release_stripes(const int *stripes, int n)
{
	uint64		seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	int			i;

	for (i = 0; i < n; i++)
		cc_stripe_unmark(stripes[i], seq);
}

/*
 * Backend exit: never leave stripes marked (an ERROR or FATAL between the
 * mark and the unmark of a commit, say).  Cannot fail.
 */
static void
cc_fence_shmem_exit(int code, Datum arg)
{
	if (cc_shared != NULL)
		cc_fence_unmark();
}
