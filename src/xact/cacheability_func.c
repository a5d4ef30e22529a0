/*-------------------------------------------------------------------------
 *
 * cacheability_func.c
 *		Verdicts on functions: may a result that called this function be
 *		cached?
 *
 * Each function gets a CCFuncVerdict, from best to worst:
 *	- cascade_cache.cached_query(): transparent (a nested call runs as a
 *	  bypass inside the fill, whose dependencies it adds to);
 *	- VOLATILE: never cached;
 *	- in a temporary schema: never cached (another session's pg_temp.f is
 *	  another function);
 *	- aggregates (CREATE AGGREGATE calls them IMMUTABLE): the worst of
 *	  their support functions, and the clock if an initial state names it;
 *	- not built in, listed in cascade_cache.trusted_functions: trusted;
 *	- built-in SQL functions that show a polymorphic argument as text
 *	  (anytextcat, textanycat, quote_literal, quote_nullable): judged where
 *	  they are called, by the argument's type (cc_text_output_reason(),
 *	  which the query check calls);
 *	- LANGUAGE sql, built in or not: the body is parsed, analyzed and
 *	  checked like a query, recursively (its verdict is the worst of what
 *	  it calls), with the function's own SET options applied
 *	  (cacheability_body.c); the verdict holds in the session context it
 *	  was made in (below); a result coerced to a domain return type adds the
 *	  domain's checks;
 *	- IMMUTABLE in another language: trusted, as PostgreSQL trusts it;
 *	- STABLE built in (C or internal): by its implementation, with the
 *	  lists of cacheability_builtins.c; every one not listed as cacheable
 *	  reads the clock, the session or the catalogs in ways no invalidation
 *	  covers;
 *	- STABLE in another language: untrusted, since its body cannot be
 *	  inspected and STABLE allows reading the clock.
 * A call that leaves arguments out also gets the verdict on their
 * defaults.  SQL bodies and defaults are judged with the query check that
 * cacheability.c hands cc_func_init().
 *
 * Failing closed: a function reached again while its own verdict is being
 * computed (recursion) is untrusted, as is every SQL body or default
 * judged before cc_func_init(); so is a body that cannot be analyzed
 * (cacheability_body.c).
 *
 * While a fill runs, a needs_fmgr_hook (and an fmgr_hook, for SECURITY
 * DEFINER functions and ones with SET options) sees every function that is
 * not built in as it is looked up, wherever it is called from, and stops
 * the fill from being stored if its verdict is not cacheable.
 *
 * The verdicts are cached per backend in cc_func_verdicts
 * (CacheMemoryContext) and forgotten, by cc_func_forget_all(), whenever
 * pg_proc, pg_type, a relation, pg_cast, pg_operator, pg_aggregate,
 * pg_namespace, pg_constraint, pg_authid, pg_auth_members, pg_ts_config,
 * pg_ts_dict or pg_collation changes (the callbacks cacheability.c
 * registers), when trusted_functions is set, and when key_settings (which
 * decides what current_setting() may read) changes.  A verdict that
 * depends on the moment (made outside a transaction, in parallel mode, or
 * too deep) is not kept.  One that rests on the session context (a SQL
 * body's analysis; what current_setting() may read), or on such a verdict,
 * is kept under that context, cc_compute_context(): every keyed setting,
 * the role, the session user, not a list of what it read (a type's is not
 * kept: cc_note_context_judgment()); CC_FUNC_VERDICTS_MAX in all.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/guc.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/cacheability_int.h"
#include "xact/fill.h"

/*
 * A verdict is kept under its function and, if it holds in one session
 * context only (it rests on a SQL body's analysis, or on what
 * current_setting() may read), that context; else under a zeroed context
 */
typedef struct CCFuncKey
{
	Oid			funcid;
	CCKey		context;		/* cc_compute_context(""), or zeroes */
} CCFuncKey;

