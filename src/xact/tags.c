/*-------------------------------------------------------------------------
 *
 * tags.c
 *		Entity tags and query names: the keys a GraphQL cascade can
 *		invalidate an entry by.
 *
 * When a result is stored it gets, besides its relation dependencies:
 *
 *	- an entity tag "Type:id" (CC_DEP_TAG) for every JSON object in the
 *	  result, at any depth, that has a string "__typename" and a scalar
 *	  "id", and a type tag "Type" (CC_DEP_TYPE) for each type seen;
 *	- for a call with a query name, CC_DEP_NAME (the name) and
 *	  CC_DEP_NAME_ARGS (the name with the normalised parameters).
 *
 * Ids are compared as text, numbers in their normalised form, so 123,
 * 123.0 and "123" are the same id.  Parameters are normalised the same way
 * element by element, so an EXACT invalidation's "arguments" [123] matches
 * an entry stored with params ["123"].  A result with more than
 * CC_MAX_TAGS_PER_ENTRY distinct entities keeps, instead of its entity
 * tags, a CC_DEP_TYPE_MANY key for each type seen, which every cascade or
 * watched-table change of an entity of that type marks too: any change to
 * an entity of one of those types then invalidates it (and only such
 * results, which alone carry those keys).
 *
 * Tags are dependency keys like relations, so they are indexed and count
 * against max_memory the same way (see src/store/area.c).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "xact/fill.h"
#include "xact/tags.h"

/* How a JSON null parameter is spelled in a parameters tag */
#define CC_TAG_NULL				"\x1dnull"

typedef struct CCTagFrame
{
	bool		is_object;
	int			pending;		/* 1: the next value is __typename, 2: id */
	char	   *typename;
	char	   *id;
} CCTagFrame;

#define CC_PENDING_NONE		0
#define CC_PENDING_TYPENAME 1
#define CC_PENDING_ID		2

static int	cc_uint64_cmp(const void *a, const void *b);

/*
 * The text form of an id: strings as they are, numbers normalised.
 * Returns NULL for values that cannot be ids (null, containers).
 */
char *
cc_tag_id_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return numeric_normalize(v->val.numeric);
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

static int
cc_uint64_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/*
 * Add the entity and type tags of 'result' to the fill's dependencies.
 */
