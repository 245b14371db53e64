/**
 * Ingest: what happens to one batch of lines the tailer read, in one place, top to bottom.
 *
 * In one transaction: store the batch (start markers, runs, rejects, the new checkpoint) → let
 * finish lines close their start markers → decide the alerts the new runs cause, from their jobs'
 * stored state → write those alerts to the outbox (a job failing faster than alerts may go out
 * has the rest counted into its open gathered row, see src/alerts/gather.ts) and the jobs' new state →
 * one alert for lines that could not be read. Deciding needs to know which runs are new (an
 * identical line read twice is one run), so it follows the insert, inside the same transaction: a
 * crash at any point leaves all of it or none. After the commit, only logging.
 */
import { planOutbox } from "./alerts/gather.ts";
import { decideAlerts, type NewAlert } from "./alerts/policy.ts";
import { unreadableAlert } from "./alerts/format.ts";
import type { Config } from "./config/config.ts";
import { jobSettings, likelyTypo } from "./config/jobs.ts";
import { jobKey } from "./job-key.ts";
import { extraString } from "./line.ts";
import type { Logger } from "./logger.ts";
import type { AlertMemory, Batch, Checkpoint, CommitResult, JobState, Reject, StoredRun } from "./records.ts";
import type { AlertStore } from "./store/alerts.ts";
import type { JobStateStore } from "./store/job-state.ts";
import type { RunFinish, RunWriter } from "./store/runs.ts";

export interface IngestStores {
  readonly writer: RunWriter;
  readonly alerts: AlertStore;
  readonly jobStates: JobStateStore;
}

type IngestConfig = Pick<Config, "notify" | "defaultJob" | "jobs">;

/** At most this many WARN lines about unreadable lines per minute; the rest are counted. */
const REJECT_LOGS_PER_MINUTE = 5;
/** One unreadable-lines alert per burst: none again within this time of the last one. */
const UNREADABLE_ALERT_EVERY_MS = 60_000;
const UNREADABLE_ALERT_AT = "ingest.unreadable_alert_ms";

/** The finish lines among new runs that name a start marker: they end at ts + duration. */
export function finishesOf(stored: readonly StoredRun[]): RunFinish[] {
  const finishes: RunFinish[] = [];
  for (const { run } of stored) {
    const runId = extraString(run.extra, "run_id");
    if (runId !== null) finishes.push({ runId, endMs: run.epochMs + (run.durationMs ?? 0) });
  }
  return finishes;
}

export class Ingest {
  private rejectLogWindowMs = 0;
  private rejectLogs = 0;
  private unlogged = 0;
  /** Job names already looked at for a likely typo (a backfill names the same few jobs again and again). */
  private readonly namesChecked = new Set<string>();

  constructor(
    private readonly stores: IngestStores,
    private readonly config: IngestConfig,
    private readonly log: Logger,
    private readonly clock: () => Date,
  ) {}

  checkpoint(source: string): Checkpoint | null {
    return this.stores.writer.checkpoint(source);
  }

  /** Stores a batch with its alerts; throws CheckpointConflict (nothing written) if it raced. */
  commit(batch: Batch, parsedAt: string): CommitResult {
    const { writer } = this.stores;
    const now = this.clock();
    const written = writer.transaction(() => {
      const result = writer.write(batch, parsedAt);
      writer.closeStarts(finishesOf(result.stored));
      if (result.stored.length > 0) this.recordRunAlerts(result.stored, now);
      if (result.newRejects.length > 0) this.recordUnreadable(batch.to.source, result.newRejects, now);
      return result;
    });
    this.logRejects(batch.to.source, written.newRejects, now.getTime());
    this.logTypos(written.stored);
    return { inserted: written.inserted, starts: written.starts, duplicates: written.duplicates, rejected: written.rejected };
  }

