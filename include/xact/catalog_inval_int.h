/*-------------------------------------------------------------------------
 *
 * catalog_inval_int.h
 *		Declarations shared only by catalog_inval.c (what a transaction
 *		did, and the commit verdict), catalog_explain.c (the catalog
 *		cache messages a given change sends) and catalog_names.c (the
 *		catalog lookups both make).
 *
 * catalog_inval.c calls catalog_explain.c, never the other way round; both
 * call catalog_names.c, which calls neither.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_CATALOG_INVAL_INT_H
#define CC_XACT_CATALOG_INVAL_INT_H

#include "xact/catalog_inval.h"

/* catalog_explain.c */
extern void cc_explain_reset(void);
extern void cc_explain_object(Oid classid, Oid objid);
extern void cc_explain_unseen(Oid classid, Oid objid);
extern void cc_explain_unseen_names(void);
extern void cc_explain_role(const char *name);
extern void cc_explain_database(Oid dbid);
extern void cc_explain_relation_row(Oid relid);
extern bool cc_is_explained(int cacheid, uint32 hashvalue);

/* catalog_names.c */
extern bool cc_never_named(char relkind);
extern bool cc_object_exists(Oid classid, Oid objid);
extern bool cc_name_shadows(NameData *name, Oid nspid);
extern bool cc_name_changed_here(Oid classid, Oid objid, const NameData *name,
								 Oid nspid);

#endif							/* CC_XACT_CATALOG_INVAL_INT_H */
