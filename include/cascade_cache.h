/*-------------------------------------------------------------------------
 *
 * cascade_cache.h
 *		Shared declarations of the cascade_cache extension.
 *
 * cascade_cache keeps the results of read-only queries, as jsonb, in a
 * shared-memory hash table and removes every entry a committed write can
 * change before that write becomes visible.  The sources are in layers,
 * and a file calls only into its own layer or the layers below it:
 *
 *	src/api		SQL entry points, the background worker, _PG_init
 *	src/xact	the transaction and fill layer: hooks, transaction
 *				callbacks, fills, precise invalidation, cacheability,
 *				tags, two-phase, replication, coalescing, the audit
 *	src/store	the store (include/store/store.h) and the fence
 *	src/base	shared-memory layout, settings, counters, the key
 *
 * This header holds what every layer shares (the key, the dependency
 * kinds, the counters and the bypass reasons); each module's own header is
 * under include/<layer>/.  The locking rules are stated once, in
 * include/store/store.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CASCADE_CACHE_H
#define CASCADE_CACHE_H

#include "access/htup.h"
#include "access/xlogdefs.h"
#include "access/xact.h"
#include "executor/execdesc.h"
#include "fmgr.h"
#include "lib/dshash.h"
#include "lib/stringinfo.h"
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "tcop/dest.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/sinval.h"
#include "utils/dsa.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
#include "utils/reltrigger.h"
#include "utils/timestamp.h"

#define CC_EXTENSION_NAME		"cascade_cache"
#define CC_SCHEMA_NAME			"cascade_cache"

/*
 * Number of generation stripes in the fence.  A dependency key maps onto
 * one stripe; two keys sharing a stripe only make the fence more
 * conservative, never less safe.
 */
#define CC_NUM_STRIPES			65536

/*
 * Dependency keys are hashed with this fixed seed, not a random one, so that
 * a key means the same on every node (the WAL carries them to standbys).
 * A collision between two keys only causes extra invalidation.
 */
#define CC_DEP_SEED				UINT64CONST(0x63617363616465)

/* ----------
 * Cache key
 *
 * Database and role are kept verbatim, so that a hash collision can never
 * hand one role's result to another; the rest of the key material is folded
 * into 128 bits with a per-cluster random seed.
 * ----------
 */
typedef struct CCKey
{
	Oid			dbid;
	Oid			userid;
	uint64		h1;
	uint64		h2;
} CCKey;

/* ----------
 * Dependency keys
 *
 * Everything an entry can be invalidated by is a dependency key: a 64-bit
 * hash of (kind, database, object).  Relations use CC_DEP_RELATION.  Entity
 * tags, query names and finer-grained keys use further kinds.  A hash
 * collision between two dependency keys only causes extra invalidation.
 * ----------
 */
typedef enum CCDepKind
{
	CC_DEP_RELATION = 1,		/* any change to a relation */
	CC_DEP_DATABASE = 2,		/* everything in one database */
	CC_DEP_CLUSTER = 3,			/* everything */
	CC_DEP_TAG = 4,				/* an entity, "Type:id" */
	CC_DEP_TYPE = 5,			/* every entity of a type, "Type" */
	CC_DEP_NAME = 6,			/* a query name */
	CC_DEP_NAME_ARGS = 7,		/* a query name with given parameters */
	CC_DEP_NAME_ANY = 8,		/* fence only: any query name of a database */
	CC_DEP_REL_SCAN = 9,		/* a read of a relation other than by key */
	CC_DEP_ROW_KEY = 10			/* a key looked up: relation, column, value */
} CCDepKind;

/* Entity tags kept per entry before it falls back to type tags only */
#define CC_MAX_TAGS_PER_ENTRY	1024

/*
 * A generation stripe of the fence.  See invalidate.c.
 */
typedef struct CCStripe
{
	pg_atomic_uint64 gen;		/* invalidation sequence of the last bump */
	pg_atomic_uint32 inprogress;	/* committing invalidations not done */
	uint32		pad;
} CCStripe;

/* ----------
 * Counters (src/base/counters.c).  Each backend writes its own slot;
 * readers add all slots up.  Add new counters here only (and to
 * cache_stats() in src/api/stats.c to show them).
 * ----------
 */