void
cc_collect_tags(Jsonb *result, CCFill *fill)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	CCTagFrame *stack;
	int			depth = 0;
	int			maxdepth = 16;
	uint64	   *tags;
	uint64	   *types;
	uint64	   *manys;			/* CC_DEP_TYPE_MANY of each types[] */
	int			ntags = 0;
	int			ntypes = 0;
	int			maxtags = 64;
	int			maxtypes = 8;
	int			i;

	/* most results carry no GraphQL objects at all: skip them cheaply */
	if (memmem(VARDATA(result), VARSIZE(result) - VARHDRSZ,
			   "__typename", 10) == NULL)
		return;

	stack = palloc(sizeof(CCTagFrame) * maxdepth);
	tags = palloc(sizeof(uint64) * maxtags);
	types = palloc(sizeof(uint64) * maxtypes);
	manys = palloc(sizeof(uint64) * maxtypes);

	it = JsonbIteratorInit(&result->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		CCTagFrame *top = depth > 0 ? &stack[depth - 1] : NULL;

		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (top)
					top->pending = CC_PENDING_NONE;
				if (depth >= maxdepth)
				{
					maxdepth *= 2;
					stack = repalloc(stack, sizeof(CCTagFrame) * maxdepth);
				}
				stack[depth].is_object = (tok == WJB_BEGIN_OBJECT);
				stack[depth].pending = CC_PENDING_NONE;
				stack[depth].typename = NULL;
				stack[depth].id = NULL;
				depth++;
				break;

			case WJB_KEY:
				if (top && top->is_object)
				{
					if (v.val.string.len == 10 &&
						memcmp(v.val.string.val, "__typename", 10) == 0)
						top->pending = CC_PENDING_TYPENAME;
					else if (v.val.string.len == 2 &&
							 memcmp(v.val.string.val, "id", 2) == 0)
						top->pending = CC_PENDING_ID;
					else
						top->pending = CC_PENDING_NONE;
				}
				break;

			case WJB_VALUE:
				if (top && top->is_object)
				{
					if (top->pending == CC_PENDING_TYPENAME &&
						v.type == jbvString && v.val.string.len > 0)
						top->typename = pnstrdup(v.val.string.val,
												 v.val.string.len);
					else if (top->pending == CC_PENDING_ID)
						top->id = cc_tag_id_text(&v);
					top->pending = CC_PENDING_NONE;
				}
				break;

			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				depth--;
				if (tok == WJB_END_OBJECT && stack[depth].typename != NULL)
				{
					const char *t = stack[depth].typename;

					if (ntypes >= maxtypes)
					{
						maxtypes *= 2;
						types = repalloc(types, sizeof(uint64) * maxtypes);
						manys = repalloc(manys, sizeof(uint64) * maxtypes);
					}
					manys[ntypes] = cc_dep_hash_text(CC_DEP_TYPE_MANY,
													 MyDatabaseId, t, strlen(t));
					types[ntypes++] = cc_dep_hash_text(CC_DEP_TYPE, MyDatabaseId,
													   t, strlen(t));
					if (stack[depth].id != NULL)
					{
						char	   *tag = psprintf("%s:%s", t, stack[depth].id);

						if (ntags >= maxtags)
						{
							maxtags *= 2;
							tags = repalloc(tags, sizeof(uint64) * maxtags);
						}
						tags[ntags++] = cc_dep_hash_text(CC_DEP_TAG, MyDatabaseId,
														 tag, strlen(tag));
						cc_fill_note(fill, "entity %s", tag);
					}
				}
				break;

			default:
				break;
		}
	}

	/*
	 * Distinct entities; too many of them and each type stands for its
	 * entities instead (CC_DEP_TYPE_MANY, which entity changes mark too).
	 */
	qsort(tags, ntags, sizeof(uint64), cc_uint64_cmp);
	for (i = 0; i < ntypes; i++)
		cc_fill_add_dep(fill, types[i]);
	if (ntags > 0)
	{
		int			distinct = 1;

		for (i = 1; i < ntags; i++)
			if (tags[i] != tags[i - 1])
				distinct++;
		if (distinct <= CC_MAX_TAGS_PER_ENTRY)
		{
			for (i = 0; i < ntags; i++)
				cc_fill_add_dep(fill, tags[i]);
		}
		else
		{
			for (i = 0; i < ntypes; i++)
				cc_fill_add_dep(fill, manys[i]);
			cc_fill_note(fill, "more than %d entities: any change to an entity of their types",
						 CC_MAX_TAGS_PER_ENTRY);
		}
	}
}

/*
 * The dependency key of (query name, parameters), with each parameter
 * normalised as an id is (see above).  'params' is a JSON array; anything
 * else is taken as a single parameter.
 */
uint64
cc_params_tag(const char *name, Jsonb *params)
{
	StringInfoData buf;
	uint64		dep;

	initStringInfo(&buf);
	appendStringInfoString(&buf, name);
	appendStringInfoChar(&buf, '\x1e');

	if (JB_ROOT_IS_ARRAY(params) && !JB_ROOT_IS_SCALAR(params))
	{
		int			n = JB_ROOT_COUNT(params);
		int			i;

		for (i = 0; i < n; i++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(&params->root, i);
			char	   *text = cc_tag_id_text(v);

			if (text == NULL)
			{
				text = v->type == jbvNull ? CC_TAG_NULL :
					JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
			}
			appendStringInfoString(&buf, text);
			appendStringInfoChar(&buf, '\x1f');
		}
	}
	else
	{
		appendStringInfoString(&buf, JsonbToCString(NULL, &params->root,
													VARSIZE(params)));
		appendStringInfoChar(&buf, '\x1f');
	}

	dep = cc_dep_hash_text(CC_DEP_NAME_ARGS, MyDatabaseId, buf.data, buf.len);
	pfree(buf.data);
	return dep;
}

/*
 * Add the query-name keys of a named call to the fill's dependencies.
 */
void
cc_name_deps(const char *name, Jsonb *params, CCFill *fill)
{
	cc_fill_add_dep(fill, cc_dep_hash_text(CC_DEP_NAME, MyDatabaseId,
										   name, strlen(name)));
	cc_fill_add_dep(fill, cc_params_tag(name, params));
	cc_fill_note(fill, "query name %s", name);
}
