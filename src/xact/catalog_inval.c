/*-------------------------------------------------------------------------
 *
 * catalog_inval.c
 *		Which committed catalog changes can change a cached result, and
 *		how much of the cache each one flushes.
 *
 * A commit's catalog changes reach us as the invalidation messages it
 * sends (xactGetCommittedInvalidationMessages()).  Relation cache messages
 * are relations whose definition changed; pending.c invalidates the
 * entries that read them.  This file judges the catalog cache messages,
 * failing closed: every one of them flushes the database's entries (for a
 * shared catalog, every database's), unless
 *
 *	- its catalog cache is on cc_unaffecting_caches: the catalog cannot
 *	  change a cached result (planner statistics, publications, foreign
 *	  servers, event triggers, ...), or every change to it also invalidates
 *	  the relcache entry of the only relation it can affect; or
 *	- it is explained: it belongs to a change known not to alter any
 *	  cached result.  The explained changes are
 *	  - a relation's own pg_class row rewritten in place of itself (same
 *		name and schema: statistics, VACUUM, TRUNCATE, GRANT, ALTER TABLE
 *		SET, row-level security, OWNER TO with its row type's rows), and
 *		its rules under their current names (a view redefined), when the
 *		commit also sends that relation's
 *		relcache message, which invalidates its readers; a relation
 *		created in this transaction is not explained (a new name can
 *		shadow another one on a search_path), nor is a rename, whose old
 *		name's message stays unexplained, nor a change of its columns
 *		(ATTNAME, ATTNUM: its row type can be used without reading it);
 *	  - objects of a temporary schema (tables, views, sequences, indexes,
 *		types with their row and array types, functions, aggregates,
 *		operators, collations, constraints, casts from temporary types,
 *		and the temporary schema itself; not casts to them from other
 *		types): no cached result can
 *		depend on them, because a fill that uses one is never stored, nor
 *		is one whose search path names another session's temporary schema
 *		(cacheability.c), and a session with a temporary schema has
 *		session-private keys (src/base/key.c).  The old names of such an object being renamed are
 *		explained before the statement runs (cc_catalog_note_utility);
 *	  - indexes and TOAST tables, whose names no cached result shows (a
 *		reg* value shown as text is not cached, cacheability.c), unless an
 *		index takes the name of a relation of another schema;
 *	  - an object the transaction created (inserted its catalog row: not one
 *		it replaced with CREATE OR REPLACE) and drops, which nobody else saw:
 *		the new copy of a table that CLUSTER, VACUUM FULL and REFRESH
 *		MATERIALIZED VIEW build and swap in, and its TOAST table's first
 *		names (noted when it is dropped, cc_explain_unseen(), and
 *		explained at commit if it is gone then);
 *	  - a new database, and VACUUM (or autovacuum) advancing this
 *		database's datfrozenxid in place;
 *	  - ALTER ROLE that changes only a password, its expiry, the
 *		connection limit or LOGIN, and CREATE ROLE without members, in a
 *		transaction that runs no other statement that could write
 *		pg_authid (an explanation covers the role, whatever changed it).
 *
 * An explanation is the (catalog cache, hash value) pair the message
 * carries, computed with GetSysCacheHashValue() from the object's catalog
 * row (catalog_explain.c): at PRE_COMMIT for objects created or altered in
 * the transaction (they are visible then), and at the time of the drop for
 * dropped ones.
 * The object access hook tells which objects the transaction created,
 * altered or dropped.  Anything that changes a catalog without telling
 * (a superuser's INSERT/UPDATE/DELETE on a catalog) flushes outright.
 *
 * Everything here is backend-local and lives in TopTransactionContext
 * until the end of the transaction.  The object access hook only records
 * (and, for drops of temporary objects, looks the object up); the verdict
 * is computed at PRE_COMMIT, where catalog access is allowed and an ERROR
 * aborts the transaction.
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
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_database.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "postmaster/autovacuum.h"
#include "storage/sinval.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "compat.h"
#include "base/key.h"
#include "xact/cacheability.h"
#include "xact/catalog_inval.h"
#include "xact/catalog_inval_int.h"

/* An object the transaction created or altered */
typedef struct CCChangedObject
{
	Oid			classid;
	Oid			objid;
	bool		created;
} CCChangedObject;

