/*-------------------------------------------------------------------------
 *
 * twophase.c
 *		Invalidation for two-phase commit.
 *
 * A prepared transaction commits in whatever session runs COMMIT PREPARED,
 * which never sees the preparing backend's state.  So at PREPARE
 * TRANSACTION the invalidation is done as for a commit's PRE_COMMIT step
 * (the fence stripes are marked and dependent entries removed), and the
 * marks are then held by a shared slot of their own, named by the
 * transaction's GID and xid, while the preparing backend's marks end with
 * the PREPARE.  While a slot holds its marks no fill of an affected
 * relation can be stored.
 *
 * A slot is released (its stripes bumped and unmarked, as at the end of a
 * commit) once its transaction's xid lock is free: PostgreSQL's
 * FinishPreparedTransaction() makes the end visible, sends the catalog
 * invalidation messages, and only then releases the transaction's locks, so
 * a fill that starts after the release sees the new data with catalog
 * caches that have seen its changes.  The session that ran COMMIT PREPARED
 * or ROLLBACK PREPARED releases the slots of that GID whose lock is free
 * right after the command (cc_twophase_after()); whoever finished it, the
 * lock decides, so a GID prepared again at once keeps its new slot, and a
 * slot of the GID finished by another session that has not released its
 * locks yet stays.  Fills also look for ended transactions before they
 * begin (cc_twophase_before_fill(): each fill while a slot restored after
 * a restart holds every database, otherwise one fill every
 * CC_REAP_INTERVAL_MS in the cluster): that releases the slots whose
 * COMMIT PREPARED the utility hook never saw through (a logical
 * replication apply worker's, one restored after a restart and finished
 * by an apply worker, or a command that another extension's utility hook
 * failed after ours ran it).  Until then a held stripe also keeps kept
 * plans of its database from being used (statement.c): a plan made from
 * the catalogs before the commit must not serve after it.
 *
 * Every prepared transaction gets a slot, even one that invalidates
 * nothing.  A transaction that marked more stripes than a slot holds
 * (CC_PREPARED_STRIPES) holds its database's stripe instead, or the
 * cluster's if it invalidated every database: no entry of that database
 * is stored while it is prepared.  There are max_prepared_transactions
 * slots plus one per backend, since a slot outlives its GID until it is
 * released.
 *
 * A restart loses the slots but not the prepared transactions.  So from
 * the creation of shared memory the cluster's stripe is held, and no fill
 * is stored, until the first fill has listed the prepared transactions
 * (cc_twophase_restore()) and given each a slot holding the cluster's
 * stripe (its transaction may have changed a shared catalog, role
 * membership say, which any database's entries depend on).  A COMMIT
 * PREPARED that finds no slot all the same (the GID was prepared and
 * finished around the listing) assumes the worst: before finishing the
 * prepared transaction it marks the whole cluster and removes every entry,
 * and clears that mark at the end of its own transaction.  Only for a GID
 * that exists and that the command may finish (its database, its owner or
 * a superuser): naming a GID that does not exist, or one the command may
 * not finish, fails the command and flushes nothing.  ROLLBACK PREPARED
 * without a slot flushes the database.  A hot standby lists nothing: its
 * replay holds the transactions it has seen prepared, and after a restart
 * it does not cache until those running when redo started have ended
 * (replay.c).
 *
 * A logical replication apply worker's PREPARE, which passes no utility
 * hook, gets a slot without a GID; its COMMIT PREPARED passes none either,
 * and the fills' looks release it.
 *
 * What the slots hold is shown by cache_holds() (twophase_holds.c, which
 * shares the slots' layout through twophase_int.h).
 *
 * Locking: prepared_lock protects the slot array.  It is never held
 * together with any other lock of ours, nor across anything that can
 * ERROR: the transaction lookups and lock tests run on copies, without it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/logicalworker.h"
#include "port/atomics.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/shmem.h"
#include "store/fence.h"
#include "store/store.h"
#include "xact/prepared_xacts.h"
#include "xact/replication.h"
#include "xact/twophase.h"
#include "xact/twophase_int.h"

/* Least time between two fills' looks for ended transactions */
#define CC_REAP_INTERVAL_MS		100

/* Set in every process by cc_twophase_shmem_init() */
CCTwophaseShared *cc_twophase = NULL;

