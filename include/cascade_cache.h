/*-------------------------------------------------------------------------
 *
 * cascade_cache.h
 *		Shared declarations of the cascade_cache extension.
 *
 * cascade_cache keeps the results of read-only queries, as jsonb, in a
 * shared-memory hash table and removes every entry a committed write can
 * change before that write becomes visible.  The pieces are:
 *
 *	cache_shmem.c	fixed shared memory, the DSA area, the entry table, the
 *					dependency index, CLOCK eviction and memory accounting
 *	cache_key.c		the cache key: database, role and a 128-bit hash of the
 *					query, its parameters and every setting that changes
 *					its result
 *	cached_query.c	the SQL entry point: lookup, fill and store
 *	coalesce.c		request coalescing: one fill per key, waiters share it
 *	cacheability.c	what may be cached, and why not
 *	params.c		binding a jsonb array to $1..$n
 *	jsonb_dest.c	a DestReceiver that turns rows into a jsonb array
 *	invalidate.c	executor and utility hooks, transaction callbacks and
 *					the generation fence
 *	precise.c		precise invalidation: the keys a fill looked up, the
 *					rows a write changed
 *	twophase.c		invalidation across PREPARE and COMMIT PREPARED
 *	worker.c		the background worker: expiry, eviction, upkeep
 *	stats.c			counters and the statistics functions
 *	monitor.c		rates over time and the monitoring gauges
 *	usage.c			statistics by query name and by relation
 *	explain.c		cache_explain()
 *	replication.c	invalidations in the WAL, replayed on hot standbys
 *
 * Locking rules (see cache_shmem.c for details):
 *	- The hit path takes one dshash partition lock of the entry table in
 *	  shared mode, copies the payload and releases it.
 *	- No code holds two dshash partition locks at once, nor a dshash
 *	  partition lock together with CascadeCacheShared->clock_lock, nor any
 *	  of these together with an in-flight partition lock (coalesce.c).
 *	- Nothing that can ERROR, sleep or run SQL happens while an LWLock is
 *	  held.
 *	- The fence (generation stripes) is lock-free: pg_atomic operations only.
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

/* Longest query name cache_explain() shows */
#define CC_MAX_NAME_COPY		1024

/* Invalidated entries remembered to measure invalidation precision */
#define CC_NUM_GHOSTS			16384

/* Size of the part of the DSA area that lives in fixed shared memory. */
#define CC_DSA_INPLACE_SIZE		(256 * 1024)

/*
 * The accounted bytes are kept at or below this fraction of max_memory; the
 * rest of the DSA area (which is hard-capped at max_memory) absorbs the
 * allocator's own fragmentation and the dshash bucket arrays.
 */
#define CC_MEMORY_BUDGET_FRACTION	0.90

/* The background worker starts evicting above this fraction of the budget */
#define CC_EVICT_HIGH_WATERMARK		0.95
#define CC_EVICT_LOW_WATERMARK		0.85

/*
 * Dependency keys are hashed with this fixed seed, not a random one, so that
 * a key means the same on every node (the WAL carries them to standbys).
 * A collision between two keys only causes extra invalidation.
 */
#define CC_DEP_SEED				UINT64CONST(0x63617363616465)

/* Upper bound on the dependencies one entry may carry. */
/* results at least this large are stored compressed (cache_shmem.c) */
#define CC_COMPRESS_MIN_BYTES	512
#define CC_MAX_DEPS_PER_ENTRY	4096

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

/* ----------
 * Entry states (CCEntry.state)
 *
 * PENDING: stored by a backend whose fence check is not done yet; only that
 *			backend (the owner) may remove it.  Never served.
 * VALID:	served by the hit path.
 * DOOMED:	a PENDING entry that an invalidation reached; its owner removes
 *			it when it finishes storing.
 * ----------
 */
#define CC_ENTRY_PENDING	1
#define CC_ENTRY_VALID		2
#define CC_ENTRY_DOOMED		3

