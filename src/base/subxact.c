/*-------------------------------------------------------------------------
 *
 * subxact.c
 *		Internal subtransactions: beginning one that may be rolled back
 *		anywhere, and leaving one that raised an ERROR.
 *
 * Three places run code in an internal subtransaction so that an ERROR it
 * raises can be handled instead of failing the caller: the store's taking
 * of shared memory (store/guard.c), the audit's protected writes
 * (xact/audit_table.c) and the first generic plan of a kept plan
 * (xact/statement.c); a fourth always rolls it back (the analysis of a SQL
 * function's body, xact/cacheability_body.c).  Each begins it with
 * cc_subxact_begin(), catches the ERROR with PG_CATCH() and calls
 * cc_subxact_abandon(), which copies the error, rolls the subtransaction
 * back and puts the caller's memory context and resource owner back; the
 * caller then decides whether to raise it again; cc_error_is_transient()
 * tells the errors that must always be raised again, and
 * cc_error_is_lasting() those on which a caller may keep a verdict (the
 * body of a SQL function judged untrusted, a plan source made custom-only,
 * xact/cacheability_body.c and xact/statement.c).
 *
 * Rolling back anywhere.  Any of them can run while an explicit
 * transaction block commits or is prepared (a deferred trigger, a WITH
 * HOLD cursor run to completion at COMMIT, the audit at PRE_COMMIT).
 * PostgreSQL supports rolling a subtransaction back then, but PostgreSQL
 * 15's RollbackAndReleaseCurrentSubTransaction() asserts that the parent
 * it returns to is in progress, which a block being committed (TBLOCK_END)
 * or prepared (TBLOCK_PREPARE) is not: an assertion failure in
 * assert-enabled builds (a PL/pgSQL EXCEPTION block in a deferred trigger
 * trips it too).  So at the top level of a transaction block,
 * cc_subxact_begin() first begins a second subtransaction, a shield, that
 * is only ever released (ReleaseCurrentSubTransaction() asserts nothing of
 * its parent's block): a rollback then returns to the shield.  The shield
 * costs one more subtransaction, only there (and one more subtransaction
 * id when the code writes, as the audit does: a child's id is assigned
 * after its parents').
 *
 * Who ends what.  In the PG_TRY() block the caller ends its subtransaction
 * itself (ReleaseCurrentSubTransaction(), as PL/pgSQL does, so that an
 * ERROR while committing it is caught and rolled back), and once PG_TRY()
 * is over calls cc_subxact_end() for the shield; or the caller rolls back
 * with cc_subxact_rollback() after PG_TRY() (a subtransaction that is
 * always rolled back).  In PG_CATCH(), cc_subxact_abandon() or
 * cc_subxact_rollback() ends both.  So no cleanup is ever run twice.
 *
 * No state, no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/errcodes.h"

#include "base/subxact.h"

/*
 * Begin an internal subtransaction, behind a shield at the top level of a
 * transaction block (see the header comment).  Returns the levels begun,
 * for cc_subxact_end(), cc_subxact_rollback() and cc_subxact_abandon().
 * Leaves CurrentMemoryContext and CurrentResourceOwner to the
 * subtransaction's, as BeginInternalSubTransaction() does.  Can ERROR as
 * that can; if the second one fails, the shield is released first.
 */
int
cc_subxact_begin(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	if (!IsTransactionBlock() || GetCurrentTransactionNestLevel() != 1)
	{
		BeginInternalSubTransaction(NULL);
		return 1;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		BeginInternalSubTransaction(NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return 2;
}

/*
 * After the caller released its subtransaction ('levels' from
 * cc_subxact_begin()): release the shield, if any.  Can ERROR as
 * ReleaseCurrentSubTransaction() can.
 */
void
cc_subxact_end(int levels)
{
	if (levels == 2)
		ReleaseCurrentSubTransaction();
}

/*
 * Roll back the subtransaction cc_subxact_begin() began ('levels'), and
 * release its shield.  Can ERROR as rolling back can.
 */
void
cc_subxact_rollback(int levels)
{
	RollbackAndReleaseCurrentSubTransaction();
	cc_subxact_end(levels);
}

/*
 * In a PG_CATCH() block of code run in cc_subxact_begin()'s subtransaction
 * ('levels') from memory context 'cxt' and resource owner 'owner': copy
 * the error (into 'cxt'), clear the error state, roll the subtransaction
 * back (which releases its locks, LWLocks included) and switch back to
 * 'cxt' and 'owner'.  Returns the error, for the caller to raise again
 * (ReThrowError()) or to free (FreeErrorData()).  The interrupt holdoff
 * counts are left as errfinish() left them: a caller that does not raise
 * the error again restores its own.  Can ERROR only as copying the error
 * or rolling back can.
 */
ErrorData *
cc_subxact_abandon(MemoryContext cxt, ResourceOwner owner, int levels)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	cc_subxact_rollback(levels);
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}

/*
 * Is 'edata' an error that tells of the moment, not of the code that was
 * run: a cancel (statement_timeout included), a shutdown, a recovery
 * conflict on a hot standby (which PostgreSQL raises as a serialization
 * failure, or as "database dropped"), a deadlock, lock_timeout, running
 * out of memory?  A caller that turns errors into a verdict (a plan source
 * made custom-only, a function judged untrusted) raises these again
 * instead: run outside the subtransaction, the statement would have failed
 * with them too, and the next run may well succeed.
 */
bool
cc_error_is_transient(const ErrorData *edata)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_QUERY_CANCELED:
		case ERRCODE_ADMIN_SHUTDOWN:
		case ERRCODE_CRASH_SHUTDOWN:
		case ERRCODE_DATABASE_DROPPED:
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_LOCK_NOT_AVAILABLE:
		case ERRCODE_OUT_OF_MEMORY:
			return true;
		default:
			return false;
	}
}

/*
 * Does 'edata' say something lasting about the statement or function that
 * raised it, so that a verdict may be kept on it: its text, its names, its
 * types or its constants?  Only these classes: a syntax error or an access
 * rule (class 42, but for a lack of privilege, 42501, which a GRANT of a
 * role's membership lifts with no catalog change to the objects), a
 * feature not supported (0A), a data exception (22: a constant that does
 * not convert, a division by zero; not a date or time, which may read
 * differently under another DateStyle or TimeZone).  Errors of names and types end with
 * the catalog change that fixes them, which drops the verdicts.  Anything
 * else (a stack too deep, a lack of disk or of other resources, an
 * internal error) holds for this run only: the caller's verdict, safe
 * either way, is not kept.
 */
bool
cc_error_is_lasting(const ErrorData *edata)
{
	int			class = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	/* a lack of privilege; dates and times read under DateStyle, TimeZone */
	if (edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE ||
		edata->sqlerrcode == ERRCODE_INVALID_DATETIME_FORMAT ||
		edata->sqlerrcode == ERRCODE_DATETIME_FIELD_OVERFLOW ||
		edata->sqlerrcode == ERRCODE_INVALID_TIME_ZONE_DISPLACEMENT_VALUE)
		return false;
	return class == ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION ||
		class == ERRCODE_FEATURE_NOT_SUPPORTED ||
		class == ERRCODE_DATA_EXCEPTION;
}
