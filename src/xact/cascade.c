/*-------------------------------------------------------------------------
 *
 * cascade.c
 *		What the current transaction reported: its GraphQL cascades and
 *		the rows it changed in watched tables.
 *
 * Two things report what a mutation changed, beyond the relations it
 * wrote:
 *
 *	- cascade_invalidate() (src/api/cascade.c) reads a GraphQL Cascade,
 *	  schedules its invalidations in the pending set (pending.c) and hands
 *	  the call here (cc_cascade_record()), for the audit row;
 *	- the watch trigger (cascade_watch_trigger(), installed by
 *	  cascade_watch(), src/api/watch.c) records each changed row of a
 *	  watched table as "Type:id" (old and new id on UPDATE) and schedules
 *	  the entity's invalidation; a TRUNCATE schedules every entity of the
 *	  type.  Past CC_MAX_WATCHED_ROWS rows of one type in a transaction (a
 *	  bulk write), the whole type is invalidated instead and the rows are
 *	  no longer recorded one by one.
 *
 * At PRE_COMMIT the transaction callbacks ask cc_cascade_audit_info() what
 * was reported and hand it to the audit (audit.c).  If the transaction
 * reported a cascade and changed watched rows, every changed row must be
 * covered by the cascades' updated/deleted lists, or the audit row says
 * 'partial' and lists what was missing (the rows are invalidated all the
 * same).
 *
 * The calls and the rows are level sets (levelset.c): a rolled-back
 * savepoint forgets what it reported, and the whole lot is dropped at the
 * end of the transaction (cc_cascade_xact_end()).  Backend-local: no
 * shared memory, no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/levelset.h"
#include "base/settings.h"
#include "xact/audit.h"
#include "xact/cascade.h"
#include "xact/pending.h"
#include "xact/precise.h"

PG_FUNCTION_INFO_V1(cascade_watch_trigger);

/*
 * Rows of one type a transaction records one by one; past this the whole
 * type is invalidated instead (a bulk write).
 */
#define CC_MAX_WATCHED_ROWS	10000

/* Initial sizes of the hash tables */
#define CC_WATCHED_ROWS_SIZE	64
#define CC_WATCHED_TYPES_SIZE	16
#define CC_COVERED_SIZE			64

/* One cascade_invalidate() call of the current transaction */
typedef struct CCCascadeCall
{
	int			level;
	Jsonb	   *payload;		/* kept for the audit row, or NULL if the
								 * transaction's payloads outgrew
								 * audit_max_payload */
	Size		payload_bytes;	/* its size */
	char	   *error;			/* NULL if well formed */
	char	   *mutation_id;	/* metadata.transactionId, or NULL */
	List	   *entities;		/* "Type:id" strings it invalidates */
	List	   *names;			/* query names / patterns it invalidates */
} CCCascadeCall;

/* One row changed in a watched table, or a truncated or bulk-written type */
typedef struct CCWatchedRow
{
	char	   *tag;			/* hash key: "Type:id", or "Type", whole
								 * (cc_tag_hash()) */
	int			level;
	bool		truncate;		/* "Type": TRUNCATE, or too many rows */
} CCWatchedRow;

/* Rows recorded per type in this transaction (never forgotten) */
typedef struct CCWatchedType
{
	char		typename[CC_MAX_WATCHED_TYPENAME];	/* hash key */
	int64		rows;
} CCWatchedType;

static CCLevelSet cc_calls;		/* CCCascadeCall, in call order */
static CCLevelSet cc_rows;		/* CCWatchedRow, by tag */
static bool cc_sets_ready = false;
static HTAB *cc_row_types = NULL;	/* CCWatchedType */
static Size cc_kept_payload_bytes = 0;	/* payloads kept for the audit */

static uint32 cc_tag_hash(const void *key, Size keysize);
static int	cc_tag_match(const void *key1, const void *key2, Size keysize);