typedef struct CCFuncEntry
{
	CCFuncKey	key;			/* hash key */
	CCFuncVerdict verdict;
	CCFuncVerdict defaults_verdict; /* of its argument defaults */
	int16		nargs;			/* pronargs */
	bool		builtin;		/* in pg_catalog */
	bool		in_progress;	/* being computed (a cycle); under the zeroed
								 * context only */
} CCFuncEntry;

/* Initial size of the per-backend table of function verdicts */
#define CC_FUNC_VERDICTS_INITIAL	256

/*
 * Verdicts kept at most (a session switching among many contexts, one
 * tenant after another, keeps one verdict per function and context): the
 * table is emptied when it would hold more
 */
#define CC_FUNC_VERDICTS_MAX		8192

static HTAB *cc_func_verdicts = NULL;

/* Verdicts being computed, one inside the other */
static int	cc_func_computing = 0;

/* cascade_cache.key_settings' generation the verdicts were made under */
static uint64 cc_func_key_generation = 0;

/* Advanced every time the verdicts are forgotten; never 0 */
static uint64 cc_func_generation = 1;

/* cascade_cache.trusted_functions, and its parsed form */
char	   *cc_trusted_functions = NULL;
static List *cc_func_trusted_list = NIL;
static bool cc_func_trusted_stale = true;

/* cacheability.c's check, for SQL bodies and defaults; NULL before init */
static CCNodeChecker cc_func_checker = NULL;

static needs_fmgr_hook_type prev_needs_fmgr_hook = NULL;
static fmgr_hook_type prev_fmgr_hook = NULL;

static CCFuncEntry *cc_function_entry(Oid funcid);
static CCFuncVerdict cc_compute_verdict(Oid funcid, CCFuncEntry *entry,
										CCVerdictInfo *info);
static CCFuncVerdict cc_aggregate_verdict(Oid funcid);
static CCFuncVerdict cc_defaults_verdict(HeapTuple proctup);
static CCFuncVerdict cc_reason_verdict(CCBypassReason reason);
static char *cc_func_prosrc(HeapTuple proctup);
static bool cc_func_is_text_output(HeapTuple proctup);
static CCBypassReason cc_reached_reason(Oid funcid);
static bool cc_is_trusted(Form_pg_proc proc);
static bool cc_needs_fmgr_hook(Oid fn_oid);
static void cc_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo,
						 Datum *arg);

/*
 * Remember the check SQL bodies and defaults are judged with, and install
 * the fmgr hooks.  Called once, by cc_cacheability_init().
 */
void
cc_func_init(CCNodeChecker checker)
{
	cc_func_checker = checker;
	prev_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = cc_needs_fmgr_hook;
	prev_fmgr_hook = fmgr_hook;
	fmgr_hook = cc_fmgr_hook;
}

/*
 * Forget every function verdict (a SQL body's verdict involves others).
 * Called by the invalidation callbacks; cannot fail.
 */
void
cc_func_forget_all(void)
{
	cc_func_generation++;
	if (cc_func_verdicts != NULL)
	{
		hash_destroy(cc_func_verdicts);
		cc_func_verdicts = NULL;
	}
}

/*
 * The generation of the function verdicts: it advances whenever any
 * verdict may have changed (a function, type, relation, cast, operator or
 * schema changed, trusted_functions or key_settings did), so that what
 * was judged under one generation holds while it lasts (xact/fill_plans.c:
 * what the planner evaluated in a kept plan was judged then).  Never 0.
 * Cannot fail.
 */
uint64
cc_function_verdicts_generation(void)
{
	uint64		key_generation = cc_key_settings_generation();

	/* as cc_function_entry() would on its next lookup */
	if (key_generation != cc_func_key_generation)
	{
		cc_func_forget_all();
		cc_func_key_generation = key_generation;
	}
	return cc_func_generation;
}

/*
 * GUC assign hook of cascade_cache.trusted_functions: reparse on next use
 * and forget the verdicts.  Must not fail.
 */
void
cc_trusted_functions_assign(const char *newval, void *extra)
{
	cc_func_trusted_stale = true;
	cc_func_forget_all();
}

