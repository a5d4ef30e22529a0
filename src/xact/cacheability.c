/*-------------------------------------------------------------------------
 *
 * cacheability.c
 *		Deciding whether a query's result may be stored, and why not.
 *
 * The rule: a result is stored only if it can depend on nothing but its
 * arguments, the rows of the relations it read (each one a dependency that
 * writes invalidate, invalidate.c), the catalogs (a committed change that
 * can alter a result flushes, catalog_inval.c) and the settings in the key
 * (cache_key.c).  Everything below checks against lists of what is known
 * to satisfy that rule; whatever is not on a list is not cached.  A wrong
 * guess costs a miss, never a wrong result.
 *
 * cc_check_query() walks the analyzed and rewritten statement (views are
 * expanded by then, and row-level security quals are attached):
 *	- row locks, TABLESAMPLE without REPEATABLE, nextval();
 *	- the clock: CURRENT_DATE and the like; string literals that name the
 *	  current time ('now', 'today', 'tomorrow', 'yesterday') converted to a
 *	  type that can hold a date or time (the literals are found in the raw
 *	  parse tree and matched to the constants by their location); and any
 *	  conversion of text to such a type at run time (a cast from text,
 *	  record, array or range input, json(b)_populate_record and friends);
 *	- every function and operator, through cc_function_verdict(), and the
 *	  defaults of the arguments a call leaves out;
 *	- functions, operators and types of a temporary schema;
 *	- values of the reg* types, unless their parent takes them as OIDs
 *	  (cc_consume(); never a regclass): their text shows names that can
 *	  change unflushed;
 *	- conversions to a domain (casts, parameters, text input into a row
 *	  type) whose CHECK constraints cannot be cached (cc_type_flags());
 *	- collations of a temporary schema;
 *	- current_setting() of a setting that is not part of the key, or is
 *	  not defined.
 * cc_check_relation() classifies each relation any plan of the fill opens,
 * including plans run inside functions.  cc_check_policies() walks, when
 * the result is about to be stored, the row-level security policies of
 * every relation the fill read.  And while a fill runs, a needs_fmgr_hook
 * (and an fmgr_hook, for SECURITY DEFINER functions) sees every function
 * that is not built in as it is looked up, wherever it is called from.
 *
 * Function verdicts:
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
 *	  they are called, by the argument's type (cc_text_output_reason());
 *	- LANGUAGE sql, built in or not: the body is parsed, analyzed and
 *	  checked like a query, recursively (its verdict is the worst of what
 *	  it calls), with the function's own SET options applied; the verdict
 *	  holds for the role and search_path it was made under;
 *	- IMMUTABLE in another language: trusted, as PostgreSQL trusts it;
 *	- STABLE built in (C or internal): by its implementation (prosrc, so
 *	  that overloads are told apart), cacheable if on cc_stable_builtins,
 *	  known to depend only on its arguments, the data and keyed settings;
 *	  every other one reads the clock, the session or the catalogs in ways
 *	  no invalidation covers;
 *	- STABLE in another language: untrusted, since its body cannot be
 *	  inspected and STABLE allows reading the clock.
 *
 * Verdicts on functions and types are cached per backend and forgotten
 * whenever pg_proc, pg_type, a relation, pg_cast, pg_operator,
 * pg_aggregate, pg_namespace or pg_constraint changes (or
 * trusted_functions, or key_settings, which decides what current_setting()
 * may read); which
 * relations are subscription targets, whenever pg_subscription_rel
 * changes.  A verdict that depends on the moment (made outside a
 * transaction, in parallel mode, or too deep) is not kept.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_subscription_rel.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/functions.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rowsecurity.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "cascade_cache.h"

/* Verdicts on a function, from best to worst */
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

typedef struct CCFuncEntry
{
	Oid			funcid;			/* hash key */
	CCFuncVerdict verdict;
	CCFuncVerdict defaults_verdict; /* of its argument defaults */
	int16		nargs;			/* pronargs */
	bool		builtin;		/* in pg_catalog */
	bool		in_progress;	/* being computed (a cycle) */
	bool		path_dependent; /* a SQL body resolved with the caller's
								 * search_path: valid for path_hash only */
	uint64		path_hash;
} CCFuncEntry;

/* What computing a verdict found out besides the verdict */
typedef struct CCVerdictInfo
{
	bool		cacheable;		/* false: depends on the moment (parallel
								 * mode, nesting): do not keep it */
	bool		path_dependent;
} CCVerdictInfo;

/* What is known of a type */
#define CC_TYPE_READS_CLOCK		0x01	/* its input accepts 'now' & co */
#define CC_TYPE_TEMPORARY		0x02	/* lives in a temporary schema */
#define CC_TYPE_CATALOG			0x04	/* a value shows a catalog object by
										 * name (the reg* types) */
/* A domain CHECK constraint (of it or a type it contains) that ... */
#define CC_TYPE_CHECK_CLOCK		0x08	/* reads the clock */
#define CC_TYPE_CHECK_SESSION	0x10	/* reads the session or catalogs */
#define CC_TYPE_CHECK_TEMPORARY	0x20	/* uses a temporary object */
#define CC_TYPE_CHECK_UNTRUSTED	0x40	/* calls an untrusted function */
#define CC_TYPE_CHECK_VOLATILE	0x80	/* is volatile */
#define CC_TYPE_CHECKS \
	(CC_TYPE_CHECK_CLOCK | CC_TYPE_CHECK_SESSION | CC_TYPE_CHECK_TEMPORARY | \
	 CC_TYPE_CHECK_UNTRUSTED | CC_TYPE_CHECK_VOLATILE)
#define CC_TYPE_WORST \
	(CC_TYPE_READS_CLOCK | CC_TYPE_TEMPORARY | CC_TYPE_CATALOG | \
	 CC_TYPE_CHECK_VOLATILE)

/* Domains whose constraints are being checked (a check can use its domain) */
#define CC_MAX_DOMAIN_DEPTH		8
static Oid	cc_domain_stack[CC_MAX_DOMAIN_DEPTH];
static int	cc_domain_depth = 0;

typedef struct CCTypeEntry
{
	Oid			typid;			/* hash key */
	int			flags;
} CCTypeEntry;

static HTAB *cc_func_verdicts = NULL;
static HTAB *cc_type_verdicts = NULL;

/* cascade_cache.key_settings' generation the verdicts were made under */
static uint64 cc_verdicts_key_generation = 0;

