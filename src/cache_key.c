/*-------------------------------------------------------------------------
 *
 * cache_key.c
 *		The cache key: everything that can change a query's result, apart
 *		from the data itself.
 *
 * A key is (database, current role, h1, h2).  The database and role are
 * kept verbatim so that no hash collision can ever serve one role's result
 * to another.  h1 and h2 are two 64-bit hashes, with different random
 * per-cluster seeds, of
 *
 *	- the session user (policies may read session_user),
 *	- search_path (it decides what the query's names resolve to),
 *	- every setting that changes how values are parsed or printed:
 *	  TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output,
 *	  lc_monetary, lc_numeric, lc_time, standard_conforming_strings,
 *	  transform_null_equals, row_security, xmlbinary, xmloption,
 *	  default_text_search_config, array_nulls, quote_all_identifiers,
 *	- the name and value of every setting listed in
 *	  cascade_cache.key_settings (for instance app.tenant_id),
 *	- the query text, the parameters (jsonb, byte for byte) and the query
 *	  name.
 *
 * Each component is hashed separately, chaining the previous hash in as the
 * seed, so no component is copied and boundaries between components are
 * unambiguous.  The settings are read straight from their C variables,
 * except key_settings, which go through GetConfigOption().  Nothing here
 * touches the catalogs: this runs on every call, hit or miss.
 *
 * Everything up to the query text is session state, which rarely changes
 * between two calls, so the two hashes after it are memoized together with
 * a copy of the values they were computed from: a call compares the current
 * values with the copy (a memcmp and a few strcmps) and hashes only the
 * query, the parameters and the name when nothing changed.  Profiling the
 * hit path showed the session state taking half the cost of a hit.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "parser/parse_expr.h"
#include "parser/parser.h"
#include "pgtime.h"
#include "tsearch/ts_cache.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/rls.h"
#include "utils/ruleutils.h"
#include "utils/varlena.h"
#include "utils/xml.h"

#include "cascade_cache.h"

/*
 * Settings that change output or parsing, by their GUC names.  A query that
 * calls current_setting() on one of these (or on a key setting) stays
 * cacheable.
 */
static const char *const cc_output_settings[] = {
	"timezone", "datestyle", "intervalstyle", "extra_float_digits",
	"bytea_output", "lc_monetary", "lc_numeric", "lc_time",
	"standard_conforming_strings", "transform_null_equals", "row_security",
	"xmlbinary", "xmloption", "default_text_search_config", "array_nulls",
	"quote_all_identifiers", "search_path", NULL
};

/* cascade_cache.key_settings, parsed; rebuilt when the GUC value changes */
static char *cc_key_settings_parsed_from = NULL;
static List *cc_key_settings_list = NIL;

/*
 * Two hash chains, advanced together.
 */
typedef struct CCKeyHasher
{
	uint64		h1;
	uint64		h2;
} CCKeyHasher;

static inline void
cc_hash_bytes(CCKeyHasher *h, const void *data, Size len)
{
	h->h1 = hash_bytes_extended((const unsigned char *) data, (int) len, h->h1);
	h->h2 = hash_bytes_extended((const unsigned char *) data, (int) len, h->h2);
}

static inline void
cc_hash_string(CCKeyHasher *h, const char *s)
{
	/* a NULL string hashes differently from every real string */
	if (s == NULL)
		cc_hash_bytes(h, "\xff\xfe", 2);
	else
		cc_hash_bytes(h, s, strlen(s) + 1);
}

/*
 * Return the parsed list of key settings, reparsing if the GUC changed.
 * The GUC's check hook already validated the syntax.
 */
static List *
cc_get_key_settings(void)
{
	if (cc_key_settings != cc_key_settings_parsed_from)
	{
		MemoryContext oldcxt;
		char	   *raw;
		List	   *names = NIL;

		list_free_deep(cc_key_settings_list);
		cc_key_settings_list = NIL;

		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		raw = pstrdup(cc_key_settings ? cc_key_settings : "");
		if (SplitIdentifierString(raw, ',', &names))
		{
			ListCell   *lc;

			foreach(lc, names)
				cc_key_settings_list = lappend(cc_key_settings_list,
											   pstrdup((char *) lfirst(lc)));
		}
		list_free(names);
		pfree(raw);
		MemoryContextSwitchTo(oldcxt);
		cc_key_settings_parsed_from = cc_key_settings;
	}
	return cc_key_settings_list;
}

/*
 * The session-state part of a key: the fixed-size settings, and the
 * strings (search_path, time zone, locales, text search configuration, then
 * the name and value of every key setting).
 */
typedef struct CCSessionState
{
	Oid			dbid;
	Oid			userid;
	Oid			session_userid;
	int			datestyle;
	int			dateorder;
	int			intervalstyle;
	int			extra_float_digits;
	int			bytea_output;
	int			xmlbinary;
	int			xmloption;
	bool		standard_conforming_strings;
	bool		transform_null_equals;
	bool		row_security;
	bool		array_nulls;
	bool		quote_all_identifiers;
} CCSessionState;

#define CC_MAX_MEMO_STRINGS 64

/* The memo: valid when cc_memo_valid; strings in cc_memo_cxt */
static bool cc_memo_valid = false;
static CCSessionState cc_memo_fixed;
static int	cc_memo_nstrings = 0;
static char *cc_memo_strings[CC_MAX_MEMO_STRINGS];
static CCKeyHasher cc_memo_hash;
static MemoryContext cc_memo_cxt = NULL;

/*
 * Collect the session's string components into 'out' (at most
 * CC_MAX_MEMO_STRINGS); returns how many, or -1 if there are more.
 */
