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
 * (cc_search_path_names_temp(), called by xact/cacheability.c for a
 * query, and for a SQL function's body under the function's own SET
 * options).  The name counts whether the schema exists yet or not: the
 * creation of a temporary schema flushes nothing either.  The session's
 * own temporary schema is left out of the resolved path here; a session
 * that has one gets keys of its own (key.c).
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
#include "nodes/pg_list.h"
#include "utils/varlena.h"

#include "base/search_path.h"

/* Schemas looked at without allocating */
#define CC_PATH_INLINE		16

/* Reads of a path that is resolved again meanwhile, before giving up */
#define CC_PATH_TRIES		8

/*
 * The schemas the search path resolves to now, pg_catalog included and the
 * session's own temporary schema left out, and their number in *n: 'buf'
 * if they fit, else a palloc'd array of all of them, which the caller
 * frees (the first 'nbuf' are in 'buf' then too).  Resolving the path
 * reads the catalogs and can take in invalidations, so the second read,
 * into an array sized by the first, may find a path resolved again:
 * read until the array holds it all (CC_PATH_TRIES times at most).  Can
 * ERROR (catalog access, out of memory).
 */
static Oid *
cc_fetch_path(Oid *buf, int nbuf, int *n)
{
	Oid		   *all = buf;
	int			size = nbuf;
	int			count;
	int			tries = 0;

	while ((count = fetch_search_path_array(all, size)) > size)
	{
		if (++tries >= CC_PATH_TRIES)
			elog(ERROR, "cascade_cache: the search path keeps changing");
		if (all != buf)
			pfree(all);
		size = count;
		all = palloc(sizeof(Oid) * size);
	}
	*n = count;
	if (all != buf)
	{
		memcpy(buf, all, sizeof(Oid) * Min(count, nbuf));
		if (count <= nbuf)
		{
			pfree(all);
			return buf;
		}
	}
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
 * Does the search_path setting name a temporary schema, pg_temp_N or
 * pg_toast_temp_N, whether it exists yet or not?  One that does not exist
 * yet resolves to nothing now, but the backend that takes that slot
 * creates it, and its creation flushes nothing; a session that resolved
 * its path before taking that in would then store, or hit, what the new
 * schema's objects change.  Names beginning with "pg_" are reserved, so
 * such a name can only be a temporary schema's.  A setting that does not
 * split (its check hook lets none through) counts as naming one.  Can
 * ERROR (out of memory).
 */
static bool
cc_setting_names_temp(void)
{
	char	   *raw = pstrdup(namespace_search_path);
	List	   *names;
	ListCell   *lc;
	bool		temp = false;

	if (!SplitIdentifierString(raw, ',', &names))
		temp = true;
	else
	{
		foreach(lc, names)
		{
			const char *name = (const char *) lfirst(lc);

			if (strncmp(name, "pg_temp_", 8) == 0 ||
				strncmp(name, "pg_toast_temp_", 14) == 0)
			{
				temp = true;
				break;
			}
		}
	}
	list_free(names);
	pfree(raw);
	return temp;
}

/*
 * Does the search path name a temporary schema (another session's; the
 * session's own counts only under its pg_temp_N name), or resolve to one?
 * Checked where names are about to be resolved under the current setting:
 * for a query, and for a SQL function's body under its own SET options.
 * Can ERROR (catalog access, out of memory).
 */
bool
cc_search_path_names_temp(void)
{
	Oid			inline_path[CC_PATH_INLINE];
	Oid		   *path;
	int			n;
	int			i;
	bool		temp;

	temp = cc_setting_names_temp();
	if (temp)
		return true;
	path = cc_fetch_path(inline_path, CC_PATH_INLINE, &n);
	for (i = 0; i < n && !temp; i++)
		temp = isAnyTempNamespace(path[i]);
	if (path != inline_path)
		pfree(path);
	return temp;
}
