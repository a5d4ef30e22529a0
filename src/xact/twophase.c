/*-------------------------------------------------------------------------
 *
 * twophase.c
 *		Invalidation for two-phase commit.
 *
 * A prepared transaction commits in whatever session runs COMMIT PREPARED,
 * which never sees the preparing backend's state.  So at PREPARE
 * TRANSACTION the invalidation is done as for a commit's PRE_COMMIT step
 * (the fence stripes are marked and dependent entries removed), but the
 * marks are not cleared when the preparing transaction ends: they are
 * handed to a shared slot named by the transaction's GID and xid.  While
 * they are held no fill of an affected relation can be stored.  The session
 * that runs COMMIT PREPARED or ROLLBACK PREPARED adopts the slot's marks
 * once that command has finished the prepared transaction, and clears them
 * at the end of its own transaction, after the commit is visible.  It takes
 * the slot of that GID whose transaction has ended, never one still
 * prepared: PostgreSQL frees the GID before the command's after-hook runs,
 * and a PREPARE reusing it at once has a slot of the same GID, whose marks
 * must stay until its own COMMIT PREPARED.
 *
 * Every prepared transaction gets a slot, even one that invalidates nothing.
 * (A transaction that marked more stripes than a slot holds,
 * CC_PREPARED_STRIPES, has a coarse slot: the marks end with the PREPARE, and
 * COMMIT or ROLLBACK PREPARED flushes as for a lost slot, all of every
 * database if the marks covered them all.)  Slots live in fixed shared memory,
 * one per max_prepared_transactions, so they do not survive a restart while
 * prepared transactions do.  When COMMIT PREPARED finds no slot (the restart
 * case, or a GID that does not exist), it assumes the worst: before finishing
 * the prepared transaction it marks the whole cluster and removes every entry
 * (the transaction may have changed a shared catalog, role membership say,
 * which any database's entries can depend on), and clears that mark at the end
 * of its own transaction.  Only for a GID that exists and that the command may
 * finish (its database, its owner or a superuser): naming a GID that does not
 * exist, or one the command may not finish, fails the command and flushes
 * nothing, a coarse slot's included.  ROLLBACK PREPARED without a slot flushes
 * the database (it changes nothing, but costs only misses).  A PREPARE of a
 * GID that completes while COMMIT or ROLLBACK PREPARED of that GID starts (a
 * client finishing a transaction before its PREPARE returned) has its slot
 * adopted like any other (the room for its marks is reserved first); a coarse
 * one is flushed for after PostgreSQL finished it, a moment after its commit
 * is visible instead of before.
 *
 * A logical replication apply worker prepares and finishes transactions
 * without the utility hook; its marks are held until the transaction ends
 * by replication.c instead.
 *
 * Locking: prepared_lock protects the slot array.  It is never held
 * together with any other lock of ours.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/twophase.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/logicalworker.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/shmem.h"
#include "store/fence.h"
#include "store/store.h"
#include "xact/replication.h"
#include "xact/twophase.h"

/*
 * A prepared transaction's invalidation, waiting for COMMIT PREPARED or
 * ROLLBACK PREPARED.
 */
/*
 * Fence stripes a slot holds: a prepared transaction that marked more has
 * a coarse slot
 */
#define CC_PREPARED_STRIPES		1024

typedef struct CCPreparedSlot
{
	bool		used;
	bool		ready;			/* the PREPARE completed */
	Oid			dbid;
	int			owner_pid;		/* preparing backend, until ready */
	int			nstripes;
	int			stripes[CC_PREPARED_STRIPES];	/* fence stripes held */
	bool		coarse;			/* more than CC_PREPARED_STRIPES: the marks
								 * ended with the PREPARE, and COMMIT or
								 * ROLLBACK PREPARED flushes */
	bool		cluster;		/* coarse, and it invalidated every database */
	TransactionId xid;			/* the prepared transaction */
	char		gid[GIDSIZE];
} CCPreparedSlot;

/* The slots, in fixed shared memory of their own, under prepared_lock */
typedef struct CCTwophaseShared
{
	int			nslots;			/* max_prepared_transactions */
	CCPreparedSlot slots[FLEXIBLE_ARRAY_MEMBER];
} CCTwophaseShared;

