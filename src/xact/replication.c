/*-------------------------------------------------------------------------
 *
 * replication.c
 *		Coherent caches on hot standbys: invalidations travel in the WAL.
 *
 * On the primary, every commit that invalidates anything also writes a
 * WAL record of this extension's resource manager (RegisterCustomRmgr,
 * id CC_RMGR_ID) with the same dependency keys and flush flags, at
 * PRE_COMMIT, that is before its commit record, and carrying the
 * transaction's top-level xid.  Invalidations made outside a transaction's
 * commit (cache_flush(), cache_invalidate_relation()), and those of a
 * transaction without an xid, are logged with no xid; no commit record
 * flushes them, so the former are flushed at once and the latter handed to
 * the WAL writer, like an asynchronous commit.  Dependency keys are hashed with
 * a fixed seed (key.c), so a key means the same on every node.
 * Query-name PREFIX and PATTERN scopes travel as patterns: the standby
 * resolves them against the names in its own cache, which the primary may
 * never have seen.
 *
 * On a standby the startup process replays the record, before the commit
 * record that follows it, like PRE_COMMIT on the primary: it marks the
 * fence stripes of the keys as being invalidated, then removes the
 * entries.  The marks are held in a slot of shared memory until the
 * transaction's commit (or abort) has been replayed, which is when the xid
 * is no longer in progress on the standby (KnownAssignedXids); then the
 * stripes are bumped and unmarked, like the COMMIT callback on the
 * primary.  So a standby session can neither be served an entry the
 * commit invalidates once the commit is visible, nor store a result
 * computed from a snapshot that predates it: the same fence, driven by
 * replay.  (Before hot standby is ready nobody can read, and whether a
 * transaction is running is not tracked yet: nothing is held then;
 * instead the standby does not cache until those transactions ended.)  The
 * slots are released by the startup process after each record of ours,
 * by the worker (every 10 ms while any is held) and by every fill that
 * starts (cc_fence_begin).  A slot is released only
 * after a compare-and-swap and a check that it still belongs to the
 * transaction seen ended.  A record without an xid is applied at once.
 *
 * COMMIT PREPARED and ROLLBACK PREPARED also log, before they run, a flush
 * of the database held until the prepared transaction's end is replayed:
 * a standby that restarted since the PREPARE has no record of what the
 * prepared transaction invalidates.
 *
 * Redo never raises an error: marking is atomic arithmetic on fixed shared
 * memory; if removing entries fails (out of memory), the error is caught
 * and the cache epoch is bumped, which makes every entry invisible at once
 * (the worker removes them later).  What removal allocates lives in a
 * memory context reset after each record.  A record that cannot be read
 * (corrupt, or of a newer version) makes the standby stop caching until it
 * restarts.
 *
 * A standby serves cached_query from its cache only after it has replayed
 * a record that proves the primary logs invalidations (any record of ours;
 * the primary's worker logs one when it starts, and once a minute in which
 * the primary wrote WAL), and after every transaction that was running
 * when its redo started has ended (cc_replica_ready): until then every call
 * is a bypass (reason 'standby').  A standby whose shared_preload_libraries
 * lacks cascade_cache cannot replay these records and stops, as for any
 * unknown resource manager.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/rmgr.h"
#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xloginsert.h"
#include "access/xlogutils.h"
#include "access/xlogreader.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "store/fence.h"

/* Record types */
#define XLOG_CC_INVALIDATE		0x00
#define XLOG_CC_ANNOUNCE		0x10

/* xl_cc_invalidate.flags */
#define CC_WAL_FLUSH_DB			0x01
#define CC_WAL_FLUSH_ALL		0x02

typedef struct xl_cc_invalidate
{
	TransactionId xid;			/* hold until its end is replayed; or 0 */
	Oid			dbid;
	uint32		flags;
	int32		ndeps;
	int32		nscopes;		/* query-name scopes after the keys */
	uint64		deps[FLEXIBLE_ARRAY_MEMBER];
	/* then nscopes x (uint8 is_prefix, NUL-terminated pattern) */
} xl_cc_invalidate;

#define SizeOfCCInvalidate	offsetof(xl_cc_invalidate, deps)