/*
 * The verdict on one function, from the per-backend cache or computed.
 * Can ERROR (catalog access, and what analyzing a SQL body raises besides
 * a parse or analysis error, which makes it untrusted: a cancel).
 */
CCFuncVerdict
cc_function_verdict(Oid funcid)
{
	return cc_function_entry(funcid)->verdict;
}

/*
 * The reason a call of 'funcid' with 'nargs' arguments keeps a result out
 * of the cache because of the defaults of the arguments it leaves out (the
 * planner inserts them only after the query check), or CC_BYPASS_NONE.
 * Can ERROR, as cc_function_verdict().
 */
CCBypassReason
cc_function_defaults_reason(Oid funcid, int nargs)
{
	CCFuncEntry *fe = cc_function_entry(funcid);

	if (nargs < fe->nargs && fe->defaults_verdict != CC_FUNC_OK)
		return cc_verdict_reason(fe->defaults_verdict);
	return CC_BYPASS_NONE;
}

/*
 * The bypass reason of a verdict: CC_BYPASS_NONE for CC_FUNC_OK.  A
 * CC_FUNC_INPUT or CC_FUNC_TEXT_OUTPUT verdict passed here has not been
 * judged at its call site, and counts as the clock or untrusted.
 */
CCBypassReason
cc_verdict_reason(CCFuncVerdict verdict)
{
	switch (verdict)
	{
		case CC_FUNC_OK:
			return CC_BYPASS_NONE;
		case CC_FUNC_INPUT:
		case CC_FUNC_CLOCK:
			return CC_BYPASS_CLOCK;
		case CC_FUNC_SESSION:
			return CC_BYPASS_SESSION_FUNCTION;
		case CC_FUNC_TEMPORARY:
			return CC_BYPASS_TEMPORARY_OBJECT;
		case CC_FUNC_TEXT_OUTPUT:
		case CC_FUNC_UNTRUSTED:
			return CC_BYPASS_UNTRUSTED_FUNCTION;
		case CC_FUNC_VOLATILE:
			return CC_BYPASS_VOLATILE_FUNCTION;
	}
	return CC_BYPASS_VOLATILE_FUNCTION; /* keep compiler quiet */
}

/*
 * The cached verdict of one function, computed if need be.  The entry
 * returned is a copy, valid until the next call.  A verdict that holds in
 * one session context only is kept under that context (and its use counts
 * as a judgment of the context, for the verdicts that rest on it).  Can
 * ERROR.
 */