/*
 * An entry in the dshash entry table.  The payload and all the per-entry
 * bookkeeping live in a separate DSA allocation, the blob.
 */
typedef struct CCEntry
{
	CCKey		key;			/* hash key, must be first */
	uint32		state;			/* CC_ENTRY_* */
	int32		owner_pid;		/* storing backend, while PENDING */
	uint64		serial;			/* identifies this incarnation of the key */
	dsa_pointer blob;			/* CCBlob */
	TimestampTz expires_at;		/* 0 = never */
	uint64		epoch;			/* CCShared.epoch when stored */
} CCEntry;

/*
 * One link of an entry into the list of its dependency key.  The nodes live
 * inside the entry's blob; prev/next point at other nodes (or are
 * InvalidDsaPointer at the ends).  A node that is not in its list (not yet,
 * or no longer) has next == CC_LINK_DETACHED.  blob_off leads from a node
 * found in a list back to the blob that holds it.
 */
typedef struct CCDepLink
{
	uint64		dep;
	dsa_pointer prev;
	dsa_pointer next;
	uint32		blob_off;		/* offset of this node from its blob */
} CCDepLink;

/* The relations and the name that follow a blob's dependency links */
#define CC_BLOB_RELIDS(blob)	((Oid *) &(blob)->deps[(blob)->ndeps])
#define CC_BLOB_NAME(blob)		((char *) (CC_BLOB_RELIDS(blob) + (blob)->nrelids))

/* Relations one entry remembers for the statistics (more are not shown) */
#define CC_MAX_RELIDS_PER_ENTRY	64

/* No DSA chunk ever starts at offset 1, so this cannot be a real pointer. */
#define CC_LINK_DETACHED	((dsa_pointer) 1)

/*
 * The blob: one DSA allocation per entry, laid out as
 *		CCBlob header | CCDepLink[ndeps] | Oid relids[nrelids] | name |
 *		MAXALIGN | payload
 * (relids: the relations the entry read, for cache_relation_stats())
 * The payload is the complete jsonb varlena, ready to be returned.
 */
typedef struct CCBlob
{
	CCKey		key;			/* copy of the entry key */
	uint64		serial;			/* copy of the entry serial */
	dsa_pointer clock_prev;		/* CLOCK ring, under clock_lock */
	dsa_pointer clock_next;
	TimestampTz created_at;
	Size		alloc_size;		/* accounted size of this blob */
	uint32		payload_len;	/* VARSIZE of the payload as stored */
	uint32		payload_off;	/* offset of the payload from the blob */
	uint32		payload_hash;	/* hash_bytes() of the payload */
	pg_atomic_uint64 hits;		/* hits served from this entry */
	uint16		ndeps;
	uint16		nrelids;
	uint16		name_len;
	int16		usage_slot;		/* its query name's usage slot, or -1 */
	volatile uint8 referenced;	/* CLOCK reference bit */
	bool		in_ring;		/* linked into the CLOCK ring */
	bool		name_registered;	/* counted in the query-name registry */
	CCDepLink	deps[FLEXIBLE_ARRAY_MEMBER];
} CCBlob;

/*
 * The query-name registry: one entry per distinct (database, name) with
 * entries in the cache, so that PREFIX and PATTERN invalidations cost
 * O(distinct names), not O(cache).
 */
typedef struct CCNameEntry
{
	uint64		dep;			/* hash key: cc_dep_hash_text(NAME, db, name) */
	Oid			dbid;
	uint32		len;
	uint64		count;			/* entries with this name */
	dsa_pointer text;			/* the name, len bytes */
} CCNameEntry;

/* An entry of the dependency index: the head of a list of CCDepLinks. */
typedef struct CCDepEntry
{
	uint64		dep;			/* hash key, must be first */
	dsa_pointer head;
	uint64		count;
} CCDepEntry;

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
 * Counters.  Each backend writes its own slot; readers add all slots up.
 * Add new counters here only (and to cc_counter_names in stats.c).
 * ----------
 */
