/*-------------------------------------------------------------------------
 *
 * audit_table.c
 *		Writing one row into the audit table without ever failing the
 *		transaction that writes it, and keeping the table bounded.
 *
 * A row (CCAuditRow, formed by audit.c) goes straight into the heap and
 * the indexes of cascade_cache.audit_log, as a logical replication apply
 * worker writes: no SPI, no planner, and no privilege of the committing
 * role is needed or used.
 *
 * What can foreseeably stop the write is checked first, without raising
 * an ERROR (cc_audit_prepare()): every lock the insertion takes is taken
 * then, only if it is free at once, and a read-only transaction, a table
 * or index changed by hand are noticed.  The insertion itself runs in a
 * subtransaction with interrupts held off (cc_audit_protected()), for what
 * cannot be foreseen (out of memory, ...).
 * Either way a failure raises a WARNING and counts the row as dropped, and
 * the transaction goes on.
 *
 * The table keeps the latest cascade_cache.audit_max_rows rows: every
 * trimming period (audit_max_rows / CC_AUDIT_TRIM_FRACTION rows, at most
 * CC_AUDIT_MAX_TRIM_PERIOD), the inserting backend deletes up to
 * CC_AUDIT_TRIM_PERIODS periods of rows that fell out of that window,
 * directly in the heap (again without privileges, and without waiting for
 * rows another trim is deleting), in a subtransaction of its own, so that
 * the table never holds much more than the window whatever the mutation
 * rate, and no trimming job is needed.  The cascade_audit view shows
 * exactly the window.
 *
 * Locks: RowExclusiveLock on the sequence, the table, its indexes and its
 * TOAST table, each taken conditionally, held to the end of the
 * transaction as any writer's.  No LWLock.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/subxact.h"
#include "compat.h"
#include "base/counters.h"
#include "xact/audit_table.h"

/* cascade_cache.audit_max_rows */
int			cc_audit_max_rows = 100000;

/* Longest list kept in one row, and longest item kept */
#define CC_AUDIT_MAX_ENTITIES	1000
#define CC_AUDIT_MAX_TEXT		256

/*
 * The trimming period: audit_max_rows / CC_AUDIT_TRIM_FRACTION rows, but
 * at least one and at most CC_AUDIT_MAX_TRIM_PERIOD.  A trim deletes at
 * most CC_AUDIT_TRIM_PERIODS periods of rows.
 */
#define CC_AUDIT_TRIM_FRACTION		10
#define CC_AUDIT_MAX_TRIM_PERIOD	1000
#define CC_AUDIT_TRIM_PERIODS		10

/* The names of the audit table and of the sequence of its ids */
#define CC_AUDIT_TABLE			"audit_log"
#define CC_AUDIT_SEQUENCE		"audit_seq"

/*
 * An audit row ready to be inserted: the table open and locked (and its
 * sequence, indexes and TOAST table locked), the row's values formed but
 * for its id.
 */
typedef struct CCAuditInsert
{
	CCAuditRow *row;
	Relation	rel;
	Oid			seqid;
	Datum	   *values;
	bool	   *nulls;
	int			id_column;		/* index into values of "id" */
	Oid			trim_index;		/* for cc_audit_trim() */
} CCAuditInsert;

/* cc_audit_prepare(): the extension is not installed in this database */
static const char cc_audit_not_here[] = "";

/* The SQLSTATE of the last reason cc_audit_prepare() gave */
static int	cc_audit_why_code = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;

static bool cc_audit_protected(void (*fn) (void *), void *arg,
							   const char *what);
static const char *cc_audit_prepare(CCAuditRow *row, CCAuditInsert *ins);
static const char *cc_audit_lock(Oid relid, LOCKMODE mode);
static bool cc_audit_sequence_spent(Relation seq);
static const char *cc_audit_lock_indexes(Relation rel, LOCKMODE mode,
										 bool plain);
static void cc_audit_insert(void *arg);
static void cc_audit_trim(void *arg);
static Oid	cc_audit_trim_index(Relation rel);

/*
 * The audit table of the current database, or InvalidOid if the extension
 * is not installed here.
 */
