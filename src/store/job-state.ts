/**
 * Per-job state in the `jobs` table: streaks and counters moved by runs, pauses, and what was last
 * alerted about the job's state. Keyed by job key (see job-key.ts): '' for the default job.
 */
import type { Database, Statement } from "bun:sqlite";
import { deleteRollups } from "./rollups.ts";
import { freshJobState, noAlertMemory, type AlertedState, type AlertMemory, type JobState } from "../records.ts";

interface JobRow {
  name: string;
  consecutive_failures: number;
  last_run_ms: number | null;
  streak_alerted: number;
  paused_until_ms: number | null;
  paused_at_ms: number | null;
  total_runs: number;
  total_failures: number;
  last_success_ms: number | null;
  last_failure_ms: number | null;
  alerted_state: string | null;
  alerted_since_ms: number | null;
  alerted_at_ms: number | null;
}

function toJobState(row: JobRow | null): JobState {
  if (!row) return freshJobState;
  return {
    consecutiveFailures: row.consecutive_failures,
    lastRunMs: row.last_run_ms,
    streakAlerted: row.streak_alerted === 1,
    pausedUntilMs: row.paused_until_ms,
    totalRuns: row.total_runs,
    totalFailures: row.total_failures,
    lastSuccessMs: row.last_success_ms,
    lastFailureMs: row.last_failure_ms,
  };
}

function alertedState(text: string | null): AlertedState | null {
  return text === "late" || text === "too_long" ? text : null;
}

export class JobStateStore {
  private readonly select: Statement<JobRow, [string]>;
  private readonly update: Statement;
  private readonly ensure: Statement;
  private readonly updateMemory: Statement;
  private readonly remembered: Statement<{ name: string }, []>;

  constructor(private readonly db: Database) {
    this.select = db.prepare("SELECT * FROM jobs WHERE name = ?");
    this.update = db.prepare(
      `UPDATE jobs SET consecutive_failures = ?, last_run_ms = ?, streak_alerted = ?,
         total_runs = ?, total_failures = ?, last_success_ms = ?, last_failure_ms = ? WHERE name = ?`,
    );
    this.ensure = db.prepare("INSERT OR IGNORE INTO jobs (name, first_seen_at, watched_since_ms) VALUES (?, ?, ?)");
    this.updateMemory = db.prepare("UPDATE jobs SET alerted_state = ?, alerted_since_ms = ?, alerted_at_ms = ? WHERE name = ?");
    this.remembered = db.prepare("SELECT name FROM jobs WHERE alerted_state IS NOT NULL ORDER BY name");
  }

  /** Makes sure a row exists (a configured job may not have run yet); the watch starts now. */
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
      state.totalRuns,
      state.totalFailures,
      state.lastSuccessMs,
      state.lastFailureMs,
      key,
    );
  }

  /** The end of the job's pause as it stood at `asOfMs` (a pause set later did not exist yet). */
  pausedUntilMs(key: string, asOfMs: number): number | null {
    const row = this.select.get(key);
    if (!row || (row.paused_at_ms !== null && row.paused_at_ms > asOfMs)) return null;
    return row.paused_until_ms;
  }

  /** Whether the job has a row: it ran, or was configured, paused or watched. */
  known(key: string): boolean {
    return this.select.get(key) !== null;
  }

  /**
   * Whether the job was ever seen: it has a row, or runs (a job forgotten without `--runs`).
   * `name` is the job as lines write it; `isDefault` adds the lines that name no job.
   */
  seen(key: string, name: string, isDefault: boolean): boolean {
    if (this.known(key) || isDefault) return true;
    return this.db.query<{ one: number }, [string]>("SELECT 1 AS one FROM cron_entries WHERE job = ? LIMIT 1").get(name) !== null;
  }

  /** The keys of every job with a row, for "did you mean …?" on a mistyped name. */
  keys(): string[] {
    return this.db.query<{ name: string }, []>("SELECT name FROM jobs ORDER BY name").all().map((row) => row.name);
  }

  alertMemory(key: string): AlertMemory {
    const row = this.select.get(key);
    if (!row) return noAlertMemory;
    return { state: alertedState(row.alerted_state), sinceMs: row.alerted_since_ms, alertedAtMs: row.alerted_at_ms };
  }

  saveAlertMemory(key: string, memory: AlertMemory): void {
    this.updateMemory.run(memory.state, memory.sinceMs, memory.alertedAtMs, key);
  }

  /** Keys of the jobs whose last alert was about a bad state (late, too long). */
  jobsWithAlertMemory(): string[] {
    return this.remembered.all().map((row) => row.name);
  }

  /** Mutes a job's alerts until `untilMs`; null resumes it. */
  setPause(key: string, untilMs: number | null, now: Date): void {
    this.ensureJob(key, now);
    this.db.query("UPDATE jobs SET paused_until_ms = ?, paused_at_ms = ? WHERE name = ?").run(untilMs, now.getTime(), key);
  }

  /**
   * Forgets a job: its state row, its start markers, and with `runs` its runs too. `name` is the
   * job as lines write it; `isDefault` adds the lines that name no job. Returns the runs deleted.
   */
  forget(key: string, name: string, isDefault: boolean, runs: boolean): { readonly known: boolean; readonly runsDeleted: number } {
    const where = "(job = ?1 OR (?2 = 1 AND job IS NULL))";
    return this.db.transaction(() => {
      const known = this.db.query("DELETE FROM jobs WHERE name = ?").run(key).changes > 0;
      this.db.query(`DELETE FROM run_starts WHERE ${where}`).run(name, isDefault ? 1 : 0);
      const runsDeleted = runs ? this.db.query(`DELETE FROM cron_entries WHERE ${where}`).run(name, isDefault ? 1 : 0).changes : 0;
      if (runs) deleteRollups(this.db, name, isDefault); // the stats count what the rollups hold
      return { known, runsDeleted };
    }).immediate();
  }

  finalize(): void {
    for (const statement of [this.select, this.update, this.ensure, this.updateMemory, this.remembered]) statement.finalize();
  }
}
