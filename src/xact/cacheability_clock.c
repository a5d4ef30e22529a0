/*-------------------------------------------------------------------------
 *
 * cacheability_clock.c
 *		Text that date and time input reads as the current time.
 *
 * The input functions of date, time, timetz, timestamp and timestamptz
 * (and of what contains them) accept 'now', 'today', 'tomorrow' and
 * 'yesterday': a literal, a parameter or a run-time conversion of such
 * text gives a result that changes with the clock, which no invalidation
 * covers.  This file tells whether a text names the current time
 * (cc_text_names_clock(), for parameters and aggregate initial states) and
 * where a raw parse tree holds string literals that do
 * (cc_clock_literals(), matched to the analyzed constants by their
 * location in cacheability.c).  Which types read such text is
 * cacheability_type.c's business.
 *
 * Failing closed: any run of letters that spells one of the words, in any
 * case, counts, wherever it stands in the text ('now' inside a longer
 * value too); a false alarm only costs a miss.
 *
 * Nothing here touches the catalogs, keeps state or takes locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"

#include "xact/cacheability.h"

/* The words date and time input reads as the current time */
static const char *const cc_clock_words[] = {
	"now", "today", "tomorrow", "yesterday"
};

static bool cc_clock_raw_walker(Node *node, List **locations);

/* Is 'c' an ASCII letter (the words are made of them)? */
static inline bool
cc_clock_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Does this text name the current time for date and time input?  True if
 * one of its words (runs of ASCII letters), case-insensitively, is 'now',
 * 'today', 'tomorrow' or 'yesterday'.  Linear in the length of the text.
 * Cannot fail.
 */
bool
cc_text_names_clock(const char *s)
{
	const char *p = s;

	while (*p)
	{
		const char *start;
		size_t		len;
		int			i;

		if (!cc_clock_is_letter(*p))
		{
			p++;
			continue;
		}
		start = p;
		while (cc_clock_is_letter(*p))
			p++;
		len = p - start;
		for (i = 0; i < (int) lengthof(cc_clock_words); i++)
			if (strlen(cc_clock_words[i]) == len &&
				pg_strncasecmp(start, cc_clock_words[i], len) == 0)
				return true;
	}
	return false;
}

/*
 * The locations (List of int) of the string literals of a raw parse tree
 * that name the current time, or NIL.  Must run before parse analysis,
 * which changes the tree in place.  Allocates in CurrentMemoryContext; can
 * ERROR only on stack depth.
 */
List *
cc_clock_literals(Node *raw)
{
	List	   *locations = NIL;

	(void) cc_clock_raw_walker(raw, &locations);
	return locations;
}

/* Collect the locations of string literals that name the current time. */
static bool
cc_clock_raw_walker(Node *node, List **locations)
{
	if (node == NULL)
		return false;
	check_stack_depth();
	if (IsA(node, A_Const))
	{
		A_Const    *con = (A_Const *) node;

		if (!con->isnull && IsA(&con->val, String) &&
			cc_text_names_clock(strVal(&con->val)))
			*locations = lappend_int(*locations, con->location);
		return false;
	}
	return raw_expression_tree_walker(node, cc_clock_raw_walker,
									  (void *) locations);
}