typedef enum CCCounter
{
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

typedef struct CCBackendStats
{
	pg_atomic_uint64 counters[CC_STAT_LAST];
} CCBackendStats;

/* ----------
 * Request coalescing (coalesce.c)
 * ----------
 */
#define CC_INFLIGHT_PARTITIONS	16

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

/* What cc_store() did with a result */
typedef enum CCStoreResult
{
	CC_STORE_STORED,			/* published */
	CC_STORE_RACED,				/* another backend had stored the key */
	CC_STORE_REJECTED,			/* the fence refused it */
	CC_STORE_REFUSED			/* no room, or too many dependencies */
} CCStoreResult;

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
 * The worker's samples of the counters, for rates (monitor.c).  900
 * samples, one a second: 15 minutes.
 */
#define CC_RATE_SAMPLES			900

typedef struct CCRateSample
{
	TimestampTz time;
	uint64		reads;			/* hits + misses + bypasses */
	uint64		hits;
	uint64		misses;
	uint64		mutations;		/* invalidation events */
	uint64		invalidations;	/* entries invalidated */
	uint64		evictions;
} CCRateSample;

typedef struct CCRateRing
{
	int			next;			/* where the next sample goes */
	int			count;			/* samples in the ring */
	CCRateSample samples[CC_RATE_SAMPLES];
} CCRateRing;

/*
 * Statistics by query name and by relation (usage.c).
 */
#define CC_USAGE_SLOTS			1024
typedef struct CCNameUsage
{
	pg_atomic_uint64 key;		/* 0: free; else the name's hash, see usage.c */
	pg_atomic_uint32 ready;		/* dbid and name are set */
	Oid			dbid;
	char		name[NAMEDATALEN * 2];	/* truncated */
	bool		unnamed;
	pg_atomic_uint64 stores;
	pg_atomic_uint64 invalidations;
	pg_atomic_uint64 evictions;
	pg_atomic_uint64 expirations;
	pg_atomic_uint64 removed_hits;	/* hits of entries no longer cached */
} CCNameUsage;

typedef struct CCRelUsage
{
	pg_atomic_uint64 key;		/* 0: free; else hash of (dbid, relid) */
	pg_atomic_uint32 ready;
	Oid			dbid;
	Oid			relid;
	pg_atomic_uint64 writes;	/* commits that invalidated it */
	pg_atomic_uint64 invalidations; /* entries those commits removed */
} CCRelUsage;

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

/*
 * The fixed shared-memory state.  Allocated once by the postmaster; the
 * stripes, the per-backend counters and the in-place part of the DSA area
 * follow it in the same chunk.
 */
typedef struct CCShared
{
	LWLock	   *clock_lock;		/* protects the CLOCK ring and hand */
	LWLock	   *stats_lock;		/* protects stats_reset_base */
	LWLock	   *prepared_lock;	/* protects prepared[] */
	LWLock	   *inflight_locks[CC_INFLIGHT_PARTITIONS];	/* coalesce.c */
	pg_atomic_uint64 coalesce_wait_max_us;	/* longest wait since reset */
	pg_atomic_uint64 audit_last_failure;	/* TimestampTz, 0 if none */
	int			dsa_tranche;
	int			entries_tranche;
	int			deps_tranche;
	dshash_table_handle entries_handle;
	dshash_table_handle deps_handle;
	dshash_table_handle names_handle;
	int			names_tranche;
	pg_atomic_uint64 names;		/* entries in the name registry */
	dsa_pointer clock_hand;		/* next blob the sweep looks at */
	uint64		seed1;			/* random key hash seeds */
	uint64		seed2;
	pg_atomic_uint64 next_serial;
	pg_atomic_uint64 inval_seq; /* global invalidation sequence */
	pg_atomic_uint64 bytes_used;	/* accounted bytes */
	pg_atomic_uint64 entries;	/* entries in the table (any state) */
	pg_atomic_uint64 ttl_entries;	/* entries with an expiry time */
	pg_atomic_uint32 worker_pid;
	uint64		stats_reset_base[CC_STAT_LAST]; /* under stats_lock */
	TimestampTz stats_reset_time;
	int			nstats_slots;
	CCStripe   *stripes;		/* CC_NUM_STRIPES */
	pg_atomic_uint64 *ghosts;	/* CC_NUM_GHOSTS, see cache_shmem.c */
	CCRateRing *rates;			/* under stats_lock, see monitor.c */
	CCReplicaSlot *replica_slots;	/* replication.c */
	int			nreplica_slots;
	pg_atomic_uint32 replica_held;	/* slots in state HELD (or going) */
	pg_atomic_uint32 primary_logs;	/* a record of ours was replayed */
	pg_atomic_uint32 replica_ready; /* and older transactions ended */
	TransactionId replica_horizon;	/* set by the startup process */
	pg_atomic_uint64 epoch;		/* entries of older epochs are dead */
	CCNameUsage *name_usage;	/* CC_USAGE_SLOTS, see usage.c */
	CCRelUsage *rel_usage;		/* CC_USAGE_SLOTS */
	pg_atomic_uint64 max_entry_bytes;	/* largest payload since reset */
	CCBackendStats *stats;		/* nstats_slots */
	int			nprepared;		/* max_prepared_transactions */
	CCPreparedSlot *prepared;	/* nprepared */
	void	   *dsa_space;		/* CC_DSA_INPLACE_SIZE */
} CCShared;

/* ----------
 * Globals
 * ----------
 */
extern CCShared *cc_shared;
extern bool cc_preloaded;

/* GUCs */
extern int	cc_max_memory_kb;
extern int	cc_max_entry_size_kb;
extern int	cc_default_ttl_s;
extern bool cc_enabled;
extern char *cc_key_settings;
extern int	cc_debug_fill_pause;
extern bool cc_coalesce_enabled;
extern int	cc_coalesce_timeout_ms;
extern int	cc_max_inflight;
extern bool cc_debug_skip_fence;

/* cascade_cache.c */
extern void cc_check_loaded(void);
extern Size cc_memory_limit_bytes(void);

/* cache_shmem.c */
extern Size cc_shmem_size(void);
extern void cc_shmem_init(void);
extern void cc_attach(void);
extern dsa_area *cc_area;
extern uint64 cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid);
extern uint64 cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text,
							   int len);
