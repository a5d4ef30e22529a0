/*-------------------------------------------------------------------------
 *
 * pending.c
 *		The pending set: what the current transaction will invalidate when
 *		it commits, and the list of dependency keys that commit removes.
 *
 * While the transaction runs, three backend-local level sets (levelset.c)
 * record what it changed:
 *
 *	- relations written (the executor and utility hooks, hooks.c; bulk
 *	  writes to watched tables, precise.c; the audit table);
 *	- dependency keys: entity tags and types, query names, and the finer
 *	  keys of watched tables (cascade.c, precise.c), each with the relation
 *	  it stands for, if any, for the statistics;
 *	- scopes on query names: PREFIX, PATTERN, or the whole database (ALL).
 *
 * A rolled-back subtransaction forgets what it recorded; the end of the
 * transaction drops everything (cc_pending_subxact(), cc_pending_reset(),
 * called by the transaction callbacks).
 *
 * At PRE_COMMIT, cc_collect_commit_deps() turns the set, and the relcache
 * invalidation messages the transaction will send, into dependency keys
 * and a flag (the whole database):
 *
 *	- a write to any member of a partition tree counts as a write to the
 *	  whole tree (rows can move between partitions, and INSERT routes
 *	  through the root);
 *	- every DDL on a relation (ALTER, DROP, rename, TRUNCATE, GRANT/REVOKE,
 *	  policies, row level security) sends a relcache message for it;
 *	- a PREFIX or PATTERN scope becomes the keys of the query names that
 *	  match it now, plus the database's NAME_ANY key, which fences the
 *	  names that entries being stored meanwhile carry.
 *
 * Nothing here touches shared memory but the query-name registry, read by
 * cc_names_matching(); nothing takes an LWLock.  Recording and collecting
 * can ERROR; forgetting and resetting cannot.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "miscadmin.h"
#include "storage/sinval.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/levelset.h"
#include "store/store.h"
#include "xact/pending.h"
#include "xact/replication.h"

/* A relation written in this transaction */
typedef struct CCPendingRel
{
	Oid			relid;			/* hash key */
	int			level;
} CCPendingRel;

/* A dependency key (tag, type, name, row key) the transaction invalidates */
typedef struct CCPendingDep
{
	uint64		dep;			/* hash key */
	int			level;
	Oid			relid;			/* the relation it stands for, if any */
} CCPendingDep;

/* A PREFIX or PATTERN scope on query names, or a whole-database flush */
typedef struct CCPendingScope
{
	int			level;
	CCScope		scope;			/* PREFIX, PATTERN or ALL */
	char	   *pattern;		/* in the set's memory; NULL for ALL */
} CCPendingScope;

/*
 * A commit with more query-name scopes than this flushes its database
 * instead of resolving them one by one.
 */
#define CC_MAX_COMMIT_SCOPES	64

/* First allocation of a CCDepList */
#define CC_DEPLIST_MIN			16

/* Initial sizes of the pending hash tables */
#define CC_PENDING_RELS_SIZE	16
#define CC_PENDING_DEPS_SIZE	64

/*
 * Partition trees are far shallower; the bound only guards against a
 * cycle in pg_inherits.
 */
#define CC_MAX_PARTITION_DEPTH	1000

static CCLevelSet cc_pending_rels;
static CCLevelSet cc_pending_deps;
static CCLevelSet cc_pending_scopes;
static bool cc_pending_ready = false;

/* Describe the three sets, once per backend. */
static void
cc_pending_init(void)
{
	if (cc_pending_ready)
		return;
	cc_levelset_init(&cc_pending_rels, "cascade_cache pending relations",
					 sizeof(Oid), sizeof(CCPendingRel),
					 offsetof(CCPendingRel, level), CC_PENDING_RELS_SIZE,
					 NULL, NULL);
	cc_levelset_init(&cc_pending_deps, "cascade_cache pending keys",
					 sizeof(uint64), sizeof(CCPendingDep),
					 offsetof(CCPendingDep, level), CC_PENDING_DEPS_SIZE,
					 NULL, NULL);
	cc_levelset_init(&cc_pending_scopes, "cascade_cache pending scopes",
					 0, sizeof(CCPendingScope),
					 offsetof(CCPendingScope, level), 0, NULL, NULL);
	cc_pending_ready = true;
}

/* ----------------------------------------------------------------
 * Recording
 * ----------------------------------------------------------------
 */

/* Invalidate relation 'relid' as a whole at commit (a write to it). */
void
cc_pending_add_relation(Oid relid)
{
	bool		found;

	cc_pending_init();
	(void) cc_levelset_add(&cc_pending_rels, &relid, &found);
}

/*
 * Invalidate dependency key 'dep' when the current (sub)transaction
 * commits.  Used for entity tags, types and query names.
 */
void
cc_pending_add_dep(uint64 dep)
{
	cc_pending_add_dep_rel(dep, InvalidOid);
}

