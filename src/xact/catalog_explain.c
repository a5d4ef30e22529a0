/*-------------------------------------------------------------------------
 *
 * catalog_explain.c
 *		Explanations: the catalog cache messages that a change known not to
 *		alter any cached result sends.
 *
 * catalog_inval.c judges a committing transaction's catalog cache
 * messages: each one flushes, unless it is explained here.  An explanation
 * is the (catalog cache, hash value) pair a message carries, computed with
 * GetSysCacheHashValue() from the object's catalog row, for
 *
 *	- objects of a temporary schema (tables, views, sequences, indexes,
 *	  types with their row and array types, functions, aggregates,
 *	  operators, collations, constraints, casts from temporary types, rules
 *	  of temporary relations, and the temporary schema itself; not casts to
 *	  them from other types, conversions, text search configurations and
 *	  dictionaries, which a query can reach unseen; a session whose search
 *	  path names another session's temporary schema stores nothing), and
 *	  indexes and TOAST tables
 *	  (cc_explain_object()); but not the name of an index that a relation
 *	  queries name has in another schema, which the index may hide
 *	  (cc_name_shadows());
 *	- a relation's own pg_class row under its current name and its rules
 *	  (cc_explain_relation_row());
 *	- a role (cc_explain_role()) and a database (cc_explain_database()).
 * Which of these apply to a transaction is catalog_inval.c's judgement;
 * this file only computes the pairs.  An object of any other kind, or one
 * that no longer exists, is left unexplained, so its messages flush.
 *
 * The explanations are backend-local, in TopTransactionContext
 * (cc_explained), and forgotten at the end of the transaction
 * (cc_explain_reset()).
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
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_conversion.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "xact/cacheability.h"
#include "xact/catalog_inval_int.h"

/* The names of the temporary schemas of a session, before their number */
#define CC_TEMP_SCHEMA_PREFIX		"pg_temp_"
#define CC_TEMP_TOAST_SCHEMA_PREFIX	"pg_toast_temp_"

/* Initial size of a transaction's set of explanations */
#define CC_EXPLAINED_INITIAL		64

/* This transaction's explanations, in TopTransactionContext, or NULL */
static HTAB *cc_explained = NULL;

/*
 * An explanation of an object this transaction created and dropped, noted
 * at the drop and made at commit if the object is gone then (a drop in a
 * subtransaction that rolled back left it); of a name, only if no other
 * object's row of that name was inserted or deleted by this transaction:
 * the message of a name does not tell whose it is
 * (cc_explain_unseen_names()).
 */
typedef struct CCUnseenName
{
	int			cacheid;
	uint32		hashvalue;
	Oid			dropped_classid;	/* the object cc_explain_unseen() got */
	Oid			dropped_objid;
	bool		is_name;		/* a name: the fields below are set */
	Oid			classid;		/* the catalog */
	Oid			objid;			/* the object (or one dropped with it) */
	NameData	name;
	Oid			nspid;
} CCUnseenName;

/* This transaction's CCUnseenNames, in TopTransactionContext */
static List *cc_unseen_names = NIL;

/* Inside cc_explain_unseen(): the object being dropped, else InvalidOid */
static Oid	cc_unseen_classid = InvalidOid;
static Oid	cc_unseen_objid = InvalidOid;

static void cc_explain(int cacheid, uint32 hashvalue);
static CCUnseenName *cc_unseen_note(int cacheid, uint32 hashvalue);
static HeapTuple cc_catalog_row(Oid catalog, Oid index, AttrNumber oidcol,
								Oid objid);
static void cc_explain_unseen_linked(Oid classid, Oid objid);
static void cc_explain_type_row(Oid typid);
static void cc_explain_linked(Oid classid, Oid objid, bool follow,
							  bool unseen);
static void cc_explain_rule(HeapTuple tuple);

/*
 * The key of an explanation in cc_explained: the catalog cache id in the
 * high half, the message's hash value in the low half.
 */
