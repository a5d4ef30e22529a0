/*-------------------------------------------------------------------------
 *
 * pending.h
 *		What the current transaction will invalidate when it commits.
 *		See pending.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PENDING_H
#define CC_XACT_PENDING_H

#include "lib/stringinfo.h"
#include "storage/sinval.h"

/* The scope of an invalidation on query names (a cascade's "scope") */
typedef enum CCScope
{
	CC_SCOPE_EXACT,				/* one name, with given arguments or any */
	CC_SCOPE_PREFIX,			/* every name that starts with the text */
	CC_SCOPE_PATTERN,			/* every name that matches a glob */
	CC_SCOPE_ALL				/* every entry of the database */
} CCScope;

/*
 * Dependency keys, each with the relation it stands for (InvalidOid if
 * none), in palloc'd arrays that grow as needed.
 */
typedef struct CCDepList
{
	uint64	   *deps;
	Oid		   *relids;
	int			ndeps;
	int			maxdeps;
} CCDepList;

extern void cc_deplist_init(CCDepList *list);
extern void cc_deplist_free(CCDepList *list);
extern void cc_relation_deps(Oid relid, CCDepList *list);

/* Recording, as the transaction runs */
extern void cc_pending_add_relation(Oid relid);
extern void cc_pending_add_dep(uint64 dep);
extern void cc_pending_add_dep_rel(uint64 dep, Oid relid);
extern void cc_pending_add_scope(CCScope scope, const char *pattern);
extern bool cc_xact_has_writes(void);

/* Transaction callbacks (xact.c) */
extern void cc_collect_commit_deps(Oid audit_relid,
								   SharedInvalidationMessage *msgs, int nmsgs,
								   CCDepList *list, bool *flush_db);
extern StringInfo cc_pending_scopes_for_wal(void);
extern void cc_pending_subxact(bool commit, int level);
extern void cc_pending_reset(void);

#endif							/* CC_XACT_PENDING_H */
