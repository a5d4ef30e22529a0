/*-------------------------------------------------------------------------
 *
 * subxact.h
 *		Leaving an internal subtransaction that raised an ERROR
 *		(src/base/subxact.c).
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

extern ErrorData *cc_subxact_abandon(MemoryContext cxt, ResourceOwner owner);
extern bool cc_error_is_transient(const ErrorData *edata);
extern bool cc_error_is_lasting(const ErrorData *edata);

#endif							/* CC_BASE_SUBXACT_H */
