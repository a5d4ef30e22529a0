/*-------------------------------------------------------------------------
 *
 * runner.c
 *		Recipe runners: background workers that compute entries again, for
 *		a warm restart and for refresh-ahead; and their launcher.
 *
 * Fills a runner is to make wait in the recipe queue (src/store/queue.c),
 * each for one (database, session user); the launcher (launcher.c, in the
 * background worker) starts the runners.
 *
 * A runner connects to its database AS the session user of its recipes,
 * like a client logging in (BackgroundWorkerInitializeConnectionByOid()):
 * it has exactly that role's privileges, its ALTER ROLE and ALTER DATABASE
 * settings, and nothing a superuser could do.  A role that is gone or may
 * not log in, or a database that is gone or does not accept connections,
 * makes the connection fail; the runner's slot is then left FAILED and the
 * launcher drops the pair's queued fills, counting them as skipped.
 * Connecting is bounded by cascade_cache.recipe_timeout (or
 * CC_RUNNER_CONNECT_MAX_MS if 0), with a timer of the runner's own: it
 * waits for the database's lock, which an open ALTER DATABASE ... RENAME
 * holds, and a runner waiting there serves nothing.  A runner that ran
 * out of time ends as a termination does and leaves its slot free: its
 * pair's fills stay queued for a later runner.
 *
 * It also loads the libraries a client session of the role would load
 * (session_preload_libraries, local_preload_libraries), and bounds each
 * recipe with the role's statement_timeout, and at most
 * cascade_cache.recipe_timeout whatever the role's settings, over all its
 * tries: the runner slots are shared by every role, and one that locks its
 * own tables, or has slow queries, must not hold them forever.  A recipe
 * that catches the cancel and still runs CC_RECIPE_GRACE_MS later ends
 * its runner (a timer of its own sets ProcDiePending, as die() does).
 *
 * A connected runner takes the pair's fills (refreshes newest first, warm
 * recipes oldest first, in the order cc_queue_take() gives), each in a
 * transaction of its own: it waits for the transaction that queued it (a
 * refresh waits for its invalidating commit), then runs the recipe
 * (cc_recipe_run(), src/xact/recipe_run.c) through the normal fill path.
 * An error fails that recipe only (counted, logged at DEBUG1).  A refresh
 * that the fence refused (the invalidating commit's marks were still
 * there) is tried again, up to CC_REFRESH_ATTEMPTS times (nothing else
 * that keeps a result out is: it would be the same again).  A runner with
 * nothing to do exits after CC_RUNNER_IDLE_MS, or at once if another pair
 * waits for a runner; a busy one, after CC_RUNNER_SHARE fills or
 * CC_RUNNER_SHARE_MS of work, if another pair waits and no runner can
 * start for it: every slot is taken, or the launcher found no background
 * worker slot (many roles then share the slots in turn).  A recipe
 * needs a runner without placeholder settings it did not have (every
 * placeholder is in the key, and none can leave a session): a runner that
 * took one while holding a placeholder an earlier recipe created puts it
 * back on the queue and exits, and a fresh runner takes it.
 *
 * Copyright (c) 2026, cascade_cache developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "cascade_cache.h"
#include "base/counters.h"
#include "store/queue.h"
#include "base/key.h"
#include "xact/recipe.h"
#include "xact/run.h"
#include "api/cached_query.h"
#include "api/runner.h"

/* A runner with nothing to do for this long exits */
#define CC_RUNNER_IDLE_MS		1000

/*
 * Fills a runner runs before it gives its slot to another pair that waits
 * for one (when none is free)
 */
#define CC_RUNNER_SHARE			64

/* ... or after running this long, whatever the number */
#define CC_RUNNER_SHARE_MS		1000

/* ... and how often it looks whether one waits, once it has run that much */
#define CC_RUNNER_SHARE_CHECK_MS	100

/* Between two looks at the queue when idle */
#define CC_RUNNER_NAPTIME_MS	500

