/*-------------------------------------------------------------------------
 *
 * cacheability.c
 *		Deciding whether a query's result may be stored, and why not.
 *
 * Two checks run on a miss:
 *
 *	cc_check_query() walks the analyzed and rewritten query (views are
 *	expanded by then, and row-level security quals are attached to the range
 *	table) for row locking and for functions whose result can change
 *	without any committed write: every VOLATILE function, the clock
 *	(now(), CURRENT_DATE, ...), and STABLE built-ins that read the session
 *	or the catalogs (pg_backend_pid(), has_table_privilege(), to_regclass(),
 *	current_setting() of a setting that is not part of the key, ...).
 *	User-defined STABLE functions are trusted to do what STABLE promises:
 *	to depend only on the database and the settings.
 *
 *	cc_check_relation() classifies each relation the executor opens while
 *	the result is computed (including relations read inside functions):
 *	temporary tables, system catalogs, foreign tables and sequences are
 *	never cached; tables with row-level security only when
 *	cascade_cache.key_settings is set; tables a logical replication
 *	subscription writes into (or partitions of one) only when they are
 *	watched with both watch triggers enabled ALWAYS, because the apply
 *	worker's writes pass none of the executor hooks (invalidate.c) and
 *	only those triggers see them.
 *
 * Function verdicts are cached per backend and forgotten whenever pg_proc
 * changes; which relations are subscription targets, whenever
 * pg_subscription_rel changes.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_subscription_rel.h"
#include "commands/trigger.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cascade_cache.h"

/* Verdicts on a function */
#define CC_FUNC_OK			1
#define CC_FUNC_VOLATILE	2
#define CC_FUNC_SESSION		3

typedef struct CCFuncVerdict
{
	Oid			funcid;			/* hash key */
	int			verdict;
} CCFuncVerdict;

static HTAB *cc_func_verdicts = NULL;

/* relid -> is it a subscription's target?  Forgotten when that changes. */
typedef struct CCSubscribedRel
{
	Oid			relid;
	bool		subscribed;
} CCSubscribedRel;

static HTAB *cc_subscribed_rels = NULL;

/*
 * STABLE built-ins in pg_catalog whose result depends on the clock, the
 * session or the catalogs rather than on table data and keyed settings.
 * Matched by name; "prefix*" and "*suffix" patterns are allowed.
 */
static const char *const cc_session_functions[] = {
	"now", "statement_timestamp", "transaction_timestamp", "age",
	"pg_backend_pid", "inet_client_addr", "inet_client_port",
	"inet_server_addr", "inet_server_port", "pg_trigger_depth",
	"pg_current_xact_id_if_assigned", "txid_current_if_assigned",
	"pg_my_temp_schema", "pg_is_other_temp_schema",
	"pg_postmaster_start_time", "pg_conf_load_time", "pg_current_snapshot",
	"txid_current_snapshot", "pg_jit_available", "pg_has_role",
	"row_security_active", "pg_notification_queue_usage", "txid_current",
	"pg_current_xact_id",
	"pg_listening_channels", "pg_blocking_pids", "pg_safe_snapshot_blocking_pids",
	"pg_is_in_backup", "pg_backup_start_time",
	"has_*", "to_reg*", "pg_get_*", "*_is_visible", "pg_stat_*",
	"pg_relation_*", "pg_*_size", "pg_size_*", "pg_describe_object",
	"pg_identify_object*", "format_type", "pg_settings_get_flags",
	NULL
};

typedef struct CCQueryCheck
{
	CCBypassReason reason;
} CCQueryCheck;

static bool cc_query_walker(Node *node, CCQueryCheck *ctx);
static bool cc_function_checker(Oid funcid, void *context);
static int	cc_function_verdict(Oid funcid);
static bool cc_name_matches(const char *name, const char *pattern);
static void cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cc_subscription_callback(Datum arg, int cacheid, uint32 hashvalue);
static bool cc_unwatched_subscription_target(Oid relid);

/*
 * Register the invalidation callbacks.  Called from _PG_init.
 */