static CCFuncEntry *
cc_function_entry(Oid funcid)
{
	static CCFuncEntry result;
	CCFuncEntry computed;
	CCFuncEntry *entry;
	CCVerdictInfo info;
	CCFuncKey	key;
	CCFuncKey	context_key;
	bool		found;
	bool		in_context;
	uint64		generation;
	uint64		unkept;
	uint64		context_judged;

	/* forgets the verdicts if what current_setting(x) may read changed */
	(void) cc_function_verdicts_generation();

	/*
	 * The context first: computing it can read the catalogs (a search path
	 * to resolve again), and so run invalidation callbacks that forget every
	 * verdict.
	 */
	memset(&context_key, 0, sizeof(context_key));
	context_key.funcid = funcid;
	cc_compute_context("", &context_key.context);
	if (cc_func_verdicts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(CCFuncKey);
		ctl.entrysize = sizeof(CCFuncEntry);
		ctl.hcxt = CacheMemoryContext;
		cc_func_verdicts = hash_create("cascade_cache function verdicts",
									   CC_FUNC_VERDICTS_INITIAL, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	/* zeroed, padding included: the keys are hashed and compared as bytes */
	memset(&key, 0, sizeof(key));
	key.funcid = funcid;
	entry = hash_search(cc_func_verdicts, &key, HASH_FIND, NULL);
	if (entry != NULL && entry->in_progress)
	{
		/* a function reached again while its own verdict is computed */
		result = *entry;
		result.verdict = CC_FUNC_UNTRUSTED;
		result.defaults_verdict = CC_FUNC_UNTRUSTED;
		return &result;
	}
	if (entry != NULL)
	{
		result = *entry;
		return &result;
	}
	entry = hash_search(cc_func_verdicts, &context_key, HASH_FIND, NULL);
	if (entry != NULL)
	{
		cc_note_context_judgment();
		result = *entry;
		return &result;
	}

	/* the marker of a verdict being computed, which a cycle finds */
	entry = hash_search(cc_func_verdicts, &key, HASH_ENTER, &found);
	memset(entry, 0, sizeof(CCFuncEntry));
	entry->key = key;
	entry->in_progress = true;
	entry->verdict = CC_FUNC_UNTRUSTED;

	/* nested calls reuse 'result': compute into a local copy */
	generation = cc_func_generation;
	unkept = cc_unkept_verdicts();
	context_judged = cc_context_judgments();
	memset(&computed, 0, sizeof(computed));
	info.cacheable = true;
	info.path_dependent = false;
	cc_func_computing++;
	PG_TRY();
	{
		computed.verdict = cc_compute_verdict(funcid, &computed, &info);
	}
	PG_CATCH();
	{
		cc_func_computing--;
		/* the table may be gone (invalidation); else drop our marker */
		if (cc_func_verdicts != NULL)
			(void) hash_search(cc_func_verdicts, &key, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cc_func_computing--;
	computed.in_progress = false;

	/*
	 * A verdict this one rests on held for this use only (a function it calls
	 * whose body failed with an error of the moment, say): so does this one.
	 * One that rests on the session context (its own SQL body, a setting
	 * current_setting() may read, a verdict kept for one context) holds in
	 * this context only, and so does any verdict that rests on it.
	 */
	if (cc_unkept_verdicts() != unkept)
		info.cacheable = false;
	if (info.path_dependent)
		cc_note_context_judgment();
	in_context = cc_context_judgments() != context_judged;
	computed.key = in_context ? context_key : key;
	result = computed;

	/*
	 * An invalidation processed meanwhile (a lookup while computing can take
	 * one in) reset the table: the verdict was computed, at least in part,
	 * from catalog rows older than that, so it is good for this use only and
	 * is not kept (a function made VOLATILE while its body was being judged
	 * must not stay cacheable).  Any nested lookup's own marker goes too.
	 */
	if (generation != cc_func_generation || !info.cacheable)
	{
		cc_note_unkept_verdict();
		if (cc_func_verdicts != NULL)
			(void) hash_search(cc_func_verdicts, &key, HASH_REMOVE, NULL);
	}
	else if (cc_func_verdicts != NULL)
	{
		(void) hash_search(cc_func_verdicts, &key, HASH_REMOVE, NULL);
		if (hash_get_num_entries(cc_func_verdicts) >= CC_FUNC_VERDICTS_MAX &&
			cc_func_computing == 0)
		{
			/*
			 * Emptied, not forgotten (what was judged still holds), and only
			 * when no verdict is being computed, whose marker would go.
			 */
			hash_destroy(cc_func_verdicts);
			cc_func_verdicts = NULL;
		}
		else
		{
			entry = hash_search(cc_func_verdicts, &computed.key, HASH_ENTER,
								&found);
			*entry = result;
		}
	}
	return &result;
}

/*
 * Compute the verdict on a function; fill entry->builtin, nargs and
 * defaults_verdict.  Can ERROR (catalog access).
 */
static CCFuncVerdict
cc_compute_verdict(Oid funcid, CCFuncEntry *entry, CCVerdictInfo *info)
{
	HeapTuple	tuple;
	Form_pg_proc proc;
	CCFuncVerdict verdict;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	entry->builtin = (proc->pronamespace == PG_CATALOG_NAMESPACE);
	entry->nargs = proc->pronargs;
	entry->defaults_verdict = proc->pronargdefaults > 0 ?
		cc_defaults_verdict(tuple) : CC_FUNC_OK;

	if (strcmp(NameStr(proc->proname), "cached_query") == 0 &&
		strcmp(get_namespace_name(proc->pronamespace), CC_SCHEMA_NAME) == 0)
		verdict = CC_FUNC_OK;	/* nested: a bypass inside the fill */
	else if (isAnyTempNamespace(proc->pronamespace))
		verdict = CC_FUNC_TEMPORARY;
	else if (proc->provolatile == PROVOLATILE_VOLATILE)
		verdict = CC_FUNC_VOLATILE;
	else if (proc->prokind == PROKIND_AGGREGATE)
		/* CREATE AGGREGATE calls it IMMUTABLE: judge what it calls */
		verdict = cc_aggregate_verdict(funcid);
	else if (!entry->builtin && cc_is_trusted(proc))
		verdict = CC_FUNC_OK;
	else if (entry->builtin && proc->prolang == SQLlanguageId &&
			 cc_func_is_text_output(tuple))
		verdict = CC_FUNC_TEXT_OUTPUT;
	else if (proc->prolang == SQLlanguageId)
	{
		verdict = cc_func_checker == NULL ? CC_FUNC_UNTRUSTED :
			cc_reason_verdict(cc_sql_body_reason(tuple, cc_func_checker,
												 info));
		/* its result is coerced to a domain return type: checks run */
		verdict = Max(verdict,
					  cc_reason_verdict(cc_type_check_reason(proc->prorettype)));
	}
	else if (proc->provolatile == PROVOLATILE_IMMUTABLE)
		verdict = CC_FUNC_OK;
	else if (entry->builtin)
	{
		/* a STABLE built-in: known by its implementation, or a bypass */
		char	   *prosrc = cc_func_prosrc(tuple);

		if (prosrc == NULL)
			verdict = CC_FUNC_SESSION;
		else
		{
			verdict = cc_stable_builtin_verdict(prosrc);
			pfree(prosrc);
		}
	}
	else
		verdict = CC_FUNC_UNTRUSTED;

	ReleaseSysCache(tuple);
	return verdict;
}

/* The verdict matching a bypass reason found inside a function. */
static CCFuncVerdict
cc_reason_verdict(CCBypassReason reason)
{
	switch (reason)
	{
		case CC_BYPASS_NONE:
			return CC_FUNC_OK;
		case CC_BYPASS_CLOCK:
			return CC_FUNC_CLOCK;
		case CC_BYPASS_VOLATILE_FUNCTION:
		case CC_BYPASS_LOCKING:
			return CC_FUNC_VOLATILE;
		case CC_BYPASS_TEMPORARY_OBJECT:
		case CC_BYPASS_TEMPORARY_TABLE:
			return CC_FUNC_TEMPORARY;
		case CC_BYPASS_UNTRUSTED_FUNCTION:
			return CC_FUNC_UNTRUSTED;
		default:
			/* catalogs, foreign tables, sequences, ...: the session */
			return CC_FUNC_SESSION;
	}
}

/*
 * The verdict on the default values of a function's arguments (used when a
 * call leaves arguments out): the worst found checking them like a query.
 */
static CCFuncVerdict
cc_defaults_verdict(HeapTuple proctup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proargdefaults,
									&isnull);

	if (isnull)
		return CC_FUNC_OK;
	if (cc_func_checker == NULL)
		return CC_FUNC_UNTRUSTED;
	return cc_reason_verdict(cc_func_checker(stringToNode(TextDatumGetCString(d)),
											 NIL));
}

/*
 * The verdict on an aggregate: the worst of its support functions, and
 * the clock if an initial state names the current time.
 */
static CCFuncVerdict
cc_aggregate_verdict(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(funcid));
	Form_pg_aggregate agg;
	CCFuncVerdict verdict = CC_FUNC_OK;
	int			i;
	bool		isnull;
	Datum		init;

	if (!HeapTupleIsValid(tuple))
		return CC_FUNC_UNTRUSTED;
	agg = (Form_pg_aggregate) GETSTRUCT(tuple);

	{
		/* every support function an aggregate can have */
		const Oid	fns[] = {
			agg->aggtransfn, agg->aggfinalfn, agg->aggcombinefn,
			agg->aggserialfn, agg->aggdeserialfn, agg->aggmtransfn,
			agg->aggminvtransfn, agg->aggmfinalfn
		};

		for (i = 0; i < (int) lengthof(fns); i++)
		{
			CCFuncVerdict v;

			if (!OidIsValid(fns[i]))
				continue;
			v = cc_function_verdict(fns[i]);
			/* a support function's input: its type is not known here */
			if (v == CC_FUNC_INPUT)
				v = CC_FUNC_CLOCK;
			if (v == CC_FUNC_TEXT_OUTPUT)
				v = CC_FUNC_UNTRUSTED;
			verdict = Max(verdict, v);
		}
	}

	/* initial states go through the state type's input function */
	init = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval,
						   &isnull);
	if (!isnull && cc_text_input_reads_clock(TextDatumGetCString(init),
											 agg->aggtranstype))
		verdict = Max(verdict, CC_FUNC_CLOCK);
	init = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_aggminitval,
						   &isnull);
	if (!isnull && cc_text_input_reads_clock(TextDatumGetCString(init),
											 agg->aggmtranstype))
		verdict = Max(verdict, CC_FUNC_CLOCK);
	ReleaseSysCache(tuple);
	return verdict;
}

