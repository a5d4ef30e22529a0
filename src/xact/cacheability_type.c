/*-------------------------------------------------------------------------
 *
 * cacheability_type.c
 *		What is known of a type, for deciding whether a result may be
 *		cached.
 *
 * A value of a type can keep a result out of the cache in four ways, each
 * a flag of cc_type_flags():
 *
 *	- CC_TYPE_READS_CLOCK: text converted to it can name the current time
 *	  (date, time, timetz, timestamp, timestamptz; arrays, ranges,
 *	  multiranges, domains and composites that contain one; record and the
 *	  pseudo-types, whose contents are unknown; and, failing closed, every
 *	  other base type whose input function is not IMMUTABLE, except the
 *	  built-ins known not to read the clock, cacheability_builtins.c);
 *	  CC_TYPE_INPUT_READS_DATE with it: any text converted to it depends on
 *	  the current date, whatever it says (timetz, and what contains it; and
 *	  those other base types but enums, whose input could read anything);
 *	- CC_TYPE_TEMPORARY: it, or a type it is built from, lives in a
 *	  temporary schema (another session's pg_temp.t is another type);
 *	- CC_TYPE_CATALOG: its text shows a catalog object by name (regclass
 *	  and the other reg* types, aclitem's roles, and what contains them),
 *	  which can change without a flush (an aclitem of a role's OID shows
 *	  the number until CREATE ROLE, which flushes nothing, takes it);
 *	- CC_TYPE_CHECK_*: converting a value to it runs a domain CHECK
 *	  constraint (of it or of a type it contains) that reads the clock,
 *	  the session or the catalogs, uses a temporary object, calls an
 *	  untrusted function or is volatile.  Each constraint is judged like a
 *	  query, through the check cacheability.c hands cc_type_init().
 *
 * Known NOT to matter: the built-in types other than the date and time
 * types and the reg* types need no catalog lookup at all.  A type that
 * cannot be looked up (dropped meanwhile), or is nested deeper than
 * CC_MAX_TYPE_DEPTH, gets CC_TYPE_WORST; a domain met again while its own
 * constraints are judged, or nested deeper than CC_MAX_DOMAIN_DEPTH, gets
 * CC_TYPE_CHECK_VOLATILE.
 *
 * Collations and operators are judged here too, for their schema only
 * (cc_collation_is_temporary(), cc_operator_is_temporary(), not cached:
 * one syscache lookup each, and none for built-in ones).
 *
 * The flags are cached per backend in cc_type_verdicts (CacheMemoryContext)
 * and forgotten, by cc_type_forget_all(), whenever pg_type, a relation (a
 * composite's columns), pg_cast, pg_operator, pg_aggregate, pg_namespace
 * or pg_constraint changes (the callbacks cacheability.c registers).
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cascade_cache.h"
#include "xact/cacheability.h"
#include "xact/cacheability_int.h"

/* What is known of a type (see the header comment) */
#define CC_TYPE_READS_CLOCK		0x01	/* its input accepts 'now' & co */
#define CC_TYPE_TEMPORARY		0x02	/* lives in a temporary schema */
#define CC_TYPE_CATALOG			0x04	/* a value shows a catalog object by
										 * name (the reg* types, aclitem) */
/* A domain CHECK constraint (of it or a type it contains) that ... */
#define CC_TYPE_CHECK_CLOCK		0x08	/* reads the clock */
#define CC_TYPE_CHECK_SESSION	0x10	/* reads the session or catalogs */
#define CC_TYPE_CHECK_TEMPORARY	0x20	/* uses a temporary object */
#define CC_TYPE_CHECK_UNTRUSTED	0x40	/* calls an untrusted function */
#define CC_TYPE_CHECK_VOLATILE	0x80	/* is volatile */
#define CC_TYPE_INPUT_READS_DATE 0x100	/* any text read as it depends on the
										 * current date (with READS_CLOCK) */
/* What a type that cannot be judged gets */
#define CC_TYPE_WORST \
	(CC_TYPE_READS_CLOCK | CC_TYPE_INPUT_READS_DATE | CC_TYPE_TEMPORARY | \
	 CC_TYPE_CATALOG | CC_TYPE_CHECK_VOLATILE)

/* Domains whose constraints are being checked (a check can use its domain) */
#define CC_MAX_DOMAIN_DEPTH		8
static Oid	cc_domain_stack[CC_MAX_DOMAIN_DEPTH];
static int	cc_domain_depth = 0;

/* Nesting of types examined by cc_type_flags() */
#define CC_MAX_TYPE_DEPTH		16

