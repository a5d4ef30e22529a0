/*-------------------------------------------------------------------------
 *
 * invalidate.c
 *		Knowing what a transaction changed, and removing what it makes
 *		stale no later than the moment its commit becomes visible.
 *
 * What changed
 * ------------
 *	- ExecutorStart_hook sees every plan the backend runs, including SQL
 *	  run inside functions and triggers and foreign-key actions: the result
 *	  relations of INSERT, UPDATE, DELETE and MERGE (and data-modifying
 *	  WITH) are recorded in a pending set, with the subtransaction level,
 *	  unless they are watched tables whose trigger reports every changed
 *	  row (precise.c).  The same hook lets precise.c record what a fill
 *	  reads.
 *	- ProcessUtility_hook records the target of COPY FROM (and lets
 *	  twophase.c see PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED).
 *	- At commit, xactGetCommittedInvalidationMessages() lists the relcache
 *	  and catcache invalidations the transaction will send: every DDL on a
 *	  relation (ALTER, DROP, rename, TRUNCATE, GRANT/REVOKE, policies, row
 *	  level security), function and schema changes (which flush the
 *	  database's entries) and role changes (which flush everything).
 *	- A write to any member of a partition tree counts as a write to the
 *	  whole tree (rows can move between partitions, and INSERT routes
 *	  through the root).
 *	- Rolled-back subtransactions drop what they recorded; so does abort.
 *
 * The fence
 * ---------
 * Removing entries at PRE_COMMIT alone would let a fill whose snapshot
 * predates the commit store its stale result afterwards; removing them at
 * COMMIT alone would leave the old entries servable after the new data is
 * visible.  So both ends are used, through CC_NUM_STRIPES generation
 * stripes in fixed shared memory (a dependency key maps onto a stripe):
 *
 *	PRE_COMMIT: seq := ++inval_seq; for each dependency's stripe:
 *				inprogress++ and gen := max(gen, seq); then remove every
 *				entry that depends on the changed objects.
 *	after COMMIT (once the commit is visible, its catalog invalidation
 *	messages sent and its locks released: the top-level resource release),
 *	or at ABORT:
 *				seq := ++inval_seq; for each stripe: gen := max(gen, seq),
 *				then inprogress--.
 *
 * A fill reads s0 := inval_seq before it parses its query (then accepts
 * the catalog invalidations sent so far), so that what parse analysis and
 * planning looked up in the catalogs is covered too.  cc_store()
 * links the new entry into the dependency index, then refuses it if any
 * stripe of its dependencies (or of its database, or of the cluster) has
 * inprogress > 0 or gen > s0.  If a commit that the fill's snapshot did
 * not see touched one of its dependencies, either its PRE_COMMIT removal
 * found the new entry in the index, or the store sees its mark or its
 * bump.  Unmarking only does atomic arithmetic on memory prepared at
 * PRE_COMMIT, so it cannot fail.
 *
 * Two-phase commit: PREPARE TRANSACTION does the PRE_COMMIT half and hands
 * the marks to COMMIT PREPARED; see twophase.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "storage/ipc.h"
#include "storage/sinval.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"

PG_FUNCTION_INFO_V1(cache_flush);
PG_FUNCTION_INFO_V1(cache_invalidate_relation);

/* A relation written in this transaction, and the lowest level it was at */
typedef struct CCPendingRel
{
	Oid			relid;			/* hash key */
	int			level;
} CCPendingRel;

/* A dependency key (tag, type, name) a cascade or a trigger invalidates */
typedef struct CCPendingDep
{
	uint64		dep;			/* hash key */
	int			level;
	Oid			relid;			/* the relation it stands for, if any */
} CCPendingDep;

/* A PREFIX or PATTERN scope on query names, or a whole-database flush */
typedef struct CCPendingScope
{
	int			level;
	bool		flush_db;		/* ALL */
	bool		prefix;			/* else a glob pattern */
	char	   *pattern;
} CCPendingScope;

/*
 * A commit that invalidates more keys, or more query-name scopes, than
 * this flushes its database instead.
 */
#define CC_MAX_COMMIT_DEPS		65536
#define CC_MAX_COMMIT_SCOPES	64

/* Entries a commit removed through the keys of one relation */
typedef struct CCRelRemoved
{
	Oid			relid;
	uint64		removed;
} CCRelRemoved;

/* Saved hook values */
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Relations written by the current transaction; NULL if none */
static HTAB *cc_pending_rels = NULL;

/* Keys and scopes the current transaction invalidates (cascade.c) */
static HTAB *cc_pending_deps = NULL;
static List *cc_pending_scopes = NIL;
static MemoryContext cc_pending_cxt = NULL;

/* Stripes this backend has marked in progress, to unmark at end of xact */
static int *cc_held_stripes = NULL;
static int	cc_nheld = 0;
static int	cc_maxheld = 0;

/* The fill in progress, if any */
static CCFill *cc_current_fill = NULL;

