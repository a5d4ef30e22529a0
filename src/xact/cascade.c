/*-------------------------------------------------------------------------
 *
 * cascade.c
 *		GraphQL cascades and watched tables.
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
 * the spec's default rule, "list<Type>s" by PREFIX.  The strategies
 * REFETCH and REMOVE act as INVALIDATE: the entry is removed and the next
 * call recomputes it.
 *
 * A malformed cascade (see cc_parse_cascade) is, with
 * cascade_cache.invalid_cascade = record (the default), reported as a
 * WARNING and recorded as a failed audit row, and the cache is invalidated
 * conservatively: every entry of every type named anywhere in the payload,
 * or the whole database if no type can be read.  With 'error' it raises an
 * ERROR, so the mutation rolls back.
 *
 * Watched tables: cascade_watch() installs AFTER ROW and AFTER TRUNCATE
 * triggers that record each changed row as "Type:id" (old and new id on
 * UPDATE); the transaction invalidates those entities at commit, and a
 * TRUNCATE every entity of the type.  Past CC_MAX_WATCHED_ROWS rows of one
 * type in a transaction (a bulk write), the whole type is invalidated
 * instead and the rows are no longer recorded one by one.  If the transaction also reported a
 * cascade, every changed row must be covered by its updated/deleted lists,
 * or the audit row says 'partial' and lists what was missing (the rows are
 * invalidated all the same).
 *
 * Everything is recorded with the subtransaction nesting level, so a
 * rolled-back savepoint forgets what it reported, and the whole lot is
 * dropped on abort.  audit.c turns it into the audit row at PRE_COMMIT.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "cascade_cache.h"

PG_FUNCTION_INFO_V1(cascade_invalidate);
PG_FUNCTION_INFO_V1(cascade_watch_trigger);
PG_FUNCTION_INFO_V1(cascade_watch);
PG_FUNCTION_INFO_V1(cascade_unwatch);

/*
 * Rows of one type a transaction records one by one; past this the whole
 * type is invalidated instead (a bulk write).
 */
#define CC_MAX_WATCHED_ROWS	10000

/*
 * Limits of one cascade: the GraphQL Cascade specification's bounds by
 * default (500 updated and 100 deleted entities, 5 MB), configurable.
 */
int			cc_cascade_max_updated = 500;
int			cc_cascade_max_deleted = 100;
int			cc_cascade_max_invalidations = 100;
int			cc_cascade_max_size_kb = 5 * 1024;

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

/* cascade_cache.invalid_cascade */
int			cc_invalid_cascade = CC_INVALID_CASCADE_RECORD;

/* One cascade_invalidate() call of the current transaction */
typedef struct CCCascadeCall
{
	int			level;
	Jsonb	   *payload;		/* kept for the audit row, or NULL if the
								 * transaction's payloads outgrew
								 * audit_max_payload */
	Size		payload_bytes;	/* its size */
	char	   *error;			/* NULL if well formed */
	char	   *mutation_id;	/* metadata.transactionId, or NULL */
	List	   *entities;		/* "Type:id" strings it invalidates */
	List	   *names;			/* query names / patterns it invalidates */
} CCCascadeCall;

/* One row changed in a watched table, or a truncated or bulk-written type */
typedef struct CCWatchedRow
{
	char	   *tag;			/* hash key: "Type:id", or "Type", whole
								 * (cc_tag_hash()) */
	int			level;
	bool		truncate;		/* "Type": TRUNCATE, or too many rows */
} CCWatchedRow;

/* Rows recorded per type in this transaction */
typedef struct CCWatchedType
{
	char		typename[NAMEDATALEN * 2];	/* hash key */
	int64		rows;
} CCWatchedType;

static MemoryContext cc_cascade_cxt = NULL;
static List *cc_calls = NIL;
static Size cc_kept_payload_bytes = 0;	/* payloads kept for the audit */
static HTAB *cc_rows = NULL;
static HTAB *cc_row_types = NULL;