extern int	cc_names_matching(Oid dbid, bool prefix, const char *pattern,
							  uint64 **deps, uint64 *entries);
extern uint64 cc_count_dependents(const uint64 *deps, int ndeps);
extern uint64 cc_count_database(Oid dbid);
extern Jsonb *cc_lookup(const CCKey *key);
extern dshash_table *cc_entries_table(void);

/* What cache_explain() shows of a stored entry */
typedef struct CCEntryInfo
{
	uint32		state;			/* CC_ENTRY_*, or 0 if there is no entry */
	TimestampTz created_at;
	TimestampTz expires_at;
	uint32		payload_len;	/* the result's size */
	uint32		stored_len;		/* what is stored (less if compressed) */
	Size		alloc_size;
	uint64		hits;
	int			ndeps;
	char	   *name;			/* palloc'd, or NULL */
} CCEntryInfo;
extern void cc_entry_info(const CCKey *key, CCEntryInfo *info);
extern CCStoreResult cc_store(const CCKey *key, Jsonb *payload,
							  const uint64 *deps, int ndeps,
							  const Oid *relids, int nrelids, const char *name,
							  int64 ttl_us, uint64 s0);
extern uint64 cc_remove_dependents(uint64 dep);
extern uint64 cc_remove_all(Oid dbid, bool expired_only, int counter);
extern void cc_evict_to(Size target, int max_victims);
extern void cc_gc_orphans(void);
extern Size cc_budget_bytes(void);
extern void cc_apply_size_limit(void);
extern void cc_bump_epoch(void);
extern bool cc_epoch_changed(uint64 *seen);