/* GID of the PREPARE TRANSACTION being executed, seen by the utility hook */
static char cc_prepare_gid[GIDSIZE];
static bool cc_have_prepare_gid = false;

/* Slot this backend filled at PRE_PREPARE, until PREPARE or ABORT */
static int	cc_my_slot = -1;

static int	cc_find_slot(const char *gid, TransactionId xid);
static void cc_twophase_reap(const char *gid);
static void cc_twophase_restore(void);
static void cc_twophase_look(const char *gid, bool restore);
static void cc_prepared_flush(bool cluster);

/* The stripe of every database's entries */
static int
cc_cluster_stripe(void)
{
	return cc_stripe_index(cc_dep_hash(CC_DEP_CLUSTER, InvalidOid,
									   InvalidOid));
}

/*
 * Number of slots: one per prepared transaction, plus one per backend
 * (a finished transaction's slot lasts until it is released); none
 * without two-phase commit.
 */
static int
cc_twophase_nslots(void)
{
	return max_prepared_xacts > 0 ? max_prepared_xacts + MaxBackends : 0;
}

/*
 * Fixed shared memory for the slots.
 */
Size
cc_twophase_shmem_size(void)
{
	return add_size(offsetof(CCTwophaseShared, slots),
					mul_size(cc_twophase_nslots(), sizeof(CCPreparedSlot)));
}

/*
 * Create (postmaster) or find (EXEC_BACKEND children) the slots.  Under
 * AddinShmemInitLock, after the fence's shared memory.  A new shared
 * memory knows none of the transactions prepared before it: the cluster's
 * stripe is held until cc_twophase_restore() has listed them.
 */
void
cc_twophase_shmem_init(void)
{
	bool		found;
	int			all;

	cc_twophase = ShmemInitStruct("cascade_cache prepared transactions",
								  cc_twophase_shmem_size(), &found);
	if (found)
		return;
	memset(cc_twophase, 0, cc_twophase_shmem_size());
	cc_twophase->nslots = cc_twophase_nslots();
	pg_atomic_init_u32(&cc_twophase->nready, 0);
	pg_atomic_init_u32(&cc_twophase->nrestored, 0);
	pg_atomic_init_u64(&cc_twophase->last_reap, 0);
	pg_atomic_init_u32(&cc_twophase->restore, CC_RESTORE_DONE);
	cc_twophase->created = GetCurrentTimestamp();
	if (cc_twophase->nslots > 0)
	{
		all = cc_cluster_stripe();
		cc_fence_hold_stripes(&all, 1);
		pg_atomic_write_u32(&cc_twophase->restore, CC_RESTORE_NEEDED);
	}
}

/*
 * Index of the slot of the transaction 'xid' named 'gid', ready or being
 * prepared, or -1.  Caller holds prepared_lock.
 *
 * A GID is unique among the prepared transactions, not among the slots: a
 * slot outlives its transaction until it is released, and a new PREPARE
 * may reuse the GID in between.  So a slot is found by its GID and its
 * transaction (or by its transaction alone, for an apply worker's slot,
 * which has no GID).
 */
static int
cc_find_slot(const char *gid, TransactionId xid)
{
	int			i;

	for (i = 0; i < cc_twophase->nslots; i++)
		if (cc_twophase->slots[i].used &&
			TransactionIdEquals(cc_twophase->slots[i].xid, xid) &&
			(strcmp(cc_twophase->slots[i].gid, gid) == 0 ||
			 cc_twophase->slots[i].gid[0] == '\0'))
			return i;
	return -1;
}

/*
 * Is the lock of transaction 'xid' free, that is, has the transaction
 * ended and released its locks?  A prepared transaction holds it from its
 * start to the end of FinishPreparedTransaction(), after its catalog
 * invalidations were sent.  Never waits; may ERROR (out of shared memory
 * for locks).  Needs a transaction.
 */
bool
cc_xid_lock_free(TransactionId xid)
{
	LOCKTAG		tag;

	SET_LOCKTAG_TRANSACTION(tag, xid);
	if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	LockRelease(&tag, ShareLock, false);
	return true;
}

