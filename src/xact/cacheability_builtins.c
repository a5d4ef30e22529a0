/*-------------------------------------------------------------------------
 *
 * cacheability_builtins.c
 *		The built-in functions and types whose behaviour is known by name.
 *
 * PostgreSQL marks many built-in functions STABLE because some overload
 * or some setting could make them read the clock, the session or the
 * catalogs.  cacheability_func.c judges a STABLE built-in written in C or
 * internal by its implementation (pg_proc.prosrc, so that overloads with
 * different behaviour are told apart), with the lists below:
 *
 *	- cc_stable_builtins: cacheable, known to depend only on their
 *	  arguments, table data, keyed settings and catalog objects whose
 *	  changes flush the cache;
 *	- cc_input_builtins: convert text into their result type (cacheable
 *	  when that type cannot read the clock, judged where they are called);
 *	- cc_clock_builtins: read the clock;
 *	- every other STABLE built-in reads the session or the catalogs in
 *	  ways no invalidation covers, and is never cached.
 *
 * Besides: the bodies of the built-in SQL functions that only show a
 * polymorphic argument as text (cc_text_output_builtins), and the built-in
 * base types whose input function is not IMMUTABLE but cannot read the
 * clock (cc_clockless_inputs).
 *
 * Failing closed: a function or type that is not on a list gets the worst
 * verdict its kind allows, so a list that misses something costs misses,
 * never a wrong result.  Every name list is sorted, for bsearch().
 *
 * Constant data only: no state, no catalog access, no locks.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "xact/cacheability_int.h"

/*
 * STABLE built-ins (pg_catalog, C or internal) whose result depends only
 * on their arguments, table data, keyed settings (TimeZone, DateStyle,
 * lc_*, default_text_search_config, ...) and catalog objects whose changes
 * flush the cache, by the name of their implementation (pg_proc.prosrc):
 * one SQL name can cover overloads with different behaviour (timetz(time)
 * reads the current date, timetz(timestamptz) does not).  Sorted, for
 * bsearch().  Built-ins written in SQL are judged by their bodies, and
 * every other STABLE built-in is a bypass: see cc_compute_verdict() in
 * cacheability_func.c.  The output functions of the reg* types are not
 * here, nor aclitem's: a value that shows a catalog object by name is not
 * cached (cc_type_flags() in cacheability_type.c).  Nor pg_get_keywords(),
 * whose categories are translated (lc_messages, not in the key).
 */
static const char *const cc_stable_builtins[] = {
	"PG_char_to_encoding", "PG_encoding_to_char", "aclitemin",
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
	"pg_dependencies_recv", "pg_dependencies_send",
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

/* bsearch() comparator over a sorted array of names */
static int
cc_builtin_name_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

/* Is 'name' on the sorted 'list' of 'n' names? */
static bool
cc_builtin_in_sorted(const char *const *list, int n, const char *name)
{
	return bsearch(name, list, n, sizeof(char *), cc_builtin_name_cmp) != NULL;
}

/*
 * The verdict on a STABLE built-in written in C or internal, by its
 * implementation 'prosrc': CC_FUNC_OK, CC_FUNC_INPUT, CC_FUNC_CLOCK, or
 * CC_FUNC_SESSION for any function not listed.  Cannot fail.
 */
CCFuncVerdict
cc_stable_builtin_verdict(const char *prosrc)
{
	if (cc_builtin_in_sorted(cc_stable_builtins,
							 lengthof(cc_stable_builtins), prosrc))
		return CC_FUNC_OK;
	if (cc_builtin_in_sorted(cc_input_builtins,
							 lengthof(cc_input_builtins), prosrc))
		return CC_FUNC_INPUT;
	if (cc_builtin_in_sorted(cc_clock_builtins,
							 lengthof(cc_clock_builtins), prosrc))
		return CC_FUNC_CLOCK;
	return CC_FUNC_SESSION;
}

/*
 * Is 'prosrc' the body of a built-in SQL function that only shows its
 * polymorphic arguments as text (CC_FUNC_TEXT_OUTPUT)?  Cannot fail.
 */
bool
cc_is_text_output_builtin(const char *prosrc)
{
	return cc_builtin_in_sorted(cc_text_output_builtins,
								lengthof(cc_text_output_builtins), prosrc);
}

/*
 * Is 'typid' a built-in base type whose input function is not IMMUTABLE
 * but cannot read the clock?  Cannot fail.
 */
bool
cc_input_is_clockless(Oid typid)
{
	int			i;

	for (i = 0; i < (int) lengthof(cc_clockless_inputs); i++)
		if (cc_clockless_inputs[i] == typid)
			return true;
	return false;
}