static void cc_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void cc_copy_target(Oid relid);
static void cc_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);
static void cc_xact_callback(XactEvent event, void *arg);
static void cc_resource_release(ResourceReleasePhase phase, bool isCommit,
								bool isTopLevel, void *arg);
static void cc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								SubTransactionId parentSubid, void *arg);
static void cc_shmem_exit(int code, Datum arg);
static void cc_pending_add(Oid relid);
static void cc_pending_reset(void);
static bool cc_collect_commit_deps(uint64 **deps, Oid **relids, int *ndeps,
								   bool *flush_db, bool *flush_all);
static void cc_add_relation_deps(Oid relid, uint64 **deps, Oid **relids,
								 int *ndeps, int *maxdeps);
static void cc_count_relation_invalidations(CCRelRemoved *pairs, int n);
static void cc_fence_unmark(void);
static StringInfo cc_scopes_for_wal(void);
static inline CCStripe *cc_stripe(uint64 dep);

/*
 * Install the hooks and callbacks.  Called from _PG_init.
 */
void
cc_invalidate_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = cc_ExecutorStart;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = cc_ProcessUtility;
	RegisterXactCallback(cc_xact_callback, NULL);
	RegisterSubXactCallback(cc_subxact_callback, NULL);
	RegisterResourceReleaseCallback(cc_resource_release, NULL);
}

/* ----------------------------------------------------------------
 * The fence
 * ----------------------------------------------------------------
 */

static inline CCStripe *
cc_stripe(uint64 dep)
{
	return &cc_shared->stripes[dep & (CC_NUM_STRIPES - 1)];
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

/* The stripe a dependency key maps onto. */
int
cc_stripe_index(uint64 dep)
{
	return (int) (dep & (CC_NUM_STRIPES - 1));
}

/*
 * Mark stripes as being invalidated on behalf of a replayed transaction
 * (replication.c), like cc_fence_mark() without a backend holding them.
 * Atomics only.
 */
void
cc_fence_hold_stripes(const int *stripes, int n)
{
	uint64		seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_atomic_fetch_add_u32(&cc_shared->stripes[stripes[i]].inprogress, 1);
		cc_stripe_bump(&cc_shared->stripes[stripes[i]], seq);
	}
}

/* Bump and unmark stripes held by cc_fence_hold_stripes().  Atomics only. */
void
cc_fence_release_stripes(const int *stripes, int n)
{
	uint64		seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	int			i;

	for (i = 0; i < n; i++)
	{
		cc_stripe_bump(&cc_shared->stripes[stripes[i]], seq);
		pg_atomic_fetch_sub_u32(&cc_shared->stripes[stripes[i]].inprogress, 1);
	}
}

/*
 * Start of a fill: the invalidation sequence, read before the fill takes
 * its snapshot.  Release first the held invalidations (replication.c)
 * whose transaction has ended, so that they do not refuse this fill.
 */
uint64
cc_fence_begin(void)
{
	uint64		s0;

	cc_replica_release();

	pg_memory_barrier();
	s0 = pg_atomic_read_u64(&cc_shared->inval_seq);
	pg_memory_barrier();
	return s0;
}

static inline bool
cc_stripe_moved(uint64 dep, uint64 s0)
{
	CCStripe   *stripe = cc_stripe(dep);

	return pg_atomic_read_u32(&stripe->inprogress) > 0 ||
		pg_atomic_read_u64(&stripe->gen) > s0;
}

/*
 * May a fill that started at s0 and depends on 'deps' be published?  Also
 * checks the keys every entry implicitly depends on: its database and the
 * whole cluster, and for an entry with a query name, any query name of its
 * database (PREFIX and PATTERN invalidations mark that).  Lock-free; the caller has issued a memory barrier after
 * linking the entry into the dependency index.
 */
bool
cc_fence_check(const uint64 *deps, int ndeps, uint64 s0, bool named)
{
	int			i;

	if (cc_stripe_moved(cc_dep_hash(CC_DEP_CLUSTER, InvalidOid, InvalidOid), s0) ||
		cc_stripe_moved(cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId, InvalidOid), s0))
		return false;
	if (named &&
		cc_stripe_moved(cc_dep_hash(CC_DEP_NAME_ANY, MyDatabaseId, InvalidOid), s0))
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
		on_shmem_exit(cc_shmem_exit, (Datum) 0);
		exit_registered = true;
	}

	if (cc_nheld + n > cc_maxheld)
	{
		int			newmax = Max(64, (cc_nheld + n) * 2);

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
 * marks until cc_fence_unmark() (or hands them over, see twophase.c).  Can
 * ERROR (growing the held list) before it touches shared memory, never
 * after.
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
		int			idx = (int) (deps[i] & (CC_NUM_STRIPES - 1));
		CCStripe   *stripe = &cc_shared->stripes[idx];

		pg_atomic_fetch_add_u32(&stripe->inprogress, 1);
		cc_stripe_bump(stripe, seq);
		cc_held_stripes[cc_nheld++] = idx;
	}
}

