/*-------------------------------------------------------------------------
 *
 * replay.c
 *		Coherent caches on hot standbys, the standby's side: the resource
 *		manager that replays our WAL records, and the replica slots that
 *		hold a replayed invalidation's fence stripes until its transaction's
 *		end has been replayed.
 *
 * The primary writes, before a commit record, a record of what the transaction
 * invalidates, carrying its top-level xid (replication.c; format in
 * replication_int.h).  The startup process replays it like PRE_COMMIT on the
 * primary: it marks the fence stripes of the keys, then removes the entries.
 * The marks are held in a replica slot until the transaction's commit (or
 * abort) has been replayed: the xid is no longer in progress on the standby
 * (KnownAssignedXids), and replay has finished the record that ended it, whose
 * catalog invalidations are sent after the commit becomes visible
 * (cc_replica_end_replayed()); then the stripes are bumped and unmarked, like
 * the COMMIT callback on the primary, which holds its marks until its
 * invalidation messages are sent.  So a standby session can neither be served
 * an entry the commit invalidates once the commit is visible, nor store a
 * result computed from a snapshot that predates it.  A record without an xid
 * is applied at once.  Before hot standby is ready nobody can read and running
 * transactions are not tracked: nothing is held then; instead the standby does
 * not cache until those transactions ended.
 *
 * A standby serves cached_query from its cache (cc_replica_ready) only
 * after it has replayed a record of ours, proof that the primary logs them
 * (its worker announces itself at start and once a minute in which it
 * wrote WAL), and after every transaction running when redo started has
 * ended; until then every call is a bypass (reason 'standby').  A standby
 * without cascade_cache preloaded stops at our first record, as for any
 * unknown resource manager.
 *
 * Locking: CCReplicaShared is ours alone and no lock protects it.  A slot
 * goes FREE -> FILLING (compare-and-swap) -> HELD (after a write barrier)
 * -> RELEASING (compare-and-swap, then a check that it still belongs to
 * the transaction seen ended) -> FREE; only the process that moved it out
 * of FREE or HELD writes it.  Slots are released by the startup process
 * after each record of ours, by the worker (every 10 ms while any is held)
 * and by every fill that starts (cc_fence_begin).
 *
 * Redo rules: redo never raises an error, and its work per record is
 * bounded.  Marking is atomic arithmetic on fixed shared memory; too many
 * keys or scopes for a slot hold and flush the whole database instead.  If
 * removing entries fails (out of memory), the error is caught and the
 * cache epoch bumped, which makes every entry invisible at once.  What
 * removal allocates lives in a context reset after each record.  Errors of
 * the transaction-status lookups of a release are caught.  A record that
 * cannot be read (corrupt, or of a newer version) makes the standby stop
 * caching until it restarts.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/rmgr.h"
#include "access/transam.h"
#include "access/twophase.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "access/xlogrecovery.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/counters.h"
#include "base/key.h"
#include "store/fence.h"
#include "store/store.h"
#include "xact/replication.h"

#include "replication_int.h"
#include "replay_int.h"

/* Set in every process by cc_replication_shmem_init() */
CCReplicaShared *cc_replica = NULL;

/*
 * Redo's work per record is bounded: a record with more keys than a slot
 * holds, or more query-name scopes than this, flushes the database's
 * entries (one pass over the cache) instead of resolving them one by one,
 * and so does a scope pattern longer than CC_MAX_NAME_COPY bytes; each
 * pattern is matched in linear time against each query name (glob.c).
 * The primary never writes more scopes than this (pending.c).
 */
#define CC_REPLICA_MAX_SCOPES	64

/* The startup process's memory for applying one record, reset after it */
static MemoryContext cc_redo_cxt = NULL;

static bool cc_replica_covered(TransactionId xid, const int *stripes,
							   int nstripes);
static void cc_replica_give_up(const char *what);
static bool cc_replica_long_pattern(xl_cc_invalidate *xlrec, Size len);
static void cc_replica_release_in_redo(void);
static int	cc_replica_claim(void);
static void cc_replica_publish(int slot, TransactionId xid, Oid dbid,
							   CCHoldScope scope, const int *stripes,
							   int nstripes);
