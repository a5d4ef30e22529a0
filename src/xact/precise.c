/*-------------------------------------------------------------------------
 *
 * precise.c
 *		Precise invalidation: an entry depends on the rows it looked up by
 *		key, not on the whole table.
 *
 * Every relation a fill reads gives its entry the dependency key
 * RELATION(rel), which any write that is not described row by row (DDL,
 * TRUNCATE, COPY, bulk writes, writes to tables that are not watched)
 * invalidates.  On top of that, for each relation the entry also depends
 * on either
 *
 *	- SCAN(rel), when the fill read the relation in any way other than
 *	  equality lookups on an indexed column (a sequential scan, a range,
 *	  a bitmap AND/OR, a parallel plan, ...), or when the relation is not
 *	  eligible (below); or
 *	- ROWKEY(rel, column, value) for every value the fill looked up with
 *	  "column = value" or "column = ANY(array)" through an index, when
 *	  every scan of the relation in the plan was such a lookup.
 *
 * A write to a watched table that fires its row trigger (cascade.c) then
 * invalidates SCAN(rel) and, for the old and the new version of every
 * changed row, ROWKEY(rel, column, value) for each key column: the entries
 * that scanned the table, and the entries that looked up a value the write
 * added, removed or changed.  A row that moves into a filtered list (an
 * UPDATE of the list's key) has the list's key as its new value, so the
 * list goes.  Such a write does not invalidate RELATION(rel), which is what
 * keeps the other entries alive.  Any other write invalidates RELATION(rel)
 * as before.  The fence (invalidate.c) works on these keys unchanged.
 *
 * Why a lookup key is enough: an index scan with an equality key on
 * column c = v returns a subset of the rows with c = v, whatever its other
 * keys and filters; so a write that neither adds, removes nor changes such
 * a row cannot change what the scan returned.
 *
 * Eligibility.  A relation is eligible when it is a plain table (not a
 * partition or partitioned table), watched by the cascade_cache_watch row
 * trigger for INSERT, UPDATE and DELETE, enabled (ALWAYS, or ORIGIN when
 * session_replication_role is not replica), and precise_invalidation is
 * on.  Its key columns are the plain columns of its btree and hash indexes
 * (including ones still being built concurrently, so that a writer that
 * started before an index became usable still covers it) whose operator
 * family is the type's default, whose collation is the column's and
 * deterministic, and whose type has a default hash function consistent
 * with its equality: the value of a key is that hash function's result, so
 * values equal for the index are equal keys.  Anything else stays at the
 * relation level, which is always safe.
 *
 * Recording lookups.  When a fill's plan starts (the ExecutorStart hook),
 * every index, index-only or bitmap heap scan of an eligible relation whose
 * scan keys include an equality on a key column gets its ExecProcNodeReal
 * wrapped: after each call, the wrapper reads the scan key's current value
 * (run-time keys, such as the outer side of a nested loop or a correlated
 * subplan's parameter, are evaluated by then) and records it.  Past
 * CC_MAX_PROBE_KEYS distinct values in one scan node, the node falls back
 * to SCAN(rel).  All of this is backend-local memory of the executor's
 * query context; nothing here touches shared memory or takes locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/hash.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/skey.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeIndexscan.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "replication/logicalworker.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "cascade_cache.h"

/* Distinct values one scan node records before it falls back to SCAN(rel) */
#define CC_MAX_PROBE_KEYS		1000

/* Elements of one "= ANY(array)" key recorded before falling back */
#define CC_MAX_ARRAY_KEYS		1000

/* Remembered recent values of a scan node, to skip repeats cheaply */
#define CC_PROBE_RECENT			16

/* cascade_cache.precise_invalidation */
bool		cc_precise_enabled = true;

/* A key column of an eligible relation */
typedef struct CCKeyColumn
{
	AttrNumber	attnum;
	Oid			typid;
	Oid			collation;
	FmgrInfo	hash;			/* the type's default hash function */
} CCKeyColumn;