/* glob.c */
typedef struct CCGlob CCGlob;
extern CCGlob *cc_glob_compile(const char *pattern);
extern bool cc_glob_match(CCGlob *glob, const char *name, int len);

/* cache_key.c */
extern void cc_compute_key(text *query, Jsonb *params, const char *name,
						   CCKey *key);
extern bool cc_is_key_setting(const char *name);
extern bool cc_setting_readable(const char *name);
extern bool cc_split_name_list(const char *value, bool identifiers,
							   MemoryContext cxt, List **names);
extern bool cc_have_key_settings(void);
extern void cc_key_settings_assign(const char *newval, void *extra);
extern uint64 cc_key_settings_generation(void);
extern void cc_key_note_catalog_change(void);
extern List *cc_keyed_setting_names(void);

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

/* invalidate.c */
extern void cc_invalidate_init(void);
extern bool cc_begin_commit_invalidation(void);
extern void cc_fence_mark(const uint64 *deps, int ndeps);
extern void cc_fence_held(int **stripes, int *nstripes);
extern void cc_fence_forget(void);
extern void cc_fence_reserve(int nstripes);
extern void cc_fence_adopt(const int *stripes, int nstripes);
extern uint64 cc_fence_begin(void);
extern int	cc_stripe_index(uint64 dep);
extern void cc_fence_hold_stripes(const int *stripes, int n);
extern void cc_fence_release_stripes(const int *stripes, int n);
extern bool cc_fence_check(const uint64 *deps, int ndeps, uint64 s0,
							bool named);
extern bool cc_xact_has_writes(void);
extern void cc_pending_add_dep(uint64 dep);
extern void cc_pending_add_dep_rel(uint64 dep, Oid relid);
extern void cc_pending_add_scope(bool flush_db, bool prefix,
								 const char *pattern);
extern void cc_fill_push(CCFill *fill);
extern void cc_fill_pop(CCFill *fill);
extern bool cc_fill_active(void);

/*
 * A fill in progress: what the executor hook learns about the query while
 * its result is being computed.
 */
struct CCFill
{
	uint64	   *deps;			/* dependency keys (may repeat) */
	int			ndeps;
	int			maxdeps;
	CCBypassReason reason;		/* first reason not to store, or NONE */
	MemoryContext cxt;
	CCFill	   *outer;
	Oid		   *relids;			/* relations read (unique), for the stats */
	int			nrelids;
	int			maxrelids;
	bool		describe;		/* cache_explain(): note what is recorded */
	List	   *notes;			/* char *, in cxt, when describing */
};
extern void cc_fill_add_dep(CCFill *fill, uint64 dep);
extern void cc_fill_add_relation(CCFill *fill, Oid relid);
extern void cc_fill_note(CCFill *fill, const char *fmt,...) pg_attribute_printf(2, 3);
extern CCFill *cc_fill_current(void);
extern void cc_pending_add_relation(Oid relid);

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
extern void cc_twophase_shmem_init(char *place);
extern void cc_twophase_pre_prepare(void);
extern void cc_twophase_prepared(void);
extern void cc_twophase_abort(void);
extern void cc_twophase_before(TransactionStmt *stmt);
extern void cc_twophase_after(TransactionStmt *stmt);

/* cascade.c */
#define CC_INVALID_CASCADE_RECORD	0
#define CC_INVALID_CASCADE_ERROR	1
extern int	cc_invalid_cascade;
extern int	cc_cascade_max_updated;
extern int	cc_cascade_max_deleted;
extern int	cc_cascade_max_invalidations;
extern int	cc_cascade_max_size_kb;

/* An invalidation of cascade.c's on query names */
typedef struct CCScopeSpec
{
	int			scope;			/* 0 EXACT, 1 PREFIX, 2 PATTERN, 3 ALL */
	char	   *text;			/* name or pattern */
	Jsonb	   *args;			/* EXACT arguments, or NULL */
} CCScopeSpec;

