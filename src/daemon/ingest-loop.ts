/**
 * When and how the input is read while watching: on a change event (within a moment), on the
 * poll (check_interval), and again right away when a tick stopped early because it had used its
 * time budget (a large catch-up is read in slices, so signals and reloads are handled between).
 *
 * After a failure (database busy, disk full…: nothing was committed, so the same bytes are read
 * again) the next attempt waits as long as the log says: change events and the poll do not cut
 * the backoff short.
 */
import { CollectorError, describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { PollTotals } from "../tailer.ts";
import type { Scheduler } from "./scheduler.ts";

export const MAX_BACKOFF_MS = 60_000;
/** How long one tick may read before it lets the event loop (signals, reloads) in. */
export const TICK_BUDGET_MS = 50;

export interface IngestLoopOptions {
  readonly scheduler: Scheduler;
  readonly pollIntervalMs: number;
  /** How long one tick may read (TICK_BUDGET_MS; tests make it tiny: one batch per tick). */
  readonly tickBudgetMs: number;
  readonly log: Logger;
  /** Reads what is new; returns early once `shouldYield` says so. Throws on database errors. */
  readonly poll: (shouldYield: () => boolean) => PollTotals;
  /** Before every read (e.g. re-creating a lost directory watch). */
  readonly beforeTick?: () => void;
  /** After every successful tick (new runs or not). */
  readonly afterTick: (totals: PollTotals) => void;
  /**
   * A CollectorError from a read is not retried: it says something a retry cannot fix (the
   * database deleted or replaced under the collector); the daemon stops with it.
   */
  readonly onFatal: (error: CollectorError) => void;
}

export interface IngestLoop {
  /** Asks for a read soon (a change event); ignored while backing off after a failure. */
  request(): void;
  /** Reads now (start-up); ignored while backing off. */
  tick(): void;
  /** Why reading fails right now (for the heartbeat), or null while it works. */
  problem(): string | null;
}

function describeTotals(totals: PollTotals): string {
  return `${totals.inserted} new run(s), ${totals.duplicates} already stored, ${totals.rejected} rejected`;
}

/** 1s, 2s, 4s … up to a minute. */
export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

export function startIngestLoop(options: IngestLoopOptions): IngestLoop {
  const { scheduler, log } = options;
  let failures = 0;

  const backingOff = (): boolean => scheduler.nextRunAt("ingest-retry") !== null;

  const tick = (): void => {
    scheduler.cancel("ingest-soon");
    options.beforeTick?.();
    // Wall-clock time, not the injected clock: the budget is about this process being responsive.
    const started = performance.now();
    let yielded = false;
    const shouldYield = (): boolean => (yielded = performance.now() - started >= options.tickBudgetMs);
    let totals: PollTotals;
    try {
      totals = options.poll(shouldYield);
    } catch (error) {
      if (error instanceof CollectorError) {
        scheduler.cancel("ingest-poll");
        options.onFatal(error);
        return;
      }
      failures++;
      const delay = backoffMs(failures);
      log.error(`Ingestion failed (attempt ${failures}), retrying in ${delay / 1000}s: ${describeError(error)}`);
      scheduler.after("ingest-retry", delay, tick);
      return;
    }
    if (totals.inserted + totals.rejected + totals.duplicates > 0) log.info(`Ingested ${describeTotals(totals)}`);
    else log.debug("Read the input: nothing new");
    if (failures > 0) log.info("Ingestion works again");
    failures = 0;
    if (yielded) scheduler.after("ingest-soon", 0, tick); // the rest of a catch-up, after pending events
    options.afterTick(totals);
  };

  const request = (): void => {
    if (!backingOff()) scheduler.coalesce("ingest-soon", 0, tick);
  };
  scheduler.every("ingest-poll", options.pollIntervalMs, request);
  return {
    request,
    tick() {
      if (!backingOff()) tick();
    },
    problem: () => (failures > 0 ? `${failures} poll(s) of the input failed in a row` : null),
  };
}
