/*-------------------------------------------------------------------------
 *
 * fill.h
 *		A fill: what is learnt about a query while its result is computed
 *		for the cache.  See fill.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_FILL_H
#define CC_XACT_FILL_H

#include "cascade_cache.h"
#include "nodes/pg_list.h"

/*
 * A fill in progress: what the executor hook (and tags.c, precise.c) learn
 * about the query while its result is being computed.  The caller
 * (cached_query.c) owns it, on its stack, and pushes it for the time the
 * query runs; fills nest when a cached query calls cached_query().
 */
typedef struct CCFill CCFill;

struct CCFill
{
	uint64	   *deps;			/* dependency keys (may repeat) */
	int			ndeps;
	int			maxdeps;
	CCBypassReason reason;		/* first reason not to store, or NONE */
	MemoryContext cxt;			/* where deps, relids and notes live */
	CCFill	   *outer;			/* the fill this one runs inside, or NULL */
	Oid		   *relids;			/* relations read (unique), for the stats */
	int			nrelids;
	int			maxrelids;
	bool		describe;		/* cache_explain(): note what is recorded */
	List	   *notes;			/* char *, in cxt, when describing */
};

extern void cc_fill_push(CCFill *fill);
extern void cc_fill_pop(CCFill *fill);
extern void cc_fill_forget_all(void);
extern CCFill *cc_fill_current(void);
extern bool cc_fill_active(void);
extern void cc_fill_add_dep(CCFill *fill, uint64 dep);
extern void cc_fill_add_relation(CCFill *fill, Oid relid);
extern void cc_fill_note(CCFill *fill, const char *fmt,...) pg_attribute_printf(2, 3);

#endif							/* CC_XACT_FILL_H */
