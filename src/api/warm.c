/*-------------------------------------------------------------------------
 *
 * warm.c
 *		Warm restart: the hot set's recipes written to a file in the data
 *		directory, and run again by recipe runners after a start.
 *
 * contrib/pg_prewarm's autoprewarm is the model.  The background worker
 * (worker.c) writes the recipes of the cascade_cache.warm_entries entries
 * with the most hits (src/store/recipes.c) every
 * cascade_cache.warm_interval and when it stops at a clean shutdown, to
 * CC_WARM_FILE: written to a temporary file readable and writable by the
 * server's owner only (0600), fsync'd, and renamed over the last one.  No
 * SQL function reads it.
 *
 * After the server starts (and after a crash-restart, from the last
 * periodic write), the worker reads the file once, checks its CRC, and
 * queues the recipes in rank order for the runners (src/api/runner.c),
 * at most cascade_cache.warm_rate a second and never more than the warm
 * half of the recipe queue, while the server already serves.  Each recipe
 * runs as its own role through the normal fill path, and only if the key
 * it computes is exactly the recorded one (src/xact/recipe_run.c).  No
 * write happens until the file's recipes have all been queued and taken by
 * runners, so that a restart while warming does not lose the hot set; nor
 * when the cache holds no recipe (a cache flushed since the last write):
 * the last file written stays.
 *
 * The key hashes are seeded per cluster (CCShared->key_seed): the file
 * keeps the seed, and cc_warm_shmem_init() takes it over when shared
 * memory is created, so that the keys of the recorded recipes can be
 * reproduced.  The seed is as secret as the file (0600, in the data
 * directory).
 *
 * Locking: the warm state in shared memory is written by the background
 * worker only, under its spinlock, and read by cache_warm_status().
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "base/keyed.h"
#include "base/settings.h"
#include "base/shmem.h"
#include "store/queue.h"
#include "store/recipes.h"
#include "store/store.h"
#include "xact/recipe.h"
#include "xact/replication.h"
#include "api/warm.h"

/* The file, relative to the data directory, and its temporary name */
#define CC_WARM_FILE			"cascade_cache.warm"
#define CC_WARM_TEMP_FILE		"cascade_cache.warm.tmp"
#define CC_WARM_USED_FILE		"cascade_cache.warm.used"

/*
 * The file's magic: "CCWARM" and the format's version, "02" since recipes
 * keep jsonb parameters as JSON text.  A file of another version is
 * ignored.
 */
#define CC_WARM_MAGIC			UINT64CONST(0x43435741524D3032) /* CCWARM02 */
#define CC_WARM_FAMILY(magic)	((magic) >> 16) /* "CCWARM" */

/*
 * A file larger than this is refused.  One is written no larger than the
 * cache's max_memory either (cc_warm_dump()): a recipe repeats the
 * query text and settings that the store shares between the entries of
 * one statement, so the recipes of a small cache can be far larger than it.
 */
#define CC_WARM_MAX_FILE		((Size) 256 * 1024 * 1024)

/* The states shown by cache_warm_status() */
typedef enum CCWarmState
{
	CC_WARM_IDLE = 0,			/* nothing to warm (no file, or off) */
	CC_WARM_QUEUING,			/* queuing the file's recipes */
	CC_WARM_DONE				/* all of the file's recipes were queued */
} CCWarmState;

/* The file's head */
typedef struct CCWarmHead
{
	uint64		magic;
	uint64		key_seed;
	TimestampTz written_at;
	uint32		count;
	uint32		pad;
} CCWarmHead;

/* Each recipe's head in the file */
typedef struct CCWarmRecord
{
	CCKey		key;
	uint64		hits;
	uint32		len;
	uint32		pad;
} CCWarmRecord;

typedef struct CCWarmShared
{
	slock_t		mutex;
	bool		read_done;		/* the file was read in this shmem lifetime */
	CCWarmState state;
	uint64		recipes;		/* in the file read */
	uint64		queued;			/* of those, queued so far */
	TimestampTz started_at;
	TimestampTz finished_at;
	TimestampTz last_dump_at;
	uint64		last_dump_recipes;
} CCWarmShared;

/* Settings */
int			cc_warm_entries = 10000;
int			cc_warm_interval_s = 300;
int			cc_warm_rate = 1000;
char	   *cc_warm_skip_settings = NULL;
static const char *cc_warm_skip_parsed = NULL;

