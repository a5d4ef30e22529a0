/*-------------------------------------------------------------------------
 *
 * subxact.h
 *		Internal subtransactions that may be rolled back anywhere, and
 *		leaving one that raised an ERROR (src/base/subxact.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_SUBXACT_H
#define CC_BASE_SUBXACT_H

#include "utils/elog.h"
#include "utils/palloc.h"
#include "utils/resowner.h"

extern int	cc_subxact_begin(void);
extern void cc_subxact_end(int levels);
extern void cc_subxact_rollback(int levels);
extern ErrorData *cc_subxact_abandon(MemoryContext cxt, ResourceOwner owner,
									 int levels);
extern bool cc_error_is_transient(const ErrorData *edata);
extern bool cc_error_is_lasting(const ErrorData *edata);

#endif							/* CC_BASE_SUBXACT_H */