/* Describe the two level sets, once per backend. */
static void
cc_cascade_init(void)
{
	if (cc_sets_ready)
		return;
	cc_levelset_init(&cc_calls, "cascade_cache cascades", 0,
					 sizeof(CCCascadeCall), offsetof(CCCascadeCall, level),
					 0, NULL, NULL);
	cc_levelset_init(&cc_rows, "cascade_cache watched rows", sizeof(char *),
					 sizeof(CCWatchedRow), offsetof(CCWatchedRow, level),
					 CC_WATCHED_ROWS_SIZE, cc_tag_hash, cc_tag_match);
	cc_sets_ready = true;
}

/*
 * Hash tables keyed by a string of any length, through a pointer to it
 * (the key is a char *; dynahash copies the pointer).
 */
static uint32
cc_tag_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, strlen(s));
}

static int
cc_tag_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/* ----------------------------------------------------------------
 * cascade_invalidate() calls
 * ----------------------------------------------------------------
 */

/*
 * May a cascade_invalidate() payload of 'bytes' be kept for the audit row?
 * The transaction keeps its payloads up to cascade_cache.audit_max_payload
 * in all; true counts this one in.
 */
bool
cc_cascade_keep_payload(Size bytes)
{
	if (cc_kept_payload_bytes + bytes > (Size) cc_audit_max_payload_kb * 1024)
		return false;
	cc_kept_payload_bytes += bytes;
	return true;
}

/* A copy of a list of strings, in the current memory context */
static List *
cc_copy_strings(List *list)
{
	List	   *copy = NIL;
	ListCell   *lc;

	foreach(lc, list)
		copy = lappend(copy, pstrdup((const char *) lfirst(lc)));
	return copy;
}

/*
 * Remember a cascade_invalidate() call of the current (sub)transaction for
 * the audit row.  (Its invalidations are in the pending set already.)
 */
void
cc_cascade_record(const CCCascadeReport *report)
{
	CCCascadeCall *call;
	MemoryContext oldcxt;
	bool		found;

	cc_cascade_init();
	call = cc_levelset_add(&cc_calls, NULL, &found);
	oldcxt = MemoryContextSwitchTo(cc_levelset_memory(&cc_calls));
	if (report->payload != NULL)
	{
		call->payload = palloc(VARSIZE(report->payload));
		memcpy(call->payload, report->payload, VARSIZE(report->payload));
	}
	call->payload_bytes = report->payload_bytes;
	call->error = report->error ? pstrdup(report->error) : NULL;
	call->mutation_id = report->mutation_id ?
		pstrdup(report->mutation_id) : NULL;
	call->entities = cc_copy_strings(report->entities);
	call->names = cc_copy_strings(report->names);
	MemoryContextSwitchTo(oldcxt);
}

/* ----------------------------------------------------------------
 * The transaction
 * ----------------------------------------------------------------
 */

/*
 * Has the current transaction called cascade_invalidate() or changed a
 * watched table (so that it will be audited)?
 */
bool
cc_cascade_has_activity(void)
{
	return cc_sets_ready &&
		(!cc_levelset_is_empty(&cc_calls) || !cc_levelset_is_empty(&cc_rows));
}

/*
 * What the current transaction reported, for the audit row, allocated in
 * the current memory context.  Returns false if it neither called
 * cascade_invalidate() nor changed a watched table.
 */
