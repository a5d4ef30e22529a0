/*-------------------------------------------------------------------------
 *
 * recipe.c
 *		Building a recipe when a result is stored, and parsing one back.
 *
 * A recipe (include/xact/recipe.h) lets a background runner compute an
 * entry again as the session that stored it would: after a restart (warm
 * restart) or right after an invalidation (refresh-ahead).  It is built on
 * a fill's way to the store (run.c) and kept in the entry's blob; it is
 * copied out to the recipe queue and to the warm-restart file, and read
 * back by cc_recipe_parse(), which trusts none of its lengths.
 *
 * Layout (host byte order; the file never leaves its server):
 *
 *	CCRecipeHead | name | query | settings | params
 *
 * Everything before the parameters is the context, which every entry a
 * statement fills in one session shares: the store keeps it once
 * (src/store/context.c).
 *
 *	params:	  the jsonb array as its JSON text, without a NUL; or, for
 *			  native values, for each value a CCRecipeValue and its len
 *			  bytes (the bytes the key hashes: a by-value datum's own bytes,
 *			  a fixed-length value's bytes, a varlena's data without its
 *			  header, a cstring's characters)
 *	settings: nsettings pairs of NUL-terminated name and value, the value
 *			  'v' and its text, or 'n' (a placeholder reset to nothing)
 *
 * The store keeps the parameters in every entry's blob, and the JSON text
 * of a small array is a third of its jsonb ("[12345]": 7 bytes, 22 as
 * jsonb).  jsonb_in() makes the same jsonb of the text again, byte for
 * byte, as the key needs (jsonb is canonical: numbers through numeric_in(),
 * keys sorted and unique); should it ever not, the runner refuses the
 * recipe, whose key differs (recipe_run.c).
 *
 * Nothing is recorded for a session with a temporary schema (its key holds
 * the session itself), or when the recipe would exceed
 * CC_MAX_RECIPE_BYTES; such entries are simply never replayed.
 *
 * No locks, no shared memory.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "compat.h"
#include "base/key.h"
#include "xact/recipe.h"

#define CC_RECIPE_MAGIC			0x43435232	/* "CCR2" */

/* The fixed head of a recipe */
typedef struct CCRecipeHead
{
	uint32		magic;
	Oid			session_userid;
	int64		ttl_us;
	uint8		format;			/* CCFormat */
	uint8		native;			/* params are native values */
	uint16		nsettings;
	uint32		name_len;		/* 0: no name */
	uint32		query_len;
	uint32		settings_len;
	uint32		pad;
} CCRecipeHead;

/*
 * A recipe is at most CC_MAX_RECIPE_BYTES, head included: its parameters,
 * which the store keeps in the entry's blob, fit the blob's 16-bit length.
 */
StaticAssertDecl(CC_MAX_RECIPE_BYTES - sizeof(CCRecipeHead) <= PG_UINT16_MAX,
				 "the parameters of a recipe fit in 16 bits");

/* The length of the context of a recipe whose head is 'h' */
#define CC_RECIPE_CONTEXT_LEN(h) \
	((uint64) sizeof(CCRecipeHead) + (h).name_len + (h).query_len + \
	 (h).settings_len)

/* The head of one native value */
typedef struct CCRecipeValue
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	bool		isnull;
	uint32		len;
} CCRecipeValue;

static void cc_recipe_add_native(StringInfo buf, const CCParams *params);
static bool cc_recipe_parse_native(const char *p, uint32 len, CCParams *params);
static bool cc_recipe_parse_json(const char *p, uint32 len, CCParams *params);
static bool cc_recipe_parse_part(const char *data, uint32 len,
								 CCRecipe *recipe, bool params);
static bool cc_recipe_parse_settings(const char *p, uint32 len, int n,
									 CCRecipe *recipe);

