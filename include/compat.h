/*-------------------------------------------------------------------------
 *
 * compat.h
 *		What differs between the PostgreSQL versions cascade_cache builds
 *		against (15, 17 and 18), in one place.
 *
 * Each difference is a macro named after what it does, defined for the
 * newest versions first; the sources use the macros and never test
 * PG_VERSION_NUM themselves, except where a version changes how something
 * works rather than what it is called (the GUC variables, src/base/keyed.c
 * and src/base/key.c; a dshash table's copy function, src/store/area.c).
 * Every layer may include it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CC_COMPAT_H
#define CC_COMPAT_H

#if PG_VERSION_NUM < 150000
#error "cascade_cache needs PostgreSQL 15 or later"
#endif

/*
 * This process's number: the index of its PGPROC, and of its slot in
 * per-process arrays (17: MyProcNumber).
 */
#if PG_VERSION_NUM >= 170000
#define CC_MY_PROC_NUMBER()		((int) MyProcNumber)
#else
#define CC_MY_PROC_NUMBER()		(MyProc->pgprocno)
#endif

/* The shared transaction counters (17: TransamVariables) */
#if PG_VERSION_NUM >= 170000
#define CC_NEXT_FULL_XID()		(TransamVariables->nextXid)
#else
#define CC_NEXT_FULL_XID()		(ShmemVariableCache->nextXid)
#endif

/* Whether this is an autovacuum worker (17: AmAutoVacuumWorkerProcess) */
#if PG_VERSION_NUM >= 170000
#define CC_IS_AUTOVACUUM_WORKER()	AmAutoVacuumWorkerProcess()
#else
#define CC_IS_AUTOVACUUM_WORKER()	IsAutoVacuumWorkerProcess()
#endif

/*
 * Whether the search_path a plan was made under is the current one (17:
 * SearchPathMatcher)
 */
#if PG_VERSION_NUM >= 170000
#define CC_SEARCH_PATH_MATCHES(p)	SearchPathMatchesCurrentEnvironment(p)
#else
#define CC_SEARCH_PATH_MATCHES(p)	OverrideSearchPathMatchesCurrent(p)
#endif

/*
 * Does a range table entry stand for a relation a query reads: a table
 * (RTE_RELATION), or a view?  15 leaves a view's own RTE_RELATION entry in
 * the range table (for the permission checks); 16 and later turn it into
 * the RTE_SUBQUERY of the view's query, keeping relid and relkind.  (An
 * RTE_SUBQUERY has no relid otherwise, on every version.)
 */
#define CC_RTE_IS_RELATION(rte) \
	((rte)->rtekind == RTE_RELATION || \
	 ((rte)->rtekind == RTE_SUBQUERY && OidIsValid((rte)->relid)))

/*
 * 17 and later have JsonExpr (JSON_VALUE, JSON_QUERY, JSON_EXISTS and the
 * columns of JSON_TABLE), which converts its result to the RETURNING type
 * at run time without a cast node of its own.
 */
#if PG_VERSION_NUM >= 170000
#define CC_HAVE_JSON_EXPR 1
#endif

/*
 * A JSON lexer over 'len' bytes of a string, with escapes decoded (17 and
 * later take a context to fill in first: NULL makes a new one).
 */
#if PG_VERSION_NUM >= 170000
#define CC_JSON_LEX_CSTRING(json, len, encoding) \
	makeJsonLexContextCstringLen(NULL, (json), (len), (encoding), true)
#else
#define CC_JSON_LEX_CSTRING(json, len, encoding) \
	makeJsonLexContextCstringLen((json), (len), (encoding), true)
#endif

/* Index entries for a new heap tuple (16: onlySummarizing) */
#if PG_VERSION_NUM >= 160000
#define CC_INSERT_INDEX_TUPLES(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, \
						  false)
#else
#define CC_INSERT_INDEX_TUPLES(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

/*
 * A relation's primary key index, not a deferrable one (18 takes whether
 * a deferrable one will do; before, a deferrable one was never the
 * relation's primary key index)
 */
#if PG_VERSION_NUM >= 180000
#define CC_PRIMARY_KEY_INDEX(rel)	RelationGetPrimaryKeyIndex((rel), false)
#else
#define CC_PRIMARY_KEY_INDEX(rel)	RelationGetPrimaryKeyIndex(rel)
#endif

/* An index scan without instrumentation (18: IndexScanInstrumentation) */
#if PG_VERSION_NUM >= 180000
#define CC_INDEX_BEGINSCAN(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#else
#define CC_INDEX_BEGINSCAN(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#endif

/* Run a plan to completion, once (18: no execute_once) */
#if PG_VERSION_NUM >= 180000
#define CC_EXECUTOR_RUN_ALL(qdesc) \
	ExecutorRun((qdesc), ForwardScanDirection, 0)
#else
#define CC_EXECUTOR_RUN_ALL(qdesc) \
	ExecutorRun((qdesc), ForwardScanDirection, 0, true)
#endif

/*
 * The wait event of one of our waits, shown in pg_stat_activity: a name of
 * its own on 17 and later (WaitEventExtensionNew(), registered on first
 * use and remembered in 'cache', a static uint32 starting at 0: it takes a
 * lock and can ERROR, so call it before preparing to sleep), "Extension"
 * before.
 */
#if PG_VERSION_NUM >= 170000
#define CC_WAIT_EVENT(cache, name) \
	((cache) != 0 ? (cache) : ((cache) = WaitEventExtensionNew(name)))
#else
#define CC_WAIT_EVENT(cache, name)	((void) (cache), (uint32) PG_WAIT_EXTENSION)
#endif

/* dshash keys copied with memcpy (17 made the copy function a parameter) */
#if PG_VERSION_NUM >= 170000
#define CC_DSHASH_COPY_WITH_MEMCPY(params) \
	((params).copy_function = dshash_memcpy)
#else
#define CC_DSHASH_COPY_WITH_MEMCPY(params)	((void) 0)
#endif

/*
 * Memory for a GUC check hook's "extra": 16 and later free it with
 * guc_free() (their GUC memory context) and export guc_malloc(); 15 frees
 * it with free().  Returns NULL when out of memory.
 */
#if PG_VERSION_NUM >= 160000
#define CC_GUC_MALLOC(size)		guc_malloc(LOG, (size))
#else
#define CC_GUC_MALLOC(size)		malloc(size)
#endif

#endif							/* CC_COMPAT_H */