typedef enum CCCounter
{
	CC_STAT_NONE = -1,			/* count nowhere */
	CC_STAT_HITS = 0,
	CC_STAT_MISSES,
	CC_STAT_STORES,
	CC_STAT_REJECTED_STORES,
	CC_STAT_EVICTIONS,
	CC_STAT_EXPIRATIONS,
	CC_STAT_INVALIDATIONS,
	CC_STAT_INVALIDATION_EVENTS,
	CC_STAT_STORE_RACES,
	CC_STAT_REFILL_UNCHANGED,	/* invalidated, then stored again unchanged */
	CC_STAT_REFILL_CHANGED,		/* invalidated, then stored with a change */
	/* request coalescing (coalesce.c) */
	CC_STAT_COALESCE_LEADS,		/* fills led while others could wait */
	CC_STAT_COALESCE_WAITS,		/* waits for another backend's fill */
	CC_STAT_COALESCE_SAVED,		/* waits that ended with the leader's result */
	CC_STAT_COALESCE_TAKEOVERS, /* waiters that took over a failed leader */
	CC_STAT_COALESCE_TIMEOUTS,	/* waits that hit coalesce_timeout */
	CC_STAT_COALESCE_UNSHAREABLE,	/* waiters released to run alone */
	CC_STAT_COALESCE_FULL,		/* misses run uncoalesced: table full */
	CC_STAT_COALESCE_WAIT_US,	/* total wait time, microseconds */
	/* the cascade audit (audit.c) */
	CC_STAT_AUDIT_MUTATIONS,	/* audited transactions committed */
	CC_STAT_AUDIT_SUCCESS,
	CC_STAT_AUDIT_PARTIAL,
	CC_STAT_AUDIT_FAILED,
	CC_STAT_AUDIT_REMOVED,		/* entries their invalidations removed */
	CC_STAT_AUDIT_DROPPED,		/* audit rows that could not be written */
	CC_STAT_AUDIT_TRUNCATED,	/* audit rows cut down to the limits */
	/* bypasses by reason, in the order of CCBypassReason */
	CC_STAT_BYPASS_FIRST,
	CC_STAT_LAST = CC_STAT_BYPASS_FIRST + 24
} CCCounter;

typedef enum CCBypassReason
{
	CC_BYPASS_NONE = -1,
	CC_BYPASS_DISABLED = 0,
	CC_BYPASS_WRITE_TRANSACTION,
	CC_BYPASS_ISOLATION_LEVEL,
	CC_BYPASS_STANDBY,
	CC_BYPASS_NESTED,
	CC_BYPASS_LOCKING,
	CC_BYPASS_VOLATILE_FUNCTION,
	CC_BYPASS_SESSION_FUNCTION,
	CC_BYPASS_TEMPORARY_TABLE,
	CC_BYPASS_SYSTEM_CATALOG,
	CC_BYPASS_FOREIGN_TABLE,
	CC_BYPASS_SUBSCRIBED_TABLE,
	CC_BYPASS_SEQUENCE,
	CC_BYPASS_ROW_LEVEL_SECURITY,
	CC_BYPASS_TOO_LARGE,
	CC_BYPASS_TOO_MANY_DEPENDENCIES,
	CC_BYPASS_NO_MEMORY,
	CC_BYPASS_CLOCK,
	CC_BYPASS_TEMPORARY_OBJECT,
	CC_BYPASS_UNTRUSTED_FUNCTION,
	CC_NUM_BYPASS_REASONS
} CCBypassReason;

StaticAssertDecl(CC_STAT_BYPASS_FIRST + CC_NUM_BYPASS_REASONS <= CC_STAT_LAST,
				 "CC_STAT_LAST too small for the bypass reasons");

/* ----------
 * Request coalescing (coalesce.c)
 * ----------
 */
typedef enum CCFillRole
{
	CC_ROLE_LEADER,				/* run the query, then cc_coalesce_finish() */
	CC_ROLE_WAITER,				/* another backend runs it: wait */
	CC_ROLE_ALONE				/* no room to coalesce: run it alone */
} CCFillRole;

/* How a leader's fill ended, as its waiters see it */
typedef enum CCFillOutcome
{
	CC_FILL_STORED = 1,			/* the result is in the cache */
	CC_FILL_REFILL,				/* the fence refused it: start again */
	CC_FILL_UNSHAREABLE,		/* it may not be cached: run alone */
	CC_FILL_FAILED				/* the leader failed: start again */
} CCFillOutcome;

typedef enum CCWaitResult
{
	CC_WAIT_STORED = CC_FILL_STORED,
	CC_WAIT_REFILL = CC_FILL_REFILL,
	CC_WAIT_UNSHAREABLE = CC_FILL_UNSHAREABLE,
	CC_WAIT_FAILED = CC_FILL_FAILED,
	CC_WAIT_UNKNOWN,			/* outcome overwritten: start again */
	CC_WAIT_TIMEOUT,			/* coalesce_timeout passed */
	CC_WAIT_TAKEOVER			/* the leader vanished; we lead now */
} CCWaitResult;