Oid
cc_audit_relid(void)
{
	Oid			nsp = get_namespace_oid(CC_SCHEMA_NAME, true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(CC_AUDIT_TABLE, nsp);
}

/* Rows between two trims of the table (see the file header) */
static int64
cc_audit_trim_period(void)
{
	return Min(Max(cc_audit_max_rows / CC_AUDIT_TRIM_FRACTION, 1),
			   CC_AUDIT_MAX_TRIM_PERIOD);
}

/*
 * A text[] datum of at most 'max' elements of 'list' (char *), each cut to
 * CC_AUDIT_MAX_TEXT bytes (at a character boundary).
 */
static Datum
cc_text_array(List *list, int max)
{
	int			n = Min(list_length(list), max);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, list)
	{
		const char *item = (const char *) lfirst(lc);
		int			len = strlen(item);

		if (i >= n)
			break;
		if (len > CC_AUDIT_MAX_TEXT)
			len = pg_mbcliplen(item, len, CC_AUDIT_MAX_TEXT);
		elems[i++] = PointerGetDatum(cstring_to_text_with_len(item, len));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * Write one audit row, and now and then trim the table, without ever
 * raising an ERROR.
 *
 * Everything that can foreseeably fail is checked first, outside any
 * subtransaction (cc_audit_prepare()): the locks, taken only if they are
 * free at once, a read-only transaction, what was done to the table by
 * hand.  Only the insertion itself runs in a subtransaction
 * (cc_audit_protected()), for what cannot be foreseen (out of memory, ...),
 * begun by cc_subxact_begin() so that it may be rolled back while an
 * explicit transaction block commits or is prepared (src/base/subxact.c).
 */
void
cc_audit_write(CCAuditRow *row)
{
	CCAuditInsert ins;
	const char *why;
	int64		period;

	row->id = 0;
	why = cc_audit_prepare(row, &ins);
	if (why == cc_audit_not_here)
		return;
	if (why != NULL)
	{
		ereport(WARNING,
				(errcode(cc_audit_why_code),
				 errmsg("cascade_cache could not write an audit row: %s", why),
				 errdetail("The transaction is not affected; cascade_audit_metrics() counts what the audit lost.")));
		cc_count(CC_STAT_AUDIT_DROPPED, 1);
		if (ins.rel != NULL)
			table_close(ins.rel, NoLock);
		return;
	}
	if (!cc_audit_protected(cc_audit_insert, &ins, "write an audit row"))
	{
		cc_count(CC_STAT_AUDIT_DROPPED, 1);
		table_close(ins.rel, NoLock);
		return;
	}
	if (row->payload_truncated)
		cc_count(CC_STAT_AUDIT_TRUNCATED, 1);

	/* keep the table bounded: now and then, drop what is out of the window */
	period = cc_audit_trim_period();
	if (row->id > 0 && row->id % period == 0 && row->id > cc_audit_max_rows)
	{
		ins.trim_index = cc_audit_trim_index(ins.rel);
		if (OidIsValid(ins.trim_index))
			(void) cc_audit_protected(cc_audit_trim, &ins,
									  "trim the audit table");
		else
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("cascade_cache could not trim the audit table: it has no index on id")));
	}
	table_close(ins.rel, NoLock);
}

/*
 * Run fn(arg) in a subtransaction, with interrupts held off.  On any ERROR,
 * roll the subtransaction back, report the error as a WARNING saying what
 * could not be done, and return false.  Safe at PRE_COMMIT: this is how
 * the audit never fails the commit it describes.
 */
static bool
cc_audit_protected(void (*fn) (void *), void *arg, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	uint32		holdoff = InterruptHoldoffCount;
	volatile bool ok = true;
	int			levels;

	HOLD_INTERRUPTS();
	levels = cc_subxact_begin();
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		fn(arg);
		PopActiveSnapshot();
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* never raised again: interrupts stay held off while rolling back */
		InterruptHoldoffCount = holdoff + 1;
		edata = cc_subxact_abandon(oldcxt, oldowner, levels);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("cascade_cache could not %s: %s", what, edata->message),
				 errdetail("The transaction is not affected; cascade_audit_metrics() counts what the audit lost.")));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	if (ok)
		cc_subxact_end(levels);
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	RESUME_INTERRUPTS();
	return ok;
}

/*
 * Would nextval() of the audit table's sequence fail, at its maximum (or
 * minimum) with NO CYCLE (set by hand)?  Read as "SELECT last_value,
 * is_called FROM audit_seq" reads it, with the bounds of pg_sequence:
 * foreseen, a spent sequence is said as such, where nextval()'s ERROR
 * would only be caught by the protected write.  Values this backend has cached
 * (CACHE above 1) are not seen: they may make it say "spent" early, which
 * costs a row, never the commit.  Raises no ERROR but for a broken catalog.
 * The caller holds a lock on the sequence.
 */
