/**
 * The time-driven check: each configured job's state as of now (src/job-status.ts), and an alert
 * when it enters or leaves `late` or `too_long` (src/alerts/state-alerts.ts). Also the heartbeat
 * that tells a gap in watching (collector down, machine asleep) from a quiet period. A check costs
 * a few indexed lookups per job whatever the gap, runs in one transaction, and says when the next
 * one is due, so the caller sets a timer for the earliest deadline instead of polling.
 */
import { decideStateAlert, heldAfterGap, holdEndMs } from "./alerts/state-alerts.ts";
import type { Config } from "./config/config.ts";
import type { JobConfig } from "./config/jobs.ts";
import { jobKey, jobName } from "./job-key.ts";
import { deadline, jobStatus, type JobStatusResult } from "./job-status.ts";
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

/** The next instant at which this job's state or alert may change by time alone. */
function nextChangeMs(job: JobConfig, status: JobStatusResult, due: number | null, memory: AlertMemory, remindMs: number): number | null {
  const candidates: number[] = [];
  if (status.state === "running" && status.sinceMs !== null && job.maxDurationMs !== null) candidates.push(status.sinceMs + job.maxDurationMs + 1);
  if (status.state !== "late" && due !== null) candidates.push(due + 1);
  if (memory.state !== null && remindMs > 0 && memory.alertedAtMs !== null) candidates.push(memory.alertedAtMs + remindMs);
  return candidates.length === 0 ? null : Math.min(...candidates);
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

  private checkNow(): CheckResult {
    const { alerts, jobStates, history } = this.stores;
    const { notify, defaultJob } = this.config;
    const now = this.clock();
    const nowMs = now.getTime();
    const watchResumedMs = this.heartbeat(nowMs);
    const createdAt = now.toISOString();
    let alerted = 0;
    let next: number | null = null;
    const configured = new Set<string>();

    for (const job of this.config.jobs) {
      if (!job.schedule && job.maxDurationMs === null) continue;
      const key = jobKey(job.name, defaultJob);
      configured.add(key);
      jobStates.ensureJob(key, now);
      const past = history.historyAt({ name: job.name, isDefault: key === "", key }, nowMs);
      const pausedUntilMs = jobStates.pausedUntilMs(key, nowMs);
      const status = jobStatus(past, job, pausedUntilMs, nowMs);
      // The end of a pause counts like the end of a gap in watching (see state-alerts.ts).
      const pauseEnded = pausedUntilMs !== null && pausedUntilMs <= nowMs ? pausedUntilMs : null;
      const resumedMs = pauseEnded !== null && (watchResumedMs === null || pauseEnded > watchResumedMs) ? pauseEnded : watchResumedMs;
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
        remindEveryMs,
        onRecovery: notify.onRecovery,
        sound: notify.sound,
      });
      if (decision.alert) {
        alerts.add(decision.alert, "pending", null, createdAt);
        this.log.info(`${decision.alert.title}: ${decision.alert.message}`);
        alerted++;
      }
      if (decision.memory !== memory) jobStates.saveAlertMemory(key, decision.memory);
      const due = deadline(past, job)?.deadlineMs ?? null;
      const held = status.state === "late" && decision.memory.state !== "late" && heldAfterGap(job, resumedMs, nowMs);
      let wake = nextChangeMs(job, status, due, decision.memory, remindEveryMs ?? 0);
      const holdEnd = held ? holdEndMs(job, resumedMs) : null;
      if (holdEnd !== null) wake = wake === null ? holdEnd + 1 : Math.min(wake, holdEnd + 1);
      if (wake !== null && (next === null || wake < next)) next = wake;
    }
    // A job taken out of `jobs:` (or of its schedule) has no late state to remember.
    for (const key of jobStates.jobsWithAlertMemory()) {
      if (configured.has(key)) continue;
      jobStates.saveAlertMemory(key, noAlertMemory);
      this.log.info(`Job "${jobName(key, defaultJob)}" has no schedule or max_duration any more; its late or too-long state is cleared`);
    }
    return { alerted, nextCheckAtMs: next };
  }
}