/*
 * A recipe still running this long after its timeout (it caught the cancel)
 * ends its runner
 */
#define CC_RECIPE_GRACE_MS		1000

/* Longest a runner may take to connect when recipe_timeout is 0 */
#define CC_RUNNER_CONNECT_MAX_MS	60000

/* Tries of a refresh the fence refused, and the pause between them */
#define CC_REFRESH_ATTEMPTS		5
#define CC_REFRESH_RETRY_MS		20

/* cascade_cache.recipe_workers */
int			cc_recipe_workers = 2;

/* cascade_cache.recipe_timeout, in ms: the longest a recipe may run */
int			cc_recipe_timeout_ms = 30000;

/* Set when the runner took too long to connect (its timer's mark) */
static volatile sig_atomic_t cc_runner_connect_expired = false;

/* The runner's timer for a recipe that outlives its timeout, and its mark */
static TimeoutId cc_overrun_timeout;
static volatile sig_atomic_t cc_runner_overran = false;

static void cc_runner_exit(int code, Datum arg);
static void cc_runner_overrun(void);
static void cc_runner_connect_timeout(void);
static int	cc_runner_connect_ms(void);
static CCRecipeOutcome cc_runner_run(CCQueueItem *item,
									 const List *own_placeholders);
static CCRecipeOutcome cc_runner_attempt(CCQueueItem *item,
										 const List *own_placeholders,
										 TimestampTz deadline);
static int	cc_recipe_timeout(void);

/*
 * Define cascade_cache.recipe_workers and recipe_timeout.  Called once,
 * from _PG_init.
 */
void
cc_runner_define_gucs(void)
{
	DefineCustomIntVariable("cascade_cache.recipe_workers",
							"Maximum number of background runners that recompute entries at once.",
							"Runners run warm restart's recipes and refresh-ahead's fills; each takes a background worker slot (max_worker_processes) while it runs.",
							&cc_recipe_workers,
							2,
							1,
							CC_MAX_RUNNERS,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);
	DefineCustomIntVariable("cascade_cache.recipe_timeout",
							"Longest a recipe runner may spend on one recipe, whatever its role's statement_timeout.",
							"Includes waiting for locks and for the commit that queued it. 0: only the role's statement_timeout. Also bounds a runner's connection (60 s if 0).",
							&cc_recipe_timeout_ms,
							30000,
							0,
							INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL,
							NULL,
							NULL);
}

/* ----------------------------------------------------------------
 * The runner
 * ----------------------------------------------------------------
 */

/* Count what running a recipe of 'kind' came to. */
static void
cc_runner_count(CCRecipeKind kind, CCRecipeOutcome outcome)
{
	cc_count((kind == CC_RECIPE_WARM ? CC_STAT_WARM_OUTCOME_FIRST :
			  CC_STAT_REFRESH_OUTCOME_FIRST) + outcome, 1);
}

/*
 * The item a runner has taken and not yet counted: if the runner ends
 * meanwhile (a termination), it counts as failed, so that every item
 * queued still ends counted.
 */
static bool cc_runner_item_open = false;
static CCRecipeKind cc_runner_item_kind;

/*
 * The runner's slot is free again (or FAILED, if it never connected); an
 * item it was running is counted as failed.
 */
static void
cc_runner_exit(int code, Datum arg)
{
	if (cc_runner_item_open)
	{
		cc_runner_item_open = false;
		cc_runner_count(cc_runner_item_kind, CC_RECIPE_FAILED);
	}
	if (cc_runner_connect_expired)
	{
		CCRunnerArgs args;

		memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
		ereport(LOG,
				(errmsg("cascade_cache stopped a runner of role %u in database %u that had not connected after %d ms",
						args.session_userid, args.dbid, cc_runner_connect_ms()),
				 errdetail("Connecting waited for a lock on the database, held by an ALTER DATABASE say; its recipes stay queued."),
				 errhint("The limit is cascade_cache.recipe_timeout.")));
	}
	if (cc_runner_overran)
	{
		CCRunnerArgs args;

		memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
		ereport(LOG,
				(errmsg("cascade_cache stopped a runner of role %u in database %u: a recipe went on for %d ms past its timeout",
						args.session_userid, args.dbid, CC_RECIPE_GRACE_MS),
				 errdetail("The recipe did not stop when it was cancelled.")));
	}
	/* a connection that failed (not one stopped for taking long) */
	cc_runner_detach(DatumGetInt32(arg), !cc_runner_connect_expired);
}

