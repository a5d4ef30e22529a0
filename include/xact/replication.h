/*-------------------------------------------------------------------------
 *
 * replication.h
 *		Invalidations in the WAL, replayed on hot standbys: the primary side
 *		writes them (src/xact/replication.c), the standby side replays them
 *		and holds their fence stripes until their transaction's end is
 *		replayed (src/xact/replay.c); the report of what it holds
 *		(src/xact/replay_holds.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_REPLICATION_H
#define CC_XACT_REPLICATION_H

#include "access/xlogdefs.h"
#include "lib/stringinfo.h"

#include "xact/holds.h"

/*
 * The first byte of each query-name scope in an invalidation record, after
 * the keys: pending.c writes them (cc_pending_scopes_for_wal()), replay.c
 * reads them.
 */
#define CC_WAL_SCOPE_PREFIX		'P'
#define CC_WAL_SCOPE_PATTERN	'G'

#define CC_RMGR_ID				199 /* custom WAL resource manager id */

/* replication.c: the primary, writing the records */
extern void cc_wal_log_commit(const uint64 *deps, int ndeps, bool flush_db,
							  bool flush_all, StringInfo scopes);
extern void cc_wal_log_now(const uint64 *deps, int ndeps, bool flush_db,
						   bool flush_all);
extern void cc_wal_log_prepared_end(TransactionId xid);
extern XLogRecPtr cc_wal_announce(void);

/* replay.c: the resource manager and the replica slots */
extern void cc_replication_init(void);
extern int	cc_replica_slots(void);
extern Size cc_replication_shmem_size(void);
extern void cc_replication_shmem_init(void);
extern bool cc_replica_ready(void);
extern void cc_replica_release(void);
extern bool cc_replica_any_held(void);

/* replay_holds.c: what the standby holds, for cache_holds() */
extern int	cc_replica_holds(CCHold **holds);

#endif							/* CC_XACT_REPLICATION_H */
