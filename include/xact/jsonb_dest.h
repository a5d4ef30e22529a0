/*-------------------------------------------------------------------------
 *
 * jsonb_dest.h
 *		A DestReceiver that turns a fill's rows into one jsonb array (src/xact/jsonb_dest.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_JSONB_DEST_H
#define CC_XACT_JSONB_DEST_H

#include "tcop/dest.h"
#include "utils/jsonb.h"

extern DestReceiver *cc_create_jsonb_dest(MemoryContext cxt, bool document);
extern Jsonb *cc_jsonb_dest_result(DestReceiver *self);

#endif							/* CC_XACT_JSONB_DEST_H */