/*
 * The recipe of a result of 'src' with 'params', 'name', 'ttl_us' and
 * 'format', in the current session: palloc'd, its length in *len and the
 * length of its context (see the header comment) in *context_len.  NULL
 * if it cannot be replayed (see the header comment).  Call right after the
 * key was computed, in the same session state.  Can ERROR (out of memory,
 * detoasting a value).
 */
char *
cc_recipe_build(const char *src, const CCParams *params, const char *name,
				int64 ttl_us, CCFormat format, uint32 *len,
				uint32 *context_len)
{
	StringInfoData buf;
	CCRecipeHead head;
	int			nsettings;
	Size		settings_start;

	initStringInfo(&buf);
	memset(&head, 0, sizeof(head));
	appendBinaryStringInfo(&buf, (char *) &head, sizeof(head));
	head.name_len = name ? strlen(name) : 0;
	head.query_len = strlen(src);
	if (head.query_len > CC_MAX_RECIPE_BYTES)
	{
		pfree(buf.data);
		return NULL;
	}
	if (name)
		appendBinaryStringInfo(&buf, name, head.name_len);
	appendBinaryStringInfo(&buf, src, head.query_len);

	settings_start = buf.len;
	nsettings = cc_key_session_settings(&buf);
	if (nsettings < 0 || nsettings > PG_UINT16_MAX ||
		buf.len > CC_MAX_RECIPE_BYTES)
	{
		pfree(buf.data);
		return NULL;
	}
	head.settings_len = buf.len - settings_start;
	*context_len = buf.len;

	if (CC_PARAMS_ARE_NATIVE(params))
		cc_recipe_add_native(&buf, params);
	else
	{
		char	   *json = JsonbToCString(NULL, &params->json->root,
										  VARSIZE(params->json));

		appendBinaryStringInfo(&buf, json, strlen(json));
		pfree(json);
	}
	if (buf.len > CC_MAX_RECIPE_BYTES)
	{
		pfree(buf.data);
		return NULL;
	}

	head.magic = CC_RECIPE_MAGIC;
	head.session_userid = GetSessionUserId();
	head.ttl_us = ttl_us;
	head.format = (uint8) format;
	head.native = CC_PARAMS_ARE_NATIVE(params);
	head.nsettings = (uint16) nsettings;
	memcpy(buf.data, &head, sizeof(head));
	*len = buf.len;
	return buf.data;
}

/* Append the native values, each as the key hashes it (key.c). */
static void
cc_recipe_add_native(StringInfo buf, const CCParams *params)
{
	int			i;

	for (i = 0; i < params->nargs; i++)
	{
		CCRecipeValue v;
		const void *data = NULL;
		Datum		byval = 0;
		struct varlena *flat = NULL;

		memset(&v, 0, sizeof(v));
		v.type = params->types[i];
		v.typlen = params->typlens[i];
		v.typbyval = params->typbyvals[i];
		v.isnull = params->nulls[i];
		if (!v.isnull)
		{
			Datum		value = params->values[i];

			if (v.typbyval)
			{
				store_att_byval(&byval, value, v.typlen);
				data = &byval;
				v.len = v.typlen;
			}
			else if (v.typlen > 0)
			{
				data = DatumGetPointer(value);
				v.len = v.typlen;
			}
			else if (v.typlen == -1)
			{
				flat = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));
				data = VARDATA_ANY(flat);
				v.len = VARSIZE_ANY_EXHDR(flat);
			}
			else
			{
				data = DatumGetCString(value);
				v.len = strlen((const char *) data);
			}
		}
		appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
		if (v.len > 0)
			appendBinaryStringInfo(buf, data, v.len);
		if (flat != NULL && (Pointer) flat != DatumGetPointer(params->values[i]))
			pfree(flat);
	}
}

/*
 * The session user a recipe runs as, or InvalidOid if it is malformed.
 * Cannot fail.
 */