/*
 * Timeout handler: the runner is still connecting (waiting for the
 * database's lock) cc_runner_connect_ms() after it began.  End it as a
 * termination does; the exit callback leaves its pair's recipes queued.
 */
static void
cc_runner_connect_timeout(void)
{
	if (proc_exit_inprogress)
		return;
	cc_runner_connect_expired = true;
	ProcDiePending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/*
 * How long a runner may take to connect: recipe_timeout, or
 * CC_RUNNER_CONNECT_MAX_MS if that is 0 (no role's statement_timeout
 * applies before the connection).
 */
static int
cc_runner_connect_ms(void)
{
	return cc_recipe_timeout_ms > 0 ? cc_recipe_timeout_ms :
		CC_RUNNER_CONNECT_MAX_MS;
}

/*
 * Timeout handler: the recipe is still running CC_RECIPE_GRACE_MS after its
 * timeout cancelled it, so it caught the cancel (a PL/pgSQL EXCEPTION
 * block, say).  End the runner as a termination does (die()): FATAL, which
 * no function can catch, at the next CHECK_FOR_INTERRUPTS(); the item
 * counts as failed, and the launcher starts another runner.
 */
static void
cc_runner_overrun(void)
{
	/* exiting already (as die() checks): nothing to stop */
	if (proc_exit_inprogress)
		return;
	cc_runner_overran = true;
	ProcDiePending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/*
 * Runner entry point: serve one (database, session user) until idle.
 */
void
cc_runner_main(Datum arg)
{
	CCRunnerArgs args;
	MemoryContext cxt;
	TimestampTz idle_since;
	TimestampTz share_checked = 0;
	TimestampTz started = GetCurrentTimestamp();
	uint64		ran = 0;
	List	   *own_placeholders;
	int			refresh_streak = 0;
	int			slot;
	TimeoutId	connect_timeout;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	cc_overrun_timeout = RegisterTimeout(USER_TIMEOUT, cc_runner_overrun);
	connect_timeout = RegisterTimeout(USER_TIMEOUT, cc_runner_connect_timeout);
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	slot = cc_runner_attach(args.dbid, args.session_userid);
	if (slot < 0)
		proc_exit(0);			/* no slot: the launcher tries again */
	before_shmem_exit(cc_runner_exit, Int32GetDatum(slot));

	/*
	 * As the role, like a client: FATAL if it or the database is gone.
	 * Bounded: connecting waits for the database's lock, which an open ALTER
	 * DATABASE ... RENAME holds, and a runner waiting there serves nothing.
	 */
	enable_timeout_after(connect_timeout, cc_runner_connect_ms());
	BackgroundWorkerInitializeConnectionByOid(args.dbid, args.session_userid, 0);
	disable_timeout(connect_timeout, false);
	/* the timer fired as the connection was made: end before taking work */
	if (cc_runner_connect_expired)
		proc_exit(1);

	/*
	 * And with what a client session of the role loads at its start
	 * (session_preload_libraries, local_preload_libraries, from the
	 * configuration and ALTER ROLE / DATABASE SET): a library may change what
	 * a query returns (a row-level security hook, say), and the key does not
	 * see it.
	 */
	process_session_preload_libraries();
	cc_runner_connected(slot);
	pgstat_report_appname("cascade_cache runner");
	cc_run_in_background = true;

	/* the placeholders of the configuration, before any recipe adds some */
	{
		List	   *names = cc_key_placeholders_except(NULL, 0);
		ListCell   *lc;

		own_placeholders = NIL;
		foreach(lc, names)
			own_placeholders = lappend(own_placeholders,
									   MemoryContextStrdup(TopMemoryContext,
														   lfirst(lc)));
	}

	cxt = AllocSetContextCreate(TopMemoryContext, "cascade_cache runner",
								ALLOCSET_DEFAULT_SIZES);
	idle_since = GetCurrentTimestamp();
	for (;;)
	{
		CCQueueItem item;
		MemoryContext oldcxt;
		bool		took;

		/*
		 * A cancel between recipes (the role's pg_cancel_backend(), a timer
		 * that fired as a recipe ended) has nothing to cancel: ignored, as a
		 * client backend ignores one that arrives while it is idle.
		 */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		oldcxt = MemoryContextSwitchTo(cxt);
		took = cc_queue_take(args.dbid, args.session_userid, &refresh_streak,
							 &item);
		if (took)
		{
			CCRecipeOutcome outcome;

			cc_runner_item_kind = item.kind;
			cc_runner_item_open = true;
			outcome = cc_runner_run(&item, own_placeholders);
			cc_runner_item_open = false;

			if (outcome == CC_RECIPE_NEEDS_FRESH_RUNNER)
			{
				CCQueueResult pushed;

				/*
				 * Back to the queue, for a runner that has no placeholder:
				 * counted once it ran, or now if it cannot wait there.  In a
				 * transaction, so that a segment the system refuses the copy
				 * counts as a full queue (cc_queue_push()).
				 */
				SetCurrentStatementStartTimestamp();
				StartTransactionCommand();
				pushed = cc_queue_push(item.kind, &item.key,
									   item.session_userid, item.wait_xid,
									   item.recipe, item.recipe_len);
				CommitTransactionCommand();
				switch (pushed)
				{
					case CC_QUEUE_QUEUED:
						break;
					case CC_QUEUE_TOOK_OVER:
						/* the key's warm item runs as this refresh */
						cc_runner_count(CC_RECIPE_WARM, CC_RECIPE_PRESENT);
						break;
					case CC_QUEUE_MERGED:
						/* the key's item queued meanwhile runs for both */
						cc_runner_count(item.kind, CC_RECIPE_PRESENT);
						break;
					case CC_QUEUE_FULL:
						cc_runner_count(item.kind, CC_RECIPE_SKIPPED);
						break;
				}
				MemoryContextSwitchTo(oldcxt);
				break;
			}
			cc_runner_count(item.kind, outcome);
		}
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cxt);

		if (took)
		{
			idle_since = GetCurrentTimestamp();

			/*
			 * A share of the pair's fills done (CC_RUNNER_SHARE of them, or
			 * CC_RUNNER_SHARE_MS of work: slow ones, or ones that wait for
			 * locks, take no more): the slot goes to a pair that waits for
			 * one, if none is free (looked at after every fill from then on,
			 * at most every CC_RUNNER_SHARE_CHECK_MS: the look scans the
			 * queue).  This pair's fills wait in the queue for the next
			 * runner the launcher starts.
			 */
			ran++;
			if ((ran >= CC_RUNNER_SHARE ||
				 TimestampDifferenceExceeds(started, idle_since,
											CC_RUNNER_SHARE_MS)) &&
				TimestampDifferenceExceeds(share_checked, idle_since,
										   CC_RUNNER_SHARE_CHECK_MS))
			{
				share_checked = idle_since;
				if (cc_queue_others_waiting(args.dbid, args.session_userid,
											true))
					break;
			}
			continue;
		}
		/* idle: make room at once for a pair that has no runner */
		if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(),
									   CC_RUNNER_IDLE_MS) ||
			cc_queue_others_waiting(args.dbid, args.session_userid, false))
			break;
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 CC_RUNNER_NAPTIME_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}

