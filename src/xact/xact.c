/*-------------------------------------------------------------------------
 *
 * xact.c
 *		Commit-time invalidation: the transaction callbacks that remove
 *		what a transaction makes stale no later than the moment its commit
 *		becomes visible.
 *
 * As the transaction runs, what it changes is recorded elsewhere: the
 * pending set (pending.c, fed by the hooks, hooks.c, by precise.c and by
 * cascade_invalidate()), what it reported (cascade.c) and the catalog
 * changes it made (catalog_inval.c).  This file acts on all of it at the
 * transaction's end, through the generation fence (fence.c):
 *
 *	PRE_COMMIT		collect the dependency keys (pending.c), log them for
 *					standbys (replication.c), mark their fence stripes,
 *					remove every dependent entry, write the audit row
 *					(audit.c).  May ERROR: the transaction then aborts.
 *	COMMIT			drop the transaction's state; the marks stay.
 *	resource release, after the locks of a top-level commit
 *					unmark the stripes: the commit is visible, its catalog
 *					invalidation messages sent and its locks released.
 *	ABORT			unmark and drop everything.
 *	PRE_PREPARE, PREPARE
 *					the PRE_COMMIT half, then the marks are handed to the
 *					prepared transaction's slot (twophase.c) for COMMIT
 *					PREPARED or ROLLBACK PREPARED.
 *	subtransaction commit and abort
 *					hand what the subtransaction recorded to its parent, or
 *					forget it (level sets, levelset.c).
 *
 * The rules every callback here keeps: nothing after the commit record
 * (COMMIT, resource release) or in abort processing (ABORT, subtransaction
 * abort, PREPARE) may ERROR, so everything those need is prepared at
 * PRE_COMMIT and they only do atomic arithmetic on the fence, add to the
 * counters, free backend-local memory and update a prepared transaction's
 * slot (twophase.c, under its LWLock).  No callback holds an LWLock when it
 * returns; the store takes and releases its own (one at a time, see
 * store.c).  The modules called from here never call back into
 * this file: what they need is passed as arguments.
 *
 * cache_flush() and cache_invalidate_relation() invalidate at once
 * (cc_invalidate_now()): mark, remove, unmark, within the caller's
 * transaction.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/sinval.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/key.h"
#include "base/usage_counters.h"
#include "store/fence.h"
#include "store/store.h"
#include "xact/audit.h"
#include "xact/audit_table.h"
#include "xact/cascade.h"
#include "xact/catalog_inval.h"
#include "xact/fill.h"
#include "xact/hooks.h"
#include "xact/pending.h"
#include "xact/refresh.h"
#include "xact/replication.h"
#include "xact/twophase.h"
#include "xact/xact.h"

/*
 * A commit that invalidates more keys than this flushes its database
 * instead: this bounds the work at commit, the WAL record and its replay on
 * standbys.
 */
#define CC_MAX_COMMIT_DEPS		65536

/* Entries a commit removed through the keys of one relation */
typedef struct CCRelRemoved
{
	Oid			relid;
	uint64		removed;
} CCRelRemoved;

static void cc_xact_callback(XactEvent event, void *arg);
static void cc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								SubTransactionId parentSubid, void *arg);
static void cc_resource_release(ResourceReleasePhase phase, bool isCommit,
								bool isTopLevel, void *arg);

/*
 * Install the hooks and the transaction callbacks.  Called once, from
 * _PG_init.
 */
void
cc_invalidate_init(void)
{
	cc_hooks_init();
	RegisterXactCallback(cc_xact_callback, NULL);
	RegisterSubXactCallback(cc_subxact_callback, NULL);
	RegisterResourceReleaseCallback(cc_resource_release, NULL);
}

/* ----------------------------------------------------------------
 * Invalidating
 * ----------------------------------------------------------------
 */

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

/*
 * The audit row of the committing transaction, if it reported a cascade or
 * changed watched rows (see cc_audit_pre_commit()).
 */
static void
cc_audit_commit(uint64 removed, int64 duration_us)
{
	CCAuditInfo info;

	cc_audit_pre_commit(cc_cascade_audit_info(&info) ? &info : NULL,
						removed, duration_us);
}

/*
 * Everything the committing transaction invalidates, as dependency keys in
 * 'list' plus two flags: its pending set and relcache messages
 * (pending.c), the catalog cache messages (catalog_inval.c, which fails
 * closed: the database or everything).  *audit_writes tells whether the
 * commit will write an audit row.  Returns false if it invalidates
 * nothing.  May access the catalogs, may ERROR.
 */