/* The stripes this backend holds marked. */
void
cc_fence_held(int **stripes, int *nstripes)
{
	*stripes = cc_held_stripes;
	*nstripes = cc_nheld;
}

/*
 * Forget the held marks without clearing them: a prepared transaction's
 * slot owns them now.
 */
void
cc_fence_forget(void)
{
	cc_nheld = 0;
}

/*
 * Take over marks set by another backend (a prepared transaction's), to be
 * cleared at the end of this transaction.  The caller reserved the room, so
 * this cannot fail.
 */
void
cc_fence_adopt(const int *stripes, int nstripes)
{
	Assert(cc_nheld + nstripes <= cc_maxheld);
	memcpy(cc_held_stripes + cc_nheld, stripes, sizeof(int) * nstripes);
	cc_nheld += nstripes;
}

/*
 * Bump and unmark every stripe this backend holds.  Atomic arithmetic on
 * prepared memory only: safe after a commit and at backend exit.
 */
static void
cc_fence_unmark(void)
{
	uint64		seq;
	int			i;

	if (cc_nheld == 0)
		return;

	seq = pg_atomic_add_fetch_u64(&cc_shared->inval_seq, 1);
	for (i = 0; i < cc_nheld; i++)
	{
		CCStripe   *stripe = &cc_shared->stripes[cc_held_stripes[i]];

		cc_stripe_bump(stripe, seq);
		pg_atomic_fetch_sub_u32(&stripe->inprogress, 1);
	}
	cc_nheld = 0;
}

/*
 * Invalidate 'deps' now, outside of any commit: mark, remove, unmark.
 * Returns the number of entries removed.  Used by the SQL functions.
 */
static uint64
cc_invalidate_now(const uint64 *deps, int ndeps, bool flush_db)
{
	volatile uint64 removed = 0;
	int			i;

	cc_attach();
	cc_wal_log_now(deps, ndeps, flush_db, false);
	PG_TRY();
	{
		cc_fence_mark(deps, ndeps);
		for (i = 0; i < ndeps; i++)
			removed += cc_remove_dependents(deps[i]);
		if (flush_db)
			removed += cc_remove_all(MyDatabaseId, false, CC_STAT_INVALIDATIONS);
	}
	PG_FINALLY();
	{
		cc_fence_unmark();
	}
	PG_END_TRY();
	cc_count(CC_STAT_INVALIDATION_EVENTS, 1);
	return removed;
}

/* ----------------------------------------------------------------
 * Fills
 * ----------------------------------------------------------------
 */

void
cc_fill_push(CCFill *fill)
{
	fill->outer = cc_current_fill;
	cc_current_fill = fill;
}

void
cc_fill_pop(CCFill *fill)
{
	Assert(cc_current_fill == fill);
	cc_current_fill = fill->outer;
}

bool
cc_fill_active(void)
{
	return cc_current_fill != NULL;
}

/*
 * Note what a fill records, for cache_explain().  Only when the fill
 * describes itself (never for real fills).
 */
void
cc_fill_note(CCFill *fill, const char *fmt,...)
{
	MemoryContext oldcxt;
	ListCell   *lc;
	char	   *note;
	va_list		args;
	StringInfoData buf;

	if (fill == NULL || !fill->describe)
		return;
	oldcxt = MemoryContextSwitchTo(fill->cxt);
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	note = buf.data;
	foreach(lc, fill->notes)
		if (strcmp((char *) lfirst(lc), note) == 0)
			break;
	if (lc == NULL)
		fill->notes = lappend(fill->notes, note);
	MemoryContextSwitchTo(oldcxt);
}

/* Record a relation a fill read, for the statistics (this fill only). */
void
cc_fill_add_relation(CCFill *fill, Oid relid)
{
	int			i;

	for (i = 0; i < fill->nrelids; i++)
		if (fill->relids[i] == relid)
			return;
	if (fill->nrelids >= fill->maxrelids)
	{
		int			newmax = Max(8, fill->maxrelids * 2);

		if (fill->relids == NULL)
			fill->relids = MemoryContextAlloc(fill->cxt, sizeof(Oid) * newmax);
		else
			fill->relids = repalloc(fill->relids, sizeof(Oid) * newmax);
		fill->maxrelids = newmax;
	}
	fill->relids[fill->nrelids++] = relid;
}

/* The innermost fill running, or NULL. */
CCFill *
cc_fill_current(void)
{
	return cc_current_fill;
}

/* Record a dependency of a fill (and of the fills it is nested in). */
void
cc_fill_add_dep(CCFill *fill, uint64 dep)
{
	for (; fill != NULL; fill = fill->outer)
	{
		if (fill->ndeps >= fill->maxdeps)
		{
			int			newmax = Max(16, fill->maxdeps * 2);

			if (fill->deps == NULL)
				fill->deps = MemoryContextAlloc(fill->cxt,
												sizeof(uint64) * newmax);
			else
				fill->deps = repalloc(fill->deps, sizeof(uint64) * newmax);
			fill->maxdeps = newmax;
		}
		fill->deps[fill->ndeps++] = dep;
	}
}