/* What precise invalidation knows about a relation (backend-local cache) */
typedef struct CCRelInfo
{
	Oid			relid;			/* hash key */
	bool		valid;			/* false after a relcache invalidation */
	bool		eligible;		/* plain table with the watch row trigger */
	char		tgenabled;		/* the watch trigger's tgenabled */
	int			ncolumns;
	CCKeyColumn *columns;		/* in cc_relinfo_cxt */
} CCRelInfo;

/* A wrapped scan node */
typedef enum CCProbeKind
{
	CC_PROBE_INDEX,
	CC_PROBE_INDEX_ONLY,
	CC_PROBE_BITMAP
} CCProbeKind;

typedef struct CCProbe
{
	PlanState  *ps;				/* hash key */
	ExecProcNodeMtd real;		/* the wrapped ExecProcNodeReal */
	CCProbeKind kind;
	int			keyno;			/* the scan key that is the lookup */
	CCFill	   *fill;			/* the fill it records into */
	Oid			relid;
	AttrNumber	attnum;
	Oid			collation;
	Oid			typid;
	FmgrInfo	hash;
	bool		byval;
	bool		gave_up;		/* fell back to SCAN(rel) */
	int			nkeys;			/* values recorded */
	Datum		last_datum;		/* by-value types: last value seen */
	bool		have_last;
	uint32		recent[CC_PROBE_RECENT];	/* hashes recorded lately */
	bool		recent_used[CC_PROBE_RECENT];
} CCProbe;

/* How a fill's plan reads each relation, while it is being inspected */
typedef struct CCRelAccess
{
	Oid			relid;			/* hash key */
	bool		probed;			/* some scan node was wrapped */
	bool		other;			/* some scan was not a lookup */
} CCRelAccess;

typedef struct CCWalkContext
{
	EState	   *estate;
	CCFill	   *fill;
	HTAB	   *access;
	List	   *wrap;			/* CCProbe * to install if all goes well */
	bool		parallel;
} CCWalkContext;

/* An entry of cc_probes */
typedef struct CCProbeSlot
{
	PlanState  *ps;				/* hash key */
	CCProbe    *probe;
} CCProbeSlot;

static HTAB *cc_relinfo = NULL;
static MemoryContext cc_relinfo_cxt = NULL;
static HTAB *cc_probes = NULL;

static void cc_relinfo_callback(Datum arg, Oid relid);
static void cc_relinfo_opclass_callback(Datum arg, int cacheid,
										uint32 hashvalue);
static CCRelInfo *cc_relinfo_get(Oid relid);
static CCKeyColumn *cc_key_column(CCRelInfo *info, AttrNumber attnum);
static bool cc_precise_walker(PlanState *ps, void *context);
static void cc_probes_forget(void *arg);
static TupleTableSlot *cc_probe_exec(PlanState *ps);

/* ----------------------------------------------------------------
 * Relation information
 * ----------------------------------------------------------------
 */

/*
 * Relcache invalidation callback: forget what we knew.  Only marks the
 * entries; they are rebuilt (and their memory reused) on the next lookup.
 */
static void
cc_relinfo_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	CCRelInfo  *info;

	if (cc_relinfo == NULL)
		return;
	if (OidIsValid(relid))
	{
		info = hash_search(cc_relinfo, &relid, HASH_FIND, NULL);
		if (info != NULL)
			info->valid = false;
		return;
	}
	hash_seq_init(&status, cc_relinfo);
	while ((info = hash_seq_search(&status)) != NULL)
		info->valid = false;
}

/* An operator class, operator or support function changed: forget all. */
static void
cc_relinfo_opclass_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cc_relinfo_callback(arg, InvalidOid);
}

/*
 * May the index column 'indcol' (1-based) of 'irel', on table column
 * 'attnum' of 'rel', serve as a key column?  See the header comment.
 */
