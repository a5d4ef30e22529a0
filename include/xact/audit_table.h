/*-------------------------------------------------------------------------
 *
 * audit_table.h
 *		Writing rows into the audit table.  See audit_table.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_AUDIT_TABLE_H
#define CC_XACT_AUDIT_TABLE_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* cascade_cache.audit_max_rows: the rows the table keeps */
extern int	cc_audit_max_rows;

/* One audit row, as audit.c forms it */
typedef struct CCAuditRow
{
	const char *mutation_id;	/* NULL: the top transaction's id */
	const char *source;			/* cascade, trigger, both or manual */
	const char *status;			/* success, partial or failed */
	const char *error;
	Jsonb	   *payload;
	bool		payload_truncated;
	List	   *entities;		/* char * */
	List	   *names;			/* char * */
	List	   *missing;		/* char * */
	uint64		removed;
	int64		duration_us;
	int64		id;				/* set when written */
} CCAuditRow;

extern Oid	cc_audit_relid(void);
extern void cc_audit_write(CCAuditRow *row);

#endif							/* CC_XACT_AUDIT_TABLE_H */
