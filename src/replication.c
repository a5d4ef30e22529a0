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
 * transaction without an xid, are logged with no xid and flushed at once,
 * since no commit record will flush them.  Dependency keys are hashed with
 * a fixed seed (cache_shmem.c), so a key means the same on every node.
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
 * primary.  So a standby session can neither be served an entry the commit
 * invalidates once the commit is visible, nor store a result computed from
 * a snapshot that predates it: the same fence, driven by replay.  The
 * slots are released by the worker (every 10 ms while any is held), by the
 * startup process at each record it replays, and by a standby fill that
 * finds its stripes held.  A record without an xid is applied at once.
 *
 * COMMIT PREPARED and ROLLBACK PREPARED also log, before they run, a flush
 * of the database held until the prepared transaction's end is replayed:
 * a standby that restarted since the PREPARE has no record of what the
 * prepared transaction invalidates.
 *
 * Redo never raises an error: marking is atomic arithmetic on fixed shared
 * memory; if removing entries fails (out of memory, a malformed record),
 * the error is caught and the cache epoch is bumped, which makes every
 * entry invisible at once (the worker removes them later).  What removal
 * allocates lives in a memory context reset after each record.
 *
 * A standby serves cached_query from its cache only after it has replayed
 * a record that proves the primary logs invalidations (any record of ours;
 * the primary's worker logs one when it starts, and once a minute in which
 * the primary wrote WAL): until then every call is a bypass (reason
 * 'standby').  A standby whose shared_preload_libraries
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
#include "access/xlogreader.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "cascade_cache.h"

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

/* The startup process's memory for applying one record, reset after it */
static MemoryContext cc_redo_cxt = NULL;

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

void
cc_replication_shmem_init(char *place)
{
	int			i;

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
 * Write one invalidation record.  A record that no commit record will
 * follow (no xid) is flushed at once, so that it reaches the standbys now
 * rather than at the WAL writer's next round.
 */
static void
cc_wal_write(TransactionId xid, const uint64 *deps, int ndeps, uint32 flags,
			 StringInfo scopes, int nscopes)
{
	xl_cc_invalidate xlrec;
	XLogRecPtr	end;

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
	if (!TransactionIdIsValid(xid))
		XLogFlush(end);
}

/*
 * Log what the committing transaction invalidates.  Called at PRE_COMMIT
 * (and PRE_PREPARE), before the commit record; may ERROR, which aborts the
 * transaction.  A transaction without an xid writes no commit record: its
 * invalidation is applied at once on the standby.  'scopes' holds the
 * query-name PREFIX and PATTERN scopes (invalidate.c), or is NULL.
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
				 (flush_all ? CC_WAL_FLUSH_ALL : 0), scopes, nscopes);
}

/* Log an invalidation made now, outside a commit (the SQL functions). */
void
cc_wal_log_now(const uint64 *deps, int ndeps, bool flush_db, bool flush_all)
{
	if (!cc_wal_wanted())
		return;
	cc_wal_write(InvalidTransactionId, deps, ndeps,
				 (flush_db ? CC_WAL_FLUSH_DB : 0) |
				 (flush_all ? CC_WAL_FLUSH_ALL : 0), NULL, 0);
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
		cc_wal_write(xid, NULL, 0, CC_WAL_FLUSH_DB, NULL, 0);
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

/* ----------------------------------------------------------------
 * The standby: replaying them
 * ----------------------------------------------------------------
 */

/* May a standby serve and store?  (After an announcement was replayed.) */
bool
cc_replica_ready(void)
{
	return pg_atomic_read_u32(&cc_shared->primary_logs) != 0;
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

		if (pg_atomic_read_u32(&slot->state) != CC_SLOT_HELD)
			continue;
		pg_read_barrier();
		if (TransactionIdIsInProgress(slot->xid))
			continue;
		if (!pg_atomic_compare_exchange_u32(&slot->state, &expected,
											CC_SLOT_RELEASING))
			continue;
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

				if (p + 2 > end || memchr(pattern, '\0', end - pattern) == NULL)
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
	if (xlrec->ndeps > CC_REPLICA_MAX_STRIPES - 2 || xlrec->ndeps < 0)
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
	if (TransactionIdIsValid(xlrec->xid))
		slot = cc_replica_claim();
	if (slot >= 0)
	{
		CCReplicaSlot *s = &cc_shared->replica_slots[slot];

		s->xid = xlrec->xid;
		s->nstripes = nstripes;
		memcpy(s->stripes, stripes, sizeof(int) * nstripes);
		pg_atomic_fetch_add_u32(&cc_shared->replica_held, 1);
		pg_write_barrier();
		pg_atomic_write_u32(&s->state, CC_SLOT_HELD);
	}
	else
	{
		if (TransactionIdIsValid(xlrec->xid))
		{
			/* cannot happen with the slots sized as they are; be safe */
			cc_bump_epoch();
			ereport(LOG,
					(errmsg("cascade_cache ran out of replica slots; the whole cache was invalidated")));
		}
		cc_fence_release_stripes(stripes, nstripes);
	}
}

/* Redo starts: the memory for applying records. */
static void
cc_rmgr_startup(void)
{
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
		if (XLogRecGetDataLen(record) < SizeOfCCInvalidate)
		{
			cc_bump_epoch();
			ereport(LOG,
					(errmsg("cascade_cache: a short invalidation record was ignored; the whole cache was invalidated")));
		}
		else
			cc_replica_apply((xl_cc_invalidate *) XLogRecGetData(record),
							 XLogRecGetDataLen(record));
	}
	else if (info != XLOG_CC_ANNOUNCE)
	{
		cc_bump_epoch();
		ereport(LOG,
				(errmsg("cascade_cache: unknown WAL record type %u ignored; the whole cache was invalidated",
						info)));
	}
	cc_replica_release();
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