static uint32 cc_tag_hash(const void *key, Size keysize);
static int	cc_tag_match(const void *key1, const void *key2, Size keysize);
static MemoryContext cc_cascade_memory(void);
static char *cc_parse_cascade(JsonbContainer *cascade, CCCascadeCall *call,
							  List **tag_deps, List **scopes);
static JsonbContainer *cc_find_cascade(Jsonb *payload, char **error);
static JsonbValue *cc_get_key(JsonbContainer *obj, const char *camel,
							  const char *snake);
static bool cc_collect_typenames(JsonbContainer *c, List **types);
static void cc_note_row(const char *typename, const char *id, bool truncate,
						Oid relid);
static bool cc_count_row(const char *typename, Oid relid);
static List *cc_append_unique(List *list, const char *s);

/* ----------------------------------------------------------------
 * Per-transaction state
 * ----------------------------------------------------------------
 */

static MemoryContext
cc_cascade_memory(void)
{
	if (cc_cascade_cxt == NULL)
		cc_cascade_cxt = AllocSetContextCreate(TopMemoryContext,
											   "cascade_cache cascades",
											   ALLOCSET_DEFAULT_SIZES);
	return cc_cascade_cxt;
}

/*
 * Subtransaction end: forget (abort) or hand to the parent (commit) what
 * the subtransaction at 'level' recorded.  Called from invalidate.c.
 */
void
cc_cascade_subxact(bool commit, int level)
{
	ListCell   *lc;
	HASH_SEQ_STATUS status;
	CCWatchedRow *row;

	foreach(lc, cc_calls)
	{
		CCCascadeCall *call = (CCCascadeCall *) lfirst(lc);

		if (call->level >= level)
		{
			if (commit)
				call->level = level - 1;
			else
				cc_calls = foreach_delete_current(cc_calls, lc);
		}
	}
	if (cc_rows != NULL)
	{
		hash_seq_init(&status, cc_rows);
		while ((row = hash_seq_search(&status)) != NULL)
		{
			if (row->level >= level)
			{
				if (commit)
					row->level = level - 1;
				else
					(void) hash_search(cc_rows, &row->tag, HASH_REMOVE, NULL);
			}
		}
	}
}

/*
 * End of the transaction: count the audited mutation (commit) and drop the
 * state.  No ERROR allowed.
 */
void
cc_cascade_xact_end(bool commit)
{
	cc_audit_xact_end(commit);
	if (cc_cascade_cxt != NULL)
	{
		MemoryContextDelete(cc_cascade_cxt);
		cc_cascade_cxt = NULL;
	}
	cc_calls = NIL;
	cc_rows = NULL;
	cc_row_types = NULL;
	cc_kept_payload_bytes = 0;
}

/*
 * Has the current transaction called cascade_invalidate() or changed a
 * watched table (so that it will be audited)?
 */
bool
cc_cascade_has_activity(void)
{
	return cc_calls != NIL ||
		(cc_rows != NULL && hash_get_num_entries(cc_rows) > 0);
}

/*
 * What the current transaction reported, for the audit row.  Returns false
 * if it neither called cascade_invalidate() nor changed a watched table.
 */