static CCWarmShared *cc_warm = NULL;

/* The worker's copy of the file being queued */
static char *cc_warm_data = NULL;
static Size cc_warm_data_len = 0;
static Size cc_warm_pos = 0;	/* next record */
static TimestampTz cc_warm_last_feed = 0;
static TimestampTz cc_warm_last_dump = 0;

PG_FUNCTION_INFO_V1(cache_warm_status);

static bool cc_warm_read_file(const char *path, char **data, Size *len);
static bool cc_warm_skip_check(char **newval, void **extra, GucSource source);
static void cc_warm_skip_assign(const char *newval, void *extra);
static bool cc_warm_skip_recipe(const char *recipe, uint32 len);
static void cc_warm_set(CCWarmState state, uint64 recipes, uint64 queued);
static void cc_warm_keep_used(bool shutdown);
static bool cc_warm_write(int fd, const void *data, Size len);

/* Define the warm restart settings.  Called once, from _PG_init. */
void
cc_warm_define_gucs(void)
{
	DefineCustomIntVariable("cascade_cache.warm_entries",
							"Number of the hottest entries whose recipes are kept for a warm restart.",
							"0 turns warm restart off.",
							&cc_warm_entries,
							10000,
							0,
							1000000,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);
	DefineCustomIntVariable("cascade_cache.warm_interval",
							"Time between two writes of the warm restart file.",
							"0 writes it only at a clean shutdown.",
							&cc_warm_interval_s,
							300,
							0,
							INT_MAX / 1000,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);
	DefineCustomStringVariable("cascade_cache.warm_skip_settings",
							   "Settings whose values are never written to the warm restart file.",
							   "A comma-separated list of names, or prefixes written as \"prefix*\": a recipe of a session that held one is left out of the file.  The default leaves out PostgREST's request headers and JWT claims.",
							   &cc_warm_skip_settings,
							   "request.*",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   cc_warm_skip_check,
							   cc_warm_skip_assign,
							   NULL);
	DefineCustomIntVariable("cascade_cache.warm_rate",
							"Maximum number of warm restart recipes queued per second.",
							"0 queues them as fast as the runners take them.",
							&cc_warm_rate,
							1000,
							0,
							INT_MAX,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);
}

static bool
cc_warm_skip_check(char **newval, void **extra, GucSource source)
{
	return cc_name_patterns_check(*newval, extra);
}

static void
cc_warm_skip_assign(const char *newval, void *extra)
{
	cc_warm_skip_parsed = extra;
}

/* Size of the warm state.  Called from shmem_request_hook. */
Size
cc_warm_shmem_size(void)
{
	return sizeof(CCWarmShared);
}

/*
 * Create the warm state, and take the key seed over from the file when
 * there is one (see the header comment).  Called from shmem_startup_hook
 * under AddinShmemInitLock, after CCShared was created.  Never ERRORs on a
 * missing or unreadable file: the random seed stays.
 */
void
cc_warm_shmem_init(void)
{
	bool		found;
	FILE	   *file;
	CCWarmHead	head;

	cc_warm = ShmemInitStruct("cascade_cache warm", cc_warm_shmem_size(),
							  &found);
	if (found)
		return;
	memset(cc_warm, 0, sizeof(CCWarmShared));
	SpinLockInit(&cc_warm->mutex);

	if (cc_warm_entries == 0)
		return;
	file = AllocateFile(CC_WARM_FILE, PG_BINARY_R);
	if (file == NULL)
		return;
	/* the seed of a whole, undamaged file only: its CRC, read in chunks */
	if (fread(&head, sizeof(head), 1, file) == 1 &&
		head.magic == CC_WARM_MAGIC && fseeko(file, 0, SEEK_END) == 0)
	{
		off_t		size = ftello(file);
		char		buf[8192];
		pg_crc32c	crc;
		pg_crc32c	stored;
		off_t		done = 0;
		bool		ok = size >= (off_t) (sizeof(head) + sizeof(pg_crc32c)) &&
			size <= (off_t) CC_WARM_MAX_FILE && fseeko(file, 0, SEEK_SET) == 0;

		INIT_CRC32C(crc);
		while (ok && done < size - (off_t) sizeof(pg_crc32c))
		{
			size_t		want = Min(sizeof(buf),
								   (size_t) (size - (off_t) sizeof(pg_crc32c) - done));

			ok = fread(buf, 1, want, file) == want;
			if (ok)
				COMP_CRC32C(crc, buf, want);
			done += want;
		}
		FIN_CRC32C(crc);
		if (ok && fread(&stored, sizeof(stored), 1, file) == 1 &&
			EQ_CRC32C(crc, stored))
			cc_shared->key_seed = head.key_seed;
	}
	FreeFile(file);
}