static void cc_rmgr_startup(void);
static void cc_rmgr_cleanup(void);
static void cc_rmgr_redo(XLogReaderState *record);
static void cc_rmgr_desc(StringInfo buf, XLogReaderState *record);
static const char *cc_rmgr_identify(uint8 info);

static RmgrData cc_rmgr = {
	.rm_name = "cascade_cache",
	.rm_redo = cc_rmgr_redo,
	.rm_desc = cc_rmgr_desc,
	.rm_identify = cc_rmgr_identify,
	.rm_startup = cc_rmgr_startup,
	.rm_cleanup = cc_rmgr_cleanup,
	.rm_mask = NULL,
	.rm_decode = NULL
};

/*
 * Register the resource manager.  From _PG_init, while preloading
 * (RegisterCustomRmgr ERRORs otherwise).
 */
void
cc_replication_init(void)
{
	RegisterCustomRmgr(CC_RMGR_ID, &cc_rmgr);
}

/*
 * Number of replica slots: enough for every transaction of the primary
 * (a standby has at least its max_connections and
 * max_prepared_transactions), twice over, and then some.
 */
int
cc_replica_slots(void)
{
	return 2 * (MaxBackends + max_prepared_xacts) + 64;
}

/* Size of CCReplicaShared.  Called from shmem_request_hook. */
Size
cc_replication_shmem_size(void)
{
	return add_size(offsetof(CCReplicaShared, slots),
					mul_size(cc_replica_slots(), sizeof(CCReplicaSlot)));
}

/*
 * Create (postmaster) or find (EXEC_BACKEND children) CCReplicaShared and
 * set this process's pointer to it; initialise it only when created.
 * Called from shmem_startup_hook under AddinShmemInitLock.
 */
void
cc_replication_shmem_init(void)
{
	bool		found;
	int			i;

	cc_replica = ShmemInitStruct("cascade_cache replica slots",
								 cc_replication_shmem_size(), &found);
	if (found)
		return;
	cc_replica->nslots = cc_replica_slots();
	for (i = 0; i < cc_replica->nslots; i++)
	{
		pg_atomic_init_u32(&cc_replica->slots[i].state, CC_SLOT_FREE);
		cc_replica->slots[i].xid = InvalidTransactionId;
		pg_atomic_init_u64(&cc_replica->slots[i].ended_by, InvalidXLogRecPtr);
		cc_replica->slots[i].nstripes = 0;
	}
	pg_atomic_init_u32(&cc_replica->held, 0);
	pg_atomic_init_u32(&cc_replica->primary_logs, 0);
	pg_atomic_init_u32(&cc_replica->ready, 0);
	pg_atomic_init_u64(&cc_replica->ready_at, InvalidXLogRecPtr);
	cc_replica->horizon = FirstNormalTransactionId;
	cc_replica->redo_started = 0;
}

/*
 * May a standby serve and store?  Once it has replayed a record of ours
 * (proof that the primary logs them), and once every transaction that was
 * running when redo started has ended: such a transaction may have logged
 * its invalidation before the point this standby started replaying from,
 * and its commit would then invalidate nothing here.  And once replay has
 * finished the record that ended the last of them, whose catalog
 * invalidations are sent after the commit becomes visible (see
 * cc_replica_end_replayed()).  Checked with the procarray until true, then
 * remembered.
 */
bool
cc_replica_ready(void)
{
	XLogRecPtr	ready_at;
	uint64		unset;

	if (pg_atomic_read_u32(&cc_replica->ready) != 0)
		return true;
	if (pg_atomic_read_u32(&cc_replica->primary_logs) == 0)
		return false;
	pg_read_barrier();
	ready_at = pg_atomic_read_u64(&cc_replica->ready_at);
	if (XLogRecPtrIsInvalid(ready_at))
	{
		if (!TransactionIdFollowsOrEquals(GetOldestTransactionIdConsideredRunning(),
										  cc_replica->horizon))
			return false;
		ready_at = RecoveryInProgress() ? GetCurrentReplayRecPtr(NULL) :
			InvalidXLogRecPtr;
		/* the first to see it sets it; any later value is as good */
		unset = InvalidXLogRecPtr;
		(void) pg_atomic_compare_exchange_u64(&cc_replica->ready_at, &unset,
											  ready_at);
	}
	if (RecoveryInProgress() && GetXLogReplayRecPtr(NULL) < ready_at)
		return false;
	pg_atomic_write_u32(&cc_replica->ready, 1);
	return true;
}

