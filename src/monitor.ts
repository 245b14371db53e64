/**
 * The time-driven check: each configured job's state as of now (src/job-status.ts), and an alert
 * when it enters or leaves `late` or `too_long` (src/alerts/state-alerts.ts). Also the heartbeat
 * that tells a gap in watching (collector down, machine asleep) from a quiet period. A check costs
 * a few indexed lookups per job whatever the gap, runs in one transaction, and says when the next
 * one is due, so the caller sets a timer for the earliest deadline instead of polling.
 */
import { decideStateAlert, heldAfterGap, holdEndMs, type ResumeCause } from "./alerts/state-alerts.ts";
import type { Config } from "./config/config.ts";
import type { JobConfig } from "./config/jobs.ts";
import { jobKey, jobName } from "./job-key.ts";
import { deadline, jobStatus, OPEN_ENDED_PAUSE_MS, type JobStatusResult } from "./job-status.ts";
import type { Logger } from "./logger.ts";
import { noAlertMemory, type AlertMemory } from "./records.ts";
import type { AlertStore } from "./store/alerts.ts";
import type { JobHistoryQueries } from "./store/job-history.ts";
import type { JobStateStore } from "./store/job-state.ts";

export interface CheckResult {
  /** Alerts written (late, too long, reminders, recoveries). */
  readonly alerted: number;
  /** When the next check is due, or null when nothing is scheduled. */
  readonly nextCheckAtMs: number | null;
}

export interface WatchGap {
  readonly from: string;
  readonly to: string;
}

const HEARTBEAT = "monitor.heartbeat_ms";
const LAST_GAP = "monitor.last_gap";
const WATCH_RESUMED = "monitor.watch_resumed_ms";

/** A silence longer than this between checks is a gap in watching, not a quiet period. */
export function gapThresholdMs(checkIntervalMs: number): number {
  return Math.max(3 * checkIntervalMs, 120_000);
}

export function lastGap(alerts: Pick<AlertStore, "meta">): WatchGap | null {
  const text = alerts.meta(LAST_GAP);
  return text ? (JSON.parse(text) as WatchGap) : null;
}

export interface MonitorStores {
  readonly alerts: AlertStore;
  readonly jobStates: JobStateStore;
  readonly history: JobHistoryQueries;
  /** Runs its body in one write transaction. */
  readonly transaction: <T>(body: () => T) => T;
}

/** The earliest of the instants given, or null. */
function earliest(...instants: Array<number | null>): number | null {
  const known = instants.filter((ms): ms is number => ms !== null);
  return known.length === 0 ? null : Math.min(...known);
}

/** The next instant at which a job's state or alerts may change by time alone. */
function nextChangeMs(job: JobConfig, status: JobStatusResult, due: number | null, memory: AlertMemory, remindMs: number, pausedUntilMs: number | null): number | null {
  return earliest(
    status.state === "running" && status.sinceMs !== null && job.maxDurationMs !== null ? status.sinceMs + job.maxDurationMs + 1 : null,
    status.state !== "late" && due !== null ? due + 1 : null,
    memory.state !== null && remindMs > 0 && memory.alertedAtMs !== null ? memory.alertedAtMs + remindMs : null,
    status.state === "paused" && pausedUntilMs !== null && pausedUntilMs !== OPEN_ENDED_PAUSE_MS ? pausedUntilMs + 1 : null,
  );
}

interface JobCheck {
  readonly alerted: boolean;
  /** When this job needs the next check, or null. */
  readonly wakeAtMs: number | null;
}

export class ScheduleMonitor {
  constructor(
    private readonly stores: MonitorStores,
    private readonly config: Pick<Config, "jobs" | "defaultJob" | "notify" | "checkIntervalMs">,
    private readonly log: Logger,
    private readonly clock: () => Date,
  ) {}

  check(): CheckResult {
    return this.stores.transaction(() => this.checkNow());
  }

