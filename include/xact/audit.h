/*-------------------------------------------------------------------------
 *
 * audit.h
 *		The cascade audit trail.  See audit.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_AUDIT_H
#define CC_XACT_AUDIT_H

#include "nodes/pg_list.h"

/* GUCs */
extern bool cc_audit_enabled;
extern int	cc_audit_max_payload_kb;

/*
 * What a transaction reported (its cascade_invalidate() calls and the
 * watched rows it changed), as the audit writes it down.  Filled by
 * cc_cascade_audit_info().
 */
typedef struct CCAuditInfo
{
	bool		has_cascade;	/* cascade_invalidate() was called */
	bool		has_rows;		/* watched rows changed */
	bool		has_truncate;	/* a watched table was truncated */
	char	   *error;			/* first malformed cascade's reason */
	char	   *mutation_id;	/* metadata.transactionId, if given */
	List	   *payloads;		/* Jsonb *, one per call kept */
	bool		payloads_dropped;	/* some were not kept (too large) */
	int			ncalls;			/* cascade_invalidate() calls */
	Size		payload_bytes;	/* all the calls' payloads */
	List	   *entities;		/* char *, "Type:id" (or "Type") */
	List	   *names;			/* char *, "SCOPE name" */
	List	   *missing;		/* char *, rows the cascade did not report */
} CCAuditInfo;

extern bool cc_audit_will_write(bool reported);
extern void cc_audit_pre_commit(const CCAuditInfo *info, uint64 removed,
								int64 duration_us);
extern void cc_audit_xact_end(bool commit);
extern Oid	cc_audit_manual(const char *function, uint64 removed,
							int64 duration_us);

extern void cc_audit_define_gucs(void);

#endif							/* CC_XACT_AUDIT_H */