void
cc_cacheability_init(void)
{
	CacheRegisterSyscacheCallback(PROCOID, cc_proc_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(SUBSCRIPTIONRELMAP,
								  cc_subscription_callback, (Datum) 0);
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

static void
cc_proc_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (cc_func_verdicts != NULL)
	{
		hash_destroy(cc_func_verdicts);
		cc_func_verdicts = NULL;
	}
}

/*
 * Check an analyzed, rewritten SELECT.  Returns CC_BYPASS_NONE if nothing
 * in it prevents caching, else the first reason found.
 */
CCBypassReason
cc_check_query(Query *query)
{
	CCQueryCheck ctx;

	ctx.reason = CC_BYPASS_NONE;
	(void) cc_query_walker((Node *) query, &ctx);
	return ctx.reason;
}

static bool
cc_query_walker(Node *node, CCQueryCheck *ctx)
{
	if (node == NULL)
		return false;

	if (IsA(node, Query))
	{
		Query	   *query = (Query *) node;
		ListCell   *lc;

		if (query->rowMarks != NIL)
		{
			ctx->reason = CC_BYPASS_LOCKING;
			return true;
		}

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

	if (IsA(node, SQLValueFunction))
	{
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
				ctx->reason = CC_BYPASS_SESSION_FUNCTION;
				return true;
			default:
				/* current_user, current_schema, ...: part of the key */
				break;
		}
	}

	if (IsA(node, NextValueExpr))
	{
		ctx->reason = CC_BYPASS_VOLATILE_FUNCTION;
		return true;
	}

	/*
	 * current_setting(name) is fine when the setting is part of the key; a
	 * constant name is the only one we can judge.
	 */
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *fexpr = (FuncExpr *) node;

		if (fexpr->funcid == F_CURRENT_SETTING_TEXT ||
			fexpr->funcid == F_CURRENT_SETTING_TEXT_BOOL)
		{
			Node	   *arg = (Node *) linitial(fexpr->args);

			if (IsA(arg, Const) && !((Const *) arg)->constisnull &&
				cc_is_key_setting(TextDatumGetCString(((Const *) arg)->constvalue)))
				return expression_tree_walker(node, cc_query_walker,
											  (void *) ctx);
			ctx->reason = CC_BYPASS_SESSION_FUNCTION;
			return true;
		}
	}

	if (check_functions_in_node(node, cc_function_checker, (void *) ctx))
		return true;

	return expression_tree_walker(node, cc_query_walker, (void *) ctx);
}

static bool
cc_function_checker(Oid funcid, void *context)
{
	CCQueryCheck *ctx = (CCQueryCheck *) context;

	switch (cc_function_verdict(funcid))
	{
		case CC_FUNC_VOLATILE:
			ctx->reason = CC_BYPASS_VOLATILE_FUNCTION;
			return true;
		case CC_FUNC_SESSION:
			ctx->reason = CC_BYPASS_SESSION_FUNCTION;
			return true;
		default:
			return false;
	}
}

/*
 * The verdict on one function, from the per-backend cache or pg_proc.
 */
static int
cc_function_verdict(Oid funcid)
{
	CCFuncVerdict *v;
	bool		found;
	HeapTuple	tuple;
	Form_pg_proc proc;
	int			verdict = CC_FUNC_OK;

	if (cc_func_verdicts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CCFuncVerdict);
		ctl.hcxt = CacheMemoryContext;
		cc_func_verdicts = hash_create("cascade_cache function verdicts", 256,
									   &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	v = hash_search(cc_func_verdicts, &funcid, HASH_FIND, NULL);
	if (v != NULL)
		return v->verdict;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	proc = (Form_pg_proc) GETSTRUCT(tuple);

	if (proc->provolatile == PROVOLATILE_VOLATILE)
		verdict = CC_FUNC_VOLATILE;
	else if (proc->provolatile == PROVOLATILE_STABLE &&
			 proc->pronamespace == PG_CATALOG_NAMESPACE)
	{
		const char *name = NameStr(proc->proname);
		int			i;

		for (i = 0; cc_session_functions[i] != NULL; i++)
		{
			if (cc_name_matches(name, cc_session_functions[i]))
			{
				verdict = CC_FUNC_SESSION;
				break;
			}
		}
	}
	ReleaseSysCache(tuple);

	/* the callback may have destroyed the table during the lookup */
	if (cc_func_verdicts != NULL)
	{
		v = hash_search(cc_func_verdicts, &funcid, HASH_ENTER, &found);
		v->verdict = verdict;
	}
	return verdict;
}

/* Match a name against "exact", "prefix*" or "*suffix". */
static bool
cc_name_matches(const char *name, const char *pattern)
{
	size_t		plen = strlen(pattern);
	size_t		nlen = strlen(name);

	if (plen > 0 && pattern[plen - 1] == '*')
		return strncmp(name, pattern, plen - 1) == 0;
	if (plen > 0 && pattern[0] == '*')
		return nlen >= plen - 1 &&
			strcmp(name + nlen - (plen - 1), pattern + 1) == 0;
	return strcmp(name, pattern) == 0;
}

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
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CCSubscribedRel);
		ctl.hcxt = TopMemoryContext;
		cc_subscribed_rels = hash_create("cascade_cache subscribed relations",
										 64, &ctl,
										 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
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