static bool
cc_usable_index_column(Relation rel, Relation irel, int indcol,
					   Oid *typid_out, Oid *collation_out, Oid *hashproc_out)
{
	Form_pg_attribute att;
	AttrNumber	attnum = irel->rd_index->indkey.values[indcol - 1];
	Oid			am = irel->rd_rel->relam;
	Oid			opfamily = irel->rd_opfamily[indcol - 1];
	Oid			indcoll = irel->rd_indcollation[indcol - 1];
	TypeCacheEntry *tce;
	Oid			hash_eq;

	if (attnum <= 0 || (am != BTREE_AM_OID && am != HASH_AM_OID))
		return false;
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	if (att->attisdropped || indcoll != att->attcollation)
		return false;
	if (OidIsValid(indcoll) && !get_collation_isdeterministic(indcoll))
		return false;

	tce = lookup_type_cache(att->atttypid,
							TYPECACHE_EQ_OPR | TYPECACHE_BTREE_OPFAMILY |
							TYPECACHE_HASH_OPFAMILY | TYPECACHE_HASH_PROC);
	if (!OidIsValid(tce->hash_proc) || !OidIsValid(tce->eq_opr) ||
		!OidIsValid(tce->hash_opf) || !OidIsValid(tce->btree_opf))
		return false;
	if (opfamily != (am == BTREE_AM_OID ? tce->btree_opf : tce->hash_opf))
		return false;
	/* the hash family's equality must be the btree family's */
	hash_eq = get_opfamily_member(tce->hash_opf, tce->hash_opintype,
								  tce->hash_opintype, HTEqualStrategyNumber);
	if (hash_eq != tce->eq_opr)
		return false;

	*typid_out = att->atttypid;
	*collation_out = att->attcollation;
	*hashproc_out = tce->hash_proc;
	return true;
}

/*
 * (Re)compute 'info' for its relation.  The caller holds a lock on the
 * relation (the executor's, or the trigger's).  Can ERROR.
 */
static void
cc_relinfo_build(CCRelInfo *info)
{
	Relation	rel;
	TriggerDesc *trigdesc;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	if (info->columns != NULL)
		pfree(info->columns);
	info->columns = NULL;
	info->ncolumns = 0;
	info->eligible = false;
	info->tgenabled = TRIGGER_DISABLED;
	info->valid = true;

	rel = RelationIdGetRelation(info->relid);
	if (rel == NULL)
		return;
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition)
	{
		RelationClose(rel);
		return;
	}

	/* the watch row trigger, without column list or WHEN clause */
	trigdesc = rel->trigdesc;
	for (i = 0; trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		Trigger    *t = &trigdesc->triggers[i];

		if (!cc_is_complete_watch_trigger(t, false))
			continue;
		info->tgenabled = t->tgenabled;
		info->eligible = true;
	}

	if (info->eligible)
	{
		indexes = RelationGetIndexList(rel);
		info->columns = MemoryContextAllocZero(cc_relinfo_cxt,
											   sizeof(CCKeyColumn) *
											   Max(1, RelationGetDescr(rel)->natts));
		foreach(lc, indexes)
		{
			Relation	irel = RelationIdGetRelation(lfirst_oid(lc));
			int			col;

			if (irel == NULL)
				continue;
			for (col = 1; col <= irel->rd_index->indnkeyatts; col++)
			{
				Oid			typid,
							collation,
							hashproc;
				AttrNumber	attnum = irel->rd_index->indkey.values[col - 1];

				if (cc_key_column(info, attnum) != NULL ||
					!cc_usable_index_column(rel, irel, col, &typid,
											&collation, &hashproc))
					continue;
				info->columns[info->ncolumns].attnum = attnum;
				info->columns[info->ncolumns].typid = typid;
				info->columns[info->ncolumns].collation = collation;
				fmgr_info_cxt(hashproc, &info->columns[info->ncolumns].hash,
							  cc_relinfo_cxt);
				info->ncolumns++;
			}
			RelationClose(irel);
		}
		list_free(indexes);
	}
	RelationClose(rel);
}

