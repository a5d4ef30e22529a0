/*-------------------------------------------------------------------------
 *
 * key.c
 *		The cache key: everything that can change a query's result, apart
 *		from the data itself.
 *
 * A key is (database, current role, h1, h2).  The database and role are
 * kept verbatim so that no hash collision can ever serve one role's result
 * to another.  h1 and h2 are two 64-bit hashes, with different seeds
 * derived from one random per-cluster seed (CCShared->key_seed), of
 *
 *	- the session user (policies may read session_user);
 *	- the schemas the search path resolves to (base/search_path.c);
 *	- for a session that has a temporary schema, the session itself (its
 *	  process id and start time) and a count of the catalog changes it has
 *	  made: names in its queries may resolve to its own temporary objects,
 *	  so its results are never shared, nor reused after it created or
 *	  dropped something;
 *	- the name and current value of EVERY setting (built-in, of an
 *	  extension, or a placeholder such as app.tenant_id), except those on
 *	  cc_unkeyed_settings, known not to change any result (logging,
 *	  timeouts, resource limits, planner costs, application_name, ...), and
 *	  except postmaster-level settings, which cannot change while the cache
 *	  exists.  Settings named in cascade_cache.key_settings are keyed even
 *	  if they are on that list;
 *	- the query text, the parameters (jsonb, byte for byte; or native
 *	  values, each as its type and its bytes) and the query name.
 *
 * Failing closed: a setting nobody thought about is part of the key.  The
 * cost of a setting that did not need to be there is a lower hit rate for
 * sessions that set it differently, nothing else.
 *
 * Each component is hashed separately, chaining the previous hash in as the
 * seed, so boundaries between components are unambiguous (small parameters
 * are copied next to the two bytes that follow them, the format and
 * whether a name follows, and hashed with them in one call).  Nothing here
 * touches the catalogs, but for resolving a search path that a change
 * outdated (as the next name lookup would): this runs on every call, hit
 * or miss.
 *
 * Everything up to the query text is session state, which rarely changes
 * between two calls, so the two hashes after it are memoized together with
 * a copy of the values they were computed from.  The keyed settings (which
 * they are is keyed.c's business) are found once, among every GUC variable
 * of the session, and found again whenever the set of variables changes (a
 * new placeholder, an extension's settings defined by LOAD: gucset.c
 * tells, in a way that depends on the PostgreSQL version) or key_settings
 * does; a call then compares the keyed settings' current values with the
 * copy of theirs.  The query text is memoized the same way on top: a prepared
 * statement repeats one text with other parameters, and comparing the text
 * with the copy of the last one costs a fraction of hashing it.  A call
 * that changed nothing hashes only the parameters, the format and the
 * name.  The hashes up to the query text are also the statement's context
 * (cc_compute_context()): a plan a session keeps of a fill is reused
 * under its own context only (xact/fill_plans.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "cascade_cache.h"
#include "base/gucset.h"
#include "base/key.h"
#include "base/search_path.h"
#include "base/settings.h"
#include "base/shmem.h"

/* h2's seed: the cluster's key seed mixed with the golden ratio */
#define CC_KEY_SEED2_MIX		UINT64CONST(0x9E3779B97F4A7C15)

/* Query texts longer than this are hashed on every call, never memoized */
#define CC_QUERY_MEMO_MAX		(64 * 1024)

/* Parameters up to this size are hashed in one call with the format */
#define CC_KEY_TAIL_BUF			256

/* Schemas of the resolved search path kept as they are in the memo */
#define CC_KEY_PATH_SCHEMAS		16

/* The key_settings generation the keyed settings were found with */
static uint64 cc_keyed_gen = 0;

/*
 * Catalog changes this session made while it had a temporary schema
 * (counted by catalog_inval.c); part of the key of such a session.
 */
static uint64 cc_session_catalog_changes = 0;

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

/* A catalog change made by this session; see cc_session_catalog_changes. */
void
cc_key_note_catalog_change(void)
{
	cc_session_catalog_changes++;
}

/* ----------------------------------------------------------------
 * The keyed settings and the memo
 * ----------------------------------------------------------------
 */

