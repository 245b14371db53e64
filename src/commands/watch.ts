/**
 * The default mode: catch up on the input, then follow it until SIGINT or SIGTERM.
 *
 * Every tick runs synchronously (read, parse, commit), so a signal is handled between ticks: the
 * batch in flight is always committed before the process exits.
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import { missingInputHint } from "../cli/hints.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { openSession, type Session, type SystemContext } from "../session.ts";
import { cacheMetrics, collectStats } from "../stats.ts";
import type { PollTotals } from "../tailer.ts";
import { startWatchLoop } from "../watch-loop.ts";

export interface WatchOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
  readonly system: SystemContext;
}

function describeTotals(totals: PollTotals): string {
  return `${totals.inserted} new run(s), ${totals.duplicates} already stored, ${totals.rejected} rejected`;
}

function refreshStatsCache(session: Session, config: Config, clock: () => Date, log: Logger): void {
  try {
    const now = clock();
    session.queries.writeCache(cacheMetrics(collectStats(session.queries, now, config.defaultJob)), now.toISOString());
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

export async function watchCommand({ config, log, clock, system }: WatchOptions): Promise<number> {
  const session = openSession(config, log, clock, system);
  const alerts = alertPump(session, clock);
  log.info(`Watching "${config.input}" into "${config.database}" (poll every ${config.checkIntervalMs / 1000}s)`);
  if (!existsSync(config.input)) log.info(missingInputHint(config.input));

  let failures = 0;
  const tick = (): void => {
    try {
      const totals = session.tailer.poll();
      if (totals.inserted + totals.rejected + totals.duplicates > 0) log.info(`Ingested ${describeTotals(totals)}`);
      if (totals.inserted > 0) alerts.kick();
      if (failures > 0) log.info("Ingestion works again");
      failures = 0;
    } catch (error) {
      // Database busy, disk full…: nothing was committed, so the same bytes are read again next tick.
      failures++;
      log.error(`Ingestion failed (attempt ${failures}), will retry: ${describeError(error)}`);
    }
  };

  alerts.kick(); // alerts left pending by a crash or kill -9
  tick();
  refreshStatsCache(session, config, clock, log);
  const loop = startWatchLoop({ path: config.input, pollIntervalMs: config.checkIntervalMs, onTick: tick, log });
  const statsTimer = setInterval(() => refreshStatsCache(session, config, clock, log), config.statsIntervalMs);

  const signal = await new Promise<string>((resolveSignal) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => resolveSignal(name));
  });
  log.info(`Received ${signal}; stopping`);
  loop.stop();
  clearInterval(statsTimer);
  await alerts.stop();
  session.close();
  return 0;
}