bool
cc_cascade_audit_info(CCAuditInfo *info)
{
	ListCell   *lc;
	HASH_SEQ_STATUS status;
	CCWatchedRow *row;
	HTAB	   *covered;
	List	   *payloads = NIL;
	HASHCTL		ctl;
	bool		found;

	memset(info, 0, sizeof(CCAuditInfo));
	info->has_cascade = (cc_calls != NIL);
	info->has_rows = (cc_rows != NULL && hash_get_num_entries(cc_rows) > 0);
	if (!info->has_cascade && !info->has_rows)
		return false;

	/* the entities the cascades reported (also to list each entity once) */
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(char *);
	ctl.hash = cc_tag_hash;
	ctl.match = cc_tag_match;
	ctl.hcxt = CurrentMemoryContext;
	covered = hash_create("cascade_cache covered entities", 64, &ctl,
						  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
						  HASH_CONTEXT);

	foreach(lc, cc_calls)
	{
		CCCascadeCall *call = (CCCascadeCall *) lfirst(lc);
		ListCell   *lc2;

		if (call->payload != NULL)
			payloads = lappend(payloads, call->payload);
		else
			info->payloads_dropped = true;
		info->payload_bytes += call->payload_bytes;
		info->ncalls++;
		if (call->error != NULL && info->error == NULL)
			info->error = call->error;
		if (call->mutation_id != NULL && info->mutation_id == NULL)
			info->mutation_id = call->mutation_id;
		foreach(lc2, call->entities)
		{
			char	   *entity = (char *) lfirst(lc2);

			(void) hash_search(covered, &entity, HASH_ENTER, &found);
			if (!found)
				info->entities = lappend(info->entities, entity);
		}
		info->names = list_concat(info->names, call->names);
	}
	info->payloads = payloads;

	if (info->has_rows)
	{
		hash_seq_init(&status, cc_rows);
		while ((row = hash_seq_search(&status)) != NULL)
		{
			bool		reported;

			if (row->truncate)
				info->has_truncate = true;
			reported = !row->truncate &&
				hash_search(covered, &row->tag, HASH_FIND, NULL) != NULL;
			if (!reported)
				info->entities = lappend(info->entities, pstrdup(row->tag));

			/*
			 * Reconciliation: with a cascade, every changed row must have
			 * been reported in it; a TRUNCATE cannot be, as a cascade lists
			 * entities.
			 */
			if (info->has_cascade && !reported)
				info->missing = lappend(info->missing,
										row->truncate ?
										psprintf("%s (whole type)", row->tag) :
										pstrdup(row->tag));
		}
	}
	return true;
}

