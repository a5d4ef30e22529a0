/*-------------------------------------------------------------------------
 *
 * key.c
 *		The cache key: everything that can change a query's result, apart
 *		from the data itself.
 *
 * A key is (database, current role, h1, h2).  The database and role are
 * kept verbatim so that no hash collision can ever serve one role's result
 * to another.  h1 and h2 are two 64-bit hashes, with different seeds
 * derived from one random per-cluster seed (CCShared->key_seed), of
 *
 *	- the session user (policies may read session_user);
 *	- for a session that has a temporary schema, the session itself (its
 *	  process id and start time) and a count of the catalog changes it has
 *	  made: names in its queries may resolve to its own temporary objects,
 *	  so its results are never shared, nor reused after it created or
 *	  dropped something;
 *	- the name and current value of EVERY setting (built-in, of an
 *	  extension, or a placeholder such as app.tenant_id), except those on
 *	  cc_unkeyed_settings, known not to change any result (logging,
 *	  timeouts, resource limits, planner costs, application_name, ...), and
 *	  except postmaster-level settings, which cannot change while the cache
 *	  exists.  Settings named in cascade_cache.key_settings are keyed even
 *	  if they are on that list;
 *	- the query text, the parameters (jsonb, byte for byte) and the query
 *	  name.
 *
 * Failing closed: a setting nobody thought about is part of the key.  The
 * cost of a setting that did not need to be there is a lower hit rate for
 * sessions that set it differently, nothing else.
 *
 * Each component is hashed separately, chaining the previous hash in as the
 * seed, so no component is copied and boundaries between components are
 * unambiguous.  Nothing here touches the catalogs: this runs on every call,
 * hit or miss.
 *
 * Everything up to the query text is session state, which rarely changes
 * between two calls, so the two hashes after it are memoized together with
 * a copy of the values they were computed from.  The keyed settings are
 * found once, by walking the GUC array (get_guc_variables()), and found
 * again whenever that array changes (a new placeholder, an extension's
 * settings defined by LOAD) or key_settings does; a call then compares the
 * keyed settings' current values with the copy, and hashes only the
 * query, the parameters and the name when nothing changed.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "cascade_cache.h"
#include "base/key.h"
#include "base/settings.h"
#include "base/shmem.h"

/* h2's seed: the cluster's key seed mixed with the golden ratio */
#define CC_KEY_SEED2_MIX		UINT64CONST(0x9E3779B97F4A7C15)

/*
 * Settings known not to change the result of any query that may be cached
 * (by name, case-insensitively; "prefix*" matches a prefix).  Why each
 * group is here:
 *	- logging, reporting, statistics and process titles: what is written
 *	  to the log or the statistics, never to a result;
 *	- timeouts and resource limits: whether a query errors or how fast it
 *	  runs (a cached result is served without running it at all);
 *	- planner settings and costs, parallelism, JIT: which plan runs.  A
 *	  plan only changes the order of rows of a query without ORDER BY (or
 *	  which rows a LIMIT without ORDER BY keeps), which PostgreSQL itself
 *	  does not fix from one run to the next (synchronize_seqscans);
 *	- client_encoding: the result is converted when it is sent;
 *	- transaction characteristics: other isolation levels than READ
 *	  COMMITTED bypass the cache; read-only-ness does not change a read;
 *	- settings that only affect DDL, writes, vacuum, WAL, replication,
 *	  authentication and connections;
 *	- cascade_cache's own settings.
 * current_setting() of one of these keeps a query out of the cache.
 */
