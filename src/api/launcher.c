/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The launcher of the recipe runners (runner.c), in the background
 *		worker.
 *
 * Fills a runner (runner.c) is to make wait in the recipe queue
 * (src/store/queue.c), each for one (database, session user).  The
 * background worker (worker.c) calls cc_runners_launch() every round and
 * whenever a fill is queued for a pair no runner serves (or whose runners
 * fall behind, while fewer than recipe_workers run: cc_queue_push()): it
 * starts a dynamic background worker for every such pair, and more for a
 * pair with more than CC_RUNNER_BACKLOG fills waiting per runner, at most
 * cascade_cache.recipe_workers at once; pairs served least recently
 * first (queue.c remembers, in shared memory, when a runner of a pair last
 * started or stopped, so a restarted worker knows it too), so that any
 * number of roles take the slots in turn (of the first CC_LAUNCH_PAIRS
 * pairs in the queue): a runner that gives its slot up to others, or stops
 * for any other reason, puts its pair after every pair served before.  A
 * runner that could not connect (its role or database gone, or not
 * allowed to log in) leaves its runner
 * slot FAILED, and the launcher drops the pair's queued fills, counting
 * them as skipped; one that took too long to connect (runner.c) leaves
 * them queued.  The number running is the runner slots taken plus the
 * runners this worker started that have not taken one yet: a restarted
 * worker knows none of the runners started before.
 *
 * The launcher keeps the runners it started in the background worker's
 * own memory; it reads and writes the queue, the runner slots and the
 * times of service only through queue.c.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/memutils.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "store/queue.h"
#include "xact/recipe.h"
#include "api/launcher.h"
#include "api/runner.h"

/*
 * Pairs with queued fills the launcher considers at once (those of the
 * queue's first CC_LAUNCH_PAIRS pairs)
 */
#define CC_LAUNCH_PAIRS			1024

/* Queued fills per runner of a pair above which the launcher adds one */
#define CC_RUNNER_BACKLOG		2

/* A runner the launcher started and has not seen stop yet */
typedef struct CCLaunched
{
	Oid			dbid;
	Oid			session_userid;
	BackgroundWorkerHandle *handle;
} CCLaunched;

/* A pair waiting for a runner, with its place in the queue, to be sorted */
typedef struct CCServedGroup
{
	CCQueueGroup group;
	int			position;		/* in the queue's order */
} CCServedGroup;

/* The launcher's runners (in the background worker) */
static CCLaunched cc_launched[CC_MAX_RUNNERS];
static int	cc_nlaunched = 0;

static bool cc_runner_launch_one(Oid dbid, Oid session_userid);
static void cc_runners_reap(void);
static int	cc_served_cmp(const void *a, const void *b);

/* ----------------------------------------------------------------
 * The launcher (runs in the background worker)
 * ----------------------------------------------------------------
 */

/*
 * Start runners for the pairs with queued fills that no runner serves, up
 * to cascade_cache.recipe_workers at once, and drop the fills of pairs
 * whose runner could not connect.  Called by the background worker in its
 * upkeep, outside any transaction.  Can ERROR (out of memory).
 */
