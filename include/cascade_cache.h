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

#include "utils/jsonb.h"

#define CC_EXTENSION_NAME		"cascade_cache"
#define CC_SCHEMA_NAME			"cascade_cache"

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
	CC_DEP_ROW_KEY = 10,		/* a key looked up: relation, column, value */
	CC_DEP_TYPE_MANY = 11		/* any entity of a type, for a result with too
								 * many entities to tag each */
} CCDepKind;

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
	/* recipes: warm restart and refresh-ahead (src/api/runner.c) */
	CC_STAT_WARM_QUEUED,		/* warm recipes queued for a runner */
	CC_STAT_WARM_OUTCOME_FIRST, /* CC_NUM_RECIPE_OUTCOMES of them, in
								 * CCRecipeOutcome order */
	CC_STAT_REFRESH_QUEUED = CC_STAT_WARM_OUTCOME_FIRST + 5,
	CC_STAT_REFRESH_DROPPED,	/* refreshes not queued: queue full, no memory */
	CC_STAT_REFRESH_OUTCOME_FIRST,
	/* bypasses by reason, in the order of CCBypassReason */
	CC_STAT_BYPASS_FIRST = CC_STAT_REFRESH_OUTCOME_FIRST + 5,
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
	CC_BYPASS_SYSTEM_COLUMN,
	CC_BYPASS_PARALLEL_MODE,
	CC_NUM_BYPASS_REASONS
} CCBypassReason;

StaticAssertDecl(CC_STAT_BYPASS_FIRST + CC_NUM_BYPASS_REASONS <= CC_STAT_LAST,
				 "CC_STAT_LAST too small for the bypass reasons");

/*
 * The form a result is stored and returned in: cached_query() returns the
 * rows as a jsonb array, cached_query_json() the same rows as JSON text
 * (exactly cached_query()::text); cached_document() returns the first
 * column of the first row as jsonb, cached_document_json() as JSON text.
 * A document of no row, or of a NULL first column, is stored as an empty
 * varlena (no jsonb and no JSON text is empty) and returned as NULL.  The
 * form is part of the key, so each function has entries of its own.
 */
typedef enum CCFormat
{
	CC_FORMAT_JSONB = 0,
	CC_FORMAT_JSON = 1,
	CC_FORMAT_DOC_JSONB = 2,
	CC_FORMAT_DOC_JSON = 3
} CCFormat;

#define CC_FORMAT_IS_TEXT(f) \
	((f) == CC_FORMAT_JSON || (f) == CC_FORMAT_DOC_JSON)
#define CC_FORMAT_IS_DOCUMENT(f) \
	((f) == CC_FORMAT_DOC_JSONB || (f) == CC_FORMAT_DOC_JSON)

/* ----------
 * The values of $1..$n
 *
 * Either a JSON array ('json' set: cached_query(query, params jsonb)),
 * each element converted by the input function of the type parse analysis
 * infers for its parameter, or native SQL values ('json' NULL: the _args
 * functions, VARIADIC "any"), each of the type it arrives with.  A native
 * value of type unknown (an undecorated literal) takes the type parse
 * analysis infers, through that type's input function, as PREPARE does.
 * The native types are checked by the entry point (no pseudo-type but
 * unknown, see src/api/cached_query.c), which also looks up their length
 * and passing convention once per call site, so that hashing the values
 * for the key touches no catalog.
 * ----------
 */
typedef struct CCParams
{
	Jsonb	   *json;			/* the JSON array, or NULL: native values */
	int			nargs;			/* native: the number of values */
	const Oid  *types;			/* native: their types */
	const int16 *typlens;		/* native: the types' typlen */
	const bool *typbyvals;		/* native: the types' typbyval */
	Datum	   *values;			/* native: the values */
	bool	   *nulls;			/* native: which are NULL */
} CCParams;

#define CC_PARAMS_ARE_NATIVE(p) ((p)->json == NULL)

/*
 * Recipes (include/xact/recipe.h) longer than this are not recorded: their
 * entries are never replayed by a runner.
 */
#define CC_MAX_RECIPE_BYTES		(64 * 1024)

/* A fill in progress (include/xact/fill.h) */
typedef struct CCFill CCFill;

#endif							/* CASCADE_CACHE_H */