/* The information on 'relid', computed if needed.  Can ERROR. */
static CCRelInfo *
cc_relinfo_get(Oid relid)
{
	CCRelInfo  *info;
	bool		found;

	if (cc_relinfo == NULL)
	{
		HASHCTL		ctl;

		cc_relinfo_cxt = AllocSetContextCreate(TopMemoryContext,
											   "cascade_cache relation info",
											   ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CCRelInfo);
		ctl.hcxt = cc_relinfo_cxt;
		cc_relinfo = hash_create("cascade_cache relation info", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(cc_relinfo_callback, (Datum) 0);
		/* which columns are keys depends on operator classes too */
		CacheRegisterSyscacheCallback(CLAOID, cc_relinfo_opclass_callback,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(AMOPOPID, cc_relinfo_opclass_callback,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(AMPROCNUM, cc_relinfo_opclass_callback,
									  (Datum) 0);
	}
	info = hash_search(cc_relinfo, &relid, HASH_ENTER, &found);
	if (!found)
	{
		info->columns = NULL;
		info->valid = false;
	}
	if (!info->valid)
		cc_relinfo_build(info);
	return info;
}

static CCKeyColumn *
cc_key_column(CCRelInfo *info, AttrNumber attnum)
{
	int			i;

	for (i = 0; i < info->ncolumns; i++)
		if (info->columns[i].attnum == attnum)
			return &info->columns[i];
	return NULL;
}

/* Will the watch trigger fire for a write to this relation now? */
static bool
cc_relinfo_fires(CCRelInfo *info)
{
	if (!info->eligible)
		return false;
	if (info->tgenabled == TRIGGER_FIRES_ALWAYS)
		return true;
	if (info->tgenabled == TRIGGER_FIRES_ON_ORIGIN)
		return SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA;
	return false;
}

/* ----------------------------------------------------------------
 * Dependency keys
 * ----------------------------------------------------------------
 */

static inline uint64
cc_rowkey_dep(Oid relid, AttrNumber attnum, uint32 valhash)
{
	struct
	{
		uint32		kind;
		Oid			dbid;
		Oid			relid;
		int32		attnum;
		uint32		valhash;
		uint32		pad;
	}			k;

	k.kind = CC_DEP_ROW_KEY;
	k.dbid = MyDatabaseId;
	k.relid = relid;
	k.attnum = attnum;
	k.valhash = valhash;
	k.pad = 0;
	return hash_bytes_extended((const unsigned char *) &k, sizeof(k),
							   CC_DEP_SEED);
}

static inline uint32
cc_value_hash(FmgrInfo *hash, Oid collation, Datum value)
{
	return DatumGetUInt32(FunctionCall1Coll(hash, collation, value));
}

/* ----------------------------------------------------------------
 * Writers
 * ----------------------------------------------------------------
 */

/*
 * Will a write to 'relid' by the statement being started be described row
 * by row by the watch trigger?  Then the executor hook leaves the relation
 * out of the relation-level pending set.  Can ERROR.
 */
bool
cc_precise_write(Oid relid)
{
	if (!cc_precise_enabled)
		return false;
	return cc_relinfo_fires(cc_relinfo_get(relid));
}

/*
 * The watch trigger saw 'tuple' (an old or a new row version) of 'rel'
 * change: invalidate SCAN(rel) and the row's keys at commit.  Past the
 * bulk limit (counted by the caller), the whole relation instead.
 */
void
cc_precise_note_row(Relation rel, HeapTuple tuple, bool bulk)
{
	CCRelInfo  *info;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Oid			relid = RelationGetRelid(rel);
	int			i;

	if (bulk)
	{
		cc_pending_add_relation(relid);
		return;
	}
	info = cc_relinfo_get(relid);
	if (!info->eligible)
	{
		/*
		 * Written relation-level by the executor hook; a logical replication
		 * apply worker writes without it, so the trigger does it there.
		 */
		if (IsLogicalWorker())
			cc_pending_add_relation(relid);
		return;
	}

	cc_pending_add_dep_rel(cc_dep_hash(CC_DEP_REL_SCAN, MyDatabaseId, relid),
						   relid);
	for (i = 0; i < info->ncolumns; i++)
	{
		CCKeyColumn *col = &info->columns[i];
		bool		isnull;
		Datum		value = heap_getattr(tuple, col->attnum, tupdesc, &isnull);

		/* no equality lookup finds a NULL */
		if (isnull)
			continue;
		cc_pending_add_dep_rel(cc_rowkey_dep(relid, col->attnum,
											 cc_value_hash(&col->hash,
														   col->collation,
														   value)),
							   relid);
	}
}

/* ----------------------------------------------------------------
 * Readers
 * ----------------------------------------------------------------
 */

static CCRelAccess *
cc_access(CCWalkContext *cxt, Oid relid)
{
	CCRelAccess *acc;
	bool		found;

	acc = hash_search(cxt->access, &relid, HASH_ENTER, &found);
	if (!found)
	{
		acc->probed = false;
		acc->other = false;
	}
	return acc;
}

/*
 * Find the lookup of a scan node: the first equality scan key on a key
 * column of an eligible relation.  Returns the key number, or -1.
 */
static int
cc_find_lookup(CCRelInfo *info, Relation irel, ScanKey keys, int nkeys,
			   int narraykeys, CCKeyColumn **col_out)
{
	int			equal;
	int			i;

	if (irel == NULL || narraykeys > 0)
		return -1;
	equal = irel->rd_rel->relam == BTREE_AM_OID ? BTEqualStrategyNumber :
		irel->rd_rel->relam == HASH_AM_OID ? HTEqualStrategyNumber : -1;
	if (equal < 0)
		return -1;

	for (i = 0; i < nkeys; i++)
	{
		ScanKey		sk = &keys[i];
		AttrNumber	attnum;
		CCKeyColumn *col;

		if (sk->sk_flags & (SK_ROW_HEADER | SK_ROW_MEMBER | SK_SEARCHNULL |
							SK_SEARCHNOTNULL | SK_ORDER_BY))
			continue;
		if (sk->sk_strategy != equal || sk->sk_attno < 1 ||
			sk->sk_attno > irel->rd_index->indnkeyatts)
			continue;
		attnum = irel->rd_index->indkey.values[sk->sk_attno - 1];
		col = cc_key_column(info, attnum);
		if (col == NULL)
			continue;
		/* same-type equality only: the value hashes as the column's type */
		if (OidIsValid(sk->sk_subtype) && sk->sk_subtype != col->typid)
			continue;
		if (sk->sk_collation != col->collation)
			continue;

		/*
		 * ... and the type's own equality: the scanning index's operator
		 * family must be the type's default one (another index may have
		 * made the column a key column; this one could compare with, say,
		 * a case-insensitive operator class).
		 */
		{
			TypeCacheEntry *tce = lookup_type_cache(col->typid,
													TYPECACHE_BTREE_OPFAMILY |
													TYPECACHE_HASH_OPFAMILY);
			Oid			opfamily = equal == BTEqualStrategyNumber ?
			tce->btree_opf : tce->hash_opf;

			if (irel->rd_opfamily[sk->sk_attno - 1] != opfamily ||
				irel->rd_indcollation[sk->sk_attno - 1] != col->collation)
				continue;
		}
		*col_out = col;
		return i;
	}
	return -1;
}

/*
 * Planstate walker: decide, for each scan node, whether it is a lookup to
 * wrap or another kind of access.
 */
static bool
cc_precise_walker(PlanState *ps, void *context)
{
	CCWalkContext *cxt = (CCWalkContext *) context;
	Plan	   *plan = ps->plan;

	if (IsA(ps, GatherState) || IsA(ps, GatherMergeState))
		cxt->parallel = true;

	if (IsA(ps, IndexScanState) || IsA(ps, IndexOnlyScanState) ||
		IsA(ps, BitmapHeapScanState))
	{
		Index		scanrelid = ((Scan *) plan)->scanrelid;
		RangeTblEntry *rte = exec_rt_fetch(scanrelid, cxt->estate);
		CCRelAccess *acc = cc_access(cxt, rte->relid);
		CCRelInfo  *info = cc_relinfo_get(rte->relid);
		CCKeyColumn *col = NULL;
		int			keyno = -1;
		CCProbeKind kind;

		if (IsA(ps, IndexScanState))
		{
			IndexScanState *is = (IndexScanState *) ps;

			kind = CC_PROBE_INDEX;
			if (info->eligible)
				keyno = cc_find_lookup(info, is->iss_RelationDesc,
									   is->iss_ScanKeys, is->iss_NumScanKeys,
									   0, &col);
		}
		else if (IsA(ps, IndexOnlyScanState))
		{
			IndexOnlyScanState *is = (IndexOnlyScanState *) ps;

			kind = CC_PROBE_INDEX_ONLY;
			if (info->eligible)
				keyno = cc_find_lookup(info, is->ioss_RelationDesc,
									   is->ioss_ScanKeys, is->ioss_NumScanKeys,
									   0, &col);
		}
		else
		{
			PlanState  *child = outerPlanState(ps);

			kind = CC_PROBE_BITMAP;
			if (info->eligible && child != NULL &&
				IsA(child, BitmapIndexScanState))
			{
				BitmapIndexScanState *bis = (BitmapIndexScanState *) child;

				keyno = cc_find_lookup(info, bis->biss_RelationDesc,
									   bis->biss_ScanKeys,
									   bis->biss_NumScanKeys,
									   bis->biss_NumArrayKeys, &col);
			}
		}

		if (keyno < 0)
			acc->other = true;
		else
		{
			CCProbe    *probe = palloc0(sizeof(CCProbe));
			int16		typlen;
			bool		byval;

			probe->ps = ps;
			probe->kind = kind;
			probe->keyno = keyno;
			probe->fill = cxt->fill;
			probe->relid = rte->relid;
			probe->attnum = col->attnum;
			probe->collation = col->collation;
			probe->typid = col->typid;
			fmgr_info_copy(&probe->hash, &col->hash, CurrentMemoryContext);
			get_typlenbyval(col->typid, &typlen, &byval);
			probe->byval = byval;
			cxt->wrap = lappend(cxt->wrap, probe);
			acc->probed = true;
		}
	}
	else if (IsA(plan, SeqScan) || IsA(plan, SampleScan) ||
			 IsA(plan, TidScan) || IsA(plan, TidRangeScan))
	{
		/*
		 * (A BitmapIndexScan needs nothing: its bitmap heap scan above it
		 * accounts for the relation.)
		 */
		Index		scanrelid = ((Scan *) plan)->scanrelid;

		cc_access(cxt, exec_rt_fetch(scanrelid, cxt->estate)->relid)->other = true;
	}
	else if (IsA(plan, ForeignScan) || IsA(plan, CustomScan))
	{
		Bitmapset  *relids = IsA(plan, ForeignScan) ?
		((ForeignScan *) plan)->fs_relids :
		((CustomScan *) plan)->custom_relids;
		int			x = -1;

		while ((x = bms_next_member(relids, x)) >= 0)
			cc_access(cxt, exec_rt_fetch(x, cxt->estate)->relid)->other = true;
	}

	return planstate_tree_walker(ps, cc_precise_walker, context);
}

/*
 * A fill's plan has been started (ExecutorStart hook, 'fill' active): add
 * the relation-level keys of every relation it reads, and wrap its
 * lookups.  Can ERROR (before anything is wrapped).
 */
void
cc_precise_fill_start(QueryDesc *queryDesc, CCFill *fill)
{
	EState	   *estate = queryDesc->estate;
	List	   *rtable = queryDesc->plannedstmt->rtable;
	CCWalkContext cxt;
	HASHCTL		ctl;
	ListCell   *lc;
	MemoryContext oldcxt;
	CCFill	   *f;

	foreach(lc, rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);
		CCBypassReason reason;

		if (rte->rtekind != RTE_RELATION)
			continue;
		reason = cc_check_relation(rte->relid, rte->relkind);
		if (reason != CC_BYPASS_NONE && fill->reason == CC_BYPASS_NONE)
			fill->reason = reason;
		cc_fill_add_dep(fill, cc_dep_hash(CC_DEP_RELATION, MyDatabaseId,
										  rte->relid));
		for (f = fill; f != NULL; f = f->outer)
			cc_fill_add_relation(f, rte->relid);
	}

	/* the probes live as long as the plan */
	oldcxt = MemoryContextSwitchTo(estate->es_query_cxt);

	memset(&cxt, 0, sizeof(cxt));
	cxt.estate = estate;
	cxt.fill = fill;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(CCRelAccess);
	ctl.hcxt = CurrentMemoryContext;
	cxt.access = hash_create("cascade_cache relation access", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (cc_precise_enabled && queryDesc->planstate != NULL)
		cc_precise_walker(queryDesc->planstate, &cxt);

	/* every relation that is not only looked up depends on SCAN(rel) */
	foreach(lc, rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);
		CCRelAccess *acc;

		if (rte->rtekind != RTE_RELATION)
			continue;
		acc = hash_search(cxt.access, &rte->relid, HASH_FIND, NULL);
		if (cxt.parallel || acc == NULL || !acc->probed || acc->other)
			cc_fill_add_dep(fill, cc_dep_hash(CC_DEP_REL_SCAN, MyDatabaseId,
											  rte->relid));
		if (fill->describe)
		{
			const char *relname = quote_identifier(get_rel_name(rte->relid));

			if (rte->relkind == RELKIND_VIEW)
				cc_fill_note(fill, "view %s: its definition", relname);
			else if (acc != NULL && acc->probed && !acc->other && !cxt.parallel)
				cc_fill_note(fill, "relation %s: the keys it looks up (below), and its definition",
							 relname);
			else
				cc_fill_note(fill, "relation %s: any change (%s)", relname,
							 !cc_precise_enabled ? "precise_invalidation is off" :
							 !cc_relinfo_get(rte->relid)->eligible ? "not watched, or not a plain table" :
							 cxt.parallel ? "a parallel plan" :
							 acc == NULL ? "not scanned by this plan" :
							 "read other than by equality lookups on an indexed column");
		}
	}

	/* wrap the lookups of the relations that are only looked up */
	if (!cxt.parallel && cxt.wrap != NIL)
	{
		MemoryContextCallback *cb;

		if (cc_probes == NULL)
		{
			HASHCTL		pctl;

			pctl.keysize = sizeof(PlanState *);
			pctl.entrysize = sizeof(CCProbeSlot);
			pctl.hcxt = TopMemoryContext;
			cc_probes = hash_create("cascade_cache probes", 64, &pctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		/* everything that can fail first, then the wrapping */
		cb = palloc(sizeof(MemoryContextCallback));
		foreach(lc, cxt.wrap)
		{
			CCProbe    *probe = (CCProbe *) lfirst(lc);
			CCRelAccess *acc = hash_search(cxt.access, &probe->relid,
										   HASH_FIND, NULL);
			CCProbeSlot *slot;

			if (acc->other)
				continue;
			slot = hash_search(cc_probes, &probe->ps, HASH_ENTER, NULL);
			slot->probe = probe;
		}
		cb->func = cc_probes_forget;
		cb->arg = list_copy(cxt.wrap);
		MemoryContextRegisterResetCallback(estate->es_query_cxt, cb);
		foreach(lc, cxt.wrap)
		{
			CCProbe    *probe = (CCProbe *) lfirst(lc);
			CCRelAccess *acc = hash_search(cxt.access, &probe->relid,
										   HASH_FIND, NULL);

			if (acc->other)
				continue;
			probe->real = probe->ps->ExecProcNodeReal;
			probe->ps->ExecProcNodeReal = cc_probe_exec;
		}
	}

	hash_destroy(cxt.access);
	MemoryContextSwitchTo(oldcxt);
}

/* The plan's memory is going away: forget its probes. */
static void
cc_probes_forget(void *arg)
{
	List	   *probes = (List *) arg;
	ListCell   *lc;

	if (cc_probes == NULL)
		return;
	foreach(lc, probes)
	{
		CCProbe    *probe = (CCProbe *) lfirst(lc);
		CCProbeSlot *slot = hash_search(cc_probes, &probe->ps, HASH_FIND, NULL);

		if (slot != NULL && slot->probe == probe)
			hash_search(cc_probes, &probe->ps, HASH_REMOVE, NULL);
	}
}

/* Is 'fill' still running (on the stack of active fills)? */
static bool
cc_fill_running(CCFill *fill)
{
	CCFill	   *f;

	for (f = cc_fill_current(); f != NULL; f = f->outer)
		if (f == fill)
			return true;
	return false;
}

/* Record one looked-up value; false once the probe gave up. */
static bool
cc_probe_value(CCProbe *probe, Datum value)
{
	uint32		h = cc_value_hash(&probe->hash, probe->collation, value);
	int			slot = h % CC_PROBE_RECENT;

	if (probe->recent_used[slot] && probe->recent[slot] == h)
		return true;
	probe->recent[slot] = h;
	probe->recent_used[slot] = true;

	if (++probe->nkeys > CC_MAX_PROBE_KEYS)
	{
		probe->gave_up = true;
		cc_fill_note(probe->fill, "relation %s: any change (more than %d keys looked up)",
					 quote_identifier(get_rel_name(probe->relid)),
					 CC_MAX_PROBE_KEYS);
		cc_fill_add_dep(probe->fill, cc_dep_hash(CC_DEP_REL_SCAN, MyDatabaseId,
												 probe->relid));
		return false;
	}
	cc_fill_add_dep(probe->fill, cc_rowkey_dep(probe->relid, probe->attnum, h));
	if (probe->fill->describe)
	{
		Oid			typoutput;
		bool		isvarlena;

		getTypeOutputInfo(probe->typid, &typoutput, &isvarlena);
		cc_fill_note(probe->fill, "key %s.%s = %s",
					 quote_identifier(get_rel_name(probe->relid)),
					 quote_identifier(get_attname(probe->relid, probe->attnum, false)),
					 OidOutputFunctionCall(typoutput, value));
	}
	return true;
}

/*
 * Record the value the scan key of 'probe' holds now.
 */
static void
cc_probe_record(CCProbe *probe)
{
	PlanState  *ps = probe->ps;
	ScanKey		sk;

	if (probe->gave_up || !cc_fill_running(probe->fill))
		return;

	switch (probe->kind)
	{
		case CC_PROBE_INDEX:
			sk = &((IndexScanState *) ps)->iss_ScanKeys[probe->keyno];
			break;
		case CC_PROBE_INDEX_ONLY:
			sk = &((IndexOnlyScanState *) ps)->ioss_ScanKeys[probe->keyno];
			break;
		default:
			sk = &((BitmapIndexScanState *) outerPlanState(ps))->biss_ScanKeys[probe->keyno];
			break;
	}

	/* "= NULL" finds nothing, whatever the data */
	if (sk->sk_flags & SK_ISNULL)
		return;

	if (sk->sk_flags & SK_SEARCHARRAY)
	{
		ArrayType  *arr = DatumGetArrayTypeP(sk->sk_argument);
		int16		elmlen;
		bool		elmbyval;
		char		elmalign;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;

		get_typlenbyvalalign(ARR_ELEMTYPE(arr), &elmlen, &elmbyval, &elmalign);
		deconstruct_array(arr, ARR_ELEMTYPE(arr), elmlen, elmbyval, elmalign,
						  &elems, &nulls, &nelems);
		if (nelems > CC_MAX_ARRAY_KEYS)
		{
			probe->gave_up = true;
			cc_fill_add_dep(probe->fill, cc_dep_hash(CC_DEP_REL_SCAN,
													 MyDatabaseId,
													 probe->relid));
		}
		else
		{
			for (i = 0; i < nelems; i++)
				if (!nulls[i] && !cc_probe_value(probe, elems[i]))
					break;
		}
		pfree(elems);
		pfree(nulls);
		return;
	}

	if (probe->byval)
	{
		if (probe->have_last && probe->last_datum == sk->sk_argument)
			return;
		probe->last_datum = sk->sk_argument;
		probe->have_last = true;
	}
	cc_probe_value(probe, sk->sk_argument);
}

/*
 * The wrapped ExecProcNodeReal of a lookup: run the node, then record the
 * value its scan key held (evaluated by the node at its (re)scan).
 */
static TupleTableSlot *
cc_probe_exec(PlanState *ps)
{
	CCProbeSlot *slot = hash_search(cc_probes, &ps, HASH_FIND, NULL);
	CCProbe    *probe;
	TupleTableSlot *result;

	if (slot == NULL)
		elog(ERROR, "cascade_cache: lost track of a wrapped scan node");
	probe = slot->probe;
	result = probe->real(ps);
	cc_probe_record(probe);
	return result;
}
