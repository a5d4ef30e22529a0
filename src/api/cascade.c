/*-------------------------------------------------------------------------
 *
 * cascade.c
 *		cascade_invalidate(): reading a GraphQL Cascade and scheduling its
 *		invalidations for commit.
 *
 * cascade_invalidate(cascade jsonb) reads a GraphQL Cascade, the report a
 * mutation makes of what it changed:
 *
 *	{"updated": [{"__typename": "User", "id": 1, "operation": "UPDATED"}],
 *	 "deleted": [{"__typename": "Post", "id": 7}],
 *	 "invalidations": [{"queryName": "listUsers", "scope": "PREFIX"}],
 *	 "metadata": {"transactionId": "..."}}
 *
 * (or a whole mutation response holding it under "cascade" or "_cascade",
 * snake_case keys allowed), and invalidates at commit, with the same timing
 * and fence as any write: the entries tagged with each updated or deleted
 * entity, and the entries whose query name matches each invalidation
 * (EXACT, with "arguments" compared to the entry's parameters; PREFIX;
 * PATTERN, a glob; ALL).  A CREATED entity with no invalidations applies
 * the spec's default rule, "list<Type>s" by PREFIX.  The strategy REMOVE
 * acts as INVALIDATE: the entry is removed and the next call recomputes
 * it.  REFETCH removes it too, and then has a runner compute it again
 * right after the commit (refresh-ahead, src/xact/refresh.c).
 *
 * A malformed cascade (see cc_parse_cascade) is, with
 * cascade_cache.invalid_cascade = record (the default), reported as a
 * WARNING and recorded as a failed audit row, and the cache is invalidated
 * conservatively: every entry of every type named anywhere in the payload,
 * or the whole database if no type can be read.  With 'error' it raises an
 * ERROR, so the mutation rolls back.
 *
 * The invalidations go into the transaction's pending set (pending.c); the
 * call itself is handed to src/xact/cascade.c for the audit row.  Nothing
 * here holds a lock; counting the entries that match now reads the
 * dependency index and the query-name registry through the store.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/settings.h"
#include "store/store.h"
#include "xact/cascade.h"
#include "xact/pending.h"
#include "xact/refresh.h"
#include "xact/tags.h"
#include "api/cascade.h"

PG_FUNCTION_INFO_V1(cascade_invalidate);

/*
 * Limits of one cascade: the GraphQL Cascade specification's bounds by
 * default (500 updated and 100 deleted entities, 5 MB), configurable.
 */
int			cc_cascade_max_updated = 500;
int			cc_cascade_max_deleted = 100;
int			cc_cascade_max_invalidations = 100;
int			cc_cascade_max_size_kb = 5 * 1024;

/* cascade_cache.invalid_cascade */
int			cc_invalid_cascade = CC_INVALID_CASCADE_RECORD;

/* Longest __typename, entity id and transactionId accepted, in bytes */
#define CC_MAX_TYPENAME_LEN		(NAMEDATALEN * 2 - 1)
#define CC_MAX_ID_LEN			1024
#define CC_MAX_MUTATION_ID_LEN	256

/* Longest query name or pattern accepted (as cached_query's names) */
#define CC_MAX_SCOPE_LEN		1024

/*
 * A malformed cascade invalidates every type named in it; past this many
 * distinct types, the whole database instead.
 */
#define CC_MAX_FALLBACK_TYPES	1000

/* How often the walk of a malformed cascade checks for interrupts */
#define CC_INTERRUPT_EVERY_TOKENS	1024

/* The operation of an "updated" entity */
typedef enum CCEntityOp
{
	CC_OP_CREATED,
	CC_OP_UPDATED,
	CC_OP_DELETED
} CCEntityOp;

static const char *const cc_op_words[] = {
	[CC_OP_CREATED] = "CREATED",
	[CC_OP_UPDATED] = "UPDATED",
	[CC_OP_DELETED] = "DELETED",
	NULL
};

/* An invalidation on query names, as read from a cascade */
typedef struct CCScopeSpec
{
	CCScope		scope;
	char	   *text;			/* name or pattern; NULL for ALL */
	Jsonb	   *args;			/* EXACT arguments, or NULL */
	bool		refetch;		/* strategy REFETCH: refresh-ahead */
} CCScopeSpec;

static const char *const cc_scope_words[] = {
	[CC_SCOPE_EXACT] = "EXACT",
	[CC_SCOPE_PREFIX] = "PREFIX",
	[CC_SCOPE_PATTERN] = "PATTERN",
	[CC_SCOPE_ALL] = "ALL",
	NULL
};

