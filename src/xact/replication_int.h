/*-------------------------------------------------------------------------
 *
 * replication_int.h
 *		The WAL record of cascade_cache's resource manager, shared by the
 *		primary side that writes it (replication.c) and the standby side
 *		that replays it (replay.c).  Private to src/xact.
 *
 * The record format is the contract between two servers that may run
 * different builds of this extension: change it only compatibly (a new
 * info code, never a new meaning for an old one).  A standby that meets a
 * record it cannot read stops caching until it restarts (replay.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_REPLICATION_INT_H
#define CC_XACT_REPLICATION_INT_H

/* Record types (the info byte, under ~XLR_INFO_MASK) */
#define XLOG_CC_INVALIDATE		0x00
#define XLOG_CC_ANNOUNCE		0x10	/* "this primary logs invalidations" */

/* xl_cc_invalidate.flags */
#define CC_WAL_FLUSH_DB			0x01
#define CC_WAL_FLUSH_ALL		0x02

/*
 * XLOG_CC_INVALIDATE: what one transaction (or one SQL function call)
 * invalidates.
 */
typedef struct xl_cc_invalidate
{
	TransactionId xid;			/* hold until its end is replayed; or 0 */
	Oid			dbid;
	uint32		flags;
	int32		ndeps;
	int32		nscopes;		/* query-name scopes after the keys */
	uint64		deps[FLEXIBLE_ARRAY_MEMBER];
	/* then nscopes x (uint8 scope byte, NUL-terminated pattern) */
} xl_cc_invalidate;

#define SizeOfCCInvalidate	offsetof(xl_cc_invalidate, deps)

/* Fence stripes one replica slot holds */
#define CC_REPLICA_MAX_STRIPES	64

#endif							/* CC_XACT_REPLICATION_INT_H */
