/*-------------------------------------------------------------------------
 *
 * cacheability_rel.c
 *		Which relations a cached result may read, and which triggers
 *		watch a relation.
 *
 * cc_check_relation() classifies a relation that a fill reads (the query
 * check of cacheability.c calls it for the statement's range table, and
 * precise_fill.c for every plan the fill starts, including plans run
 * inside functions).  Not cached, failing closed:
 *
 *	- foreign tables and sequences: their contents change without any
 *	  write we see;
 *	- the system catalogs and TOAST tables (any relation with an OID below
 *	  FirstNormalObjectId, or in pg_catalog or a TOAST schema): catalog
 *	  changes are judged at commit by catalog_inval.c, not row by row;
 *	- temporary tables: another session's pg_temp.t is another table;
 *	- tables with row-level security, unless cascade_cache.key_settings
 *	  is set (the policy can read a setting that is then in the key;
 *	  cacheability.c checks the policies themselves before storing);
 *	- tables a logical replication subscription writes into (itself, or a
 *	  partitioned table above it) without watch triggers that fire in the
 *	  apply worker: the apply worker's writes run no executor hook.
 *
 * Known NOT to matter: a relation dropped while it is being classified
 * (the fill's lock would have stopped that) is left to the executor.
 *
 * The watch triggers are recognized here (cc_is_complete_watch_trigger()):
 * this file needs them for subscription targets, and precise invalidation
 * (precise.c) for its eligibility.
 *
 * Which relations are subscription targets is cached per backend in
 * cc_subscribed_rels (TopMemoryContext) and forgotten whenever
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
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_subscription_rel.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/cacheability_int.h"

/* The names cascade_watch() gives the watch triggers it creates */
#define CC_WATCH_ROW_TRIGGER		"cascade_cache_watch"
#define CC_WATCH_TRUNCATE_TRIGGER	"cascade_cache_watch_truncate"
#define CC_WATCH_FUNCTION			"cascade_watch_trigger"

/* Initial size of the per-backend table of subscription targets */
#define CC_REL_SUBSCRIBED_INITIAL	64

/* relid -> is it a subscription's target?  Forgotten when that changes. */
typedef struct CCSubscribedRel
{
	Oid			relid;			/* hash key */
	bool		subscribed;
} CCSubscribedRel;

static HTAB *cc_subscribed_rels = NULL;

static void cc_rel_subscription_callback(Datum arg, int cacheid,
										 uint32 hashvalue);
static bool cc_rel_unwatched_subscription_target(Oid relid);
static bool cc_rel_is_watch_function(Oid tgfoid);

/*
 * Register the invalidation callback of the subscription targets.  Called
 * once, by cc_cacheability_init().
 */
void
cc_rel_init(void)
{
	CacheRegisterSyscacheCallback(SUBSCRIPTIONRELMAP,
								  cc_rel_subscription_callback, (Datum) 0);
}

/* pg_subscription_rel changed: forget every subscription target. */
static void
cc_rel_subscription_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (cc_subscribed_rels != NULL)
	{
		hash_destroy(cc_subscribed_rels);
		cc_subscribed_rels = NULL;
	}
}

/*
 * Classify one relation read while computing a result: CC_BYPASS_NONE if a
 * result may depend on it, else the reason not (see the header comment).
 * Can ERROR (catalog access); takes and releases AccessShareLock on
 * pg_subscription_rel when the answer is not cached.
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
		return CC_BYPASS_NONE;	/* dropped meanwhile; the lock stops that */
	cls = (Form_pg_class) GETSTRUCT(tuple);

	if (cls->relpersistence == RELPERSISTENCE_TEMP)
		reason = CC_BYPASS_TEMPORARY_TABLE;
	else if (cls->relnamespace == PG_CATALOG_NAMESPACE ||
			 IsToastNamespace(cls->relnamespace))
		reason = CC_BYPASS_SYSTEM_CATALOG;
	else if (cls->relrowsecurity && !cc_have_key_settings())
		reason = CC_BYPASS_ROW_LEVEL_SECURITY;
	ReleaseSysCache(tuple);

	if (reason == CC_BYPASS_NONE && cc_rel_unwatched_subscription_target(relid))
		reason = CC_BYPASS_SUBSCRIBED_TABLE;

	return reason;
}

