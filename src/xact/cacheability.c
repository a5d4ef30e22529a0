/*-------------------------------------------------------------------------
 *
 * cacheability.c
 *		Deciding whether a query's result may be stored, and why not.
 *
 * The rule: a result is stored only if it can depend on nothing but its
 * arguments, the rows of the relations it read (each one a dependency that
 * writes invalidate, pending.c and xact.c), the catalogs (a committed change
 * that can alter a result flushes, catalog_inval.c) and the settings in the
 * key (src/base/key.c).  Everything in this module checks against lists of
 * what is known to satisfy that rule; whatever is not on a list is not cached.
 * A wrong guess costs a miss, never a wrong result.
 *
 * This file is the query check.  cc_check_query() walks the analyzed and
 * rewritten statement (views are expanded by then, and row-level security
 * quals are attached):
 *	- row locks, TABLESAMPLE without REPEATABLE, nextval();
 *	- the relations of every range table (cc_check_relation(),
 *	  cacheability_rel.c);
 *	- the clock: CURRENT_DATE and the like; string literals that name the
 *	  current time ('now', 'today', 'tomorrow', 'yesterday') converted to a
 *	  type that can hold a date or time (the literals are found in the raw
 *	  parse tree, cacheability_clock.c, and matched to the constants by
 *	  their location); and any conversion of text to such a type at run
 *	  time (a cast from text, record, array or range input,
 *	  json(b)_populate_record and friends);
 *	- every function and operator, through cc_function_verdict()
 *	  (cacheability_func.c), and the defaults of the arguments a call
 *	  leaves out; a built-in that shows a polymorphic argument as text is
 *	  judged here, by the argument's type (cc_text_output_reason());
 *	- functions, operators, types and collations of a temporary schema;
 *	- values of the reg* types, unless their parent takes them as OIDs
 *	  (cc_consume(); never a regclass): their text shows names that can
 *	  change unflushed;
 *	- conversions to a domain (casts, parameters, text input into a row
 *	  type) whose CHECK constraints cannot be cached (cacheability_type.c);
 *	- current_setting() of a setting that is not part of the key, or is
 *	  not defined.
 * Known NOT to matter: current_user, current_schema and the other
 * SQLValueFunctions that are not the clock (the role and the settings they
 * show are part of the key).
 *
 * cc_check_policies() walks, when the result is about to be stored, the
 * row-level security policies of every relation the fill read (a policy
 * of a table read inside a function is not part of the walked query).
 * The same walk judges, for the files below this one, SQL function bodies,
 * argument defaults and domain CHECK constraints (cc_check_node(), handed
 * to them by cc_cacheability_init()).
 *
 * This file keeps no state of its own.  cc_cacheability_init() registers
 * the invalidation callbacks that reset the verdict caches of
 * cacheability_func.c and cacheability_type.c: function verdicts are
 * forgotten whenever pg_proc changes; type verdicts, and the function
 * verdicts built on them, whenever pg_type, a relation, pg_cast,
 * pg_operator, pg_aggregate, pg_namespace or pg_constraint changes.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "rewrite/rowsecurity.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cascade_cache.h"
#include "compat.h"
#include "base/key.h"
#include "base/search_path.h"
#include "xact/cacheability.h"
#include "xact/cacheability_int.h"

/* The state of one walk */
typedef struct CCQueryCheck
{
	CCBypassReason reason;		/* the first reason found, or NONE */
	List	   *clock_literals; /* locations of literals naming the clock */
	List	   *rtfunc_coltypes;	/* column types of the FROM function being
									 * walked, or NIL */
	List	   *consumed;		/* reg* values their parent takes as an OID,
								 * not shown as text (cc_consume()) */
} CCQueryCheck;

static CCBypassReason cc_check_node(Node *node, List *clock_literals);
static bool cc_query_walker(Node *node, CCQueryCheck *ctx);
static bool cc_function_checker(Oid funcid, void *context);
static void cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cc_type_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cc_relation_callback(Datum arg, Oid relid);

/*
 * Wire the module: hand the query check to the files that judge stored
 * expressions, install the fmgr hooks (cacheability_func.c) and register
 * the invalidation callbacks.  Called once, from _PG_init.
 */