/*
 * Has the record that ended a held slot's transaction (seen ended: no
 * longer in progress) been replayed to its end?  Replay makes a commit
 * visible (ExpireTreeKnownAssignedTransactionIds()) before it sends the
 * commit's catalog invalidations (ProcessCommittedInvalidationMessages()):
 * a fill that began in between would analyze the query with this
 * backend's old catalog caches (a function's old body), and store what it
 * computed, if the marks were gone.  So the first process that sees the
 * transaction ended notes the end of the record being replayed then
 * (GetCurrentReplayRecPtr(): of the record being applied, or of the last
 * applied), and the marks stay until replay has gone past it.  Called only
 * by the process that holds the slot RELEASING (so a slot reused for
 * another transaction is never given this one's position).  Outside
 * recovery (after a promotion, when no catalog change is replayed any
 * more) the transaction's end is enough.  Atomics and spinlocks only.
 */
static bool
cc_replica_end_replayed(CCReplicaSlot *slot)
{
	XLogRecPtr	ended_by;

	if (!RecoveryInProgress())
		return true;
	ended_by = pg_atomic_read_u64(&slot->ended_by);
	if (XLogRecPtrIsInvalid(ended_by))
	{
		ended_by = GetCurrentReplayRecPtr(NULL);
		pg_atomic_write_u64(&slot->ended_by, ended_by);
	}
	return GetXLogReplayRecPtr(NULL) >= ended_by;
}

/*
 * Release the held slots whose transaction has ended on this standby:
 * bump their stripes and unmark them.  Any process may call it, with no
 * lock held; a slot is released by exactly one (compare-and-swap).
 * Atomic arithmetic and procarray lookups only; the lookups can ERROR
 * (out of memory, an I/O error reading pg_subtrans), which redo catches
 * (cc_replica_release_in_redo()).
 */
void
cc_replica_release(void)
{
	int			i;

	if (pg_atomic_read_u32(&cc_replica->held) == 0)
		return;

	for (i = 0; i < cc_replica->nslots; i++)
	{
		CCReplicaSlot *slot = &cc_replica->slots[i];
		uint32		expected = CC_SLOT_HELD;
		TransactionId xid;

		if (pg_atomic_read_u32(&slot->state) != CC_SLOT_HELD)
			continue;
		pg_read_barrier();
		xid = slot->xid;
		if (TransactionIdIsInProgress(xid))
			continue;
		if (!pg_atomic_compare_exchange_u32(&slot->state, &expected,
											CC_SLOT_RELEASING))
			continue;

		/*
		 * While we looked the slot may have been released by someone else and
		 * claimed again for another transaction: then it is not ours to
		 * release.  (The slot cannot change while it is RELEASING.)
		 */
		if (slot->xid != xid || !cc_replica_end_replayed(slot))
		{
			pg_atomic_write_u32(&slot->state, CC_SLOT_HELD);
			continue;
		}
		cc_fence_release_stripes(slot->stripes, slot->nstripes);
		pg_atomic_write_u32(&slot->state, CC_SLOT_FREE);
		pg_atomic_fetch_sub_u32(&cc_replica->held, 1);
	}
}

/*
 * Is any slot held (or being released)?  The worker looks more often
 * while one is.  One atomic read; any process, no lock.
 */
bool
cc_replica_any_held(void)
{
	return pg_atomic_read_u32(&cc_replica->held) > 0;
}

/*
 * Find a free slot and claim it (FILLING); -1 if there is none.  The
 * caller must publish it with cc_replica_publish().  Atomics only.
 */
static int
cc_replica_claim(void)
{
	int			i;

	for (i = 0; i < cc_replica->nslots; i++)
	{
		uint32		expected = CC_SLOT_FREE;

		if (pg_atomic_compare_exchange_u32(&cc_replica->slots[i].state,
										   &expected, CC_SLOT_FILLING))
			return i;
	}
	return -1;
}