static const char *const cc_unkeyed_settings[] = {
	"allow_in_place_tablespaces", "allow_system_table_mods",
	"application_name", "archive_*", "authentication_timeout",
	"autovacuum*", "backend_flush_after", "backtrace_functions",
	"bgwriter_*", "cascade_cache.*", "check_function_bodies", "checkpoint_*",
	"client_connection_check_interval", "client_encoding",
	"client_min_messages", "commit_delay", "commit_siblings",
	"commit_timestamp_buffers", "compute_query_id", "constraint_exclusion",
	"cpu_index_tuple_cost", "cpu_operator_cost", "cpu_tuple_cost",
	"cursor_tuple_fraction", "db_user_namespace", "deadlock_timeout",
	"debug_discard_caches", "debug_parallel_query", "debug_pretty_print",
	"debug_print_*", "default_statistics_target",
	"default_table_access_method", "default_tablespace",
	"default_toast_compression", "default_transaction_deferrable",
	"default_transaction_isolation", "default_transaction_read_only",
	"effective_cache_size", "effective_io_concurrency", "enable_*",
	"escape_string_warning", "event_triggers", "exit_on_error",
	"force_parallel_mode", "from_collapse_limit", "fsync",
	"full_page_writes", "geqo*",
	"gin_pending_list_limit", "hash_mem_multiplier", "hot_standby_feedback",
	"idle_in_transaction_session_timeout", "idle_session_timeout",
	"ignore_system_indexes", "io_*", "jit", "jit_*", "join_collapse_limit",
	"krb_*", "lc_messages", "lock_timeout", "log_*",
	"logical_decoding_work_mem", "maintenance_io_concurrency",
	"maintenance_work_mem", "max_parallel_*", "max_pred_locks_per_*",
	"max_slot_wal_keep_size", "max_stack_depth", "max_standby_*",
	"max_sync_workers_per_subscription", "max_wal_size", "min_parallel_*",
	"min_wal_size", "parallel_leader_participation", "parallel_setup_cost",
	"parallel_tuple_cost", "password_encryption", "plan_cache_mode",
	"plpgsql.print_strict_params", "post_auth_delay", "pre_auth_delay",
	"primary_conninfo", "primary_slot_name", "promote_trigger_file",
	"random_page_cost", "recovery_*", "recursive_worktable_factor",
	"remove_temp_files_after_crash", "restart_after_crash",
	"restore_command", "seq_page_cost", "ssl", "ssl_*", "statement_timeout",
	"stats_fetch_consistency", "summarize_wal", "sync_replication_slots",
	"synchronize_seqscans", "synchronized_standby_slots",
	"synchronous_commit", "synchronous_standby_names", "syslog_*", "tcp_*",
	"temp_buffers", "temp_file_limit", "temp_tablespaces", "trace_*",
	"track_*", "transaction_deferrable", "transaction_isolation",
	"transaction_read_only", "transaction_timeout", "update_process_title",
	"vacuum_*", "wal_*", "work_mem"
};

/*
 * Keyed settings that cannot change during a backend's life (fixed when
 * the server or the database is): hashed into the memo, not compared on
 * every call.  Only PGC_INTERNAL settings are trusted to be on this list.
 */
static const char *const cc_constant_settings[] = {
	"block_size", "data_checksums", "data_directory_mode",
	"debug_assertions", "integer_datetimes", "lc_collate", "lc_ctype",
	"max_function_args", "max_identifier_length", "max_index_keys",
	"segment_size", "server_encoding", "server_version",
	"server_version_num", "shared_memory_size",
	"shared_memory_size_in_huge_pages", "ssl_library", "wal_block_size",
	"wal_segment_size"
};

/* cascade_cache.key_settings, parsed; reparsed after every assignment */
static List *cc_key_settings_list = NIL;

/*
 * Generations of cascade_cache.key_settings: the assign hook advances
 * cc_key_settings_gen; the parsed list and the keyed settings each record
 * the generation they were built from.
 */
static uint64 cc_key_settings_gen = 1;
static uint64 cc_key_settings_parsed = 0;
static uint64 cc_keyed_gen = 0;

/*
 * Catalog changes this session made while it had a temporary schema
 * (counted by catalog_inval.c); part of the key of such a session.
 */
static uint64 cc_session_catalog_changes = 0;

/*
 * Two hash chains, advanced together.
 */
typedef struct CCKeyHasher
{
	uint64		h1;
	uint64		h2;
} CCKeyHasher;

static inline void
cc_hash_bytes(CCKeyHasher *h, const void *data, Size len)
{
	h->h1 = hash_bytes_extended((const unsigned char *) data, (int) len, h->h1);
	h->h2 = hash_bytes_extended((const unsigned char *) data, (int) len, h->h2);
}

static inline void
cc_hash_string(CCKeyHasher *h, const char *s)
{
	/* a NULL string hashes differently from every real string */
	if (s == NULL)
		cc_hash_bytes(h, "\xff\xfe", 2);
	else
		cc_hash_bytes(h, s, strlen(s) + 1);
}

static inline bool
cc_string_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool cc_guc_at_boot(struct config_generic *gen);

/*
 * GUC assign hook of cascade_cache.key_settings: reparse on next use.
 * Must not fail.
 */
void
cc_key_settings_assign(const char *newval, void *extra)
{
	cc_key_settings_gen++;
}