/* Nesting of SQL function bodies being analyzed; deeper is untrusted */
#define CC_MAX_BODY_DEPTH		8
static int	cc_body_depth = 0;

/* Nesting of composite types examined for cc_type_reads_clock() */
#define CC_MAX_TYPE_DEPTH		16

/* cascade_cache.trusted_functions, and its parsed form */
char	   *cc_trusted_functions = NULL;
static List *cc_trusted_list = NIL;
static bool cc_trusted_stale = true;

/* relid -> is it a subscription's target?  Forgotten when that changes. */
typedef struct CCSubscribedRel
{
	Oid			relid;
	bool		subscribed;
} CCSubscribedRel;

static HTAB *cc_subscribed_rels = NULL;

static needs_fmgr_hook_type prev_needs_fmgr_hook = NULL;
static fmgr_hook_type prev_fmgr_hook = NULL;

/*
 * STABLE built-ins (pg_catalog, C or internal) whose result depends only
 * on their arguments, table data, keyed settings (TimeZone, DateStyle,
 * lc_*, default_text_search_config, ...) and catalog objects whose changes
 * flush the cache, by the name of their implementation (pg_proc.prosrc):
 * one SQL name can cover overloads with different behaviour (timetz(time)
 * reads the current date, timetz(timestamptz) does not).  Sorted, for
 * bsearch().  Built-ins written in SQL are judged by their bodies, and
 * every other STABLE built-in is a bypass: see cc_compute_verdict().  The
 * output functions of the reg* types are not here: a value that shows a
 * catalog object by name is not cached (cc_type_flags()).
 */
static const char *const cc_stable_builtins[] = {
	"PG_char_to_encoding", "PG_encoding_to_char", "aclitemin", "aclitemout",
	"anyarray_out", "anyarray_recv", "anyarray_send",
	"anycompatiblearray_out", "anycompatiblearray_recv",
	"anycompatiblearray_send", "anycompatiblemultirange_out",
	"anycompatiblerange_out", "anyenum_out", "anymultirange_out",
	"anyrange_out", "array_out", "array_recv", "array_send", "array_to_json",
	"array_to_json_pretty", "array_to_text", "array_to_text_null",
	"bpcharrecv", "bpcharsend", "brin_bloom_summary_recv",
	"brin_bloom_summary_send", "brin_minmax_multi_summary_recv",
	"brin_minmax_multi_summary_send", "cash_in", "cash_numeric", "cash_out",
	"cstring_recv", "cstring_send", "current_database", "current_schema",
	"current_schemas", "current_user", "date_cmp_timestamptz",
	"date_eq_timestamptz", "date_ge_timestamptz", "date_gt_timestamptz",
	"date_le_timestamptz", "date_lt_timestamptz", "date_ne_timestamptz",
	"date_out", "date_timestamptz", "domain_recv", "enum_first", "enum_in",
	"enum_last", "enum_out", "enum_range_all", "enum_range_bounds",
	"enum_recv", "enum_send", "extract_timestamptz", "float4_to_char",
	"float8_to_char", "generate_series_timestamptz", "get_current_ts_config",
	"getdatabaseencoding", "in_range_timestamptz_interval", "int4_cash",
	"int4_to_char", "int8_cash", "int8_to_char", "interval_in",
	"interval_out", "interval_to_char", "json_agg_transfn",
	"json_build_array", "json_build_array_noargs", "json_build_object",
	"json_build_object_noargs", "json_object_agg_transfn",
	"json_string_to_tsvector", "json_to_tsvector", "jsonb_agg_finalfn",
	"jsonb_agg_transfn", "jsonb_build_array", "jsonb_build_array_noargs",
	"jsonb_build_object", "jsonb_build_object_noargs",
	"jsonb_object_agg_finalfn", "jsonb_object_agg_transfn",
	"jsonb_string_to_tsvector", "jsonb_to_tsvector", "length_in_encoding",
	"make_timestamptz", "make_timestamptz_at_timezone", "multirange_out",
	"multirange_recv", "multirange_send", "namerecv", "namesend",
	"numeric_cash", "numeric_to_char", "numeric_to_number",
	"pg_collation_for", "pg_convert", "pg_convert_from", "pg_convert_to",
	"pg_dependencies_recv", "pg_dependencies_send", "pg_get_keywords",
	"pg_mcv_list_recv", "pg_mcv_list_send", "pg_ndistinct_recv",
	"pg_ndistinct_send", "pg_node_tree_recv", "pg_node_tree_send",
	"pg_options_to_table", "pg_typeof", "pgsql_version", "phraseto_tsquery",
	"plainto_tsquery", "range_out", "range_recv", "range_send", "record_out",
	"record_recv", "record_send", "row_to_json", "row_to_json_pretty",
	"session_user", "text_concat", "text_concat_ws", "text_format",
	"text_format_nv", "textrecv", "textsend", "texttoxml",
	"timestamp_cmp_timestamptz", "timestamp_eq_timestamptz",
	"timestamp_ge_timestamptz", "timestamp_gt_timestamptz",
	"timestamp_le_timestamptz", "timestamp_lt_timestamptz",
	"timestamp_ne_timestamptz", "timestamp_out", "timestamp_timestamptz",
	"timestamp_to_char", "timestamptz_cmp_date", "timestamptz_cmp_timestamp",
	"timestamptz_date", "timestamptz_eq_date", "timestamptz_eq_timestamp",
	"timestamptz_ge_date", "timestamptz_ge_timestamp", "timestamptz_gt_date",
	"timestamptz_gt_timestamp", "timestamptz_le_date",
	"timestamptz_le_timestamp", "timestamptz_lt_date",
	"timestamptz_lt_timestamp", "timestamptz_mi_interval",
	"timestamptz_ne_date", "timestamptz_ne_timestamp", "timestamptz_out",
	"timestamptz_part", "timestamptz_pl_interval", "timestamptz_time",
	"timestamptz_timestamp", "timestamptz_timetz", "timestamptz_to_char",
	"timestamptz_trunc", "timestamptz_trunc_zone", "to_date", "to_json",
	"to_jsonb", "to_timestamp", "to_tsquery", "to_tsvector", "ts_headline",
	"ts_headline_json", "ts_headline_json_opt", "ts_headline_jsonb",
	"ts_headline_jsonb_opt", "ts_headline_opt", "ts_match_tq", "ts_match_tt",
	"websearch_to_tsquery", "xml_in", "xml_is_well_formed", "xml_recv",
	"xml_send"
};

