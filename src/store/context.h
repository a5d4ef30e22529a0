/*-------------------------------------------------------------------------
 *
 * context.h
 *		The registry of recipe contexts (src/store/context.c), private to
 *		the files of src/store; included by store_int.h.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_STORE_CONTEXT_H
#define CC_STORE_CONTEXT_H

#include "utils/dsa.h"

struct CCBlob;

/*
 * A recipe context: 'len' bytes at 'bytes', shared by 'count' blobs; the
 * key is the hash of the bytes (cc_context_hash()).
 */
typedef struct CCContextEntry
{
	uint64		hash;			/* hash key, must be first */
	uint64		count;
	dsa_pointer bytes;
	uint32		len;
} CCContextEntry;

/* area.c: the table, and what an item costs */
extern dshash_table *cc_contexts;
extern Size cc_context_entry_overhead(void);

/* context.c */
extern uint64 cc_context_hash(const char *bytes, uint32 len);
extern void cc_context_ref(struct CCBlob *blob, dsa_pointer copy, uint32 len);
extern void cc_context_unref(struct CCBlob *blob);
extern uint32 cc_context_copy(uint64 hash, char *buf, uint32 max);

#endif							/* CC_STORE_CONTEXT_H */
