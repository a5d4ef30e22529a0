/*-------------------------------------------------------------------------
 *
 * jsonb_dest.c
 *		A DestReceiver that turns a query's rows into one jsonb array of
 *		row objects (column name -> value), or, for a document, takes the
 *		first column of the first row as one jsonb value.
 *
 * Values are converted as to_jsonb() converts them.  jsonb, text, varchar
 * and boolean columns take a direct path; every other type goes through
 * to_jsonb() itself, with an FmgrInfo prepared once per column.  As with
 * to_jsonb(record), a repeated column name keeps its last value, and the
 * keys of each object come out in jsonb's own order.
 *
 * A document receiver converts only the first column of the first row (a
 * NULL there, or no row at all, gives no document) and skips the other
 * rows without converting them; it does not stop the executor early, so a
 * fill records what the whole query reads, as it does for the rows.
 *
 * All memory is taken from the context given at creation; values are
 * copied there because the slot is cleared after each row.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "xact/jsonb_dest.h"

typedef enum CCColumnKind
{
	CC_COL_JSONB,
	CC_COL_TEXT,
	CC_COL_BOOL,
	CC_COL_OTHER
} CCColumnKind;

typedef struct CCJsonbDest
{
	DestReceiver pub;
	MemoryContext cxt;
	JsonbParseState *state;
	JsonbValue *result;
	int			natts;
	JsonbValue *keys;			/* per column, jbvString */
	CCColumnKind *kinds;
	FmgrInfo   *tojsonb;		/* per CC_COL_OTHER column */
	bool		document;		/* only the first column of the first row */
	bool		have_first;		/* document: the first row was seen */
	JsonbValue	first;			/* document: its first column, if not null */
	bool		first_null;
} CCJsonbDest;

static void
cc_dest_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	CCJsonbDest *dest = (CCJsonbDest *) self;
	MemoryContext oldcxt = MemoryContextSwitchTo(dest->cxt);
	int			i;

	dest->natts = typeinfo->natts;
	dest->keys = palloc0(sizeof(JsonbValue) * Max(dest->natts, 1));
	dest->kinds = palloc0(sizeof(CCColumnKind) * Max(dest->natts, 1));
	dest->tojsonb = palloc0(sizeof(FmgrInfo) * Max(dest->natts, 1));

	for (i = 0; i < dest->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(typeinfo, i);
		Oid			base = getBaseType(attr->atttypid);

		dest->keys[i].type = jbvString;
		dest->keys[i].val.string.val = pstrdup(NameStr(attr->attname));
		dest->keys[i].val.string.len = strlen(NameStr(attr->attname));

		if (base == JSONBOID)
			dest->kinds[i] = CC_COL_JSONB;
		else if (base == TEXTOID || base == VARCHAROID)
			dest->kinds[i] = CC_COL_TEXT;
		else if (base == BOOLOID)
			dest->kinds[i] = CC_COL_BOOL;
		else
		{
			FuncExpr   *fexpr;

			dest->kinds[i] = CC_COL_OTHER;
			fmgr_info_cxt(F_TO_JSONB, &dest->tojsonb[i], dest->cxt);
			fexpr = makeFuncExpr(F_TO_JSONB, JSONBOID,
								 list_make1(makeNullConst(attr->atttypid,
														  attr->atttypmod,
														  attr->attcollation)),
								 InvalidOid, InvalidOid,
								 COERCE_EXPLICIT_CALL);
			fmgr_info_set_expr((Node *) fexpr, &dest->tojsonb[i]);
		}
	}

	dest->state = NULL;
	if (!dest->document)
		(void) pushJsonbValue(&dest->state, WJB_BEGIN_ARRAY, NULL);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Convert column 'i' of the row in 'slot' (not null) as to_jsonb() would,
 * into *v, copying it into the receiver's context (the caller switched to
 * it).
 */