/* Set in every process by cc_twophase_shmem_init() */
static CCTwophaseShared *cc_twophase = NULL;

/* GID of the PREPARE TRANSACTION being executed, seen by the utility hook */
static char cc_prepare_gid[GIDSIZE];
static bool cc_have_prepare_gid = false;

/* Slot this backend filled at PRE_PREPARE, until PREPARE or ABORT */
static int	cc_my_slot = -1;

/*
 * COMMIT/ROLLBACK PREPARED: what its before-hook flushed, for the
 * after-hook: 0 nothing, 1 the database, 2 every database
 */
static int	cc_prepared_flushed = 0;

/* COMMIT/ROLLBACK PREPARED: the transaction its before-hook looked up */
static TransactionId cc_prepared_xid = InvalidTransactionId;

/* Slots of one GID the after-hook considers (see cc_twophase_after()) */
#define CC_GID_CANDIDATES		8

static int	cc_find_slot(const char *gid, TransactionId xid);
static int	cc_find_ended_slot(const char *gid, TransactionId preferred,
							   TransactionId *ended);
static void cc_prepared_flush(bool cluster);
static void cc_prepared_flush_late(bool cluster);

/*
 * Fixed shared memory for the slots.
 */
Size
cc_twophase_shmem_size(void)
{
	return add_size(offsetof(CCTwophaseShared, slots),
					mul_size(Max(max_prepared_xacts, 0),
							 sizeof(CCPreparedSlot)));
}

/*
 * Create (postmaster) or find (EXEC_BACKEND children) the slots.  Under
 * AddinShmemInitLock.
 */
void
cc_twophase_shmem_init(void)
{
	bool		found;

	cc_twophase = ShmemInitStruct("cascade_cache prepared transactions",
								  cc_twophase_shmem_size(), &found);
	if (found)
		return;
	memset(cc_twophase, 0, cc_twophase_shmem_size());
	cc_twophase->nslots = Max(max_prepared_xacts, 0);
}

/*
 * Index of the slot of the prepared transaction 'xid' named 'gid', or -1.
 * Caller holds prepared_lock.
 *
 * A GID is unique among the prepared transactions, not among the slots: a
 * slot outlives its transaction until the after-hook of the command that
 * finished it runs, and a new PREPARE may reuse the GID in between.  So a
 * slot is found by its GID and its transaction.
 */
static int
cc_find_slot(const char *gid, TransactionId xid)
{
	int			i;

	for (i = 0; i < cc_twophase->nslots; i++)
		if (cc_twophase->slots[i].ready &&
			TransactionIdEquals(cc_twophase->slots[i].xid, xid) &&
			strcmp(cc_twophase->slots[i].gid, gid) == 0)
			return i;
	return -1;
}

/*
 * For the after-hook: the slot named 'gid' whose transaction has ended
 * (committed or rolled back: it is no longer in the proc array), 'preferred'
 * if that one has; -1 if there is none.  Its transaction is set in *ended.  A
 * slot whose transaction is still prepared (a new PREPARE of the GID, after
 * the command finished ours) is never returned: its marks must stay until its
 * own COMMIT or ROLLBACK PREPARED.  Any ended one is safe to adopt: its commit
 * is already visible, and holding its marks longer only refuses more fills.
 *
 * Takes prepared_lock (shared) to copy the candidates, and checks their
 * transactions with no lock of ours held.  Cannot fail.
 */
static int
cc_find_ended_slot(const char *gid, TransactionId preferred,
				   TransactionId *ended)
{
	int			index[CC_GID_CANDIDATES];
	TransactionId xid[CC_GID_CANDIDATES];
	int			n = 0;
	int			found = -1;
	int			i;

	LWLockAcquire(cc_shared->prepared_lock, LW_SHARED);
	for (i = 0; i < cc_twophase->nslots && n < CC_GID_CANDIDATES; i++)
		if (cc_twophase->slots[i].ready &&
			strcmp(cc_twophase->slots[i].gid, gid) == 0)
		{
			index[n] = i;
			xid[n] = cc_twophase->slots[i].xid;
			n++;
		}
	LWLockRelease(cc_shared->prepared_lock);

	for (i = 0; i < n; i++)
	{
		if (TransactionIdIsInProgress(xid[i]))
			continue;
		if (found < 0 || TransactionIdEquals(xid[i], preferred))
			found = i;
	}
	if (found < 0)
		return -1;
	*ended = xid[found];
	return index[found];
}