static bool
cc_commit_deps(CCDepList *list, bool *flush_db, bool *flush_all,
			   bool *audit_writes)
{
	SharedInvalidationMessage *msgs;
	bool		initfile;
	int			nmsgs;
	Oid			audit_relid = InvalidOid;

	/* the audit row this commit writes changes the audit table */
	*audit_writes = cc_audit_will_write(cc_cascade_has_activity());
	if (*audit_writes)
		audit_relid = cc_audit_relid();

	nmsgs = xactGetCommittedInvalidationMessages(&msgs, &initfile);
	cc_collect_commit_deps(audit_relid, msgs, nmsgs, list, flush_db);
	*flush_all = false;
	cc_catalog_commit_verdict(msgs, nmsgs, flush_db, flush_all);

	if (list->ndeps > CC_MAX_COMMIT_DEPS || (*flush_db && list->ndeps > 0))
	{
		list->ndeps = 0;
		*flush_db = true;
	}
	return list->ndeps > 0 || *flush_db || *flush_all;
}

/*
 * The first half of a commit's invalidation, run at PRE_COMMIT (and at
 * PRE_PREPARE, 'prepare'): mark the fence for everything the transaction
 * changed and remove every entry that depends on it, queue the refresh of
 * those refresh-ahead wants (not for a PREPARE), then write the audit row.
 * Returns false if the transaction changed nothing we track.  May ERROR,
 * which aborts the transaction (and the ABORT callback then unmarks).
 */
static bool
cc_begin_commit_invalidation(bool prepare)
{
	CCDepList	list;
	CCRelRemoved *by_dep;
	bool		flush_db;
	bool		flush_all;
	bool		audit_writes;
	int			i;
	uint64		removed = 0;
	TimestampTz started = GetCurrentTimestamp();

	cc_deplist_init(&list);
	if (!cc_commit_deps(&list, &flush_db, &flush_all, &audit_writes))
	{
		/* a cascade that matched nothing still leaves its audit row */
		cc_audit_commit(0, 0);
		return false;
	}

	cc_attach();
	by_dep = palloc0(sizeof(CCRelRemoved) * Max(list.ndeps, 1));

	/*
	 * The audit row will give the transaction an id (its insert, and the
	 * row's default mutation_id, need one), and so a commit record that
	 * flushes this one.  Take the id now, so that the record below is written
	 * as part of the transaction rather than on its own, which would hand it
	 * to the WAL writer and wake that process on every cascade that wrote
	 * nothing else (the bulk of such a commit's time).
	 */
	if (audit_writes && !RecoveryInProgress())
		(void) GetTopTransactionId();

	/* standbys: the same invalidation, before the commit record */
	cc_wal_log_commit(list.deps, list.ndeps, flush_db, flush_all,
					  flush_db || flush_all ? NULL :
					  cc_pending_scopes_for_wal());
	for (i = 0; i < list.ndeps; i++)
		by_dep[i].relid = list.relids[i];

	cc_fence_mark(list.deps, list.ndeps);
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

	/* refresh-ahead: the recipes of what is removed, if any may refresh */
	if (!prepare)
		cc_refresh_begin();
	for (i = 0; i < list.ndeps; i++)
	{
		by_dep[i].removed = cc_remove_dependents(list.deps[i]);
		removed += by_dep[i].removed;
	}
	if (!prepare)
		cc_refresh_queue();
	if (flush_all)
		removed += cc_remove_all(InvalidOid, false, CC_STAT_INVALIDATIONS);
	else if (flush_db)
		removed += cc_remove_all(MyDatabaseId, false, CC_STAT_INVALIDATIONS);

	cc_count(CC_STAT_INVALIDATION_EVENTS, 1);
	cc_count_relation_invalidations(by_dep, list.ndeps);
	cc_deplist_free(&list);
	pfree(by_dep);

	/*
	 * The audit row, for transactions that reported a cascade or changed
	 * watched rows
	 */
	cc_audit_commit(removed, GetCurrentTimestamp() - started);
	return true;
}

/*
 * Invalidate 'deps' (with flush_db, also every entry of the database) now,
 * outside of any commit: mark, remove, unmark, and log it for standbys.
 * Returns the number of entries removed.  Used by cache_flush() and
 * cache_invalidate_relation().  Can ERROR; the marks are cleared either
 * way.
 */
uint64
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
 * Transaction callbacks
 * ----------------------------------------------------------------
 */

/*
 * The end of a transaction, whatever it was: count the audited mutation
 * (if 'committed') and drop what the transaction recorded.  Cannot fail.
 */