/* Append a copy of 's' to a list of strings unless it is there already. */
static List *
cc_append_unique(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((const char *) lfirst(lc), s) == 0)
			return list;
	return lappend(list, pstrdup(s));
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
				char **entity, char **typename, int *operation)
{
	static const char *const ops[] = {"CREATED", "UPDATED", "DELETED", NULL};
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

	*operation = with_op ? 1 : 2;
	if (with_op && (op = cc_get_key(item->val.binary.data, "operation", NULL)) != NULL)
	{
		*operation = cc_word(op, ops);
		if (*operation < 0)
			return psprintf("%s[%d].operation is not CREATED, UPDATED or DELETED", list, i);
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
 * dependency keys to *tag_deps and the name scopes to *scopes (as
 * CCPendingScopeSpec), and fills call->entities, call->names and
 * call->mutation_id.  On failure returns the reason.
 */
static char *
cc_parse_cascade(JsonbContainer *cascade, CCCascadeCall *call,
				 List **tag_deps, List **scopes)
{
	static const char *const strategies[] = {"INVALIDATE", "REFETCH", "REMOVE", NULL};
	static const char *const scope_words[] = {"EXACT", "PREFIX", "PATTERN", "ALL", NULL};
	JsonbValue *updated = cc_get_key(cascade, "updated", NULL);
	JsonbValue *deleted = cc_get_key(cascade, "deleted", NULL);
	JsonbValue *invalidations = cc_get_key(cascade, "invalidations", NULL);
	JsonbValue *metadata = cc_get_key(cascade, "metadata", NULL);
	List	   *created_types = NIL;
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
			int			operation;

			error = cc_parse_entity(item, "updated", i, true, &entity, &typename,
									&operation);
			if (error)
				return error;
			call->entities = lappend(call->entities, entity);
			if (operation == 0)
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
			int			operation;

			error = cc_parse_entity(item, "deleted", i, false, &entity, &typename,
									&operation);
			if (error)
				return error;
			call->entities = lappend(call->entities, entity);
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
			int			scope_i = 0;
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
			if (scope != NULL && (scope_i = cc_word(scope, scope_words)) < 0)
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
			spec->scope = scope_i;
			switch (scope_i)
			{
				case 0:			/* EXACT */
				case 1:			/* PREFIX */
					if (name == NULL)
						return psprintf("invalidations[%d] has no \"queryName\"", i);
					spec->text = pnstrdup(name->val.string.val, name->val.string.len);
					if (scope_i == 0 && args != NULL && args->type != jbvNull)
						spec->args = JsonbValueToJsonb(args);
					break;
				case 2:			/* PATTERN */
					if (pattern == NULL)
						pattern = name;
					if (pattern == NULL)
						return psprintf("invalidations[%d] has no \"queryPattern\"", i);
					spec->text = pnstrdup(pattern->val.string.val, pattern->val.string.len);
					break;
				default:		/* ALL */
					break;
			}
			*scopes = lappend(*scopes, spec);
			call->names = lappend(call->names,
								  psprintf("%s %s", scope_words[scope_i],
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

			spec->scope = 1;
			spec->text = psprintf("list%ss", (char *) lfirst(lc));
			*scopes = lappend(*scopes, spec);
			call->names = lappend(call->names, psprintf("PREFIX %s", spec->text));
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
	JsonbIteratorToken tok;
	bool		next_is_type = false;
	uint32		tokens = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if ((++tokens & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (tok == WJB_KEY)
			next_is_type = (v.val.string.len == 10 &&
							memcmp(v.val.string.val, "__typename", 10) == 0);
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
 * Schedules the cascade's invalidations for commit and returns how many
 * entries they match now.
 */
Datum
cascade_invalidate(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	MemoryContext oldcxt;
	CCCascadeCall *call;
	JsonbContainer *cascade;
	char	   *error = NULL;
	List	   *tag_deps = NIL;
	List	   *scopes = NIL;
	List	   *count_deps = NIL;
	bool		flush_db = false;
	uint64		matching = 0;
	ListCell   *lc;
	uint64	   *deps;
	int			ndeps;

	cc_check_loaded();
	cc_attach();

	oldcxt = MemoryContextSwitchTo(cc_cascade_memory());
	call = palloc0(sizeof(CCCascadeCall));
	call->level = GetCurrentTransactionNestLevel();
	call->payload_bytes = VARSIZE(payload);

	/* the audit keeps the transaction's payloads up to audit_max_payload */
	if (cc_kept_payload_bytes + call->payload_bytes <=
		(Size) cc_audit_max_payload_kb * 1024)
	{
		call->payload = DatumGetJsonbPCopy(PG_GETARG_DATUM(0));
		cc_kept_payload_bytes += call->payload_bytes;
	}

	if (VARSIZE(payload) > (Size) cc_cascade_max_size_kb * 1024)
		error = psprintf("the cascade is %u bytes, more than cascade_cache.cascade_max_size (%d kB)",
						 (unsigned) VARSIZE(payload), cc_cascade_max_size_kb);
	else
	{
		cascade = cc_find_cascade(payload, &error);
		if (cascade != NULL)
			error = cc_parse_cascade(cascade, call, &tag_deps, &scopes);
	}
	MemoryContextSwitchTo(oldcxt);

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
		oldcxt = MemoryContextSwitchTo(cc_cascade_memory());
		call->error = pstrdup(error);
		call->entities = NIL;
		call->names = NIL;
		if ((JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_ARRAY(payload)) &&
			!cc_collect_typenames(&payload->root, &types))
			types = NIL;		/* too many: the whole database */
		MemoryContextSwitchTo(oldcxt);

		tag_deps = NIL;
		scopes = NIL;
		oldcxt = MemoryContextSwitchTo(cc_cascade_memory());
		foreach(lc, types)
		{
			const char *t = (const char *) lfirst(lc);
			uint64	   *dep = palloc(sizeof(uint64));

			*dep = cc_dep_hash_text(CC_DEP_TYPE, MyDatabaseId, t, strlen(t));
			tag_deps = lappend(tag_deps, dep);
			call->entities = cc_append_unique(call->entities, t);
		}
		MemoryContextSwitchTo(oldcxt);
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

		switch (spec->scope)
		{
			case 0:				/* EXACT */
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
			case 1:				/* PREFIX */
			case 2:				/* PATTERN */
				{
					uint64	   *named;
					uint64		unused;
					int			n;
					int			i;

					cc_pending_add_scope(false, spec->scope == 1, spec->text);
					n = cc_names_matching(MyDatabaseId, spec->scope == 1,
										  spec->text, &named, &unused);
					for (i = 0; i < n; i++)
						count_deps = lappend(count_deps, &named[i]);
					break;
				}
			default:			/* ALL */
				flush_db = true;
				break;
		}
	}
	if (flush_db)
	{
		cc_pending_add_scope(true, false, NULL);
		matching = cc_count_database(MyDatabaseId);
	}
	else if (count_deps != NIL)
	{
		ndeps = list_length(count_deps);
		deps = palloc(sizeof(uint64) * ndeps);
		ndeps = 0;
		foreach(lc, count_deps)
			deps[ndeps++] = *(uint64 *) lfirst(lc);
		matching = cc_count_dependents(deps, ndeps);
	}

	oldcxt = MemoryContextSwitchTo(cc_cascade_memory());
	cc_calls = lappend(cc_calls, call);
	MemoryContextSwitchTo(oldcxt);

	PG_RETURN_INT32((int32) Min(matching, (uint64) PG_INT32_MAX));
}

/* ----------------------------------------------------------------
 * Watched tables
 * ----------------------------------------------------------------
 */

/*
 * Count one changed row of 'typename'.  Past CC_MAX_WATCHED_ROWS rows in
 * the transaction it is a bulk write: the whole type is invalidated
 * instead (noted again for every further row, so that the note survives
 * the rollback of the savepoint that crossed the limit), and true is
 * returned.
 */
static bool
cc_count_row(const char *typename, Oid relid)
{
	CCWatchedType *wt;
	char		key[NAMEDATALEN * 2];
	bool		found;

	if (cc_row_types == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(CCWatchedType);
		ctl.hcxt = cc_cascade_memory();
		cc_row_types = hash_create("cascade_cache watched types", 16, &ctl,
								   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	strlcpy(key, typename, sizeof(key));
	wt = hash_search(cc_row_types, key, HASH_ENTER, &found);
	if (!found)
		wt->rows = 0;
	if (++wt->rows > CC_MAX_WATCHED_ROWS)
	{
		cc_note_row(typename, NULL, true, relid);
		return true;
	}
	return false;
}

/*
 * Hash tables keyed by a string of any length, through a pointer to it
 * (the key is a char *; dynahash copies the pointer).
 */
static uint32
cc_tag_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, strlen(s));
}

static int
cc_tag_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/*
 * Record a changed row ("Type:id") or a truncated type ("Type") of relation
 * 'relid'.  The tag is kept whole: the audit's reconciliation compares
 * complete tags.
 */
static void
cc_note_row(const char *typename, const char *id, bool truncate, Oid relid)
{
	char	   *full;
	CCWatchedRow *row;
	bool		found;
	int			level = GetCurrentTransactionNestLevel();
	MemoryContext oldcxt;

	oldcxt = MemoryContextSwitchTo(cc_cascade_memory());
	full = truncate ? pstrdup(typename) : psprintf("%s:%s", typename, id);
	MemoryContextSwitchTo(oldcxt);
	cc_pending_add_dep_rel(cc_dep_hash_text(truncate ? CC_DEP_TYPE : CC_DEP_TAG,
											MyDatabaseId, full, strlen(full)),
						   relid);

	if (cc_rows == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(CCWatchedRow);
		ctl.hash = cc_tag_hash;
		ctl.match = cc_tag_match;
		ctl.hcxt = cc_cascade_memory();
		cc_rows = hash_create("cascade_cache watched rows", 64, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
							  HASH_CONTEXT);
	}
	/* the key is the pointer; the hash and comparison are of the string */
	row = hash_search(cc_rows, &full, HASH_ENTER, &found);
	if (found)
		pfree(full);
	if (!found || level < row->level)
		row->level = level;
	if (!found)
		row->truncate = truncate;
}

/*
 * The watch trigger: AFTER INSERT/UPDATE/DELETE FOR EACH ROW and AFTER
 * TRUNCATE FOR EACH STATEMENT, with arguments (typename, id column).
 */
Datum
cascade_watch_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	const char *typename;
	TupleDesc	tupdesc;
	int			attnum;
	bool		bulk;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cascade_watch_trigger() must be called as a trigger")));

	/* without the library preloaded nothing is cached: nothing to do */
	if (!cc_preloaded)
		return PointerGetDatum(NULL);

	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs != 2 || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cascade_watch_trigger() must be an AFTER trigger with two arguments"),
				 errhint("Install it with cascade_cache.cascade_watch().")));
	typename = trigger->tgargs[0];

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		cc_note_row(typename, NULL, true,
					RelationGetRelid(trigdata->tg_relation));
		/* the utility hook sees TRUNCATE, but not in an apply worker */
		if (IsLogicalWorker())
			cc_pending_add_relation(RelationGetRelid(trigdata->tg_relation));
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		return PointerGetDatum(NULL);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	attnum = SPI_fnumber(tupdesc, trigger->tgargs[1]);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("watched table \"%s\" has no column \"%s\"",
						RelationGetRelationName(trigdata->tg_relation),
						trigger->tgargs[1]),
				 errhint("Watch it again with cascade_cache.cascade_watch().")));

	bulk = cc_count_row(typename, RelationGetRelid(trigdata->tg_relation));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
		char	   *id = bulk ? NULL : SPI_getvalue(tuple, tupdesc, attnum);

		if (id != NULL)
			cc_note_row(typename, id, false,
						RelationGetRelid(trigdata->tg_relation));
		cc_precise_note_row(trigdata->tg_relation, tuple, bulk);
	}
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		char	   *id = bulk ? NULL :
		SPI_getvalue(trigdata->tg_trigtuple, tupdesc, attnum);

		if (id != NULL)
			cc_note_row(typename, id, false,
						RelationGetRelid(trigdata->tg_relation));
		cc_precise_note_row(trigdata->tg_relation, trigdata->tg_trigtuple,
							bulk);
	}
	return PointerGetDatum(NULL);
}