  private recordRunAlerts(stored: readonly StoredRun[], now: Date): void {
    const { alerts, jobStates } = this.stores;
    const { config } = this;
    const states = new Map<string, JobState>();
    const memories = new Map<string, AlertMemory>();
    for (const { run } of stored) {
      const key = jobKey(run.job, config.defaultJob);
      if (states.has(key)) continue;
      states.set(key, jobStates.load(key));
      memories.set(key, jobStates.alertMemory(key));
    }
    const result = decideAlerts({
      runs: stored,
      states,
      memories,
      nowMs: now.getTime(),
      notify: config.notify,
      defaultJob: config.defaultJob,
      jobConfig: (job) => jobSettings(config.jobs, job, config.notify.alertAfter),
    });
    const createdAt = now.toISOString();
    // Stale alerts are only ever counted into a summary, so a backfill of many old failures
    // writes one row per batch standing for all of them (the newest carries the text).
    let stale: NewAlert | null = null;
    let staleCount = 0;
    const pending: NewAlert[] = [];
    for (const alert of result.alerts) {
      if (alert.status === "pending") {
        pending.push(alert);
        continue;
      }
      staleCount++;
      if (!stale || alert.eventMs >= stale.eventMs) stale = alert;
    }
    if (stale) alerts.add(stale.text, "stale", stale.runId, createdAt, staleCount);
    // A job failing faster than alerts may go out gathers the rest into one row (see gather.ts).
    const cap = config.notify.maxPerMinute;
    const plan = planOutbox(pending, (job) => alerts.owedRunAlerts(job, cap), cap);
    for (const alert of plan.individual) alerts.add(alert.text, "pending", alert.runId, createdAt);
    for (const group of plan.gathered) alerts.gather(group.newest.text, group.newest.runId, group.count, group.firstEventMs, createdAt);
    for (const [key, state] of result.states) jobStates.save(key, state);
  }

  private recordUnreadable(source: string, rejects: readonly Reject[], now: Date): void {
    const { alerts } = this.stores;
    const nowMs = now.getTime();
    const last = Number(alerts.meta(UNREADABLE_ALERT_AT) ?? Number.NEGATIVE_INFINITY);
    if (nowMs - last < UNREADABLE_ALERT_EVERY_MS) return;
    const first = rejects[0];
    if (!first) return;
    alerts.add(unreadableAlert(source, rejects.length, first.reason, first.offset, nowMs, this.config.notify.sound), "pending", null, now.toISOString());
    alerts.setMeta(UNREADABLE_ALERT_AT, String(nowMs));
  }

  /** One WARN per unreadable line, at most REJECT_LOGS_PER_MINUTE a minute; the rest are counted. */
  private logRejects(source: string, rejects: readonly Reject[], nowMs: number): void {
    if (nowMs - this.rejectLogWindowMs >= 60_000) {
      if (this.unlogged > 0) this.log.warn(`${this.unlogged} more unreadable line(s) in "${source}" were not logged one by one (see --stats)`);
      this.rejectLogWindowMs = nowMs;
      this.rejectLogs = 0;
      this.unlogged = 0;
    }
    for (const reject of rejects) {
      if (this.rejectLogs >= REJECT_LOGS_PER_MINUTE) {
        this.unlogged++;
        continue;
      }
      this.rejectLogs++;
      this.log.warn(`Unreadable line at byte ${reject.offset} of "${source}": ${reject.reason}; quarantined`);
    }
  }

  /** A run naming a job one edit away from a configured one is probably a typo: said once per name. */
  private logTypos(stored: readonly StoredRun[]): void {
    for (const { run } of stored) {
      if (run.job === null || run.job === this.config.defaultJob || this.namesChecked.has(run.job)) continue;
      this.namesChecked.add(run.job);
      const meant = likelyTypo(this.config.jobs, run.job);
      if (meant === null) continue;
      this.log.warn(`A line names job "${run.job}", which config.yaml does not list; did you mean "${meant}"?`);
    }
  }
}
