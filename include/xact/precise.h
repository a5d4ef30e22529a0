/*-------------------------------------------------------------------------
 *
 * precise.h
 *		Precise invalidation: the interface of src/xact/precise*.c to the
 *		rest of the extension.
 *
 * The executor hook asks whether a write will be described row by row
 * (cc_precise_write()) and lets a fill's plan record the keys it looks up
 * (cc_precise_fill_start()); the watch trigger reports the rows it saw
 * change (cc_precise_note_row()).  See src/xact/precise.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PRECISE_H
#define CC_XACT_PRECISE_H

#include "access/htup.h"
#include "executor/execdesc.h"
#include "utils/relcache.h"

#include "cascade_cache.h"		/* CCFill */

/* precise.c: relations and writers */
extern bool cc_precise_enabled;
extern bool cc_precise_write(Oid relid);
extern void cc_precise_note_row(Relation rel, HeapTuple tuple, bool bulk);

/* precise_fill.c: readers */
extern void cc_precise_fill_start(QueryDesc *queryDesc, CCFill *fill);
extern void cc_precise_define_gucs(void);

#endif							/* CC_XACT_PRECISE_H */
