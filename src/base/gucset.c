/*-------------------------------------------------------------------------
 *
 * gucset.c
 *		The session's GUC variables, and whether the set of them changed
 *		since the key's memo was computed.
 *
 * The key (key.c) hashes the settings of a list built from every GUC
 * variable of the session, and compares their values with a memo on every
 * call.  Variables come and go while a session runs: SET of a name nobody
 * defined creates a placeholder; loading an extension defines its
 * settings, replacing (and freeing) the placeholders of their names, and
 * removes the other placeholders of its prefix.  So before it reads a
 * single value, every call checks that the set is the one the list was
 * built from; otherwise the list is built again.  How that check is made
 * depends on the version:
 *
 * PostgreSQL 15 keeps the variables in one array (get_guc_variables()):
 * the check compares the array's address, its size and every pointer in
 * it with a copy (a few kilobytes, one memcmp).  Every variable is known.
 *
 * PostgreSQL 16 and later keep them in a hash table, which only a sorted,
 * palloc'd copy exposes (get_guc_variables(int *)): too slow for every
 * call.  What they do keep in a list of their own is every variable whose
 * value does not come from its default (guc_nondef_list, through each
 * variable's nondef_link): every built-in setting that was set, every
 * placeholder that holds a value, every extension setting that was set.
 * The check walks that list from a member that never leaves it
 * (shared_preload_libraries, which names this library), comparing each
 * link with a copy: a variable that starts or stops holding a value of its
 * own, appears with one or is removed holding one, changes the walk.  What
 * the walk cannot see is a variable added or removed while it holds its
 * default, and such a variable is never in the key's list:
 *	- a built-in setting exists from the start and is never removed;
 *	- an extension's setting at its boot value is left out of the hash on
 *	  every version (cc_guc_at_boot(): a session that has not loaded the
 *	  extension has the same key), and is never freed;
 *	- a placeholder without a value (RESET of an unknown name, or
 *	  set_config(name, NULL)) is left out of the list (cc_gucset_may_key())
 *	  and no query reading it is cached (cc_setting_readable()), on 16 and
 *	  later only: it may be freed or removed without a trace in the walk.
 *
 * No locks, no shared memory: everything here is per backend.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "base/gucset.h"

/*
 * An array of 'size'-byte elements in TopMemoryContext with room for
 * 'need' of them: 'array' (of *space elements) if it has, else a new one
 * (*space updated, the old one freed).  Can ERROR (out of memory), leaving
 * 'array' and *space as they were.
 */
static void *
cc_gucset_reserve(void *array, int *space, int need, Size size)
{
	int			n;
	void	   *bigger;

	if (array != NULL && need <= *space)
		return array;
	n = Max(need * 2, 256);
	bigger = MemoryContextAlloc(TopMemoryContext, size * n);
	if (array != NULL)
		pfree(array);
	*space = n;
	return bigger;
}

#if PG_VERSION_NUM >= 160000

/*
 * The member of the non-default list the walk starts from (and stops at),
 * and the links after it, as they were remembered; cc_gucset_count -1:
 * nothing remembered.
 */
static dlist_node *cc_gucset_anchor = NULL;
static dlist_node **cc_gucset_links = NULL;
static int	cc_gucset_space = 0;
static int	cc_gucset_count = -1;

/* The start of the walk: a variable that never holds its default. */
static dlist_node *
cc_gucset_find_anchor(void)
{
	struct config_generic *spl;

	spl = find_option("shared_preload_libraries", false, true, DEBUG5);
	/* it names this library, so it was set: can't happen otherwise */
	if (spl == NULL || spl->source == PGC_S_DEFAULT)
		elog(ERROR, "shared_preload_libraries holds its default value");
	return &spl->nondef_link;
}

/*
 * Every GUC variable of the session, palloc'd; free it with
 * cc_gucset_free().  Can ERROR (out of memory).
 */
struct config_generic **
cc_gucset_all(int *n)
{
	return get_guc_variables(n);
}

void
cc_gucset_free(struct config_generic **vars)
{
	pfree(vars);
}

/*
 * May a variable be in the key's list?  Not a placeholder without a value
 * of its own: see the header comment.
 */
bool
cc_gucset_may_key(struct config_generic *gen)
{
	return !((gen->flags & GUC_CUSTOM_PLACEHOLDER) &&
			 gen->source == PGC_S_DEFAULT);
}

/*
 * Did the set of variables change since cc_gucset_remember()?  Walks the
 * non-default list (tens of links), never further than one link past the
 * copy.  Reads no variable's value; no ERROR.
 */
bool
cc_gucset_changed(void)
{
	dlist_node *node;
	int			i = 0;

	if (cc_gucset_count < 0)
		return true;
	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
	{
		if (i >= cc_gucset_count || cc_gucset_links[i] != node)
			return true;
		i++;
	}
	return i != cc_gucset_count;
}

/*
 * Remember the set of variables as it is now ('vars' and 'n' are what
 * cc_gucset_all() returned; the non-default list is what is copied).  Can
 * ERROR (out of memory), leaving nothing remembered.
 */
void
cc_gucset_remember(struct config_generic **vars, int n)
{
	dlist_node *node;
	int			count = 0;

	cc_gucset_count = -1;
	if (cc_gucset_anchor == NULL)
		cc_gucset_anchor = cc_gucset_find_anchor();
	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
		count++;
	cc_gucset_links = cc_gucset_reserve(cc_gucset_links, &cc_gucset_space,
										count, sizeof(dlist_node *));
	count = 0;
	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
		cc_gucset_links[count++] = node;
	cc_gucset_count = count;
}

#else							/* PostgreSQL 15 */

/* The array, its size and a copy of its pointers, as remembered */
static struct config_generic **cc_gucset_array = NULL;
static struct config_generic **cc_gucset_copy = NULL;
static int	cc_gucset_space = 0;
static int	cc_gucset_count = -1;

/* Every GUC variable of the session: the array itself, not a copy. */
struct config_generic **
cc_gucset_all(int *n)
{
	*n = GetNumConfigOptions();
	return get_guc_variables();
}

void
cc_gucset_free(struct config_generic **vars)
{
	/* the array itself */
}

/* Every variable may be in the key's list: none disappears unseen. */
bool
cc_gucset_may_key(struct config_generic *gen)
{
	return true;
}

/*
 * Did the set of variables change since cc_gucset_remember()?  Compares
 * the array's address, size and pointers with the copy.  No ERROR.
 */
bool
cc_gucset_changed(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	return !(vars == cc_gucset_array && n == cc_gucset_count &&
			 memcmp(vars, cc_gucset_copy, sizeof(*vars) * n) == 0);
}

/*
 * Remember the array as it is now ('vars' and 'n' as cc_gucset_all()
 * returned them).  Can ERROR (out of memory), leaving nothing remembered.
 */
void
cc_gucset_remember(struct config_generic **vars, int n)
{
	cc_gucset_count = -1;
	cc_gucset_array = NULL;
	cc_gucset_copy = cc_gucset_reserve(cc_gucset_copy, &cc_gucset_space, n,
									   sizeof(*vars));
	memcpy(cc_gucset_copy, vars, sizeof(*vars) * n);
	cc_gucset_array = vars;
	cc_gucset_count = n;
}

#endif

/* Forget what was remembered: the next check says the set changed. */
void
cc_gucset_forget(void)
{
	cc_gucset_count = -1;
}