/*
 * Look 'gid' up among the prepared transactions: its xid, owner and
 * database.  Through pg_prepared_xact() called directly, not a query: a
 * query would take a snapshot (a serializable, read-only, deferrable
 * session's would wait for the very transaction being finished) and
 * resolve its operators on the caller's search_path.  Returns false if
 * there is none.  May ERROR (out of memory).
 */
static bool
cc_prepared_lookup(const char *gid, TransactionId *xid, Oid *owner,
				   Oid *dbid)
{
	LOCAL_FCINFO(fcinfo, 0);
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	ExprContext *econtext = CreateStandaloneExprContext();
	bool		found = false;

	fmgr_info(F_PG_PREPARED_XACT, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = (int) SFRM_ValuePerCall;
	rsinfo.returnMode = SFRM_ValuePerCall;

	/* bounded: one row per prepared transaction, max_prepared_transactions */
	for (;;)
	{
		Datum		row;
		HeapTupleHeader tuple;
		bool		isnull;
		Datum		value;

		rsinfo.isDone = ExprSingleResult;
		fcinfo->isnull = false;
		row = FunctionCallInvoke(fcinfo);
		if (rsinfo.isDone == ExprEndResult)
			break;
		if (fcinfo->isnull)
			continue;
		tuple = DatumGetHeapTupleHeader(row);
		/* (transaction xid, gid text, prepared timestamptz, ownerid, dbid) */
		value = GetAttributeByNum(tuple, 2, &isnull);
		if (found || isnull || strcmp(TextDatumGetCString(value), gid) != 0)
			continue;
		found = true;
		value = GetAttributeByNum(tuple, 1, &isnull);
		*xid = isnull ? InvalidTransactionId : DatumGetTransactionId(value);
		value = GetAttributeByNum(tuple, 4, &isnull);
		*owner = isnull ? InvalidOid : DatumGetObjectId(value);
		value = GetAttributeByNum(tuple, 5, &isnull);
		*dbid = isnull ? InvalidOid : DatumGetObjectId(value);
	}
	/* runs the function's shutdown callback */
	FreeExprContext(econtext, true);
	return found;
}

/*
 * Utility hook, before standard_ProcessUtility runs a transaction statement.
 *
 * PREPARE TRANSACTION: remember the GID for the PRE_PREPARE callback.
 * COMMIT/ROLLBACK PREPARED: make sure the marks can be adopted afterwards
 * without allocating, or, if the slot was lost, mark the database (every
 * database, for a COMMIT PREPARED of a prepared transaction that the
 * command may finish: of this database, and owned by the current user
 * unless a superuser runs it, what FinishPreparedTransaction() checks)
 * and remove its entries now.  May ERROR, PostgreSQL's own check that the
 * command is not in a transaction block first.
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
				bool		coarse = false;
				bool		cluster = false;
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
				cc_prepared_xid = found ? xid : InvalidTransactionId;
				cc_attach();
				LWLockAcquire(cc_shared->prepared_lock, LW_SHARED);
				slot = found ? cc_find_slot(stmt->gid, xid) : -1;
				if (slot >= 0)
				{
					coarse = cc_twophase->slots[slot].coarse;
					cluster = cc_twophase->slots[slot].cluster;
				}
				LWLockRelease(cc_shared->prepared_lock);

				/*
				 * Room for the marks cc_twophase_after() adopts: as many as
				 * any slot holds, not this one's count.  The slot it finds
				 * may not be this one: a PREPARE of the same GID that
				 * completes between here and PostgreSQL's own look-up of the
				 * GID (after this one was finished by another session, or
				 * before any was found) is the one the command finishes. One
				 * more for the mark of a flush below.
				 */
				cc_fence_reserve(CC_PREPARED_STRIPES + 1);

				/*
				 * A slot lost in a restart: nothing says what the prepared
				 * transaction changed, and it may have been a shared catalog
				 * (role membership), which every database's entries can
				 * depend on; those filled since the restart must go too. Only
				 * for a GID the command will finish (PostgreSQL's checks in
				 * LockGXact(): its database, its owner or a superuser). Any
				 * other fails the command: no slot, nothing to do, and no
				 * role can flush a database by naming a GID that does not
				 * exist, or one it may not finish.
				 */
				if (slot < 0 && stmt->kind == TRANS_STMT_COMMIT_PREPARED &&
					finishable)
					cluster = true;

				cc_prepared_flushed = 0;
				if ((slot < 0 || coarse) && finishable)
				{
					/* lost in a restart, or coarse: all of the database */
					cc_prepared_flush(cluster);
					cc_prepared_flushed = cluster ? 2 : 1;
				}
				break;
			}

		default:
			break;
	}
}