void
cc_runners_launch(void)
{
	CCQueueGroup *groups;
	int		   *index;
	Oid			dbid;
	Oid			userid;
	int			running;
	int			pids[CC_MAX_RUNNERS];
	int			npids;
	int			ngroups;
	int			round;
	int			i;

	/* runners that could not connect: their fills cannot run */
	while (cc_runner_take_failed(&dbid, &userid))
	{
		int			dropped[CC_NUM_RECIPE_KINDS] = {0};
		int			n = cc_queue_drop_group(dbid, userid, dropped);

		cc_count(CC_STAT_WARM_OUTCOME_FIRST + CC_RECIPE_SKIPPED,
				 dropped[CC_RECIPE_WARM]);
		cc_count(CC_STAT_REFRESH_OUTCOME_FIRST + CC_RECIPE_SKIPPED,
				 dropped[CC_RECIPE_REFRESH]);
		if (n > 0)
			ereport(LOG,
					(errmsg("cascade_cache skipped %d queued fills of role %u in database %u",
							n, userid, dbid),
					 errdetail("A runner could not connect as that role to that database.")));
	}

	cc_runners_reap();
	cc_queue_set_runner_limit(cc_recipe_workers);
	/* till a start finds no background worker slot, below */
	cc_queue_set_launch_refused(false);

	/*
	 * The runner slots taken, whoever started them (a restarted worker knows
	 * none of the runners it started before), and those this worker started
	 * that have no slot yet
	 */
	npids = 0;
	for (i = 0; i < cc_nlaunched; i++)
	{
		pid_t		pid;

		switch (GetBackgroundWorkerPid(cc_launched[i].handle, &pid))
		{
			case BGWH_STARTED:
				pids[npids++] = (int) pid;
				break;
			case BGWH_NOT_YET_STARTED:
				pids[npids++] = 0;
				break;
			default:
				break;			/* stopped since cc_runners_reap() */
		}
	}
	running = cc_runner_slots_in_use(pids, npids);
	if (running >= cc_recipe_workers)
		return;

	groups = palloc(sizeof(CCQueueGroup) * CC_LAUNCH_PAIRS);
	index = palloc(sizeof(int) * CC_LAUNCH_PAIRS * 2);
	ngroups = cc_queue_groups(groups, CC_LAUNCH_PAIRS, index);
	pfree(index);

	/*
	 * Least recently served first, so that roles take the slots in turn when
	 * there are more of them than slots (or background workers); among pairs
	 * served as long ago, or never, in queue order.
	 */
	if (ngroups > 1)
	{
		CCServedGroup *order = palloc(sizeof(CCServedGroup) * ngroups);

		for (i = 0; i < ngroups; i++)
		{
			order[i].group = groups[i];
			order[i].position = i;
		}
		qsort(order, ngroups, sizeof(CCServedGroup), cc_served_cmp);
		for (i = 0; i < ngroups; i++)
			groups[i] = order[i].group;
		pfree(order);
	}

	/* first a runner for every pair that has none, then more for backlogs */
	for (round = 0; round < 2; round++)
		for (i = 0; i < ngroups && running < cc_recipe_workers; i++)
		{
			int			launched = 0;
			int			j;

			for (j = 0; j < cc_nlaunched; j++)
				if (cc_launched[j].dbid == groups[i].dbid &&
					cc_launched[j].session_userid == groups[i].session_userid)
					launched++;

			/*
			 * (a runner counts once it attached, and as launched till it
			 * exits)
			 */
			if (round == 0 ? launched > 0 || groups[i].runners > 0 :
				groups[i].items <= CC_RUNNER_BACKLOG * Max(launched, 1))
				continue;
			if (!cc_runner_launch_one(groups[i].dbid, groups[i].session_userid))
			{
				/* no background worker slot: busy runners share theirs */
				cc_queue_set_launch_refused(true);
				pfree(groups);
				return;			/* next round */
			}
			running++;
			cc_queue_set_launch_refused(false);
		}
	pfree(groups);
}

/* Forget the runners that stopped. */
static void
cc_runners_reap(void)
{
	int			i = 0;

	while (i < cc_nlaunched)
	{
		pid_t		pid;

		if (GetBackgroundWorkerPid(cc_launched[i].handle, &pid) == BGWH_STOPPED)
		{
			pfree(cc_launched[i].handle);
			cc_launched[i] = cc_launched[--cc_nlaunched];
		}
		else
			i++;
	}
}

/* Order of CCServedGroup: served longest ago first, then queue order */
static int
cc_served_cmp(const void *a, const void *b)
{
	const CCServedGroup *x = (const CCServedGroup *) a;
	const CCServedGroup *y = (const CCServedGroup *) b;

	if (x->group.served_at != y->group.served_at)
		return x->group.served_at < y->group.served_at ? -1 : 1;
	return x->position - y->position;
}

/* Start a runner for (dbid, session_userid).  false: no worker slot. */
static bool
cc_runner_launch_one(Oid dbid, Oid session_userid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	CCRunnerArgs args;
	MemoryContext oldcxt;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "cascade_cache");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "cc_runner_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "cascade_cache runner");
	snprintf(worker.bgw_type, BGW_MAXLEN, "cascade_cache runner");
	args.dbid = dbid;
	args.session_userid = session_userid;
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;

	/* the handle is palloc'd: keep it across rounds */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcxt);
	if (!registered)
		return false;
	cc_launched[cc_nlaunched].dbid = dbid;
	cc_launched[cc_nlaunched].session_userid = session_userid;
	cc_launched[cc_nlaunched].handle = handle;
	cc_nlaunched++;
	cc_queue_note_served(dbid, session_userid);
	return true;
}