/* The value of a keyed setting, as it was when the memo was computed */
typedef union CCGucValue
{
	bool		b;
	int			i;
	double		r;
	char	   *s;				/* in cc_memo_cxt, or NULL */
} CCGucValue;

/*
 * A keyed setting.  'variable' and 'vartype' are copied out of 'gen' so
 * that the comparison on every call reads only this array and the
 * variables themselves.  They stay valid while the set of GUC variables
 * is the one the array was built from (cc_gucset_changed(), which every
 * call checks first): a placeholder (a SET of a name no extension has
 * defined), whose variable lies inside it, is replaced and freed when an
 * extension defines the name.  Other settings are never freed.
 */
typedef struct CCKeyedGuc
{
	struct config_generic *gen;
	void	   *variable;		/* gen's current-value variable */
	uint8		vartype;		/* enum config_type */
	CCGucValue	memo;
} CCKeyedGuc;

/*
 * The keyed settings, valid while cc_keyed_valid: built from the set of
 * GUC variables src/base/gucset.c remembered (and the key_settings list
 * it was built with).  The first cc_ncompared of them are compared with
 * the memo on every call; the rest are constant
 * (cc_is_constant_setting()).
 */
static bool cc_keyed_valid = false;
static CCKeyedGuc *cc_keyed = NULL;
static int	cc_nkeyed = 0;
static int	cc_ncompared = 0;

/*
 * The fixed-size part of the session state.
 */
typedef struct CCSessionState
{
	Oid			dbid;
	Oid			userid;
	Oid			session_userid;
	int32		temp_pid;		/* a session with a temporary schema: */
	TimestampTz temp_started;	/* ... which one */
	uint64		temp_changes;	/* ... and its catalog changes */
	int32		npath;			/* schemas the search path resolves to */
	Oid			path[CC_KEY_PATH_SCHEMAS];	/* ... the first of them */
	uint64		path_rest;		/* ... a hash of the others, if more */
} CCSessionState;

/*
 * The memo: valid when cc_memo_valid; strings in cc_memo_cxt.
 * cc_memo_serial advances every time it is recomputed.
 */
static bool cc_memo_valid = false;
static CCSessionState cc_memo_fixed;
static CCKeyHasher cc_memo_hash;
static MemoryContext cc_memo_cxt = NULL;
static uint64 cc_memo_serial = 0;

/*
 * The query memo: the last query text hashed (a copy, in TopMemoryContext)
 * and the two hashes after it, on top of the memo of serial
 * cc_qmemo_serial (0: invalid).  A prepared statement's calls repeat one
 * text with other parameters; comparing it costs a fraction of hashing it.
 */
static char *cc_qmemo_text = NULL;
static Size cc_qmemo_len = 0;
static Size cc_qmemo_space = 0;
static uint64 cc_qmemo_serial = 0;
static CCKeyHasher cc_qmemo_hash;

/*
 * Find the keyed settings again if the set of GUC variables changed
 * (cc_gucset_changed()) or key_settings did.  Returns true if it did; the
 * memo is then invalid.  Can ERROR (out of memory) only while building,
 * leaving the list empty and invalid.
 */