/* Set the shown state; worker only. */
static void
cc_warm_set(CCWarmState state, uint64 recipes, uint64 queued)
{
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&cc_warm->mutex);
	if (state == CC_WARM_QUEUING && cc_warm->state != CC_WARM_QUEUING)
		cc_warm->started_at = now;
	if (state == CC_WARM_DONE && cc_warm->state != CC_WARM_DONE)
		cc_warm->finished_at = now;
	cc_warm->state = state;
	cc_warm->recipes = recipes;
	cc_warm->queued = queued;
	SpinLockRelease(&cc_warm->mutex);
}

/* ----------------------------------------------------------------
 * Reading the file and queuing its recipes (the background worker)
 * ----------------------------------------------------------------
 */

/*
 * Read the file into memory and check it.  Returns false (with a LOG
 * message unless there is no file) if it is missing, too large, damaged or
 * of another seed.
 */
static bool
cc_warm_read_file(const char *path, char **data, Size *len)
{
	struct stat st;
	FILE	   *file;
	char	   *buf;
	pg_crc32c	crc;
	pg_crc32c	stored;
	CCWarmHead	head;

	if (stat(path, &st) != 0)
		return false;
	if ((Size) st.st_size < sizeof(CCWarmHead) + sizeof(pg_crc32c) ||
		(Size) st.st_size > CC_WARM_MAX_FILE)
	{
		ereport(LOG,
				(errmsg("cascade_cache ignored the warm restart file \"%s\": its size is wrong",
						path)));
		return false;
	}
	file = AllocateFile(path, PG_BINARY_R);
	if (file == NULL)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("cascade_cache could not open \"%s\": %m", path)));
		return false;
	}
	buf = MemoryContextAllocHuge(TopMemoryContext, st.st_size);
	if (fread(buf, 1, st.st_size, file) != (size_t) st.st_size)
	{
		FreeFile(file);
		pfree(buf);
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("cascade_cache could not read \"%s\"", path)));
		return false;
	}
	FreeFile(file);

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf, st.st_size - sizeof(pg_crc32c));
	FIN_CRC32C(crc);
	memcpy(&stored, buf + st.st_size - sizeof(pg_crc32c), sizeof(stored));
	memcpy(&head, buf, sizeof(head));
	if (EQ_CRC32C(crc, stored) && head.magic != CC_WARM_MAGIC &&
		CC_WARM_FAMILY(head.magic) == CC_WARM_FAMILY(CC_WARM_MAGIC))
	{
		pfree(buf);
		ereport(LOG,
				(errmsg("cascade_cache ignored the warm restart file \"%s\": it is of another format, written by another version of cascade_cache",
						path)));
		return false;
	}
	if (!EQ_CRC32C(crc, stored) || head.magic != CC_WARM_MAGIC ||
		head.key_seed != cc_shared->key_seed)
	{
		pfree(buf);
		ereport(LOG,
				(errmsg("cascade_cache ignored the warm restart file \"%s\": it is damaged",
						path)));
		return false;
	}
	*data = buf;
	*len = st.st_size - sizeof(pg_crc32c);
	return true;
}

/*
 * Start a warm restart, or resume one a restart of the worker interrupted:
 * read the file and get ready to queue its recipes.  Called by the
 * background worker when it starts.  Can ERROR (out of memory).
 *
 * The file is renamed to CC_WARM_USED_FILE before it is read, and a new
 * one is written only once its recipes have all run: a recipe that crashes
 * the server (a bug in some function, the OOM killer) then does not crash
 * it again at every crash-restart, which starts cold instead.  A clean
 * shutdown while warming puts the file back (cc_warm_dump()).
 */
