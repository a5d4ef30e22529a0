/*-------------------------------------------------------------------------
 *
 * precise_int.h
 *		Declarations shared only by precise.c (relations, writers) and
 *		precise_fill.c (readers).
 *
 * precise_fill.c calls precise.c, never the other way round.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_XACT_PRECISE_INT_H
#define CC_XACT_PRECISE_INT_H

#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "xact/precise.h"

/* A key column of an eligible relation */
typedef struct CCKeyColumn
{
	AttrNumber	attnum;
	Oid			typid;
	Oid			collation;
	FmgrInfo	hash;			/* the type's default hash function */
} CCKeyColumn;

/* What precise invalidation knows about a relation (backend-local cache) */
typedef struct CCRelInfo
{
	Oid			relid;			/* hash key */
	bool		valid;			/* false after a relcache invalidation */
	bool		eligible;		/* plain table with the watch row trigger */
	char		tgenabled;		/* the watch trigger's tgenabled */
	int			ncolumns;
	CCKeyColumn *columns;		/* in cc_relinfo_cxt */
} CCRelInfo;

/* precise.c */
extern CCRelInfo *cc_relinfo_get(Oid relid);
extern CCKeyColumn *cc_key_column(CCRelInfo *info, AttrNumber attnum);

/*
 * The dependency key ROWKEY(relid, attnum, valhash) of this database:
 * entries that looked up a value whose hash is 'valhash' in that column.
 */
static inline uint64
cc_rowkey_dep(Oid relid, AttrNumber attnum, uint32 valhash)
{
	struct
	{
		uint32		kind;
		Oid			dbid;
		Oid			relid;
		int32		attnum;
		uint32		valhash;
		uint32		pad;
	}			k;

	k.kind = CC_DEP_ROW_KEY;
	k.dbid = MyDatabaseId;
	k.relid = relid;
	k.attnum = attnum;
	k.valhash = valhash;
	k.pad = 0;
	return hash_bytes_extended((const unsigned char *) &k, sizeof(k),
							   CC_DEP_SEED);
}

/* The hash of a key column's value: the column's CCKeyColumn.hash */
static inline uint32
cc_value_hash(FmgrInfo *hash, Oid collation, Datum value)
{
	return DatumGetUInt32(FunctionCall1Coll(hash, collation, value));
}

#endif							/* CC_XACT_PRECISE_INT_H */