bool
cc_cascade_audit_info(CCAuditInfo *info)
{
	CCLevelSetIter iter;
	CCCascadeCall *call;
	CCWatchedRow *row;
	HTAB	   *covered;
	List	   *payloads = NIL;
	HASHCTL		ctl;
	bool		found;

	memset(info, 0, sizeof(CCAuditInfo));
	if (!cc_sets_ready)
		return false;
	info->has_cascade = !cc_levelset_is_empty(&cc_calls);
	info->has_rows = !cc_levelset_is_empty(&cc_rows);
	if (!info->has_cascade && !info->has_rows)
		return false;

	/* the entities the cascades reported (also to list each entity once) */
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(char *);
	ctl.hash = cc_tag_hash;
	ctl.match = cc_tag_match;
	ctl.hcxt = CurrentMemoryContext;
	covered = hash_create("cascade_cache covered entities", CC_COVERED_SIZE,
						  &ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
						  HASH_CONTEXT);

	cc_levelset_begin(&cc_calls, &iter);
	while ((call = cc_levelset_next(&iter)) != NULL)
	{
		ListCell   *lc;

		if (call->payload != NULL)
			payloads = lappend(payloads, call->payload);
		else
			info->payloads_dropped = true;
		info->payload_bytes += call->payload_bytes;
		info->ncalls++;
		if (call->error != NULL && info->error == NULL)
			info->error = call->error;
		if (call->mutation_id != NULL && info->mutation_id == NULL)
			info->mutation_id = call->mutation_id;
		foreach(lc, call->entities)
		{
			char	   *entity = (char *) lfirst(lc);

			(void) hash_search(covered, &entity, HASH_ENTER, &found);
			if (!found)
				info->entities = lappend(info->entities, entity);
		}
		info->names = list_concat(info->names, call->names);
	}
	info->payloads = payloads;

	cc_levelset_begin(&cc_rows, &iter);
	while ((row = cc_levelset_next(&iter)) != NULL)
	{
		bool		reported;

		if (row->truncate)
			info->has_truncate = true;
		reported = !row->truncate &&
			hash_search(covered, &row->tag, HASH_FIND, NULL) != NULL;
		if (!reported)
			info->entities = lappend(info->entities, pstrdup(row->tag));

		/*
		 * Reconciliation: with a cascade, every changed row must have been
		 * reported in it; a TRUNCATE cannot be, as a cascade lists entities.
		 */
		if (info->has_cascade && !reported)
			info->missing = lappend(info->missing,
									row->truncate ?
									psprintf("%s (whole type)", row->tag) :
									pstrdup(row->tag));
	}
	return true;
}

/*
 * Subtransaction end: forget (abort) or hand to the parent (commit) what
 * the subtransaction at 'level' reported.  Cannot fail.
 */
void
cc_cascade_subxact(bool commit, int level)
{
	if (!cc_sets_ready)
		return;
	if (commit)
	{
		cc_levelset_promote(&cc_calls, level);
		cc_levelset_promote(&cc_rows, level);
	}
	else
	{
		cc_levelset_forget(&cc_calls, level);
		cc_levelset_forget(&cc_rows, level);
	}
}

/* End of the transaction: drop what it reported.  Cannot fail. */
void
cc_cascade_xact_end(void)
{
	if (cc_sets_ready)
	{
		cc_levelset_reset(&cc_calls);
		cc_levelset_reset(&cc_rows);
	}
	if (cc_row_types != NULL)
	{
		hash_destroy(cc_row_types);
		cc_row_types = NULL;
	}
	cc_kept_payload_bytes = 0;
}

/* ----------------------------------------------------------------
 * Watched tables
 * ----------------------------------------------------------------
 */

/*
 * Record a changed row ("Type:id") or a truncated type ("Type") of relation
 * 'relid', and schedule its invalidation.  The tag is kept whole: the
 * audit's reconciliation compares complete tags.
 */
static void
cc_note_row(const char *typename, const char *id, bool truncate, Oid relid)
{
	char	   *full;
	CCWatchedRow *row;
	bool		found;
	MemoryContext oldcxt;

	cc_cascade_init();
	oldcxt = MemoryContextSwitchTo(cc_levelset_memory(&cc_rows));
	full = truncate ? pstrdup(typename) : psprintf("%s:%s", typename, id);
	MemoryContextSwitchTo(oldcxt);
	cc_pending_add_dep_rel(cc_dep_hash_text(truncate ? CC_DEP_TYPE : CC_DEP_TAG,
											MyDatabaseId, full, strlen(full)),
						   relid);
	/* results with too many entities to tag each (see tags.c) */
	if (!truncate)
		cc_pending_add_dep_rel(cc_dep_hash_text(CC_DEP_TYPE_MANY, MyDatabaseId,
												typename, strlen(typename)),
							   relid);

	/* the key is the pointer; the hash and comparison are of the string */
	row = cc_levelset_add(&cc_rows, &full, &found);
	if (found)
		pfree(full);
	else
		row->truncate = truncate;
}

