/*-------------------------------------------------------------------------
 *
 * cacheability_int.h
 *		Declarations shared only by the files of the cacheability module.
 *
 * The module's files, top to bottom (a file calls only the ones below it):
 *
 *	cacheability.c			the query check: walks a statement, an
 *							expression or a policy; wires the module
 *	cacheability_func.c		verdicts on functions, their cache, the
 *							trusted_functions setting and the fmgr hooks
 *	cacheability_body.c		the body of a LANGUAGE sql function, judged
 *							like a query
 *	cacheability_type.c		what is known of a type (clock, temporary,
 *							catalog names, domain CHECK constraints),
 *							and temporary collations and operators
 *	cacheability_builtins.c	the built-in functions and types known by
 *							their implementation
 *	cacheability_clock.c	text that names the current time
 *	cacheability_rel.c		relations: kinds, subscriptions, watch
 *							triggers
 *
 * A SQL function's body, a function's argument defaults and a domain's
 * CHECK constraints are expressions judged like a query; the files below
 * cacheability.c reach its check through the CCNodeChecker it hands them
 * at initialisation, so that no file calls back into a file above it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_CACHEABILITY_INT_H
#define CC_XACT_CACHEABILITY_INT_H

#include "access/htup.h"
#include "utils/hsearch.h"

#include "xact/cacheability.h"

/*
 * The check of cacheability.c, for the files below it: the first reason
 * found in 'node' (a Query, an expression or a List of them) not to cache,
 * or CC_BYPASS_NONE; 'clock_literals' as for cc_check_query().  Can ERROR
 * (catalog access).
 */
typedef CCBypassReason (*CCNodeChecker) (Node *node, List *clock_literals);

/* Verdicts on a function, from best to worst (cacheability_func.c) */
typedef enum CCFuncVerdict
{
	CC_FUNC_OK = 0,				/* cacheable */
	CC_FUNC_INPUT,				/* converts text to its result type: check it */
	CC_FUNC_TEXT_OUTPUT,		/* shows its polymorphic arguments as text:
								 * check their types where it is called */
	CC_FUNC_CLOCK,				/* reads the current time */
	CC_FUNC_SESSION,			/* reads the session or the catalogs */
	CC_FUNC_TEMPORARY,			/* lives in a temporary schema */
	CC_FUNC_UNTRUSTED,			/* STABLE, body not inspectable */
	CC_FUNC_VOLATILE			/* VOLATILE */
} CCFuncVerdict;

/*
 * What computing a function's verdict found out besides the verdict
 * (cacheability_func.c, cacheability_body.c)
 */
typedef struct CCVerdictInfo
{
	bool		cacheable;		/* false: depends on the moment (parallel
								 * mode, nesting): do not keep it */
	bool		path_dependent; /* a SQL body was analyzed: valid in this
								 * session context only */
} CCVerdictInfo;

/* cacheability_func.c */
extern void cc_func_init(CCNodeChecker checker);
extern void cc_func_forget_all(void);
extern CCFuncVerdict cc_function_verdict(Oid funcid);
extern CCBypassReason cc_function_defaults_reason(Oid funcid, int nargs);
extern CCBypassReason cc_verdict_reason(CCFuncVerdict verdict);
extern CCBypassReason cc_text_output_reason(Node *call);

/* cacheability_body.c */
extern CCBypassReason cc_sql_body_reason(HeapTuple proctup,
										 CCNodeChecker checker,
										 CCVerdictInfo *info);

/* cacheability_type.c */
extern void cc_type_init(CCNodeChecker checker);
extern void cc_type_forget_all(void);
extern bool cc_type_shows_catalog(Oid typid);
extern void cc_note_unkept_verdict(void);
extern uint64 cc_unkept_verdicts(void);
extern void cc_note_context_judgment(void);
extern uint64 cc_context_judgments(void);
extern CCBypassReason cc_type_check_reason(Oid typid);
extern bool cc_collation_is_temporary(Oid collid);
extern bool cc_operator_is_temporary(Oid opno);

/* cacheability_builtins.c */
extern CCFuncVerdict cc_stable_builtin_verdict(const char *prosrc);
extern bool cc_is_text_output_builtin(const char *prosrc);
extern bool cc_input_is_clockless(Oid typid);

/* cacheability_rel.c */
extern void cc_rel_init(void);

/*
 * A backend-local hash table keyed by OID, in 'cxt': the verdict caches of
 * the module are all made this way.
 */
static inline HTAB *
cc_oid_table(const char *name, Size entrysize, long nelem, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

#endif							/* CC_XACT_CACHEABILITY_INT_H */