/*
 * Run one item, trying a refresh the fence refused again: the commit that
 * queued it may not have lifted its fence marks yet when its lock is
 * released.  Nothing else that keeps a result out of the cache is tried
 * again: it would be the same again.  Returns an outcome, or
 * CC_RECIPE_NEEDS_FRESH_RUNNER.
 *
 * The item's timeout (cc_recipe_timeout()) counts from here, over all its
 * tries; a try still running CC_RECIPE_GRACE_MS after it, having caught
 * the cancel, ends the runner (cc_runner_overrun()).
 */
static CCRecipeOutcome
cc_runner_run(CCQueueItem *item, const List *own_placeholders)
{
	CCRecipeOutcome outcome;
	int			attempt = 0;
	int			timeout = cc_recipe_timeout();
	TimestampTz deadline = 0;

	if (timeout > 0)
	{
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   timeout);
		enable_timeout_at(cc_overrun_timeout,
						  TimestampTzPlusMilliseconds(deadline,
													  CC_RECIPE_GRACE_MS));
	}
	for (;;)
	{
		outcome = cc_runner_attempt(item, own_placeholders, deadline);
		if (outcome != CC_RECIPE_REFUSED)
			break;
		if (item->kind != CC_RECIPE_REFRESH ||
			++attempt >= CC_REFRESH_ATTEMPTS ||
			(deadline != 0 && GetCurrentTimestamp() >= deadline))
		{
			outcome = CC_RECIPE_NOT_STORED;
			break;
		}
		(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 CC_REFRESH_RETRY_MS, PG_WAIT_EXTENSION);
		/* between tries, as between recipes: a cancel has nothing to do */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
	}
	if (deadline != 0)
		disable_timeout(cc_overrun_timeout, false);
	return outcome;
}