static int
cc_session_strings(const char **out)
{
	int			n = 0;
	ListCell   *lc;
	List	   *settings = cc_get_key_settings();

	if (6 + 2 * list_length(settings) > CC_MAX_MEMO_STRINGS)
		return -1;

	out[n++] = namespace_search_path;
	out[n++] = session_timezone ? pg_get_timezone_name(session_timezone) : NULL;
	out[n++] = locale_monetary;
	out[n++] = locale_numeric;
	out[n++] = locale_time;
	out[n++] = TSCurrentConfig;
	foreach(lc, settings)
	{
		const char *setting = (const char *) lfirst(lc);

		const char *value = GetConfigOption(setting, true, false);

		out[n++] = setting;
		/* a non-string setting's value lives in a static buffer: copy it */
		out[n++] = value ? pstrdup(value) : NULL;
	}
	return n;
}

static inline bool
cc_string_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Remember (fixed, strings) and the hashes computed from them.  On any
 * failure to copy, the memo is simply left invalid.
 */
static void
cc_memo_save(const CCSessionState *fixed, const char **strings, int n,
			 const CCKeyHasher *h)
{
	int			i;

	cc_memo_valid = false;
	if (cc_memo_cxt == NULL)
		cc_memo_cxt = AllocSetContextCreate(TopMemoryContext,
											"cascade_cache key memo",
											ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(cc_memo_cxt);

	for (i = 0; i < n; i++)
		cc_memo_strings[i] = strings[i] ?
			MemoryContextStrdup(cc_memo_cxt, strings[i]) : NULL;
	cc_memo_nstrings = n;
	cc_memo_fixed = *fixed;
	cc_memo_hash = *h;
	cc_memo_valid = true;
}

/*
 * Compute the key of (query, params, name) in the current session state.
 */
void
cc_compute_key(text *query, Jsonb *params, const char *name, CCKey *key)
{
	CCKeyHasher h;
	CCSessionState fixed;
	const char *strings[CC_MAX_MEMO_STRINGS];
	int			nstrings;
	bool		memo_hit;
	int			i;

	key->dbid = MyDatabaseId;
	key->userid = GetUserId();

	/* zeroed first: the padding is hashed and compared too */
	memset(&fixed, 0, sizeof(fixed));
	fixed.dbid = key->dbid;
	fixed.userid = key->userid;
	fixed.session_userid = GetSessionUserId();
	fixed.datestyle = DateStyle;
	fixed.dateorder = DateOrder;
	fixed.intervalstyle = IntervalStyle;
	fixed.extra_float_digits = extra_float_digits;
	fixed.bytea_output = bytea_output;
	fixed.xmlbinary = xmlbinary;
	fixed.xmloption = xmloption;
	fixed.standard_conforming_strings = standard_conforming_strings;
	fixed.transform_null_equals = Transform_null_equals;
	fixed.row_security = row_security;
	fixed.array_nulls = Array_nulls;
	fixed.quote_all_identifiers = quote_all_identifiers;

	nstrings = cc_session_strings(strings);

	memo_hit = cc_memo_valid && nstrings == cc_memo_nstrings &&
		memcmp(&fixed, &cc_memo_fixed, sizeof(fixed)) == 0;
	for (i = 0; memo_hit && i < nstrings; i++)
		memo_hit = cc_string_equal(strings[i], cc_memo_strings[i]);

	if (memo_hit)
		h = cc_memo_hash;
	else
	{
		h.h1 = cc_shared->seed1;
		h.h2 = cc_shared->seed1 ^ UINT64CONST(0x9E3779B97F4A7C15);
		cc_hash_bytes(&h, &fixed, sizeof(fixed));
		if (nstrings >= 0)
		{
			for (i = 0; i < nstrings; i++)
				cc_hash_string(&h, strings[i]);
			cc_memo_save(&fixed, strings, nstrings, &h);
		}
		else
		{
			/* too many key settings to memoize: hash them directly */
			ListCell   *lc;

			cc_hash_string(&h, namespace_search_path);
			cc_hash_string(&h, session_timezone ?
						   pg_get_timezone_name(session_timezone) : NULL);
			cc_hash_string(&h, locale_monetary);
			cc_hash_string(&h, locale_numeric);
			cc_hash_string(&h, locale_time);
			cc_hash_string(&h, TSCurrentConfig);
			foreach(lc, cc_get_key_settings())
			{
				const char *setting = (const char *) lfirst(lc);

				cc_hash_string(&h, setting);
				cc_hash_string(&h, GetConfigOption(setting, true, false));
			}
		}
	}

	cc_hash_bytes(&h, VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query));
	cc_hash_bytes(&h, VARDATA_ANY(params), VARSIZE_ANY_EXHDR(params));
	cc_hash_string(&h, name);

	key->h1 = h.h1;
	key->h2 = h.h2;
}

/*
 * Is 'name' a setting whose value is part of every key?  (Case-insensitive,
 * as GUC names are.)
 */
bool
cc_is_key_setting(const char *name)
{
	int			i;
	ListCell   *lc;

	for (i = 0; cc_output_settings[i] != NULL; i++)
		if (pg_strcasecmp(name, cc_output_settings[i]) == 0)
			return true;

	foreach(lc, cc_get_key_settings())
		if (pg_strcasecmp(name, (const char *) lfirst(lc)) == 0)
			return true;

	return false;
}

/*
 * Are any key settings configured?  Relations with row-level security are
 * cached only then.
 */
bool
cc_have_key_settings(void)
{
	return cc_get_key_settings() != NIL;
}