void
cc_cacheability_init(void)
{
	cc_func_init(cc_check_node);
	cc_type_init(cc_check_node);

	CacheRegisterSyscacheCallback(PROCOID, cc_proc_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, cc_type_callback, (Datum) 0);

	/*
	 * What a SQL body resolves to, and what a type holds, also change with
	 * relations (views redefined, columns added), casts, operators,
	 * aggregates, schemas and domain constraints.
	 */
	CacheRegisterRelcacheCallback(cc_relation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(CASTSOURCETARGET, cc_type_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(OPEROID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AGGFNOID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(CONSTROID, cc_type_callback, (Datum) 0);

	/*
	 * And with what names resolve to: a role, a text search configuration or
	 * dictionary, a collation that a constant names ('x'::regrole), and role
	 * membership, which decides which schemas a name is looked up in.
	 */
	CacheRegisterSyscacheCallback(AUTHOID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, cc_type_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(TSCONFIGOID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(TSDICTOID, cc_type_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(COLLOID, cc_type_callback, (Datum) 0);
	cc_rel_init();
}

/* A function changed: forget every function verdict. */
static void
cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cc_func_forget_all();
}

/* Forget every type verdict, and the function verdicts built on them. */
static void
cc_type_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cc_type_forget_all();
	cc_func_forget_all();
}

/* A relation changed: forget every verdict (its row type, views). */
static void
cc_relation_callback(Datum arg, Oid relid)
{
	cc_type_callback(arg, 0, 0);
}

/* ----------------------------------------------------------------
 * Queries
 * ----------------------------------------------------------------
 */

/*
 * Check an analyzed, rewritten SELECT; 'clock_literals' are the locations
 * of its string literals that name the current time (cc_clock_literals()
 * of its raw parse tree).  Returns CC_BYPASS_NONE if nothing in it (or its
 * search path) prevents caching, else the first reason.  Can ERROR.
 */
CCBypassReason
cc_check_query(Query *query, List *clock_literals)
{
	return cc_search_path_names_temp() ? CC_BYPASS_TEMPORARY_OBJECT :
		cc_check_node((Node *) query, clock_literals);
}

/*
 * The check of a Query, an expression or a List of them, as
 * cc_check_query(); the CCNodeChecker of the files below this one.
 */
static CCBypassReason
cc_check_node(Node *node, List *clock_literals)
{
	CCQueryCheck ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.reason = CC_BYPASS_NONE;
	ctx.clock_literals = clock_literals;
	(void) cc_query_walker(node, &ctx);
	return ctx.reason;
}

/*
 * Why a value converted from text to 'type' while the query runs keeps the
 * result out (CC_BYPASS_NONE if nothing does): text to a date or time type
 * can read the clock, and converting to a domain, or a type holding one,
 * runs its checks.  A text cast, a JSON expression's RETURNING type, an
 * XMLTABLE column.  Can ERROR (catalog access).
 */
static CCBypassReason
cc_text_cast_reason(Oid type)
{
	if (cc_type_reads_clock(type))
		return CC_BYPASS_CLOCK;
	return cc_type_check_reason(type);
}

/*
 * Is a constant of this type at this location a literal naming the clock,
 * or a value of a type that any text is read as differently from one day
 * to the next (timetz: cc_type_input_reads_date())?
 */
static bool
cc_const_names_clock(Const *con, CCQueryCheck *ctx)
{
	ListCell   *lc;

	if (con->constisnull)
		return false;
	if (cc_type_input_reads_date(con->consttype))
		return true;
	if (ctx->clock_literals == NIL || !cc_type_reads_clock(con->consttype))
		return false;
	/* a constant of unknown origin could be any of them */
	if (con->location < 0)
		return true;
	foreach(lc, ctx->clock_literals)
	{
		if (lfirst_int(lc) == con->location)
			return true;
	}
	return false;
}

/*
 * Values of the reg* types show a catalog object by name when converted to
 * text, and that name can change without a flush (an index's) or depend on
 * the session.  A value that its parent takes as an OID is harmless: an
 * argument of a function declared with that very type (to_tsvector's
 * regconfig), or a value relabeled to oid.  Note such arguments of 'node'
 * in ctx->consumed, so that the type check of the walker lets them pass.
 * Not regclass: which relation a name resolves to can change without a
 * flush (indexes are created, dropped and renamed freely, and a relation
 * renamed to a name another one just left explains the same catalog
 * messages), and the relation need not be read for its changes to be
 * seen.  Can ERROR (catalog access).
 */
static void
cc_consume(Node *node, CCQueryCheck *ctx)
{
	List	   *args = NIL;
	Oid			funcid = InvalidOid;
	Oid		   *argtypes = NULL;
	int			nargs = 0;
	ListCell   *lc;
	int			i = 0;

	switch (nodeTag(node))
	{
		case T_FuncExpr:
			funcid = ((FuncExpr *) node)->funcid;
			args = ((FuncExpr *) node)->args;
			break;
		case T_OpExpr:
			funcid = ((OpExpr *) node)->opfuncid;
			args = ((OpExpr *) node)->args;
			break;
		case T_RelabelType:
			{
				RelabelType *relabel = (RelabelType *) node;

				if (!cc_type_shows_catalog(relabel->resulttype))
					args = list_make1(relabel->arg);
				break;
			}
		default:
			return;
	}
	if (OidIsValid(funcid))
		(void) get_func_signature(funcid, &argtypes, &nargs);

	foreach(lc, args)
	{
		Node	   *arg = (Node *) lfirst(lc);
		Oid			type = exprType(arg);
		int			position = i++;

		/* a named argument: its declared position */
		if (IsA(arg, NamedArgExpr))
			position = ((NamedArgExpr *) arg)->argnumber;
		if (argtypes != NULL &&
			(position < 0 || position >= nargs || argtypes[position] != type))
			continue;			/* "any", polymorphic, variadic: shown */
		if (type == REGCLASSOID || !cc_type_shows_catalog(type))
			continue;
		ctx->consumed = lappend(ctx->consumed, arg);
		if (IsA(arg, NamedArgExpr))
			ctx->consumed = lappend(ctx->consumed,
									((NamedArgExpr *) arg)->arg);
	}
	if (argtypes != NULL)
		pfree(argtypes);
}

/*
 * May a cached query read this column?  User columns (and whole rows) change
 * only by writes, which invalidate.  Of the system columns, only those
 * known to change with a write or with a rewrite of the relation (whose
 * relcache message invalidates its readers) and nothing else: tableoid,
 * ctid (a row keeps its place until it is updated or the relation is
 * rewritten) and xmin (set by the write that made the row version;
 * freezing keeps it).  Any other, now or in a later release, is not:
 * xmax, cmin and cmax change with a row lock (a foreign key's check takes
 * one) and with an update or delete that rolls back, neither of which
 * invalidates anything.
 */
static bool
cc_system_column_is_stable(AttrNumber attno)
{
	return attno >= 0 ||
		attno == TableOidAttributeNumber ||
		attno == SelfItemPointerAttributeNumber ||
		attno == MinTransactionIdAttributeNumber;
}

/* Record why the walk fails, and stop it (returns true). */
static bool
cc_fail(CCQueryCheck *ctx, CCBypassReason reason)
{
	ctx->reason = reason;
	return true;
}

/*
 * The walk: true (stop) once ctx->reason is set.  Queries are entered
 * through query_tree_walker(), so sublinks, CTEs and subqueries in FROM
 * are walked like the top level.  Can ERROR (catalog access).
 */
static bool
cc_query_walker(Node *node, CCQueryCheck *ctx)
{
	if (node == NULL)
		return false;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	if (IsA(node, Query))
	{
		Query	   *query = (Query *) node;
		ListCell   *lc;

		if (query->rowMarks != NIL)
			return cc_fail(ctx, CC_BYPASS_LOCKING);

		/*
		 * Relations first, so that the reason reported for a table with
		 * row-level security is that, not the policy's current_setting().
		 * (The executor hook checks every relation again, including those
		 * read inside functions.)
		 */
		foreach(lc, query->rtable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

			if (CC_RTE_IS_RELATION(rte))
			{
				ctx->reason = cc_check_relation(rte->relid, rte->relkind);
				if (ctx->reason != CC_BYPASS_NONE)
					return true;
			}
		}
		return query_tree_walker(query, cc_query_walker, (void *) ctx, 0);
	}

	/* reg* arguments taken as OIDs */
	if (IsA(node, FuncExpr) || IsA(node, OpExpr) || IsA(node, RelabelType))
		cc_consume(node, ctx);

	switch (nodeTag(node))
	{
		case T_Var:
			if (!cc_system_column_is_stable(((Var *) node)->varattno))
				return cc_fail(ctx, CC_BYPASS_SYSTEM_COLUMN);
			break;

		case T_SQLValueFunction:
			switch (((SQLValueFunction *) node)->op)
			{
				case SVFOP_CURRENT_DATE:
				case SVFOP_CURRENT_TIME:
				case SVFOP_CURRENT_TIME_N:
				case SVFOP_CURRENT_TIMESTAMP:
				case SVFOP_CURRENT_TIMESTAMP_N:
				case SVFOP_LOCALTIME:
				case SVFOP_LOCALTIME_N:
				case SVFOP_LOCALTIMESTAMP:
				case SVFOP_LOCALTIMESTAMP_N:
					return cc_fail(ctx, CC_BYPASS_CLOCK);
				default:
					/* current_user, current_schema, ...: part of the key */
					break;
			}
			break;

		case T_NextValueExpr:
			return cc_fail(ctx, CC_BYPASS_VOLATILE_FUNCTION);

		case T_TableSampleClause:
			/* without REPEATABLE, a new sample every time */
			if (((TableSampleClause *) node)->repeatable == NULL)
				return cc_fail(ctx, CC_BYPASS_VOLATILE_FUNCTION);
			break;

		case T_Const:
			if (cc_const_names_clock((Const *) node, ctx))
				return cc_fail(ctx, CC_BYPASS_CLOCK);
			/* 'pg_temp_3.cfg'::regconfig: another session's object */
			if (!((Const *) node)->constisnull &&
				cc_reg_value_is_temporary(((Const *) node)->consttype,
										  ((Const *) node)->constvalue))
				return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);
			break;

		case T_RangeTblFunction:
			{
				RangeTblFunction *rtfunc = (RangeTblFunction *) node;
				List	   *saved = ctx->rtfunc_coltypes;
				bool		result;

				ListCell   *lc;

				/* a column shown through the whole row's text */
				foreach(lc, rtfunc->funccoltypes)
				{
					if (cc_type_shows_catalog(lfirst_oid(lc)))
						return cc_fail(ctx, CC_BYPASS_SESSION_FUNCTION);
				}

				/* a column definition list gives a record's types */
				ctx->rtfunc_coltypes = rtfunc->funccoltypes;
				result = cc_query_walker(rtfunc->funcexpr, ctx);
				ctx->rtfunc_coltypes = saved;
				return result;
			}

#ifdef CC_HAVE_JSON_EXPR
		case T_JsonExpr:
			{
				JsonExpr   *jsexpr = (JsonExpr *) node;
				Oid			type = jsexpr->returning->typid;
				CCBypassReason reason;

				/*
				 * The result is converted to the RETURNING type by its input
				 * function (or, for a composite or an array, by those of its
				 * parts), on a JSON string such as "today": as a text cast.
				 */
				reason = cc_text_cast_reason(type);
				if (reason != CC_BYPASS_NONE)
					return cc_fail(ctx, reason);
				return expression_tree_walker(node, cc_query_walker,
											  (void *) ctx);
			}
#endif

		case T_TableFunc:
			{
				TableFunc  *tf = (TableFunc *) node;
				ListCell   *lc;

				/*
				 * XMLTABLE (and JSON_TABLE) fill their columns with the
				 * columns' input functions while the query runs: as a text
				 * cast to each column's type.
				 */
				foreach(lc, tf->coltypes)
				{
					CCBypassReason reason = cc_text_cast_reason(lfirst_oid(lc));

					if (reason != CC_BYPASS_NONE)
						return cc_fail(ctx, reason);
				}
				return expression_tree_walker(node, cc_query_walker,
											  (void *) ctx);
			}

		case T_CoerceViaIO:
			{
				CoerceViaIO *iocoerce = (CoerceViaIO *) node;
				Oid			iofunc;
				bool		typisvarlena;
				Oid			typioparam;

				CCBypassReason reason;

				reason = cc_text_cast_reason(iocoerce->resulttype);
				if (reason != CC_BYPASS_NONE)
					return cc_fail(ctx, reason);
				getTypeOutputInfo(exprType((Node *) iocoerce->arg), &iofunc,
								  &typisvarlena);
				if (cc_function_checker(iofunc, ctx))
					return true;
				getTypeInputInfo(iocoerce->resulttype, &iofunc, &typioparam);
				if (cc_function_verdict(iofunc) != CC_FUNC_INPUT &&
					cc_function_checker(iofunc, ctx))
					return true;
				return expression_tree_walker(node, cc_query_walker,
											  (void *) ctx);
			}

		case T_FuncExpr:
			{
				FuncExpr   *fexpr = (FuncExpr *) node;

				/*
				 * current_setting(name) is fine when the setting is part of
				 * the key; a constant name is the only one we can judge.
				 */
				if (fexpr->funcid == F_CURRENT_SETTING_TEXT ||
					fexpr->funcid == F_CURRENT_SETTING_TEXT_BOOL)
				{
					Node	   *arg = (Node *) linitial(fexpr->args);

					/* ... and its value is in the key, in every session */
					if (IsA(arg, Const) && !((Const *) arg)->constisnull)
					{
						char	   *name = TextDatumGetCString(((Const *) arg)->constvalue);

						/*
						 * whether it exists, or holds an extension's boot
						 * value, is this session context's: so is a verdict
						 * on a function whose body reads it
						 */
						cc_note_context_judgment();
						if (cc_setting_readable(name))
							return expression_tree_walker(node, cc_query_walker,
														  (void *) ctx);
					}
					return cc_fail(ctx, CC_BYPASS_SESSION_FUNCTION);
				}

				/*
				 * Arguments left out take the function's defaults, which the
				 * planner inserts only after this check.
				 */
				{
					CCBypassReason reason =
						cc_function_defaults_reason(fexpr->funcid,
													list_length(fexpr->args));

					if (reason != CC_BYPASS_NONE)
						return cc_fail(ctx, reason);
				}

				/* text input into a known type: judge the type */
				if (cc_function_verdict(fexpr->funcid) == CC_FUNC_INPUT)
				{
					bool		clock;

					if (fexpr->funcresulttype == RECORDOID &&
						ctx->rtfunc_coltypes != NIL)
					{
						ListCell   *lc;

						clock = false;
						foreach(lc, ctx->rtfunc_coltypes)
							clock |= cc_type_reads_clock(lfirst_oid(lc));
					}
					else
						clock = cc_type_reads_clock(fexpr->funcresulttype);
					if (clock)
						return cc_fail(ctx, CC_BYPASS_CLOCK);
					if (cc_type_is_temporary(fexpr->funcresulttype))
						return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);

					/* domain checks run on the values read */
					if (fexpr->funcresulttype == RECORDOID &&
						ctx->rtfunc_coltypes != NIL)
					{
						ListCell   *lc;

						foreach(lc, ctx->rtfunc_coltypes)
						{
							CCBypassReason reason = cc_type_check_reason(lfirst_oid(lc));

							if (reason != CC_BYPASS_NONE)
								return cc_fail(ctx, reason);
						}
					}
					else
					{
						CCBypassReason reason = cc_type_check_reason(fexpr->funcresulttype);

						if (reason != CC_BYPASS_NONE)
							return cc_fail(ctx, reason);
					}
					return expression_tree_walker(node, cc_query_walker,
												  (void *) ctx);
				}
				break;
			}

		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			if (cc_operator_is_temporary(((OpExpr *) node)->opno))
				return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);
			break;

		case T_ScalarArrayOpExpr:
			if (cc_operator_is_temporary(((ScalarArrayOpExpr *) node)->opno))
				return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);
			break;

		default:
			break;
	}

	/*
	 * Every value (each node exprType() knows): of a type of a temporary
	 * schema, showing a catalog object by name, converted to a domain whose
	 * checks cannot be cached, or in a temporary collation.
	 */
	switch (nodeTag(node))
	{
		case T_Var:
		case T_Const:
		case T_Param:
		case T_Aggref:
		case T_GroupingFunc:
		case T_WindowFunc:
		case T_SubscriptingRef:
		case T_FuncExpr:
		case T_NamedArgExpr:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_ScalarArrayOpExpr:
		case T_BoolExpr:
		case T_SubLink:
		case T_FieldSelect:
		case T_FieldStore:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_ConvertRowtypeExpr:
		case T_CollateExpr:
		case T_CaseExpr:
		case T_CaseTestExpr:
		case T_ArrayExpr:
		case T_RowExpr:
		case T_RowCompareExpr:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_SQLValueFunction:
		case T_XmlExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_CoerceToDomain:
		case T_CoerceToDomainValue:
		case T_SetToDefault:
		case T_CurrentOfExpr:
		case T_NextValueExpr:
		case T_InferenceElem:
		case T_PlaceHolderVar:
			{
				Oid			type = exprType(node);
				Oid			coll;
				CCBypassReason reason;

				/* a value that shows a catalog object by name */
				if (cc_type_shows_catalog(type) &&
					!list_member_ptr(ctx->consumed, node))
					return cc_fail(ctx, CC_BYPASS_SESSION_FUNCTION);
				if (cc_type_is_temporary(type))
					return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);

				/* domain checks run converting to the type, and binding */
				if (IsA(node, CoerceToDomain) || IsA(node, Param))
				{
					reason = cc_type_check_reason(type);
					if (reason != CC_BYPASS_NONE)
						return cc_fail(ctx, reason);
				}

				/* another session's temporary collation */
				coll = exprCollation(node);
				if (cc_collation_is_temporary(coll))
					return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);
				coll = exprInputCollation(node);
				if (cc_collation_is_temporary(coll))
					return cc_fail(ctx, CC_BYPASS_TEMPORARY_OBJECT);
			}
			break;
		default:
			break;
	}

	/* a polymorphic argument shown as text: judged by its type, here */
	if ((IsA(node, FuncExpr) &&
		 cc_function_verdict(((FuncExpr *) node)->funcid) == CC_FUNC_TEXT_OUTPUT) ||
		(IsA(node, OpExpr) && OidIsValid(((OpExpr *) node)->opfuncid) &&
		 cc_function_verdict(((OpExpr *) node)->opfuncid) == CC_FUNC_TEXT_OUTPUT))
	{
		CCBypassReason reason = cc_text_output_reason(node);

		if (reason != CC_BYPASS_NONE)
			return cc_fail(ctx, reason);
		return expression_tree_walker(node, cc_query_walker, (void *) ctx);
	}

	if (check_functions_in_node(node, cc_function_checker, (void *) ctx))
		return true;

	return expression_tree_walker(node, cc_query_walker, (void *) ctx);
}