static bool
cc_refresh_keyed(void)
{
	struct config_generic **vars;
	int			n;
	int			i;
	int			nconstant = 0;

	if (cc_keyed_valid && cc_keyed_gen == cc_key_settings_generation() &&
		!cc_gucset_changed())
		return false;

	cc_memo_valid = false;
	cc_keyed_valid = false;
	cc_gucset_forget();
	cc_nkeyed = 0;
	cc_ncompared = 0;
	if (cc_keyed != NULL)
		pfree(cc_keyed);
	cc_keyed = NULL;
	cc_keyed_gen = cc_key_settings_generation();
	vars = cc_gucset_all(&n);
	cc_keyed = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(CCKeyedGuc) * Max(n, 1));
	(void) cc_get_key_settings();
	for (i = 0; i < n; i++)
	{
		struct config_generic *gen = vars[i];
		CCKeyedGuc *k;

		/* cannot change while the server, and so the cache, exists */
		if (gen->context == PGC_POSTMASTER)
			continue;
		if (!cc_is_key_setting(gen->name) || !cc_gucset_may_key(gen))
			continue;
		/* the compared ones first, the constant ones from the end */
		if (cc_is_constant_setting(gen))
			k = &cc_keyed[n - 1 - nconstant++];
		else
			k = &cc_keyed[cc_ncompared++];
		k->gen = gen;
		k->vartype = (uint8) gen->vartype;
		switch (gen->vartype)
		{
			case PGC_BOOL:
				k->variable = ((struct config_bool *) gen)->variable;
				break;
			case PGC_INT:
				k->variable = ((struct config_int *) gen)->variable;
				break;
			case PGC_REAL:
				k->variable = ((struct config_real *) gen)->variable;
				break;
			case PGC_STRING:
				k->variable = ((struct config_string *) gen)->variable;
				break;
			case PGC_ENUM:
				k->variable = ((struct config_enum *) gen)->variable;
				break;
		}
	}
	/* close the gap between the two groups */
	memmove(&cc_keyed[cc_ncompared], &cc_keyed[n - nconstant],
			sizeof(CCKeyedGuc) * nconstant);
	cc_nkeyed = cc_ncompared + nconstant;
	cc_gucset_remember(vars, n);
	cc_gucset_free(vars);
	cc_keyed_valid = true;
	return true;
}

/* Does the setting's current value equal the memo's copy? */
static inline bool
cc_guc_unchanged(const CCKeyedGuc *k)
{
	switch ((enum config_type) k->vartype)
	{
		case PGC_BOOL:
			return *(bool *) k->variable == k->memo.b;
		case PGC_INT:
		case PGC_ENUM:
			return *(int *) k->variable == k->memo.i;
		case PGC_REAL:
			return memcmp(k->variable, &k->memo.r, sizeof(double)) == 0;
		case PGC_STRING:
			return cc_string_equal(*(char **) k->variable, k->memo.s);
	}
	return false;
}

/*
 * Copy a keyed setting's current value into the memo, and hash its name
 * and value unless it holds its boot value (cc_guc_at_boot()).  Can ERROR
 * (out of memory copying a string); the caller has invalidated the memo
 * first.
 */
static void
cc_hash_guc(CCKeyHasher *h, CCKeyedGuc *k)
{
	struct config_generic *gen = k->gen;
	bool		hashed = !cc_guc_at_boot(gen);

	if (hashed)
		cc_hash_string(h, gen->name);
	switch ((enum config_type) k->vartype)
	{
		case PGC_BOOL:
			k->memo.b = *(bool *) k->variable;
			if (hashed)
				cc_hash_bytes(h, &k->memo.b, sizeof(bool));
			break;
		case PGC_INT:
		case PGC_ENUM:
			k->memo.i = *(int *) k->variable;
			if (hashed)
				cc_hash_bytes(h, &k->memo.i, sizeof(int));
			break;
		case PGC_REAL:
			memcpy(&k->memo.r, k->variable, sizeof(double));
			if (hashed)
				cc_hash_bytes(h, &k->memo.r, sizeof(double));
			break;
		case PGC_STRING:
			{
				const char *value = *(char **) k->variable;

				k->memo.s = value ? MemoryContextStrdup(cc_memo_cxt, value) : NULL;
				if (hashed)
					cc_hash_string(h, value);
				break;
			}
	}
}

/*
 * The two hashes of the session state (the fixed part and every keyed
 * setting), from the memo when nothing changed since it was computed.
 * Can ERROR (out of memory) only when something changed.  The caller has
 * not looked at the keyed settings yet: cc_refresh_keyed() checks the GUC
 * array first, so no freed placeholder is read.
 */