static inline uint64
cc_explained_key(int cacheid, uint32 hashvalue)
{
	return ((uint64) (uint32) cacheid << 32) | hashvalue;
}

/*
 * Forget this transaction's explanations (their memory goes with
 * TopTransactionContext).  Called at the end of every transaction; cannot
 * fail.
 */
void
cc_explain_reset(void)
{
	cc_explained = NULL;
	cc_unseen_names = NIL;
	cc_unseen_classid = InvalidOid;
	cc_unseen_objid = InvalidOid;
}

/*
 * Explain the message (cacheid, hashvalue) of the name 'name' in 'nspid' of
 * the object (classid, objid): now, or if 'unseen' (the object was created
 * and is dropped by this transaction) at commit, unless another object had
 * that name in this transaction (cc_explain_unseen_names()).  Can ERROR (out
 * of memory).
 */
static void
cc_explain_name(bool unseen, int cacheid, uint32 hashvalue, Oid classid,
				Oid objid, const NameData *name, Oid nspid)
{
	CCUnseenName *u;

	if (!unseen || !OidIsValid(cc_unseen_classid))
	{
		cc_explain(cacheid, hashvalue);
		return;
	}
	u = cc_unseen_note(cacheid, hashvalue);
	u->is_name = true;
	u->classid = classid;
	u->objid = objid;
	u->name = *name;
	u->nspid = nspid;
}

/*
 * Note an explanation of the object cc_explain_unseen() explains, to be
 * made at commit (cc_explain_unseen_names()).  Can ERROR (out of memory).
 */
static CCUnseenName *
cc_unseen_note(int cacheid, uint32 hashvalue)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
	CCUnseenName *u = palloc0(sizeof(CCUnseenName));

	u->cacheid = cacheid;
	u->hashvalue = hashvalue;
	u->dropped_classid = cc_unseen_classid;
	u->dropped_objid = cc_unseen_objid;
	cc_unseen_names = lappend(cc_unseen_names, u);
	MemoryContextSwitchTo(oldcxt);
	return u;
}

/*
 * At commit: the explanations of the objects this transaction created and
 * dropped, for those that are gone (a drop in a subtransaction rolled back
 * left the object, whose creation's messages are left unexplained), and of
 * their names only those that no other object had in the transaction
 * (cc_name_changed_here()).  Can ERROR (catalog access).
 */
