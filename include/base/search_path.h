/*-------------------------------------------------------------------------
 *
 * search_path.h
 *		The schemas a session's search path resolves to.  See
 *		src/base/search_path.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_BASE_SEARCH_PATH_H
#define CC_BASE_SEARCH_PATH_H

extern int	cc_search_path_schemas(Oid *first, int nfirst, uint64 seed,
								   uint64 *rest_hash);
extern bool cc_search_path_names_temp(void);

#endif							/* CC_BASE_SEARCH_PATH_H */