/*
 * STABLE built-ins that convert text into values of their result type,
 * calling its input functions: cacheable when that type cannot hold a
 * value that names the current time (cc_type_reads_clock).  By prosrc;
 * sorted.
 */
static const char *const cc_input_builtins[] = {
	"anycompatiblemultirange_in", "anycompatiblerange_in",
	"anymultirange_in", "anyrange_in", "array_in", "domain_in",
	"json_populate_record", "json_populate_recordset", "json_to_record",
	"json_to_recordset", "jsonb_populate_record", "jsonb_populate_recordset",
	"jsonb_to_record", "jsonb_to_recordset", "multirange_in", "range_in",
	"record_in"
};

/*
 * Built-in SQL functions with polymorphic arguments whose bodies only cast
 * them to text and apply an immutable text function (anytextcat,
 * textanycat, quote_literal, quote_nullable), by their bodies (prosrc);
 * sorted.  A body cannot be judged without the argument types, so a call
 * is judged where it is made (cc_text_output_reason()).
 */
static const char *const cc_text_output_builtins[] = {
	"select $1 operator(pg_catalog.||) $2::pg_catalog.text",
	"select $1::pg_catalog.text operator(pg_catalog.||) $2",
	"select pg_catalog.quote_literal($1::pg_catalog.text)",
	"select pg_catalog.quote_nullable($1::pg_catalog.text)"
};

/*
 * STABLE built-ins that read the clock (the transaction's start, or the
 * current date to resolve a time zone's offset).  By prosrc; sorted.
 */
static const char *const cc_clock_builtins[] = {
	"date_in", "jsonb_path_exists_tz", "jsonb_path_match_tz",
	"jsonb_path_query_array_tz", "jsonb_path_query_first_tz",
	"jsonb_path_query_tz", "now", "statement_timestamp", "time_in",
	"time_timetz", "timestamp_in", "timestamptz_in", "timetz_in",
	"timetz_zone"
};

/*
 * Built-in base types whose input function is not IMMUTABLE but cannot
 * read the clock (they read settings or the catalogs).
 */
static const Oid cc_clockless_inputs[] = {
	ACLITEMOID, CASHOID, INTERVALOID, XMLOID, REGCLASSOID, REGCOLLATIONOID,
	REGCONFIGOID, REGDICTIONARYOID, REGNAMESPACEOID, REGOPERATOROID,
	REGOPEROID, REGPROCEDUREOID, REGPROCOID, REGROLEOID, REGTYPEOID
};

/* The words date and time input reads as the current time */
static const char *const cc_clock_words[] = {
	"now", "today", "tomorrow", "yesterday"
};

typedef struct CCQueryCheck
{
	CCBypassReason reason;
	List	   *clock_literals; /* locations of literals naming the clock */
	List	   *rtfunc_coltypes;	/* column types of the FROM function
									 * being walked, or NIL */
	List	   *consumed;		/* reg* values their parent takes as an
								 * OID, not shown as text (cc_consume()) */
} CCQueryCheck;

static bool cc_query_walker(Node *node, CCQueryCheck *ctx);
static bool cc_raw_clock_walker(Node *node, CCQueryCheck *ctx);
static bool cc_function_checker(Oid funcid, void *context);
static CCFuncVerdict cc_function_verdict(Oid funcid);
static CCFuncEntry *cc_function_entry(Oid funcid);
static CCFuncVerdict cc_compute_verdict(Oid funcid, CCFuncEntry *entry,
										CCVerdictInfo *info);
static CCBypassReason cc_reached_reason(Oid funcid);
static CCFuncVerdict cc_sql_body_verdict(HeapTuple proctup,
										 CCVerdictInfo *info);
static CCFuncVerdict cc_aggregate_verdict(Oid funcid);
static CCFuncVerdict cc_defaults_verdict(HeapTuple proctup);
static CCFuncVerdict cc_reason_verdict(CCBypassReason reason);
static bool cc_prosrc_in(HeapTuple proctup, const char *const *list, int n);
static CCBypassReason cc_text_output_reason(Node *call);
static uint64 cc_search_path_hash(void);
static CCBypassReason cc_verdict_reason(CCFuncVerdict verdict);
static int	cc_type_flags(Oid typid, int depth);
static int	cc_domain_check_flags(Oid typid);
static int	cc_domain_constraint_flags(Oid typid);
static CCBypassReason cc_type_check_reason(Oid typid);
static bool cc_collation_is_temporary(Oid collid);
static bool cc_operator_is_temporary(Oid opno);
static bool cc_in_sorted(const char *const *list, int n, const char *name);
static bool cc_is_trusted(Form_pg_proc proc);
static void cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cc_type_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cc_relation_callback(Datum arg, Oid relid);
static void cc_subscription_callback(Datum arg, int cacheid, uint32 hashvalue);
static bool cc_unwatched_subscription_target(Oid relid);
static bool cc_needs_fmgr_hook(Oid fn_oid);
static void cc_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo,
						 Datum *arg);

/* A backend-local hash table keyed by OID, in 'cxt'. */
static HTAB *
cc_oid_table(const char *name, Size entrysize, long nelem, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Install the hooks and invalidation callbacks.  Called from _PG_init.
 */
void
cc_cacheability_init(void)
{
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
	CacheRegisterSyscacheCallback(SUBSCRIPTIONRELMAP,
								  cc_subscription_callback, (Datum) 0);
	prev_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = cc_needs_fmgr_hook;
	prev_fmgr_hook = fmgr_hook;
	fmgr_hook = cc_fmgr_hook;
}

static void
cc_subscription_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (cc_subscribed_rels != NULL)
	{
		hash_destroy(cc_subscribed_rels);
		cc_subscribed_rels = NULL;
	}
}

/* Forget every function verdict (a SQL body's verdict involves others). */
static void
cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (cc_func_verdicts != NULL)
	{
		hash_destroy(cc_func_verdicts);
		cc_func_verdicts = NULL;
	}
}

/* Forget every type verdict, and the function verdicts built on them. */
static void
cc_type_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (cc_type_verdicts != NULL)
	{
		hash_destroy(cc_type_verdicts);
		cc_type_verdicts = NULL;
	}
	cc_proc_callback(arg, cacheid, hashvalue);
}

/* A relation changed: forget every verdict (its row type, views). */
static void
cc_relation_callback(Datum arg, Oid relid)
{
	cc_type_callback(arg, 0, 0);
}

