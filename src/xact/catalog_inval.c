/*-------------------------------------------------------------------------
 *
 * catalog_inval.c
 *		Which committed catalog changes can change a cached result, and
 *		how much of the cache each one flushes.
 *
 * A commit's catalog changes reach us as the invalidation messages it
 * sends (xactGetCommittedInvalidationMessages()).  Relation cache messages
 * are relations whose definition changed; invalidate.c invalidates the
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
 *		SET, row-level security), and its rules under their current names
 *		(a view redefined), when the commit also sends that relation's
 *		relcache message, which invalidates its readers; a relation
 *		created in this transaction is not explained (a new name can
 *		shadow another one on a search_path), nor is a rename, whose old
 *		name's message stays unexplained, nor a change of its columns
 *		(ATTNAME, ATTNUM: its row type can be used without reading it);
 *	  - objects of a temporary schema (tables, views, sequences, indexes,
 *		types with their row and array types, functions, aggregates,
 *		operators, collations, conversions, text search configurations and
 *		dictionaries, constraints, casts of temporary types, and the
 *		temporary schema itself): no cached result can depend on them,
 *		because a fill that uses one is never stored (cacheability.c), and
 *		a session with a temporary schema has session-private keys
 *		(cache_key.c).  The old names of such an object being renamed are
 *		explained before the statement runs (cc_catalog_note_utility);
 *	  - indexes and TOAST tables, whose names no cached result shows (a
 *		reg* value shown as text is not cached, cacheability.c);
 *	  - a new database, and VACUUM (or autovacuum) advancing this
 *		database's datfrozenxid in place;
 *	  - ALTER ROLE that changes only a password, its expiry, the
 *		connection limit or LOGIN, and CREATE ROLE without members, in a
 *		transaction that runs no other statement that could write
 *		pg_authid (an explanation covers the role, whatever changed it).
 *
 * An explanation is the (catalog cache, hash value) pair the message
 * carries, computed with GetSysCacheHashValue() from the object's catalog
 * row: at PRE_COMMIT for objects created or altered in the transaction
 * (they are visible then), and at the time of the drop for dropped ones.
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
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_database.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_config_map.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "postmaster/autovacuum.h"
#include "storage/sinval.h"
#include "utils/acl.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "cascade_cache.h"

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
static HTAB *cc_explained = NULL;	/* (cache id << 32 | hash) */
static bool cc_catalog_written = false; /* DML on a catalog */

/*
 * A VACUUM statement runs in this backend (across the transactions it
 * starts and commits itself): its update of pg_database.datfrozenxid is
 * explained.  Not transaction state; set and cleared around the statement.
 */
static bool cc_vacuum_running = false;

static void cc_object_access(ObjectAccessType access, Oid classId,
							 Oid objectId, int subId, void *arg);
static void cc_explain_object(Oid classid, Oid objid);
static void cc_explain_linked(Oid classid, Oid objid, bool follow);
static bool cc_never_named(char relkind);
static void cc_explain(int cacheid, uint32 hashvalue);
static bool cc_is_explained(int cacheid, uint32 hashvalue);

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
	cc_explained = NULL;
	cc_catalog_written = false;
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
	if (!cc_preloaded || !IsTransactionState())
		return;

	cc_key_note_catalog_change();

	/*
	 * A column's event stands for its relation's, which is explained whole:
	 * as it is now for a dropped column, and as it is at commit for any
	 * column event (a dropped column is renamed).
	 */
	if (access == OAT_DROP)
		cc_explain_object(classId, objectId);
	if (access != OAT_DROP || subId != 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
		CCChangedObject *obj = palloc(sizeof(CCChangedObject));

		obj->classid = classId;
		obj->objid = objectId;
		obj->created = (access == OAT_POST_CREATE && subId == 0);
		cc_changed = lappend(cc_changed, obj);
		MemoryContextSwitchTo(oldcxt);
	}
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
 * UPDATE, DELETE or COPY): nothing it changes can be explained.
 */