/*
 * Release the ready slots (of 'gid', or all if NULL) whose transaction has
 * ended and released its locks: bump and unmark their stripes, free them.
 * Takes prepared_lock to copy the candidates, looks at their transactions
 * with no lock of ours held, and takes it again to release those still of
 * the same transaction.  Bounded by the number of slots.  May ERROR (out of
 * memory, out of shared memory for the lock test); nothing is released
 * then.
 */
static void
cc_twophase_reap(const char *gid)
{
	int		   *index;
	TransactionId *xid;
	bool	   *ended;
	int			n = 0;
	int			i;

	if (pg_atomic_read_u32(&cc_twophase->nready) == 0)
		return;
	index = palloc(sizeof(int) * cc_twophase->nslots);
	xid = palloc(sizeof(TransactionId) * cc_twophase->nslots);
	ended = palloc0(sizeof(bool) * cc_twophase->nslots);

	LWLockAcquire(cc_shared->prepared_lock, LW_SHARED);
	for (i = 0; i < cc_twophase->nslots; i++)
		if (cc_twophase->slots[i].ready &&
			(gid == NULL || strcmp(cc_twophase->slots[i].gid, gid) == 0))
		{
			index[n] = i;
			xid[n] = cc_twophase->slots[i].xid;
			n++;
		}
	LWLockRelease(cc_shared->prepared_lock);

	/*
	 * The lock alone: a prepared transaction holds it until it has ended and
	 * sent its invalidations (and gets it back after a restart).  Neither the
	 * clog, which vacuum may have truncated below a slot left unreleased for
	 * long, nor the proc array, whose lock every backend contends for.
	 */
	for (i = 0; i < n; i++)
		ended[i] = cc_xid_lock_free(xid[i]);

	LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
	{
		CCPreparedSlot *s = &cc_twophase->slots[index[i]];

		if (!ended[i] || !s->ready || !TransactionIdEquals(s->xid, xid[i]))
			continue;
		cc_fence_release_stripes(s->stripes, s->nstripes);
		if (s->restored)
			pg_atomic_fetch_sub_u32(&cc_twophase->nrestored, 1);
		s->used = false;
		s->ready = false;
		s->restored = false;
		pg_atomic_fetch_sub_u32(&cc_twophase->nready, 1);
	}
	LWLockRelease(cc_shared->prepared_lock);

	pfree(index);
	pfree(xid);
	pfree(ended);
}

/*
 * After a restart: give every transaction prepared before it a slot that
 * holds the cluster's stripe, then release the hold set when shared memory
 * was created.  Done once, by the first fill that gets to it; until then
 * no fill is stored.  If no slot is free (they are all taken by finished
 * transactions not released yet), the hold stays and the next fill tries
 * again.  On a hot standby nothing is listed (see the file header).  May
 * ERROR (out of memory): the next fill tries again.
 */