/*
 * Catalog caches whose changes cannot change a cached result: planner
 * statistics; indexes, partitioning and sequences (each change also
 * invalidates the relcache entry of its table, and sequences are never
 * cached); foreign tables, servers and user mappings (never cached);
 * event triggers, publications, subscriptions themselves (which tables
 * they write into is SUBSCRIPTIONRELMAP, which flushes), replication
 * origins, default privileges (future objects only), tablespaces, and
 * privileges on settings.  (Not pg_database: its owner is the member of
 * pg_database_owner, which can hold privileges, and its name shows in
 * current_database().)
 */
static const int cc_unaffecting_caches[] = {
	DEFACLROLENSPOBJ, EVENTTRIGGERNAME, EVENTTRIGGEROID,
	FOREIGNDATAWRAPPERNAME, FOREIGNDATAWRAPPEROID, FOREIGNSERVERNAME,
	FOREIGNSERVEROID, FOREIGNTABLEREL, INDEXRELID, PARAMETERACLNAME,
	PARAMETERACLOID, PARTRELID, PUBLICATIONNAME, PUBLICATIONNAMESPACE,
	PUBLICATIONNAMESPACEMAP, PUBLICATIONOID, PUBLICATIONREL,
	PUBLICATIONRELMAP, REPLORIGIDENT, REPLORIGNAME, SEQRELID,
	STATEXTDATASTXOID, STATEXTNAMENSP, STATEXTOID, STATRELATTINH,
	SUBSCRIPTIONNAME, SUBSCRIPTIONOID, TABLESPACEOID, USERMAPPINGOID,
	USERMAPPINGUSERSERVER
};

static object_access_hook_type prev_object_access_hook = NULL;

/* This transaction's state, in TopTransactionContext; NULL/false if none */
static List *cc_changed = NIL;	/* CCChangedObject * */
static List *cc_harmless_roles = NIL;	/* role names (char *) */
static bool cc_roles_unexplained = false;	/* another utility statement ran */
static bool cc_relnames_unexplained = false;	/* a relation was renamed */
static bool cc_database_unexplained = false;	/* a statement besides VACUUM */
static bool cc_catalog_written = false; /* DML on a catalog */
static bool cc_catalog_touched = false; /* any change noted (never undone by a
										 * rolled-back savepoint) */

/*
 * A VACUUM statement runs in this backend (across the transactions it
 * starts and commits itself): its update of pg_database.datfrozenxid is
 * explained.  Not transaction state; set and cleared around the statement.
 */
static bool cc_vacuum_running = false;

static bool cc_created_here(Oid classid, Oid objid);
static bool cc_catalog_row_inserted(Oid classid, Oid objid);
static void cc_object_access(ObjectAccessType access, Oid classId,
							 Oid objectId, int subId, void *arg);

/*
 * Install the object access hook.  Called from _PG_init.
 */
void
cc_catalog_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = cc_object_access;
}

/*
 * End of the transaction (any outcome): forget its state.  The memory went
 * with TopTransactionContext.  Cannot fail.
 */
void
cc_catalog_xact_end(void)
{
	cc_changed = NIL;
	cc_harmless_roles = NIL;
	cc_roles_unexplained = false;
	cc_relnames_unexplained = false;
	cc_database_unexplained = false;
	cc_catalog_written = false;
	cc_catalog_touched = false;
	cc_explain_reset();
}

/*
 * Has this transaction changed a catalog (created, altered or dropped an
 * object, or written a catalog by hand), even in a subtransaction rolled
 * back since?  What a kept plan's analysis found may then differ from what
 * a fresh one would: a new object can shadow another without invalidating
 * any plan (statement.c).  Cannot fail.
 */
