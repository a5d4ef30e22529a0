/*-------------------------------------------------------------------------
 *
 * watch.c
 *		cascade_watch() and cascade_unwatch(): installing and removing the
 *		triggers that report every changed row of a watched table.
 *
 * cascade_watch(tbl, typename, id_column) installs AFTER ROW and AFTER
 * TRUNCATE triggers running cascade_watch_trigger() (src/xact/cascade.c),
 * which records each changed row as "Type:id" and invalidates its entity
 * at commit; precise.c also recognises a table whose trigger reports every
 * row, and then invalidates by key instead of the whole table.  The
 * triggers are enabled ALWAYS, so that they also fire under
 * session_replication_role = replica (logical replication apply).
 *
 * The triggers are created and dropped with SQL through SPI, with the
 * privileges of the caller, who must own the tables (ALTER TABLE ... ENABLE
 * ALWAYS TRIGGER).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "compat.h"
#include "base/settings.h"
#include "xact/cascade.h"

PG_FUNCTION_INFO_V1(cascade_watch);
PG_FUNCTION_INFO_V1(cascade_unwatch);

/* The prefix cc_default_typename() drops from a table name */
#define CC_TABLE_PREFIX			"tb_"

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

	if (strncmp(p, CC_TABLE_PREFIX, strlen(CC_TABLE_PREFIX)) == 0 &&
		p[strlen(CC_TABLE_PREFIX)] != '\0')
		p += strlen(CC_TABLE_PREFIX);
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
	Oid			pkoid = CC_PRIMARY_KEY_INDEX(rel);
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
 * The schema-qualified, quoted name of an inheritance member, or NULL if it
 * was dropped since find_all_inheritors() listed it (the members are not
 * locked until CREATE or DROP TRIGGER locks them).
 */
static char *
cc_member_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	if (relname == NULL || nspname == NULL)
		return NULL;
	return quote_qualified_identifier(nspname, relname);
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
	if (typename[0] == '\0' || strlen(typename) >= CC_MAX_WATCHED_TYPENAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cascade_watch typename must be between 1 and %d bytes",
						CC_MAX_WATCHED_TYPENAME - 1)));

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
		char	   *qualified = cc_member_name(member);
		bool		is_partition = (member != relid &&
									get_rel_relispartition(member));

		if (qualified == NULL)
			continue;			/* dropped meanwhile */

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
		char	   *qualified = cc_member_name(member);
		bool		is_partition = (member != relid &&
									get_rel_relispartition(member));

		if (qualified == NULL)
			continue;			/* dropped meanwhile */

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