static bool
cc_audit_sequence_spent(Relation seq)
{
	HeapTuple	params;
	Form_pg_sequence form;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		spent = true;

	params = SearchSysCache1(SEQRELID, ObjectIdGetDatum(RelationGetRelid(seq)));
	if (!HeapTupleIsValid(params))
		return true;
	form = (Form_pg_sequence) GETSTRUCT(params);
	scan = table_beginscan(seq, SnapshotAny, 0, NULL);
	tuple = heap_getnext(scan, ForwardScanDirection);
	if (tuple != NULL && RelationGetDescr(seq)->natts >= 3)
	{
		bool		isnull;
		int64		last = DatumGetInt64(heap_getattr(tuple, 1,
													  RelationGetDescr(seq),
													  &isnull));
		bool		called = DatumGetBool(heap_getattr(tuple, 3,
													   RelationGetDescr(seq),
													   &isnull));
		int64		incr = form->seqincrement;

		if (form->seqcycle)
			spent = false;
		else if (!called)
			spent = incr > 0 ? last > form->seqmax : last < form->seqmin;
		else
			spent = incr > 0 ? last > form->seqmax - incr :
				last < form->seqmin - incr;
	}
	table_endscan(scan);
	ReleaseSysCache(params);
	return spent;
}

/* Lock 'relid' in 'mode' if that can be done at once; else say why not. */
static const char *
cc_audit_lock(Oid relid, LOCKMODE mode)
{
	char	   *name;

	if (ConditionalLockRelationOid(relid, mode))
		return NULL;
	cc_audit_why_code = ERRCODE_LOCK_NOT_AVAILABLE;
	name = get_rel_name(relid);
	return psprintf("relation \"%s\" is locked", name ? name : "?");
}

/*
 * Lock every index of 'rel' in 'mode', at once or not at all; else say why
 * not.  With 'plain', also refuse an index whose insertion could wait or
 * run user code: a unique or exclusion index waits for a conflicting row's
 * transaction (with interrupts held off, at commit), and expressions and
 * predicates call functions.
 */
static const char *
cc_audit_lock_indexes(Relation rel, LOCKMODE mode, bool plain)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	const char *why = NULL;

	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		Relation	index;
		bool		ok;

		why = cc_audit_lock(indexoid, mode);
		if (why != NULL)
			break;
		if (!plain)
			continue;
		index = index_open(indexoid, NoLock);
		ok = !index->rd_index->indisunique &&
			!index->rd_index->indisexclusion &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL);
		if (!ok)
			why = psprintf("index \"%s\" of the audit table is unique, an exclusion constraint, on expressions or partial",
						   RelationGetRelationName(index));
		index_close(index, NoLock);
		if (why != NULL)
			break;
	}
	list_free(indexes);
	return why;
}

/*
 * Get an audit row ready to insert (see CCAuditInsert): find the table,
 * take every lock the insertion will take, at once or not at all, and form
 * the values, checking them against the table's columns.  Returns NULL when
 * ready; cc_audit_not_here if the extension is not installed in this
 * database; else why the row cannot be written.  ins->rel is then open if
 * not NULL.  Raises no ERROR but for out of memory and a broken catalog.
 */
