/**
 * The default mode (and --daemon): catch up on the input, then follow it until SIGINT or SIGTERM.
 *
 * Every tick runs synchronously (read, parse, commit), so a signal is handled between ticks: the
 * batch in flight is always committed before the process exits. config.yaml is reloaded on SIGHUP
 * and when the file changes; an invalid edit is logged and the running config stays in force.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Config } from "../config/config.ts";
import { missingInputHint } from "../cli/hints.ts";
import { CollectorError, describeError } from "../errors.ts";
import { acquireInstanceLock, type InstanceLock } from "../instance-lock.ts";
import type { AdjustableLogger, Logger } from "../logger.ts";
import { removePidFile, writePidFile } from "../pid-file.ts";
import { openSession, type Session, type SystemContext } from "../session.ts";
import { cacheMetrics, collectStats } from "../stats.ts";
import type { PollTotals } from "../tailer.ts";
import { startWatchLoop } from "../watch-loop.ts";
import { startExporters, type Exporters } from "../metrics/exporters.ts";
import { pruneRuns, retentionCutoffMs } from "../store/retention.ts";

export interface WatchOptions {
  readonly config: Config;
  readonly log: AdjustableLogger;
  readonly clock: () => Date;
  readonly system: SystemContext;
  /** Re-reads config.yaml (with the command-line overrides); throws CollectorError when invalid. */
  readonly reloadConfig: () => Config;
  /** The config file to watch for edits. */
  readonly configPath: string;
  /** Daemon mode: write the pid file in log_dir. */
  readonly pidFile: string | null;
}

const MAX_BACKOFF_MS = 60_000;
/** setTimeout cannot wait longer than 2^31 - 1 ms; a later deadline is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function describeTotals(totals: PollTotals): string {
  return `${totals.inserted} new run(s), ${totals.duplicates} already stored, ${totals.rejected} rejected`;
}

function refreshStatsCache(session: Session, config: Config, clock: () => Date, log: Logger): void {
  try {
    const now = clock();
    session.queries.writeCache(cacheMetrics(collectStats(session.statsSources(), now, config)), now.toISOString());
  } catch (error) {
    log.warn(`Could not refresh stats_cache: ${describeError(error)}`);
  }
}

/** Flushes the alert outbox in the background, and again when the per-minute limit allows. */
function alertPump(session: Session, clock: () => Date): { kick(): void; stop(): Promise<void> } {
  let retry: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let last: Promise<unknown> = Promise.resolve();
  const kick = (): void => {
    if (stopped) return;
    last = session.dispatcher.flush().then((result) => {
      if (retry) clearTimeout(retry);
      retry = null;
      if (result.retryAtMs !== null && !stopped) {
        retry = setTimeout(kick, Math.max(50, result.retryAtMs - clock().getTime()));
      }
    });
  };
  return {
    kick,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      // A notifier may hang until its timeout; shutdown waits a moment, not that long. An alert
      // whose delivery was cut short stays pending and is sent by the next run.
      await Promise.race([last, Bun.sleep(1000)]);
    },
  };
}

/** One configuration's worth of running collector; replaced as a whole on reload. */
interface Running {
  readonly config: Config;
  stop(): Promise<void>;
}