/*
 * GUC assign hook of cascade_cache.trusted_functions: reparse on next use
 * and forget the verdicts.  Must not fail.
 */
void
cc_trusted_functions_assign(const char *newval, void *extra)
{
	cc_trusted_stale = true;
	cc_proc_callback((Datum) 0, 0, 0);
}

/* ----------------------------------------------------------------
 * Queries
 * ----------------------------------------------------------------
 */

/*
 * Check an analyzed, rewritten SELECT; 'clock_literals' are the locations
 * of its string literals that name the current time (cc_clock_literals()
 * of its raw parse tree).  Returns CC_BYPASS_NONE if nothing in it
 * prevents caching, else the first reason found.  Can ERROR (catalog
 * access).
 */
CCBypassReason
cc_check_query(Query *query, List *clock_literals)
{
	CCQueryCheck ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.reason = CC_BYPASS_NONE;
	ctx.clock_literals = clock_literals;
	(void) cc_query_walker((Node *) query, &ctx);
	return ctx.reason;
}

/*
 * The locations of the string literals of a raw parse tree that name the
 * current time.  Must run before parse analysis, which changes the tree
 * in place.
 */
List *
cc_clock_literals(Node *raw)
{
	CCQueryCheck ctx;

	memset(&ctx, 0, sizeof(ctx));
	(void) cc_raw_clock_walker(raw, &ctx);
	return ctx.clock_literals;
}

/*
 * Does this text name the current time for date and time input?  True if
 * one of its words (runs of ASCII letters), case-insensitively, is 'now',
 * 'today', 'tomorrow' or 'yesterday'.  Linear in the length of the text.
 */
bool
cc_text_names_clock(const char *s)
{
	const char *p = s;

	while (*p)
	{
		const char *start;
		size_t		len;
		int			i;

		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		{
			p++;
			continue;
		}
		start = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			p++;
		len = p - start;
		for (i = 0; i < (int) lengthof(cc_clock_words); i++)
			if (strlen(cc_clock_words[i]) == len &&
				pg_strncasecmp(start, cc_clock_words[i], len) == 0)
				return true;
	}
	return false;
}

/* Collect the locations of string literals that name the current time. */
static bool
cc_raw_clock_walker(Node *node, CCQueryCheck *ctx)
{
	if (node == NULL)
		return false;
	check_stack_depth();
	if (IsA(node, A_Const))
	{
		A_Const    *con = (A_Const *) node;

		if (!con->isnull && IsA(&con->val, String) &&
			cc_text_names_clock(strVal(&con->val)))
			ctx->clock_literals = lappend_int(ctx->clock_literals,
											  con->location);
		return false;
	}
	return raw_expression_tree_walker(node, cc_raw_clock_walker,
									  (void *) ctx);
}

/* Is a constant of this type at this location a literal naming the clock? */
static bool
cc_const_names_clock(Const *con, CCQueryCheck *ctx)
{
	ListCell   *lc;

	if (ctx->clock_literals == NIL || con->constisnull ||
		!cc_type_reads_clock(con->consttype))
		return false;
	/* a constant of unknown origin could be any of them */
	if (con->location < 0)
		return true;
	foreach(lc, ctx->clock_literals)
		if (lfirst_int(lc) == con->location)
			return true;
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

static bool
cc_fail(CCQueryCheck *ctx, CCBypassReason reason)
{
	ctx->reason = reason;
	return true;
}

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

			if (rte->rtekind == RTE_RELATION)
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
			break;

		case T_RangeTblFunction:
			{
				RangeTblFunction *rtfunc = (RangeTblFunction *) node;
				List	   *saved = ctx->rtfunc_coltypes;
				bool		result;

				ListCell   *lc;

				/* a column shown through the whole row's text */
				foreach(lc, rtfunc->funccoltypes)
					if (cc_type_shows_catalog(lfirst_oid(lc)))
						return cc_fail(ctx, CC_BYPASS_SESSION_FUNCTION);

				/* a column definition list gives a record's types */
				ctx->rtfunc_coltypes = rtfunc->funccoltypes;
				result = cc_query_walker(rtfunc->funcexpr, ctx);
				ctx->rtfunc_coltypes = saved;
				return result;
			}

		case T_CoerceViaIO:
			{
				CoerceViaIO *iocoerce = (CoerceViaIO *) node;
				Oid			iofunc;
				bool		typisvarlena;
				Oid			typioparam;

				CCBypassReason reason;

				/* text to a date or time at run time can read the clock */
				if (cc_type_reads_clock(iocoerce->resulttype))
					return cc_fail(ctx, CC_BYPASS_CLOCK);
				/* and to a domain, or a type holding one, runs its checks */
				reason = cc_type_check_reason(iocoerce->resulttype);
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

						if (cc_setting_readable(name))
							return expression_tree_walker(node, cc_query_walker,
														  (void *) ctx);
					}
					return cc_fail(ctx, CC_BYPASS_SESSION_FUNCTION);
				}

				/*
				 * Arguments left out take the function's defaults, which
				 * the planner inserts only after this check.
				 */
				{
					CCFuncEntry *fe = cc_function_entry(fexpr->funcid);

					if (list_length(fexpr->args) < fe->nargs &&
						fe->defaults_verdict != CC_FUNC_OK)
						return cc_fail(ctx, cc_verdict_reason(fe->defaults_verdict));
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

static CCBypassReason
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
	return CC_BYPASS_VOLATILE_FUNCTION;	/* keep compiler quiet */
}

/* ----------------------------------------------------------------
 * Functions
 * ----------------------------------------------------------------
 */

/*
 * The verdict on one function, from the per-backend cache or computed.
 * Can ERROR (catalog access).
 */
static CCFuncVerdict
cc_function_verdict(Oid funcid)
{
	return cc_function_entry(funcid)->verdict;
}

/*
 * The cached verdict of one function, computed if need be.  The entry
 * returned is a copy, valid until the next call.  Can ERROR.
 */