/* What a transaction reported, as audit.c writes it down */
typedef struct CCAuditInfo
{
	bool		has_cascade;	/* cascade_invalidate() was called */
	bool		has_rows;		/* watched rows changed */
	bool		has_truncate;	/* a watched table was truncated */
	char	   *error;			/* first malformed cascade's reason */
	char	   *mutation_id;	/* metadata.transactionId, if given */
	List	   *payloads;		/* Jsonb *, one per call kept */
	bool		payloads_dropped;	/* some were not kept (too large) */
	int			ncalls;			/* cascade_invalidate() calls */
	Size		payload_bytes;	/* all the calls' payloads */
	List	   *entities;		/* char *, "Type:id" (or "Type") */
	List	   *names;			/* char *, "SCOPE name" */
	List	   *missing;		/* char *, rows the cascade did not report */
} CCAuditInfo;

extern void cc_cascade_subxact(bool commit, int level);
extern void cc_cascade_xact_end(bool commit);
extern bool cc_cascade_audit_info(CCAuditInfo *info);
extern bool cc_cascade_has_activity(void);

/* audit.c */
extern bool cc_audit_enabled;
extern int	cc_audit_max_rows;
extern int	cc_audit_max_payload_kb;
extern void cc_audit_pre_commit(uint64 removed, int64 duration_us);
extern bool cc_audit_will_write(void);
extern Oid	cc_audit_relid(void);
extern void cc_audit_xact_end(bool commit);
extern void cc_audit_manual(const char *function, uint64 removed,
							int64 duration_us);

/* tags.c */
extern void cc_collect_tags(Jsonb *result, CCFill *fill);
extern void cc_name_deps(const char *name, Jsonb *params, CCFill *fill);
extern char *cc_tag_id_text(JsonbValue *v);
extern uint64 cc_params_tag(const char *name, Jsonb *params);

/* worker.c */
extern void cc_register_worker(void);
extern PGDLLEXPORT void cc_worker_main(Datum arg);
extern void cc_wake_worker(void);

/* replication.c */
extern void cc_replication_init(void);
extern int	cc_replica_slots(void);
extern Size cc_replication_shmem_size(void);
extern void cc_replication_shmem_init(char *place);
extern void cc_hold_until_xact_end(void);
extern void cc_wal_log_commit(const uint64 *deps, int ndeps, bool flush_db,
							  bool flush_all, StringInfo scopes);
extern void cc_wal_log_now(const uint64 *deps, int ndeps, bool flush_db,
						   bool flush_all);
extern void cc_wal_log_prepared_end(const char *gid);
extern XLogRecPtr cc_wal_announce(void);
extern bool cc_replica_ready(void);
extern void cc_replica_release(void);

/* usage.c */
extern Size cc_usage_shmem_size(void);
extern void cc_usage_shmem_init(char *place);
extern int	cc_usage_name_slot(Oid dbid, const char *name);
extern void cc_usage_stored(int slot);
extern void cc_usage_removed(int slot, uint64 hits, int counter);
extern void cc_usage_relation(Oid relid, uint64 removed);

/* monitor.c */
extern Size cc_monitor_shmem_size(void);
extern void cc_monitor_shmem_init(CCRateRing *ring);
extern void cc_monitor_sample(void);
extern void cc_monitor_entry_size(uint64 bytes);
extern void cc_monitor_define_gucs(void);

/* stats.c */
extern void cc_count(CCCounter counter, uint64 n);
extern void cc_counters_read_raw(uint64 *values);
extern void cc_count_bypass(CCBypassReason reason);
extern void cc_counters_read(uint64 *values);
extern const char *cc_bypass_reason_name(CCBypassReason reason);

/* Module headers (transitional: include them directly instead) */
#include "xact/cacheability.h"
#include "xact/catalog_inval.h"
#include "xact/params.h"
#include "xact/precise.h"

#endif							/* CASCADE_CACHE_H */