/* Append a copy of 's' to a list of strings unless it is there already. */
static List *
cc_append_unique(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((const char *) lfirst(lc), s) == 0)
			return list;
	}
	return lappend(list, pstrdup(s));
}

/* list_sort() comparator of C strings */
static int
cc_string_list_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* ----------------------------------------------------------------
 * Parsing
 * ----------------------------------------------------------------
 */

/* obj[camel] or obj[snake], or NULL */
static JsonbValue *
cc_get_key(JsonbContainer *obj, const char *camel, const char *snake)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, camel, strlen(camel),
												 NULL);

	if (v == NULL && snake != NULL)
		v = getKeyJsonValueFromContainer(obj, snake, strlen(snake), NULL);
	return v;
}

static bool
cc_is_object(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
cc_is_array(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/*
 * Find the cascade in a payload: the payload itself if it has cascade
 * fields, else its "cascade" or "_cascade" field, else that field of one
 * of the objects under "data" (a whole GraphQL response).  Sets *error and
 * returns NULL if there is none; returns NULL with no error for an empty
 * or null cascade.
 */
static JsonbContainer *
cc_find_cascade(Jsonb *payload, char **error)
{
	JsonbContainer *root = &payload->root;
	JsonbValue *v;

	*error = NULL;
	if (!JB_ROOT_IS_OBJECT(payload))
	{
		*error = pstrdup("the cascade is not a JSON object");
		return NULL;
	}
	if (JsonContainerSize(root) == 0)
		return NULL;
	if (cc_get_key(root, "updated", NULL) || cc_get_key(root, "deleted", NULL) ||
		cc_get_key(root, "invalidations", NULL) ||
		cc_get_key(root, "metadata", NULL))
		return root;

	v = cc_get_key(root, "cascade", "_cascade");
	if (v == NULL)
	{
		JsonbValue *data = cc_get_key(root, "data", NULL);

		if (data != NULL && cc_is_object(data))
		{
			JsonbIterator *it = JsonbIteratorInit(data->val.binary.data);
			JsonbValue	item;
			JsonbIteratorToken tok;

			/* the first mutation result that carries a cascade */
			while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
			{
				if (tok == WJB_VALUE && cc_is_object(&item) &&
					(v = cc_get_key(item.val.binary.data, "cascade",
									"_cascade")) != NULL)
					break;
			}
		}
	}
	if (v == NULL)
	{
		*error = pstrdup("no cascade found: expected \"updated\", \"deleted\", \"invalidations\" or a \"cascade\" field");
		return NULL;
	}
	if (v->type == jbvNull)
		return NULL;
	if (!cc_is_object(v))
	{
		*error = pstrdup("\"cascade\" is not a JSON object");
		return NULL;
	}
	return v->val.binary.data;
}

/* Does 'v' equal one of 'words' (case-insensitively)?  Index or -1. */
static int
cc_word(JsonbValue *v, const char *const *words)
{
	int			i;

	if (v->type != jbvString)
		return -1;
	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == (size_t) v->val.string.len &&
			pg_strncasecmp(v->val.string.val, words[i], v->val.string.len) == 0)
			return i;
	return -1;
}

/*
 * Parse one "updated" or "deleted" item; returns an error or NULL, and the
 * entity and its operation.
 */
static char *
cc_parse_entity(JsonbValue *item, const char *list, int i, bool with_op,
				char **entity, char **typename, CCEntityOp *operation)
{
	JsonbValue *type;
	JsonbValue *id;
	JsonbValue *op;
	char	   *idtext;

	if (!cc_is_object(item))
		return psprintf("%s[%d] is not an object", list, i);
	type = cc_get_key(item->val.binary.data, "__typename", NULL);
	id = cc_get_key(item->val.binary.data, "id", NULL);
	if (type == NULL)
		return psprintf("%s[%d] has no \"__typename\"", list, i);
	if (type->type != jbvString || type->val.string.len == 0)
		return psprintf("%s[%d].__typename is not a non-empty string", list, i);
	if (type->val.string.len > CC_MAX_TYPENAME_LEN)
		return psprintf("%s[%d].__typename is longer than %d bytes", list, i,
						CC_MAX_TYPENAME_LEN);
	if (id == NULL)
		return psprintf("%s[%d] has no \"id\"", list, i);
	if (id->type != jbvString && id->type != jbvNumeric)
		return psprintf("%s[%d].id is not a string or a number", list, i);

	*operation = with_op ? CC_OP_UPDATED : CC_OP_DELETED;
	if (with_op && (op = cc_get_key(item->val.binary.data, "operation", NULL)) != NULL)
	{
		int			word = cc_word(op, cc_op_words);

		if (word < 0)
			return psprintf("%s[%d].operation is not CREATED, UPDATED or DELETED", list, i);
		*operation = (CCEntityOp) word;
	}

	*typename = pnstrdup(type->val.string.val, type->val.string.len);
	idtext = cc_tag_id_text(id);
	if (strlen(idtext) > CC_MAX_ID_LEN)
		return psprintf("%s[%d].id is longer than %d bytes", list, i,
						CC_MAX_ID_LEN);
	*entity = psprintf("%s:%s", *typename, idtext);
	return NULL;
}

/*
 * Parse a cascade.  On success returns NULL and appends the entity tags'
 * dependency keys (uint64 *) to *tag_deps and the name scopes to *scopes
 * (CCScopeSpec *), and fills call->entities, call->names and
 * call->mutation_id.  On failure returns the reason (what was filled in
 * until then stays).
 */
static char *
cc_parse_cascade(JsonbContainer *cascade, CCCascadeReport *call,
				 List **tag_deps, List **scopes)
{
	static const char *const strategies[] = {"INVALIDATE", "REFETCH", "REMOVE", NULL};
	JsonbValue *updated = cc_get_key(cascade, "updated", NULL);
	JsonbValue *deleted = cc_get_key(cascade, "deleted", NULL);
	JsonbValue *invalidations = cc_get_key(cascade, "invalidations", NULL);
	JsonbValue *metadata = cc_get_key(cascade, "metadata", NULL);
	List	   *created_types = NIL;
	List	   *entity_types = NIL;
	int			ninvalidations = 0;
	int			n;
	int			i;
	char	   *error;

	/* updated[] */
	if (updated != NULL && updated->type != jbvNull)
	{
		if (!cc_is_array(updated))
			return pstrdup("\"updated\" is not an array");
		n = JsonContainerSize(updated->val.binary.data);
		if (n > cc_cascade_max_updated)
			return psprintf("\"updated\" has %d entities, more than cascade_cache.cascade_max_updated (%d)",
							n, cc_cascade_max_updated);
		for (i = 0; i < n; i++)
		{
			JsonbValue *item = getIthJsonbValueFromContainer(updated->val.binary.data, i);
			char	   *entity;
			char	   *typename;
			CCEntityOp	operation;

			error = cc_parse_entity(item, "updated", i, true, &entity, &typename,
									&operation);
			if (error)
				return error;
			call->entities = lappend(call->entities, entity);
			entity_types = lappend(entity_types, typename);
			if (operation == CC_OP_CREATED)
				created_types = lappend(created_types, typename);
		}
	}

	/* deleted[] */
	if (deleted != NULL && deleted->type != jbvNull)
	{
		if (!cc_is_array(deleted))
			return pstrdup("\"deleted\" is not an array");
		n = JsonContainerSize(deleted->val.binary.data);
		if (n > cc_cascade_max_deleted)
			return psprintf("\"deleted\" has %d entities, more than cascade_cache.cascade_max_deleted (%d)",
							n, cc_cascade_max_deleted);
		for (i = 0; i < n; i++)
		{
			JsonbValue *item = getIthJsonbValueFromContainer(deleted->val.binary.data, i);
			char	   *entity;
			char	   *typename;
			CCEntityOp	operation;

			error = cc_parse_entity(item, "deleted", i, false, &entity, &typename,
									&operation);
			if (error)
				return error;
			call->entities = lappend(call->entities, entity);
			entity_types = lappend(entity_types, typename);
		}
	}

	/* invalidations[] */
	if (invalidations != NULL && invalidations->type != jbvNull)
	{
		if (!cc_is_array(invalidations))
			return pstrdup("\"invalidations\" is not an array");
		ninvalidations = JsonContainerSize(invalidations->val.binary.data);
		if (ninvalidations > cc_cascade_max_invalidations)
			return psprintf("\"invalidations\" has %d entries, more than cascade_cache.cascade_max_invalidations (%d)",
							ninvalidations, cc_cascade_max_invalidations);
		for (i = 0; i < ninvalidations; i++)
		{
			JsonbValue *item = getIthJsonbValueFromContainer(invalidations->val.binary.data, i);
			JsonbContainer *obj;
			JsonbValue *name;
			JsonbValue *pattern;
			JsonbValue *strategy;
			JsonbValue *scope;
			JsonbValue *args;
			int			word = CC_SCOPE_EXACT;
			CCScopeSpec *spec;

			if (!cc_is_object(item))
				return psprintf("invalidations[%d] is not an object", i);
			obj = item->val.binary.data;
			name = cc_get_key(obj, "queryName", "query_name");
			pattern = cc_get_key(obj, "queryPattern", "query_pattern");
			strategy = cc_get_key(obj, "strategy", NULL);
			scope = cc_get_key(obj, "scope", NULL);
			args = cc_get_key(obj, "arguments", NULL);

			if (strategy != NULL && cc_word(strategy, strategies) < 0)
				return psprintf("invalidations[%d].strategy is not INVALIDATE, REFETCH or REMOVE", i);
			if (scope != NULL && (word = cc_word(scope, cc_scope_words)) < 0)
				return psprintf("invalidations[%d].scope is not EXACT, PREFIX, PATTERN or ALL", i);
			if (name != NULL && name->type != jbvString)
				return psprintf("invalidations[%d].queryName is not a string", i);
			if (pattern != NULL && pattern->type != jbvString)
				return psprintf("invalidations[%d].queryPattern is not a string", i);
			if ((name != NULL && name->val.string.len > CC_MAX_SCOPE_LEN) ||
				(pattern != NULL && pattern->val.string.len > CC_MAX_SCOPE_LEN))
				return psprintf("invalidations[%d] names a query name or pattern longer than %d bytes",
								i, CC_MAX_SCOPE_LEN);
			if (args != NULL && args->type != jbvNull &&
				!cc_is_object(args) && !cc_is_array(args))
				return psprintf("invalidations[%d].arguments is not an object or an array", i);

			spec = palloc0(sizeof(CCScopeSpec));
			spec->scope = (CCScope) word;
			spec->refetch = strategy != NULL &&
				strcmp(strategies[cc_word(strategy, strategies)], "REFETCH") == 0;
			switch (spec->scope)
			{
				case CC_SCOPE_EXACT:
				case CC_SCOPE_PREFIX:
					if (name == NULL)
						return psprintf("invalidations[%d] has no \"queryName\"", i);
					spec->text = pnstrdup(name->val.string.val, name->val.string.len);
					if (spec->scope == CC_SCOPE_EXACT &&
						args != NULL && args->type != jbvNull)
						spec->args = JsonbValueToJsonb(args);
					break;
				case CC_SCOPE_PATTERN:
					if (pattern == NULL)
						pattern = name;
					if (pattern == NULL)
						return psprintf("invalidations[%d] has no \"queryPattern\"", i);
					spec->text = pnstrdup(pattern->val.string.val, pattern->val.string.len);
					break;
				case CC_SCOPE_ALL:
					break;
			}
			*scopes = lappend(*scopes, spec);
			call->names = lappend(call->names,
								  psprintf("%s %s", cc_scope_words[spec->scope],
										   spec->text ? spec->text : "*"));
		}
	}

	/* metadata */
	if (metadata != NULL && metadata->type != jbvNull)
	{
		JsonbValue *txid;

		if (!cc_is_object(metadata))
			return pstrdup("\"metadata\" is not an object");
		txid = cc_get_key(metadata->val.binary.data, "transactionId",
						  "transaction_id");
		if (txid != NULL && txid->type != jbvNull)
		{
			call->mutation_id = cc_tag_id_text(txid);
			if (call->mutation_id == NULL)
				return pstrdup("metadata.transactionId is not a string or a number");
			if (strlen(call->mutation_id) > CC_MAX_MUTATION_ID_LEN)
				return psprintf("metadata.transactionId is longer than %d bytes",
								CC_MAX_MUTATION_ID_LEN);
		}
	}

	/* the spec's default for a created entity: list<Type>s by PREFIX */
	if (ninvalidations == 0)
	{
		ListCell   *lc;

		foreach(lc, created_types)
		{
			CCScopeSpec *spec = palloc0(sizeof(CCScopeSpec));

			spec->scope = CC_SCOPE_PREFIX;
			spec->text = psprintf("list%ss", (char *) lfirst(lc));
			*scopes = lappend(*scopes, spec);
			call->names = lappend(call->names,
								  psprintf("%s %s",
										   cc_scope_words[CC_SCOPE_PREFIX],
										   spec->text));
		}
	}

	{
		ListCell   *lc;

		foreach(lc, call->entities)
		{
			const char *entity = (const char *) lfirst(lc);
			uint64	   *dep = palloc(sizeof(uint64));

			*dep = cc_dep_hash_text(CC_DEP_TAG, MyDatabaseId, entity,
									strlen(entity));
			*tag_deps = lappend(*tag_deps, dep);
		}

		/*
		 * Results with too many entities to tag each (see tags.c): each type
		 * once (sorted, so n log n however many entities and types).
		 */
		list_sort(entity_types, cc_string_list_cmp);
		foreach(lc, entity_types)
		{
			const char *t = (const char *) lfirst(lc);
			uint64	   *dep;

			if (foreach_current_index(lc) > 0 &&
				strcmp(t, (const char *) list_nth(entity_types,
												  foreach_current_index(lc) - 1)) == 0)
				continue;
			dep = palloc(sizeof(uint64));
			*dep = cc_dep_hash_text(CC_DEP_TYPE_MANY, MyDatabaseId, t,
									strlen(t));
			*tag_deps = lappend(*tag_deps, dep);
		}
	}
	return NULL;
}

/*
 * Every distinct "__typename" string anywhere in 'c' (for the conservative
 * path).  Returns false, with the list incomplete, if there are more than
 * CC_MAX_FALLBACK_TYPES of them or one is too long to be a type.
 */
static bool
cc_collect_typenames(JsonbContainer *c, List **types)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	static const char typename_key[] = "__typename";
	JsonbIteratorToken tok;
	bool		next_is_type = false;
	uint32		tokens = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (++tokens % CC_INTERRUPT_EVERY_TOKENS == 0)
			CHECK_FOR_INTERRUPTS();
		if (tok == WJB_KEY)
			next_is_type = (v.val.string.len == sizeof(typename_key) - 1 &&
							memcmp(v.val.string.val, typename_key,
								   sizeof(typename_key) - 1) == 0);
		else
		{
			if (tok == WJB_VALUE && next_is_type && v.type == jbvString &&
				v.val.string.len > 0)
			{
				char	   *t;

				if (v.val.string.len > CC_MAX_TYPENAME_LEN)
					return false;
				t = pnstrdup(v.val.string.val, v.val.string.len);
				*types = cc_append_unique(*types, t);
				if (list_length(*types) > CC_MAX_FALLBACK_TYPES)
					return false;
			}
			next_is_type = false;
		}
	}
	return true;
}

