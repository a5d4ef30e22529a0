/*-------------------------------------------------------------------------
 *
 * cascade.h
 *		What the current transaction reported: its cascades and the rows it
 *		changed in watched tables.  See cascade.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_CASCADE_H
#define CC_XACT_CASCADE_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "xact/audit.h"

/* Room for the type name of a watched table (cascade_watch() checks it) */
#define CC_MAX_WATCHED_TYPENAME	(NAMEDATALEN * 2)

/*
 * One cascade_invalidate() call, as the SQL function read it.  Everything
 * in it is in the caller's memory; cc_cascade_record() copies it.
 */
typedef struct CCCascadeReport
{
	Jsonb	   *payload;		/* kept for the audit row, or NULL (see
								 * cc_cascade_keep_payload()) */
	Size		payload_bytes;	/* its size, kept or not */
	char	   *error;			/* NULL if well formed */
	char	   *mutation_id;	/* metadata.transactionId, or NULL */
	List	   *entities;		/* char *, "Type:id" (or "Type") */
	List	   *names;			/* char *, "SCOPE name" */
} CCCascadeReport;

/* cascade_invalidate() */
extern bool cc_cascade_keep_payload(Size bytes);
extern void cc_cascade_record(const CCCascadeReport *report);

/* Transaction callbacks (xact.c) */
extern bool cc_cascade_has_activity(void);
extern bool cc_cascade_audit_info(CCAuditInfo *info);
extern void cc_cascade_subxact(bool commit, int level);
extern void cc_cascade_xact_end(void);

#endif							/* CC_XACT_CASCADE_H */