/*
 * A number that changes whenever cascade_cache.key_settings is assigned
 * (so whether a setting is in the key may have changed).
 */
uint64
cc_key_settings_generation(void)
{
	return cc_key_settings_gen;
}

/*
 * Return the parsed list of key settings, reparsing after an assignment.
 * The GUC's check hook already validated the syntax.
 */
static List *
cc_get_key_settings(void)
{
	if (cc_key_settings_parsed != cc_key_settings_gen)
	{
		list_free_deep(cc_key_settings_list);
		cc_key_settings_list = NIL;
		/* the check hook validated the syntax */
		(void) cc_split_name_list(cc_key_settings, true, TopMemoryContext,
								  &cc_key_settings_list);
		cc_key_settings_parsed = cc_key_settings_gen;
	}
	return cc_key_settings_list;
}

/*
 * Split the value of a list setting into names, each palloc'd in 'cxt', as
 * *names (a List, also in 'cxt'): identifiers, downcased unless quoted
 * ('identifiers': SplitIdentifierString), or names that may be
 * schema-qualified, kept as written (SplitGUCList).  Returns false, with
 * *names NIL, on a syntax error.  Can ERROR (out of memory).
 */
bool
cc_split_name_list(const char *value, bool identifiers, MemoryContext cxt,
				   List **names)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	char	   *raw = pstrdup(value ? value : "");
	List	   *parts = NIL;
	ListCell   *lc;
	bool		ok;

	*names = NIL;
	ok = identifiers ? SplitIdentifierString(raw, ',', &parts) :
		SplitGUCList(raw, ',', &parts);
	if (ok)
	{
		foreach(lc, parts)
		{
			*names = lappend(*names, pstrdup((char *) lfirst(lc)));
		}
	}
	list_free(parts);
	pfree(raw);
	MemoryContextSwitchTo(oldcxt);
	return ok;
}

/* Is 'name' on the list of settings known not to change a result? */
static bool
cc_on_unkeyed_list(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(cc_unkeyed_settings); i++)
	{
		const char *pattern = cc_unkeyed_settings[i];
		size_t		plen = strlen(pattern);

		if (pattern[plen - 1] == '*')
		{
			if (pg_strncasecmp(name, pattern, plen - 1) == 0)
				return true;
		}
		else if (pg_strcasecmp(name, pattern) == 0)
			return true;
	}
	return false;
}

/*
 * Is the value of setting 'name' part of every key?  True unless it is on
 * the list of settings known not to change a result and not named in
 * cascade_cache.key_settings.  (Case-insensitive, as GUC names are.)
 */
bool
cc_is_key_setting(const char *name)
{
	ListCell   *lc;

	foreach(lc, cc_get_key_settings())
	{
		if (pg_strcasecmp(name, (const char *) lfirst(lc)) == 0)
			return true;
	}
	return !cc_on_unkeyed_list(name);
}

/*
 * May a cached query read setting 'name' (with current_setting())?  Only if
 * it is in the key (cc_is_key_setting()) and its value is too: it exists in
 * this session, and is not a setting an extension defined that holds its
 * boot value (left out of the hash, so a session that has not loaded the
 * extension, where it does not exist, has the same key).  A name PostgreSQL
 * maps to another (an old spelling) is not found here: not readable.  Can
 * ERROR (out of memory parsing key_settings).
 */
bool
cc_setting_readable(const char *name)
{
	struct config_generic **vars;
	int			n;
	int			i;

	if (!cc_is_key_setting(name))
		return false;
	vars = get_guc_variables();
	n = GetNumConfigOptions();
	for (i = 0; i < n; i++)
	{
		struct config_generic *gen = vars[i];

		if (pg_strcasecmp(gen->name, name) != 0)
			continue;
		if (gen->flags & GUC_CUSTOM_PLACEHOLDER)
			return true;
		return !(gen->group == CUSTOM_OPTIONS && cc_guc_at_boot(gen));
	}
	return false;
}

/*
 * Are any key settings configured?  Relations with row-level security are
 * cached only then.
 */
bool
cc_have_key_settings(void)
{
	return cc_get_key_settings() != NIL;
}

/* A catalog change made by this session; see cc_session_catalog_changes. */
void
cc_key_note_catalog_change(void)
{
	cc_session_catalog_changes++;
}

/* ----------------------------------------------------------------
 * The keyed settings and the memo
 * ----------------------------------------------------------------
 */

