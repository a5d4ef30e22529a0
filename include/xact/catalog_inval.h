/*-------------------------------------------------------------------------
 *
 * catalog_inval.h
 *		Which committed catalog changes flush the cache: the interface of
 *		src/xact/catalog_inval.c and catalog_explain.c to the rest of the
 *		extension.
 *
 * The ProcessUtility and executor hooks report what a transaction runs
 * (cc_catalog_note_*()); at PRE_COMMIT the transaction callback asks for
 * the verdict on its invalidation messages (cc_catalog_commit_verdict());
 * at the end of the transaction the state is forgotten
 * (cc_catalog_xact_end()).  See src/xact/catalog_inval.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_CATALOG_INVAL_H
#define CC_XACT_CATALOG_INVAL_H

#include "nodes/nodes.h"
#include "storage/sinval.h"

extern void cc_catalog_init(void);
extern void cc_catalog_note_utility(Node *parsetree);
extern void cc_catalog_note_vacuum(bool running);
extern void cc_catalog_note_catalog_write(void);
extern bool cc_catalog_changed_in_xact(void);
extern void cc_catalog_commit_verdict(SharedInvalidationMessage *msgs,
									  int nmsgs, bool *flush_db,
									  bool *flush_all);
extern void cc_catalog_xact_end(void);

#endif							/* CC_XACT_CATALOG_INVAL_H */
