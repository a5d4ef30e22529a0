/*-------------------------------------------------------------------------
 *
 * precise_fill.c
 *		Precise invalidation, the fill side: recording the keys a fill
 *		looks up.
 *
 * See precise.c for the design.  When a fill's plan starts (the
 * ExecutorStart hook, cc_precise_fill_start()), every relation in its range
 * table is classified (cc_check_relation()) and gives the fill the key
 * RELATION(rel).  Then every index, index-only or bitmap heap scan of an
 * eligible relation whose scan keys include an equality on a key column
 * gets its ExecProcNodeReal wrapped: after each call, the wrapper reads the
 * scan key's current value (run-time keys, such as the outer side of a
 * nested loop or a correlated subplan's parameter, are evaluated by then)
 * and records ROWKEY(rel, column, value).  A relation read in any other
 * way by the plan gets SCAN(rel) instead.
 *
 * Failing closed, SCAN(rel) also covers: a parallel plan (the workers'
 * scans are not wrapped); a foreign or custom scan; a bitmap scan whose
 * index scan has array keys; a scan key on another type, collation or
 * operator family than the column's default one; more than
 * CC_MAX_PROBE_KEYS distinct values recorded by one scan node, or an
 * "= ANY(array)" key of more than CC_MAX_ARRAY_KEYS elements.  Known NOT to
 * matter: "= NULL" keys, which find nothing whatever the data; a
 * BitmapIndexScan on its own (its bitmap heap scan accounts for the
 * relation).
 *
 * The wrapped nodes are found through cc_probes (TopMemoryContext); the
 * probes themselves live in the executor's query context and are removed
 * from cc_probes when that context is reset.  A probe records only while
 * its fill is on the stack of running fills.  Backend-local memory only:
 * nothing here touches shared memory or takes locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/skey.h"
#include "catalog/pg_am.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/fill.h"
#include "xact/precise.h"
#include "xact/precise_int.h"

/* Distinct values one scan node records before it falls back to SCAN(rel) */
#define CC_MAX_PROBE_KEYS		1000

/* Elements of one "= ANY(array)" key recorded before falling back */
#define CC_MAX_ARRAY_KEYS		1000

/* Remembered recent values of a scan node, to skip repeats cheaply */
#define CC_PROBE_RECENT			16

/* Initial sizes of the table of wrapped nodes and of one plan's accesses */
#define CC_PROBES_INITIAL		64
#define CC_ACCESS_INITIAL		16

/* No scan key of a node is the lookup */
#define CC_NO_LOOKUP			(-1)

/* The kind of a wrapped scan node */
typedef enum CCProbeKind
{
	CC_PROBE_INDEX,
	CC_PROBE_INDEX_ONLY,
	CC_PROBE_BITMAP
} CCProbeKind;

/* A lookup being recorded: one wrapped scan node */
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

/* The state of one inspection of a fill's plan */
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

static HTAB *cc_probes = NULL;

static bool cc_precise_walker(PlanState *ps, void *context);
static void cc_probes_forget(void *arg);
static TupleTableSlot *cc_probe_exec(PlanState *ps);

/* The access record of 'relid' in the plan being inspected, made if new. */
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
 * column of an eligible relation.  Returns the key number, or
 * CC_NO_LOOKUP.
 */
static int
cc_find_lookup(CCRelInfo *info, Relation irel, ScanKey keys, int nkeys,
			   int narraykeys, CCKeyColumn **col_out)
{
	int			equal;
	int			i;

	if (irel == NULL || narraykeys > 0)
		return CC_NO_LOOKUP;
	equal = irel->rd_rel->relam == BTREE_AM_OID ? BTEqualStrategyNumber :
		irel->rd_rel->relam == HASH_AM_OID ? HTEqualStrategyNumber :
		InvalidStrategy;
	if (equal == InvalidStrategy)
		return CC_NO_LOOKUP;

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
		 * family must be the type's default one (another index may have made
		 * the column a key column; this one could compare with, say, a
		 * case-insensitive operator class).
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
	return CC_NO_LOOKUP;
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
		int			keyno = CC_NO_LOOKUP;
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

		if (keyno == CC_NO_LOOKUP)
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
 * the relation-level keys of every relation it reads, note the first
 * reason one of them is not cacheable in fill->reason, and wrap its
 * lookups.  Runs under the executor's locks.  Can ERROR (before anything
 * is wrapped).
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

		if (!CC_RTE_IS_RELATION(rte))
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
	cxt.access = hash_create("cascade_cache relation access",
							 CC_ACCESS_INITIAL, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (cc_precise_enabled && queryDesc->planstate != NULL)
		cc_precise_walker(queryDesc->planstate, &cxt);

	/* every relation that is not only looked up depends on SCAN(rel) */
	foreach(lc, rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);
		CCRelAccess *acc;

		if (!CC_RTE_IS_RELATION(rte))
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
			cc_probes = hash_create("cascade_cache probes",
									CC_PROBES_INITIAL, &pctl,
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