/* The value of a keyed setting, as it was when the memo was computed */
typedef union CCGucValue
{
	bool		b;
	int			i;
	double		r;
	char	   *s;				/* in cc_memo_cxt, or NULL */
} CCGucValue;

typedef struct CCKeyedGuc
{
	struct config_generic *gen;
	int			index;			/* its position in the GUC array */
	CCGucValue	memo;
} CCKeyedGuc;

/*
 * The keyed settings, valid for the GUC array cc_guc_array with
 * cc_guc_count entries (and the key_settings list it was built with).  The
 * first cc_ncompared of them are compared with the memo on every call;
 * the rest are constant (cc_constant_settings).
 */
static struct config_generic **cc_guc_array = NULL;
static int	cc_guc_count = -1;
static CCKeyedGuc *cc_keyed = NULL;
static int	cc_nkeyed = 0;
static int	cc_ncompared = 0;

/*
 * The fixed-size part of the session state.
 */
typedef struct CCSessionState
{
	Oid			dbid;
	Oid			userid;
	Oid			session_userid;
	int32		temp_pid;		/* a session with a temporary schema: */
	TimestampTz temp_started;	/* ... which one */
	uint64		temp_changes;	/* ... and its catalog changes */
} CCSessionState;

/* The memo: valid when cc_memo_valid; strings in cc_memo_cxt */
static bool cc_memo_valid = false;
static CCSessionState cc_memo_fixed;
static CCKeyHasher cc_memo_hash;
static MemoryContext cc_memo_cxt = NULL;

/* Is this keyed setting constant for the life of the backend? */
static bool
cc_is_constant_setting(struct config_generic *gen)
{
	int			i;

	if (gen->context != PGC_INTERNAL)
		return false;
	for (i = 0; i < (int) lengthof(cc_constant_settings); i++)
		if (pg_strcasecmp(gen->name, cc_constant_settings[i]) == 0)
			return true;
	return false;
}

/*
 * Find the keyed settings again if the GUC array's size or address, or
 * key_settings, changed.  (A placeholder replaced by an extension's real
 * definition, in place, is noticed by cc_compute_key().)  Returns true if
 * it did; the memo is then invalid.  Can ERROR (out of memory) only while
 * building, leaving the list empty and invalid.
 */
static bool
cc_refresh_keyed(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	int			i;
	int			nconstant = 0;

	if (vars == cc_guc_array && n == cc_guc_count &&
		cc_keyed_gen == cc_key_settings_gen)
		return false;

	cc_guc_array = NULL;
	cc_guc_count = -1;
	cc_nkeyed = 0;
	cc_ncompared = 0;
	if (cc_keyed != NULL)
		pfree(cc_keyed);
	cc_keyed = NULL;
	cc_keyed_gen = cc_key_settings_gen;
	cc_keyed = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(CCKeyedGuc) * Max(n, 1));
	(void) cc_get_key_settings();
	for (i = 0; i < n; i++)
	{
		struct config_generic *gen = vars[i];
		int			slot;

		/* cannot change while the server, and so the cache, exists */
		if (gen->context == PGC_POSTMASTER)
			continue;
		if (!cc_is_key_setting(gen->name))
			continue;
		/* the compared ones first, the constant ones from the end */
		if (cc_is_constant_setting(gen))
			slot = n - 1 - nconstant++;
		else
			slot = cc_ncompared++;
		cc_keyed[slot].gen = gen;
		cc_keyed[slot].index = i;
	}
	/* close the gap between the two groups */
	memmove(&cc_keyed[cc_ncompared], &cc_keyed[n - nconstant],
			sizeof(CCKeyedGuc) * nconstant);
	cc_nkeyed = cc_ncompared + nconstant;
	cc_guc_array = vars;
	cc_guc_count = n;
	return true;
}

/* Does the setting's current value equal the memo's copy? */
static inline bool
cc_guc_unchanged(const CCKeyedGuc *k)
{
	switch (k->gen->vartype)
	{
		case PGC_BOOL:
			return *((struct config_bool *) k->gen)->variable == k->memo.b;
		case PGC_INT:
			return *((struct config_int *) k->gen)->variable == k->memo.i;
		case PGC_REAL:
			return memcmp(((struct config_real *) k->gen)->variable,
						  &k->memo.r, sizeof(double)) == 0;
		case PGC_STRING:
			return cc_string_equal(*((struct config_string *) k->gen)->variable,
								   k->memo.s);
		case PGC_ENUM:
			return *((struct config_enum *) k->gen)->variable == k->memo.i;
	}
	return false;
}