static void
cc_session_hash(const CCSessionState *fixed, CCKeyHasher *h)
{
	bool		memo_hit;
	int			i;

	memo_hit = !cc_refresh_keyed() && cc_memo_valid &&
		memcmp(fixed, &cc_memo_fixed, sizeof(*fixed)) == 0;
	for (i = 0; memo_hit && i < cc_ncompared; i++)
		memo_hit = cc_guc_unchanged(&cc_keyed[i]);
	if (memo_hit)
	{
		*h = cc_memo_hash;
		return;
	}

	cc_memo_valid = false;
	cc_memo_serial++;
	if (cc_memo_cxt == NULL)
		cc_memo_cxt = AllocSetContextCreate(TopMemoryContext,
											"cascade_cache key memo",
											ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(cc_memo_cxt);

	h->h1 = cc_shared->key_seed;
	h->h2 = cc_shared->key_seed ^ CC_KEY_SEED2_MIX;
	cc_hash_bytes(h, fixed, sizeof(*fixed));
	for (i = 0; i < cc_nkeyed; i++)
		cc_hash_guc(h, &cc_keyed[i]);
	cc_memo_fixed = *fixed;
	cc_memo_hash = *h;
	cc_memo_valid = true;
}

/*
 * Hash the query text on top of the session hashes 'h', from the query
 * memo when the text is the last one hashed on this memo.  Remembers the
 * text when it can get the memory (never fails for want of it).
 */
static void
cc_query_hash(const char *text, Size len, CCKeyHasher *h)
{
	if (cc_qmemo_serial == cc_memo_serial && cc_qmemo_len == len &&
		memcmp(cc_qmemo_text, text, len) == 0)
	{
		*h = cc_qmemo_hash;
		return;
	}

	cc_hash_bytes(h, text, len);

	/* nor an empty text, the verdicts' context, between a statement's calls */
	if (len > CC_QUERY_MEMO_MAX || len == 0)
		return;
	cc_qmemo_serial = 0;
	if (cc_qmemo_space < len || cc_qmemo_text == NULL)
	{
		Size		space = Max(len, 256);
		char	   *buf = MemoryContextAllocExtended(TopMemoryContext, space,
													 MCXT_ALLOC_NO_OOM);

		if (buf == NULL)
			return;
		if (cc_qmemo_text != NULL)
			pfree(cc_qmemo_text);
		cc_qmemo_text = buf;
		cc_qmemo_space = space;
	}
	memcpy(cc_qmemo_text, text, len);
	cc_qmemo_len = len;
	cc_qmemo_hash = *h;
	cc_qmemo_serial = cc_memo_serial;
}

/*
 * Hash native parameter values (CCParams): for each, its type, whether it
 * is NULL, its length and its bytes.  Equal bytes of one type are one
 * value; a value stored compressed or out of line, or as an expanded
 * object, is flattened first, so that its bytes are the value's own (a
 * toast pointer names a value, it is not one).  Values of one type with
 * different bytes (numeric 1.0 and 1.00) get different keys: an extra
 * miss, never a wrong result.  The types were checked by the entry point:
 * none is a pseudo-type but unknown, whose value is a C string.
 */
static void
cc_hash_native(CCKeyHasher *h, const CCParams *params)
{
	int			i;

	for (i = 0; i < params->nargs; i++)
	{
		struct
		{
			Oid			type;
			uint32		isnull;
			uint64		len;
		}			head;
		const void *data = NULL;
		Datum		byval;
		struct varlena *flat = NULL;
		int16		typlen = params->typlens[i];

		memset(&head, 0, sizeof(head));
		head.type = params->types[i];
		head.isnull = params->nulls[i];
		if (!params->nulls[i])
		{
			Datum		value = params->values[i];

			if (params->typbyvals[i])
			{
				/* the value's own bytes, whatever the Datum's width */
				byval = 0;
				store_att_byval(&byval, value, typlen);
				data = &byval;
				head.len = typlen;
			}
			else if (typlen > 0)
			{
				data = DatumGetPointer(value);
				head.len = typlen;
			}
			else if (typlen == -1)
			{
				flat = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));
				data = VARDATA_ANY(flat);
				head.len = VARSIZE_ANY_EXHDR(flat);
			}
			else
			{
				Assert(typlen == -2);
				data = DatumGetCString(value);
				head.len = strlen((const char *) data);
			}
		}
		cc_hash_bytes(h, &head, sizeof(head));
		if (head.len > 0)
			cc_hash_bytes(h, data, head.len);
		if (flat != NULL && (Pointer) flat != DatumGetPointer(params->values[i]))
			pfree(flat);
	}
}

/*
 * The key's database and role, and the hashes of the session state and
 * the query text 'query' ('len' bytes) on top of it: the part of the key
 * that comes before the parameters.  Can ERROR as cc_compute_key() does.
 */