/* The same, for a key that stands for (part of) relation 'relid'. */
void
cc_pending_add_dep_rel(uint64 dep, Oid relid)
{
	CCPendingDep *pd;
	bool		found;

	cc_pending_init();
	pd = cc_levelset_add(&cc_pending_deps, &dep, &found);
	if (!found)
		pd->relid = relid;
}

/*
 * Invalidate, at commit, every entry whose query name starts with
 * (CC_SCOPE_PREFIX) or matches (CC_SCOPE_PATTERN, a glob) 'pattern', or
 * with CC_SCOPE_ALL every entry of the database.
 */
void
cc_pending_add_scope(CCScope scope, const char *pattern)
{
	CCPendingScope *ps;
	bool		found;

	Assert(scope != CC_SCOPE_EXACT);
	Assert(scope == CC_SCOPE_ALL || pattern != NULL);
	cc_pending_init();
	ps = cc_levelset_add(&cc_pending_scopes, NULL, &found);
	ps->scope = scope;
	ps->pattern = pattern ?
		MemoryContextStrdup(cc_levelset_memory(&cc_pending_scopes), pattern) :
		NULL;
}

/*
 * Has the current transaction written anything?  Then cached_query must
 * neither serve nor store (read-your-writes).
 */
bool
cc_xact_has_writes(void)
{
	if (TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return true;
	return cc_pending_ready &&
		(!cc_levelset_is_empty(&cc_pending_rels) ||
		 !cc_levelset_is_empty(&cc_pending_deps) ||
		 !cc_levelset_is_empty(&cc_pending_scopes));
}

/*
 * Subtransaction end: the parent now owns (commit) or nobody remembers
 * (abort) what the subtransaction at 'level' recorded.  Cannot fail.
 */
void
cc_pending_subxact(bool commit, int level)
{
	if (!cc_pending_ready)
		return;
	if (commit)
	{
		cc_levelset_promote(&cc_pending_rels, level);
		cc_levelset_promote(&cc_pending_deps, level);
		cc_levelset_promote(&cc_pending_scopes, level);
	}
	else
	{
		cc_levelset_forget(&cc_pending_rels, level);
		cc_levelset_forget(&cc_pending_deps, level);
		cc_levelset_forget(&cc_pending_scopes, level);
	}
}

/* End of the transaction: drop the pending set.  Cannot fail. */
void
cc_pending_reset(void)
{
	if (!cc_pending_ready)
		return;
	cc_levelset_reset(&cc_pending_rels);
	cc_levelset_reset(&cc_pending_deps);
	cc_levelset_reset(&cc_pending_scopes);
}

/* ----------------------------------------------------------------
 * Dependency key lists
 * ----------------------------------------------------------------
 */

/* An empty list, in the current memory context. */
void
cc_deplist_init(CCDepList *list)
{
	list->maxdeps = CC_DEPLIST_MIN;
	list->deps = palloc(sizeof(uint64) * list->maxdeps);
	list->relids = palloc(sizeof(Oid) * list->maxdeps);
	list->ndeps = 0;
}

void
cc_deplist_free(CCDepList *list)
{
	pfree(list->deps);
	pfree(list->relids);
	list->deps = NULL;
	list->relids = NULL;
	list->ndeps = list->maxdeps = 0;
}

/* Append a key and the relation it stands for (InvalidOid if none). */
static void
cc_deplist_add(CCDepList *list, uint64 dep, Oid relid)
{
	if (list->ndeps >= list->maxdeps)
	{
		list->maxdeps *= 2;
		list->deps = repalloc(list->deps, sizeof(uint64) * list->maxdeps);
		list->relids = repalloc(list->relids, sizeof(Oid) * list->maxdeps);
	}
	list->deps[list->ndeps] = dep;
	list->relids[list->ndeps] = relid;
	list->ndeps++;
}

/*
 * The root of the partition tree 'relid' belongs to, following pg_inherits
 * itself: a partition being detached (DETACH PARTITION CONCURRENTLY) still
 * says it is a partition while get_partition_ancestors() no longer lists
 * its parent.  Raises no ERROR of its own (catalog access aside).
 */
static Oid
cc_partition_root(Oid relid)
{
	Relation	inherits = table_open(InheritsRelationId, AccessShareLock);
	Oid			root = relid;
	int			depth;

	for (depth = 0; depth < CC_MAX_PARTITION_DEPTH; depth++)
	{
		SysScanDesc scan;
		ScanKeyData key;
		HeapTuple	tuple;
		Oid			parent = InvalidOid;

		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(root));
		scan = systable_beginscan(inherits, InheritsRelidSeqnoIndexId, true,
								  NULL, 1, &key);
		tuple = systable_getnext(scan);
		if (HeapTupleIsValid(tuple))
			parent = ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent;
		systable_endscan(scan);
		if (!OidIsValid(parent) ||
			get_rel_relkind(parent) != RELKIND_PARTITIONED_TABLE)
			break;
		root = parent;
	}
	table_close(inherits, AccessShareLock);
	return root;
}

/*
 * Append a relation's dependency key; for a member of a partition tree,
 * the keys of the whole tree.  Accesses the catalogs; can ERROR.
 */