void
cc_warm_start(void)
{
	CCWarmHead	head;
	bool		first;
	bool		resume;
	uint64		skip = 0;
	uint64		i;
	struct stat st;

	SpinLockAcquire(&cc_warm->mutex);
	first = !cc_warm->read_done;
	cc_warm->read_done = true;
	resume = !first && cc_warm->state == CC_WARM_QUEUING;
	if (resume)
		skip = cc_warm->queued; /* a worker restart: past those queued */
	SpinLockRelease(&cc_warm->mutex);
	if (cc_warm_entries == 0 || !(first || resume))
		return;

	if (stat(CC_WARM_FILE, &st) == 0)
	{
		if (durable_rename(CC_WARM_FILE, CC_WARM_USED_FILE, LOG) != 0)
			return;
	}
	else if (first)
	{
		if (stat(CC_WARM_USED_FILE, &st) == 0)
			ereport(LOG,
					(errmsg("cascade_cache does not warm the cache: the last warm restart did not finish"),
					 errdetail("The server restarted while the recipes of \"%s\" were being run.",
							   CC_WARM_USED_FILE)));
		return;
	}
	if (!cc_warm_read_file(CC_WARM_USED_FILE, &cc_warm_data, &cc_warm_data_len))
		return;
	memcpy(&head, cc_warm_data, sizeof(head));
	cc_warm_pos = sizeof(head);

	/* resuming: past the records queued before */
	for (i = 0; i < skip && cc_warm_pos < cc_warm_data_len; i++)
	{
		CCWarmRecord rec;

		if (cc_warm_data_len - cc_warm_pos < sizeof(rec))
			break;
		memcpy(&rec, cc_warm_data + cc_warm_pos, sizeof(rec));
		cc_warm_pos += sizeof(rec) + Min(rec.len, cc_warm_data_len - cc_warm_pos - sizeof(rec));
	}
	cc_warm_last_feed = GetCurrentTimestamp();
	cc_warm_set(CC_WARM_QUEUING, head.count, skip);
	ereport(LOG,
			(errmsg("cascade_cache is warming the cache with %u recipes from \"%s\"",
					head.count, CC_WARM_FILE)));
}

/*
 * Queue the next recipes of the file, as the rate and the queue allow.
 * Returns true while there are more to queue (the worker then naps
 * shortly).  Called by the background worker every round.
 */
bool
cc_warm_feed(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			budget;
	uint64		queued;
	uint64		recipes;

	if (cc_warm_data == NULL)
		return false;
	/* a hot standby caches only once it may: until then, nothing to run */
	if (RecoveryInProgress() && !cc_replica_ready())
		return true;

	budget = cc_queue_room(CC_RECIPE_WARM);
	if (cc_warm_rate > 0)
	{
		long		secs;
		int			usecs;
		double		allowed;

		TimestampDifference(cc_warm_last_feed, now, &secs, &usecs);
		allowed = (secs + usecs / 1000000.0) * cc_warm_rate;
		if (allowed < 1)
			return true;
		budget = (int) Min((double) budget, allowed);
		/* the time the queued ones used up: the remainder carries over */
		cc_warm_last_feed = Min(now, cc_warm_last_feed +
								(TimestampTz) ((double) budget * USECS_PER_SEC /
											   cc_warm_rate));
	}

	SpinLockAcquire(&cc_warm->mutex);
	queued = cc_warm->queued;
	recipes = cc_warm->recipes;
	SpinLockRelease(&cc_warm->mutex);

	while (budget > 0 && cc_warm_pos < cc_warm_data_len)
	{
		CCWarmRecord rec;
		Oid			userid;

		/*
		 * Cannot happen (the CRC matched): a record that does not fit ends
		 * the file, so that feeding cannot stall on it.
		 */
		if (cc_warm_data_len - cc_warm_pos < sizeof(rec))
		{
			ereport(LOG,
					(errmsg("cascade_cache ignored the last %zu bytes of \"%s\": too short for a record",
							cc_warm_data_len - cc_warm_pos, CC_WARM_FILE)));
			cc_warm_pos = cc_warm_data_len;
			break;
		}
		memcpy(&rec, cc_warm_data + cc_warm_pos, sizeof(rec));
		cc_warm_pos += sizeof(rec);
		if (rec.len > cc_warm_data_len - cc_warm_pos)
		{
			ereport(LOG,
					(errmsg("cascade_cache ignored the rest of \"%s\": a record of %u bytes does not fit",
							CC_WARM_FILE, rec.len)));
			cc_warm_pos = cc_warm_data_len;
			break;
		}
		userid = cc_recipe_session_user(cc_warm_data + cc_warm_pos, rec.len);
		queued++;
		if (OidIsValid(userid) &&
			cc_queue_push(CC_RECIPE_WARM, &rec.key, userid,
						  InvalidTransactionId,
						  cc_warm_data + cc_warm_pos, rec.len) == CC_QUEUE_QUEUED)
			cc_count(CC_STAT_WARM_QUEUED, 1);
		else
			cc_count(CC_STAT_WARM_OUTCOME_FIRST + CC_RECIPE_SKIPPED, 1);
		cc_warm_pos += rec.len;
		budget--;
	}

	if (cc_warm_pos >= cc_warm_data_len)
	{
		pfree(cc_warm_data);
		cc_warm_data = NULL;
		cc_warm_set(CC_WARM_DONE, recipes, queued);
		ereport(LOG,
				(errmsg("cascade_cache queued all %llu recipes of \"%s\"",
						(unsigned long long) queued, CC_WARM_FILE)));
		return false;
	}
	cc_warm_set(CC_WARM_QUEUING, recipes, queued);
	return true;
}