/*
 * Has the current transaction written anything?  Then cached_query must
 * neither serve nor store (read-your-writes).
 */
bool
cc_xact_has_writes(void)
{
	return TransactionIdIsValid(GetTopTransactionIdIfAny()) ||
		(cc_pending_rels != NULL && hash_get_num_entries(cc_pending_rels) > 0) ||
		(cc_pending_deps != NULL && hash_get_num_entries(cc_pending_deps) > 0) ||
		cc_pending_scopes != NIL;
}

/* ----------------------------------------------------------------
 * Hooks
 * ----------------------------------------------------------------
 */

/*
 * ExecutorStart hook: record written relations, and the relations a fill
 * reads.
 */
static void
cc_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *pstmt = queryDesc->plannedstmt;
	ListCell   *lc;

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	if (pstmt->commandType != CMD_SELECT || pstmt->hasModifyingCTE)
	{
		foreach(lc, pstmt->resultRelations)
		{
			RangeTblEntry *rte = rt_fetch(lfirst_int(lc), pstmt->rtable);

			/* a watched table's trigger describes the write row by row */
			if (!cc_precise_write(rte->relid))
				cc_pending_add(rte->relid);
			/* a catalog written by hand: nothing it changes is explained */
			if (IsCatalogRelationOid(rte->relid))
				cc_catalog_note_catalog_write();
		}
	}

	if (cc_current_fill != NULL)
		cc_precise_fill_start(queryDesc, cc_current_fill);
}

/* The next ProcessUtility in the chain. */
static void
cc_call_process_utility(PlannedStmt *pstmt, const char *queryString,
						bool readOnlyTree, ProcessUtilityContext context,
						ParamListInfo params, QueryEnvironment *queryEnv,
						DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* VACUUM, marked while it runs (cc_catalog_note_vacuum()). */
static void
cc_call_vacuum(PlannedStmt *pstmt, const char *queryString,
			   bool readOnlyTree, ProcessUtilityContext context,
			   ParamListInfo params, QueryEnvironment *queryEnv,
			   DestReceiver *dest, QueryCompletion *qc)
{
	cc_catalog_note_vacuum(true);
	PG_TRY();
	{
		cc_call_process_utility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		cc_catalog_note_vacuum(false);
	}
	PG_END_TRY();
}

/*
 * ProcessUtility hook: COPY FROM writes without the executor; catalog
 * changes are noted (catalog_inval.c); VACUUM is marked while it runs.
 */
static void
cc_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	RangeVar   *copy_target = NULL;

	if (IsA(parsetree, CopyStmt) && ((CopyStmt *) parsetree)->is_from &&
		((CopyStmt *) parsetree)->relation != NULL)
	{
		Oid			relid;

		/*
		 * The table COPY will write, resolved now, with the lock COPY takes
		 * first thing: a trigger or default it runs can change the
		 * search_path, or create a table of the same name, before the name
		 * is resolved again below.
		 */
		copy_target = copyObject(((CopyStmt *) parsetree)->relation);
		relid = RangeVarGetRelidExtended(copy_target, RowExclusiveLock,
										 RVR_MISSING_OK, NULL, NULL);
		if (OidIsValid(relid))
			cc_copy_target(relid);
	}

	if (IsA(parsetree, TransactionStmt))
		cc_twophase_before((TransactionStmt *) parsetree);
	cc_catalog_note_utility(parsetree);

	/* VACUUM commits its own transactions; see cc_catalog_note_vacuum */
	if (IsA(parsetree, VacuumStmt) && ((VacuumStmt *) parsetree)->is_vacuumcmd)
		cc_call_vacuum(pstmt, queryString, readOnlyTree, context, params,
					   queryEnv, dest, qc);
	else
		cc_call_process_utility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (IsA(parsetree, TransactionStmt))
		cc_twophase_after((TransactionStmt *) parsetree);

	/* ... and as COPY resolved it (a table created meanwhile, say) */
	if (copy_target != NULL)
	{
		Oid			relid = RangeVarGetRelid(copy_target, NoLock, true);

		if (OidIsValid(relid))
			cc_copy_target(relid);
	}
}

/* A relation COPY FROM writes. */
static void
cc_copy_target(Oid relid)
{
	cc_pending_add(relid);
	if (IsCatalogRelationOid(relid))
		cc_catalog_note_catalog_write();
}

/* ----------------------------------------------------------------
 * The pending set
 * ----------------------------------------------------------------
 */