static void
cc_key_prefix(const char *query, Size len, CCKey *key, CCKeyHasher *h)
{
	CCSessionState fixed;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;

	key->dbid = MyDatabaseId;
	key->userid = GetUserId();

	/* zeroed first: the padding is hashed and compared too */
	memset(&fixed, 0, sizeof(fixed));
	fixed.dbid = key->dbid;
	fixed.userid = key->userid;
	fixed.session_userid = GetSessionUserId();
	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (OidIsValid(temp_nsp))
	{
		fixed.temp_pid = MyProcPid;
		fixed.temp_started = MyStartTimestamp;
		fixed.temp_changes = cc_session_catalog_changes;
	}
	fixed.npath = cc_search_path_schemas(fixed.path, CC_KEY_PATH_SCHEMAS,
										 cc_shared->key_seed,
										 &fixed.path_rest);

	cc_session_hash(&fixed, h);
	cc_query_hash(query, len, h);
}

/*
 * The context of 'query' (a NUL-terminated text) in the current session
 * state: the key's database and role, and as h1 and h2 the hashes of
 * everything in the key up to and including the query text (every keyed
 * setting, the session user, a temporary schema), without the parameters,
 * the format or the name.  Two calls under one context parse, analyze and
 * plan the text alike (xact/fill_plans.c).  Can ERROR (out of memory) only
 * when the session state or the GUC array changed, and (catalog access)
 * while resolving a search path that a change outdated
 * (base/search_path.c).
 */
void
cc_compute_context(const char *query, CCKey *context)
{
	CCKeyHasher h;

	cc_key_prefix(query, strlen(query), context, &h);
	context->h1 = h.h1;
	context->h2 = h.h2;
}

/*
 * Compute the key of (query, params, name) in the current session state,
 * for a result in 'format' (each form is stored under a key of its own).
 * JSON parameters and native ones never share a key.  Can ERROR (out of
 * memory) only when the session state or the GUC array changed, or while
 * flattening a native value, and (catalog access) while resolving a search
 * path that a change outdated (base/search_path.c).
 */
void
cc_compute_key(text *query, const CCParams *params, const char *name,
			   CCFormat format, CCKey *key)
{
	CCKeyHasher h;
	uint8		tail[3];

	cc_key_prefix(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), key, &h);

	/*
	 * The parameters, then the format, whether a name follows and which kind
	 * of parameters it was.
	 */
	tail[0] = (uint8) format;
	tail[1] = (name != NULL);
	tail[2] = CC_PARAMS_ARE_NATIVE(params);
	if (CC_PARAMS_ARE_NATIVE(params))
	{
		cc_hash_native(&h, params);
		cc_hash_bytes(&h, tail, sizeof(tail));
	}
	else
	{
		Size		plen = VARSIZE_ANY_EXHDR(params->json);

		if (plen <= CC_KEY_TAIL_BUF - sizeof(tail))
		{
			char		buf[CC_KEY_TAIL_BUF];

			memcpy(buf, VARDATA_ANY(params->json), plen);
			memcpy(buf + plen, tail, sizeof(tail));
			cc_hash_bytes(&h, buf, plen + sizeof(tail));
		}
		else
		{
			cc_hash_bytes(&h, VARDATA_ANY(params->json), plen);
			cc_hash_bytes(&h, tail, sizeof(tail));
		}
	}
	if (name != NULL)
		cc_hash_string(&h, name);

	key->h1 = h.h1;
	key->h2 = h.h2;
}

/*
 * The names of the settings in the key right now, for cache_explain().
 * palloc'd list of const char * (the GUC's own name strings).
 */
List *
cc_keyed_setting_names(void)
{
	List	   *names = NIL;
	int			i;

	(void) cc_refresh_keyed();
	for (i = 0; i < cc_nkeyed; i++)
		names = lappend(names, (void *) cc_keyed[i].gen->name);
	return names;
}