static const char *
cc_audit_prepare(CCAuditRow *row, CCAuditInsert *ins)
{
	Oid			nsp;
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	const char *why;
	const char *appname;
	int			i;

	memset(ins, 0, sizeof(CCAuditInsert));
	ins->row = row;
	ins->id_column = -1;
	cc_audit_why_code = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;

	nsp = get_namespace_oid(CC_SCHEMA_NAME, true);
	if (!OidIsValid(nsp))
		return cc_audit_not_here;
	relid = get_relname_relid(CC_AUDIT_TABLE, nsp);
	ins->seqid = get_relname_relid(CC_AUDIT_SEQUENCE, nsp);
	if (!OidIsValid(relid) || !OidIsValid(ins->seqid))
		return cc_audit_not_here;
	if (XactReadOnly)
	{
		cc_audit_why_code = ERRCODE_READ_ONLY_SQL_TRANSACTION;
		return "the transaction is read-only";
	}

	/*
	 * Never wait: a table, index or sequence locked by hand costs the row,
	 * not the commit.  So every relation the insertion will lock is locked
	 * here first, conditionally: the sequence, the table, its indexes, and
	 * its TOAST table and that one's indexes.
	 */
	if ((why = cc_audit_lock(ins->seqid, RowExclusiveLock)) != NULL ||
		(why = cc_audit_lock(relid, RowExclusiveLock)) != NULL)
		return why;
	if (get_rel_relkind(ins->seqid) != RELKIND_SEQUENCE)
		return "\"audit_seq\" is not a sequence";
	{
		Relation	seq = relation_open(ins->seqid, NoLock);
		bool		spent = cc_audit_sequence_spent(seq);

		relation_close(seq, NoLock);
		if (spent)
			return "\"audit_seq\" has reached its limit";
	}
	ins->rel = rel = table_open(relid, NoLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return psprintf("\"%s\" is not a table", RelationGetRelationName(rel));
	if ((why = cc_audit_lock_indexes(rel, RowExclusiveLock, true)) != NULL)
		return why;
	if (OidIsValid(rel->rd_rel->reltoastrelid))
	{
		Relation	toast;

		if ((why = cc_audit_lock(rel->rd_rel->reltoastrelid,
								 RowExclusiveLock)) != NULL)
			return why;
		toast = table_open(rel->rd_rel->reltoastrelid, NoLock);
		why = cc_audit_lock_indexes(toast, RowExclusiveLock, false);
		table_close(toast, NoLock);
		if (why != NULL)
			return why;
	}

	/* assigns the transaction id now if need be (not in recovery here) */
	if (row->mutation_id == NULL)
		row->mutation_id = psprintf("%u", GetTopTransactionId());
	appname = GetConfigOption("application_name", true, false);

	desc = RelationGetDescr(rel);
	ins->values = palloc0(sizeof(Datum) * desc->natts);
	ins->nulls = palloc(sizeof(bool) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		const char *col = NameStr(attr->attname);
		Datum	   *values = ins->values;
		bool	   *nulls = ins->nulls;
		Oid			type = InvalidOid;

		nulls[i] = false;
		if (attr->attisdropped)
			nulls[i] = true;
		else if (strcmp(col, "id") == 0)
		{
			ins->id_column = i;
			type = INT8OID;
		}
		else if (strcmp(col, "mutation_id") == 0)
		{
			values[i] = CStringGetTextDatum(row->mutation_id);
			type = TEXTOID;
		}
		else if (strcmp(col, "database") == 0)
		{
			values[i] = DirectFunctionCall1(namein,
											CStringGetDatum(get_database_name(MyDatabaseId)));
			type = NAMEOID;
		}
		else if (strcmp(col, "role") == 0)
		{
			values[i] = DirectFunctionCall1(namein,
											CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
			type = NAMEOID;
		}
		else if (strcmp(col, "application_name") == 0 && appname != NULL)
		{
			values[i] = CStringGetTextDatum(appname);
			type = TEXTOID;
		}
		else if (strcmp(col, "committed_at") == 0)
		{
			values[i] = TimestampTzGetDatum(GetCurrentTimestamp());
			type = TIMESTAMPTZOID;
		}
		else if (strcmp(col, "source") == 0)
		{
			values[i] = CStringGetTextDatum(row->source);
			type = TEXTOID;
		}
		else if (strcmp(col, "status") == 0)
		{
			values[i] = CStringGetTextDatum(row->status);
			type = TEXTOID;
		}
		else if (strcmp(col, "error") == 0 && row->error != NULL)
		{
			values[i] = CStringGetTextDatum(row->error);
			type = TEXTOID;
		}
		else if (strcmp(col, "payload") == 0 && row->payload != NULL)
		{
			values[i] = JsonbPGetDatum(row->payload);
			type = JSONBOID;
		}
		else if (strcmp(col, "payload_truncated") == 0)
		{
			values[i] = BoolGetDatum(row->payload_truncated);
			type = BOOLOID;
		}
		else if (strcmp(col, "entities") == 0)
		{
			values[i] = cc_text_array(row->entities, CC_AUDIT_MAX_ENTITIES);
			type = TEXTARRAYOID;
		}
		else if (strcmp(col, "entity_count") == 0)
		{
			values[i] = Int32GetDatum(list_length(row->entities));
			type = INT4OID;
		}
		else if (strcmp(col, "query_names") == 0)
		{
			values[i] = cc_text_array(row->names, CC_AUDIT_MAX_ENTITIES);
			type = TEXTARRAYOID;
		}
		else if (strcmp(col, "missing") == 0)
		{
			values[i] = cc_text_array(row->missing, CC_AUDIT_MAX_ENTITIES);
			type = TEXTARRAYOID;
		}
		else if (strcmp(col, "entries_removed") == 0)
		{
			values[i] = Int64GetDatum((int64) row->removed);
			type = INT8OID;
		}
		else if (strcmp(col, "duration_us") == 0)
		{
			values[i] = Int64GetDatum(row->duration_us);
			type = INT8OID;
		}
		else
			nulls[i] = true;

		/* a column altered by hand: write NULL rather than a wrong datum */
		if (!nulls[i] && attr->atttypid != type)
		{
			nulls[i] = true;
			if (i == ins->id_column)
				ins->id_column = -1;
		}
		if (nulls[i] && attr->attnotnull)
			return psprintf("column \"%s\" of the audit table has been changed", col);
	}
	return NULL;
}

/*
 * Insert a prepared row (a CCAuditInsert *), directly into the heap and its
 * indexes: no SPI, no planner, no permission checks (the row is written on
 * the extension's behalf; mutating roles need no privilege on the table).
 * Every lock it takes is held already.  Sets row->id.  Runs in
 * cc_audit_protected().
 */
static void
cc_audit_insert(void *arg)
{
	CCAuditInsert *ins = (CCAuditInsert *) arg;
	Relation	rel = ins->rel;
	HeapTuple	tuple;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;

	ins->row->id = nextval_internal(ins->seqid, false);
	if (ins->id_column >= 0)
		ins->values[ins->id_column] = Int64GetDatum(ins->row->id);
	tuple = heap_form_tuple(RelationGetDescr(rel), ins->values, ins->nulls);

	/* the heap and every index, as a replication apply worker does */
	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
								  &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	simple_table_tuple_insert(rel, slot);
	if (rri->ri_NumIndices > 0)
		(void) CC_INSERT_INDEX_TUPLES(rri, slot, estate);
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
}

/*
 * The audit table's btree index on id alone, which the trim scans, or
 * InvalidOid.  The indexes are locked already (cc_audit_prepare()).
 */
static Oid
cc_audit_trim_index(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	candidate = index_open(lfirst_oid(lc), NoLock);
		Form_pg_index form = candidate->rd_index;

		if (candidate->rd_rel->relam == BTREE_AM_OID &&
			form->indnkeyatts == 1 && form->indisvalid &&
			form->indkey.values[0] > 0 &&
			RelationGetIndexExpressions(candidate) == NIL &&
			RelationGetIndexPredicate(candidate) == NIL &&
			strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel),
										 form->indkey.values[0] - 1)->attname),
				   "id") == 0)
			found = RelationGetRelid(candidate);
		index_close(candidate, NoLock);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	return found;
}