static void
cc_pending_add(Oid relid)
{
	CCPendingRel *rel;
	bool		found;
	int			level = GetCurrentTransactionNestLevel();

	if (cc_pending_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CCPendingRel);
		ctl.hcxt = TopMemoryContext;
		cc_pending_rels = hash_create("cascade_cache pending relations", 16,
									  &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	rel = hash_search(cc_pending_rels, &relid, HASH_ENTER, &found);
	if (!found || level < rel->level)
		rel->level = level;
}

/* Invalidate relation 'relid' as a whole at commit (a bulk write). */
void
cc_pending_add_relation(Oid relid)
{
	cc_pending_add(relid);
}

static void
cc_pending_reset(void)
{
	if (cc_pending_rels != NULL)
	{
		hash_destroy(cc_pending_rels);
		cc_pending_rels = NULL;
	}
	if (cc_pending_cxt != NULL)
	{
		MemoryContextDelete(cc_pending_cxt);
		cc_pending_cxt = NULL;
	}
	cc_pending_deps = NULL;
	cc_pending_scopes = NIL;
}

/* The memory context of the cascade part of the pending set. */
static MemoryContext
cc_pending_memory(void)
{
	if (cc_pending_cxt == NULL)
		cc_pending_cxt = AllocSetContextCreate(TopMemoryContext,
											   "cascade_cache pending",
											   ALLOCSET_DEFAULT_SIZES);
	return cc_pending_cxt;
}

/*
 * Invalidate dependency key 'dep' when the current (sub)transaction
 * commits.  Used for entity tags, types and query names.
 */
void
cc_pending_add_dep(uint64 dep)
{
	cc_pending_add_dep_rel(dep, InvalidOid);
}

/* The same, for a key that stands for (part of) relation 'relid'. */
void
cc_pending_add_dep_rel(uint64 dep, Oid relid)
{
	CCPendingDep *pd;
	bool		found;
	int			level = GetCurrentTransactionNestLevel();

	if (cc_pending_deps == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(CCPendingDep);
		ctl.hcxt = cc_pending_memory();
		cc_pending_deps = hash_create("cascade_cache pending keys", 64, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	pd = hash_search(cc_pending_deps, &dep, HASH_ENTER, &found);
	if (!found || level < pd->level)
		pd->level = level;
	if (!found)
		pd->relid = relid;
}

/*
 * Invalidate, at commit, every entry whose query name starts with (prefix)
 * or matches (glob) 'pattern', or with flush_db every entry of the
 * database.
 */
void
cc_pending_add_scope(bool flush_db, bool prefix, const char *pattern)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cc_pending_memory());
	CCPendingScope *scope = palloc0(sizeof(CCPendingScope));

	scope->level = GetCurrentTransactionNestLevel();
	scope->flush_db = flush_db;
	scope->prefix = prefix;
	scope->pattern = pattern ? pstrdup(pattern) : NULL;
	cc_pending_scopes = lappend(cc_pending_scopes, scope);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Append a dependency key, and the relation it stands for (InvalidOid if
 * none), growing both arrays as needed.
 */
static void
cc_deps_append(uint64 **deps, Oid **relids, int *ndeps, int *maxdeps,
			   uint64 dep, Oid relid)
{
	if (*ndeps >= *maxdeps)
	{
		*maxdeps *= 2;
		*deps = repalloc(*deps, sizeof(uint64) * *maxdeps);
		*relids = repalloc(*relids, sizeof(Oid) * *maxdeps);
	}
	(*deps)[*ndeps] = dep;
	(*relids)[*ndeps] = relid;
	(*ndeps)++;
}

/*
 * The root of the partition tree 'relid' belongs to, following pg_inherits
 * itself: a partition being detached (DETACH PARTITION CONCURRENTLY) still
 * says it is a partition while get_partition_ancestors() no longer lists
 * its parent.  Raises no ERROR of its own (catalog access aside).
 */
static Oid
cc_partition_root(Oid relid)
{
	Relation	inherits = table_open(InheritsRelationId, AccessShareLock);
	Oid			root = relid;
	int			depth;

	/* a partition tree is far shallower; the bound only guards a cycle */
	for (depth = 0; depth < 1000; depth++)
	{
		SysScanDesc scan;
		ScanKeyData key;
		HeapTuple	tuple;
		Oid			parent = InvalidOid;

		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(root));
		scan = systable_beginscan(inherits, InheritsRelidSeqnoIndexId, true,
								  NULL, 1, &key);
		tuple = systable_getnext(scan);
		if (HeapTupleIsValid(tuple))
			parent = ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent;
		systable_endscan(scan);
		if (!OidIsValid(parent) || get_rel_relkind(parent) != RELKIND_PARTITIONED_TABLE)
			break;
		root = parent;
	}
	table_close(inherits, AccessShareLock);
	return root;
}

/*
 * Append a relation's dependency key; for a member of a partition tree,
 * the keys of the whole tree.
 */
static void
cc_add_relation_deps(Oid relid, uint64 **deps, Oid **relids, int *ndeps,
					 int *maxdeps)
{
	List	   *rels = NIL;
	ListCell   *lc;
	char		relkind = get_rel_relkind(relid);

	if (relkind == RELKIND_PARTITIONED_TABLE || get_rel_relispartition(relid))
	{
		Oid			root = cc_partition_root(relid);

		rels = find_all_inheritors(root, NoLock, NULL);
		/* a partition being detached may not be listed under its root */
		if (root != relid)
			rels = list_concat_unique_oid(rels,
										  find_all_inheritors(relid, NoLock,
															  NULL));
	}
	else
		rels = list_make1_oid(relid);

	foreach(lc, rels)
		cc_deps_append(deps, relids, ndeps, maxdeps,
					   cc_dep_hash(CC_DEP_RELATION, MyDatabaseId,
								   lfirst_oid(lc)),
					   lfirst_oid(lc));
	list_free(rels);
}

/*
 * Everything the committing transaction invalidates, as dependency keys
 * plus two flags.  Returns false if it invalidates nothing.  Runs at
 * PRE_COMMIT: may access the catalogs, may ERROR.
 */
static bool
cc_collect_commit_deps(uint64 **deps, Oid **relids, int *ndeps,
					   bool *flush_db, bool *flush_all)
{
	SharedInvalidationMessage *msgs;
	bool		initfile;
	int			nmsgs;
	int			maxdeps = 16;
	int			i;
	ListCell   *lc;

	*deps = palloc(sizeof(uint64) * maxdeps);
	*relids = palloc(sizeof(Oid) * maxdeps);
	*ndeps = 0;
	*flush_db = false;
	*flush_all = false;

	if (cc_pending_rels != NULL)
	{
		HASH_SEQ_STATUS status;
		CCPendingRel *rel;

		hash_seq_init(&status, cc_pending_rels);
		while ((rel = hash_seq_search(&status)) != NULL)
			cc_add_relation_deps(rel->relid, deps, relids, ndeps, &maxdeps);
	}

	if (cc_pending_deps != NULL)
	{
		HASH_SEQ_STATUS status;
		CCPendingDep *pd;

		hash_seq_init(&status, cc_pending_deps);
		while ((pd = hash_seq_search(&status)) != NULL)
			cc_deps_append(deps, relids, ndeps, &maxdeps, pd->dep, pd->relid);
	}

	/* the audit row this commit writes changes the audit table */
	if (cc_audit_will_write())
	{
		Oid			audit = cc_audit_relid();

		if (OidIsValid(audit))
			cc_add_relation_deps(audit, deps, relids, ndeps, &maxdeps);
	}

	/* too many name scopes to resolve one by one: the whole database */
	if (list_length(cc_pending_scopes) > CC_MAX_COMMIT_SCOPES)
		*flush_db = true;
	foreach(lc, cc_pending_scopes)
	{
		CCPendingScope *scope = (CCPendingScope *) lfirst(lc);
		uint64	   *named;
		uint64		unused;
		int			nnamed;
		int			i;

		if (scope->flush_db)
			*flush_db = true;
		if (*flush_db)
			continue;

		/* the names that match now; NAME_ANY fences the ones to come */
		nnamed = cc_names_matching(MyDatabaseId, scope->prefix,
								   scope->pattern, &named, &unused);
		for (i = 0; i < nnamed + 1; i++)
			cc_deps_append(deps, relids, ndeps, &maxdeps,
						   i < nnamed ? named[i] :
						   cc_dep_hash(CC_DEP_NAME_ANY, MyDatabaseId,
									   InvalidOid),
						   InvalidOid);
	}

	nmsgs = xactGetCommittedInvalidationMessages(&msgs, &initfile);
	for (i = 0; i < nmsgs; i++)
	{
		SharedInvalidationMessage *msg = &msgs[i];

		if (msg->id == SHAREDINVALRELCACHE_ID)
		{
			if (msg->rc.dbId != MyDatabaseId)
				continue;		/* shared catalogs: never cached */
			if (!OidIsValid(msg->rc.relId))
				*flush_db = true;
			else
				cc_add_relation_deps(msg->rc.relId, deps, relids, ndeps,
									 &maxdeps);
		}
	}
	/* catalog cache messages: catalog_inval.c decides, failing closed */
	cc_catalog_commit_verdict(msgs, nmsgs, flush_db, flush_all);

	/*
	 * Past CC_MAX_COMMIT_DEPS keys, the whole database instead: this bounds
	 * the work at commit, the WAL record and its replay on standbys.
	 */
	if (*ndeps > CC_MAX_COMMIT_DEPS || (*flush_db && *ndeps > 0))
	{
		*ndeps = 0;
		*flush_db = true;
	}

	return *ndeps > 0 || *flush_db || *flush_all;
}

/*
 * The PREFIX and PATTERN scopes of the transaction, for the WAL record
 * (replication.c): each one byte ('P' for PREFIX, 'G' for a glob
 * PATTERN), the pattern and a NUL.
 * A standby resolves them against the query names of its own cache, which
 * may hold names this server never saw.  NULL if there are none.  Can
 * ERROR.
 */
static StringInfo
cc_scopes_for_wal(void)
{
	StringInfo	buf = NULL;
	ListCell   *lc;

	foreach(lc, cc_pending_scopes)
	{
		CCPendingScope *scope = (CCPendingScope *) lfirst(lc);

		if (scope->flush_db)
			continue;
		if (buf == NULL)
			buf = makeStringInfo();
		appendStringInfoChar(buf, scope->prefix ? 'P' : 'G');
		appendBinaryStringInfo(buf, scope->pattern, strlen(scope->pattern) + 1);
	}
	return buf;
}

/*
 * The first half of a commit's invalidation, run at PRE_COMMIT (and at
 * PRE_PREPARE): mark the fence for everything the transaction changed and
 * remove every entry that depends on it.  Returns false if the transaction
 * changed nothing we track.  May ERROR, which aborts the transaction (and
 * the ABORT callback then unmarks).
 */
bool
cc_begin_commit_invalidation(void)
{
	uint64	   *deps;
	Oid		   *relids;
	CCRelRemoved *by_dep;
	int			ndeps;
	bool		flush_db;
	bool		flush_all;
	int			i;
	uint64		removed = 0;
	TimestampTz started = GetCurrentTimestamp();

	if (!cc_collect_commit_deps(&deps, &relids, &ndeps, &flush_db, &flush_all))
	{
		/* a cascade that matched nothing still leaves its audit row */
		cc_audit_pre_commit(0, 0);
		return false;
	}

	cc_attach();
	by_dep = palloc0(sizeof(CCRelRemoved) * Max(ndeps, 1));

	/* standbys: the same invalidation, before the commit record */
	cc_wal_log_commit(deps, ndeps, flush_db, flush_all,
					  flush_db || flush_all ? NULL : cc_scopes_for_wal());
	for (i = 0; i < ndeps; i++)
		by_dep[i].relid = relids[i];

	cc_fence_mark(deps, ndeps);
	if (flush_db)
	{
		uint64		dbdep = cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId,
										InvalidOid);

		cc_fence_mark(&dbdep, 1);
	}
	if (flush_all)
	{
		uint64		alldep = cc_dep_hash(CC_DEP_CLUSTER, InvalidOid,
										 InvalidOid);

		cc_fence_mark(&alldep, 1);
	}

	for (i = 0; i < ndeps; i++)
	{
		by_dep[i].removed = cc_remove_dependents(deps[i]);
		removed += by_dep[i].removed;
	}
	if (flush_all)
		removed += cc_remove_all(InvalidOid, false, CC_STAT_INVALIDATIONS);
	else if (flush_db)
		removed += cc_remove_all(MyDatabaseId, false, CC_STAT_INVALIDATIONS);

	cc_count(CC_STAT_INVALIDATION_EVENTS, 1);
	cc_count_relation_invalidations(by_dep, ndeps);
	pfree(deps);
	pfree(relids);
	pfree(by_dep);

	/* the audit row, for transactions that reported a cascade or changed watched rows */
	cc_audit_pre_commit(removed, GetCurrentTimestamp() - started);
	return true;
}

