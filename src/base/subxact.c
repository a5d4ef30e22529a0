/*-------------------------------------------------------------------------
 *
 * subxact.c
 *		Leaving an internal subtransaction that raised an ERROR.
 *
 * Three places run code in an internal subtransaction so that an ERROR it
 * raises can be handled instead of failing the caller: the store's taking
 * of shared memory (store/guard.c), the audit's protected writes
 * (xact/audit_table.c) and the first generic plan of a kept plan
 * (xact/statement.c).  Each catches the ERROR with PG_CATCH() and calls
 * cc_subxact_abandon(), which copies the error, rolls the subtransaction
 * back and puts the caller's memory context and resource owner back; the
 * caller then decides whether to raise it again.
 *
 * No state, no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "base/subxact.h"

/*
 * In a PG_CATCH() block of code run by BeginInternalSubTransaction() from
 * memory context 'cxt' and resource owner 'owner': copy the error (into
 * 'cxt'), clear the error state, roll the subtransaction back (which
 * releases its locks, LWLocks included) and switch back to 'cxt' and
 * 'owner'.  Returns the error, for the caller to raise again
 * (ReThrowError()) or to free (FreeErrorData()).  The interrupt holdoff
 * counts are left as errfinish() left them: a caller that does not raise
 * the error again restores its own.  Can ERROR only as copying the error
 * or rolling back can.
 */
ErrorData *
cc_subxact_abandon(MemoryContext cxt, ResourceOwner owner)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}