/* The function's prosrc, palloc'd, or NULL if it has none. */
static char *
cc_func_prosrc(HeapTuple proctup)
{
	bool		isnull;
	Datum		src = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc,
									  &isnull);

	return isnull ? NULL : TextDatumGetCString(src);
}

/*
 * Is the function (a built-in SQL function) one that only shows its
 * polymorphic arguments as text (cacheability_builtins.c)?
 */
static bool
cc_func_is_text_output(HeapTuple proctup)
{
	char	   *prosrc = cc_func_prosrc(proctup);
	bool		found;

	if (prosrc == NULL)
		return false;
	found = cc_is_text_output_builtin(prosrc);
	pfree(prosrc);
	return found;
}

/*
 * Why a call of a CC_FUNC_TEXT_OUTPUT function (a FuncExpr or an OpExpr)
 * keeps a result out of the cache, or CC_BYPASS_NONE: judged by how each
 * argument's type is cast to text (its output function, or a cast
 * function), and whether its text shows a catalog object by name.  Can
 * ERROR (catalog access).
 */
CCBypassReason
cc_text_output_reason(Node *call)
{
	List	   *args = IsA(call, FuncExpr) ? ((FuncExpr *) call)->args :
		((OpExpr *) call)->args;
	ListCell   *lc;

	foreach(lc, args)
	{
		Node	   *arg = (Node *) lfirst(lc);
		Oid			type = exprType(arg);
		Oid			castfunc = InvalidOid;
		CCFuncVerdict verdict = CC_FUNC_OK;

		if (IsA(arg, NamedArgExpr))
			return CC_BYPASS_UNTRUSTED_FUNCTION;	/* positions unknown here */
		if (cc_type_shows_catalog(type))
			return CC_BYPASS_SESSION_FUNCTION;
		if (cc_type_is_temporary(type))
			return CC_BYPASS_TEMPORARY_OBJECT;
		switch (find_coercion_pathway(TEXTOID, type, COERCION_EXPLICIT,
									  &castfunc))
		{
			case COERCION_PATH_RELABELTYPE:
				break;
			case COERCION_PATH_FUNC:
				verdict = cc_function_verdict(castfunc);
				break;
			case COERCION_PATH_COERCEVIAIO:
				{
					bool		typisvarlena;

					getTypeOutputInfo(type, &castfunc, &typisvarlena);
					verdict = cc_function_verdict(castfunc);
					break;
				}
			default:
				verdict = CC_FUNC_UNTRUSTED;
				break;
		}
		if (verdict == CC_FUNC_INPUT || verdict == CC_FUNC_TEXT_OUTPUT)
			verdict = CC_FUNC_UNTRUSTED;
		if (verdict != CC_FUNC_OK)
			return cc_verdict_reason(verdict);
	}
	return CC_BYPASS_NONE;
}