static int
cc_relid_removed_cmp(const void *a, const void *b)
{
	Oid			x = ((const CCRelRemoved *) a)->relid;
	Oid			y = ((const CCRelRemoved *) b)->relid;

	return (x > y) - (x < y);
}

/*
 * Credit each written relation whose keys removed entries with them, for
 * cache_relation_stats().  Sorts 'pairs' in place; allocates nothing and
 * cannot fail.
 */
static void
cc_count_relation_invalidations(CCRelRemoved *pairs, int n)
{
	int			start = 0;
	int			i;

	qsort(pairs, n, sizeof(CCRelRemoved), cc_relid_removed_cmp);
	for (i = 1; i <= n; i++)
	{
		if (i == n || pairs[i].relid != pairs[start].relid)
		{
			if (OidIsValid(pairs[start].relid))
			{
				uint64		sum = 0;
				int			k;

				for (k = start; k < i; k++)
					sum += pairs[k].removed;
				if (sum > 0)
					cc_usage_relation(pairs[start].relid, sum);
			}
			start = i;
		}
	}
}

/* ----------------------------------------------------------------
 * Transaction callbacks
 * ----------------------------------------------------------------
 */

static void
cc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			(void) cc_begin_commit_invalidation();
			break;

		case XACT_EVENT_PRE_PREPARE:
			(void) cc_begin_commit_invalidation();
			cc_twophase_pre_prepare();
			break;

		case XACT_EVENT_PREPARE:
			/* the prepared transaction's slot keeps the marks */
			cc_twophase_prepared();
			cc_fence_unmark();
			cc_cascade_xact_end(true);
			cc_catalog_xact_end();
			cc_pending_reset();
			break;

		case XACT_EVENT_ABORT:
			/* a fill never outlives its transaction (it is popped on error) */
			cc_current_fill = NULL;
			cc_twophase_abort();
			cc_fence_unmark();
			cc_cascade_xact_end(false);
			cc_catalog_xact_end();
			cc_pending_reset();
			break;

		case XACT_EVENT_COMMIT:

			/*
			 * The commit is visible now, but its catalog invalidation
			 * messages are sent only later (AtEOXact_Inval): the marks stay
			 * until cc_resource_release(), so that no fill that starts in
			 * between, with catalog caches that have not seen the change
			 * yet, is stored.  No ERROR is allowed here: the audit counters
			 * were prepared at PRE_COMMIT.
			 */
			cc_cascade_xact_end(true);
			cc_catalog_xact_end();
			cc_pending_reset();
			break;

		default:
			break;
	}
}