/* ----------------------------------------------------------------
 * cascade_invalidate()
 * ----------------------------------------------------------------
 */

/*
 * cascade_invalidate(cascade jsonb) RETURNS integer
 *
 * Schedules the cascade's invalidations for commit (of every role's
 * entries) and returns how many of the calling role's entries (every
 * role's for a superuser) they match now: no count tells what others cached.
 */
Datum
cascade_invalidate(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	CCCascadeReport call;
	JsonbContainer *cascade;
	char	   *error = NULL;
	List	   *tag_deps = NIL;
	List	   *scopes = NIL;
	List	   *count_deps = NIL;
	bool		flush_db = false;
	uint64		matching = 0;
	Oid			counted_role = superuser() ? InvalidOid : GetUserId();
	ListCell   *lc;
	uint64	   *deps;
	int			ndeps;

	cc_check_loaded();
	cc_attach();

	memset(&call, 0, sizeof(call));
	call.payload_bytes = VARSIZE(payload);
	/* the audit keeps the transaction's payloads up to audit_max_payload */
	if (cc_cascade_keep_payload(call.payload_bytes))
		call.payload = payload;

	if (VARSIZE(payload) > (Size) cc_cascade_max_size_kb * 1024)
		error = psprintf("the cascade is %u bytes, more than cascade_cache.cascade_max_size (%d kB)",
						 (unsigned) VARSIZE(payload), cc_cascade_max_size_kb);
	else
	{
		cascade = cc_find_cascade(payload, &error);
		if (cascade != NULL)
			error = cc_parse_cascade(cascade, &call, &tag_deps, &scopes);
	}

	if (error != NULL)
	{
		List	   *types = NIL;

		if (cc_invalid_cascade == CC_INVALID_CASCADE_ERROR)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid GraphQL cascade: %s", error)));

		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid GraphQL cascade: %s", error),
				 errdetail("The cache is invalidated conservatively and the failure is recorded in cascade_audit.")));

		/* conservatively: every type named anywhere, else everything */
		call.error = error;
		call.entities = NIL;
		call.names = NIL;
		if ((JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_ARRAY(payload)) &&
			!cc_collect_typenames(&payload->root, &types))
			types = NIL;		/* too many: the whole database */

		tag_deps = NIL;
		scopes = NIL;
		foreach(lc, types)
		{
			const char *t = (const char *) lfirst(lc);
			uint64	   *dep = palloc(sizeof(uint64));

			*dep = cc_dep_hash_text(CC_DEP_TYPE, MyDatabaseId, t, strlen(t));
			tag_deps = lappend(tag_deps, dep);
			call.entities = cc_append_unique(call.entities, t);
		}
		if (types == NIL)
			flush_db = true;
	}

	/* schedule for commit, and count what matches now */
	foreach(lc, tag_deps)
	{
		cc_pending_add_dep(*(uint64 *) lfirst(lc));
		count_deps = lappend(count_deps, lfirst(lc));
	}
	foreach(lc, scopes)
	{
		CCScopeSpec *spec = (CCScopeSpec *) lfirst(lc);

		if (spec->refetch)
			cc_refresh_add_scope(spec->scope, spec->text);
		switch (spec->scope)
		{
			case CC_SCOPE_EXACT:
				{
					uint64	   *dep = palloc(sizeof(uint64));

					if (spec->args != NULL)
						*dep = cc_params_tag(spec->text, spec->args);
					else
						*dep = cc_dep_hash_text(CC_DEP_NAME, MyDatabaseId,
												spec->text, strlen(spec->text));
					cc_pending_add_dep(*dep);
					count_deps = lappend(count_deps, dep);
					break;
				}
			case CC_SCOPE_PREFIX:
			case CC_SCOPE_PATTERN:
				{
					uint64	   *named;
					uint64		unused;
					int			n;
					int			i;

					cc_pending_add_scope(spec->scope, spec->text);
					n = cc_names_matching(MyDatabaseId,
										  spec->scope == CC_SCOPE_PREFIX,
										  spec->text, &named, &unused);
					for (i = 0; i < n; i++)
						count_deps = lappend(count_deps, &named[i]);
					break;
				}
			case CC_SCOPE_ALL:
				flush_db = true;
				break;
		}
	}
	if (flush_db)
	{
		cc_pending_add_scope(CC_SCOPE_ALL, NULL);
		matching = cc_count_database(MyDatabaseId, counted_role);
	}
	else if (count_deps != NIL)
	{
		ndeps = list_length(count_deps);
		deps = palloc(sizeof(uint64) * ndeps);
		ndeps = 0;
		foreach(lc, count_deps)
			deps[ndeps++] = *(uint64 *) lfirst(lc);
		matching = cc_count_dependents(deps, ndeps, counted_role);
	}

	/* and remember the call for the audit row */
	cc_cascade_record(&call);

	PG_RETURN_INT32((int32) Min(matching, (uint64) PG_INT32_MAX));
}
static const struct config_enum_entry cc_invalid_cascade_options[] = {
	{"record", CC_INVALID_CASCADE_RECORD, false},
	{"error", CC_INVALID_CASCADE_ERROR, false},
	{NULL, 0, false}
};

/*
 * Define the cascade limits and cascade_cache.invalid_cascade.
 * Called once, from _PG_init.
 */
void
cc_cascade_define_gucs(void)
{
	DefineCustomEnumVariable("cascade_cache.invalid_cascade",
							 "What cascade_invalidate() does with a malformed cascade.",
							 "record: a WARNING, a failed audit row and conservative invalidation; error: an ERROR, so the mutation rolls back.",
							 &cc_invalid_cascade,
							 CC_INVALID_CASCADE_RECORD,
							 cc_invalid_cascade_options,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_updated",
							"Most entities a cascade may list under \"updated\".",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_updated,
							500,
							0,
							1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_deleted",
							"Most entities a cascade may list under \"deleted\".",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_deleted,
							100,
							0,
							1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_invalidations",
							"Most query-name invalidations a cascade may list.",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_invalidations,
							100,
							0,
							10000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("cascade_cache.cascade_max_size",
							"Largest cascade payload accepted.",
							"A cascade over a limit is malformed: see cascade_cache.invalid_cascade.",
							&cc_cascade_max_size_kb,
							5 * 1024,
							1,
							MaxAllocSize / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL,
							NULL,
							NULL);
}
