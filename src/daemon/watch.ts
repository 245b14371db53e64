/**
 * The default mode (and --daemon): catch up on the input, then follow it until SIGINT or SIGTERM.
 *
 * Reads run synchronously in slices (read, parse, commit), so a signal is handled between slices:
 * the batch in flight is always committed before the process exits. config.yaml is reloaded on
 * SIGHUP and when the file changes; an invalid edit (including an empty or unreadable file, as an
 * editor that truncates then writes leaves for a moment) is logged and the running config stays.
 */
import { basename } from "node:path";
import type { Config } from "../config/config.ts";
import { reloadProblem } from "../config/load.ts";
import { CollectorError, describeError } from "../errors.ts";
import { acquireInstanceLock, type InstanceLock } from "../instance-lock.ts";
import type { AdjustableLogger } from "../logger.ts";
import { removePidFile, writePidFile } from "../pid-file.ts";
import { runtimePaths } from "../runtime-paths.ts";
import type { SystemContext } from "../session.ts";
import { fsWatchDirectory, watchFile, type WatchDirectory } from "./dir-watch.ts";
import { TICK_BUDGET_MS } from "./ingest-loop.ts";
import { startRunning, type Running, type RunningDeps, type StartService } from "./running.ts";
import { defaultServices } from "./services.ts";
import { realTimers, Scheduler, type TimerSource } from "./scheduler.ts";
import { processSignals, type DaemonSignal, type SignalSource } from "./signals.ts";

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
  /** Servers that run with the collector; by default those of src/daemon/services.ts. */
  readonly services?: readonly StartService[];
  /** Injected by tests; the process's signals, timers and fs.watch otherwise. */
  readonly signals?: SignalSource;
  readonly timers?: TimerSource;
  readonly watchDirectory?: WatchDirectory;
  readonly tickBudgetMs?: number;
}

type StopReason = { readonly kind: "signal"; readonly signal: DaemonSignal } | { readonly kind: "failed"; readonly error: unknown };

/** Editors write in several steps; the config is read once this long after the first event. */
const CONFIG_EVENT_DELAY_MS = 200;

/**
 * Where a collector already running on this config's database wrote its pid: named in the refusal,
 * also when this one runs in the foreground (and writes no pid file of its own).
 */
function holderPidFile(config: Config): string {
  return runtimePaths(config.logDir).pidFile;
}

export async function watchCommand(options: WatchOptions): Promise<number> {
  const { log, pidFile } = options;
  const signals = options.signals ?? processSignals;
  const deps: RunningDeps = {
    log,
    clock: options.clock,
    system: options.system,
    timers: options.timers ?? realTimers,
    watchDirectory: options.watchDirectory ?? fsWatchDirectory,
    services: options.services ?? defaultServices,
    tickBudgetMs: options.tickBudgetMs ?? TICK_BUDGET_MS,
    onFatal: (error) => requestStop({ kind: "failed", error }),
  };
  // Signals are heard from the first moment: a SIGHUP during start-up is a reload once started
  // (not the default action, which ends the process), a SIGTERM stops right after start-up.
  let reloading: Promise<void> = Promise.resolve();
  let reload = (reason: string): void => void (reloading = reloading.then(() => reloadNow(reason)));
  let requestStop: (reason: StopReason) => void = () => undefined;
  const stopRequested = new Promise<StopReason>((resolve) => (requestStop = resolve));
  const unsubscribe = [
    signals.on("SIGHUP", () => reload("SIGHUP")),
    signals.on("SIGINT", () => requestStop({ kind: "signal", signal: "SIGINT" })),
    signals.on("SIGTERM", () => requestStop({ kind: "signal", signal: "SIGTERM" })),
  ];
  let markStarted: () => void = () => undefined;
  reloading = new Promise<void>((resolve) => (markStarted = resolve));

  let lock: InstanceLock;
  let running: Running | null;
  try {
    lock = acquireInstanceLock(options.config.database, holderPidFile(options.config));
    try {
      if (pidFile) writePidFile(pidFile, process.pid);
      running = await startRunning(options.config, deps);
    } catch (error) {
      lock.release();
      if (pidFile) removePidFile(pidFile, process.pid);
      throw error;
    }
  } catch (error) {
    for (const off of unsubscribe) off();
    throw error;
  }
  log.setLevel(options.config.logLevel);

  const swap = async (current: Running, next: Config, reason: string): Promise<void> => {
    let nextLock = lock;
    if (next.database !== current.config.database) {
      try {
        nextLock = acquireInstanceLock(next.database, holderPidFile(next));
      } catch (error) {
        log.error(`Config not reloaded (${reason}): ${describeError(error)}`);
        return;
      }
    }
    running = null;
    await current.stop();
    try {
      running = await startRunning(next, deps);
    } catch (error) {
      // e.g. the new database cannot be opened: go on with the config that worked.
      log.error(`Config not reloaded (${reason}): ${describeError(error)}; going on with the running config`);
      if (nextLock !== lock) nextLock.release();
      try {
        running = await startRunning(current.config, deps);
      } catch (again) {
        requestStop({ kind: "failed", error: again }); // neither config works any more
      }
      return;
    }
    if (nextLock !== lock) lock.release();
    lock = nextLock;
    log.setLevel(next.logLevel);
    log.info(`Config reloaded (${reason})`);
  };

  // After a refused edit the newest log line is an ERROR; an edit that puts the running config back
  // says so, or the log would go on claiming config.yaml is broken.
  let lastReloadRefused = false;
  async function reloadNow(reason: string): Promise<void> {
    let next: Config;
    try {
      const problem = reloadProblem(options.configPath);
      if (problem) throw new CollectorError(problem, "config");
      next = options.reloadConfig();
    } catch (error) {
      const message = error instanceof CollectorError ? error.message : describeError(error);
      log.error(`Config not reloaded (${reason}); the running config stays in force:\n${message}`);
      lastReloadRefused = true;
      return;
    }
    const refused = lastReloadRefused;
    lastReloadRefused = false;
    if (running && JSON.stringify(next) !== JSON.stringify(running.config)) await swap(running, next, reason);
    else if (refused) log.info(`${basename(options.configPath)} is valid again (${reason}); it is the config already running, nothing to reload`);
  }

  const scheduler = new Scheduler(deps.timers);
  const configWatch = watchFile({
    path: options.configPath,
    scheduler,
    taskName: "config-changed",
    delayMs: CONFIG_EVENT_DELAY_MS,
    onChange: () => reload(`${basename(options.configPath)} changed`),
    watchDirectory: deps.watchDirectory,
    log,
  });
  markStarted();

  const stop = await stopRequested;
  if (stop.kind === "signal") log.info(`Received ${stop.signal}; stopping`);
  reload = () => undefined;
  for (const off of unsubscribe) off();
  configWatch.close();
  scheduler.stop();
  await reloading;
  await running?.stop();
  lock.release();
  if (pidFile) removePidFile(pidFile, process.pid);
  if (stop.kind === "failed") throw stop.error;
  return 0;
}