/*
 * The default type name of a table: "tb_" dropped, then PascalCase:
 * tb_user -> User, tb_blog_post -> BlogPost, orders -> Orders.
 */
static char *
cc_default_typename(const char *relname)
{
	StringInfoData buf;
	bool		upper = true;
	const char *p = relname;

	if (strncmp(p, "tb_", 3) == 0 && p[3] != '\0')
		p += 3;
	initStringInfo(&buf);
	for (; *p; p++)
	{
		if (*p == '_')
		{
			upper = true;
			continue;
		}
		appendStringInfoChar(&buf, upper ? pg_toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return buf.data;
}

/* The single-column primary key of 'relid', or NULL. */
static char *
cc_primary_key_column(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Oid			pkoid = RelationGetPrimaryKeyIndex(rel);
	char	   *result = NULL;

	if (OidIsValid(pkoid))
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkoid));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_index index = (Form_pg_index) GETSTRUCT(tup);

			if (index->indnkeyatts == 1 && index->indkey.values[0] > 0)
				result = get_attname(relid, index->indkey.values[0], false);
			ReleaseSysCache(tup);
		}
	}
	table_close(rel, AccessShareLock);
	return result;
}

/* Run one utility statement through SPI. */
static void
cc_spi_exec(const char *sql)
{
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "cascade_cache: could not run \"%s\"", sql);
}