/*
 * Does a subscription write into 'relid' itself?  Cached per backend.  Can
 * ERROR (catalog access).
 */
static bool
cc_rel_is_subscribed(Oid relid)
{
	CCSubscribedRel *entry;
	Relation	catalog;
	SysScanDesc scan;
	ScanKeyData key;
	bool		subscribed;

	if (cc_subscribed_rels == NULL)
		cc_subscribed_rels = cc_oid_table("cascade_cache subscribed relations",
										  sizeof(CCSubscribedRel),
										  CC_REL_SUBSCRIBED_INITIAL,
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
cc_rel_watched_always(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	TriggerDesc *trigdesc;
	bool		rows = false;
	bool		truncate = false;
	int			i;

	if (!RelationIsValid(rel))
		return false;

	/*
	 * A copy: cc_is_complete_watch_trigger() looks the function up, which can
	 * process invalidations and rebuild the relcache entry, freeing its
	 * trigdesc (see cc_relinfo_build() in precise.c).
	 */
	trigdesc = CopyTriggerDesc(rel->trigdesc);
	RelationClose(rel);
	for (i = 0; trigdesc != NULL && i < trigdesc->numtriggers; i++)
	{
		Trigger    *trig = &trigdesc->triggers[i];

		if (trig->tgenabled != TRIGGER_FIRES_ALWAYS)
			continue;
		if (cc_is_complete_watch_trigger(trig, false))
			rows = true;
		else if (cc_is_complete_watch_trigger(trig, true))
			truncate = true;
	}
	if (trigdesc != NULL)
		FreeTriggerDesc(trigdesc);
	return rows && truncate;
}

/*
 * Is 'relid' written by a logical replication subscription (itself, or a
 * partitioned table above it) without watch triggers that would see those
 * writes?  Such a relation is not cached.
 */
static bool
cc_rel_unwatched_subscription_target(Oid relid)
{
	List	   *ancestors = NIL;
	ListCell   *lc;

	if (cc_rel_is_subscribed(relid))
		return !cc_rel_watched_always(relid);
	if (get_rel_relispartition(relid))
		ancestors = get_partition_ancestors(relid);
	foreach(lc, ancestors)
	{
		/* rows routed through a subscribed parent land in this partition */
		if (cc_rel_is_subscribed(lfirst_oid(lc)))
			return !cc_rel_watched_always(relid);
	}
	return false;
}

/*
 * Is 't' cascade_watch()'s row trigger ('truncate': its TRUNCATE trigger),
 * complete: AFTER, for INSERT, UPDATE and DELETE (or TRUNCATE), without a
 * column list or WHEN clause, calling cascade_watch_trigger()?  Whether it
 * is enabled is the caller's business.  Can ERROR (catalog access); the
 * lookup can process invalidations, so 't' must not point into a relcache
 * entry (a rebuild frees its trigdesc): pass a copy (CopyTriggerDesc()).
 */
bool
cc_is_complete_watch_trigger(const Trigger *t, bool truncate)
{
	if (!TRIGGER_FOR_AFTER(t->tgtype) || t->tgnattr != 0 || t->tgqual != NULL)
		return false;
	if (truncate)
	{
		if (strcmp(t->tgname, CC_WATCH_TRUNCATE_TRIGGER) != 0 ||
			!TRIGGER_FOR_TRUNCATE(t->tgtype))
			return false;
	}
	else if (strcmp(t->tgname, CC_WATCH_ROW_TRIGGER) != 0 ||
			 !TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_INSERT(t->tgtype) ||
			 !TRIGGER_FOR_UPDATE(t->tgtype) || !TRIGGER_FOR_DELETE(t->tgtype))
		return false;
	return cc_rel_is_watch_function(t->tgfoid);
}

/* Is 'tgfoid' cascade_cache.cascade_watch_trigger()? */
static bool
cc_rel_is_watch_function(Oid tgfoid)
{
	HeapTuple	tup;
	bool		result = false;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(tgfoid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
		char	   *nspname = get_namespace_name(proc->pronamespace);

		result = strcmp(NameStr(proc->proname), CC_WATCH_FUNCTION) == 0 &&
			nspname != NULL && strcmp(nspname, CC_SCHEMA_NAME) == 0;
		ReleaseSysCache(tup);
	}
	return result;
}