/*
 * Is the function listed in cascade_cache.trusted_functions, by its name
 * or its schema-qualified name?
 */
static bool
cc_is_trusted(Form_pg_proc proc)
{
	ListCell   *lc;
	char	   *nspname = NULL;

	if (cc_func_trusted_stale)
	{
		list_free_deep(cc_func_trusted_list);
		cc_func_trusted_list = NIL;
		/* the check hook validated the syntax */
		(void) cc_split_name_list(cc_trusted_functions, false,
								  TopMemoryContext, &cc_func_trusted_list);
		cc_func_trusted_stale = false;
	}

	foreach(lc, cc_func_trusted_list)
	{
		const char *entry = (const char *) lfirst(lc);
		const char *dot = strrchr(entry, '.');

		if (dot == NULL)
		{
			if (strcmp(entry, NameStr(proc->proname)) == 0)
				return true;
			continue;
		}
		if (strcmp(dot + 1, NameStr(proc->proname)) != 0)
			continue;
		if (nspname == NULL)
			nspname = get_namespace_name(proc->pronamespace);
		if (nspname != NULL &&
			strlen(nspname) == (size_t) (dot - entry) &&
			strncmp(entry, nspname, dot - entry) == 0)
			return true;
	}
	return false;
}

/* ----------------------------------------------------------------
 * Functions reached while a fill runs
 * ----------------------------------------------------------------
 */