/*
 * cascade_watch(tbl regclass, typename text, id_column name) RETURNS void
 *
 * Installs (or replaces) the watch triggers on the table and on every
 * inheritance child or partition.  Row triggers on a partitioned table are
 * cloned to its partitions by PostgreSQL, future ones included; TRUNCATE
 * triggers are created on every member.
 */
Datum
cascade_watch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *typename;
	char	   *idcol;
	char		relkind;
	List	   *members;
	ListCell   *lc;

	cc_check_loaded();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cascade_watch table must not be null")));
	relid = PG_GETARG_OID(0);
	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("Only tables and partitioned tables can be watched.")));

	typename = PG_ARGISNULL(1) ? cc_default_typename(get_rel_name(relid))
		: text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (typename[0] == '\0' || strlen(typename) >= NAMEDATALEN * 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cascade_watch typename must be between 1 and %d bytes",
						NAMEDATALEN * 2 - 1)));

	if (PG_ARGISNULL(2))
	{
		idcol = cc_primary_key_column(relid);
		if (idcol == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table \"%s\" has no single-column primary key",
							get_rel_name(relid)),
					 errhint("Name the id column: cascade_watch('%s', '%s', 'id_column').",
							 get_rel_name(relid), typename)));
	}
	else
	{
		idcol = NameStr(*PG_GETARG_NAME(2));
		if (get_attnum(relid, idcol) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							idcol, get_rel_name(relid))));
	}

	members = find_all_inheritors(relid, NoLock, NULL);

	SPI_connect();
	foreach(lc, members)
	{
		Oid			member = lfirst_oid(lc);
		char	   *qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(member)),
														   get_rel_name(member));
		bool		is_partition = (member != relid &&
									get_rel_relispartition(member));

		/* partitions get the row trigger by cloning from the parent */
		if (!is_partition)
		{
			cc_spi_exec(psprintf("CREATE OR REPLACE TRIGGER cascade_cache_watch "
								 "AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW "
								 "EXECUTE FUNCTION cascade_cache.cascade_watch_trigger(%s, %s)",
								 qualified, quote_literal_cstr(typename),
								 quote_literal_cstr(idcol)));
			/* also under session_replication_role = replica */
			cc_spi_exec(psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER cascade_cache_watch",
								 qualified));
		}
		cc_spi_exec(psprintf("CREATE OR REPLACE TRIGGER cascade_cache_watch_truncate "
							 "AFTER TRUNCATE ON %s FOR EACH STATEMENT "
							 "EXECUTE FUNCTION cascade_cache.cascade_watch_trigger(%s, %s)",
							 qualified, quote_literal_cstr(typename),
							 quote_literal_cstr(idcol)));
		cc_spi_exec(psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER cascade_cache_watch_truncate",
							 qualified));
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * cascade_unwatch(tbl regclass) RETURNS void: removes the watch triggers
 * from the table and its inheritance children or partitions.
 */
Datum
cascade_unwatch(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	List	   *members;
	ListCell   *lc;

	cc_check_loaded();
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	members = find_all_inheritors(relid, NoLock, NULL);
	SPI_connect();
	foreach(lc, members)
	{
		Oid			member = lfirst_oid(lc);
		char	   *qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(member)),
														   get_rel_name(member));
		bool		is_partition = (member != relid &&
									get_rel_relispartition(member));

		if (!is_partition &&
			OidIsValid(get_trigger_oid(member, "cascade_cache_watch", true)))
			cc_spi_exec(psprintf("DROP TRIGGER cascade_cache_watch ON %s",
								 qualified));
		if (OidIsValid(get_trigger_oid(member, "cascade_cache_watch_truncate", true)))
			cc_spi_exec(psprintf("DROP TRIGGER cascade_cache_watch_truncate ON %s",
								 qualified));
	}
	SPI_finish();
	PG_RETURN_VOID();
}