static CCFuncEntry *
cc_function_entry(Oid funcid)
{
	static CCFuncEntry result;
	CCFuncEntry computed;
	CCFuncEntry *entry;
	CCVerdictInfo info;
	bool		found;
	uint64		key_generation = cc_key_settings_generation();

	/* whether current_setting(x) is in the key has changed */
	if (key_generation != cc_verdicts_key_generation)
	{
		cc_proc_callback((Datum) 0, 0, 0);
		cc_verdicts_key_generation = key_generation;
	}

	if (cc_func_verdicts == NULL)
		cc_func_verdicts = cc_oid_table("cascade_cache function verdicts",
										sizeof(CCFuncEntry), 256,
										CacheMemoryContext);

	entry = hash_search(cc_func_verdicts, &funcid, HASH_FIND, NULL);
	if (entry != NULL && entry->in_progress)
	{
		/* a function reached again while its own verdict is computed */
		result = *entry;
		result.verdict = CC_FUNC_UNTRUSTED;
		result.defaults_verdict = CC_FUNC_UNTRUSTED;
		return &result;
	}
	if (entry != NULL &&
		(!entry->path_dependent || entry->path_hash == cc_search_path_hash()))
	{
		result = *entry;
		return &result;
	}

	entry = hash_search(cc_func_verdicts, &funcid, HASH_ENTER, &found);
	memset(entry, 0, sizeof(CCFuncEntry));
	entry->funcid = funcid;
	entry->in_progress = true;
	entry->verdict = CC_FUNC_UNTRUSTED;

	/* nested calls reuse 'result': compute into a local copy */
	memset(&computed, 0, sizeof(computed));
	computed.funcid = funcid;
	info.cacheable = true;
	info.path_dependent = false;
	PG_TRY();
	{
		computed.verdict = cc_compute_verdict(funcid, &computed, &info);
	}
	PG_CATCH();
	{
		/* the table may be gone (invalidation); else drop our marker */
		if (cc_func_verdicts != NULL)
			(void) hash_search(cc_func_verdicts, &funcid, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	computed.in_progress = false;
	computed.path_dependent = info.path_dependent;
	if (info.path_dependent)
		computed.path_hash = cc_search_path_hash();
	result = computed;

	/* the table may have been reset by an invalidation meanwhile */
	if (cc_func_verdicts != NULL)
	{
		if (info.cacheable)
		{
			entry = hash_search(cc_func_verdicts, &funcid, HASH_ENTER, &found);
			*entry = result;
		}
		else
			(void) hash_search(cc_func_verdicts, &funcid, HASH_REMOVE, NULL);
	}
	return &result;
}

/* The search_path a SQL body resolves its names with, and the role. */
static uint64
cc_search_path_hash(void)
{
	Oid			userid = GetUserId();
	uint64		h = hash_bytes_extended((const unsigned char *) &userid,
										sizeof(userid), 0);

	return hash_bytes_extended((const unsigned char *) namespace_search_path,
							   strlen(namespace_search_path), h);
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
			 cc_prosrc_in(tuple, cc_text_output_builtins,
						  lengthof(cc_text_output_builtins)))
		verdict = CC_FUNC_TEXT_OUTPUT;
	else if (proc->prolang == SQLlanguageId)
	{
		verdict = cc_sql_body_verdict(tuple, info);
		/* its result is coerced to a domain return type: checks run */
		verdict = Max(verdict,
					  cc_reason_verdict(cc_type_check_reason(proc->prorettype)));
	}
	else if (proc->provolatile == PROVOLATILE_IMMUTABLE)
		verdict = CC_FUNC_OK;
	else if (entry->builtin)
	{
		/* a STABLE built-in: known by its implementation, or a bypass */
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc,
										  &isnull);
		char	   *prosrc = isnull ? pstrdup("") : TextDatumGetCString(src);

		if (cc_in_sorted(cc_stable_builtins, lengthof(cc_stable_builtins),
						 prosrc))
			verdict = CC_FUNC_OK;
		else if (cc_in_sorted(cc_input_builtins, lengthof(cc_input_builtins),
							  prosrc))
			verdict = CC_FUNC_INPUT;
		else if (cc_in_sorted(cc_clock_builtins, lengthof(cc_clock_builtins),
							  prosrc))
			verdict = CC_FUNC_CLOCK;
		else
			verdict = CC_FUNC_SESSION;
		pfree(prosrc);
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
 * call leaves arguments out): the worst found walking them like a query.
 */
static CCFuncVerdict
cc_defaults_verdict(HeapTuple proctup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proargdefaults,
									&isnull);
	CCQueryCheck ctx;

	if (isnull)
		return CC_FUNC_OK;
	memset(&ctx, 0, sizeof(ctx));
	ctx.reason = CC_BYPASS_NONE;
	(void) cc_query_walker(stringToNode(TextDatumGetCString(d)), &ctx);
	return cc_reason_verdict(ctx.reason);
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
	Oid			fns[8];
	CCFuncVerdict verdict = CC_FUNC_OK;
	int			i;
	bool		isnull;
	Datum		init;

	if (!HeapTupleIsValid(tuple))
		return CC_FUNC_UNTRUSTED;
	agg = (Form_pg_aggregate) GETSTRUCT(tuple);
	fns[0] = agg->aggtransfn;
	fns[1] = agg->aggfinalfn;
	fns[2] = agg->aggcombinefn;
	fns[3] = agg->aggserialfn;
	fns[4] = agg->aggdeserialfn;
	fns[5] = agg->aggmtransfn;
	fns[6] = agg->aggminvtransfn;
	fns[7] = agg->aggmfinalfn;
	for (i = 0; i < (int) lengthof(fns); i++)
		if (OidIsValid(fns[i]))
		{
			CCFuncVerdict v = cc_function_verdict(fns[i]);

			/* a support function's input: its type is not known here */
			if (v == CC_FUNC_INPUT)
				v = CC_FUNC_CLOCK;
			if (v == CC_FUNC_TEXT_OUTPUT)
				v = CC_FUNC_UNTRUSTED;
			verdict = Max(verdict, v);
		}

	/* initial states go through the state type's input function */
	init = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval,
						   &isnull);
	if (!isnull && cc_text_names_clock(TextDatumGetCString(init)) &&
		cc_type_reads_clock(agg->aggtranstype))
		verdict = Max(verdict, CC_FUNC_CLOCK);
	init = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_aggminitval,
						   &isnull);
	if (!isnull && cc_text_names_clock(TextDatumGetCString(init)) &&
		cc_type_reads_clock(agg->aggmtranstype))
		verdict = Max(verdict, CC_FUNC_CLOCK);
	ReleaseSysCache(tuple);
	return verdict;
}