void
cc_relation_deps(Oid relid, CCDepList *list)
{
	List	   *rels = NIL;
	ListCell   *lc;
	char		relkind = get_rel_relkind(relid);

	if (relkind == RELKIND_PARTITIONED_TABLE || get_rel_relispartition(relid))
	{
		Oid			root = cc_partition_root(relid);

		rels = find_all_inheritors(root, NoLock, NULL);
		/* a partition being detached may not be listed under its root */
		if (root != relid)
			rels = list_concat_unique_oid(rels,
										  find_all_inheritors(relid, NoLock,
															  NULL));
	}
	else
		rels = list_make1_oid(relid);

	foreach(lc, rels)
		cc_deplist_add(list,
					   cc_dep_hash(CC_DEP_RELATION, MyDatabaseId,
								   lfirst_oid(lc)),
					   lfirst_oid(lc));
	list_free(rels);
}

/* ----------------------------------------------------------------
 * Commit
 * ----------------------------------------------------------------
 */

/*
 * What the committing transaction invalidates through its pending set and
 * its relcache invalidation messages ('msgs'), appended to 'list'
 * (initialized by the caller) as dependency keys; *flush_db is set if the
 * whole database is.  'audit_relid' is the audit table if the commit
 * writes an audit row (entries that read it are invalidated too), else
 * InvalidOid.  (The catalog cache messages are judged by the caller,
 * through catalog_inval.c.)  Runs at PRE_COMMIT (and PRE_PREPARE): may
 * access the catalogs, may ERROR.
 */
void
cc_collect_commit_deps(Oid audit_relid, SharedInvalidationMessage *msgs,
					   int nmsgs, CCDepList *list, bool *flush_db)
{
	int			i;
	CCLevelSetIter iter;
	CCPendingRel *rel;
	CCPendingDep *pd;
	CCPendingScope *ps;

	cc_pending_init();
	*flush_db = false;

	cc_levelset_begin(&cc_pending_rels, &iter);
	while ((rel = cc_levelset_next(&iter)) != NULL)
		cc_relation_deps(rel->relid, list);

	cc_levelset_begin(&cc_pending_deps, &iter);
	while ((pd = cc_levelset_next(&iter)) != NULL)
		cc_deplist_add(list, pd->dep, pd->relid);

	/* the audit row this commit writes changes the audit table */
	if (OidIsValid(audit_relid))
		cc_relation_deps(audit_relid, list);

	/* too many name scopes to resolve one by one: the whole database */
	if (cc_levelset_count(&cc_pending_scopes) > CC_MAX_COMMIT_SCOPES)
		*flush_db = true;
	cc_levelset_begin(&cc_pending_scopes, &iter);
	while ((ps = cc_levelset_next(&iter)) != NULL)
	{
		uint64	   *named;
		uint64		unused;
		int			nnamed;
		int			k;

		if (ps->scope == CC_SCOPE_ALL)
			*flush_db = true;
		if (*flush_db)
			continue;

		/* the names that match now; NAME_ANY fences the ones to come */
		nnamed = cc_names_matching(MyDatabaseId,
								   ps->scope == CC_SCOPE_PREFIX,
								   ps->pattern, &named, &unused);
		for (k = 0; k < nnamed; k++)
			cc_deplist_add(list, named[k], InvalidOid);
		cc_deplist_add(list,
					   cc_dep_hash(CC_DEP_NAME_ANY, MyDatabaseId, InvalidOid),
					   InvalidOid);
	}

	for (i = 0; i < nmsgs; i++)
	{
		SharedInvalidationMessage *msg = &msgs[i];

		if (msg->id == SHAREDINVALRELCACHE_ID)
		{
			if (msg->rc.dbId != MyDatabaseId)
				continue;		/* shared catalogs: never cached */
			if (!OidIsValid(msg->rc.relId))
				*flush_db = true;
			else
				cc_relation_deps(msg->rc.relId, list);
		}
	}
}

/*
 * The PREFIX and PATTERN scopes of the transaction, for the WAL record
 * (replication.c): each one byte (CC_WAL_SCOPE_PREFIX or
 * CC_WAL_SCOPE_PATTERN), the pattern and a NUL.  A standby resolves them
 * against the query names of its own cache, which may hold names this
 * server never saw.  NULL if there are none.  Can ERROR.
 */
StringInfo
cc_pending_scopes_for_wal(void)
{
	StringInfo	buf = NULL;
	CCLevelSetIter iter;
	CCPendingScope *ps;

	cc_pending_init();
	cc_levelset_begin(&cc_pending_scopes, &iter);
	while ((ps = cc_levelset_next(&iter)) != NULL)
	{
		if (ps->scope == CC_SCOPE_ALL)
			continue;
		if (buf == NULL)
			buf = makeStringInfo();
		appendStringInfoChar(buf, ps->scope == CC_SCOPE_PREFIX ?
							 CC_WAL_SCOPE_PREFIX : CC_WAL_SCOPE_PATTERN);
		appendBinaryStringInfo(buf, ps->pattern, strlen(ps->pattern) + 1);
	}
	return buf;
}
