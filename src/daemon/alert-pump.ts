/**
 * The alert pump: delivers what the outbox owes whenever something may have added to it (a batch
 * ingested, a schedule check, the start), and again when the dispatcher says a retry is due.
 *
 * A flush that fails as a whole (the database locked by another writer past its busy timeout, a
 * disk error) leaves the alerts pending in the outbox; it is tried again after a delay that
 * doubles up to a minute, so a quiet collector, which may see no other kick for hours, still
 * sends them once the cause is gone.
 */
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Scheduler } from "./scheduler.ts";

export interface FlushResult {
  /** When the dispatcher wants to be called again (a delivery to retry), or null. */
  readonly retryAtMs: number | null;
}

export interface AlertPump {
  kick(): void;
  /** Stops kicking and waits at most `graceMs` for a delivery in flight. */
  settle(graceMs: number): Promise<void>;
}

const RETRY_TASK = "alert-retry";
export const FAILED_FLUSH_FIRST_RETRY_MS = 1000;
export const FAILED_FLUSH_MAX_RETRY_MS = 60_000;

/** `clock` is the dispatcher's (retryAtMs is on it); the delays run on the scheduler's timers. */
export function alertPump(flush: () => Promise<FlushResult>, scheduler: Scheduler, clock: () => Date, log: Logger): AlertPump {
  let last: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let failedRetryMs = FAILED_FLUSH_FIRST_RETRY_MS;
  const kick = (): void => {
    if (stopped) return;
    last = flush()
      .then((result) => {
        failedRetryMs = FAILED_FLUSH_FIRST_RETRY_MS;
        if (result.retryAtMs !== null) scheduler.after(RETRY_TASK, Math.max(50, result.retryAtMs - clock().getTime()), kick);
        else scheduler.cancel(RETRY_TASK);
      })
      .catch((error: unknown) => {
        log.warn(`Delivering alerts failed: ${describeError(error)}; they stay pending, next try in ${failedRetryMs / 1000} s`);
        scheduler.after(RETRY_TASK, failedRetryMs, kick);
        failedRetryMs = Math.min(failedRetryMs * 2, FAILED_FLUSH_MAX_RETRY_MS);
      });
  };
  return {
    kick,
    async settle(graceMs) {
      stopped = true;
      // An alert whose delivery is cut short stays pending and is sent by the next run.
      await Promise.race([last, Bun.sleep(graceMs)]);
    },
  };
}