/*
 * Does a setting an extension defined (not a placeholder) hold its boot
 * value?  Such a setting is left out of the hash, so that a session that
 * has loaded plpgsql (defining plpgsql.*) shares keys with one that has
 * not.  What a query sees of a setting that is not defined at all, it sees
 * only through current_setting(), and cc_check_query() does not cache
 * that.  Placeholders (SET of a name nobody defined) are always hashed.
 */
static bool
cc_guc_at_boot(struct config_generic *gen)
{
	if (gen->flags & GUC_CUSTOM_PLACEHOLDER)
		return false;
	switch (gen->vartype)
	{
		case PGC_BOOL:
			{
				struct config_bool *conf = (struct config_bool *) gen;

				return *conf->variable == conf->boot_val;
			}
		case PGC_INT:
			{
				struct config_int *conf = (struct config_int *) gen;

				return *conf->variable == conf->boot_val;
			}
		case PGC_REAL:
			{
				struct config_real *conf = (struct config_real *) gen;

				return memcmp(conf->variable, &conf->boot_val,
							  sizeof(double)) == 0;
			}
		case PGC_STRING:
			{
				struct config_string *conf = (struct config_string *) gen;

				return cc_string_equal(*conf->variable, conf->boot_val);
			}
		case PGC_ENUM:
			{
				struct config_enum *conf = (struct config_enum *) gen;

				return *conf->variable == conf->boot_val;
			}
	}
	return false;
}

/*
 * Copy a keyed setting's current value into the memo, and hash its name
 * and value unless it holds its boot value (cc_guc_at_boot()).  Can ERROR
 * (out of memory copying a string); the caller has invalidated the memo
 * first.
 */
static void
cc_hash_guc(CCKeyHasher *h, CCKeyedGuc *k)
{
	struct config_generic *gen = k->gen;
	bool		hashed = !cc_guc_at_boot(gen);

	if (hashed)
		cc_hash_string(h, gen->name);
	switch (gen->vartype)
	{
		case PGC_BOOL:
			k->memo.b = *((struct config_bool *) gen)->variable;
			if (hashed)
				cc_hash_bytes(h, &k->memo.b, sizeof(bool));
			break;
		case PGC_INT:
			k->memo.i = *((struct config_int *) gen)->variable;
			if (hashed)
				cc_hash_bytes(h, &k->memo.i, sizeof(int));
			break;
		case PGC_REAL:
			memcpy(&k->memo.r, ((struct config_real *) gen)->variable,
				   sizeof(double));
			if (hashed)
				cc_hash_bytes(h, &k->memo.r, sizeof(double));
			break;
		case PGC_STRING:
			{
				const char *value = *((struct config_string *) gen)->variable;

				k->memo.s = value ? MemoryContextStrdup(cc_memo_cxt, value) : NULL;
				if (hashed)
					cc_hash_string(h, value);
				break;
			}
		case PGC_ENUM:
			k->memo.i = *((struct config_enum *) gen)->variable;
			if (hashed)
				cc_hash_bytes(h, &k->memo.i, sizeof(int));
			break;
	}
}

/*
 * Compute the key of (query, params, name) in the current session state,
 * for a result in 'format' (each form is stored under a key of its own).
 * Can ERROR (out of memory) only when the session state changed.
 */
