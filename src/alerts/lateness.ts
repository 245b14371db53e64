/**
 * Missed runs: which expected runs of a scheduled job have passed their deadline (expected time +
 * grace) with no run. Pure.
 *
 * - One alert per missed period: the deadline of the period after the last run, then of each
 *   following period that also passes without a run. A period is handled once
 *   (`lateCheckedThroughMs`), so a check that runs often never repeats an alert.
 * - Periods whose deadline fell while the collector was not watching (it was down, the machine
 *   slept) are unknown, not late: they are skipped without an alert.
 * - A paused job's periods are skipped too.
 * - A run up to a minute (at most the grace) before its scheduled time counts for that time, so a
 *   clock a little ahead does not make the next period look missed.
 */
import type { JobConfig } from "../config/jobs.ts";
import { nextExpected } from "../schedule.ts";
import type { ScheduleState } from "../store/job-state.ts";

export interface LatenessInput {
  readonly job: JobConfig;
  readonly state: ScheduleState;
  readonly nowMs: number;
  /** Deadlines up to this instant fell in a gap in watching: unknown, never alerted. */
  readonly unknownUntilMs: number | null;
}

export interface LatenessResult {
  /** Expected times of the periods that are newly late. */
  readonly missed: number[];
  readonly lateCheckedThroughMs: number | null;
  readonly lateSinceMs: number | null;
  /** Periods skipped as unknown (for the log). */
  readonly unknown: number;
  /** The next deadline to check at, or null (no schedule, or no more runs). */
  readonly nextDeadlineMs: number | null;
}

const EARLY_TOLERANCE_MS = 60_000;
/** Bounds the walk over periods (a 1 s schedule over a year is 3·10^7 periods). */
const MAX_PERIODS = 100_000;

function firstExpected(job: JobConfig, state: ScheduleState): number | null {
  const schedule = job.schedule;
  if (!schedule) return null;
  const { lastRunMs, lateCheckedThroughMs, watchedSinceMs } = state;
  if (lateCheckedThroughMs !== null && (lastRunMs === null || lateCheckedThroughMs >= lastRunMs)) {
    return nextExpected(schedule, lateCheckedThroughMs);
  }
  if (lastRunMs !== null) {
    // A cron run slightly before its slot belongs to that slot; a period simply starts at the run.
    const early = schedule.kind === "cron" ? Math.min(job.graceMs, EARLY_TOLERANCE_MS) : 0;
    return nextExpected(schedule, lastRunMs + early);
  }
  return watchedSinceMs === null ? null : nextExpected(schedule, watchedSinceMs);
}

export function evaluateLateness({ job, state, nowMs, unknownUntilMs }: LatenessInput): LatenessResult {
  const missed: number[] = [];
  let checkedThrough = state.lateCheckedThroughMs;
  let lateSince = state.lateSinceMs;
  let unknown = 0;
  let expected = firstExpected(job, state);
  const paused = state.pausedUntilMs !== null && state.pausedUntilMs > nowMs;
  for (let periods = 0; expected !== null && periods < MAX_PERIODS; periods++) {
    const deadline = expected + job.graceMs;
    if (deadline > nowMs) break;
    if (unknownUntilMs !== null && deadline <= unknownUntilMs) unknown++;
    else if (!paused) {
      missed.push(expected);
      lateSince ??= expected;
    }
    checkedThrough = expected;
    expected = job.schedule ? nextExpected(job.schedule, expected) : null;
  }
  return {
    missed,
    lateCheckedThroughMs: checkedThrough,
    lateSinceMs: lateSince,
    unknown,
    nextDeadlineMs: expected === null ? null : expected + job.graceMs,
  };
}