/*
 * Fill the slot claimed by cc_replica_claim() with the marks 'stripes'
 * (already held, at most CC_REPLICA_MAX_STRIPES) of transaction 'xid' in
 * database 'dbid', standing for 'scope', and make it visible as HELD.
 * Atomics and the clock only.
 */
static void
cc_replica_publish(int slot, TransactionId xid, Oid dbid, CCHoldScope scope,
				   const int *stripes, int nstripes)
{
	CCReplicaSlot *s = &cc_replica->slots[slot];

	s->xid = xid;
	s->dbid = dbid;
	s->scope = scope;
	s->since = GetCurrentTimestamp();
	pg_atomic_write_u64(&s->ended_by, InvalidXLogRecPtr);
	s->nstripes = nstripes;
	memcpy(s->stripes, stripes, sizeof(int) * nstripes);
	pg_atomic_fetch_add_u32(&cc_replica->held, 1);
	pg_write_barrier();
	pg_atomic_write_u32(&s->state, CC_SLOT_HELD);
}

/*
 * Remove the entries a replayed invalidation names (all of the database's
 * when 'coarse'), including those whose query names match its scopes in
 * this server's cache.  On any failure, including a malformed record, make
 * every entry invisible instead.  Never ERRORs.
 */
static void
cc_replica_remove(xl_cc_invalidate *xlrec, Size len, bool coarse)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cc_redo_cxt);

	PG_TRY();
	{
		const char *p = (const char *) &xlrec->deps[Max(xlrec->ndeps, 0)];
		const char *end = (const char *) xlrec + len;
		int			i;

		if (xlrec->ndeps < 0 || xlrec->nscopes < 0 || p > end)
			elog(ERROR, "malformed cascade_cache invalidation record");
		cc_attach();
		if (coarse || (xlrec->flags & (CC_WAL_FLUSH_DB | CC_WAL_FLUSH_ALL)))
			(void) cc_remove_all((xlrec->flags & CC_WAL_FLUSH_ALL) ? InvalidOid :
								 xlrec->dbid, false, CC_STAT_INVALIDATIONS);
		if (!coarse)
		{
			for (i = 0; i < xlrec->ndeps; i++)
				(void) cc_remove_dependents(xlrec->deps[i]);
			for (i = 0; i < xlrec->nscopes; i++)
			{
				const char *pattern = p + 1;
				uint64	   *named;
				uint64		unused;
				int			n;
				int			j;

				if (p + 2 > end || memchr(pattern, '\0', end - pattern) == NULL ||
					strlen(pattern) > CC_MAX_NAME_COPY)
					elog(ERROR, "malformed cascade_cache invalidation record");
				n = cc_names_matching(xlrec->dbid, *p == CC_WAL_SCOPE_PREFIX,
									  pattern, &named, &unused);
				for (j = 0; j < n; j++)
					(void) cc_remove_dependents(named[j]);
				p = pattern + strlen(pattern) + 1;
			}
		}
		cc_count(CC_STAT_INVALIDATION_EVENTS, 1);
	}
	PG_CATCH();
	{
		/* redo holds no lock of its own while it calls us */
		LWLockReleaseAll();
		MemoryContextSwitchTo(cc_redo_cxt);
		FlushErrorState();
		cc_bump_epoch();
		ereport(LOG,
				(errmsg("cascade_cache could not apply a replicated invalidation; the whole cache was invalidated")));
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(cc_redo_cxt);
}

/*
 * Does the record carry a scope pattern longer than CC_MAX_NAME_COPY bytes
 * (which this server would not match)?  Then the database is flushed
 * instead.  A malformed record answers false, and cc_replica_remove()
 * reports it.  Linear in the record's length; never ERRORs.
 */
static bool
cc_replica_long_pattern(xl_cc_invalidate *xlrec, Size len)
{
	const char *p;
	const char *end = (const char *) xlrec + len;
	int			i;

	if (xlrec->ndeps < 0 || xlrec->nscopes < 0 ||
		len < SizeOfCCInvalidate + sizeof(uint64) * (Size) xlrec->ndeps)
		return false;
	p = (const char *) &xlrec->deps[xlrec->ndeps];
	for (i = 0; i < xlrec->nscopes && p + 2 <= end; i++)
	{
		const char *pattern = p + 1;
		const char *nul = memchr(pattern, '\0', end - pattern);

		if (nul == NULL)
			return false;
		if (nul - pattern > CC_MAX_NAME_COPY)
			return true;
		p = nul + 1;
	}
	return false;
}