void
cc_explain_unseen_names(void)
{
	ListCell   *lc;

	foreach(lc, cc_unseen_names)
	{
		CCUnseenName *u = (CCUnseenName *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (cc_object_exists(u->dropped_classid, u->dropped_objid))
			continue;
		if (!u->is_name ||
			!cc_name_changed_here(u->classid, u->objid, &u->name, u->nspid))
			cc_explain(u->cacheid, u->hashvalue);
	}
}

/* Explain the message (cacheid, hashvalue).  Can ERROR (out of memory). */
static void
cc_explain(int cacheid, uint32 hashvalue)
{
	uint64		key = cc_explained_key(cacheid, hashvalue);

	/* of an object created and dropped: at commit, if it is gone */
	if (OidIsValid(cc_unseen_classid))
	{
		(void) cc_unseen_note(cacheid, hashvalue);
		return;
	}
	if (cc_explained == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(uint64);
		ctl.hcxt = TopTransactionContext;
		cc_explained = hash_create("cascade_cache explained catalog changes",
								   CC_EXPLAINED_INITIAL, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(cc_explained, &key, HASH_ENTER, NULL);
}

/*
 * Is the catalog cache message (cacheid, hashvalue) explained in this
 * transaction?  Cannot fail.
 */
bool
cc_is_explained(int cacheid, uint32 hashvalue)
{
	uint64		key = cc_explained_key(cacheid, hashvalue);

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

/* Explain a column's messages, by number and by its current name. */
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

/* Explain a rule's message, under its current name. */
static void
cc_explain_rule(HeapTuple tuple)
{
	Form_pg_rewrite rule = (Form_pg_rewrite) GETSTRUCT(tuple);

	cc_explain(RULERELNAME, GetSysCacheHashValue2(RULERELNAME,
												  ObjectIdGetDatum(rule->ev_class),
												  NameGetDatum(&rule->rulename)));
}

/* Explain an enum label's messages. */
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

/*
 * A type's own row, and its array type's, under their current names: for
 * a relation's row type rewritten with the relation (its owner changed).
 * Can ERROR (catalog access).
 */
static void
cc_explain_type_row(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_type typ = (Form_pg_type) GETSTRUCT(tuple);
		Oid			array = typ->typarray;

		cc_explain(TYPEOID, GetSysCacheHashValue1(TYPEOID,
												  ObjectIdGetDatum(typid)));
		cc_explain(TYPENAMENSP, GetSysCacheHashValue2(TYPENAMENSP,
													  NameGetDatum(&typ->typname),
													  ObjectIdGetDatum(typ->typnamespace)));
		ReleaseSysCache(tuple);
		if (OidIsValid(array))
			cc_explain_type_row(array);
	}
}



/*
 * If the object lives in a temporary schema (or is an index or a TOAST
 * table, whose names and columns no result shows), explain the catalog
 * cache messages its creation, change or drop sends.  Objects of other
 * kinds, and objects that no longer exist, are left unexplained.  Can
 * ERROR (catalog access).
 */
void
cc_explain_object(Oid classid, Oid objid)
{
	cc_explain_linked(classid, objid, true, false);
}

/*
 * An object this transaction created and now drops (the new copy of a
 * table that CLUSTER, VACUUM FULL and REFRESH MATERIALIZED VIEW build and
 * swap in): no other session has seen it, nor can a result stored by
 * anyone depend on it, whatever its schema.  Explain the messages of its
 * creation and drop, as those of a temporary object, while it can still be
 * looked up.  Can ERROR (catalog access).
 */
void
cc_explain_unseen(Oid classid, Oid objid)
{
	cc_unseen_classid = classid;
	cc_unseen_objid = objid;
	PG_TRY();
	{
		cc_explain_unseen_linked(classid, objid);
	}
	PG_CATCH();
	{
		cc_unseen_classid = InvalidOid;
		cc_unseen_objid = InvalidOid;
		PG_RE_THROW();
	}
	PG_END_TRY();
	cc_unseen_classid = InvalidOid;
	cc_unseen_objid = InvalidOid;
}

/* cc_explain_unseen(), with its explanations noted for the commit */
static void
cc_explain_unseen_linked(Oid classid, Oid objid)
{
	cc_explain_linked(classid, objid, true, true);

	/*
	 * The names its TOAST table and that one's index were created under:
	 * PostgreSQL renames them when the new copy's TOAST table takes the old
	 * table's name (finish_heap_swap()).  No query names a relation of
	 * pg_toast.
	 */
	if (classid == RelationRelationId)
	{
		NameData	name;

		memset(&name, 0, sizeof(name));
		snprintf(NameStr(name), NAMEDATALEN, "pg_toast_%u", objid);
		cc_explain(RELNAMENSP, GetSysCacheHashValue2(RELNAMENSP,
													 NameGetDatum(&name),
													 ObjectIdGetDatum(PG_TOAST_NAMESPACE)));
		snprintf(NameStr(name), NAMEDATALEN, "pg_toast_%u_index", objid);
		cc_explain(RELNAMENSP, GetSysCacheHashValue2(RELNAMENSP,
													 NameGetDatum(&name),
													 ObjectIdGetDatum(PG_TOAST_NAMESPACE)));
	}
}

/*
 * cc_explain_object(), and if 'follow', the objects renamed together with
 * it (a relation's row type, a composite type's relation); if 'unseen',
 * whatever its schema (cc_explain_unseen()).
 */
static void
cc_explain_linked(Oid classid, Oid objid, bool follow, bool unseen)
{
	HeapTuple	tuple;

	switch (classid)
	{
		case RelationRelationId:
			tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_class rel = (Form_pg_class) GETSTRUCT(tuple);

				if (unseen || rel->relpersistence == RELPERSISTENCE_TEMP ||
					cc_never_named(rel->relkind))
				{
					cc_explain(RELOID, GetSysCacheHashValue1(RELOID,
															 ObjectIdGetDatum(objid)));

					/*
					 * Its name, unless a relation queries name has it in
					 * another schema: then, earlier in a search_path, it
					 * hides that one (a query naming it now fails).
					 */
					if (unseen || rel->relpersistence == RELPERSISTENCE_TEMP ||
						!cc_name_shadows(&rel->relname, rel->relnamespace))
						cc_explain_name(unseen, RELNAMENSP,
										GetSysCacheHashValue2(RELNAMENSP,
															  NameGetDatum(&rel->relname),
															  ObjectIdGetDatum(rel->relnamespace)),
										RelationRelationId, objid,
										&rel->relname, rel->relnamespace);
					cc_explain_list(ATTNUM, objid, cc_explain_attribute);
					cc_explain_list(RULERELNAME, objid, cc_explain_rule);
					/* its row type, renamed with it */
					if (OidIsValid(rel->reltype) && follow)
						cc_explain_linked(TypeRelationId, rel->reltype, false, unseen);
				}
				ReleaseSysCache(tuple);
			}
			break;

		case TypeRelationId:
			tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_type typ = (Form_pg_type) GETSTRUCT(tuple);

				if (unseen || isAnyTempNamespace(typ->typnamespace))
				{
					cc_explain(TYPEOID, GetSysCacheHashValue1(TYPEOID,
															  ObjectIdGetDatum(objid)));
					cc_explain_name(unseen, TYPENAMENSP,
									GetSysCacheHashValue2(TYPENAMENSP,
														  NameGetDatum(&typ->typname),
														  ObjectIdGetDatum(typ->typnamespace)),
									TypeRelationId, objid,
									&typ->typname, typ->typnamespace);
					/* its array type, and a composite's relation */
					if (OidIsValid(typ->typarray))
						cc_explain_linked(TypeRelationId, typ->typarray, false, unseen);
					if (OidIsValid(typ->typrelid) && follow)
						cc_explain_linked(RelationRelationId, typ->typrelid,
										  false, unseen);
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

				if (unseen || isAnyTempNamespace(proc->pronamespace))
				{
					cc_explain(PROCOID, GetSysCacheHashValue1(PROCOID,
															  ObjectIdGetDatum(objid)));
					cc_explain_name(unseen, PROCNAMEARGSNSP,
									GetSysCacheHashValue3(PROCNAMEARGSNSP,
														  NameGetDatum(&proc->proname),
														  PointerGetDatum(&proc->proargtypes),
														  ObjectIdGetDatum(proc->pronamespace)),
									ProcedureRelationId, objid,
									&proc->proname, proc->pronamespace);
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

				if (unseen || isAnyTempNamespace(op->oprnamespace))
				{
					cc_explain(OPEROID, GetSysCacheHashValue1(OPEROID,
															  ObjectIdGetDatum(objid)));
					cc_explain_name(unseen, OPERNAMENSP,
									GetSysCacheHashValue4(OPERNAMENSP,
														  NameGetDatum(&op->oprname),
														  ObjectIdGetDatum(op->oprleft),
														  ObjectIdGetDatum(op->oprright),
														  ObjectIdGetDatum(op->oprnamespace)),
									OperatorRelationId, objid,
									&op->oprname, op->oprnamespace);
				}
				ReleaseSysCache(tuple);
			}
			break;

		case ConstraintRelationId:
			tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

				if (unseen || isAnyTempNamespace(con->connamespace))
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
					strncmp(NameStr(nsp->nspname), CC_TEMP_SCHEMA_PREFIX,
							strlen(CC_TEMP_SCHEMA_PREFIX)) == 0 ||
					strncmp(NameStr(nsp->nspname), CC_TEMP_TOAST_SCHEMA_PREFIX,
							strlen(CC_TEMP_TOAST_SCHEMA_PREFIX)) == 0)
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

				if (unseen || isAnyTempNamespace(coll->collnamespace))
				{
					cc_explain(COLLOID, GetSysCacheHashValue1(COLLOID,
															  ObjectIdGetDatum(objid)));
					cc_explain_name(unseen, COLLNAMEENCNSP,
									GetSysCacheHashValue3(COLLNAMEENCNSP,
														  NameGetDatum(&coll->collname),
														  Int32GetDatum(coll->collencoding),
														  ObjectIdGetDatum(coll->collnamespace)),
									CollationRelationId, objid,
									&coll->collname, coll->collnamespace);
				}
				ReleaseSysCache(tuple);
			}
			break;

		case ConversionRelationId:
		case TSConfigRelationId:
		case TSDictionaryRelationId:

			/*
			 * Not even of a temporary schema: a query reaches them while it
			 * runs, by a lookup on the search_path (convert(), a
			 * default_text_search_config naming one) or by an OID no check
			 * sees (a regconfig column, an integer cast to regconfig).  Their
			 * changes flush.
			 */
			break;

		case CastRelationId:
			tuple = cc_catalog_row(CastRelationId, CastOidIndexId,
								   Anum_pg_cast_oid, objid);
			if (HeapTupleIsValid(tuple))
			{
				Form_pg_cast cast = (Form_pg_cast) GETSTRUCT(tuple);

				/*
				 * A cast from a temporary type (a range type's to its
				 * multirange) applies only to values of that type, which no
				 * stored result has; not one to it from another type: a
				 * permanent function can take a temporary type, and the cast
				 * changes what another session's call of it resolves to.
				 */
				if (cc_type_is_temporary(cast->castsource))
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

/*
 * Explain the pg_authid messages of a role, by name (none if there is no
 * such role).  Can ERROR (catalog access).
 */
void
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
 * Explain the pg_database message of a database, as its row is changed in
 * place (a new database; VACUUM advancing datfrozenxid).  Cannot fail but
 * for out of memory.
 */
void
cc_explain_database(Oid dbid)
{
	cc_explain(DATABASEOID, GetSysCacheHashValue1(DATABASEOID,
												  ObjectIdGetDatum(dbid)));
}

/*
 * Explain the messages of a relation's own pg_class row rewritten in place
 * of itself (same name and schema), and of its rules under their current
 * names (a view redefined).  Nothing if the relation no longer exists.
 * Can ERROR (catalog access).
 */
void
cc_explain_relation_row(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_class rel = (Form_pg_class) GETSTRUCT(tuple);

		cc_explain(RELOID, GetSysCacheHashValue1(RELOID,
												 ObjectIdGetDatum(relid)));

		/*
		 * Its name; an index's row is also how its creation shows (it is not
		 * among the relations created, which are never explained): not if the
		 * name hides a relation of another schema (cc_name_shadows())
		 */
		if (!cc_never_named(rel->relkind) ||
			rel->relpersistence == RELPERSISTENCE_TEMP ||
			!cc_name_shadows(&rel->relname, rel->relnamespace))
			cc_explain(RELNAMENSP, GetSysCacheHashValue2(RELNAMENSP,
														 NameGetDatum(&rel->relname),
														 ObjectIdGetDatum(rel->relnamespace)));
		/* its row type and that one's array type, rewritten (OWNER TO) */
		if (OidIsValid(rel->reltype))
			cc_explain_type_row(rel->reltype);
		ReleaseSysCache(tuple);
		/* a view redefined: its readers depend on it already */
		cc_explain_list(RULERELNAME, relid, cc_explain_rule);
	}
}