static void
cc_dest_value(CCJsonbDest *dest, TupleTableSlot *slot, int i, JsonbValue *v)
{
	Datum		value = slot->tts_values[i];

	switch (dest->kinds[i])
	{
		case CC_COL_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbPCopy(value);

				v->type = jbvBinary;
				v->val.binary.data = &jb->root;
				v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
				break;
			}
		case CC_COL_TEXT:
			{
				text	   *t = DatumGetTextPCopy(value);

				v->type = jbvString;
				v->val.string.val = VARDATA_ANY(t);
				v->val.string.len = VARSIZE_ANY_EXHDR(t);
				break;
			}
		case CC_COL_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			break;
		default:
			{
				Jsonb	   *jb;

				jb = DatumGetJsonbP(FunctionCall1(&dest->tojsonb[i], value));
				v->type = jbvBinary;
				v->val.binary.data = &jb->root;
				v->val.binary.len = VARSIZE(jb) - VARHDRSZ;
				break;
			}
	}
}

static bool
cc_dest_receive(TupleTableSlot *slot, DestReceiver *self)
{
	CCJsonbDest *dest = (CCJsonbDest *) self;
	MemoryContext oldcxt;
	int			i;

	if (dest->document)
	{
		if (dest->have_first)
			return true;
		dest->have_first = true;
		dest->first_null = true;
		if (dest->natts > 0)
		{
			slot_getsomeattrs(slot, 1);
			if (!slot->tts_isnull[0])
			{
				oldcxt = MemoryContextSwitchTo(dest->cxt);
				cc_dest_value(dest, slot, 0, &dest->first);
				dest->first_null = false;
				MemoryContextSwitchTo(oldcxt);
			}
		}
		return true;
	}

	oldcxt = MemoryContextSwitchTo(dest->cxt);
	slot_getallattrs(slot);
	(void) pushJsonbValue(&dest->state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < dest->natts; i++)
	{
		JsonbValue	v;

		(void) pushJsonbValue(&dest->state, WJB_KEY, &dest->keys[i]);
		if (slot->tts_isnull[i])
			v.type = jbvNull;
		else
			cc_dest_value(dest, slot, i, &v);
		(void) pushJsonbValue(&dest->state, WJB_VALUE, &v);
	}
	(void) pushJsonbValue(&dest->state, WJB_END_OBJECT, NULL);
	MemoryContextSwitchTo(oldcxt);
	return true;
}

static void
cc_dest_shutdown(DestReceiver *self)
{
	CCJsonbDest *dest = (CCJsonbDest *) self;
	MemoryContext oldcxt;

	if (dest->document)
		return;
	oldcxt = MemoryContextSwitchTo(dest->cxt);
	dest->result = pushJsonbValue(&dest->state, WJB_END_ARRAY, NULL);
	MemoryContextSwitchTo(oldcxt);
}

static void
cc_dest_destroy(DestReceiver *self)
{
	/* everything lives in dest->cxt, which the caller owns */
}

/*
 * Create the receiver: of the rows, or of the first row's first column if
 * 'document'.  All its memory comes from 'cxt'.
 */
DestReceiver *
cc_create_jsonb_dest(MemoryContext cxt, bool document)
{
	CCJsonbDest *dest = MemoryContextAllocZero(cxt, sizeof(CCJsonbDest));

	dest->pub.receiveSlot = cc_dest_receive;
	dest->pub.rStartup = cc_dest_startup;
	dest->pub.rShutdown = cc_dest_shutdown;
	dest->pub.rDestroy = cc_dest_destroy;
	dest->pub.mydest = DestNone;
	dest->cxt = cxt;
	dest->document = document;
	return (DestReceiver *) dest;
}

/*
 * The finished result, serialized in CurrentMemoryContext: the array of
 * rows, or the document (NULL if there was no row or its first column was
 * NULL).  Call after the executor has shut the receiver down.
 */
Jsonb *
cc_jsonb_dest_result(DestReceiver *self)
{
	CCJsonbDest *dest = (CCJsonbDest *) self;

	if (dest->document)
	{
		if (!dest->have_first || dest->first_null)
			return NULL;
		return JsonbValueToJsonb(&dest->first);
	}
	Assert(dest->result != NULL);
	return JsonbValueToJsonb(dest->result);
}