/*
 * Apply a replayed invalidation.  Never ERRORs.
 */
static void
cc_replica_apply(xl_cc_invalidate *xlrec, Size len)
{
	int			stripes[CC_REPLICA_MAX_STRIPES];
	int			nstripes = 0;
	bool		coarse = false;
	int			slot = -1;
	int			i;

	/* 1. mark the stripes (atomics only) */
	if (xlrec->flags & CC_WAL_FLUSH_ALL)
		stripes[nstripes++] = cc_stripe_index(cc_dep_hash(CC_DEP_CLUSTER,
														  InvalidOid,
														  InvalidOid));
	if (xlrec->flags & CC_WAL_FLUSH_DB)
		stripes[nstripes++] = cc_stripe_index(cc_dep_hash(CC_DEP_DATABASE,
														  xlrec->dbid,
														  InvalidOid));
	if (xlrec->ndeps > CC_REPLICA_MAX_STRIPES - 2 ||
		xlrec->nscopes > CC_REPLICA_MAX_SCOPES ||
		cc_replica_long_pattern(xlrec, len))
	{
		/* too many to hold one by one: hold the database */
		coarse = true;
		if (!(xlrec->flags & CC_WAL_FLUSH_DB))
			stripes[nstripes++] = cc_stripe_index(cc_dep_hash(CC_DEP_DATABASE,
															  xlrec->dbid,
															  InvalidOid));
	}
	else
		for (i = 0; i < xlrec->ndeps; i++)
			stripes[nstripes++] = cc_stripe_index(xlrec->deps[i]);
	cc_fence_hold_stripes(stripes, nstripes);

	/* 2. remove the entries */
	cc_replica_remove(xlrec, len, coarse);

	/* 3. hold the marks until the transaction's end is replayed */
	if (!TransactionIdIsValid(xlrec->xid))
	{
		cc_fence_release_stripes(stripes, nstripes);
		return;
	}
	if (standbyState != STANDBY_SNAPSHOT_READY)
	{
		/*
		 * No session can read yet, and whether the transaction is still
		 * running is not tracked yet.  Instead of holding, make the standby
		 * wait for the transaction's end before it caches at all.
		 */
		cc_fence_release_stripes(stripes, nstripes);
		if (TransactionIdFollowsOrEquals(xlrec->xid, cc_replica->horizon))
		{
			TransactionId next = xlrec->xid;

			TransactionIdAdvance(next);
			cc_replica->horizon = next;
		}
		return;
	}
	if (cc_replica_covered(xlrec->xid, stripes, nstripes))
	{
		/* a slot of the same transaction holds these already */
		cc_fence_release_stripes(stripes, nstripes);
		return;
	}
	slot = cc_replica_claim();
	if (slot < 0)
	{
		cc_replica_release_in_redo();
		slot = cc_replica_claim();
	}
	if (slot >= 0)
		cc_replica_publish(slot, xlrec->xid, xlrec->dbid,
						   (xlrec->flags & CC_WAL_FLUSH_ALL) ? CC_HOLD_CLUSTER :
						   (coarse || (xlrec->flags & CC_WAL_FLUSH_DB)) ?
						   CC_HOLD_DATABASE : CC_HOLD_ROWS,
						   stripes, nstripes);
	else
	{
		/*
		 * Cannot happen with the slots sized as they are (a standby has at
		 * least the primary's max_connections and max_prepared_transactions).
		 * Be safe rather than tidy: keep these marks for good, so that no
		 * fill depending on them is stored until the standby restarts.
		 */
		ereport(WARNING,
				(errmsg("cascade_cache ran out of replica slots"),
				 errdetail("Results depending on %d fence stripes are not cached until the server restarts.",
						   nstripes)));
	}
}

/*
 * Does a held slot of transaction 'xid' already hold all of 'stripes'?
 * (A COMMIT PREPARED that failed and is retried logs the same flush again.)
 * Such a slot cannot be released meanwhile: its transaction is running.
 */