/*
 * The timeout of a recipe, in ms: the shorter of the role's
 * statement_timeout and recipe_timeout (0 for either means none).
 */
static int
cc_recipe_timeout(void)
{
	if (StatementTimeout > 0 &&
		(cc_recipe_timeout_ms == 0 || StatementTimeout < cc_recipe_timeout_ms))
		return StatementTimeout;
	return cc_recipe_timeout_ms;
}

/*
 * One try of an item, in a transaction of its own, cancelled at 'deadline'
 * (0: none).  An ERROR fails the recipe (logged at DEBUG1); FATAL (a
 * termination) ends the runner.
 */
static CCRecipeOutcome
cc_runner_attempt(CCQueueItem *item, const List *own_placeholders,
				  TimestampTz deadline)
{
	volatile CCRecipeOutcome outcome = CC_RECIPE_FAILED;
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		/*
		 * The role's statement_timeout bounds a recipe as it bounds a
		 * client's query, and recipe_timeout bounds it whatever the role's
		 * settings: its waits too, for locks and for the commit below.
		 */
		if (deadline != 0)
			enable_timeout_at(STATEMENT_TIMEOUT, deadline);

		/* a refresh runs after the commit that invalidated its entry */
		if (TransactionIdIsValid(item->wait_xid) &&
			TransactionIdIsInProgress(item->wait_xid))
			XactLockTableWait(item->wait_xid, NULL, NULL, XLTW_None);
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING,
							   item->kind == CC_RECIPE_WARM ?
							   "cascade_cache: warm restart recipe" :
							   "cascade_cache: refresh-ahead recipe");
		if (cc_session_bypass_reason() != CC_BYPASS_NONE)
			outcome = CC_RECIPE_SKIPPED;
		else
			outcome = cc_recipe_run(item->recipe, item->recipe_len,
									&item->key, own_placeholders);
		PopActiveSnapshot();
		disable_timeout(STATEMENT_TIMEOUT, false);
		CommitTransactionCommand();
		/* a cancel by the timer as it was disabled: nothing left to cancel */
		QueryCancelPending = false;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		disable_timeout(STATEMENT_TIMEOUT, false);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(DEBUG1,
				(errmsg("cascade_cache runner: a recipe failed: %s",
						edata->message)));
		FreeErrorData(edata);
		QueryCancelPending = false;
		outcome = CC_RECIPE_FAILED;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	return outcome;
}