/* Initial size of the per-backend table of type verdicts */
#define CC_TYPE_VERDICTS_INITIAL	64

typedef struct CCTypeEntry
{
	Oid			typid;			/* hash key */
	int			flags;			/* CC_TYPE_* */
} CCTypeEntry;

static HTAB *cc_type_verdicts = NULL;

/* Advanced every time the verdicts are forgotten */
static uint64 cc_type_generation = 0;

/* Verdicts computed for one use only and not kept (cc_unkept_verdicts()) */
static uint64 cc_unkept = 0;

/* Judgments that hold in one session context only (cc_context_judgments()) */
static uint64 cc_context_judged = 0;

/* cacheability.c's check, for domain constraints; NULL before init */
static CCNodeChecker cc_type_checker = NULL;

static int	cc_type_flags(Oid typid, int depth);
static bool cc_reg_type(Oid typid);
static int	cc_domain_check_flags(Oid typid);
static int	cc_domain_constraint_flags(Oid typid);

/*
 * Remember the check domain constraints are judged with.  Called once, by
 * cc_cacheability_init().
 */
void
cc_type_init(CCNodeChecker checker)
{
	cc_type_checker = checker;
}

/*
 * Forget every type verdict.  Called by the invalidation callbacks; cannot
 * fail.
 */
void
cc_type_forget_all(void)
{
	cc_type_generation++;
	if (cc_type_verdicts != NULL)
	{
		hash_destroy(cc_type_verdicts);
		cc_type_verdicts = NULL;
	}
}

/*
 * Can a value of this type be read from text that names the current time?
 * True for date, time, timetz, timestamp and timestamptz; for arrays,
 * ranges, multiranges, domains and composites that contain one; for record
 * and pseudo-types (unknown contents); and, failing closed, for any other
 * base type whose input function is not IMMUTABLE.  Can ERROR (catalog
 * access).
 */
bool
cc_type_reads_clock(Oid typid)
{
	return (cc_type_flags(typid, 0) & CC_TYPE_READS_CLOCK) != 0;
}

/*
 * Does a value of this type read from ANY text depend on the current date,
 * whatever the text says?  timetz does (a time without a zone, or with a
 * zone's name, takes the zone's offset on today's date: DecodeTimeOnly()),
 * and so do arrays, ranges, domains and composites that contain one; and,
 * failing closed, any base type but an enum whose input function is not
 * IMMUTABLE and is not known, which could read anything.  Such types also
 * read the clock (cc_type_reads_clock()).  Can ERROR (catalog access).
 */
bool
cc_type_input_reads_date(Oid typid)
{
	return (cc_type_flags(typid, 0) & CC_TYPE_INPUT_READS_DATE) != 0;
}

/*
 * Does reading 'text' as a value of this type depend on the clock: does it
 * name the current time (cc_text_names_clock()) for a type whose input
 * accepts that, or is it read as a type whose input always depends on the
 * date?  For parameters and aggregate initial states, converted by the
 * type's input function.  Can ERROR (catalog access).
 */
bool
cc_text_input_reads_clock(const char *text, Oid typid)
{
	int			flags = cc_type_flags(typid, 0);

	if (flags & CC_TYPE_INPUT_READS_DATE)
		return true;
	return (flags & CC_TYPE_READS_CLOCK) != 0 && cc_text_names_clock(text);
}

/*
 * Does a value of a reg* type (or an array of one) name an object of a
 * temporary schema, this session's or another's?  A name such as
 * 'pg_temp_3.cfg' is read as the object's OID while the query is analyzed
 * or its parameters bound; the changes and drop of most temporary objects
 * flush nothing (catalog_explain.c), so a result computed with one is not
 * stored.  False for other types and for objects that do not exist.  Can
 * ERROR (catalog access).
 */
