/*-------------------------------------------------------------------------
 *
 * prepared_xacts.h
 *		The prepared transactions, as pg_prepared_xact() shows them
 *		(src/xact/prepared_xacts.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PREPARED_XACTS_H
#define CC_XACT_PREPARED_XACTS_H

#include "access/xact.h"

/* A prepared transaction, as pg_prepared_xact() shows it */
typedef struct CCPreparedXact
{
	TransactionId xid;
	Oid			owner;
	Oid			dbid;
	char		gid[GIDSIZE];
} CCPreparedXact;

extern int	cc_prepared_list(const char *gid, CCPreparedXact **xacts);

#endif							/* CC_XACT_PREPARED_XACTS_H */