void
cc_compute_key(text *query, Jsonb *params, const char *name,
			   CCFormat format, CCKey *key)
{
	CCKeyHasher h;
	CCSessionState fixed;
	Oid			temp_nsp;
	Oid			temp_toast_nsp;
	bool		memo_hit;
	uint8		fmt;
	int			i;

	key->dbid = MyDatabaseId;
	key->userid = GetUserId();

	/* zeroed first: the padding is hashed and compared too */
	memset(&fixed, 0, sizeof(fixed));
	fixed.dbid = key->dbid;
	fixed.userid = key->userid;
	fixed.session_userid = GetSessionUserId();
	GetTempNamespaceState(&temp_nsp, &temp_toast_nsp);
	if (OidIsValid(temp_nsp))
	{
		fixed.temp_pid = MyProcPid;
		fixed.temp_started = MyStartTimestamp;
		fixed.temp_changes = cc_session_catalog_changes;
	}

	memo_hit = !cc_refresh_keyed() && cc_memo_valid &&
		memcmp(&fixed, &cc_memo_fixed, sizeof(fixed)) == 0;
	for (i = 0; memo_hit && i < cc_ncompared; i++)
	{
		/* a placeholder replaced in place by an extension's definition */
		if (cc_guc_array[cc_keyed[i].index] != cc_keyed[i].gen)
		{
			cc_guc_array = NULL;
			(void) cc_refresh_keyed();
			memo_hit = false;
			break;
		}
		memo_hit = cc_guc_unchanged(&cc_keyed[i]);
	}

	if (memo_hit)
		h = cc_memo_hash;
	else
	{
		/* every pointer must be live before the values are read */
		for (i = 0; i < cc_nkeyed; i++)
			if (cc_guc_array[cc_keyed[i].index] != cc_keyed[i].gen)
			{
				cc_guc_array = NULL;
				(void) cc_refresh_keyed();
				break;
			}
		cc_memo_valid = false;
		if (cc_memo_cxt == NULL)
			cc_memo_cxt = AllocSetContextCreate(TopMemoryContext,
												"cascade_cache key memo",
												ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(cc_memo_cxt);

		h.h1 = cc_shared->key_seed;
		h.h2 = cc_shared->key_seed ^ CC_KEY_SEED2_MIX;
		cc_hash_bytes(&h, &fixed, sizeof(fixed));
		for (i = 0; i < cc_nkeyed; i++)
			cc_hash_guc(&h, &cc_keyed[i]);
		cc_memo_fixed = fixed;
		cc_memo_hash = h;
		cc_memo_valid = true;
	}

	cc_hash_bytes(&h, VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query));
	cc_hash_bytes(&h, VARDATA_ANY(params), VARSIZE_ANY_EXHDR(params));
	cc_hash_string(&h, name);
	fmt = (uint8) format;
	cc_hash_bytes(&h, &fmt, sizeof(fmt));

	key->h1 = h.h1;
	key->h2 = h.h2;
}

/*
 * The names of the settings in the key right now, for cache_explain().
 * palloc'd list of const char * (the GUC's own name strings).
 */
List *
cc_keyed_setting_names(void)
{
	List	   *names = NIL;
	int			i;

	(void) cc_refresh_keyed();
	for (i = 0; i < cc_nkeyed; i++)
		names = lappend(names, (void *) cc_keyed[i].gen->name);
	return names;
}

/* ----------------------------------------------------------------
 * Dependency keys
 * ----------------------------------------------------------------
 */

/*
 * Hash a dependency key.  The seed is fixed (CC_DEP_SEED), so every
 * process, and every node that replays our WAL, agrees on the value.
 */
uint64
cc_dep_hash(CCDepKind kind, Oid dbid, Oid objid)
{
	struct
	{
		uint32		kind;
		Oid			dbid;
		Oid			objid;
		uint32		pad;
	}			k;

	k.kind = (uint32) kind;
	k.dbid = dbid;
	k.objid = objid;
	k.pad = 0;
	return hash_bytes_extended((const unsigned char *) &k, sizeof(k),
							   CC_DEP_SEED);
}

/*
 * Hash a dependency key named by text: an entity tag, a type, a query name.
 */
uint64
cc_dep_hash_text(CCDepKind kind, Oid dbid, const char *text, int len)
{
	uint64		h = cc_dep_hash(kind, dbid, InvalidOid);

	return hash_bytes_extended((const unsigned char *) text, len, h);
}

/*
 * A GUC check hook's body for a list of names: identifiers (setting names)
 * or, when 'identifiers' is false, function names that may be
 * schema-qualified.  Returns false, with a detail, if the syntax is wrong.
 */
bool
cc_check_name_list(char **newval, bool identifiers)
{
	List	   *names;
	bool		ok = cc_split_name_list(*newval, identifiers,
										CurrentMemoryContext, &names);

	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free_deep(names);
	return ok;
}

/* GUC check hook of cascade_cache.key_settings */
static bool
cc_check_key_settings(char **newval, void **extra, GucSource source)
{
	return cc_check_name_list(newval, true);
}

/*
 * Define cascade_cache.key_settings.
 * Called once, from _PG_init.
 */
void
cc_key_define_gucs(void)
{
	DefineCustomStringVariable("cascade_cache.key_settings",
							   "Comma-separated names of settings that are part of every cache key even if they are known not to change results.",
							   "Every setting is part of the key except a documented list (application_name, logging, timeouts, planner costs, ...); name one of those here to key it too.  Tables with row-level security are cached only when this is set.",
							   &cc_key_settings,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   cc_check_key_settings,
							   cc_key_settings_assign,
							   NULL);
}