bool
cc_reg_value_is_temporary(Oid typid, Datum value)
{
	Oid			elemtype = InvalidOid;
	Oid			oid;
	Oid			nspid = InvalidOid;
	HeapTuple	tuple;

	/* quickly, for the many constants of other built-in types */
	if (typid >= FirstNormalObjectId)
	{
		/* a domain over one, or an array of domains over one */
		Oid			base = getBaseType(typid);

		if (base != typid)
			return cc_reg_value_is_temporary(base, value);
		elemtype = get_element_type(typid);
		if (!OidIsValid(elemtype) || !cc_reg_type(getBaseType(elemtype)))
			return false;
	}
	else
	{
		switch (typid)
		{
			case REGCLASSARRAYOID:
			case REGTYPEARRAYOID:
			case REGPROCARRAYOID:
			case REGPROCEDUREARRAYOID:
			case REGOPERARRAYOID:
			case REGOPERATORARRAYOID:
			case REGCOLLATIONARRAYOID:
			case REGCONFIGARRAYOID:
			case REGDICTIONARYARRAYOID:
			case REGNAMESPACEARRAYOID:
				elemtype = get_element_type(typid);
				break;
			default:
				if (!cc_reg_type(typid))
					return false;
				break;
		}
	}

	if (OidIsValid(elemtype))
	{
		ArrayType  *array;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;

		array = DatumGetArrayTypeP(value);
		deconstruct_array(array, elemtype, sizeof(Oid), true, TYPALIGN_INT,
						  &elems, &nulls, &nelems);
		for (i = 0; i < nelems; i++)
			if (!nulls[i] && cc_reg_value_is_temporary(elemtype, elems[i]))
				return true;
		return false;
	}

	oid = DatumGetObjectId(value);
	if (!OidIsValid(oid) || oid < FirstNormalObjectId)
		return false;
	switch (typid)
	{
		case REGCLASSOID:
			nspid = get_rel_namespace(oid);
			break;
		case REGTYPEOID:
			return cc_type_is_temporary(oid);
		case REGPROCOID:
		case REGPROCEDUREOID:
			nspid = get_func_namespace(oid);
			break;
		case REGOPEROID:
		case REGOPERATOROID:
			return cc_operator_is_temporary(oid);
		case REGCOLLATIONOID:
			return cc_collation_is_temporary(oid);
		case REGCONFIGOID:
			tuple = SearchSysCache1(TSCONFIGOID, ObjectIdGetDatum(oid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_ts_config) GETSTRUCT(tuple))->cfgnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		case REGDICTIONARYOID:
			tuple = SearchSysCache1(TSDICTOID, ObjectIdGetDatum(oid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_ts_dict) GETSTRUCT(tuple))->dictnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		case REGNAMESPACEOID:
			nspid = oid;
			break;
		default:
			return false;
	}
	return OidIsValid(nspid) && isAnyTempNamespace(nspid);
}

/* Is 'typid' one of the reg* types that name an object of a schema? */
static bool
cc_reg_type(Oid typid)
{
	switch (typid)
	{
		case REGCLASSOID:
		case REGTYPEOID:
		case REGPROCOID:
		case REGPROCEDUREOID:
		case REGOPEROID:
		case REGOPERATOROID:
		case REGCOLLATIONOID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
		case REGNAMESPACEOID:
			return true;
		default:
			return false;
	}
}

/*
 * Is the type (or one it is built from) in a temporary schema?  Can ERROR
 * (catalog access).
 */
bool
cc_type_is_temporary(Oid typid)
{
	if (typid < FirstNormalObjectId)
		return false;
	return (cc_type_flags(typid, 0) & CC_TYPE_TEMPORARY) != 0;
}

/*
 * The reason a domain CHECK constraint evaluated while converting a value
 * to this type (a cast, a parameter, text input) keeps a result out of the
 * cache, or CC_BYPASS_NONE.  Can ERROR (catalog access).
 */
CCBypassReason
cc_type_check_reason(Oid typid)
{
	int			flags = cc_type_flags(typid, 0);

	if (flags & CC_TYPE_CHECK_VOLATILE)
		return CC_BYPASS_VOLATILE_FUNCTION;
	if (flags & CC_TYPE_CHECK_UNTRUSTED)
		return CC_BYPASS_UNTRUSTED_FUNCTION;
	if (flags & CC_TYPE_CHECK_TEMPORARY)
		return CC_BYPASS_TEMPORARY_OBJECT;
	if (flags & CC_TYPE_CHECK_SESSION)
		return CC_BYPASS_SESSION_FUNCTION;
	if (flags & CC_TYPE_CHECK_CLOCK)
		return CC_BYPASS_CLOCK;
	return CC_BYPASS_NONE;
}

/*
 * The CC_TYPE_CHECK_* flag of a domain CHECK constraint in which the check
 * found 'reason' not to cache (none for CC_BYPASS_NONE); the inverse of
 * cc_type_check_reason().  Reasons that name no flag of their own
 * (catalogs, foreign tables, sequences, ...) read the session.
 */
