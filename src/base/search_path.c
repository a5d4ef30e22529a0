/*-------------------------------------------------------------------------
 *
 * search_path.c
 *		The schemas a session's search path resolves to: part of the cache
 *		key, and a reason not to store.
 *
 * The search_path setting is in the key like every other setting, but the
 * setting alone does not tell where names resolve: which of its schemas a
 * role may use is decided when PostgreSQL resolves the path, and it
 * resolves it again when search_path, the role or a schema changes, not
 * when a role membership does.  A session that resolved "a, b" while its
 * role could use a through a membership, revoked since, goes on finding
 * names in a; a new session of the role with the same setting finds them
 * in b.  The two must not share results, so the key holds the resolved
 * schemas (cc_search_path_schemas()), as PostgreSQL's own operator cache
 * keys its entries (parse_oper.c, with the same 16 kept as they are).
 *
 * A search path can also name another session's temporary schema
 * (pg_temp_3): names then resolve to that session's objects, whose
 * creation and drop flush nothing (xact/catalog_inval.c explains the
 * changes of temporary objects), so such a session stores nothing
 * (cc_search_path_names_temp(), called by xact/cacheability.c).  The
 * session's own temporary schema is left out of the resolved path here; a
 * session that has one gets keys of its own (key.c).
 *
 * Resolving a path that a change outdated reads the catalogs, as the next
 * name lookup would; an up-to-date path is read as it is.  Backend-local;
 * no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/hashfn.h"

#include "base/search_path.h"

/* Schemas looked at without allocating */
#define CC_PATH_INLINE		16

/*
 * The schemas the search path resolves to now, pg_catalog included and the
 * session's own temporary schema left out, and their number in *n: 'buf'
 * if they fit, else a palloc'd array of all of them, which the caller
 * frees (the first 'nbuf' are in 'buf' then too).  Can ERROR (catalog access, out of memory).
 */
static Oid *
cc_fetch_path(Oid *buf, int nbuf, int *n)
{
	Oid		   *all;

	*n = fetch_search_path_array(buf, nbuf);
	if (*n <= nbuf)
		return buf;
	all = palloc(sizeof(Oid) * *n);
	(void) fetch_search_path_array(all, *n);
	return all;
}

/*
 * The resolved search path (cc_fetch_path()): the first 'nfirst' schemas
 * into 'first', and if there are more, a hash of the others (seeded with
 * 'seed') into *rest_hash, which is left as it is otherwise.  Returns how
 * many there are.  Can ERROR (catalog access, out of memory).
 */
int
cc_search_path_schemas(Oid *first, int nfirst, uint64 seed,
					   uint64 *rest_hash)
{
	int			n;
	Oid		   *path = cc_fetch_path(first, nfirst, &n);

	if (path != first)
	{
		*rest_hash = hash_bytes_extended((const unsigned char *) (path + nfirst),
										 sizeof(Oid) * (n - nfirst), seed);
		pfree(path);
	}
	return n;
}

/*
 * Does the search path resolve to a temporary schema (another session's,
 * named on it)?  Can ERROR (catalog access, out of memory).
 */
bool
cc_search_path_names_temp(void)
{
	Oid			inline_path[CC_PATH_INLINE];
	Oid		   *path;
	int			n;
	int			i;
	bool		temp = false;

	path = cc_fetch_path(inline_path, CC_PATH_INLINE, &n);
	for (i = 0; i < n && !temp; i++)
		temp = isAnyTempNamespace(path[i]);
	if (path != inline_path)
		pfree(path);
	return temp;
}