/*
 * Delete, directly in the heap, up to CC_AUDIT_TRIM_PERIODS periods of rows
 * that fell out of the window below the row just written (arg is the
 * CCAuditInsert of that row).
 * Rows another backend is deleting are skipped, never waited for.  Runs in
 * cc_audit_protected().
 */
static void
cc_audit_trim(void *arg)
{
	CCAuditInsert *ins = (CCAuditInsert *) arg;
	CCAuditRow *row = ins->row;
	int64		period = cc_audit_trim_period();
	int64		limit = period * CC_AUDIT_TRIM_PERIODS;
	Relation	rel = ins->rel;
	Relation	index;
	IndexScanDesc scan;
	ScanKeyData key;
	TupleTableSlot *slot;
	Snapshot	snapshot = GetActiveSnapshot();
	int64		n = 0;

	index = index_open(ins->trim_index, NoLock);	/* locked already */

	ScanKeyInit(&key, 1, BTLessEqualStrategyNumber, F_INT8LE,
				Int64GetDatum(row->id - cc_audit_max_rows));
	slot = table_slot_create(rel, NULL);
	scan = CC_INDEX_BEGINSCAN(rel, index, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (n < limit && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		TM_FailureData tmfd;

		/* a row being deleted (by another trim) is skipped, not awaited */
		(void) table_tuple_delete(rel, &slot->tts_tid,
								  GetCurrentCommandId(true), snapshot,
								  InvalidSnapshot, false, &tmfd, false);
		n++;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
}