/*
 * The verdict on a LANGUAGE sql function: the worst of what its body does,
 * found by parsing and analyzing it as the function's first call would,
 * and checking every statement like a cached query.  A body that cannot be
 * analyzed without a call site (polymorphic arguments), or that fails to
 * parse, is untrusted.  Runs the analysis in a subtransaction, so that a
 * failure is contained; outside a transaction, in parallel mode, or too
 * deep, the function is untrusted.
 */
static CCFuncVerdict
cc_sql_body_verdict(HeapTuple proctup, CCVerdictInfo *info)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile CCFuncVerdict verdict = CC_FUNC_OK;
	HeapTuple	copy;
	bool		isnull;
	Datum		proconfig;
	bool		has_config;

	if (!IsTransactionState() || IsInParallelMode() ||
		cc_body_depth >= CC_MAX_BODY_DEPTH)
	{
		/* untrusted now, not for ever */
		info->cacheable = false;
		return CC_FUNC_UNTRUSTED;
	}

	/*
	 * Names in the body resolve with the function's own search_path (which
	 * can say "$user") or the caller's, and what the body may read depends
	 * on the role: the verdict holds for this role and search_path only.
	 */
	proconfig = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proconfig,
								&isnull);
	has_config = !isnull;
	info->path_dependent = true;

	copy = heap_copytuple(proctup);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	cc_body_depth++;
	PG_TRY();
	{
		bool		isnull;
		Datum		body;
		List	   *queries = NIL;
		ListCell   *lc;
		CCQueryCheck ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.reason = CC_BYPASS_NONE;

		/* the function's own settings, as fmgr_security_definer sets them */
		if (has_config)
		{
			(void) NewGUCNestLevel();
			ProcessGUCArray(DatumGetArrayTypeP(proconfig),
							superuser() ? PGC_SUSET : PGC_USERSET,
							PGC_S_SESSION, GUC_ACTION_SAVE);
		}

		body = SysCacheGetAttr(PROCOID, copy, Anum_pg_proc_prosqlbody,
							   &isnull);
		if (!isnull)
		{
			/* BEGIN ATOMIC: stored analyzed; its literals were evaluated */
			Node	   *n = stringToNode(TextDatumGetCString(body));
			List	   *stored;

			if (IsA(n, List))
				stored = linitial_node(List, castNode(List, n));
			else
				stored = list_make1(n);
			foreach(lc, stored)
			{
				Query	   *q = copyObject(lfirst_node(Query, lc));

				AcquireRewriteLocks(q, true, false);
				queries = list_concat(queries, pg_rewrite_query(q));
			}
		}
		else
		{
			char	   *src;
			SQLFunctionParseInfoPtr pinfo;
			List	   *raw;

			body = SysCacheGetAttr(PROCOID, copy, Anum_pg_proc_prosrc,
								   &isnull);
			if (isnull)
				elog(ERROR, "null prosrc for function %u", proc->oid);
			src = TextDatumGetCString(body);
			pinfo = prepare_sql_fn_parse_info(copy, NULL, InvalidOid);
			raw = pg_parse_query(src);
			foreach(lc, raw)
			{
				RawStmt    *rs = lfirst_node(RawStmt, lc);

				/* anything but a SELECT makes the function VOLATILE anyway */
				if (IsA(rs->stmt, SelectStmt))
					(void) cc_raw_clock_walker((Node *) rs->stmt, &ctx);
				queries = list_concat(queries,
									  pg_analyze_and_rewrite_withcb(rs, src,
																	(ParserSetupHook) sql_fn_parser_setup,
																	pinfo, NULL));
			}
		}

		foreach(lc, queries)
		{
			Query	   *q = lfirst_node(Query, lc);

			if (q->commandType != CMD_SELECT)
			{
				/* writes and DDL: the function is VOLATILE anyway */
				ctx.reason = CC_BYPASS_VOLATILE_FUNCTION;
				break;
			}
			if (cc_query_walker((Node *) q, &ctx))
				break;
		}

		verdict = cc_reason_verdict(ctx.reason);
		cc_body_depth--;
		/* the settings go with the subtransaction (AtEOSubXact_GUC) */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		cc_body_depth--;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		/* a cancel or a shutdown is not a verdict */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		{
			FreeErrorData(edata);
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
			PG_RE_THROW();
		}
		FlushErrorState();
		FreeErrorData(edata);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		verdict = CC_FUNC_UNTRUSTED;
	}
	PG_END_TRY();

	heap_freetuple(copy);
	return verdict;
}

/* Is the function's prosrc on this sorted list? */
static bool
cc_prosrc_in(HeapTuple proctup, const char *const *list, int n)
{
	bool		isnull;
	Datum		src = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc,
									  &isnull);
	char	   *prosrc;
	bool		found;

	if (isnull)
		return false;
	prosrc = TextDatumGetCString(src);
	found = cc_in_sorted(list, n, prosrc);
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
static CCBypassReason
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

/* bsearch() comparator over a sorted array of names */
static int
cc_name_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

