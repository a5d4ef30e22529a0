/*-------------------------------------------------------------------------
 *
 * fill.c
 *		The stack of fills running in this backend.
 *
 * A miss runs the query and stores its result: that is a fill.  While the
 * query runs, whatever sees it (the executor hook and precise.c, tags.c)
 * records into the innermost fill what its result depends on: dependency
 * keys, the relations it read (for the statistics) and, for
 * cache_explain(), notes saying why.  A key recorded into a fill is also
 * recorded into every fill it runs inside, as the outer result includes
 * the inner one.
 *
 * cached_query.c pushes a fill before it runs the query and pops it when
 * the query ends, error or not; the ABORT callback (xact.c) forgets the
 * whole stack in case an error skipped a pop.
 *
 * Backend-local; no shared memory, no locks.  Recording can ERROR (out of
 * memory) and allocates in the fill's own memory context.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "xact/fill.h"

/* First allocations of a fill's key and relation arrays */
#define CC_FILL_MIN_DEPS		16
#define CC_FILL_MIN_RELIDS		8

/* The innermost fill running, or NULL */
static CCFill *cc_current_fill = NULL;

/* Make 'fill' the innermost fill. */
void
cc_fill_push(CCFill *fill)
{
	fill->outer = cc_current_fill;
	cc_current_fill = fill;
}

/* End 'fill', the innermost fill. */
void
cc_fill_pop(CCFill *fill)
{
	Assert(cc_current_fill == fill);
	cc_current_fill = fill->outer;
}

/*
 * Transaction abort: no fill outlives its transaction (each is popped on
 * error; this makes sure of it).  Cannot fail.
 */
void
cc_fill_forget_all(void)
{
	cc_current_fill = NULL;
}

/* The innermost fill running, or NULL. */
CCFill *
cc_fill_current(void)
{
	return cc_current_fill;
}

/* Is a fill running? */
bool
cc_fill_active(void)
{
	return cc_current_fill != NULL;
}

/* Record a dependency of a fill (and of the fills it is nested in). */
void
cc_fill_add_dep(CCFill *fill, uint64 dep)
{
	for (; fill != NULL; fill = fill->outer)
	{
		if (fill->ndeps >= fill->maxdeps)
		{
			int			newmax = Max(CC_FILL_MIN_DEPS, fill->maxdeps * 2);

			if (fill->deps == NULL)
				fill->deps = MemoryContextAlloc(fill->cxt,
												sizeof(uint64) * newmax);
			else
				fill->deps = repalloc(fill->deps, sizeof(uint64) * newmax);
			fill->maxdeps = newmax;
		}
		fill->deps[fill->ndeps++] = dep;
	}
}

/* Record a relation a fill read, for the statistics (this fill only). */
void
cc_fill_add_relation(CCFill *fill, Oid relid)
{
	int			i;

	for (i = 0; i < fill->nrelids; i++)
		if (fill->relids[i] == relid)
			return;
	if (fill->nrelids >= fill->maxrelids)
	{
		int			newmax = Max(CC_FILL_MIN_RELIDS, fill->maxrelids * 2);

		if (fill->relids == NULL)
			fill->relids = MemoryContextAlloc(fill->cxt, sizeof(Oid) * newmax);
		else
			fill->relids = repalloc(fill->relids, sizeof(Oid) * newmax);
		fill->maxrelids = newmax;
	}
	fill->relids[fill->nrelids++] = relid;
}

/*
 * Note what a fill records, for cache_explain(): each distinct note once.
 * Only when the fill describes itself (never for real fills).
 */
void
cc_fill_note(CCFill *fill, const char *fmt,...)
{
	MemoryContext oldcxt;
	ListCell   *lc;
	char	   *note;
	va_list		args;
	StringInfoData buf;

	if (fill == NULL || !fill->describe)
		return;
	oldcxt = MemoryContextSwitchTo(fill->cxt);
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	note = buf.data;
	foreach(lc, fill->notes)
	{
		if (strcmp((char *) lfirst(lc), note) == 0)
			break;
	}
	if (lc == NULL)
		fill->notes = lappend(fill->notes, note);
	MemoryContextSwitchTo(oldcxt);
}