Oid
cc_recipe_session_user(const char *data, uint32 len)
{
	CCRecipeHead head;

	if (len < sizeof(head))
		return InvalidOid;
	memcpy(&head, data, sizeof(head));
	if (head.magic != CC_RECIPE_MAGIC)
		return InvalidOid;
	return head.session_userid;
}

/*
 * Parse a recipe of 'len' bytes into *recipe (palloc'd copies).  Returns
 * false if it is malformed: every length is checked against what is left,
 * so a damaged recipe is refused, never read past its end, and JSON text
 * is parsed before jsonb_in() sees it.  Can ERROR: out of memory, and in
 * parsing JSON parameters (a nesting deeper than this process's
 * max_stack_depth, a number beyond numeric's range): a runner, which
 * catches it, may call this; the background worker only
 * cc_recipe_parse_context().
 */
bool
cc_recipe_parse(const char *data, uint32 len, CCRecipe *recipe)
{
	return cc_recipe_parse_part(data, len, recipe, true);
}

/*
 * The same without the parameters (recipe->params stays empty): only
 * lengths are checked.  Can ERROR (out of memory) only.
 */
bool
cc_recipe_parse_context(const char *data, uint32 len, CCRecipe *recipe)
{
	return cc_recipe_parse_part(data, len, recipe, false);
}

/* cc_recipe_parse(), with the parameters if 'params' */
static bool
cc_recipe_parse_part(const char *data, uint32 len, CCRecipe *recipe,
					 bool params)
{
	CCRecipeHead head;
	const char *p;
	uint64		context_len;
	uint32		params_len;

	memset(recipe, 0, sizeof(*recipe));
	if (len < sizeof(head))
		return false;
	memcpy(&head, data, sizeof(head));
	context_len = CC_RECIPE_CONTEXT_LEN(head);
	if (head.magic != CC_RECIPE_MAGIC || context_len > len ||
		head.format > CC_FORMAT_DOC_JSON || head.native > 1 ||
		!OidIsValid(head.session_userid))
		return false;
	params_len = len - context_len;

	p = data + sizeof(head);
	recipe->session_userid = head.session_userid;
	recipe->format = (CCFormat) head.format;
	recipe->ttl_us = head.ttl_us;
	if (head.name_len > 0)
	{
		if (memchr(p, '\0', head.name_len) != NULL)
			return false;
		recipe->name = pnstrdup(p, head.name_len);
		p += head.name_len;
	}
	if (memchr(p, '\0', head.query_len) != NULL)
		return false;
	recipe->query = cstring_to_text_with_len(p, head.query_len);
	p += head.query_len;

	if (!cc_recipe_parse_settings(p, head.settings_len, head.nsettings,
								  recipe))
		return false;
	p += head.settings_len;

	if (!params)
		return true;
	if (head.native)
		return cc_recipe_parse_native(p, params_len, &recipe->params);
	else
		return cc_recipe_parse_json(p, params_len, &recipe->params);
}

/*
 * The jsonb array of a recipe, from its JSON text.  The text is checked by
 * the JSON parser first, which returns what it refuses, so that damaged
 * text is refused here rather than in an ERROR of jsonb_in().  Either can
 * still ERROR on a nesting deeper than max_stack_depth allows here.
 */
static bool
cc_recipe_parse_json(const char *p, uint32 len, CCParams *params)
{
	char	   *str;
	JsonLexContext *lex;
	Jsonb	   *json;

	if (memchr(p, '\0', len) != NULL)
		return false;
	str = pnstrdup(p, len);
	lex = CC_JSON_LEX_CSTRING(str, len, GetDatabaseEncoding());
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return false;
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	if (!JB_ROOT_IS_ARRAY(json) || JB_ROOT_IS_SCALAR(json))
		return false;
	params->json = json;
	return true;
}

/*
 * The native values of a recipe, as Datums again.  The type's length and
 * passing convention are the recorded ones; the runner checks them against
 * the catalog before it uses them (recipe_run.c).
 */