/* ----------------------------------------------------------------
 * Writing the file (the background worker)
 * ----------------------------------------------------------------
 */

/*
 * Does the recipe hold a setting of cascade_cache.warm_skip_settings (or
 * not parse)?  Then it is not written.
 */
static bool
cc_warm_skip_recipe(const char *recipe, uint32 len)
{
	CCRecipe	r;
	int			i;

	/* (not the parameters: parsing JSON can ERROR, and this is the worker) */
	if (!cc_recipe_parse_context(recipe, len, &r))
		return true;
	for (i = 0; i < r.nsettings; i++)
		if (cc_name_patterns_match(cc_warm_skip_parsed, r.setting_names[i]))
			return true;
	return false;
}

/*
 * Write the file if it is time to ('shutdown': at a clean shutdown, when
 * it is always time).  Nothing is written while the last file's recipes
 * are still being queued or wait for a runner, or with warm restart off;
 * nor when the cache holds no recipe to write: the last file written is
 * kept (a cache flushed after it would otherwise make the next start
 * cold), and the one the last warm restart read is removed.  The recipes are
 * copied first (at most CC_WARM_MAX_FILE in all, and no more than
 * max_memory: the coldest that do not fit are left out, a smaller one
 * after them may still fit), then written, with the checksum computed as
 * they go, to a temporary file, which is fsync'd and renamed.  A failure
 * to write is logged and leaves the last file in place.  Can ERROR (out of
 * memory).
 */
