/**
 * The alert outbox and per-job streaks in SQLite. Alerts are inserted inside the run's commit
 * (see outboxHook), delivered afterwards (see outbox.ts), then marked; all state survives restarts.
 */
import type { Database, Statement } from "bun:sqlite";
import { decideAlerts, type JobState, type NewAlert } from "../alerts/policy.ts";
import type { AlertText } from "../alerts/format.ts";
import type { Config } from "../config/config.ts";
import { extraString } from "../line.ts";
import { jobKey, jobSettings } from "../config/jobs.ts";
import type { JobStateStore } from "./job-state.ts";
import type { StoredRunsHook } from "./runs.ts";

export class AlertStore {
  private readonly insert: Statement;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /**
   * The hook for RunWriter: decides and records alerts, and moves job state, in the same
   * transaction as the runs. Finish lines close their start markers (run_id).
   */
  outboxHook(config: Pick<Config, "notify" | "defaultJob" | "jobs">, jobStates: JobStateStore, clock: () => Date): StoredRunsHook {
    const finishStart = this.db.prepare("UPDATE run_starts SET finished = 1 WHERE run_id = ?");
    const jobConfig = (job: string) => jobSettings(config.jobs, job, config.notify.alertAfter);
    return (runs) => {
      const createdAt = clock();
      const states = new Map<string, JobState>();
      for (const { run } of runs) {
        // The same key as decideAlerts: a run naming the default job shares its state.
        const key = jobKey(run.job ?? config.defaultJob, config.defaultJob);
        if (!states.has(key)) {
          jobStates.ensureJob(key, createdAt);
          states.set(key, jobStates.load(key));
        }
        const runId = extraString(run.extra, "run_id");
        if (runId !== null) finishStart.run(runId);
      }
      const result = decideAlerts({ runs, states, nowMs: createdAt.getTime(), notify: config.notify, defaultJob: config.defaultJob, jobConfig });
      // Stale alerts are only ever counted into a summary, so a backfill of many old failures
      // writes one row per batch standing for all of them (the newest carries the text).
      let stale: NewAlert | null = null;
      let staleCount = 0;
      for (const alert of result.alerts) {
        if (alert.status === "pending") {
          this.add(alert.text, "pending", alert.runId, createdAt.toISOString());
          continue;
        }
        staleCount++;
        if (!stale || alert.text.eventMs >= stale.text.eventMs) stale = alert;
      }
      if (stale) this.add(stale.text, "stale", stale.runId, createdAt.toISOString(), staleCount);
      for (const [key, state] of result.states) jobStates.save(key, state);
    };
  }

  add(text: AlertText, status: NewAlert["status"], runId: number | null, createdAt: string, covers = 1): number {
    const result = this.insert.run(
      text.kind,
      runId,
      text.job,
      text.exitCode,
      text.eventMs,
      text.title,
      text.subtitle,
      text.message,
      text.sound,
      text.groupId,
      status,
      createdAt,
      covers,
    );
    return Number(result.lastInsertRowid);
  }

  meta(key: string): string | null {
    return this.db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  finalize(): void {
    this.insert.finalize();
  }
}