bool
cc_catalog_changed_in_xact(void)
{
	return cc_catalog_touched;
}

/*
 * A VACUUM statement starts (true) or ends, normally or by an ERROR
 * (false).  Called from the ProcessUtility hook.  Cannot fail.
 */
void
cc_catalog_note_vacuum(bool running)
{
	cc_vacuum_running = running;
}

/*
 * The object access hook: remember what the transaction creates and
 * alters, and explain the drops of temporary objects while they can still
 * be looked up.  Every change also counts as a catalog change of the
 * session (its key, if it has a temporary schema, changes).
 */
static void
cc_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access != OAT_POST_CREATE && access != OAT_POST_ALTER &&
		access != OAT_DROP)
		return;
	if (!IsTransactionState())
		return;

	cc_catalog_touched = true;
	cc_key_note_catalog_change();

	/*
	 * A link between a child table and its inheritance parent made or removed
	 * (ALTER TABLE ... INHERIT / NO INHERIT, ATTACH / DETACH PARTITION).
	 * pg_inherits has no catalog cache, and PostgreSQL sends no message of
	 * its own when nothing else changes (NO INHERIT under a parent without
	 * columns): queries of the parent would go on reading the child, in
	 * cached results and in kept plans alike.  Announce both relations'
	 * changes the usual way, so that the commit invalidates their readers
	 * (pending.c) and plans that name them.  (A relation not visible yet was
	 * created by this very statement: its creation flushes at commit.)
	 */
	if (access == OAT_POST_ALTER && classId == InheritsRelationId)
	{
		ObjectAccessPostAlter *pa = (ObjectAccessPostAlter *) arg;

		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(objectId)))
			CacheInvalidateRelcacheByRelid(objectId);
		if (pa != NULL && OidIsValid(pa->auxiliary_id) &&
			SearchSysCacheExists1(RELOID, ObjectIdGetDatum(pa->auxiliary_id)))
			CacheInvalidateRelcacheByRelid(pa->auxiliary_id);
	}

	/*
	 * A column's event stands for its relation's, which is explained whole:
	 * as it is now for a dropped column, and as it is at commit for any
	 * column event (a dropped column is renamed).
	 */
	if (access == OAT_DROP)
	{
		if (subId == 0 && cc_created_here(classId, objectId))
			cc_explain_unseen(classId, objectId);
		else
			cc_explain_object(classId, objectId);
	}
	if (access != OAT_DROP || subId != 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
		CCChangedObject *obj = palloc(sizeof(CCChangedObject));

		obj->classid = classId;
		obj->objid = objectId;
		obj->created = false;
		cc_changed = lappend(cc_changed, obj);
		MemoryContextSwitchTo(oldcxt);

		/*
		 * Created here only if its row is new: CREATE OR REPLACE (of a
		 * function, an aggregate, a rule, a trigger, a transform, a
		 * language) and the completion of a shell type or operator update
		 * an existing row, which others have seen, and call the hook as a
		 * CREATE does.
		 */
		if (access == OAT_POST_CREATE && subId == 0)
			obj->created = cc_catalog_row_inserted(classId, objectId);
	}
}

/*
 * Is the catalog row of the object (classid, objid), as the current command
 * has left it, a row this transaction inserted, rather than a new version of
 * a row that existed before (heap_update() marks those HEAP_UPDATED)?  False,
 * failing closed, for a catalog that cannot be searched by OID.  Scans the
 * catalog with SnapshotSelf, which sees the current command's own changes
 * (the post-create hook runs before they are made visible).  Can ERROR as a
 * catalog scan does; called from the object access hook.
 */
static bool
cc_catalog_row_inserted(Oid classid, Oid objid)
{
	Relation	rel;
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		inserted = false;

	if (!is_objectclass_supported(classid) ||
		!OidIsValid(get_object_oid_index(classid)))
		return false;
	rel = table_open(classid, AccessShareLock);
	ScanKeyInit(&skey, get_object_attnum_oid(classid),
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, get_object_oid_index(classid), true,
							  SnapshotSelf, 1, &skey);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		inserted = (tuple->t_data->t_infomask & HEAP_UPDATED) == 0 &&
			TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return inserted;
}