void
cc_warm_dump(bool shutdown)
{
	TimestampTz now = GetCurrentTimestamp();
	CCHotEntry *hot;
	CCWarmHead	head;
	CCWarmRecord *recs;
	char	  **recipes;
	pg_crc32c	crc;
	int			fd;
	int			nhot;
	int			i;
	uint32		count = 0;
	Size		max_write;
	Size		size;
	bool		ok;

	if (cc_warm_entries == 0)
		return;
	/* not while the last file's recipes are still queued or waiting */
	if (cc_warm_data != NULL || cc_queue_length(CC_RECIPE_WARM) > 0)
	{
		cc_warm_keep_used(shutdown);
		return;
	}
	if (!shutdown)
	{
		if (cc_warm_interval_s == 0)
			return;
		if (cc_warm_last_dump == 0)
		{
			/* the first interval starts when the worker does */
			cc_warm_last_dump = now;
			return;
		}
		if (!TimestampDifferenceExceeds(cc_warm_last_dump, now,
										cc_warm_interval_s * 1000))
			return;
	}
	cc_warm_last_dump = now;

	max_write = Min(CC_WARM_MAX_FILE, cc_memory_limit_bytes());
	size = sizeof(head) + sizeof(pg_crc32c);
	nhot = cc_store_hot(cc_warm_entries, &hot);
	recs = palloc(sizeof(CCWarmRecord) * Max(nhot, 1));
	recipes = palloc(sizeof(char *) * Max(nhot, 1));
	for (i = 0; i < nhot; i++)
	{
		uint32		len;
		char	   *recipe;

		CHECK_FOR_INTERRUPTS();
		recipe = cc_recipe_copy(&hot[i].key, CC_MAX_RECIPE_BYTES, &len);
		if (recipe == NULL)
			continue;			/* gone meanwhile */
		if (cc_warm_skip_recipe(recipe, len) ||
			size + sizeof(CCWarmRecord) + len > max_write)
		{
			pfree(recipe);
			continue;
		}
		memset(&recs[count], 0, sizeof(CCWarmRecord));
		recs[count].key = hot[i].key;
		recs[count].hits = hot[i].hits;
		recs[count].len = len;
		recipes[count] = recipe;
		size += sizeof(CCWarmRecord) + len;
		count++;
	}
	pfree(hot);
	if (count == 0)
	{
		/*
		 * The last file stays; the one the last warm restart read (or
		 * refused, after a crash while warming) is done with.
		 */
		pfree(recs);
		pfree(recipes);
		(void) unlink(CC_WARM_USED_FILE);
		return;
	}

	memset(&head, 0, sizeof(head));
	head.magic = CC_WARM_MAGIC;
	head.key_seed = cc_shared->key_seed;
	head.written_at = now;
	head.count = count;

	/* readable and writable by the server's owner only */
	fd = OpenTransientFilePerm(CC_WARM_TEMP_FILE,
							   O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY,
							   S_IRUSR | S_IWUSR);
	ok = fd >= 0;
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, &head, sizeof(head));
	ok = ok && cc_warm_write(fd, &head, sizeof(head));
	for (i = 0; i < (int) count; i++)
	{
		COMP_CRC32C(crc, &recs[i], sizeof(CCWarmRecord));
		COMP_CRC32C(crc, recipes[i], recs[i].len);
		ok = ok && cc_warm_write(fd, &recs[i], sizeof(CCWarmRecord)) &&
			cc_warm_write(fd, recipes[i], recs[i].len);
		pfree(recipes[i]);
	}
	FIN_CRC32C(crc);
	ok = ok && cc_warm_write(fd, &crc, sizeof(crc)) && pg_fsync(fd) == 0;
	if (fd >= 0 && CloseTransientFile(fd) != 0)
		ok = false;
	pfree(recs);
	pfree(recipes);
	if (!ok || durable_rename(CC_WARM_TEMP_FILE, CC_WARM_FILE, LOG) != 0)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("cascade_cache could not write \"%s\": %m",
						CC_WARM_FILE)));
		(void) unlink(CC_WARM_TEMP_FILE);
		return;
	}

	/* the last warm restart's file is done with */
	(void) unlink(CC_WARM_USED_FILE);

	SpinLockAcquire(&cc_warm->mutex);
	cc_warm->last_dump_at = now;
	cc_warm->last_dump_recipes = count;
	SpinLockRelease(&cc_warm->mutex);
}

/*
 * Nothing is written while a warm restart's recipes still run: at a clean
 * shutdown, put back the file they come from (renamed .used while they
 * run), so that the next start warms from it again.
 */
static void
cc_warm_keep_used(bool shutdown)
{
	struct stat st;

	if (shutdown && stat(CC_WARM_USED_FILE, &st) == 0)
		(void) durable_rename(CC_WARM_USED_FILE, CC_WARM_FILE, LOG);
}

/* Write all of 'data' to 'fd'; false with errno set on failure. */
static bool
cc_warm_write(int fd, const void *data, Size len)
{
	errno = 0;
	if (write(fd, data, len) == (ssize_t) len)
		return true;
	if (errno == 0)
		errno = ENOSPC;
	return false;
}

/* ----------------------------------------------------------------
 * cache_warm_status()
 * ----------------------------------------------------------------
 */

/*
 * cache_warm_status(): the warm restart's state, how many recipes the file
 * read at start held and how many are queued, when queuing started and
 * ended, and the last write of the file.
 */
Datum
cache_warm_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8];
	CCWarmShared copy;
	static const char *const names[] = {"idle", "queuing", "done"};

	cc_check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	SpinLockAcquire(&cc_warm->mutex);
	copy = *cc_warm;
	SpinLockRelease(&cc_warm->mutex);

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(cc_warm_entries == 0 ? "off" :
									names[copy.state]);
	values[1] = Int64GetDatum((int64) copy.recipes);
	values[2] = Int64GetDatum((int64) copy.queued);
	values[3] = Int64GetDatum((int64) cc_queue_length(CC_RECIPE_WARM));
	values[4] = TimestampTzGetDatum(copy.started_at);
	nulls[4] = copy.started_at == 0;
	values[5] = TimestampTzGetDatum(copy.finished_at);
	nulls[5] = copy.finished_at == 0;
	values[6] = TimestampTzGetDatum(copy.last_dump_at);
	nulls[6] = copy.last_dump_at == 0;
	values[7] = Int64GetDatum((int64) copy.last_dump_recipes);
	nulls[7] = copy.last_dump_at == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