static void
cc_twophase_restore(void)
{
	uint32		expected = CC_RESTORE_NEEDED;
	CCPreparedXact *xacts = NULL;
	int			nxacts = 0;
	int			all = cc_cluster_stripe();
	bool		complete = true;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	if (!pg_atomic_compare_exchange_u32(&cc_twophase->restore, &expected,
										CC_RESTORE_RUNNING))
		return;
	if (!RecoveryInProgress())
	{
		PG_TRY();
		{
			nxacts = cc_prepared_list(NULL, &xacts);
		}
		PG_CATCH();
		{
			pg_atomic_write_u32(&cc_twophase->restore, CC_RESTORE_NEEDED);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}

	LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
	for (i = 0; i < nxacts && complete; i++)
	{
		int			slot;
		int			j;

		/* prepared since the restart: it has its own slot */
		for (j = 0; j < cc_twophase->nslots; j++)
			if (cc_twophase->slots[j].used &&
				TransactionIdEquals(cc_twophase->slots[j].xid, xacts[i].xid))
				break;
		if (j < cc_twophase->nslots)
			continue;
		slot = -1;
		for (j = 0; j < cc_twophase->nslots && slot < 0; j++)
			if (!cc_twophase->slots[j].used)
				slot = j;
		if (slot < 0)
		{
			complete = false;
			break;
		}
		cc_twophase->slots[slot].used = true;
		cc_twophase->slots[slot].ready = true;
		cc_twophase->slots[slot].restored = true;
		cc_twophase->slots[slot].scope = CC_HOLD_CLUSTER;
		cc_twophase->slots[slot].nstripes = 1;
		cc_twophase->slots[slot].stripes[0] = all;
		cc_twophase->slots[slot].xid = xacts[i].xid;
		cc_twophase->slots[slot].dbid = xacts[i].dbid;
		cc_twophase->slots[slot].since = now;
		strlcpy(cc_twophase->slots[slot].gid, xacts[i].gid, GIDSIZE);
		cc_fence_hold_stripes(&all, 1);
		pg_atomic_fetch_add_u32(&cc_twophase->nready, 1);
		pg_atomic_fetch_add_u32(&cc_twophase->nrestored, 1);
	}
	LWLockRelease(cc_shared->prepared_lock);

	if (xacts != NULL)
		pfree(xacts);
	if (!complete)
	{
		pg_atomic_write_u32(&cc_twophase->restore, CC_RESTORE_NEEDED);
		return;
	}
	pg_atomic_write_u32(&cc_twophase->restore, CC_RESTORE_DONE);
	cc_fence_release_stripes(&all, 1);
}

/*
 * Before a fill reads the fence: list the prepared transactions if a
 * restart asks for it, and release the slots of transactions that have
 * ended, so that a fill is not refused for a hold that has no reason left:
 * every time while a restored slot holds every database (the fill would be
 * refused), otherwise at most every CC_REAP_INTERVAL_MS in the cluster
 * (the session that finished a transaction normally released its slot).
 * Cannot fail: a failure (out of memory, out of shared memory for locks)
 * only leaves the holds to a later fill.
 */
void
cc_twophase_before_fill(void)
{
	TimestampTz now;
	uint64		last;

	if (cc_twophase == NULL || cc_twophase->nslots == 0)
		return;
	if (pg_atomic_read_u32(&cc_twophase->restore) == CC_RESTORE_DONE)
	{
		if (pg_atomic_read_u32(&cc_twophase->nready) == 0)
			return;
		if (pg_atomic_read_u32(&cc_twophase->nrestored) == 0)
		{
			now = GetCurrentTimestamp();
			last = pg_atomic_read_u64(&cc_twophase->last_reap);
			if (!TimestampDifferenceExceeds((TimestampTz) last, now,
											CC_REAP_INTERVAL_MS) ||
				!pg_atomic_compare_exchange_u64(&cc_twophase->last_reap,
												&last, (uint64) now))
				return;
		}
	}

	cc_twophase_look(NULL, true);
}

/*
 * Release the slots of 'gid' (all if NULL) whose transactions have ended,
 * after listing the prepared transactions if 'restore' and a restart asks
 * for it.  Cannot fail: a failure (out of memory, out of shared memory for
 * the lock test) is not reported, and leaves the holds to a later look.
 */
static void
cc_twophase_look(const char *gid, bool restore)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	uint32		holdoff = InterruptHoldoffCount;

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		if (restore &&
			pg_atomic_read_u32(&cc_twophase->restore) != CC_RESTORE_DONE)
			cc_twophase_restore();
		cc_twophase_reap(gid);
	}
	PG_CATCH();
	{
		LWLockReleaseAll();
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		InterruptHoldoffCount = holdoff + 1;
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
}

/*
 * Look 'gid' up among the prepared transactions: its xid, owner and
 * database.  Returns false if there is none.  May ERROR (out of memory).
 */
static bool
cc_prepared_lookup(const char *gid, TransactionId *xid, Oid *owner,
				   Oid *dbid)
{
	CCPreparedXact *xacts;
	bool		found = cc_prepared_list(gid, &xacts) > 0;

	if (found)
	{
		*xid = xacts[0].xid;
		*owner = xacts[0].owner;
		*dbid = xacts[0].dbid;
	}
	pfree(xacts);
	return found;
}

/*
 * Utility hook, before standard_ProcessUtility runs a transaction statement.
 *
 * PREPARE TRANSACTION: remember the GID for the PRE_PREPARE callback.
 * COMMIT/ROLLBACK PREPARED: if the transaction has no slot (listed before
 * the restart was, or prepared and finished around that listing), mark the
 * database (every database, for a COMMIT PREPARED) and remove its entries
 * now, for a prepared transaction that the command may finish: of this
 * database, and owned by the current user unless a superuser runs it, what
 * FinishPreparedTransaction() checks.  May ERROR, PostgreSQL's own check
 * that the command is not in a transaction block first.
 */
