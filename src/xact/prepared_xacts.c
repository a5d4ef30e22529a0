/*-------------------------------------------------------------------------
 *
 * prepared_xacts.c
 *		The prepared transactions, as pg_prepared_xact() shows them.
 *
 * twophase.c needs to know which transactions are prepared: the one a
 * COMMIT PREPARED names (its transaction, owner and database, to tell
 * whether the command will finish it), and after a restart all of them.
 * PostgreSQL keeps them in its own shared memory, behind functions that
 * are static to twophase.c, so they are read through pg_prepared_xact()
 * called directly.
 *
 * No state, no locks of ours.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/twophase.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "xact/prepared_xacts.h"

/*
 * The prepared transactions (only the one named 'gid', if not NULL), in a
 * palloc'd array set in *xacts; returns their number.  Through
 * pg_prepared_xact() called directly, not a query: a
 * query would take a snapshot (a serializable, read-only, deferrable
 * session's would wait for the very transaction being finished) and
 * resolve its operators on the caller's search_path.  Bounded by
 * max_prepared_transactions.  May ERROR (out of memory).
 */
int
cc_prepared_list(const char *gid, CCPreparedXact **xacts)
{
	LOCAL_FCINFO(fcinfo, 0);
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	ExprContext *econtext = CreateStandaloneExprContext();
	CCPreparedXact *list = palloc(sizeof(CCPreparedXact) *
								  Max(max_prepared_xacts, 1));
	int			n = 0;

	fmgr_info(F_PG_PREPARED_XACT, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = (int) SFRM_ValuePerCall;
	rsinfo.returnMode = SFRM_ValuePerCall;

	for (;;)
	{
		Datum		row;
		HeapTupleHeader tuple;
		bool		isnull;
		Datum		value;

		rsinfo.isDone = ExprSingleResult;
		fcinfo->isnull = false;
		row = FunctionCallInvoke(fcinfo);
		if (rsinfo.isDone == ExprEndResult)
			break;
		if (fcinfo->isnull || n >= max_prepared_xacts)
			continue;
		tuple = DatumGetHeapTupleHeader(row);
		/* (transaction xid, gid text, prepared timestamptz, ownerid, dbid) */
		value = GetAttributeByNum(tuple, 2, &isnull);
		if (isnull)
			continue;
		text_to_cstring_buffer(DatumGetTextPP(value), list[n].gid, GIDSIZE);
		if (gid != NULL && strcmp(list[n].gid, gid) != 0)
			continue;
		value = GetAttributeByNum(tuple, 1, &isnull);
		list[n].xid = isnull ? InvalidTransactionId :
			DatumGetTransactionId(value);
		value = GetAttributeByNum(tuple, 4, &isnull);
		list[n].owner = isnull ? InvalidOid : DatumGetObjectId(value);
		value = GetAttributeByNum(tuple, 5, &isnull);
		list[n].dbid = isnull ? InvalidOid : DatumGetObjectId(value);
		n++;
		if (gid != NULL)
			break;				/* a GID names one transaction */
	}
	/* runs the function's shutdown callback (also when stopped early) */
	FreeExprContext(econtext, true);
	*xacts = list;
	return n;
}