/*
 * A prepared transaction's invalidation, waiting for COMMIT PREPARED or
 * ROLLBACK PREPARED.  See twophase.c.
 */
typedef struct CCPreparedSlot
{
	bool		used;
	bool		ready;			/* the PREPARE completed */
	Oid			dbid;
	int			owner_pid;		/* preparing backend, until ready */
	int			nstripes;
	dsa_pointer stripes;		/* int[nstripes], fence stripes held */
	char		gid[GIDSIZE];
} CCPreparedSlot;

/*
 * Hot standbys (replication.c): invalidations replayed from the WAL hold
 * their fence stripes in a slot until their transaction's end is replayed.
 */
#define CC_RMGR_ID				199		/* custom WAL resource manager id */
#define CC_REPLICA_MAX_STRIPES	64
#define CC_SLOT_FREE			0
#define CC_SLOT_FILLING			1
#define CC_SLOT_HELD			2
#define CC_SLOT_RELEASING		3

typedef struct CCReplicaSlot
{
	pg_atomic_uint32 state;		/* CC_SLOT_* */
	TransactionId xid;
	int			nstripes;
	int			stripes[CC_REPLICA_MAX_STRIPES];
} CCReplicaSlot;

/* cached_query.c */
typedef struct CCFill CCFill;
extern Datum cached_query(PG_FUNCTION_ARGS);
extern CCBypassReason cc_session_bypass_reason(void);
extern void cc_check_query_name(const char *name, const char *fn);
extern Jsonb *cc_explain_run(const char *src, Jsonb *params, const char *name,
							 CCFill *fill);

/* jsonb_dest.c */
extern DestReceiver *cc_create_jsonb_dest(MemoryContext cxt);
extern Jsonb *cc_jsonb_dest_result(DestReceiver *self);

/* coalesce.c */
extern Size cc_coalesce_shmem_size(void);
extern void cc_coalesce_shmem_init(void);
extern CCFillRole cc_coalesce_begin(const CCKey *key, uint64 *fill_id);
extern void cc_coalesce_finish(CCFillOutcome outcome);
extern bool cc_coalesce_leading(void);
extern CCWaitResult cc_coalesce_wait(const CCKey *key, uint64 *fill_id,
									 TimestampTz deadline);
extern int64 cc_coalesce_inflight(void);

/* twophase.c */
extern Size cc_twophase_shmem_size(void);
extern void cc_twophase_shmem_init(void);
extern void cc_twophase_pre_prepare(void);
extern void cc_twophase_prepared(void);
extern void cc_twophase_abort(void);
extern void cc_twophase_before(TransactionStmt *stmt);
extern void cc_twophase_after(TransactionStmt *stmt);

/* tags.c */
extern void cc_collect_tags(Jsonb *result, CCFill *fill);
extern void cc_name_deps(const char *name, Jsonb *params, CCFill *fill);
extern char *cc_tag_id_text(JsonbValue *v);
extern uint64 cc_params_tag(const char *name, Jsonb *params);

/* replication.c */
extern void cc_replication_init(void);
extern int	cc_replica_slots(void);
extern Size cc_replication_shmem_size(void);
extern void cc_replication_shmem_init(void);
extern void cc_hold_until_xact_end(void);
extern void cc_wal_log_commit(const uint64 *deps, int ndeps, bool flush_db,
							  bool flush_all, StringInfo scopes);
extern void cc_wal_log_now(const uint64 *deps, int ndeps, bool flush_db,
						   bool flush_all);
extern void cc_wal_log_prepared_end(const char *gid);
extern XLogRecPtr cc_wal_announce(void);
extern bool cc_replica_ready(void);
extern void cc_replica_release(void);

/* The modules' headers (transitional: each file will include its own) */
#include "base/settings.h"
#include "base/shmem.h"
#include "base/counters.h"
#include "base/usage_counters.h"
#include "base/key.h"
#include "base/glob.h"
#include "store/store.h"
#include "api/monitor.h"
#include "api/worker.h"

/*
 * The headers of single modules.  Transitional: each .c file will include
 * the headers it uses instead, and these lines will go.
 */
#include "base/levelset.h"
#include "store/fence.h"
#include "xact/fill.h"
#include "xact/pending.h"
#include "xact/hooks.h"
#include "xact/xact.h"
#include "xact/audit.h"
#include "xact/audit_table.h"
#include "xact/cascade.h"
#include "api/cascade.h"

/* Module headers (transitional: include them directly instead) */
#include "xact/cacheability.h"
#include "xact/catalog_inval.h"
#include "xact/params.h"
#include "xact/precise.h"

#endif							/* CASCADE_CACHE_H */