static bool
cc_recipe_parse_native(const char *p, uint32 len, CCParams *params)
{
	const char *end = p + len;
	const char *q;
	int			n = 0;
	int			i;
	Oid		   *types;
	int16	   *typlens;
	bool	   *typbyvals;

	/* count, checking each value's bounds */
	for (q = p; q < end; n++)
	{
		CCRecipeValue v;

		if (end - q < (ptrdiff_t) sizeof(v) || n >= PG_UINT16_MAX)
			return false;
		memcpy(&v, q, sizeof(v));
		q += sizeof(v);
		if (v.len > (uint32) (end - q))
			return false;
		q += v.len;
	}

	types = palloc0(sizeof(Oid) * Max(n, 1));
	typlens = palloc0(sizeof(int16) * Max(n, 1));
	typbyvals = palloc0(sizeof(bool) * Max(n, 1));
	params->values = palloc0(sizeof(Datum) * Max(n, 1));
	params->nulls = palloc0(sizeof(bool) * Max(n, 1));
	params->nargs = n;
	params->json = NULL;

	for (i = 0, q = p; i < n; i++)
	{
		CCRecipeValue v;

		memcpy(&v, q, sizeof(v));
		q += sizeof(v);
		types[i] = v.type;
		typlens[i] = v.typlen;
		typbyvals[i] = v.typbyval;
		params->nulls[i] = v.isnull;
		if (v.isnull)
		{
			if (v.len != 0)
				return false;
			continue;
		}
		if (v.typbyval)
		{
			Datum		d = 0;

			if (v.typlen <= 0 || v.typlen > (int) sizeof(Datum) ||
				v.len != (uint32) v.typlen)
				return false;
			memcpy(&d, q, v.len);
			params->values[i] = fetch_att(&d, true, v.typlen);
		}
		else if (v.typlen > 0)
		{
			char	   *copy;

			if (v.len != (uint32) v.typlen)
				return false;
			copy = palloc(v.len);
			memcpy(copy, q, v.len);
			params->values[i] = PointerGetDatum(copy);
		}
		else if (v.typlen == -1)
		{
			struct varlena *copy;

			if (v.len > MaxAllocSize - VARHDRSZ)
				return false;
			copy = palloc(v.len + VARHDRSZ);
			SET_VARSIZE(copy, v.len + VARHDRSZ);
			memcpy(VARDATA(copy), q, v.len);
			params->values[i] = PointerGetDatum(copy);
		}
		else if (v.typlen == -2)
		{
			if (memchr(q, '\0', v.len) != NULL)
				return false;
			params->values[i] = CStringGetDatum(pnstrdup(q, v.len));
		}
		else
			return false;
		q += v.len;
	}
	params->types = types;
	params->typlens = typlens;
	params->typbyvals = typbyvals;
	return true;
}

/* The settings: exactly 2 * n NUL-terminated strings filling 'len' bytes. */
static bool
cc_recipe_parse_settings(const char *p, uint32 len, int n, CCRecipe *recipe)
{
	const char *end = p + len;
	int			i;

	recipe->nsettings = n;
	recipe->setting_names = palloc0(sizeof(char *) * Max(n, 1));
	recipe->setting_values = palloc0(sizeof(char *) * Max(n, 1));
	for (i = 0; i < 2 * n; i++)
	{
		const char *nul = memchr(p, '\0', end - p);

		if (nul == NULL)
			return false;
		if (i % 2 == 0)
		{
			if (nul == p)
				return false;	/* an empty name */
			recipe->setting_names[i / 2] = pstrdup(p);
		}
		else if (*p == 'v')
			recipe->setting_values[i / 2] = pstrdup(p + 1);
		else if (*p == 'n' && nul == p + 1)
			recipe->setting_values[i / 2] = NULL;	/* reset to nothing */
		else
			return false;
		p = nul + 1;
	}
	return p == end;
}