/*
 * Did this transaction create the object (classid, objid)?  Linear in what
 * it created and altered.  Cannot fail.
 */
static bool
cc_created_here(Oid classid, Oid objid)
{
	ListCell   *lc;

	foreach(lc, cc_changed)
	{
		CCChangedObject *obj = (CCChangedObject *) lfirst(lc);

		if (obj->created && obj->classid == classid && obj->objid == objid)
			return true;
	}
	return false;
}

/*
 * Remember a role whose catalog messages this transaction may explain.
 */
static void
cc_note_harmless_role(const char *name)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);

	cc_harmless_roles = lappend(cc_harmless_roles, pstrdup(name));
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Is this ALTER ROLE known not to change a result: does it change only a
 * password, its expiry, the connection limit or LOGIN?
 */
static bool
cc_alter_role_is_harmless(AlterRoleStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		const char *opt = ((DefElem *) lfirst(lc))->defname;

		if (strcmp(opt, "password") != 0 &&
			strcmp(opt, "validUntil") != 0 &&
			strcmp(opt, "connectionlimit") != 0 &&
			strcmp(opt, "canlogin") != 0)
			return false;
	}
	return true;
}

/* Is this CREATE ROLE without members (which change what roles see)? */
static bool
cc_create_role_is_harmless(CreateRoleStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		const char *opt = ((DefElem *) lfirst(lc))->defname;

		if (strcmp(opt, "rolemembers") == 0 ||
			strcmp(opt, "addroleto") == 0 ||
			strcmp(opt, "adminmembers") == 0)
			return false;
	}
	return true;
}

static void
cc_explain_if_found(Oid classid, Oid objid)
{
	if (OidIsValid(objid))
		cc_explain_object(classid, objid);
}

/*
 * An object is about to be renamed or moved: if it is one whose changes
 * are explained (cc_explain_object()), explain the catalog messages of its
 * current names now, while they can be looked up (without locks: the
 * statement takes its own).  If it is, or may be, a relation queries name
 * (not temporary, not an index), no relation name is explained in this
 * transaction.  Can ERROR (catalog access, and the errors the statement
 * itself would raise for an ambiguous name).
 */
static void
cc_explain_before_move(ObjectType type, RangeVar *relation, Node *object)
{
	if (relation != NULL)
	{
		Oid			relid = RangeVarGetRelid(relation, NoLock, true);
		char		relkind = OidIsValid(relid) ? get_rel_relkind(relid) : '\0';

		if (!OidIsValid(relid) ||
			(get_rel_persistence(relid) != RELPERSISTENCE_TEMP &&
			 !cc_never_named(relkind)))
			cc_relnames_unexplained = true;
		if (OidIsValid(relid))
			cc_explain_object(RelationRelationId, relid);
		return;
	}
	if (object == NULL)
	{
		cc_relnames_unexplained = true;
		return;
	}
	switch (type)
	{
		case OBJECT_AGGREGATE:
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			if (IsA(object, ObjectWithArgs))
				cc_explain_if_found(ProcedureRelationId,
									LookupFuncWithArgs(type,
													   (ObjectWithArgs *) object,
													   true));
			break;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			{
				Oid			typid = InvalidOid;

				if (IsA(object, List))
					typid = LookupTypeNameOid(NULL,
											  makeTypeNameFromNameList((List *) object),
											  true);
				/* a composite type's relation is renamed with it */
				if (!OidIsValid(typid) || !cc_type_is_temporary(typid))
					cc_relnames_unexplained = true;
				cc_explain_if_found(TypeRelationId, typid);
				break;
			}
		case OBJECT_COLLATION:
			if (IsA(object, List))
				cc_explain_if_found(CollationRelationId,
									get_collation_oid((List *) object, true));
			break;
		case OBJECT_CONVERSION:
			if (IsA(object, List))
				cc_explain_if_found(ConversionRelationId,
									get_conversion_oid((List *) object, true));
			break;
		case OBJECT_TSCONFIGURATION:
			if (IsA(object, List))
				cc_explain_if_found(TSConfigRelationId,
									get_ts_config_oid((List *) object, true));
			break;
		case OBJECT_TSDICTIONARY:
			if (IsA(object, List))
				cc_explain_if_found(TSDictionaryRelationId,
									get_ts_dict_oid((List *) object, true));
			break;
		default:
			/* a schema, an extension's members, ...: relations may move */
			cc_relnames_unexplained = true;
			break;
	}
}