/*
 * Utility hook, after standard_ProcessUtility finished COMMIT PREPARED or
 * ROLLBACK PREPARED: the prepared transaction is gone (committed and
 * visible, or rolled back).  Adopt its marks; they are cleared when this
 * transaction ends.  Cannot fail, but for running out of memory in a late
 * flush (below): the room was reserved before.
 */
void
cc_twophase_after(TransactionStmt *stmt)
{
	int			candidate;
	TransactionId ended = InvalidTransactionId;
	int			slot;
	int			late_flush = 0; /* 1: the database, 2: every database */

	if (stmt->kind != TRANS_STMT_COMMIT_PREPARED &&
		stmt->kind != TRANS_STMT_ROLLBACK_PREPARED)
		return;

	/*
	 * The slot of the transaction this command finished: ended, and named by
	 * the GID.  Normally the one the before-hook looked up; not if that one
	 * was finished by another session in between and a new PREPARE of the GID
	 * is the one this command finished.
	 */
	candidate = cc_find_ended_slot(stmt->gid, cc_prepared_xid, &ended);
	cc_prepared_xid = InvalidTransactionId;

	/* still that slot of that transaction, or adopted by its finisher */
	LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
	slot = -1;
	if (candidate >= 0 && cc_twophase->slots[candidate].ready &&
		TransactionIdEquals(cc_twophase->slots[candidate].xid, ended) &&
		strcmp(cc_twophase->slots[candidate].gid, stmt->gid) == 0)
		slot = candidate;
	if (slot >= 0)
	{
		CCPreparedSlot *s = &cc_twophase->slots[slot];

		if (!s->coarse)
			cc_fence_adopt(s->stripes, s->nstripes);
		else if (stmt->kind == TRANS_STMT_COMMIT_PREPARED &&
				 (s->cluster ? 2 : 1) > cc_prepared_flushed)
			late_flush = s->cluster ? 2 : 1;
		s->used = false;
		s->ready = false;
	}
	LWLockRelease(cc_shared->prepared_lock);

	/*
	 * A coarse PREPARE of this GID that completed after the look-up above (a
	 * client that finishes a transaction before its PREPARE returned): its
	 * marks ended with the PREPARE, and nothing was flushed for it. Flush
	 * now, once its commit is visible, rather than never: entries filled in
	 * between are removed, fills still running are refused by the mark.  The
	 * room for the mark was reserved before.  The prepared transaction has
	 * committed: should removing fail (out of memory), every entry is made
	 * invisible instead, and the command still succeeds.
	 */
	if (late_flush > 0)
		cc_prepared_flush_late(late_flush == 2);
	cc_prepared_flushed = 0;
}