/*
 * Resource release: after a top-level commit has sent its invalidation
 * messages and released its locks, unmark the fence.  (After an abort the
 * ABORT callback has unmarked already.)  Cannot fail.
 */
static void
cc_resource_release(ResourceReleasePhase phase, bool isCommit,
					bool isTopLevel, void *arg)
{
	if (phase == RESOURCE_RELEASE_AFTER_LOCKS && isTopLevel)
		cc_fence_unmark();
}

static void
cc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS status;
	CCPendingRel *rel;
	CCPendingDep *pd;
	ListCell   *lc;
	int			level;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;

	level = GetCurrentTransactionNestLevel();
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* forget what only the aborted subtransaction did */
		if (cc_pending_rels != NULL)
		{
			hash_seq_init(&status, cc_pending_rels);
			while ((rel = hash_seq_search(&status)) != NULL)
				if (rel->level >= level)
					(void) hash_search(cc_pending_rels, &rel->relid,
									   HASH_REMOVE, NULL);
		}
		if (cc_pending_deps != NULL)
		{
			hash_seq_init(&status, cc_pending_deps);
			while ((pd = hash_seq_search(&status)) != NULL)
				if (pd->level >= level)
					(void) hash_search(cc_pending_deps, &pd->dep,
									   HASH_REMOVE, NULL);
		}
		foreach(lc, cc_pending_scopes)
		{
			CCPendingScope *scope = (CCPendingScope *) lfirst(lc);

			if (scope->level >= level)
				cc_pending_scopes = foreach_delete_current(cc_pending_scopes, lc);
		}
	}
	else
	{
		/* the parent now owns what the subtransaction did */
		if (cc_pending_rels != NULL)
		{
			hash_seq_init(&status, cc_pending_rels);
			while ((rel = hash_seq_search(&status)) != NULL)
				if (rel->level >= level)
					rel->level = level - 1;
		}
		if (cc_pending_deps != NULL)
		{
			hash_seq_init(&status, cc_pending_deps);
			while ((pd = hash_seq_search(&status)) != NULL)
				if (pd->level >= level)
					pd->level = level - 1;
		}
		foreach(lc, cc_pending_scopes)
		{
			CCPendingScope *scope = (CCPendingScope *) lfirst(lc);

			if (scope->level >= level)
				scope->level = level - 1;
		}
	}
	cc_cascade_subxact(event == SUBXACT_EVENT_COMMIT_SUB, level);
}

