/*-------------------------------------------------------------------------
 *
 * catalog_names.c
 *		Catalog lookups for the explanations (catalog_explain.c): whether an
 *		object exists, whether a name hides or was taken by another object,
 *		whether a relation is one queries never name.
 *
 * Each function scans one catalog by an index, with the snapshot its
 * question needs: the catalog snapshot for what exists now, a dirty
 * snapshot for a relation another transaction is creating, SnapshotAny for
 * the rows this transaction replaced.  Backend-local; only the catalogs'
 * AccessShareLock is taken, for the scan.
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
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "xact/catalog_inval_int.h"

/*
 * Does the object (classid, objid) exist as this transaction sees it now?
 * True, failing closed, for a catalog that cannot be searched by OID.  Can
 * ERROR (catalog access).
 */
bool
cc_object_exists(Oid classid, Oid objid)
{
	Relation	rel;
	bool		exists;

	if (!is_objectclass_supported(classid) ||
		!OidIsValid(get_object_oid_index(classid)))
		return true;
	rel = table_open(classid, AccessShareLock);
	exists = HeapTupleIsValid(get_catalog_object_by_oid(rel,
														get_object_attnum_oid(classid),
														objid));
	table_close(rel, AccessShareLock);
	return exists;
}

/*
 * Is 'name' also the name of a relation in a schema other than 'nspid' that
 * a query can name (not an index, not a TOAST table)?  A relation of that
 * name in 'nspid', earlier in a search_path than that one, hides it from
 * the queries that named it.  One index scan of pg_class by name, with a
 * dirty snapshot: a relation of that name that another transaction is
 * creating counts too (it may commit, and be filled, before this commit).
 * Can ERROR (catalog access).
 */
bool
cc_name_shadows(NameData *name, Oid nspid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	SnapshotData dirty;
	HeapTuple	tuple;
	bool		shadows = false;

	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_class_relname, BTEqualStrategyNumber, F_NAMEEQ,
				NameGetDatum(name));
	InitDirtySnapshot(dirty);
	scan = systable_beginscan(rel, ClassNameNspIndexId, true, &dirty, 1, &key);
	while (!shadows && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class other = (Form_pg_class) GETSTRUCT(tuple);

		shadows = other->relnamespace != nspid &&
			!cc_never_named(other->relkind);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return shadows;
}

/*
 * Did this transaction insert or delete a row of catalog 'classid' with the
 * name 'name' in schema 'nspid', for another object than 'objid'?  (An index renamed to the
 * name of a table created and dropped; an array type moved out of the way of
 * a type created and dropped.)  Scans the catalog's name index with
 * SnapshotAny, so that rows this transaction replaced are seen.  True,
 * failing closed, for a catalog it does not know.  Can ERROR (catalog
 * access).
 */
bool
cc_name_changed_here(Oid classid, Oid objid, const NameData *name, Oid nspid)
{
	Oid			index;
	AttrNumber	nameatt;
	AttrNumber	nspatt;
	AttrNumber	oidatt;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	bool		taken = false;

	switch (classid)
	{
		case RelationRelationId:
			index = ClassNameNspIndexId;
			nameatt = Anum_pg_class_relname;
			nspatt = Anum_pg_class_relnamespace;
			oidatt = Anum_pg_class_oid;
			break;
		case TypeRelationId:
			index = TypeNameNspIndexId;
			nameatt = Anum_pg_type_typname;
			nspatt = Anum_pg_type_typnamespace;
			oidatt = Anum_pg_type_oid;
			break;
		case ProcedureRelationId:
			index = ProcedureNameArgsNspIndexId;
			nameatt = Anum_pg_proc_proname;
			nspatt = Anum_pg_proc_pronamespace;
			oidatt = Anum_pg_proc_oid;
			break;
		case OperatorRelationId:
			index = OperatorNameNspIndexId;
			nameatt = Anum_pg_operator_oprname;
			nspatt = Anum_pg_operator_oprnamespace;
			oidatt = Anum_pg_operator_oid;
			break;
		case CollationRelationId:
			index = CollationNameEncNspIndexId;
			nameatt = Anum_pg_collation_collname;
			nspatt = Anum_pg_collation_collnamespace;
			oidatt = Anum_pg_collation_oid;
			break;
		default:
			return true;
	}

	rel = table_open(classid, AccessShareLock);
	ScanKeyInit(&key, nameatt, BTEqualStrategyNumber, F_NAMEEQ,
				NameGetDatum(name));
	scan = systable_beginscan(rel, index, true, SnapshotAny, 1, &key);
	while (!taken && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		HeapTupleHeader htup = tuple->t_data;
		bool		isnull;
		Oid			nsp;
		Oid			oid;

		nsp = DatumGetObjectId(heap_getattr(tuple, nspatt,
											RelationGetDescr(rel), &isnull));
		oid = DatumGetObjectId(heap_getattr(tuple, oidatt,
											RelationGetDescr(rel), &isnull));
		if (nsp != nspid || oid == objid)
			continue;
		taken = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(htup)) ||
			(!(htup->t_infomask & HEAP_XMAX_INVALID) &&
			 !HEAP_XMAX_IS_LOCKED_ONLY(htup->t_infomask) &&
			 TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetUpdateXid(htup)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return taken;
}

/*
 * An index or a TOAST table: a relation no query names or reads as such.
 * Cannot fail.
 */
bool
cc_never_named(char relkind)
{
	return relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX ||
		relkind == RELKIND_TOASTVALUE;
}