void
cc_twophase_before(TransactionStmt *stmt, bool is_top_level)
{
	switch (stmt->kind)
	{
		case TRANS_STMT_PREPARE:
			strlcpy(cc_prepare_gid, stmt->gid, GIDSIZE);
			cc_have_prepare_gid = true;
			break;

		case TRANS_STMT_COMMIT_PREPARED:
		case TRANS_STMT_ROLLBACK_PREPARED:
			{
				int			slot;
				bool		found;
				bool		finishable;
				TransactionId xid = InvalidTransactionId;
				Oid			owner = InvalidOid;
				Oid			dbid = InvalidOid;

				/*
				 * PostgreSQL's own check, first: the command fails before
				 * anything is flushed for it.
				 */
				PreventInTransactionBlock(is_top_level,
										  stmt->kind == TRANS_STMT_COMMIT_PREPARED ?
										  "COMMIT PREPARED" : "ROLLBACK PREPARED");
				found = cc_prepared_lookup(stmt->gid, &xid, &owner, &dbid);
				finishable = found && dbid == MyDatabaseId &&
					(owner == GetUserId() || superuser());

				/*
				 * standbys (see replication.c): only for a command PostgreSQL
				 * will carry out, or any role could flush their caches, and
				 * hold a stripe there, by naming GIDs
				 */
				if (finishable)
					cc_wal_log_prepared_end(xid);
				if (!finishable)
					break;
				cc_attach();
				LWLockAcquire(cc_shared->prepared_lock, LW_SHARED);
				slot = cc_find_slot(stmt->gid, xid);
				LWLockRelease(cc_shared->prepared_lock);

				/*
				 * No slot: nothing says what the prepared transaction
				 * changed, and it may have been a shared catalog (role
				 * membership), which every database's entries can depend on.
				 * Only for a GID the command will finish (PostgreSQL's checks
				 * in LockGXact(): its database, its owner or a superuser).
				 * Any other fails the command: nothing to do, and no role can
				 * flush a database by naming a GID that does not exist, or
				 * one it may not finish.  A slot being prepared still (the
				 * PREPARE has not returned) is found too: PostgreSQL refuses
				 * to finish its transaction, which is busy.
				 */
				if (slot < 0)
					cc_prepared_flush(stmt->kind == TRANS_STMT_COMMIT_PREPARED);
				break;
			}

		default:
			break;
	}
}

/*
 * Utility hook, after standard_ProcessUtility finished COMMIT PREPARED or
 * ROLLBACK PREPARED: the prepared transaction is gone (committed and
 * visible, or rolled back), its invalidation messages sent and its locks
 * released.  Release the slots of the GID whose transactions have ended
 * so: the one this command finished, and any other finished since (never
 * one prepared again under the GID meanwhile, which holds its lock).  The
 * command has done its work: a failure here (out of memory, say) is not
 * reported, and leaves the slot to the next fill's look.
 */
void
cc_twophase_after(TransactionStmt *stmt)
{
	if (stmt->kind != TRANS_STMT_COMMIT_PREPARED &&
		stmt->kind != TRANS_STMT_ROLLBACK_PREPARED)
		return;
	if (cc_twophase == NULL || cc_twophase->nslots == 0)
		return;
	cc_twophase_look(stmt->gid, false);
}

/*
 * Mark the database (every database if 'cluster') as being invalidated
 * until this transaction ends, and remove its entries.
 */
static void
cc_prepared_flush(bool cluster)
{
	uint64		dep = cluster ?
		cc_dep_hash(CC_DEP_CLUSTER, InvalidOid, InvalidOid) :
		cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId, InvalidOid);

	cc_fence_mark(&dep, 1);
	(void) cc_remove_all(cluster ? InvalidOid : MyDatabaseId,
						 false, CC_STAT_INVALIDATIONS);
}

/*
 * PRE_PREPARE, after the stripes were marked and the entries removed: give
 * the transaction a slot holding marks of its own on the same stripes (or,
 * if it marked more than a slot holds, on its database's stripe, or the
 * cluster's if it marked that).  This backend's marks end with the
 * PREPARE.  Every prepared transaction gets a slot, even one that changed
 * nothing, so that COMMIT PREPARED can tell "nothing to do" from "the slot
 * was lost".  May ERROR (which aborts the PREPARE): no free slot, even
 * after releasing those of ended transactions.
 */