static bool
cc_replica_covered(TransactionId xid, const int *stripes, int nstripes)
{
	int			i;

	for (i = 0; i < cc_replica->nslots; i++)
	{
		CCReplicaSlot *slot = &cc_replica->slots[i];
		int			j;
		int			k;

		if (pg_atomic_read_u32(&slot->state) != CC_SLOT_HELD)
			continue;
		pg_read_barrier();
		if (slot->xid != xid)
			continue;
		for (j = 0; j < nstripes; j++)
		{
			for (k = 0; k < slot->nstripes; k++)
				if (slot->stripes[k] == stripes[j])
					break;
			if (k == slot->nstripes)
				break;
		}
		if (j == nstripes)
			return true;
	}
	return false;
}

/*
 * Redo starts: the memory for applying records, and the horizon a standby
 * waits for before it caches (cc_replica_ready): a transaction with an
 * older xid may have logged its invalidation before this point.
 */
static void
cc_rmgr_startup(void)
{
	cc_replica->horizon = XidFromFullTransactionId(CC_NEXT_FULL_XID());
	cc_replica->redo_started = GetCurrentTimestamp();
	cc_redo_cxt = AllocSetContextCreate(TopMemoryContext,
										"cascade_cache redo",
										ALLOCSET_SMALL_SIZES);
}

static void
cc_rmgr_cleanup(void)
{
	if (cc_redo_cxt != NULL)
		MemoryContextDelete(cc_redo_cxt);
	cc_redo_cxt = NULL;
}

static void
cc_rmgr_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	pg_atomic_write_u32(&cc_replica->primary_logs, 1);
	if (info == XLOG_CC_INVALIDATE)
	{
		xl_cc_invalidate *xlrec = (xl_cc_invalidate *) XLogRecGetData(record);
		Size		len = XLogRecGetDataLen(record);

		if (len < SizeOfCCInvalidate || xlrec->ndeps < 0 || xlrec->nscopes < 0 ||
			len < SizeOfCCInvalidate + sizeof(uint64) * (Size) xlrec->ndeps)
			cc_replica_give_up("a malformed invalidation record");
		else
			cc_replica_apply(xlrec, len);
	}
	else if (info != XLOG_CC_ANNOUNCE)
		cc_replica_give_up("an unknown record type");

	/* replay runs ahead of the worker: release what has ended since */
	cc_replica_release_in_redo();
}

/*
 * cc_replica_release() for the startup process, which must not ERROR:
 * looking up whether a transaction is running can (out of memory, an I/O
 * error reading pg_subtrans).  Then the worker and the fills release them.
 */
static void
cc_replica_release_in_redo(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		cc_replica_release();
	}
	PG_CATCH();
	{
		/* redo holds no lock of its own while it calls us */
		LWLockReleaseAll();
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
	}
	PG_END_TRY();
}

/*
 * A record we cannot apply (corrupt, or written by a newer version): make
 * every entry invisible and hold the cluster-wide stripe for good, so that
 * nothing is stored until the standby restarts.  Never ERRORs.
 */
static void
cc_replica_give_up(const char *what)
{
	int			cluster = cc_stripe_index(cc_dep_hash(CC_DEP_CLUSTER, InvalidOid,
													  InvalidOid));

	cc_fence_hold_stripes(&cluster, 1);
	cc_bump_epoch();
	ereport(WARNING,
			(errmsg("cascade_cache cannot apply %s; this server caches nothing until it restarts",
					what)));
}

static void
cc_rmgr_desc(StringInfo buf, XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if (info == XLOG_CC_INVALIDATE)
	{
		xl_cc_invalidate *xlrec = (xl_cc_invalidate *) XLogRecGetData(record);

		appendStringInfo(buf, "xid %u db %u keys %d scopes %d%s%s", xlrec->xid,
						 xlrec->dbid, xlrec->ndeps, xlrec->nscopes,
						 (xlrec->flags & CC_WAL_FLUSH_DB) ? " flush database" : "",
						 (xlrec->flags & CC_WAL_FLUSH_ALL) ? " flush all" : "");
	}
}

static const char *
cc_rmgr_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_CC_INVALIDATE:
			return "INVALIDATE";
		case XLOG_CC_ANNOUNCE:
			return "ANNOUNCE";
	}
	return NULL;
}