/*
 * A utility statement is about to run: note role changes known not to
 * alter any result, and explain the current names of temporary objects
 * about to be renamed.  Any other statement may write pg_authid (DROP
 * ROLE, ALTER ROLE ... BYPASSRLS, GRANT, RENAME, a DO block), so then no
 * role's messages are explained in this transaction: an explanation is by
 * role, and would cover the other statement's change too.  Called from
 * the ProcessUtility hook.  Can ERROR.
 */
void
cc_catalog_note_utility(Node *parsetree)
{
	/*
	 * VACUUM's datfrozenxid update is explained only in a transaction that
	 * runs no other statement (a function VACUUM ANALYZE calls could ALTER
	 * DATABASE).
	 */
	if (!IsA(parsetree, VacuumStmt) && !IsA(parsetree, TransactionStmt) &&
		!IsA(parsetree, VariableSetStmt) && !IsA(parsetree, VariableShowStmt))
		cc_database_unexplained = true;

	switch (nodeTag(parsetree))
	{
		case T_AlterRoleStmt:
			{
				AlterRoleStmt *stmt = (AlterRoleStmt *) parsetree;

				if (!cc_alter_role_is_harmless(stmt))
					cc_roles_unexplained = true;
				else if (stmt->role->roletype == ROLESPEC_CSTRING)
					cc_note_harmless_role(stmt->role->rolename);
				else
				{
					/* CURRENT_USER, SESSION_USER, CURRENT_ROLE */
					Oid			roleid = get_rolespec_oid(stmt->role, true);
					char	   *name = OidIsValid(roleid) ?
						GetUserNameFromId(roleid, true) : NULL;

					if (name != NULL)
						cc_note_harmless_role(name);
				}
				return;
			}
		case T_CreateRoleStmt:
			{
				CreateRoleStmt *stmt = (CreateRoleStmt *) parsetree;

				if (cc_create_role_is_harmless(stmt))
					cc_note_harmless_role(stmt->role);
				else
					cc_roles_unexplained = true;
				return;
			}
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
			/* known not to write any catalog */
			return;
		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) parsetree;

				cc_explain_before_move(stmt->renameType, stmt->relation,
									   stmt->object);
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;

				cc_explain_before_move(stmt->objectType, stmt->relation,
									   stmt->object);
				break;
			}
		default:
			break;
	}
	cc_roles_unexplained = true;
}

/*
 * The transaction writes into a catalog directly (a superuser's INSERT,
 * UPDATE, DELETE or COPY): nothing it changes can be explained.  Called
 * from the executor and ProcessUtility hooks.  Cannot fail.
 */
void
cc_catalog_note_catalog_write(void)
{
	cc_catalog_written = true;
	cc_catalog_touched = true;
}

/*
 * The relations this transaction created that queries can name (not
 * indexes or TOAST tables), as a set of OIDs in CurrentMemoryContext, or
 * NULL if none.
 */