static int
cc_type_check_flag(CCBypassReason reason)
{
	switch (reason)
	{
		case CC_BYPASS_NONE:
			return 0;
		case CC_BYPASS_CLOCK:
			return CC_TYPE_CHECK_CLOCK;
		case CC_BYPASS_VOLATILE_FUNCTION:
		case CC_BYPASS_LOCKING:
			return CC_TYPE_CHECK_VOLATILE;
		case CC_BYPASS_TEMPORARY_OBJECT:
		case CC_BYPASS_TEMPORARY_TABLE:
			return CC_TYPE_CHECK_TEMPORARY;
		case CC_BYPASS_UNTRUSTED_FUNCTION:
			return CC_TYPE_CHECK_UNTRUSTED;
		default:
			return CC_TYPE_CHECK_SESSION;
	}
}

/*
 * The CC_TYPE_CHECK_* flags of a domain's own CHECK constraints, each
 * walked like a query.  A domain reached again while its constraints are
 * being walked (a check calling a function of the domain), or too deep,
 * gets the worst flags.  Can ERROR (catalog access).
 */
static int
cc_domain_check_flags(Oid typid)
{
	volatile int flags = 0;
	int			i;

	for (i = 0; i < cc_domain_depth; i++)
		if (cc_domain_stack[i] == typid)
			return CC_TYPE_CHECK_VOLATILE;
	if (cc_domain_depth >= CC_MAX_DOMAIN_DEPTH)
		return CC_TYPE_CHECK_VOLATILE;

	cc_domain_stack[cc_domain_depth++] = typid;
	PG_TRY();
	{
		flags = cc_domain_constraint_flags(typid);
	}
	PG_CATCH();
	{
		cc_domain_depth--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	cc_domain_depth--;
	return flags;
}

/* The CC_TYPE_CHECK_* flags of the domain's CHECK constraints. */
static int
cc_domain_constraint_flags(Oid typid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	int			flags = 0;

	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL, 1,
							  &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		bool		isnull;
		Datum		bin;
		CCBypassReason reason;

		if (con->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
						   RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		reason = cc_type_checker != NULL ?
			cc_type_checker(stringToNode(TextDatumGetCString(bin)), NIL) :
			CC_BYPASS_VOLATILE_FUNCTION;
		flags |= cc_type_check_flag(reason);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return flags;
}

/*
 * Does a value of this type show a catalog object by name (regclass and the
 * other reg* types, and what contains them)?  Its text depends on names
 * and the search_path, including those of objects whose changes flush
 * nothing (indexes, temporary objects): such a value is not cached.  Can
 * ERROR (catalog access).
 */
bool
cc_type_shows_catalog(Oid typid)
{
	return (cc_type_flags(typid, 0) & CC_TYPE_CATALOG) != 0;
}

/*
 * The CC_TYPE_* flags of a type, from the per-backend cache or computed;
 * 'depth' is how deep in the types being examined this one is.  Can ERROR
 * (catalog access).
 */
static int
cc_type_flags(Oid typid, int depth)
{
	CCTypeEntry *entry;
	HeapTuple	tuple;
	Form_pg_type typ;
	int			flags = 0;
	bool		found;
	uint64		generation;
	uint64		unkept;
	uint64		context_judged;

	switch (typid)
	{
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return CC_TYPE_READS_CLOCK;
		case TIMETZOID:
			return CC_TYPE_READS_CLOCK | CC_TYPE_INPUT_READS_DATE;
		case ACLITEMOID:
		case REGCLASSOID:
		case REGCOLLATIONOID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
		case REGNAMESPACEOID:
		case REGOPERATOROID:
		case REGOPEROID:
		case REGPROCEDUREOID:
		case REGPROCOID:
		case REGROLEOID:
		case REGTYPEOID:
			return CC_TYPE_CATALOG;
		default:
			break;
	}
	if (depth > CC_MAX_TYPE_DEPTH)
		return CC_TYPE_WORST;

	if (cc_type_verdicts == NULL)
		cc_type_verdicts = cc_oid_table("cascade_cache type verdicts",
										sizeof(CCTypeEntry),
										CC_TYPE_VERDICTS_INITIAL,
										CacheMemoryContext);
	entry = hash_search(cc_type_verdicts, &typid, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->flags;

	generation = cc_type_generation;
	unkept = cc_unkept_verdicts();
	context_judged = cc_context_judgments();
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return CC_TYPE_WORST;	/* gone meanwhile */
	typ = (Form_pg_type) GETSTRUCT(tuple);

	if (typid >= FirstNormalObjectId && isAnyTempNamespace(typ->typnamespace))
		flags |= CC_TYPE_TEMPORARY;

	if (typid == RECORDOID || typ->typtype == TYPTYPE_PSEUDO)
		flags |= CC_TYPE_READS_CLOCK;
	else if (typ->typtype == TYPTYPE_DOMAIN)
		flags |= cc_type_flags(typ->typbasetype, depth + 1) |
			cc_domain_check_flags(typid);
	else if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		flags |= cc_type_flags(typ->typelem, depth + 1);
	else if (typ->typtype == TYPTYPE_RANGE)
		flags |= cc_type_flags(get_range_subtype(typid), depth + 1);
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		flags |= cc_type_flags(get_multirange_range(typid), depth + 1);
	else if (typ->typtype == TYPTYPE_COMPOSITE)
	{
		Oid			relid = typ->typrelid;
		Relation	rel = RelationIdGetRelation(relid);

		if (!RelationIsValid(rel))
			flags |= CC_TYPE_READS_CLOCK;
		else
		{
			TupleDesc	desc = RelationGetDescr(rel);
			int			i;

			for (i = 0; i < desc->natts; i++)
			{
				Form_pg_attribute attr = TupleDescAttr(desc, i);

				if (!attr->attisdropped)
					flags |= cc_type_flags(attr->atttypid, depth + 1);
			}
			RelationClose(rel);
		}
	}
	else if (typ->typtype == TYPTYPE_ENUM)
	{
		/* enum_in() looks the label up; a change of the labels flushes */
		flags |= CC_TYPE_READS_CLOCK;
	}
	else if (func_volatile(typ->typinput) != PROVOLATILE_IMMUTABLE &&
			 !cc_input_is_clockless(typid))
		flags |= CC_TYPE_READS_CLOCK | CC_TYPE_INPUT_READS_DATE;
	ReleaseSysCache(tuple);

	/*
	 * Kept only if no invalidation was processed while we looked things up
	 * (else the flags may come from catalog rows older than it), no function
	 * verdict they rest on held for one use only, and nothing they rest on
	 * held in this session context only (a domain's CHECK reading a setting,
	 * or calling a SQL function): else they are good for this use only.
	 */
	if (generation == cc_type_generation &&
		unkept == cc_unkept_verdicts() &&
		context_judged == cc_context_judgments() && cc_type_verdicts != NULL)
	{
		entry = hash_search(cc_type_verdicts, &typid, HASH_ENTER, &found);
		entry->flags = flags;
	}
	return flags;
}

/* ----------------------------------------------------------------
 * Other objects of a temporary schema
 * ----------------------------------------------------------------
 */

/* Is the collation in a temporary schema?  Can ERROR (catalog access). */
bool
cc_collation_is_temporary(Oid collid)
{
	HeapTuple	tuple;
	bool		temp = false;

	if (!OidIsValid(collid) || collid < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_collation) GETSTRUCT(tuple))->collnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/* Is the operator in a temporary schema?  Can ERROR (catalog access). */
bool
cc_operator_is_temporary(Oid opno)
{
	HeapTuple	tuple;
	bool		temp = false;

	if (opno < FirstNormalObjectId)
		return false;
	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (HeapTupleIsValid(tuple))
	{
		temp = isAnyTempNamespace(((Form_pg_operator) GETSTRUCT(tuple))->oprnamespace);
		ReleaseSysCache(tuple);
	}
	return temp;
}

/*
 * Count a verdict (a function's) computed for one use only and not kept:
 * one that rests on it is not kept either (cc_unkept_verdicts()).  Cannot
 * fail.
 */
void
cc_note_unkept_verdict(void)
{
	cc_unkept++;
}

/*
 * How many verdicts were computed and not kept so far: a verdict whose
 * computation saw this number change rests on one of them, and holds for
 * this use only too (a function calling one whose body failed with an
 * error of the moment; the flags of a type whose domain constraints call
 * such a function).  Cannot fail.
 */
uint64
cc_unkept_verdicts(void)
{
	return cc_unkept;
}

/*
 * Count a judgment that holds in the current session context only
 * (cc_compute_context(): every keyed setting, the role, the session user,
 * a temporary schema): a SQL body parsed and analyzed (names resolve with
 * search_path, literals lex under standard_conforming_strings, privileges
 * are the role's), whether current_setting() may read a setting (whether
 * it exists, or holds an extension's boot value), or the use of a verdict
 * kept for one context.  Cannot fail.
 */
void
cc_note_context_judgment(void)
{
	cc_context_judged++;
}

/*
 * How many judgments that hold in one session context only were made so
 * far: a verdict whose computation saw this number change holds in that
 * context only too.  Cannot fail.
 */
uint64
cc_context_judgments(void)
{
	return cc_context_judged;
}