/*
 * Redo's work per record is bounded: a record with more keys than a slot
 * holds, or more query-name scopes than this, flushes the database's
 * entries (one pass over the cache) instead of resolving them one by one,
 * and so does a scope pattern longer than CC_MAX_NAME_COPY bytes; each
 * pattern is matched in linear time against each query name (glob.c).  The primary never writes
 * more scopes than this (pending.c).
 */
#define CC_REPLICA_MAX_SCOPES	64

/* The startup process's memory for applying one record, reset after it */
static MemoryContext cc_redo_cxt = NULL;

static int	cc_replica_claim(void);
static void cc_replica_publish(int slot, TransactionId xid,
							   const int *stripes, int nstripes);
static bool cc_replica_covered(TransactionId xid, const int *stripes,
							   int nstripes);
static void cc_replica_give_up(const char *what);
static bool cc_replica_long_pattern(xl_cc_invalidate *xlrec, Size len);
static void cc_replica_release_in_redo(void);
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

/* Register the resource manager.  From _PG_init, while preloading. */
void
cc_replication_init(void)
{
	RegisterCustomRmgr(CC_RMGR_ID, &cc_rmgr);
}

/* Number of held-invalidation slots */
int
cc_replica_slots(void)
{
	return 2 * (MaxBackends + max_prepared_xacts) + 64;
}

Size
cc_replication_shmem_size(void)
{
	return mul_size(cc_replica_slots(), sizeof(CCReplicaSlot));
}

/*
 * Create (postmaster) or find (EXEC_BACKEND children) the slots, and
 * publish them in CCShared.  Under AddinShmemInitLock.
 */
void
cc_replication_shmem_init(void)
{
	bool		found;
	char	   *place;
	int			i;

	place = ShmemInitStruct("cascade_cache replica slots",
							cc_replication_shmem_size(), &found);
	if (found)
		return;
	cc_shared->replica_slots = (CCReplicaSlot *) place;
	cc_shared->nreplica_slots = cc_replica_slots();
	for (i = 0; i < cc_shared->nreplica_slots; i++)
	{
		pg_atomic_init_u32(&cc_shared->replica_slots[i].state, CC_SLOT_FREE);
		cc_shared->replica_slots[i].xid = InvalidTransactionId;
		cc_shared->replica_slots[i].nstripes = 0;
	}
	pg_atomic_init_u32(&cc_shared->replica_held, 0);
	pg_atomic_init_u32(&cc_shared->primary_logs, 0);
	pg_atomic_init_u32(&cc_shared->replica_ready, 0);
	cc_shared->replica_horizon = FirstNormalTransactionId;
}

/* ----------------------------------------------------------------
 * The primary: writing the records
 * ----------------------------------------------------------------
 */

/* Are standbys possible, and are we the primary? */
static bool
cc_wal_wanted(void)
{
	return XLogStandbyInfoActive() && !RecoveryInProgress();
}

/*
 * Write one invalidation record.  No commit record will flush a record
 * without an xid: it is flushed at once when 'flush' (the SQL functions),
 * and otherwise (a transaction that wrote nothing, such as a cascade
 * reporting a change outside the database) handed to the WAL writer like
 * an asynchronous commit, which flushes it within wal_writer_delay.
 */
static void
cc_wal_write(TransactionId xid, const uint64 *deps, int ndeps, uint32 flags,
			 StringInfo scopes, int nscopes, bool flush)
{
	xl_cc_invalidate xlrec;
	XLogRecPtr	end;

	memset(&xlrec, 0, sizeof(xlrec));	/* no uninitialized padding in WAL */
	xlrec.xid = xid;
	xlrec.dbid = MyDatabaseId;
	xlrec.flags = flags;
	xlrec.ndeps = ndeps;
	xlrec.nscopes = nscopes;
	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, SizeOfCCInvalidate);
	if (ndeps > 0)
		XLogRegisterData((char *) deps, sizeof(uint64) * ndeps);
	if (nscopes > 0)
		XLogRegisterData(scopes->data, scopes->len);
	end = XLogInsert(CC_RMGR_ID, XLOG_CC_INVALIDATE);
	if (TransactionIdIsValid(xid))
		return;
	if (flush)
		XLogFlush(end);
	else
		XLogSetAsyncXactLSN(end);
}