/*
 * check_functions_in_node() callback: fail the walk if 'funcid' may not be
 * called by a cached result.  Returns true (stop) on failure.
 */
static bool
cc_function_checker(Oid funcid, void *context)
{
	CCQueryCheck *ctx = (CCQueryCheck *) context;
	CCFuncVerdict verdict = cc_function_verdict(funcid);

	/* text input seen anywhere but a call or a cast: assume the worst */
	if (verdict == CC_FUNC_INPUT)
		verdict = CC_FUNC_CLOCK;
	/* arguments shown as text, of types not known here */
	if (verdict == CC_FUNC_TEXT_OUTPUT)
		verdict = CC_FUNC_UNTRUSTED;
	if (verdict == CC_FUNC_OK)
		return false;
	return cc_fail(ctx, cc_verdict_reason(verdict));
}

/*
 * The row-level security policies of every relation a fill read, checked
 * like the query itself, when the result is about to be stored: a policy
 * of a table read inside a function is not part of the walked query.
 * Returns the first reason found, or CC_BYPASS_NONE.  Can ERROR (catalog
 * access); opens each relation through the relcache without locking it,
 * long enough to copy its policies.
 */
CCBypassReason
cc_check_policies(const Oid *relids, int nrelids)
{
	int			i;

	for (i = 0; i < nrelids; i++)
	{
		Relation	rel = RelationIdGetRelation(relids[i]);
		CCQueryCheck ctx;
		List	   *quals = NIL;
		ListCell   *lc;

		if (!RelationIsValid(rel))
			continue;

		/*
		 * Copies of the policies' expressions, walked with the relation
		 * closed: judging a function can process invalidations, and a
		 * relation rebuilt with other policies frees the old ones.  (Its lock
		 * is not always held: a table read only in a subtransaction that was
		 * rolled back lost it with the subtransaction.)
		 */
		if (rel->rd_rel->relrowsecurity && rel->rd_rsdesc != NULL)
		{
			foreach(lc, rel->rd_rsdesc->policies)
			{
				RowSecurityPolicy *policy = (RowSecurityPolicy *) lfirst(lc);

				if (policy->qual != NULL)
					quals = lappend(quals, copyObject(policy->qual));
				if (policy->with_check_qual != NULL)
					quals = lappend(quals, copyObject(policy->with_check_qual));
			}
		}
		RelationClose(rel);

		memset(&ctx, 0, sizeof(ctx));
		ctx.reason = CC_BYPASS_NONE;
		foreach(lc, quals)
		{
			if (cc_query_walker((Node *) lfirst(lc), &ctx))
				break;
		}
		list_free(quals);
		if (ctx.reason != CC_BYPASS_NONE)
			return ctx.reason;
	}
	return CC_BYPASS_NONE;
}