  /** Records the heartbeat; returns when the current stretch of watching began, if recently. */
  private heartbeat(nowMs: number): number | null {
    const { alerts } = this.stores;
    const previous = alerts.meta(HEARTBEAT);
    alerts.setMeta(HEARTBEAT, String(Math.max(nowMs, Number(previous ?? 0))));
    if (previous === null) {
      alerts.setMeta(WATCH_RESUMED, String(nowMs)); // first start: what came before was not watched
    } else if (nowMs - Number(previous) > gapThresholdMs(this.config.checkIntervalMs)) {
      const gap: WatchGap = { from: new Date(Number(previous)).toISOString(), to: new Date(nowMs).toISOString() };
      alerts.setMeta(LAST_GAP, JSON.stringify(gap));
      alerts.setMeta(WATCH_RESUMED, String(nowMs));
      this.log.warn(`Nothing was watched from ${gap.from} to ${gap.to} (collector stopped or machine asleep): a job late meanwhile is alerted only if it misses its next run too`);
    }
    const resumed = alerts.meta(WATCH_RESUMED);
    return resumed === null ? null : Number(resumed);
  }

  /** A resume that ended the last recorded gap is a restart (or wake-up); otherwise the first start. */
  private watchResumeCause(watchResumedMs: number): ResumeCause {
    return lastGap(this.stores.alerts)?.to === new Date(watchResumedMs).toISOString() ? "restart" : "first_start";
  }

  private checkNow(): CheckResult {
    const { jobStates } = this.stores;
    const now = this.clock();
    const watchResumedMs = this.heartbeat(now.getTime());
    let alerted = 0;
    let next: number | null = null;
    const configured = new Set<string>();
    for (const job of this.config.jobs) {
      if (!job.schedule && job.maxDurationMs === null) continue;
      configured.add(jobKey(job.name, this.config.defaultJob));
      const result = this.checkJob(job, now, watchResumedMs);
      if (result.alerted) alerted++;
      next = earliest(next, result.wakeAtMs);
    }
    // A job taken out of `jobs:` (or of its schedule) has no late state to remember.
    for (const key of jobStates.jobsWithAlertMemory()) {
      if (configured.has(key)) continue;
      jobStates.saveAlertMemory(key, noAlertMemory);
      this.log.info(`Job "${jobName(key, this.config.defaultJob)}" has no schedule or max_duration any more; its late or too-long state is cleared`);
    }
    return { alerted, nextCheckAtMs: next };
  }

  /** One job: its state as of now, the alert its change calls for, when to look again. */
  private checkJob(job: JobConfig, now: Date, watchResumedMs: number | null): JobCheck {
    const { alerts, jobStates, history } = this.stores;
    const { notify } = this.config;
    const nowMs = now.getTime();
    const key = jobKey(job.name, this.config.defaultJob);
    jobStates.ensureJob(key, now);
    const past = history.historyAt({ name: job.name, isDefault: key === "", key }, nowMs);
    const pausedUntilMs = jobStates.pausedUntilMs(key, nowMs);
    const status = jobStatus(past, job, pausedUntilMs, nowMs);
    // The end of a pause counts like the end of a gap in watching (see state-alerts.ts).
    const pauseEnded = pausedUntilMs !== null && pausedUntilMs <= nowMs ? pausedUntilMs : null;
    const byPause = pauseEnded !== null && (watchResumedMs === null || pauseEnded > watchResumedMs);
    const resumedMs = byPause ? pauseEnded : watchResumedMs;
    const resumeCause = byPause ? "pause_end" : watchResumedMs === null ? null : this.watchResumeCause(watchResumedMs);
    const memory = jobStates.alertMemory(key);
    const remindEveryMs = job.remindEveryMs ?? notify.remindEveryMs;
    const decision = decideStateAlert({
      job: job.name,
      status,
      history: past,
      settings: job,
      memory,
      nowMs,
      watchResumedMs: resumedMs,
      resumeCause,
      remindEveryMs,
      onRecovery: notify.onRecovery,
      sound: notify.sound,
    });
    if (decision.alert) {
      alerts.add(decision.alert, "pending", null, now.toISOString());
      this.log.info(`${decision.alert.title}: ${decision.alert.message}`);
    }
    if (decision.memory !== memory) jobStates.saveAlertMemory(key, decision.memory);
    const held = status.state === "late" && decision.memory.state !== "late" && heldAfterGap(job, resumedMs, nowMs);
    const holdEnd = held ? holdEndMs(job, resumedMs) : null;
    const due = deadline(past, job)?.deadlineMs ?? null;
    return {
      alerted: decision.alert !== null,
      wakeAtMs: earliest(nextChangeMs(job, status, due, decision.memory, remindEveryMs ?? 0, pausedUntilMs), holdEnd === null ? null : holdEnd + 1),
    };
  }
}
