/**
 * Per-job state in the `jobs` table: streaks, counters, missed-run tracking, pauses. Keyed by the
 * stored job name, '' standing for runs without a `job` field (the default job).
 */
import type { Database, Statement } from "bun:sqlite";
import { freshJobState, type JobState } from "../alerts/policy.ts";

export interface ScheduleState {
  readonly lastRunMs: number | null;
  readonly lateCheckedThroughMs: number | null;
  readonly lateSinceMs: number | null;
  readonly pausedUntilMs: number | null;
  readonly watchedSinceMs: number | null;
}

interface JobRow {
  name: string;
  consecutive_failures: number;
  last_run_ms: number | null;
  streak_alerted: number;
  late_since_ms: number | null;
  late_checked_through_ms: number | null;
  paused_until_ms: number | null;
  watched_since_ms: number | null;
  total_runs: number;
  total_failures: number;
  last_success_ms: number | null;
  last_failure_ms: number | null;
}

function toJobState(row: JobRow | null): JobState {
  if (!row) return freshJobState;
  return {
    consecutiveFailures: row.consecutive_failures,
    lastRunMs: row.last_run_ms,
    streakAlerted: row.streak_alerted === 1,
    lateSinceMs: row.late_since_ms,
    pausedUntilMs: row.paused_until_ms,
    totalRuns: row.total_runs,
    totalFailures: row.total_failures,
    lastSuccessMs: row.last_success_ms,
    lastFailureMs: row.last_failure_ms,
  };
}

export class JobStateStore {
  private readonly select: Statement<JobRow, [string]>;
  private readonly update: Statement;
  private readonly ensure: Statement;

  constructor(private readonly db: Database) {
    this.select = db.prepare("SELECT * FROM jobs WHERE name = ?");
    this.update = db.prepare(
      `UPDATE jobs SET consecutive_failures = ?, last_run_ms = ?, streak_alerted = ?, late_since_ms = ?,
         total_runs = ?, total_failures = ?, last_success_ms = ?, last_failure_ms = ? WHERE name = ?`,
    );
    this.ensure = db.prepare("INSERT OR IGNORE INTO jobs (name, first_seen_at, watched_since_ms) VALUES (?, ?, ?)");
  }

  /** Makes sure a row exists (a configured job may not have run yet). */
  ensureJob(key: string, now: Date): void {
    this.ensure.run(key, now.toISOString(), now.getTime());
  }

  load(key: string): JobState {
    return toJobState(this.select.get(key));
  }

  save(key: string, state: JobState): void {
    this.update.run(
      state.consecutiveFailures,
      state.lastRunMs,
      state.streakAlerted ? 1 : 0,
      state.lateSinceMs,
      state.totalRuns,
      state.totalFailures,
      state.lastSuccessMs,
      state.lastFailureMs,
      key,
    );
  }

  scheduleState(key: string): ScheduleState | null {
    const row = this.select.get(key);
    if (!row) return null;
    return {
      lastRunMs: row.last_run_ms,
      lateCheckedThroughMs: row.late_checked_through_ms,
      lateSinceMs: row.late_since_ms,
      pausedUntilMs: row.paused_until_ms,
      watchedSinceMs: row.watched_since_ms,
    };
  }

  saveLateness(key: string, lateCheckedThroughMs: number | null, lateSinceMs: number | null): void {
    this.db.query("UPDATE jobs SET late_checked_through_ms = ?, late_since_ms = ? WHERE name = ?").run(lateCheckedThroughMs, lateSinceMs, key);
  }

  /** Mutes a job's alerts until `untilMs`; null resumes it. */
  setPause(key: string, untilMs: number | null, now: Date): void {
    this.ensureJob(key, now);
    this.db.query("UPDATE jobs SET paused_until_ms = ? WHERE name = ?").run(untilMs, key);
  }

  finalize(): void {
    for (const statement of [this.select, this.update, this.ensure]) statement.finalize();
  }
}
