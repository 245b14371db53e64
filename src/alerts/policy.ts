/**
 * Which alerts newly stored runs cause, and how they move each job's failure streak. Pure.
 *
 * - Every new failure causes one failure alert. One older than notify.max_age when first seen (a
 *   backfill, a restart after downtime) is recorded as "stale": not sent on its own, but counted in
 *   one summary.
 * - A success that is the job's newest run, after failures, causes a recovery alert
 *   (notify.on_recovery), unless it is itself stale.
 * Streaks follow the runs' instants, so a backfilled old run does not reset a current streak.
 */
import type { NotifyConfig } from "../config/config.ts";
import type { StoredRun } from "../store/runs.ts";
import { failureAlert, recoveryAlert, type AlertText } from "./format.ts";

export interface JobState {
  readonly consecutiveFailures: number;
  readonly lastRunMs: number | null;
}

export interface NewAlert {
  readonly runId: number;
  readonly text: AlertText;
  readonly status: "pending" | "stale";
}

export interface PolicyInput {
  readonly runs: readonly StoredRun[];
  /** Keyed by stored job name ('' = runs without a job). */
  readonly states: ReadonlyMap<string, JobState>;
  readonly nowMs: number;
  readonly notify: Pick<NotifyConfig, "maxAgeMs" | "onRecovery" | "sound" | "sounds">;
  readonly defaultJob: string;
}

export interface PolicyResult {
  readonly alerts: NewAlert[];
  readonly states: Map<string, JobState>;
}

export function decideAlerts({ runs, states, nowMs, notify, defaultJob }: PolicyInput): PolicyResult {
  const next = new Map(states);
  const alerts: NewAlert[] = [];
  for (const { id, run } of runs) {
    const key = run.job ?? "";
    const job = run.job ?? defaultJob;
    const state = next.get(key) ?? { consecutiveFailures: 0, lastRunMs: null };
    const stale = nowMs - run.epochMs > notify.maxAgeMs;
    const newest = state.lastRunMs === null || run.epochMs >= state.lastRunMs;
    if (run.exit !== 0) {
      alerts.push({ runId: id, text: failureAlert(run, job, notify), status: stale ? "stale" : "pending" });
    } else if (newest && state.consecutiveFailures > 0 && notify.onRecovery && !stale) {
      alerts.push({ runId: id, text: recoveryAlert(job, run.job, state.consecutiveFailures, run.epochMs), status: "pending" });
    }
    if (newest) {
      next.set(key, {
        consecutiveFailures: run.exit === 0 ? 0 : state.consecutiveFailures + 1,
        lastRunMs: run.epochMs,
      });
    }
  }
  return { alerts, states: next };
}

/** How many pending alerts go out one by one now, and whether the rest become one summary. */
export interface DeliveryPlan {
  readonly individual: number;
  readonly summarizeRest: boolean;
}

/**
 * At most `maxPerMinute` notifications in any 60 s, the summary included: a burst of 100 gives
 * (max − 1) alerts and one summary of the rest; with no room left, nothing goes out until there is.
 */
export function planDelivery(pending: number, sentInLastMinute: number, maxPerMinute: number): DeliveryPlan {
  const room = maxPerMinute - sentInLastMinute;
  if (room <= 0 || pending === 0) return { individual: 0, summarizeRest: false };
  if (pending <= room) return { individual: pending, summarizeRest: false };
  return { individual: room - 1, summarizeRest: true };
}
