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
 * (shared_preload_libraries, which names this library): a link that was
 * not in the list when the key's list was built is a variable that
 * appeared, or that started holding a value of its own; either may have
 * to be keyed.  (Links that left, or came back in another order, are
 * variables already known.)  Placeholders are the only variables ever
 * freed (when an extension defines their name) or removed (when it
 * reserves their prefix), and freed memory can come back as a new
 * placeholder at the same address, in the same place in the list: so the
 * check also looks each remembered placeholder up by a copy of its name,
 * and it must still be found at the same address.  What the walk cannot
 * see is a variable added or removed while it holds its default, and such
 * a variable is never in the key's list:
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
 * What was remembered (cc_gucset_count -1: nothing):
 *	- the member of the non-default list the walk starts from (and stops
 *	  at), and the links after it, in their order then (cc_gucset_links)
 *	  and sorted (cc_gucset_sorted);
 *	- each placeholder among them, with a copy of its name
 *	  (cc_gucset_placeholders, names in cc_gucset_cxt).
 */
typedef struct CCGucPlaceholder
{
	struct config_generic *gen;
	char	   *name;
} CCGucPlaceholder;

static dlist_node *cc_gucset_anchor = NULL;
static dlist_node **cc_gucset_links = NULL;
static dlist_node **cc_gucset_sorted = NULL;
static int	cc_gucset_space = 0;
static int	cc_gucset_sorted_space = 0;
static int	cc_gucset_count = -1;
static CCGucPlaceholder *cc_gucset_placeholders = NULL;
static int	cc_gucset_nplaceholders = 0;
static int	cc_gucset_placeholder_space = 0;
static MemoryContext cc_gucset_cxt = NULL;

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

/* qsort and bsearch comparator of link addresses */
static int
cc_gucset_link_cmp(const void *a, const void *b)
{
	uintptr_t	x = (uintptr_t) *(dlist_node *const *) a;
	uintptr_t	y = (uintptr_t) *(dlist_node *const *) b;

	return (x > y) - (x < y);
}

/*
 * Did the set of variables change since cc_gucset_remember()?  No ERROR;
 * reads no variable's value.
 *
 * Every link of the non-default list must be one remembered: links in the
 * remembered order are compared one by one, the rest looked up in the
 * sorted copy (a variable that took the default, or took a value again
 * in another order, is still the same variable).  A link not remembered
 * is a variable that appeared, or that started holding a value of its own
 * and may have to be keyed: changed.  Then every placeholder remembered
 * must still be the variable its name finds: a placeholder is freed when
 * an extension defines its name, and its memory can come back as another
 * placeholder at the same address, even in the same place in the list;
 * and must still hold a value of its own (one a SET LOCAL gave it leaves
 * with the transaction, and must leave the key with it).
 */
bool
cc_gucset_changed(void)
{
	dlist_node *node;
	int			i = 0;
	bool		in_order = true;

	if (cc_gucset_count < 0)
		return true;
	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
	{
		if (in_order && i < cc_gucset_count && cc_gucset_links[i] == node)
		{
			i++;
			continue;
		}
		in_order = false;
		if (bsearch(&node, cc_gucset_sorted, cc_gucset_count,
					sizeof(dlist_node *), cc_gucset_link_cmp) == NULL)
			return true;
	}
	for (i = 0; i < cc_gucset_nplaceholders; i++)
	{
		CCGucPlaceholder *ph = &cc_gucset_placeholders[i];

		/* gone, or back without a value of its own (a SET LOCAL ended) */
		if (find_option(ph->name, false, true, DEBUG5) != ph->gen ||
			ph->gen->source == PGC_S_DEFAULT)
			return true;
	}
	return false;
}

/*
 * Remember the set of variables as it is now ('vars' and 'n' are what
 * cc_gucset_all() returned).  Can ERROR (out of memory), leaving nothing
 * remembered.
 */
void
cc_gucset_remember(struct config_generic **vars, int n)
{
	dlist_node *node;
	int			count = 0;
	int			nph = 0;
	int			i;

	cc_gucset_count = -1;
	if (cc_gucset_anchor == NULL)
		cc_gucset_anchor = cc_gucset_find_anchor();
	if (cc_gucset_cxt == NULL)
		cc_gucset_cxt = AllocSetContextCreate(TopMemoryContext,
											  "cascade_cache GUC set",
											  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(cc_gucset_cxt);
	cc_gucset_nplaceholders = 0;

	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
		count++;
	cc_gucset_links = cc_gucset_reserve(cc_gucset_links, &cc_gucset_space,
										count, sizeof(dlist_node *));
	cc_gucset_sorted = cc_gucset_reserve(cc_gucset_sorted,
										 &cc_gucset_sorted_space, count,
										 sizeof(dlist_node *));
	count = 0;
	for (node = cc_gucset_anchor->next; node != cc_gucset_anchor;
		 node = node->next)
		cc_gucset_links[count++] = node;
	memcpy(cc_gucset_sorted, cc_gucset_links, sizeof(dlist_node *) * count);
	qsort(cc_gucset_sorted, count, sizeof(dlist_node *), cc_gucset_link_cmp);

	/* the placeholders in the list: those with a value of their own */
	for (i = 0; i < n; i++)
		if ((vars[i]->flags & GUC_CUSTOM_PLACEHOLDER) &&
			vars[i]->source != PGC_S_DEFAULT)
			nph++;
	cc_gucset_placeholders = cc_gucset_reserve(cc_gucset_placeholders,
											   &cc_gucset_placeholder_space,
											   nph, sizeof(CCGucPlaceholder));
	nph = 0;
	for (i = 0; i < n; i++)
		if ((vars[i]->flags & GUC_CUSTOM_PLACEHOLDER) &&
			vars[i]->source != PGC_S_DEFAULT)
		{
			cc_gucset_placeholders[nph].gen = vars[i];
			cc_gucset_placeholders[nph].name =
				MemoryContextStrdup(cc_gucset_cxt, vars[i]->name);
			nph++;
		}
	cc_gucset_nplaceholders = nph;
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
