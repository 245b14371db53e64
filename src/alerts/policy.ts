/**
 * Which alerts newly stored runs cause, and how they move each job's counters and streak. Pure.
 *
 * - A failure alerts once the job's streak of failures in a row reaches its `alert_after` (1: every
 *   failure). A failure older than notify.max_age when first seen (a backfill, a restart after
 *   downtime) is "stale": not sent on its own, but counted in one summary.
 * - A success that is the job's newest run, after a streak that alerted, gives a recovery notice
 *   (notify.on_recovery), unless it is itself stale. Leaving `late` or `too_long` is recovered by
 *   the state check (src/alerts/state-alerts.ts), not here, so a run never recovers twice.
 * - A finished run whose duration_ms is over the job's max_duration alerts once, unless the state
 *   check already alerted it while it was going (the job's alert memory says too_long).
 * - A paused job raises nothing; its counters still move.
 * Streaks follow the runs' instants, so a backfilled old run does not reset a current streak.
 */
import type { NotifyConfig } from "../config/config.ts";
import type { JobConfig } from "../config/jobs.ts";
import { formatDuration } from "../duration.ts";
import { jobKey } from "../job-key.ts";
import { showSeconds } from "../job-status.ts";
import { localTime } from "../local-time.ts";
import { freshJobState, type AlertKind, type AlertMemory, type JobState, type Run, type StoredRun } from "../records.ts";
import { failureAlert, longRunAlert, recoveryAlert, type AlertText } from "./format.ts";

export { freshJobState, type JobState } from "../records.ts";

export interface NewAlert {
  readonly runId: number | null;
  readonly text: AlertText;
  readonly status: "pending" | "stale";
  /** text.kind, text.job and text.eventMs, known without formatting the text. */
  readonly kind: AlertKind;
  readonly job: string;
  readonly eventMs: number;
}

type FailureNotify = Pick<NotifyConfig, "sound" | "sounds">;

/**
 * A failure alert whose text is formatted when first read: a backfill's stale failures are only
 * counted into one summary (src/ingest.ts reads the text of the newest alone), so formatting each
 * of them was wasted (bench/ingest.ts: about 0.1 s per 100,000 stale failures).
 */
class FailureAlert implements NewAlert {
  readonly kind = "failure";
  private formatted: AlertText | null = null;

  constructor(
    readonly runId: number,
    readonly status: "pending" | "stale",
    private readonly run: Run,
    readonly job: string,
    private readonly notify: FailureNotify,
  ) {}

  get eventMs(): number {
    return this.run.epochMs;
  }

  get text(): AlertText {
    this.formatted ??= failureAlert(this.run, this.job, this.notify);
    return this.formatted;
  }
}

export interface PolicyInput {
  readonly runs: readonly StoredRun[];
  /** Keyed by jobKey: '' for the default job, whether its runs name it or not. */
  readonly states: ReadonlyMap<string, JobState>;
  /** What was last alerted about each job's state, by jobKey (absent: nothing). */
  readonly memories?: ReadonlyMap<string, AlertMemory>;
  readonly nowMs: number;
  readonly notify: Pick<NotifyConfig, "maxAgeMs" | "onRecovery" | "sound" | "sounds">;
  readonly defaultJob: string;
  /** The settings of a job by its display name. */
  readonly jobConfig: (job: string) => JobConfig;
}

export interface PolicyResult {
  readonly alerts: NewAlert[];
  readonly states: Map<string, JobState>;
}

const max = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

export function isPaused(state: Pick<JobState, "pausedUntilMs">, nowMs: number): boolean {
  return state.pausedUntilMs !== null && state.pausedUntilMs > nowMs;
}

type MutableJobState = { -readonly [K in keyof JobState]: JobState[K] };

export function decideAlerts({ runs, states, memories, nowMs, notify, defaultJob, jobConfig }: PolicyInput): PolicyResult {
  // One mutable working copy per job and batch: this runs for every stored run, so it allocates
  // nothing per run but the alerts themselves.
  const working = new Map<string, MutableJobState>();
  // A job's settings are looked up once per batch, not once per run.
  const settingsOf = new Map<string, JobConfig>();
  const alerts: NewAlert[] = [];
  for (const { id, run } of runs) {
    const job = run.job ?? defaultJob;
    const key = jobKey(job, defaultJob);
    let state = working.get(key);
    if (!state) {
      state = { ...(states.get(key) ?? freshJobState) };
      working.set(key, state);
    }
    let settings = settingsOf.get(job);
    if (!settings) {
      settings = jobConfig(job);
      settingsOf.set(job, settings);
    }
    const stale = nowMs - run.epochMs > notify.maxAgeMs;
    const muted = isPaused(state, nowMs);
    const newest = state.lastRunMs === null || run.epochMs >= state.lastRunMs;
    const failed = run.exit !== 0;

    state.totalRuns++;
    if (failed) {
      state.totalFailures++;
      state.lastFailureMs = max(state.lastFailureMs, run.epochMs);
      const streak = newest ? state.consecutiveFailures + 1 : state.consecutiveFailures;
      const alerting = newest ? streak >= settings.alertAfter : settings.alertAfter === 1;
      if (alerting && !muted) alerts.push(new FailureAlert(id, stale ? "stale" : "pending", run, job, notify));
      if (newest) {
        state.consecutiveFailures = streak;
        state.streakAlerted ||= alerting;
      }
    } else {
      state.lastSuccessMs = max(state.lastSuccessMs, run.epochMs);
      if (newest) {
        const wasDown = state.consecutiveFailures > 0 && state.streakAlerted;
        if (wasDown && notify.onRecovery && !stale && !muted) {
          alerts.push({ runId: id, text: recoveryAlert(job, state.consecutiveFailures, run.epochMs), status: "pending", kind: "recovery", job, eventMs: run.epochMs });
        }
        state.consecutiveFailures = 0;
        state.streakAlerted = false;
      }
    }
    if (newest) state.lastRunMs = run.epochMs;
    const alertedWhileGoing = memories?.get(key)?.state === "too_long";
    if (settings.maxDurationMs !== null && run.durationMs !== null && run.durationMs > settings.maxDurationMs && !muted && !alertedWhileGoing) {
      const detail = `Took ${formatDuration(run.durationMs)} (max_duration ${formatDuration(settings.maxDurationMs)}), started ${localTime(run.epochMs, nowMs, showSeconds(settings, run.epochMs, nowMs))}`;
      // The news is the end of the run, so its age counts from when it finished.
      const finishedMs = run.epochMs + run.durationMs;
      const finishedStale = nowMs - finishedMs > notify.maxAgeMs;
      alerts.push({ runId: id, text: longRunAlert(job, detail, finishedMs), status: finishedStale ? "stale" : "pending", kind: "long", job, eventMs: finishedMs });
    }
  }
  const next = new Map<string, JobState>(states);
  for (const [key, state] of working) next.set(key, state);
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
