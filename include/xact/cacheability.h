/*-------------------------------------------------------------------------
 *
 * cacheability.h
 *		What may be cached, and why not: the interface of the cacheability
 *		module (src/xact/cacheability*.c) to the rest of the extension.
 *
 * A fill's query is judged before it runs (cc_check_query()), every
 * relation its plans open is classified (cc_check_relation()), and the
 * row-level security policies of what it read are judged before its result
 * is stored (cc_check_policies()).  Each returns CC_BYPASS_NONE or the
 * first reason found not to cache.  See src/xact/cacheability.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_CACHEABILITY_H
#define CC_XACT_CACHEABILITY_H

#include "nodes/parsenodes.h"
#include "utils/reltrigger.h"

#include "cascade_cache.h"		/* CCBypassReason */

/* cacheability.c: the query check */
extern void cc_cacheability_init(void);
extern CCBypassReason cc_check_query(Query *query, List *clock_literals);
extern CCBypassReason cc_check_policies(const Oid *relids, int nrelids);

/* cacheability_func.c: function verdicts */
extern char *cc_trusted_functions;
extern void cc_trusted_functions_assign(const char *newval, void *extra);
extern uint64 cc_function_verdicts_generation(void);

/* cacheability_clock.c: text that names the current time */
extern bool cc_text_names_clock(const char *s);
extern List *cc_clock_literals(Node *raw);

/* cacheability_type.c: types */
extern bool cc_type_reads_clock(Oid typid);
extern bool cc_type_input_reads_date(Oid typid);
extern bool cc_text_input_reads_clock(const char *text, Oid typid);
extern bool cc_type_is_temporary(Oid typid);
extern bool cc_reg_value_is_temporary(Oid typid, Datum value);

/* cacheability_rel.c: relations */
extern CCBypassReason cc_check_relation(Oid relid, char relkind);
extern bool cc_is_complete_watch_trigger(const Trigger *t, bool truncate);
extern void cc_cacheability_define_gucs(void);

#endif							/* CC_XACT_CACHEABILITY_H */