void
cc_twophase_pre_prepare(void)
{
	int		   *held;
	int			nheld;
	int			coarse[1];
	int			all;
	int			database;
	CCHoldScope scope = CC_HOLD_ROWS;
	TimestampTz now = GetCurrentTimestamp();
	int			i;
	int			slot = -1;
	int			attempt;

	/* no two-phase commit: PostgreSQL refuses the PREPARE, and says why */
	if (cc_twophase == NULL || cc_twophase->nslots == 0)
		return;

	/*
	 * A logical replication apply worker prepares without the utility hook:
	 * its slot has no GID (it is found by its transaction), and is released
	 * by the fills' looks, as its COMMIT PREPARED passes no hook either.
	 */
	if (!cc_have_prepare_gid && !IsLogicalWorker())
		elog(ERROR, "cascade_cache: PREPARE TRANSACTION without a GID");

	cc_attach();
	cc_fence_held(&held, &nheld);
	all = cc_cluster_stripe();
	database = cc_stripe_index(cc_dep_hash(CC_DEP_DATABASE, MyDatabaseId,
										   InvalidOid));
	for (i = 0; i < nheld; i++)
	{
		if (held[i] == all)
			scope = CC_HOLD_CLUSTER;
		else if (held[i] == database && scope == CC_HOLD_ROWS)
			scope = CC_HOLD_DATABASE;
	}
	if (nheld > CC_PREPARED_STRIPES)
	{
		if (scope == CC_HOLD_ROWS)
			scope = CC_HOLD_DATABASE;
		coarse[0] = scope == CC_HOLD_CLUSTER ? all : database;
		held = coarse;
		nheld = 1;
	}

	/* the second time round, after releasing the slots of ended ones */
	for (attempt = 0; attempt < 2 && slot < 0; attempt++)
	{
		if (attempt > 0)
			cc_twophase_reap(NULL);
		LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
		for (i = 0; i < cc_twophase->nslots; i++)
		{
			CCPreparedSlot *s = &cc_twophase->slots[i];

			if (s->used)
				continue;
			s->used = true;
			s->ready = false;
			s->restored = false;
			s->scope = scope;
			s->nstripes = nheld;
			memcpy(s->stripes, held, sizeof(int) * nheld);
			s->xid = GetTopTransactionIdIfAny();
			s->dbid = MyDatabaseId;
			s->since = now;
			strlcpy(s->gid, cc_have_prepare_gid ? cc_prepare_gid : "",
					GIDSIZE);
			cc_fence_hold_stripes(s->stripes, s->nstripes);
			slot = i;
			break;
		}
		LWLockRelease(cc_shared->prepared_lock);
	}

	if (slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("cascade_cache has no free slot for a prepared transaction"),
				 errhint("Finish other prepared transactions, or restart after raising max_prepared_transactions.")));
	cc_my_slot = slot;
}

/*
 * PREPARE: the transaction is prepared; its slot holds its marks until it
 * is released (the caller clears this backend's).  No ERROR is allowed
 * here.
 */
void
cc_twophase_prepared(void)
{
	if (cc_my_slot >= 0)
	{
		LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
		cc_twophase->slots[cc_my_slot].ready = true;
		pg_atomic_fetch_add_u32(&cc_twophase->nready, 1);
		LWLockRelease(cc_shared->prepared_lock);
		cc_my_slot = -1;
	}
	cc_have_prepare_gid = false;
}

/*
 * ABORT: a PREPARE that got as far as PRE_PREPARE failed; release its
 * slot's marks and free it (this backend's are cleared by the caller as for
 * any abort).  No ERROR is allowed here.
 */
void
cc_twophase_abort(void)
{
	if (cc_my_slot >= 0)
	{
		CCPreparedSlot *s = &cc_twophase->slots[cc_my_slot];

		LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
		cc_fence_release_stripes(s->stripes, s->nstripes);
		s->used = false;
		s->ready = false;
		LWLockRelease(cc_shared->prepared_lock);
		cc_my_slot = -1;
	}
	cc_have_prepare_gid = false;
}
