/**
 * The time-driven checks: missed runs of scheduled jobs, runs still going past max_duration, and
 * the heartbeat that tells a gap in watching (collector down, machine asleep) from a missed run.
 * Each check runs in one transaction and says when the next one is due, so the caller can set a
 * timer for the earliest deadline instead of polling.
 */
import type { Database } from "bun:sqlite";
import { lateAlert, longRunAlert } from "./alerts/format.ts";
import { evaluateLateness } from "./alerts/lateness.ts";
import { isPaused } from "./alerts/policy.ts";
import type { Config } from "./config/config.ts";
import { jobKey, jobSettings } from "./config/jobs.ts";
import { formatDuration } from "./duration.ts";
import type { Logger } from "./logger.ts";
import type { AlertStore } from "./store/alerts.ts";
import type { JobStateStore } from "./store/job-state.ts";

export interface CheckResult {
  /** Alerts written (late or still running). */
  readonly alerted: number;
  /** When the next deadline falls, or null when nothing is scheduled. */
  readonly nextCheckAtMs: number | null;
}

export interface WatchGap {
  readonly from: string;
  readonly to: string;
}

const HEARTBEAT = "monitor.heartbeat_ms";
const LAST_GAP = "monitor.last_gap";

/** A silence longer than this between checks is a gap in watching, not a quiet period. */
export function gapThresholdMs(checkIntervalMs: number): number {
  return Math.max(3 * checkIntervalMs, 120_000);
}

export function lastGap(alerts: AlertStore): WatchGap | null {
  const text = alerts.meta(LAST_GAP);
  return text ? (JSON.parse(text) as WatchGap) : null;
}

interface OpenStart {
  run_id: string;
  ts_ms: number;
  job: string | null;
}

export class ScheduleMonitor {
  constructor(
    private readonly db: Database,
    private readonly alerts: AlertStore,
    private readonly jobStates: JobStateStore,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly clock: () => Date,
  ) {}

  check(): CheckResult {
    return this.db.transaction(() => this.checkNow()).immediate();
  }

  /** Records the heartbeat; returns the end of a gap in watching that ends now, or null. */
  private heartbeat(nowMs: number): number | null {
    const previous = this.alerts.meta(HEARTBEAT);
    this.alerts.setMeta(HEARTBEAT, String(Math.max(nowMs, Number(previous ?? 0))));
    if (previous === null) return nowMs; // first start: what was missed before is unknown
    const silence = nowMs - Number(previous);
    if (silence <= gapThresholdMs(this.config.checkIntervalMs)) return null;
    const gap: WatchGap = { from: new Date(Number(previous)).toISOString(), to: new Date(nowMs).toISOString() };
    this.alerts.setMeta(LAST_GAP, JSON.stringify(gap));
    this.log.warn(`Nothing was watched from ${gap.from} to ${gap.to} (collector stopped or machine asleep): runs expected in that time are unknown, not late`);
    return nowMs;
  }

  private checkNow(): CheckResult {
    const now = this.clock();
    const nowMs = now.getTime();
    const unknownUntilMs = this.heartbeat(nowMs);
    const createdAt = now.toISOString();
    let alerted = 0;
    let next: number | null = null;
    const soonest = (deadline: number | null): void => {
      if (deadline !== null && (next === null || deadline < next)) next = deadline;
    };

    for (const job of this.config.jobs) {
      if (!job.schedule) continue;
      const key = jobKey(job.name, this.config.defaultJob);
      this.jobStates.ensureJob(key, now);
      const state = this.jobStates.scheduleState(key);
      if (!state) continue;
      const result = evaluateLateness({ job, state, nowMs, unknownUntilMs });
      for (const expected of result.missed) {
        this.alerts.add(lateAlert(job.name, expected, job.graceMs, state.lastRunMs, this.config.notify.sound), "pending", null, createdAt);
        this.log.info(`Job "${job.name}" is late: expected at ${new Date(expected).toISOString()}`);
        alerted++;
      }
      if (result.unknown > 0) this.log.info(`Job "${job.name}": ${result.unknown} expected run(s) fell in a gap in watching; not alerted`);
      if (result.lateCheckedThroughMs !== state.lateCheckedThroughMs || result.lateSinceMs !== state.lateSinceMs) {
        this.jobStates.saveLateness(key, result.lateCheckedThroughMs, result.lateSinceMs);
      }
      soonest(result.nextDeadlineMs);
    }

    const open = this.db
      .query<OpenStart, []>("SELECT run_id, ts_ms, job FROM run_starts WHERE finished = 0 AND long_alerted = 0")
      .all();
    const markAlerted = this.db.query("UPDATE run_starts SET long_alerted = 1 WHERE run_id = ?");
    for (const start of open) {
      const name = start.job ?? this.config.defaultJob;
      const settings = jobSettings(this.config.jobs, name, this.config.notify.alertAfter);
      if (settings.maxDurationMs === null) continue;
      const deadline = start.ts_ms + settings.maxDurationMs;
      if (deadline > nowMs) {
        soonest(deadline);
        continue;
      }
      if (!isPaused(this.jobStates.load(jobKey(name, this.config.defaultJob)), nowMs)) {
        const detail = `still running after ${formatDuration(nowMs - start.ts_ms)}, started ${new Date(start.ts_ms).toISOString()} (max_duration ${formatDuration(settings.maxDurationMs)})`;
        this.alerts.add(longRunAlert(name, start.job, detail, deadline), "pending", null, createdAt);
        alerted++;
      }
      markAlerted.run(start.run_id);
    }
    return { alerted, nextCheckAtMs: next };
  }
}