void
cc_catalog_note_catalog_write(void)
{
	cc_catalog_written = true;
}

/* ----------------------------------------------------------------
 * Explanations
 * ----------------------------------------------------------------
 */

static void
cc_explain(int cacheid, uint32 hashvalue)
{
	uint64		key = ((uint64) (uint32) cacheid << 32) | hashvalue;

	if (cc_explained == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(uint64);
		ctl.hcxt = TopTransactionContext;
		cc_explained = hash_create("cascade_cache explained catalog changes",
								   64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(cc_explained, &key, HASH_ENTER, NULL);
}

static bool
cc_is_explained(int cacheid, uint32 hashvalue)
{
	uint64		key = ((uint64) (uint32) cacheid << 32) | hashvalue;

	return cc_explained != NULL &&
		hash_search(cc_explained, &key, HASH_FIND, NULL) != NULL;
}

/* Explain every member of a catalog cache list (its rows' own keys). */
static void
cc_explain_list(int listcache, Oid key1, void (*each) (HeapTuple tuple))
{
	CatCList   *list = SearchSysCacheList1(listcache, ObjectIdGetDatum(key1));
	int			i;

	for (i = 0; i < list->n_members; i++)
		each(&list->members[i]->tuple);
	ReleaseSysCacheList(list);
}

static void
cc_explain_attribute(HeapTuple tuple)
{
	Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tuple);

	cc_explain(ATTNUM, GetSysCacheHashValue2(ATTNUM,
											 ObjectIdGetDatum(att->attrelid),
											 Int16GetDatum(att->attnum)));
	cc_explain(ATTNAME, GetSysCacheHashValue2(ATTNAME,
											  ObjectIdGetDatum(att->attrelid),
											  NameGetDatum(&att->attname)));
}

static void
cc_explain_rule(HeapTuple tuple)
{
	Form_pg_rewrite rule = (Form_pg_rewrite) GETSTRUCT(tuple);

	cc_explain(RULERELNAME, GetSysCacheHashValue2(RULERELNAME,
												  ObjectIdGetDatum(rule->ev_class),
												  NameGetDatum(&rule->rulename)));
}

static void
cc_explain_enum(HeapTuple tuple)
{
	Form_pg_enum e = (Form_pg_enum) GETSTRUCT(tuple);

	cc_explain(ENUMOID, GetSysCacheHashValue1(ENUMOID,
											  ObjectIdGetDatum(e->oid)));
	cc_explain(ENUMTYPOIDNAME, GetSysCacheHashValue2(ENUMTYPOIDNAME,
													 ObjectIdGetDatum(e->enumtypid),
													 NameGetDatum(&e->enumlabel)));
}

static void
cc_explain_ts_map(HeapTuple tuple)
{
	Form_pg_ts_config_map map = (Form_pg_ts_config_map) GETSTRUCT(tuple);

	cc_explain(TSCONFIGMAP, GetSysCacheHashValue3(TSCONFIGMAP,
												  ObjectIdGetDatum(map->mapcfg),
												  Int32GetDatum(map->maptokentype),
												  Int32GetDatum(map->mapseqno)));
}

/* Look a row of a catalog without a catalog cache up by its OID. */
static HeapTuple
cc_catalog_row(Oid catalog, Oid index, AttrNumber oidcol, Oid objid)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;

	ScanKeyInit(&key, oidcol, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		tuple = heap_copytuple(tuple);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return tuple;
}

/* An index or a TOAST table: a relation no query names or reads as such. */
static bool
cc_never_named(char relkind)
{
	return relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX ||
		relkind == RELKIND_TOASTVALUE;
}

/*
 * If the object lives in a temporary schema (or is an index or a TOAST
 * table, whose names and columns no result shows), explain the catalog
 * cache messages its creation, change or drop sends.  Objects of other
 * kinds, and objects that no longer exist, are left unexplained.  Can
 * ERROR (catalog access).
 */
static void
cc_explain_object(Oid classid, Oid objid)
{
	cc_explain_linked(classid, objid, true);
}

/*
 * cc_explain_object(), and if 'follow', the objects renamed together with
 * it (a relation's row type, a composite type's relation).
 */
static void
cc_explain_linked(Oid classid, Oid objid, bool follow)
{
	HeapTuple	tuple;

	switch (classid)
	{
		case RelationRelationId:
			tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_class rel = (Form_pg_class) GETSTRUCT(tuple);

				if (rel->relpersistence == RELPERSISTENCE_TEMP ||
					cc_never_named(rel->relkind))
				{
					cc_explain(RELOID, GetSysCacheHashValue1(RELOID,
															 ObjectIdGetDatum(objid)));
					cc_explain(RELNAMENSP, GetSysCacheHashValue2(RELNAMENSP,
																 NameGetDatum(&rel->relname),
																 ObjectIdGetDatum(rel->relnamespace)));
					cc_explain_list(ATTNUM, objid, cc_explain_attribute);
					cc_explain_list(RULERELNAME, objid, cc_explain_rule);
					/* its row type, renamed with it */
					if (OidIsValid(rel->reltype) && follow)
						cc_explain_linked(TypeRelationId, rel->reltype, false);
				}
				ReleaseSysCache(tuple);
			}
			break;

		case TypeRelationId:
			tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_type typ = (Form_pg_type) GETSTRUCT(tuple);

				if (isAnyTempNamespace(typ->typnamespace))
				{
					cc_explain(TYPEOID, GetSysCacheHashValue1(TYPEOID,
															  ObjectIdGetDatum(objid)));
					cc_explain(TYPENAMENSP, GetSysCacheHashValue2(TYPENAMENSP,
																  NameGetDatum(&typ->typname),
																  ObjectIdGetDatum(typ->typnamespace)));
					/* its array type, and a composite's relation */
					if (OidIsValid(typ->typarray))
						cc_explain_linked(TypeRelationId, typ->typarray, false);
					if (OidIsValid(typ->typrelid) && follow)
						cc_explain_linked(RelationRelationId, typ->typrelid,
										  false);
					if (typ->typtype == TYPTYPE_ENUM)
						cc_explain_list(ENUMTYPOIDNAME, objid, cc_explain_enum);
					if (typ->typtype == TYPTYPE_RANGE)
					{
						cc_explain(RANGETYPE, GetSysCacheHashValue1(RANGETYPE,
																	ObjectIdGetDatum(objid)));
						cc_explain(RANGEMULTIRANGE,
								   GetSysCacheHashValue1(RANGEMULTIRANGE,
														 ObjectIdGetDatum(get_range_multirange(objid))));
					}
				}
				ReleaseSysCache(tuple);
			}
			break;

		case ProcedureRelationId:
			tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);

				if (isAnyTempNamespace(proc->pronamespace))
				{
					cc_explain(PROCOID, GetSysCacheHashValue1(PROCOID,
															  ObjectIdGetDatum(objid)));
					cc_explain(PROCNAMEARGSNSP,
							   GetSysCacheHashValue3(PROCNAMEARGSNSP,
													 NameGetDatum(&proc->proname),
													 PointerGetDatum(&proc->proargtypes),
													 ObjectIdGetDatum(proc->pronamespace)));
					if (proc->prokind == PROKIND_AGGREGATE)
						cc_explain(AGGFNOID, GetSysCacheHashValue1(AGGFNOID,
																   ObjectIdGetDatum(objid)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case OperatorRelationId:
			tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tuple);

				if (isAnyTempNamespace(op->oprnamespace))
				{
					cc_explain(OPEROID, GetSysCacheHashValue1(OPEROID,
															  ObjectIdGetDatum(objid)));
					cc_explain(OPERNAMENSP,
							   GetSysCacheHashValue4(OPERNAMENSP,
													 NameGetDatum(&op->oprname),
													 ObjectIdGetDatum(op->oprleft),
													 ObjectIdGetDatum(op->oprright),
													 ObjectIdGetDatum(op->oprnamespace)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case ConstraintRelationId:
			tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

				if (isAnyTempNamespace(con->connamespace))
					cc_explain(CONSTROID, GetSysCacheHashValue1(CONSTROID,
																ObjectIdGetDatum(objid)));
				ReleaseSysCache(tuple);
			}
			break;

		case NamespaceRelationId:
			tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tuple);

				/* a session's pg_temp_N and pg_toast_temp_N */
				if (isTempOrTempToastNamespace(objid) ||
					strncmp(NameStr(nsp->nspname), "pg_temp_", 8) == 0 ||
					strncmp(NameStr(nsp->nspname), "pg_toast_temp_", 14) == 0)
				{
					cc_explain(NAMESPACEOID, GetSysCacheHashValue1(NAMESPACEOID,
																   ObjectIdGetDatum(objid)));
					cc_explain(NAMESPACENAME, GetSysCacheHashValue1(NAMESPACENAME,
																	NameGetDatum(&nsp->nspname)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case CollationRelationId:
			tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_collation coll = (Form_pg_collation) GETSTRUCT(tuple);

				if (isAnyTempNamespace(coll->collnamespace))
				{
					cc_explain(COLLOID, GetSysCacheHashValue1(COLLOID,
															  ObjectIdGetDatum(objid)));
					cc_explain(COLLNAMEENCNSP,
							   GetSysCacheHashValue3(COLLNAMEENCNSP,
													 NameGetDatum(&coll->collname),
													 Int32GetDatum(coll->collencoding),
													 ObjectIdGetDatum(coll->collnamespace)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case ConversionRelationId:
			tuple = SearchSysCache1(CONVOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_conversion conv = (Form_pg_conversion) GETSTRUCT(tuple);

				if (isAnyTempNamespace(conv->connamespace))
				{
					cc_explain(CONVOID, GetSysCacheHashValue1(CONVOID,
															  ObjectIdGetDatum(objid)));
					cc_explain(CONNAMENSP,
							   GetSysCacheHashValue2(CONNAMENSP,
													 NameGetDatum(&conv->conname),
													 ObjectIdGetDatum(conv->connamespace)));
					cc_explain(CONDEFAULT,
							   GetSysCacheHashValue4(CONDEFAULT,
													 ObjectIdGetDatum(conv->connamespace),
													 Int32GetDatum(conv->conforencoding),
													 Int32GetDatum(conv->contoencoding),
													 ObjectIdGetDatum(objid)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case TSConfigRelationId:
			tuple = SearchSysCache1(TSCONFIGOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_ts_config cfg = (Form_pg_ts_config) GETSTRUCT(tuple);

				if (isAnyTempNamespace(cfg->cfgnamespace))
				{
					cc_explain(TSCONFIGOID, GetSysCacheHashValue1(TSCONFIGOID,
																  ObjectIdGetDatum(objid)));
					cc_explain(TSCONFIGNAMENSP,
							   GetSysCacheHashValue2(TSCONFIGNAMENSP,
													 NameGetDatum(&cfg->cfgname),
													 ObjectIdGetDatum(cfg->cfgnamespace)));
					/* its mappings as they are now; dropped ones flush */
					cc_explain_list(TSCONFIGMAP, objid, cc_explain_ts_map);
				}
				ReleaseSysCache(tuple);
			}
			break;

		case TSDictionaryRelationId:
			tuple = SearchSysCache1(TSDICTOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_ts_dict dict = (Form_pg_ts_dict) GETSTRUCT(tuple);

				if (isAnyTempNamespace(dict->dictnamespace))
				{
					cc_explain(TSDICTOID, GetSysCacheHashValue1(TSDICTOID,
																ObjectIdGetDatum(objid)));
					cc_explain(TSDICTNAMENSP,
							   GetSysCacheHashValue2(TSDICTNAMENSP,
													 NameGetDatum(&dict->dictname),
													 ObjectIdGetDatum(dict->dictnamespace)));
				}
				ReleaseSysCache(tuple);
			}
			break;

		case CastRelationId:
			tuple = cc_catalog_row(CastRelationId, CastOidIndexId,
								   Anum_pg_cast_oid, objid);
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_cast cast = (Form_pg_cast) GETSTRUCT(tuple);

				/* a cast of a temporary type goes with the type */
				if (cc_type_is_temporary(cast->castsource) ||
					cc_type_is_temporary(cast->casttarget))
					cc_explain(CASTSOURCETARGET,
							   GetSysCacheHashValue2(CASTSOURCETARGET,
													 ObjectIdGetDatum(cast->castsource),
													 ObjectIdGetDatum(cast->casttarget)));
				heap_freetuple(tuple);
			}
			break;

		case RewriteRelationId:
			tuple = cc_catalog_row(RewriteRelationId, RewriteOidIndexId,
								   Anum_pg_rewrite_oid, objid);
			if (HeapTupleIsValid(tuple))
			{
				if (get_rel_persistence(((Form_pg_rewrite) GETSTRUCT(tuple))->ev_class) ==
					RELPERSISTENCE_TEMP)
					cc_explain_rule(tuple);
				heap_freetuple(tuple);
			}
			break;

		default:
			break;
	}
}

/* Explain the pg_authid messages of a role, by name. */
static void
cc_explain_role(const char *name)
{
	HeapTuple	tuple = SearchSysCache1(AUTHNAME, CStringGetDatum(name));

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_authid role = (Form_pg_authid) GETSTRUCT(tuple);

		cc_explain(AUTHOID, GetSysCacheHashValue1(AUTHOID,
												  ObjectIdGetDatum(role->oid)));
		cc_explain(AUTHNAME, GetSysCacheHashValue1(AUTHNAME,
												   NameGetDatum(&role->rolname)));
		ReleaseSysCache(tuple);
	}
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
				cc_explain(DATABASEOID, GetSysCacheHashValue1(DATABASEOID,
															  ObjectIdGetDatum(obj->objid)));
			continue;
		}
		cc_explain_object(obj->classid, obj->objid);
	}
	if (!cc_roles_unexplained)
		foreach(lc, cc_harmless_roles)
			cc_explain_role((const char *) lfirst(lc));

	/* VACUUM advancing this database's datfrozenxid (in place) */
	if ((cc_vacuum_running || IsAutoVacuumWorkerProcess()) &&
		!cc_database_unexplained)
		cc_explain(DATABASEOID, GetSysCacheHashValue1(DATABASEOID,
													  ObjectIdGetDatum(MyDatabaseId)));

	created = cc_created_relations();

	/* a relation's own row rewritten under the same name */
	for (i = 0; i < nmsgs; i++)
	{
		SharedInvalidationMessage *msg = &msgs[i];
		HeapTuple	tuple;

		if (msg->id != SHAREDINVALRELCACHE_ID ||
			msg->rc.dbId != MyDatabaseId || !OidIsValid(msg->rc.relId) ||
			(created != NULL &&
			 hash_search(created, &msg->rc.relId, HASH_FIND, NULL) != NULL))
			continue;
		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(msg->rc.relId));
		if (HeapTupleIsValid(tuple))
		{
			Form_pg_class rel = (Form_pg_class) GETSTRUCT(tuple);

			cc_explain(RELOID, GetSysCacheHashValue1(RELOID,
													 ObjectIdGetDatum(msg->rc.relId)));
			cc_explain(RELNAMENSP, GetSysCacheHashValue2(RELNAMENSP,
														 NameGetDatum(&rel->relname),
														 ObjectIdGetDatum(rel->relnamespace)));
			ReleaseSysCache(tuple);
			/* a view redefined: its readers depend on it already */
			cc_explain_list(RULERELNAME, msg->rc.relId, cc_explain_rule);
		}
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
		 * A relation's name is explained by name, and a relation renamed
		 * here could have left, or taken, a name another explanation covers
		 * (an index's, or another relation's that kept its own name).
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