/*
 * Why a function reached through the fmgr hooks keeps the fill out of the
 * cache, or CC_BYPASS_NONE.  Those hooks also see the system's own
 * machinery (language handlers, text search dictionaries, and built-in
 * set-returning functions the planner considers for inlining), so
 * functions of pg_catalog are left to the checks of the query and of SQL
 * function bodies, which see every call of one from SQL.
 */
static CCBypassReason
cc_reached_reason(Oid funcid)
{
	CCFuncEntry *entry = cc_function_entry(funcid);

	if (entry->builtin)
		return CC_BYPASS_NONE;
	return cc_verdict_reason(entry->verdict == CC_FUNC_INPUT ?
							 CC_FUNC_CLOCK : entry->verdict);
}

/*
 * needs_fmgr_hook: consulted whenever a function that is not built in is
 * looked up (and by the planner before inlining a function).  While a fill
 * runs, judge the function; never ask for the fmgr_hook wrapper ourselves.
 */
static bool
cc_needs_fmgr_hook(Oid fn_oid)
{
	CCFill	   *fill = cc_fill_current();

	if (fill != NULL && fill->reason == CC_BYPASS_NONE)
		fill->reason = cc_reached_reason(fn_oid);
	if (prev_needs_fmgr_hook)
		return prev_needs_fmgr_hook(fn_oid);
	return false;
}

/*
 * fmgr_hook: called around every call of a SECURITY DEFINER function, or
 * one with SET options (the needs_fmgr_hook is not consulted for those).
 */
static void
cc_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	if (event == FHET_START)
	{
		CCFill	   *fill = cc_fill_current();

		if (fill != NULL && fill->reason == CC_BYPASS_NONE)
			fill->reason = cc_reached_reason(flinfo->fn_oid);
	}
	if (prev_fmgr_hook)
		prev_fmgr_hook(event, flinfo, arg);
}

/* GUC check hook of cascade_cache.trusted_functions */
static bool
cc_check_trusted_functions(char **newval, void **extra, GucSource source)
{
	return cc_check_name_list(newval, false);
}

/*
 * Define cascade_cache.trusted_functions.  Called once, from _PG_init.
 */
void
cc_cacheability_define_gucs(void)
{
	DefineCustomStringVariable("cascade_cache.trusted_functions",
							   "Comma-separated names of STABLE functions whose results may be cached although their bodies cannot be inspected.",
							   "A STABLE function that is not LANGUAGE sql may read the clock or the session; listing it (name or schema.name) promises it depends only on its arguments, the data and the settings.",
							   &cc_trusted_functions,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   cc_check_trusted_functions,
							   cc_trusted_functions_assign,
							   NULL);
}
