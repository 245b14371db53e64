/**
 * One configuration's worth of running collector: the session, the input's read loop and watch,
 * the alert pump (alert-pump.ts), missed-run checks, the stats cache, pruning, and the optional services
 * (dashboard, metrics). Replaced as a whole when the config is reloaded. All timers are tasks of
 * one Scheduler, so stop() is one call.
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import { missingInputHint } from "../cli/hints.ts";
import { bunForCommands } from "../cli/bun-path.ts";
import { describeError, type CollectorError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { notifierStartupWarning } from "../notify/notifier.ts";
import { openSession, type Session, type SystemContext } from "../session.ts";
import { cacheMetrics, collectCacheFigures } from "../stats.ts";
import { retentionCutoffMs } from "../store/retention.ts";
import { alertPump } from "./alert-pump.ts";
import { watchFile, type WatchDirectory } from "./dir-watch.ts";
import { startIngestLoop } from "./ingest-loop.ts";
import { Scheduler, type TimerSource } from "./scheduler.ts";

/** Something served while the collector runs (the dashboard, the metrics endpoint). */
export interface Service {
  stop(): Promise<void>;
}

export interface ServiceContext {
  readonly session: Session;
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
  /** Why reading the input fails right now, or null while it works (for a health check). */
  readonly ingestionProblem: () => string | null;
}

/**
 * Started after the session opens, stopped before it closes; restarted with it on a reload.
 * Throws (a CollectorError naming the setting, e.g. a port in use) when it cannot start.
 */
export type StartService = (context: ServiceContext) => Service | Promise<Service>;

export interface RunningDeps {
  readonly log: Logger;
  readonly clock: () => Date;
  readonly system: SystemContext;
  readonly timers: TimerSource;
  readonly watchDirectory: WatchDirectory;
  readonly services: readonly StartService[];
  readonly tickBudgetMs: number;
  /** Something that stops this collector for good (see IngestLoopOptions.onFatal). */
  readonly onFatal: (error: CollectorError) => void;
}

export interface Running {
  readonly config: Config;
  stop(): Promise<void>;
}

/** Coalesces a burst of change events on the input into one read shortly after the first. */
const INPUT_EVENT_DELAY_MS = 20;
/** A notifier may hang until its timeout; shutdown waits this long for a delivery in flight. */
const DELIVERY_GRACE_MS = 1000;

function refreshStatsCache(session: Session, clock: () => Date, log: Logger): void {
  try {
    const now = clock();
    session.queries.writeCache(cacheMetrics(collectCacheFigures(session.queries, now)), now.toISOString());
  } catch (error) {
    log.warn(`Could not refresh stats_cache: ${describeError(error)}`);
  }
}

/** Flushes the alert outbox in the background, and again when the per-minute limit allows. */
async function stopServices(services: readonly Service[], log: Logger): Promise<void> {
  await Promise.all(services.map((service) => service.stop().catch((error: unknown) => log.warn(`Stopping a service failed: ${describeError(error)}`))));
}

/**
 * Starts every service, or none: a configured server that cannot start (its port is taken) is an
 * error like a bad setting, at start-up the collector's exit, on a reload the running config stays.
 */
async function startServices(deps: RunningDeps, context: ServiceContext): Promise<Service[]> {
  const started: Service[] = [];
  try {
    for (const start of deps.services) started.push(await start(context));
  } catch (error) {
    await stopServices(started, deps.log);
    throw error;
  }
  return started;
}

export async function startRunning(config: Config, deps: RunningDeps): Promise<Running> {
  const { log, clock, system } = deps;
  const scheduler = new Scheduler(deps.timers);
  const session = openSession(config, log, clock, system);
  const alerts = alertPump(() => session.dispatcher.flush(), scheduler, clock, log);
  log.info(`Watching "${config.input}" into "${config.database}" (poll every ${config.checkIntervalMs / 1000}s)`);
  if (!existsSync(config.input)) log.info(missingInputHint(config.input, system.collectorPath, bunForCommands(system.which)));
  // Said out loud at every start: a monitor whose alerts only reach its own log alerts nobody.
  const noNotifier = notifierStartupWarning(config.notify, system);
  if (noNotifier) log.warn(noNotifier);

  // Missed runs are checked at the earliest deadline of all jobs (re-armed after every check), so
  // one is noticed within a moment of its deadline even when no line arrives; no busy polling.
  const checkSchedules = (): void => {
    scheduler.cancel("schedule-check");
    try {
      const result = session.monitor.check();
      if (result.alerted > 0) alerts.kick();
      if (result.nextCheckAtMs !== null) {
        scheduler.after("schedule-check", Math.max(0, result.nextCheckAtMs - clock().getTime()) + 10, checkSchedules);
      }
    } catch (error) {
      log.error(`Checking schedules failed: ${describeError(error)}`);
    }
  };
  const prune = (): void => {
    if (config.retentionDays === null) return;
    try {
      const deleted = session.pruneRuns(retentionCutoffMs(clock().getTime(), config.retentionDays));
      if (deleted > 0) log.info(`Pruned ${deleted} run(s) older than ${config.retentionDays} days`);
    } catch (error) {
      log.warn(`Pruning old runs failed: ${describeError(error)}`);
    }
  };

  let inputWatch: { refresh(): void; close(): void } | null = null;
  let starting = true;
  let startupFailure: CollectorError | null = null;
  const loop = startIngestLoop({
    scheduler,
    pollIntervalMs: config.checkIntervalMs,
    tickBudgetMs: deps.tickBudgetMs,
    log,
    poll: (shouldYield) => session.tailer.poll(shouldYield),
    beforeTick: () => inputWatch?.refresh(),
    onFatal: (error) => {
      if (starting) {
        startupFailure = error;
        return;
      }
      log.error(error.message);
      deps.onFatal(error);
    },
    afterTick: (totals) => {
      if (totals.inserted + totals.rejected > 0) alerts.kick(); // rejects raise an alert too
      checkSchedules();
    },
  });
  inputWatch = watchFile({
    path: config.input,
    scheduler,
    taskName: "input-changed",
    delayMs: INPUT_EVENT_DELAY_MS,
    onChange: loop.request,
    watchDirectory: deps.watchDirectory,
    log,
  });

  // A config whose first read fails for good (its input is a directory, say) does not start: at
  // start-up that is the error the collector exits with, on a reload the running config stays.
  loop.tick();
  if (startupFailure) {
    inputWatch.close();
    scheduler.stop();
    session.close();
    throw startupFailure;
  }
  starting = false;
  alerts.kick(); // alerts left pending by a crash or kill -9
  refreshStatsCache(session, clock, log);
  scheduler.every("stats-cache", config.statsIntervalMs, () => refreshStatsCache(session, clock, log));
  // Pruning follows the poll, not every change event: a few small batches per check_interval.
  prune();
  if (config.retentionDays !== null) scheduler.every("prune", config.checkIntervalMs, prune);
  let services: Service[];
  try {
    services = await startServices(deps, { session, config, log, clock, ingestionProblem: loop.problem });
  } catch (error) {
    inputWatch.close();
    scheduler.stop();
    await alerts.settle(DELIVERY_GRACE_MS);
    session.close();
    throw error;
  }

  return {
    config,
    async stop() {
      await stopServices(services, log);
      inputWatch?.close();
      scheduler.stop();
      await alerts.settle(DELIVERY_GRACE_MS);
      session.close();
    },
  };
}
