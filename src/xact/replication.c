/*-------------------------------------------------------------------------
 *
 * replication.c
 *		Coherent caches on hot standbys, the primary's side: invalidations
 *		are written to the WAL.
 *
 * On the primary, every commit that invalidates anything also writes a
 * WAL record of this extension's resource manager (RegisterCustomRmgr,
 * id CC_RMGR_ID; the format is in replication_int.h) with the same
 * dependency keys and flush flags, at PRE_COMMIT, that is before its
 * commit record, and carrying the transaction's top-level xid.  A standby
 * replays the record before the commit record that follows it and holds
 * the fence stripes of its keys until the commit (or abort) has been
 * replayed too (replay.c).
 *
 * Invalidations made outside a transaction's commit (cache_flush(),
 * cache_invalidate_relation()), and those of a transaction without an
 * xid, are logged with no xid; no commit record flushes them, so the
 * former are flushed at once and the latter handed to the WAL writer, like
 * an asynchronous commit.  Dependency keys are hashed with a fixed seed
 * (key.c), so a key means the same on every node.  Query-name PREFIX and
 * PATTERN scopes travel as patterns: the standby resolves them against the
 * names in its own cache, which the primary may never have seen.
 *
 * COMMIT PREPARED and ROLLBACK PREPARED also log, before they run, a flush
 * of the database held until the prepared transaction's end is replayed:
 * a standby that restarted since the PREPARE has no record of what the
 * prepared transaction invalidates.
 *
 * The worker announces, when it starts and once a minute in which the
 * primary wrote WAL, that this primary logs invalidations: a standby
 * serves from its cache only after it has replayed a record of ours.
 *
 * Nothing here takes a lock of its own: the records are written by the
 * committing backend (or the worker) through XLogInsert().  Only the
 * writing of a commit's record may ERROR, which aborts the transaction.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "cascade_cache.h"
#include "xact/replication.h"

#include "replication_int.h"

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

/*
 * Log an invalidation made now, outside a commit (the SQL functions), with
 * no xid: the standby applies it at once.  Flushed before returning.
 */
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
 * Before COMMIT PREPARED or ROLLBACK PREPARED of the prepared transaction
 * 'xid': log a flush of the database held until the prepared
 * transaction's end is replayed.  Runs inside the utility statement's
 * transaction, before it does anything.
 */
void
cc_wal_log_prepared_end(TransactionId xid)
{
	if (!cc_wal_wanted() || !TransactionIdIsValid(xid))
		return;
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
