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
 * as before.  The fence (src/store/fence.c) works on these keys unchanged.
 *
 * Why a lookup key is enough: an index scan with an equality key on
 * column c = v returns a subset of the rows with c = v, whatever its other
 * keys and filters; so a write that neither adds, removes nor changes such
 * a row cannot change what the scan returned.
 *
 * Eligibility.  A relation is eligible when it is a plain table (not a
 * partition or partitioned table), watched by the cascade_cache_watch row
 * trigger for INSERT, UPDATE and DELETE, and precise_invalidation is on; a
 * write is described row by row only while the trigger is enabled ALWAYS
 * (cc_relinfo_fires()), as cascade_watch() creates it.  Its key columns
 * are the plain columns of its btree and hash indexes (including ones
 * still being built concurrently, so that a writer that started before an
 * index became usable still covers it) whose operator family is the
 * type's default, whose collation is the column's and deterministic, and
 * whose type has a default hash function consistent with its equality:
 * the value of a key is that hash function's result, so values equal for
 * the index are equal keys.  Anything else stays at the relation level,
 * which is always safe.
 *
 * Recording lookups is the fill side, precise_fill.c; this file keeps what
 * both sides need (which relations are eligible and their key columns, the
 * ROWKEY key) and the write side.
 *
 * What this file knows about a relation (CCRelInfo) is cached per backend
 * in cc_relinfo (its own memory context under TopMemoryContext); an entry
 * is marked stale by any relcache invalidation of its relation (or of all
 * relations), and every entry by any change to an operator class, an
 * operator family member or a support function, then rebuilt on its next
 * use.  Nothing here touches shared memory or takes locks of its own (it
 * runs under the lock of the executor or of the trigger).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_am.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/guc.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/pending.h"
#include "xact/precise.h"
#include "xact/precise_int.h"

/* Initial size of the per-backend table of relation information */
#define CC_RELINFO_INITIAL		64

/* cascade_cache.precise_invalidation */
bool		cc_precise_enabled = true;

static HTAB *cc_relinfo = NULL;
static MemoryContext cc_relinfo_cxt = NULL;

static void cc_relinfo_callback(Datum arg, Oid relid);
static void cc_relinfo_opclass_callback(Datum arg, int cacheid,
										uint32 hashvalue);
static bool cc_relinfo_fires(CCRelInfo *info);

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
 * (Re)compute 'info' for its relation.  It is marked valid first, so that
 * an invalidation processed while this runs (a catalog lookup can take one
 * in) leaves it to be computed again on its next use; on an ERROR the
 * caller marks it invalid again.  The caller holds a lock on the relation
 * (the executor's, or the trigger's).  Can ERROR.
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

	/*
	 * The watch row trigger, without column list or WHEN clause.  A copy of
	 * the triggers, as InitResultRelInfo() takes: looking up a trigger's
	 * function can process invalidations, and a relcache rebuild (a cache
	 * reset, for one) frees the entry's trigdesc even while the relation is
	 * open and locked.
	 */
	trigdesc = CopyTriggerDesc(rel->trigdesc);
	for (i = 0; trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		Trigger    *t = &trigdesc->triggers[i];

		if (!cc_is_complete_watch_trigger(t, false))
			continue;
		info->tgenabled = t->tgenabled;
		info->eligible = true;
	}
	if (trigdesc != NULL)
		FreeTriggerDesc(trigdesc);

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

/*
 * The information on 'relid', computed if needed; valid until the next
 * invalidation is processed.  The caller holds a lock on the relation.
 * Can ERROR (catalog access).
 */
CCRelInfo *
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
		cc_relinfo = hash_create("cascade_cache relation info",
								 CC_RELINFO_INITIAL, &ctl,
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
	{
		PG_TRY();
		{
			cc_relinfo_build(info);
		}
		PG_CATCH();
		{
			/*
			 * Not half-built: a writer that kept fewer key columns than the
			 * readers looked up would leave their entries behind.
			 */
			info->valid = false;
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return info;
}

/* The key column 'attnum' of 'info', or NULL if it is not one. */
CCKeyColumn *
cc_key_column(CCRelInfo *info, AttrNumber attnum)
{
	int			i;

	for (i = 0; i < info->ncolumns; i++)
		if (info->columns[i].attnum == attnum)
			return &info->columns[i];
	return NULL;
}

/*
 * Will the watch trigger fire for every row the statement being started
 * writes to this relation?  Only if it is enabled ALWAYS: PostgreSQL asks
 * whether a trigger enabled on origin (or on replica) fires as it queues
 * each row's event, under session_replication_role as it is then, and a
 * function the statement calls can set that in between (a superuser, or a
 * role granted SET on it), so that the rows after it go unreported.
 */
static bool
cc_relinfo_fires(CCRelInfo *info)
{
	return info->eligible && info->tgenabled == TRIGGER_FIRES_ALWAYS;
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
 * bulk limit (counted by the caller), the whole relation instead.  Runs
 * under the trigger's lock on 'rel'.  Can ERROR (catalog access, the
 * column's hash function, out of memory).
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

/*
 * Define cascade_cache.precise_invalidation.  Called once, from _PG_init.
 */
void
cc_precise_define_gucs(void)
{
	DefineCustomBoolVariable("cascade_cache.precise_invalidation",
							 "Invalidates entries by the keys they looked up in watched tables.",
							 "When off, every write to a table invalidates every entry that read it.",
							 &cc_precise_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);
}