/*
 * The settings a recipe replays (src/xact/recipe.c): every keyed setting that
 * does not hold its boot value and whose value the session itself chose (a
 * client's startup option, SET, SET LOCAL, set_config(), a function's SET
 * clause), and every keyed placeholder, whatever its value and wherever it
 * came from (a placeholder is in the key even when it is empty: one that a SET
 * LOCAL created stays in the session), as pairs of NUL-terminated name and
 * value appended to 'buf' (the value 'v' and its text, or 'n' for a
 * placeholder reset to nothing).  Returns how many.  A process connected as
 * the same role in the same database gets the others (configuration file,
 * ALTER ROLE / DATABASE SET) by itself; whether it does is checked by
 * comparing the key it computes with the recorded one, so anything missed here
 * costs a skipped recipe, never a wrong result.  session_authorization is left
 * out (the runner connects as the session user), and so are internal settings
 * (in_hot_standby: every process of the server has the same).  Returns -1 when
 * the key cannot be reproduced by another process at all: a session with a
 * temporary schema (its own process is in the key).  Call after
 * cc_compute_key() in the same state.  Can ERROR (out of memory).
 */
int
cc_key_session_settings(StringInfo buf)
{
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	int			n = 0;
	int			i;

	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (OidIsValid(temp_nsp))
		return -1;
	(void) cc_refresh_keyed();
	for (i = 0; i < cc_nkeyed; i++)
	{
		struct config_generic *gen = cc_keyed[i].gen;
		const char *value;

		/* internal settings (in_hot_standby, ...) are the server's own */
		if (!(gen->flags & GUC_CUSTOM_PLACEHOLDER) &&
			(gen->source < PGC_S_CLIENT || cc_guc_at_boot(gen) ||
			 gen->context == PGC_INTERNAL ||
			 strcmp(gen->name, "session_authorization") == 0))
			continue;

		/*
		 * A placeholder reset to nothing holds NULL, which the key tells from
		 * an empty string: 'n' marks it, 'v' precedes a value.
		 */
		if ((gen->flags & GUC_CUSTOM_PLACEHOLDER) &&
			gen->vartype == PGC_STRING &&
			*((struct config_string *) gen)->variable == NULL)
			value = NULL;
		else
		{
			value = GetConfigOption(gen->name, true, false);
			if (value == NULL)
				continue;
		}
		appendBinaryStringInfo(buf, gen->name, strlen(gen->name) + 1);
		appendStringInfoChar(buf, value ? 'v' : 'n');
		if (value)
			appendBinaryStringInfoNT(buf, value, strlen(value));
		appendStringInfoChar(buf, '\0');
		n++;
	}
	return n;
}

/*
 * The keyed placeholders of this session whose names are not among the
 * 'n' in 'names': a palloc'd list of the GUC's own name strings.  A runner
 * holding one of them cannot reproduce the key of a session that did not
 * have it (no placeholder can be removed from a session).  Can ERROR (out
 * of memory).
 */
List *
cc_key_placeholders_except(char **names, int n)
{
	List	   *extra = NIL;
	int			i;
	int			j;

	(void) cc_refresh_keyed();
	for (i = 0; i < cc_nkeyed; i++)
	{
		struct config_generic *gen = cc_keyed[i].gen;
		bool		listed = false;

		if (!(gen->flags & GUC_CUSTOM_PLACEHOLDER))
			continue;
		for (j = 0; j < n && !listed; j++)
			listed = pg_strcasecmp(gen->name, names[j]) == 0;
		if (!listed)
			extra = lappend(extra, (void *) gen->name);
	}
	return extra;
}

/* ----------------------------------------------------------------
 * Dependency keys
 * ----------------------------------------------------------------
 */

/*
 * Hash a dependency key.  The seed is fixed (CC_DEP_SEED), so every
 * process, and every node that replays our WAL, agrees on the value.
 */
uint64
cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid)
{
	struct
	{
		uint32		kind;
		Oid			dbid;
		Oid			objid;
		uint32		pad;
	}			k;

	k.kind = (uint32) kind;
	k.dbid = dbid;
	k.objid = objid;
	k.pad = 0;
	return hash_bytes_extended((const unsigned char *) &k, sizeof(k),
							   CC_DEP_SEED);
}

/*
 * Hash a dependency key named by text: an entity tag, a type, a query name.
 */
uint64
cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text, int len)
{
	uint64		h = cc_dep_hash(kind, dbid, InvalidOid);

	return hash_bytes_extended((const unsigned char *) text, len, h);
}