/*
 * Log what the committing transaction invalidates.  Called at PRE_COMMIT
 * (and PRE_PREPARE), before the commit record; may ERROR, which aborts the
 * transaction.  A transaction without an xid writes no commit record: its
 * invalidation is applied at once on the standby.  'scopes' holds the
 * query-name PREFIX and PATTERN scopes (pending.c), or is NULL.
 */
void
cc_wal_log_commit(const uint64 *deps, int ndeps, bool flush_db, bool flush_all,
				  StringInfo scopes)
{
	int			nscopes = 0;
	int			i;

	if (!cc_wal_wanted())
		return;
	if (scopes != NULL)
		for (i = 0; i < scopes->len; i++)
			if (scopes->data[i] == '\0')
				nscopes++;
	cc_wal_write(GetTopTransactionIdIfAny(), deps, ndeps,
				 (flush_db ? CC_WAL_FLUSH_DB : 0) |
				 (flush_all ? CC_WAL_FLUSH_ALL : 0), scopes, nscopes, false);
}

/* Log an invalidation made now, outside a commit (the SQL functions). */
void
cc_wal_log_now(const uint64 *deps, int ndeps, bool flush_db, bool flush_all)
{
	if (!cc_wal_wanted())
		return;
	cc_wal_write(InvalidTransactionId, deps, ndeps,
				 (flush_db ? CC_WAL_FLUSH_DB : 0) |
				 (flush_all ? CC_WAL_FLUSH_ALL : 0), NULL, 0, true);
}

/*
 * Before COMMIT PREPARED or ROLLBACK PREPARED 'gid': log a flush of the
 * database held until the prepared transaction's end is replayed.  Runs
 * inside the utility statement's transaction, before it does anything.
 */
void
cc_wal_log_prepared_end(const char *gid)
{
	TransactionId xid = InvalidTransactionId;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	if (!cc_wal_wanted())
		return;
	args[0] = CStringGetTextDatum(gid);
	SPI_connect();
	if (SPI_execute_with_args("SELECT transaction FROM pg_catalog.pg_prepared_xacts WHERE gid = $1",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			xid = DatumGetTransactionId(d);
	}
	SPI_finish();
	if (TransactionIdIsValid(xid))
		cc_wal_write(xid, NULL, 0, CC_WAL_FLUSH_DB, NULL, 0, false);
}

/*
 * The worker, on a primary: announce that this primary logs invalidations
 * (a standby caches only after it has seen that), and flush it.  Returns
 * the end of the record, or the current insert position if nothing was
 * written.
 */
XLogRecPtr
cc_wal_announce(void)
{
	char		dummy = 0;
	XLogRecPtr	end;

	if (!cc_wal_wanted())
		return GetXLogInsertRecPtr();
	XLogBeginInsert();
	XLogRegisterData(&dummy, 1);
	end = XLogInsert(CC_RMGR_ID, XLOG_CC_ANNOUNCE);
	XLogFlush(end);
	return end;
}

/*
 * PRE_PREPARE in a logical replication apply worker (twophase.c): its
 * COMMIT PREPARED and ROLLBACK PREPARED do not pass the utility hook, so
 * instead of a slot keyed by GID the transaction's marks get a held slot
 * keyed by its xid, like a replayed invalidation, released once the
 * prepared transaction has ended.  May ERROR (which aborts the PREPARE).
 */
void
cc_hold_until_xact_end(void)
{
	TransactionId xid = GetTopTransactionIdIfAny();
	int		   *held;
	int			nheld;
	int			stripes[CC_REPLICA_MAX_STRIPES];
	int			nstripes = 0;
	int			slot;

	cc_fence_held(&held, &nheld);
	if (!TransactionIdIsValid(xid) || nheld == 0)
		return;
	if (nheld <= CC_REPLICA_MAX_STRIPES)
	{
		memcpy(stripes, held, sizeof(int) * nheld);
		nstripes = nheld;
	}
	else
		stripes[nstripes++] = cc_stripe_index(cc_dep_hash(CC_DEP_DATABASE,
														  MyDatabaseId,
														  InvalidOid));
	slot = cc_replica_claim();
	if (slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("cascade_cache has no free slot to hold the invalidation of a prepared transaction")));
	cc_fence_hold_stripes(stripes, nstripes);
	cc_replica_publish(slot, xid, stripes, nstripes);
}

