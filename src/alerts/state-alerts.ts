/**
 * Alerts on a job's state changes, as healthchecks.io and Cronitor send them. Pure.
 *
 * - Entering `late` or `too_long` alerts once; staying in it alerts again only every
 *   `remind_every` (off by default). Leaving it for `up` or `running` sends one recovery; leaving it
 *   for `failing` sends none (the failure alert said the job ran), nor for `paused` or `new`.
 * - After a gap in watching (the first start, a restart after downtime, a laptop waking up) or the
 *   end of a pause, a job that is late gets until its first deadline after that before it is
 *   alerted: its cron may have been asleep too and run in a moment, and what a pause muted stays
 *   muted. Its state is `late` meanwhile, truly.
 * - What was alerted is remembered per job (AlertMemory, stored in `jobs`), so a restart neither
 *   repeats an alert nor forgets a recovery.
 */
import { lastActivityMs, expectedAfter, showSeconds, type JobStatusResult, type StatusSettings } from "../job-status.ts";
import type { AlertMemory, JobHistory } from "../records.ts";
import { noAlertMemory } from "../records.ts";
import { lateAlert, stateRecoveryAlert, stillRunningAlert, type AlertText, type ResumeCause, type StateAlertFacts } from "./format.ts";

export type { ResumeCause } from "./format.ts";

export interface StateAlertInput {
  readonly job: string;
  readonly status: JobStatusResult;
  readonly history: JobHistory;
  readonly settings: StatusSettings;
  readonly memory: AlertMemory;
  readonly nowMs: number;
  /**
   * When the current stretch of continuous watching began (or the job's pause ended, if later),
   * or null when unknown.
   */
  readonly watchResumedMs: number | null;
  /** Why watching resumed at `watchResumedMs` (null with it), for the text of a late alert after it. */
  readonly resumeCause: ResumeCause | null;
  /** 0 or null: no reminders. */
  readonly remindEveryMs: number | null;
  readonly onRecovery: boolean;
  readonly sound: string;
}

export interface StateAlertDecision {
  readonly alert: AlertText | null;
  readonly memory: AlertMemory;
}

/** Whether a late alert waits: watching resumed recently and the job has not had its chance since. */
export function heldAfterGap(settings: StatusSettings, watchResumedMs: number | null, nowMs: number): boolean {
  const end = holdEndMs(settings, watchResumedMs);
  return end !== null && nowMs <= end;
}

/** The first deadline after watching resumed: until then a late job is not alerted. */
export function holdEndMs(settings: StatusSettings, watchResumedMs: number | null): number | null {
  if (watchResumedMs === null) return null;
  const expected = expectedAfter(settings, watchResumedMs);
  return expected === null ? null : expected + settings.graceMs;
}

/**
 * The run a late job missed after watching resumed, when it became late before that (while nobody
 * watched, or during a pause): that later deadline, not the old one, is what raised the alert.
 */
function missedAfterResume(input: StateAlertInput, sinceMs: number): StateAlertFacts["missedAfterResume"] {
  const { watchResumedMs, resumeCause, settings } = input;
  if (input.status.state !== "late" || watchResumedMs === null || resumeCause === null || sinceMs > watchResumedMs) return null;
  const end = holdEndMs(settings, watchResumedMs);
  return end === null ? null : { expectedMs: end - settings.graceMs, cause: resumeCause };
}

function facts(input: StateAlertInput, sinceMs: number, reminder: boolean): StateAlertFacts {
  const { history, settings, nowMs } = input;
  const activity = lastActivityMs(history);
  const base = activity ?? history.watchedSinceMs;
  return {
    seconds: showSeconds(settings, activity ?? sinceMs, nowMs),
    missedAfterResume: missedAfterResume(input, sinceMs),
    job: input.job,
    nowMs,
    sinceMs,
    expectedMs: base === null ? null : expectedAfter(settings, base, activity !== null),
    graceMs: settings.graceMs,
    lastActivityMs: activity,
    openStartMs: history.openStartMs,
    maxDurationMs: settings.maxDurationMs,
    sound: input.sound,
    reminder,
  };
}

export function decideStateAlert(input: StateAlertInput): StateAlertDecision {
  const { status, memory, nowMs } = input;
  const state = status.state;
  if (state === "late" || state === "too_long") {
    const sinceMs = status.sinceMs ?? nowMs;
    if (memory.state === state) {
      const remind = input.remindEveryMs ?? 0;
      if (remind <= 0 || memory.alertedAtMs === null || nowMs - memory.alertedAtMs < remind) return { alert: null, memory };
      const text = state === "late" ? lateAlert(facts(input, sinceMs, true)) : stillRunningAlert(facts(input, sinceMs, true));
      return { alert: text, memory: { ...memory, alertedAtMs: nowMs } };
    }
    if (state === "late" && heldAfterGap(input.settings, input.watchResumedMs, nowMs)) return { alert: null, memory };
    const text = state === "late" ? lateAlert(facts(input, sinceMs, false)) : stillRunningAlert(facts(input, sinceMs, false));
    return { alert: text, memory: { state, sinceMs, alertedAtMs: nowMs } };
  }
  if (memory.state === null) return { alert: null, memory };
  const recovered = (state === "up" || state === "running") && input.onRecovery;
  const sinceMs = memory.sinceMs ?? nowMs;
  const alert = recovered ? stateRecoveryAlert(input.job, memory.state, sinceMs, nowMs, showSeconds(input.settings, sinceMs, nowMs)) : null;
  return { alert, memory: noAlertMemory };
}