static void
cc_xact_forget(bool committed)
{
	cc_audit_xact_end(committed);
	cc_cascade_xact_end();
	cc_refresh_reset();
	cc_catalog_xact_end();
	cc_pending_reset();
}

/*
 * The transaction callback.  Events and what each may do:
 *
 * XACT_EVENT_PRE_COMMIT: the transaction is still in progress, before its
 *		commit record.  Runs the first half of the invalidation
 *		(cc_begin_commit_invalidation()): reads the catalogs, writes the WAL
 *		record for standbys and the audit row, marks the fence, takes and
 *		releases store locks.  May ERROR: the transaction then aborts and
 *		XACT_EVENT_ABORT undoes the marks.  Everything COMMIT will need is
 *		prepared here (the audit counters, the held-stripe list).
 *
 * XACT_EVENT_PRE_PREPARE: the same, then twophase.c copies the marks into
 *		the prepared transaction's slot.  May ERROR.
 *
 * XACT_EVENT_PREPARE: the transaction is prepared (durably): its slot,
 *		marked ready (twophase.c), keeps the marks; this backend forgets
 *		them and the transaction's state.  May not ERROR.
 *
 * XACT_EVENT_ABORT: abort processing.  Forgets the fill stack, frees the
 *		slot of a PREPARE that failed after PRE_PREPARE (twophase.c),
 *		unmarks the stripes this backend holds and drops the transaction's
 *		state.  May not ERROR.
 *
 * XACT_EVENT_COMMIT: the commit is durable and visible, but its catalog
 *		invalidation messages are sent only later (AtEOXact_Inval): the
 *		marks stay until cc_resource_release(), so that no fill that starts
 *		in between, with catalog caches that have not seen the change yet,
 *		is stored.  Counts the audited mutation from the values prepared at
 *		PRE_COMMIT and drops the transaction's state.  May not ERROR (it
 *		would be a PANIC): no allocation, no catalog access, no lock.
 *
 * The parallel-worker events are ignored: a parallel worker writes nothing
 * this extension tracks, and its leader runs the callbacks.
 */
static void
cc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			(void) cc_begin_commit_invalidation(false);
			break;

		case XACT_EVENT_PRE_PREPARE:
			(void) cc_begin_commit_invalidation(true);
			cc_twophase_pre_prepare();
			break;

		case XACT_EVENT_PREPARE:
			/* the prepared transaction's slot keeps the marks */
			cc_twophase_prepared();
			cc_fence_unmark();
			cc_xact_forget(true);
			break;

		case XACT_EVENT_ABORT:
			/* a fill never outlives its transaction (it is popped on error) */
			cc_fill_forget_all();
			cc_twophase_abort();
			cc_fence_unmark();
			cc_xact_forget(false);
			break;

		case XACT_EVENT_COMMIT:
			cc_xact_forget(true);
			break;

		default:
			break;
	}
}

/*
 * Resource release callback.  Acts only in the RESOURCE_RELEASE_AFTER_LOCKS
 * phase of the top-level transaction's resource owner: after a commit has
 * sent its catalog invalidation messages and released its locks, unmark
 * the fence (bump, then decrement, every stripe this backend holds).  After
 * an abort or a PREPARE the transaction callback has unmarked or handed
 * the marks over already, and this does nothing.  Atomics only: cannot
 * fail, takes no lock.
 */
static void
cc_resource_release(ResourceReleasePhase phase, bool isCommit,
					bool isTopLevel, void *arg)
{
	if (phase == RESOURCE_RELEASE_AFTER_LOCKS && isTopLevel)
		cc_fence_unmark();
}

/*
 * The subtransaction callback.  SUBXACT_EVENT_COMMIT_SUB (RELEASE
 * SAVEPOINT, the end of a PL/pgSQL exception block that did not fail):
 * the parent now owns what the subtransaction recorded for the commit.
 * SUBXACT_EVENT_ABORT_SUB (ROLLBACK TO SAVEPOINT, an exception caught):
 * forget what only the aborted subtransaction recorded.  Both run while
 * the subtransaction's nesting level is still current.  Other events are
 * ignored.  The fence is untouched: marks are set at top-level commit only.
 * Cannot fail (abort processing); backend-local memory only.
 */
static void
cc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	int			level;
	bool		commit;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;

	level = GetCurrentTransactionNestLevel();
	commit = (event == SUBXACT_EVENT_COMMIT_SUB);
	cc_pending_subxact(commit, level);
	cc_cascade_subxact(commit, level);
	cc_refresh_subxact(commit, level);
}