static bool
cc_in_sorted(const char *const *list, int n, const char *name)
{
	return bsearch(name, list, n, sizeof(char *), cc_name_cmp) != NULL;
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

	if (cc_trusted_stale)
	{
		list_free_deep(cc_trusted_list);
		cc_trusted_list = NIL;
		/* the check hook validated the syntax */
		(void) cc_split_name_list(cc_trusted_functions, false,
								  TopMemoryContext, &cc_trusted_list);
		cc_trusted_stale = false;
	}

	foreach(lc, cc_trusted_list)
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

/* Is the collation in a temporary schema? */
static bool
cc_collation_is_temporary(Oid collid)
{
	HeapTuple	tuple;
	bool		temp = false;

	if (!OidIsValid(collid) || collid < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_collation) GETSTRUCT(tuple))->collnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/* Is the operator in a temporary schema? */
static bool
cc_operator_is_temporary(Oid opno)
{
	HeapTuple	tuple;
	bool		temp = false;

	if (opno < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_operator) GETSTRUCT(tuple))->oprnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/* ----------------------------------------------------------------
 * Types
 * ----------------------------------------------------------------
 */

/*
 * Can a value of this type be read from text that names the current time?
 * True for date, time, timetz, timestamp and timestamptz; for arrays,
 * ranges, multiranges, domains and composites that contain one; for record
 * and pseudo-types (unknown contents); and, failing closed, for any other
 * base type whose input function is not IMMUTABLE.
 */
bool
cc_type_reads_clock(Oid typid)
{
	return (cc_type_flags(typid, 0) & CC_TYPE_READS_CLOCK) != 0;
}

/* Is the type (or one it is built from) in a temporary schema? */
bool
cc_type_is_temporary(Oid typid)
{
	if (typid < FirstNormalObjectId)
		return false;
	return (cc_type_flags(typid, 0) & CC_TYPE_TEMPORARY) != 0;
}

/*
 * The reason a domain CHECK constraint evaluated while converting a value
 * to this type (a cast, a parameter, text input) keeps a result out of the
 * cache, or CC_BYPASS_NONE.  Can ERROR (catalog access).
 */
static CCBypassReason
cc_type_check_reason(Oid typid)
{
	int			flags = cc_type_flags(typid, 0);

	if (flags & CC_TYPE_CHECK_VOLATILE)
		return CC_BYPASS_VOLATILE_FUNCTION;
	if (flags & CC_TYPE_CHECK_UNTRUSTED)
		return CC_BYPASS_UNTRUSTED_FUNCTION;
	if (flags & CC_TYPE_CHECK_TEMPORARY)
		return CC_BYPASS_TEMPORARY_OBJECT;
	if (flags & CC_TYPE_CHECK_SESSION)
		return CC_BYPASS_SESSION_FUNCTION;
	if (flags & CC_TYPE_CHECK_CLOCK)
		return CC_BYPASS_CLOCK;
	return CC_BYPASS_NONE;
}

/*
 * The CC_TYPE_CHECK_* flags of a domain's own CHECK constraints, each
 * walked like a query.  A domain reached again while its constraints are
 * being walked (a check calling a function of the domain), or too deep,
 * gets the worst flags.  Can ERROR (catalog access).
 */
static int
cc_domain_check_flags(Oid typid)
{
	volatile int flags = 0;
	int			i;

	for (i = 0; i < cc_domain_depth; i++)
		if (cc_domain_stack[i] == typid)
			return CC_TYPE_CHECK_VOLATILE;
	if (cc_domain_depth >= CC_MAX_DOMAIN_DEPTH)
		return CC_TYPE_CHECK_VOLATILE;

	cc_domain_stack[cc_domain_depth++] = typid;
	PG_TRY();
	{
		flags = cc_domain_constraint_flags(typid);
	}
	PG_CATCH();
	{
		cc_domain_depth--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	cc_domain_depth--;
	return flags;
}

/* The CC_TYPE_CHECK_* flags of the domain's CHECK constraints. */
static int
cc_domain_constraint_flags(Oid typid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	int			flags = 0;

	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL, 1,
							  &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		bool		isnull;
		Datum		bin;
		CCQueryCheck ctx;

		if (con->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
						   RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		memset(&ctx, 0, sizeof(ctx));
		ctx.reason = CC_BYPASS_NONE;
		(void) cc_query_walker(stringToNode(TextDatumGetCString(bin)), &ctx);
		switch (cc_reason_verdict(ctx.reason))
		{
			case CC_FUNC_OK:
			case CC_FUNC_INPUT:
			case CC_FUNC_TEXT_OUTPUT:
				break;
			case CC_FUNC_CLOCK:
				flags |= CC_TYPE_CHECK_CLOCK;
				break;
			case CC_FUNC_SESSION:
				flags |= CC_TYPE_CHECK_SESSION;
				break;
			case CC_FUNC_TEMPORARY:
				flags |= CC_TYPE_CHECK_TEMPORARY;
				break;
			case CC_FUNC_UNTRUSTED:
				flags |= CC_TYPE_CHECK_UNTRUSTED;
				break;
			case CC_FUNC_VOLATILE:
				flags |= CC_TYPE_CHECK_VOLATILE;
				break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return flags;
}

/*
 * Does a value of this type show a catalog object by name (regclass and the
 * other reg* types, and what contains them)?  Its text depends on names
 * and the search_path, including those of objects whose changes flush
 * nothing (indexes, temporary objects): such a value is not cached.
 */
bool
cc_type_shows_catalog(Oid typid)
{
	return (cc_type_flags(typid, 0) & CC_TYPE_CATALOG) != 0;
}

static int
cc_type_flags(Oid typid, int depth)
{
	CCTypeEntry *entry;
	HeapTuple	tuple;
	Form_pg_type typ;
	int			flags = 0;
	bool		found;

	switch (typid)
	{
		case DATEOID:
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return CC_TYPE_READS_CLOCK;
		case REGCLASSOID:
		case REGCOLLATIONOID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
		case REGNAMESPACEOID:
		case REGOPERATOROID:
		case REGOPEROID:
		case REGPROCEDUREOID:
		case REGPROCOID:
		case REGROLEOID:
		case REGTYPEOID:
			return CC_TYPE_CATALOG;
		default:
			break;
	}
	if (depth > CC_MAX_TYPE_DEPTH)
		return CC_TYPE_WORST;

	if (cc_type_verdicts == NULL)
		cc_type_verdicts = cc_oid_table("cascade_cache type verdicts",
										sizeof(CCTypeEntry), 64,
										CacheMemoryContext);
	entry = hash_search(cc_type_verdicts, &typid, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->flags;

	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return CC_TYPE_WORST;	/* gone meanwhile */
	typ = (Form_pg_type) GETSTRUCT(tuple);

	if (typid >= FirstNormalObjectId && isAnyTempNamespace(typ->typnamespace))
		flags |= CC_TYPE_TEMPORARY;

	if (typid == RECORDOID || typ->typtype == TYPTYPE_PSEUDO)
		flags |= CC_TYPE_READS_CLOCK;
	else if (typ->typtype == TYPTYPE_DOMAIN)
		flags |= cc_type_flags(typ->typbasetype, depth + 1) |
			cc_domain_check_flags(typid);
	else if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		flags |= cc_type_flags(typ->typelem, depth + 1);
	else if (typ->typtype == TYPTYPE_RANGE)
		flags |= cc_type_flags(get_range_subtype(typid), depth + 1);
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		flags |= cc_type_flags(get_multirange_range(typid), depth + 1);
	else if (typ->typtype == TYPTYPE_COMPOSITE)
	{
		Oid			relid = typ->typrelid;
		Relation	rel = RelationIdGetRelation(relid);

		if (!RelationIsValid(rel))
			flags |= CC_TYPE_READS_CLOCK;
		else
		{
			TupleDesc	desc = RelationGetDescr(rel);
			int			i;

			for (i = 0; i < desc->natts; i++)
			{
				Form_pg_attribute attr = TupleDescAttr(desc, i);

				if (!attr->attisdropped)
					flags |= cc_type_flags(attr->atttypid, depth + 1);
			}
			RelationClose(rel);
		}
	}
	else if (func_volatile(typ->typinput) != PROVOLATILE_IMMUTABLE)
	{
		int			i;
		bool		clockless = false;

		for (i = 0; i < (int) lengthof(cc_clockless_inputs); i++)
			if (cc_clockless_inputs[i] == typid)
				clockless = true;
		if (!clockless)
			flags |= CC_TYPE_READS_CLOCK;
	}
	ReleaseSysCache(tuple);

	/* the table may have been reset while we looked things up */
	if (cc_type_verdicts != NULL)
	{
		entry = hash_search(cc_type_verdicts, &typid, HASH_ENTER, &found);
		entry->flags = flags;
	}
	return flags;
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

/* ----------------------------------------------------------------
 * Relations
 * ----------------------------------------------------------------
 */

/*
 * Classify one relation read while computing a result.
 */
CCBypassReason
cc_check_relation(Oid relid, char relkind)
{
	HeapTuple	tuple;
	Form_pg_class cls;
	CCBypassReason reason = CC_BYPASS_NONE;

	if (relkind == RELKIND_FOREIGN_TABLE)
		return CC_BYPASS_FOREIGN_TABLE;
	if (relkind == RELKIND_SEQUENCE)
		return CC_BYPASS_SEQUENCE;
	if (relid < FirstNormalObjectId || IsCatalogRelationOid(relid))
		return CC_BYPASS_SYSTEM_CATALOG;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return CC_BYPASS_NONE;	/* dropped meanwhile; the lock would stop that */
	cls = (Form_pg_class) GETSTRUCT(tuple);

	if (cls->relpersistence == RELPERSISTENCE_TEMP)
		reason = CC_BYPASS_TEMPORARY_TABLE;
	else if (cls->relnamespace == PG_CATALOG_NAMESPACE ||
			 IsToastNamespace(cls->relnamespace))
		reason = CC_BYPASS_SYSTEM_CATALOG;
	else if (cls->relrowsecurity && !cc_have_key_settings())
		reason = CC_BYPASS_ROW_LEVEL_SECURITY;
	ReleaseSysCache(tuple);

	if (reason == CC_BYPASS_NONE && cc_unwatched_subscription_target(relid))
		reason = CC_BYPASS_SUBSCRIBED_TABLE;

	return reason;
}

/*
 * The row-level security policies of every relation a fill read, checked
 * like the query itself, when the result is about to be stored: a policy
 * of a table read inside a function is not part of the walked query.
 * Returns the first reason found, or CC_BYPASS_NONE.  Can ERROR.
 */
CCBypassReason
cc_check_policies(const Oid *relids, int nrelids)
{
	int			i;

	for (i = 0; i < nrelids; i++)
	{
		Relation	rel = RelationIdGetRelation(relids[i]);
		CCQueryCheck ctx;
		ListCell   *lc;

		if (!RelationIsValid(rel))
			continue;
		memset(&ctx, 0, sizeof(ctx));
		ctx.reason = CC_BYPASS_NONE;
		if (rel->rd_rel->relrowsecurity && rel->rd_rsdesc != NULL)
		{
			foreach(lc, rel->rd_rsdesc->policies)
			{
				RowSecurityPolicy *policy = (RowSecurityPolicy *) lfirst(lc);

				if (cc_query_walker((Node *) policy->qual, &ctx) ||
					cc_query_walker((Node *) policy->with_check_qual, &ctx))
					break;
			}
		}
		RelationClose(rel);
		if (ctx.reason != CC_BYPASS_NONE)
			return ctx.reason;
	}
	return CC_BYPASS_NONE;
}

/* Does a subscription write into 'relid' itself?  Cached per backend. */
static bool
cc_is_subscribed(Oid relid)
{
	CCSubscribedRel *entry;
	Relation	catalog;
	SysScanDesc scan;
	ScanKeyData key;
	bool		subscribed;

	if (cc_subscribed_rels == NULL)
		cc_subscribed_rels = cc_oid_table("cascade_cache subscribed relations",
										  sizeof(CCSubscribedRel), 64,
										  TopMemoryContext);
	entry = hash_search(cc_subscribed_rels, &relid, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->subscribed;

	catalog = table_open(SubscriptionRelRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_subscription_rel_srrelid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(catalog, SubscriptionRelSrrelidSrsubidIndexId,
							  true, NULL, 1, &key);
	subscribed = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);

	/* the scan may have processed invalidations that reset the table */
	if (cc_subscribed_rels == NULL)
		return subscribed;
	entry = hash_search(cc_subscribed_rels, &relid, HASH_ENTER, NULL);
	entry->subscribed = subscribed;
	return subscribed;
}

/*
 * Do both watch triggers of 'relid' fire in a logical replication apply
 * worker for every row change and TRUNCATE (enabled ALWAYS, AFTER, for
 * INSERT, UPDATE and DELETE, without a column list or WHEN clause)?
 */
static bool
cc_watched_always(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	bool		rows = false;
	bool		truncate = false;
	int			i;

	if (!RelationIsValid(rel))
		return false;
	if (rel->trigdesc != NULL)
		for (i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			Trigger    *trig = &rel->trigdesc->triggers[i];

			if (trig->tgenabled != TRIGGER_FIRES_ALWAYS)
				continue;
			if (cc_is_complete_watch_trigger(trig, false))
				rows = true;
			else if (cc_is_complete_watch_trigger(trig, true))
				truncate = true;
		}
	RelationClose(rel);
	return rows && truncate;
}

/*
 * Is 'relid' written by a logical replication subscription (itself, or a
 * partitioned table above it) without watch triggers that would see those
 * writes?  Such a relation is not cached.
 */
static bool
cc_unwatched_subscription_target(Oid relid)
{
	List	   *ancestors = NIL;
	ListCell   *lc;

	if (cc_is_subscribed(relid))
		return !cc_watched_always(relid);
	if (get_rel_relispartition(relid))
		ancestors = get_partition_ancestors(relid);
	foreach(lc, ancestors)
	{
		/* rows routed through a subscribed parent land in this partition */
		if (cc_is_subscribed(lfirst_oid(lc)))
			return !cc_watched_always(relid);
	}
	return false;
}
