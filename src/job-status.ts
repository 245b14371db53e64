/**
 * What state a job is in, from its stored state, its schedule and the clock. Pure.
 *
 * Precedence: paused > late > too_long (a run still going past max_duration) > running > failing
 * > up; "unknown" for a job that has not run yet and is not late.
 */
import { evaluateLateness } from "./alerts/lateness.ts";
import { isPaused, type JobState } from "./alerts/policy.ts";
import type { JobConfig } from "./config/jobs.ts";
import { describeSchedule } from "./schedule.ts";
import type { ScheduleState } from "./store/job-state.ts";

export type JobStateName = "up" | "failing" | "late" | "too_long" | "running" | "paused" | "unknown";

export interface JobStatus {
  readonly state: JobStateName;
  readonly consecutive_failures: number;
  readonly schedule: string | null;
  readonly next_expected: string | null;
  readonly paused_until: string | null;
}

export interface JobStatusInput {
  readonly settings: JobConfig;
  readonly state: JobState;
  readonly schedule: ScheduleState | null;
  /** The start of the oldest run still going (a start marker without its finish line), or null. */
  readonly openStartMs: number | null;
  readonly nowMs: number;
}

/** Pauses without an end are stored as a far-future instant; shown as null ("until resumed"). */
export const OPEN_ENDED_PAUSE_MS = 8.64e15;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobStatus({ settings, state, schedule, openStartMs, nowMs }: JobStatusInput): JobStatus {
  const lateness = schedule && settings.schedule ? evaluateLateness({ job: settings, state: schedule, nowMs, unknownUntilMs: null }) : null;
  const late = (schedule?.lateSinceMs ?? null) !== null || (lateness?.missed.length ?? 0) > 0;
  const tooLong = openStartMs !== null && settings.maxDurationMs !== null && nowMs - openStartMs > settings.maxDurationMs;
  let name: JobStateName;
  if (isPaused(state, nowMs)) name = "paused";
  else if (late) name = "late";
  else if (tooLong) name = "too_long";
  else if (openStartMs !== null) name = "running";
  else if (state.consecutiveFailures > 0) name = "failing";
  else if (state.lastRunMs !== null) name = "up";
  else name = "unknown";
  const nextDeadline = lateness?.nextDeadlineMs ?? null;
  return {
    state: name,
    consecutive_failures: state.consecutiveFailures,
    schedule: settings.schedule ? describeSchedule(settings.schedule) : null,
    next_expected: iso(nextDeadline === null ? null : nextDeadline - settings.graceMs),
    paused_until: isPaused(state, nowMs) && state.pausedUntilMs !== OPEN_ENDED_PAUSE_MS ? iso(state.pausedUntilMs) : null,
  };
}
