/**
 * What state a job is in: a pure function of its recent history as of `now`, its schedule, its
 * pause and `now`. --stats --now T, the live collector and the alerts all call it, so any past
 * moment can be reproduced exactly.
 *
 * Rules, in order of precedence (the README lists them too):
 * - paused:   a pause is in force at now.
 * - too_long: the newest start marker has no finish by now, and now is past start + max_duration.
 * - running:  the newest start marker has no finish by now (a start counts as a run on time: a
 *             job that is going is never late).
 * - late:     a schedule is set and now is past (expected time + grace), where the expected time is
 *             the schedule's next time after the job's last activity (its newest run or start),
 *             or after it was first watched when it never ran.
 * - failing:  the newest finished run failed.
 * - up:       the newest finished run succeeded.
 * - new:      no run yet, and not late.
 * Lateness is arithmetic on the schedule (one nextRun from the last activity), never a walk over
 * missed periods, so it costs the same after a minute or after two years.
 */
import type { JobConfig } from "./config/jobs.ts";
import { formatDuration } from "./duration.ts";
import { localTime, secondsMatter } from "./local-time.ts";
import type { JobHistory } from "./records.ts";
import { describeSchedule, nextExpected, schedulePeriodMs, type Schedule } from "./schedule.ts";

export type { FinishedRun, JobHistory } from "./records.ts";

export type JobStateName = "new" | "up" | "running" | "failing" | "late" | "too_long" | "paused";

export const emptyHistory: JobHistory = {
  lastRun: null,
  failureStreak: 0,
  lastSuccessMs: null,
  lastStartMs: null,
  openStartMs: null,
  watchedSinceMs: null,
};

export type StatusSettings = Pick<JobConfig, "schedule" | "graceMs" | "maxDurationMs">;

export interface JobStatusResult {
  readonly state: JobStateName;
  /** When the job entered this state: late, too_long, running; null for the others. */
  readonly sinceMs: number | null;
  /**
   * The next time a run is expected, or null without a schedule. For a `late` job it is the
   * expected time it missed (in the past: the run is overdue since then), never a later slot, so
   * "next expected" never reads "in 6 s" beside "late". Running and paused jobs past their
   * deadline get the schedule's next time after now.
   */
  readonly nextExpectedMs: number | null;
  /** One line saying why, e.g. "late since 14:05, expected every 5m + 1m grace". */
  readonly reason: string;
}

/** Pauses without an end are stored as a far-future instant; shown as "until resumed". */
export const OPEN_ENDED_PAUSE_MS = 8.64e15;

/** A cron run up to a minute (at most the grace) before its slot belongs to that slot. */
const EARLY_TOLERANCE_MS = 60_000;

function earlyTolerance(settings: StatusSettings): number {
  return settings.schedule?.kind === "cron" ? Math.min(settings.graceMs, EARLY_TOLERANCE_MS) : 0;
}

/**
 * The first expected run after `baseMs`: after a run (`afterRun`, whose slot may be a moment
 * later than the run itself), or after the start of watching.
 */
export function expectedAfter(settings: StatusSettings, baseMs: number, afterRun = false): number | null {
  return settings.schedule ? nextExpected(settings.schedule, baseMs + (afterRun ? earlyTolerance(settings) : 0)) : null;
}

/** The first schedule time strictly after now, in O(1) for `every` too. */
function nextAfterNow(schedule: Schedule, baseMs: number, nowMs: number): number | null {
  if (schedule.kind === "every") {
    if (nowMs < baseMs) return baseMs + schedule.periodMs;
    return baseMs + (Math.floor((nowMs - baseMs) / schedule.periodMs) + 1) * schedule.periodMs;
  }
  return nextExpected(schedule, nowMs);
}

export function lastActivityMs(history: JobHistory): number | null {
  const run = history.lastRun?.ms ?? null;
  const start = history.lastStartMs;
  if (run === null) return start;
  return start === null ? run : Math.max(run, start);
}

interface Deadline {
  readonly expectedMs: number;
  readonly deadlineMs: number;
}

/** When the job's next run is due (+ grace), counted from its last activity or its first watch. */
export function deadline(history: JobHistory, settings: StatusSettings): Deadline | null {
  const activity = lastActivityMs(history);
  const base = activity ?? history.watchedSinceMs;
  if (base === null) return null;
  const expected = expectedAfter(settings, base, activity !== null);
  return expected === null ? null : { expectedMs: expected, deadlineMs: expected + settings.graceMs };
}

/** Whether texts about this job show seconds: its period is under an hour (see local-time.ts). */
export function showSeconds(settings: Pick<StatusSettings, "schedule">, ms: number, nowMs: number): boolean {
  return secondsMatter(settings.schedule ? schedulePeriodMs(settings.schedule, nowMs) : null, ms, nowMs);
}

function scheduleText(settings: StatusSettings): string {
  const schedule = settings.schedule ? describeSchedule(settings.schedule) : "";
  return settings.graceMs > 0 ? `${schedule} + ${formatDuration(settings.graceMs)} grace` : schedule;
}

export function jobStatus(history: JobHistory, settings: StatusSettings, pausedUntilMs: number | null, nowMs: number): JobStatusResult {
  const due = deadline(history, settings);
  const late = due !== null && nowMs > due.deadlineMs;
  const base = lastActivityMs(history) ?? history.watchedSinceMs;
  const nextExpectedMs = !due ? null : !late ? due.expectedMs : settings.schedule && base !== null ? nextAfterNow(settings.schedule, base, nowMs) : null;
  const at = (ms: number): string => localTime(ms, nowMs, showSeconds(settings, ms, nowMs));
  const result = (state: JobStateName, sinceMs: number | null, reason: string): JobStatusResult => ({ state, sinceMs, nextExpectedMs, reason });

  if (pausedUntilMs !== null && pausedUntilMs > nowMs) {
    return result("paused", null, pausedUntilMs === OPEN_ENDED_PAUSE_MS ? "paused until resumed" : `paused until ${at(pausedUntilMs)}`);
  }
  const open = history.openStartMs;
  if (open !== null && (history.lastRun === null || open >= history.lastRun.ms)) {
    const max = settings.maxDurationMs;
    if (max !== null && nowMs > open + max) {
      return result("too_long", open + max, `running for ${formatDuration(nowMs - open)} since ${at(open)}, over max_duration ${formatDuration(max)}`);
    }
    return result("running", open, `running since ${at(open)}`);
  }
  if (late && due) {
    return { ...result("late", due.deadlineMs, `late since ${at(due.deadlineMs)}, expected ${scheduleText(settings)}`), nextExpectedMs: due.expectedMs };
  }
  const last = history.lastRun;
  if (last && last.exit !== 0) {
    const streak = history.failureStreak;
    return result("failing", null, `${streak} failed run${streak === 1 ? "" : "s"} in a row, last at ${at(last.ms)} (exit ${last.exit})`);
  }
  if (last) return result("up", null, `last ran ${at(last.ms)}`);
  return result("new", null, "no run seen yet");
}