/*
 * Backend exit: never leave stripes marked.
 */
static void
cc_shmem_exit(int code, Datum arg)
{
	if (cc_shared != NULL)
		cc_fence_unmark();
}

/* ----------------------------------------------------------------
 * SQL functions
 * ----------------------------------------------------------------
 */

/*
 * cache_flush(): remove every entry of the current database now.
 */
Datum
cache_flush(PG_FUNCTION_ARGS)
{
	uint64		dbdep;
	uint64		removed;
	TimestampTz started = GetCurrentTimestamp();

	cc_check_loaded();
	dbdep = cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId, InvalidOid);
	removed = cc_invalidate_now(&dbdep, 1, true);
	cc_audit_manual("cache_flush()", removed, GetCurrentTimestamp() - started);
	PG_RETURN_INT64((int64) removed);
}

/*
 * cache_invalidate_relation(regclass): remove every entry that depends on
 * the relation (for a partition tree member: on any member of the tree)
 * now.
 */
Datum
cache_invalidate_relation(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	uint64	   *deps;
	Oid		   *relids;
	int			ndeps = 0;
	int			maxdeps = 16;
	uint64		removed;
	TimestampTz started = GetCurrentTimestamp();

	cc_check_loaded();
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	deps = palloc(sizeof(uint64) * maxdeps);
	relids = palloc(sizeof(Oid) * maxdeps);
	cc_add_relation_deps(relid, &deps, &relids, &ndeps, &maxdeps);
	removed = cc_invalidate_now(deps, ndeps, false);
	cc_audit_manual(psprintf("cache_invalidate_relation(%s)",
							 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid))),
					removed, GetCurrentTimestamp() - started);
	PG_RETURN_INT64((int64) removed);
}