/* cc_prepared_flush() after the commit: cannot fail (see above) */
static void
cc_prepared_flush_late(bool cluster)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	uint32		holdoff = InterruptHoldoffCount;

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		cc_prepared_flush(cluster);
	}
	PG_CATCH();
	{
		LWLockReleaseAll();
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		InterruptHoldoffCount = holdoff + 1;
		cc_bump_epoch();
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
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
 * PRE_PREPARE, after the stripes were marked and the entries removed: copy
 * the marks into a free slot.  Every prepared transaction gets a slot, even
 * one that changed nothing, so that COMMIT PREPARED can tell "nothing to
 * do" from "the slot was lost in a restart"; a coarse one if it marked
 * more stripes than a slot holds (see CCPreparedSlot).  May ERROR (which
 * aborts the PREPARE): no free slot.
 */
void
cc_twophase_pre_prepare(void)
{
	int		   *held;
	int			nheld;
	bool		coarse = false;
	bool		cluster = false;
	int			i;
	int			slot = -1;

	/*
	 * A logical replication apply worker prepares without the utility hook
	 * and finishes the transaction without it too: hold its marks until the
	 * transaction ends instead (replication.c).
	 */
	if (IsLogicalWorker())
	{
		cc_hold_until_xact_end();
		return;
	}
	if (!cc_have_prepare_gid)
		elog(ERROR, "cascade_cache: PREPARE TRANSACTION without a GID");

	cc_attach();
	cc_fence_held(&held, &nheld);

	/*
	 * More marks than a slot holds: a coarse slot.  Its marks are cleared
	 * when the PREPARE ends, as for a commit, and COMMIT or ROLLBACK PREPARED
	 * flushes all of the database (of every database, if the transaction's
	 * marks covered them all), holding a mark on it, as for a slot lost in a
	 * restart.  (The slots are fixed shared memory: a PREPARE takes nothing
	 * from the cache's area, which could refuse it.)
	 */
	if (nheld > CC_PREPARED_STRIPES)
	{
		int			all = cc_stripe_index(cc_dep_hash(CC_DEP_CLUSTER,
													  InvalidOid,
													  InvalidOid));

		coarse = true;
		for (i = 0; i < nheld; i++)
			if (held[i] == all)
				cluster = true;
	}

	LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
	for (i = 0; i < cc_twophase->nslots; i++)
	{
		if (!cc_twophase->slots[i].used)
		{
			CCPreparedSlot *s = &cc_twophase->slots[i];

			s->used = true;
			s->ready = false;
			s->dbid = MyDatabaseId;
			s->owner_pid = MyProcPid;
			s->nstripes = coarse ? 0 : nheld;
			if (!coarse)
				memcpy(s->stripes, held, sizeof(int) * nheld);
			s->coarse = coarse;
			s->cluster = cluster;
			s->xid = GetTopTransactionIdIfAny();
			strlcpy(s->gid, cc_prepare_gid, GIDSIZE);
			slot = i;
			break;
		}
	}
	LWLockRelease(cc_shared->prepared_lock);

	if (slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("cascade_cache has no free slot for a prepared transaction"),
				 errhint("Finish other prepared transactions, or restart after raising max_prepared_transactions.")));
	cc_my_slot = slot;
}

/*
 * PREPARE: the transaction is prepared; its slot now owns the marks.  No
 * ERROR is allowed here.
 */
void
cc_twophase_prepared(void)
{
	if (cc_my_slot >= 0)
	{
		bool		coarse;

		LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
		cc_twophase->slots[cc_my_slot].ready = true;
		cc_twophase->slots[cc_my_slot].owner_pid = 0;
		coarse = cc_twophase->slots[cc_my_slot].coarse;
		LWLockRelease(cc_shared->prepared_lock);
		cc_my_slot = -1;
		/* the slot keeps the marks, unless it is coarse: they end now */
		if (!coarse)
			cc_fence_forget();
	}
	cc_have_prepare_gid = false;
}

/*
 * ABORT: a PREPARE that got as far as PRE_PREPARE failed; free its slot
 * (the marks are cleared by the caller as for any abort).
 */
void
cc_twophase_abort(void)
{
	if (cc_my_slot >= 0)
	{
		CCPreparedSlot *s = &cc_twophase->slots[cc_my_slot];

		LWLockAcquire(cc_shared->prepared_lock, LW_EXCLUSIVE);
		s->used = false;
		s->ready = false;
		LWLockRelease(cc_shared->prepared_lock);
		cc_my_slot = -1;
	}
	cc_have_prepare_gid = false;
}