/*
 * Count one changed row of 'typename'.  Past CC_MAX_WATCHED_ROWS rows in
 * the transaction it is a bulk write: the whole type is invalidated
 * instead (noted again for every further row, so that the note survives
 * the rollback of the savepoint that crossed the limit), and true is
 * returned.
 */
static bool
cc_count_row(const char *typename, Oid relid)
{
	CCWatchedType *wt;
	char		key[CC_MAX_WATCHED_TYPENAME];
	bool		found;

	if (cc_row_types == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(CCWatchedType);
		ctl.hcxt = TopMemoryContext;
		cc_row_types = hash_create("cascade_cache watched types",
								   CC_WATCHED_TYPES_SIZE, &ctl,
								   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	strlcpy(key, typename, sizeof(key));
	wt = hash_search(cc_row_types, key, HASH_ENTER, &found);
	if (!found)
		wt->rows = 0;
	if (++wt->rows > CC_MAX_WATCHED_ROWS)
	{
		cc_note_row(typename, NULL, true, relid);
		return true;
	}
	return false;
}

/*
 * The watch trigger: AFTER INSERT/UPDATE/DELETE FOR EACH ROW and AFTER
 * TRUNCATE FOR EACH STATEMENT, with arguments (typename, id column).
 */
Datum
cascade_watch_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	const char *typename;
	TupleDesc	tupdesc;
	int			attnum;
	bool		bulk;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cascade_watch_trigger() must be called as a trigger")));

	/* without the library preloaded nothing is cached: nothing to do */
	if (!cc_preloaded)
		return PointerGetDatum(NULL);

	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs != 2 || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cascade_watch_trigger() must be an AFTER trigger with two arguments"),
				 errhint("Install it with cascade_cache.cascade_watch().")));
	typename = trigger->tgargs[0];

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		cc_note_row(typename, NULL, true,
					RelationGetRelid(trigdata->tg_relation));
		/* the utility hook sees TRUNCATE, but not in an apply worker */
		if (IsLogicalWorker())
			cc_pending_add_relation(RelationGetRelid(trigdata->tg_relation));
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		return PointerGetDatum(NULL);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	attnum = SPI_fnumber(tupdesc, trigger->tgargs[1]);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("watched table \"%s\" has no column \"%s\"",
						RelationGetRelationName(trigdata->tg_relation),
						trigger->tgargs[1]),
				 errhint("Watch it again with cascade_cache.cascade_watch().")));

	bulk = cc_count_row(typename, RelationGetRelid(trigdata->tg_relation));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
			trigdata->tg_newtuple : trigdata->tg_trigtuple;
		char	   *id = bulk ? NULL : SPI_getvalue(tuple, tupdesc, attnum);

		if (id != NULL)
			cc_note_row(typename, id, false,
						RelationGetRelid(trigdata->tg_relation));
		cc_precise_note_row(trigdata->tg_relation, tuple, bulk);
	}
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		char	   *id = bulk ? NULL :
			SPI_getvalue(trigdata->tg_trigtuple, tupdesc, attnum);

		if (id != NULL)
			cc_note_row(typename, id, false,
						RelationGetRelid(trigdata->tg_relation));
		cc_precise_note_row(trigdata->tg_relation, trigdata->tg_trigtuple,
							bulk);
	}
	return PointerGetDatum(NULL);
}