static HTAB *
cc_created_relations(void)
{
	HTAB	   *created = NULL;
	ListCell   *lc;

	foreach(lc, cc_changed)
	{
		CCChangedObject *obj = (CCChangedObject *) lfirst(lc);

		if (!obj->created || obj->classid != RelationRelationId ||
			cc_never_named(get_rel_relkind(obj->objid)))
			continue;
		if (created == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(Oid);
			ctl.entrysize = sizeof(Oid);
			ctl.hcxt = CurrentMemoryContext;
			created = hash_create("cascade_cache created relations", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		(void) hash_search(created, &obj->objid, HASH_ENTER, NULL);
	}
	return created;
}

/*
 * The verdict on a committing transaction's catalog changes: which of its
 * invalidation messages flush the database (*flush_db) or every database
 * (*flush_all).  Relation cache messages are left to the caller.  Runs at
 * PRE_COMMIT: may access the catalogs, may ERROR.
 */
void
cc_catalog_commit_verdict(SharedInvalidationMessage *msgs, int nmsgs,
						  bool *flush_db, bool *flush_all)
{
	ListCell   *lc;
	HTAB	   *created;
	int			i;

	if (cc_catalog_written)
	{
		*flush_all = true;
		return;
	}

	/* objects created or altered here that exist now */
	foreach(lc, cc_changed)
	{
		CCChangedObject *obj = (CCChangedObject *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (obj->classid == DatabaseRelationId)
		{
			/* a new database: nothing is cached for it anywhere */
			if (obj->created)
				cc_explain_database(obj->objid);
			continue;
		}
		cc_explain_object(obj->classid, obj->objid);
	}
	if (!cc_roles_unexplained)
		foreach(lc, cc_harmless_roles)
			cc_explain_role((const char *) lfirst(lc));

	/* the names of objects created and dropped here that nobody else had */
	cc_explain_unseen_names();

	/* VACUUM advancing this database's datfrozenxid (in place) */
	if ((cc_vacuum_running || CC_IS_AUTOVACUUM_WORKER()) &&
		!cc_database_unexplained)
		cc_explain_database(MyDatabaseId);

	created = cc_created_relations();

	/* a relation's own row rewritten under the same name */
	for (i = 0; i < nmsgs; i++)
	{
		SharedInvalidationMessage *msg = &msgs[i];

		if (msg->id != SHAREDINVALRELCACHE_ID ||
			msg->rc.dbId != MyDatabaseId || !OidIsValid(msg->rc.relId) ||
			(created != NULL &&
			 hash_search(created, &msg->rc.relId, HASH_FIND, NULL) != NULL))
			continue;
		cc_explain_relation_row(msg->rc.relId);
	}

	for (i = 0; i < nmsgs; i++)
	{
		SharedInvalidationMessage *msg = &msgs[i];
		int			k;
		bool		unaffecting = false;

		if (msg->id == SHAREDINVALCATALOG_ID)
		{
			/* a whole catalog rewritten (VACUUM FULL, CLUSTER) */
			if (msg->cat.dbId == InvalidOid)
				*flush_all = true;
			else if (msg->cat.dbId == MyDatabaseId)
				*flush_db = true;
			continue;
		}
		if (msg->id < 0)
			continue;			/* relcache, smgr, relmap, snapshot */

		if (msg->cc.dbId != InvalidOid && msg->cc.dbId != MyDatabaseId)
			continue;
		for (k = 0; k < (int) lengthof(cc_unaffecting_caches); k++)
			if (cc_unaffecting_caches[k] == msg->cc.id)
				unaffecting = true;

		/*
		 * A relation's name is explained by name, and a relation renamed here
		 * could have left, or taken, a name another explanation covers (an
		 * index's, or another relation's that kept its own name).
		 */
		if (unaffecting)
			continue;
		if (cc_is_explained(msg->cc.id, msg->cc.hashValue) &&
			!(cc_relnames_unexplained && msg->cc.id == RELNAMENSP))
			continue;

		elog(DEBUG1, "cascade_cache: catalog cache %d message %u is not explained: flush",
			 msg->cc.id, msg->cc.hashValue);
		if (msg->cc.dbId == InvalidOid)
			*flush_all = true;
		else
			*flush_db = true;
	}
}
