/*-------------------------------------------------------------------------
 *
 * keyed.c
 *		Which settings are part of the cache key.
 *
 * Every setting is, failing closed, except those on cc_unkeyed_settings,
 * known not to change the result of any query that may be cached, unless
 * cascade_cache.key_settings names them.  This file holds those lists, the
 * key_settings setting and its parsed form, and the predicates key.c (which
 * hashes the values) and the cacheability checks (which decide whether a
 * query may read a setting with current_setting()) share.
 *
 * No locks, no shared memory: everything here is per backend.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "compat.h"
#include "base/gucset.h"
#include "base/keyed.h"
#include "base/settings.h"
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
 *	- transaction characteristics: other isolation levels than READ
 *	  COMMITTED bypass the cache; read-only-ness does not change a read;
 *	- settings that only affect DDL, writes, vacuum, WAL, replication,
 *	  authentication and connections; in_hot_standby (whether the server
 *	  is a standby: a read gives the same rows on a standby as on its
 *	  primary, and only client sessions have it set, not the recipe
 *	  runners that warm a standby);
 *	- cascade_cache's own settings.
 * current_setting() of one of these keeps a query out of the cache.
 */
static const char *const cc_unkeyed_settings[] = {
	"allow_in_place_tablespaces", "allow_system_table_mods",
	"application_name", "archive_*", "authentication_timeout",
	"autovacuum*", "backend_flush_after", "backtrace_functions",
	"bgwriter_*", "cascade_cache.*", "check_function_bodies", "checkpoint_*",
	"client_connection_check_interval", "client_min_messages",
	"commit_delay", "commit_siblings", "commit_timestamp_buffers",
	"compute_query_id", "constraint_exclusion",
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
	"ignore_system_indexes", "in_hot_standby", "io_*", "jit", "jit_*", "join_collapse_limit",
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
 * cc_key_settings_gen; the parsed list records the generation it was built
 * from.
 */
static uint64 cc_key_settings_gen = 1;
static uint64 cc_key_settings_parsed = 0;

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
List *
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
 * extension, where it does not exist, has the same key), nor a placeholder
 * the key leaves out (cc_gucset_may_key()).  A name PostgreSQL
 * maps to another (an old spelling) is not found here: not readable.  Can
 * ERROR (out of memory parsing key_settings).
 */
bool
cc_setting_readable(const char *name)
{
	struct config_generic **vars;
	int			n;
	int			i;
	bool		readable = false;

	if (!cc_is_key_setting(name))
		return false;
	vars = cc_gucset_all(&n);
	for (i = 0; i < n; i++)
	{
		struct config_generic *gen = vars[i];

		if (pg_strcasecmp(gen->name, name) != 0)
			continue;
		if (!cc_gucset_may_key(gen))
			readable = false;
		else if (gen->flags & GUC_CUSTOM_PLACEHOLDER)
			readable = true;
		else
			readable = !(gen->group == CUSTOM_OPTIONS && cc_guc_at_boot(gen));
		break;
	}
	cc_gucset_free(vars);
	return readable;
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

/* Is this keyed setting constant for the life of the backend? */
bool
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
 * Does a setting an extension defined (not a placeholder) hold its boot
 * value?  Such a setting is left out of the hash, so that a session that
 * has loaded plpgsql (defining plpgsql.*) shares keys with one that has
 * not.  What a query sees of a setting that is not defined at all, it sees
 * only through current_setting(), and cc_check_query() does not cache
 * that.  Placeholders (SET of a name nobody defined) are always hashed.
 */
bool
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

/*
 * A GUC check hook's body for a list of names and "prefix*" patterns (of
 * query names or settings): parses 'value' into the hook's "extra", a flat
 * copy of the names, each NUL-terminated, then an empty string, allocated
 * as the GUC machinery frees it (CC_GUC_MALLOC()).  Returns false, with a
 * detail, if the syntax is wrong.
 */
bool
cc_name_patterns_check(const char *value, void **extra)
{
	List	   *names;
	ListCell   *lc;
	Size		size = 1;
	char	   *flat;
	char	   *p;

	if (!cc_split_name_list(value, false, CurrentMemoryContext, &names))
	{
		GUC_check_errdetail("List syntax is invalid.");
		return false;
	}
	foreach(lc, names)
		size += strlen(lfirst(lc)) + 1;
	flat = CC_GUC_MALLOC(size);
	if (flat == NULL)
	{
		list_free_deep(names);
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		return false;
	}
	p = flat;
	foreach(lc, names)
	{
		strcpy(p, lfirst(lc));
		p += strlen(p) + 1;
	}
	*p = '\0';
	list_free_deep(names);
	*extra = flat;
	return true;
}

/*
 * Does 'name' equal a name of the flat list 'patterns' (see
 * cc_name_patterns_check()), or start with the prefix of one written as
 * "prefix*"?  Case-sensitive; NULL matches nothing.  Cannot fail.
 */
bool
cc_name_patterns_match(const char *patterns, const char *name)
{
	const char *item;
	size_t		len = strlen(name);

	for (item = patterns; item != NULL && *item != '\0';
		 item += strlen(item) + 1)
	{
		size_t		ilen = strlen(item);

		if (ilen > 0 && item[ilen - 1] == '*')
		{
			if (len >= ilen - 1 && strncmp(name, item, ilen - 1) == 0)
				return true;
		}
		else if (strcmp(name, item) == 0)
			return true;
	}
	return false;
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