/*
 * Fill the claimed slot with the marks 'stripes' (already held) of
 * transaction 'xid', and make it visible as HELD.  Atomics only.
 */
static void
cc_replica_publish(int slot, TransactionId xid, const int *stripes,
				   int nstripes)
{
	CCReplicaSlot *s = &cc_shared->replica_slots[slot];

	s->xid = xid;
	s->nstripes = nstripes;
	memcpy(s->stripes, stripes, sizeof(int) * nstripes);
	pg_atomic_fetch_add_u32(&cc_shared->replica_held, 1);
	pg_write_barrier();
	pg_atomic_write_u32(&s->state, CC_SLOT_HELD);
}

/* ----------------------------------------------------------------
 * The standby: replaying them
 * ----------------------------------------------------------------
 */

/*
 * May a standby serve and store?  Once it has replayed a record of ours
 * (proof that the primary logs them), and once every transaction that was
 * running when redo started has ended: such a transaction may have logged
 * its invalidation before the point this standby started replaying from,
 * and its commit would then invalidate nothing here.  Checked with the
 * procarray until true, then remembered.
 */
bool
cc_replica_ready(void)
{
	if (pg_atomic_read_u32(&cc_shared->replica_ready) != 0)
		return true;
	if (pg_atomic_read_u32(&cc_shared->primary_logs) == 0)
		return false;
	pg_read_barrier();
	if (!TransactionIdFollowsOrEquals(GetOldestTransactionIdConsideredRunning(),
									  cc_shared->replica_horizon))
		return false;
	pg_atomic_write_u32(&cc_shared->replica_ready, 1);
	return true;
}

/*
 * Release the held slots whose transaction has ended on this standby:
 * bump their stripes and unmark them.  Any process may call it, with no
 * lock held; a slot is released by exactly one (compare-and-swap).
 * Atomic arithmetic and procarray lookups only.
 */
void
cc_replica_release(void)
{
	int			i;

	if (pg_atomic_read_u32(&cc_shared->replica_held) == 0)
		return;

	for (i = 0; i < cc_shared->nreplica_slots; i++)
	{
		CCReplicaSlot *slot = &cc_shared->replica_slots[i];
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
		 * While we looked the slot may have been released by someone else
		 * and claimed again for another transaction: then it is not ours to
		 * release.  (The slot cannot change while it is RELEASING.)
		 */
		if (slot->xid != xid)
		{
			pg_atomic_write_u32(&slot->state, CC_SLOT_HELD);
			continue;
		}
		cc_fence_release_stripes(slot->stripes, slot->nstripes);
		pg_atomic_write_u32(&slot->state, CC_SLOT_FREE);
		pg_atomic_fetch_sub_u32(&cc_shared->replica_held, 1);
	}
}

/* Find a free slot and claim it; -1 if there is none. */
static int
cc_replica_claim(void)
{
	int			i;

	for (i = 0; i < cc_shared->nreplica_slots; i++)
	{
		uint32		expected = CC_SLOT_FREE;

		if (pg_atomic_compare_exchange_u32(&cc_shared->replica_slots[i].state,
										   &expected, CC_SLOT_FILLING))
			return i;
	}
	return -1;
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
				n = cc_names_matching(xlrec->dbid, *p == 'P', pattern, &named,
									  &unused);
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
		if (TransactionIdFollowsOrEquals(xlrec->xid, cc_shared->replica_horizon))
		{
			TransactionId next = xlrec->xid;

			TransactionIdAdvance(next);
			cc_shared->replica_horizon = next;
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
		cc_replica_publish(slot, xlrec->xid, stripes, nstripes);
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

	for (i = 0; i < cc_shared->nreplica_slots; i++)
	{
		CCReplicaSlot *slot = &cc_shared->replica_slots[i];
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
	cc_shared->replica_horizon = XidFromFullTransactionId(ShmemVariableCache->nextXid);
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

	pg_atomic_write_u32(&cc_shared->primary_logs, 1);
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
