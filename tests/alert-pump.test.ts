/** The alert pump: retries the dispatcher asks for, and a failed flush tried again by itself. */
import { describe, expect, test } from "bun:test";
import { alertPump, FAILED_FLUSH_FIRST_RETRY_MS, FAILED_FLUSH_MAX_RETRY_MS, type FlushResult } from "../src/daemon/alert-pump.ts";
import { Scheduler } from "../src/daemon/scheduler.ts";
import type { Logger } from "../src/logger.ts";
import { ManualTimers } from "./daemon-fakes.ts";

function setup(outcomes: Array<FlushResult | Error>) {
  const timers = new ManualTimers();
  const scheduler = new Scheduler(timers);
  const warnings: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, warn: (message) => warnings.push(message), error: () => {} };
  const flushedAt: number[] = [];
  const flush = async (): Promise<FlushResult> => {
    flushedAt.push(timers.now());
    const outcome = outcomes.shift() ?? { retryAtMs: null };
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  const pump = alertPump(flush, scheduler, () => new Date(timers.now()), log);
  /** Lets the flush's promise settle, then moves the manual clock. */
  const advance = async (ms: number): Promise<void> => {
    await Bun.sleep(0);
    timers.advance(ms);
    await Bun.sleep(0);
  };
  return { timers, pump, warnings, flushedAt, advance };
}

describe("alertPump", () => {
  test("a flush that fails is tried again by itself, the delay doubling up to a minute, and back to the first after a success", async () => {
    const busy = new Error("database is locked");
    const { pump, warnings, flushedAt, advance } = setup([busy, busy, busy, busy, busy, busy, busy, busy, { retryAtMs: null }, busy]);
    const start = flushedAt.length;
    pump.kick();
    let expected = FAILED_FLUSH_FIRST_RETRY_MS;
    for (let attempt = 1; attempt <= 8; attempt++) {
      await advance(expected - 1);
      expect(flushedAt.length - start).toBe(attempt); // not before the delay
      await advance(1);
      expect(flushedAt.length - start).toBe(attempt + 1);
      expected = Math.min(expected * 2, FAILED_FLUSH_MAX_RETRY_MS);
    }
    expect(warnings).toHaveLength(8);
    expect(warnings[0]).toBe("Delivering alerts failed: database is locked; they stay pending, next try in 1 s");
    // The ninth flush succeeded with nothing to retry: no further flush on its own.
    await advance(10 * FAILED_FLUSH_MAX_RETRY_MS);
    expect(flushedAt.length - start).toBe(9);
    // A later failure starts from the first delay again.
    pump.kick();
    await advance(FAILED_FLUSH_FIRST_RETRY_MS);
    expect(flushedAt.length - start).toBe(11);
    await pump.settle(0);
  });

  test("a retry the dispatcher asks for runs at its instant; nothing runs after settle", async () => {
    const startMs = new ManualTimers().now();
    const { pump, flushedAt, advance } = setup([{ retryAtMs: startMs + 5000 }, { retryAtMs: startMs + 9000 }]);
    pump.kick();
    await advance(4999);
    expect(flushedAt).toEqual([startMs]);
    await advance(1);
    expect(flushedAt).toEqual([startMs, startMs + 5000]);
    await pump.settle(0);
    await advance(10_000);
    expect(flushedAt).toEqual([startMs, startMs + 5000]);
  });
});