function startRunning(config: Config, log: Logger, clock: () => Date, system: SystemContext): Running {
  const session = openSession(config, log, clock, system);
  const alerts = alertPump(session, clock);
  log.info(`Watching "${config.input}" into "${config.database}" (poll every ${config.checkIntervalMs / 1000}s)`);
  if (!existsSync(config.input)) log.info(missingInputHint(config.input, system.collectorPath));

  // Missed runs are checked at the earliest deadline of all jobs (re-armed after every check), so
  // one is noticed within a moment of its deadline even when no line arrives; no busy polling.
  let deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  const checkSchedules = (): void => {
    if (deadlineTimer) clearTimeout(deadlineTimer);
    deadlineTimer = null;
    try {
      const result = session.monitor.check();
      if (result.alerted > 0) alerts.kick();
      if (result.nextCheckAtMs !== null) {
        const delay = Math.min(MAX_TIMER_MS, Math.max(0, result.nextCheckAtMs - clock().getTime()) + 10);
        deadlineTimer = setTimeout(checkSchedules, delay);
      }
    } catch (error) {
      log.error(`Checking schedules failed: ${describeError(error)}`);
    }
  };
  const prune = (): void => {
    if (config.retentionDays === null) return;
    try {
      const deleted = pruneRuns(session.db, retentionCutoffMs(clock().getTime(), config.retentionDays));
      if (deleted > 0) log.info(`Pruned ${deleted} run(s) older than ${config.retentionDays} days`);
    } catch (error) {
      log.warn(`Pruning old runs failed: ${describeError(error)}`);
    }
  };

  let failures = 0;
  let backoff: ReturnType<typeof setTimeout> | null = null;
  let exporters: Exporters; // metrics and heartbeat (issue 13)
  try {
    exporters = startExporters(session, config, log, clock, () => (failures > 0 ? `${failures} poll(s) of the input failed in a row` : null));
  } catch (error) {
    session.close();
    throw error;
  }
  const tick = (): void => {
    if (backoff) clearTimeout(backoff);
    backoff = null;
    try {
      const totals = session.tailer.poll();
      if (totals.inserted + totals.rejected + totals.duplicates > 0) log.info(`Ingested ${describeTotals(totals)}`);
      if (totals.inserted + totals.rejected > 0) alerts.kick(); // rejects raise an alert too
      if (failures > 0) log.info("Ingestion works again");
      failures = 0;
      checkSchedules();
    } catch (error) {
      // Database busy, disk full…: nothing was committed, so the same bytes are read again.
      failures++;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
      log.error(`Ingestion failed (attempt ${failures}), retrying in ${delay / 1000}s: ${describeError(error)}`);
      backoff = setTimeout(tick, delay);
    }
  };

  alerts.kick(); // alerts left pending by a crash or kill -9
  tick();
  refreshStatsCache(session, config, clock, log);
  const loop = startWatchLoop({ path: config.input, pollIntervalMs: config.checkIntervalMs, onTick: tick, log });
  const statsTimer = setInterval(() => refreshStatsCache(session, config, clock, log), config.statsIntervalMs);
  // Pruning follows the poll, not every change event: a few small batches per check_interval.
  prune();
  const pruneTimer = config.retentionDays === null ? null : setInterval(prune, config.checkIntervalMs);
  return {
    config,
    async stop() {
      loop.stop();
      clearInterval(statsTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      if (backoff) clearTimeout(backoff);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      await alerts.stop();
      await exporters.stop();
      session.close();
    },
  };
}

function watchConfigFile(path: string, onChange: () => void): FSWatcher | null {
  const name = basename(path);
  let pending: ReturnType<typeof setTimeout> | null = null;
  try {
    // The directory, not the file: editors save by writing a new file and renaming it over.
    return watch(dirname(path), (_event, filename) => {
      if (filename !== name) return;
      if (pending) clearTimeout(pending);
      pending = setTimeout(onChange, 200);
    });
  } catch {
    return null; // no directory to watch: SIGHUP still reloads
  }
}

export async function watchCommand(options: WatchOptions): Promise<number> {
  const { log, clock, system, pidFile } = options;
  let lock: InstanceLock = acquireInstanceLock(options.config.database, pidFile ?? undefined);
  if (pidFile) writePidFile(pidFile, process.pid);
  let running = startRunning(options.config, log, clock, system);
  log.setLevel(options.config.logLevel);

  let reloading: Promise<void> = Promise.resolve();
  const reload = (reason: string): void => {
    reloading = reloading.then(async () => {
      let next: Config;
      try {
        next = options.reloadConfig();
      } catch (error) {
        const message = error instanceof CollectorError ? error.message : describeError(error);
        log.error(`Config not reloaded (${reason}); the running config stays in force:\n${message}`);
        return;
      }
      if (JSON.stringify(next) === JSON.stringify(running.config)) return;
      let nextLock = lock;
      if (next.database !== running.config.database) {
        try {
          nextLock = acquireInstanceLock(next.database, pidFile ?? undefined);
        } catch (error) {
          log.error(`Config not reloaded (${reason}): ${describeError(error)}`);
          return;
        }
      }
      const previous = running.config;
      await running.stop();
      try {
        running = startRunning(next, log, clock, system);
      } catch (error) {
        // e.g. the new database cannot be opened: go on with the config that worked.
        log.error(`Config not reloaded (${reason}): ${describeError(error)}; going on with the running config`);
        if (nextLock !== lock) nextLock.release();
        running = startRunning(previous, log, clock, system);
        return;
      }
      if (nextLock !== lock) lock.release();
      lock = nextLock;
      log.setLevel(next.logLevel);
      log.info(`Config reloaded (${reason})`);
    });
  };
  process.on("SIGHUP", () => reload("SIGHUP"));
  const configWatcher = watchConfigFile(options.configPath, () => reload(`${basename(options.configPath)} changed`));

  const signal = await new Promise<string>((resolveSignal) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => resolveSignal(name));
  });
  log.info(`Received ${signal}; stopping`);
  configWatcher?.close();
  await reloading;
  await running.stop();
  lock.release();
  if (pidFile) removePidFile(pidFile, process.pid);
  return 0;
}
