/**
 * A job's history as of an instant, for the status function (src/job-status.ts): a few indexed
 * lookups per job, each bounded by LIMIT 1 or an aggregate, whatever the gap or the number of runs.
 * Nothing after `now` counts, so --now T sees the job as it was at T.
 */
import type { Database, Statement } from "bun:sqlite";
import type { JobHistory } from "../records.ts";

/** Which runs belong to a job: its name, and for the default job also runs that name none. */
export interface JobRef {
  readonly name: string;
  readonly isDefault: boolean;
  /** Its key in the jobs table (see job-key.ts). */
  readonly key: string;
}

// ?1 = now, ?2 = job name, ?3 = 1 when the job is the default one.
const JOB = "(job = ?2 OR (?3 = 1 AND job IS NULL))";

type Params = [number, string, number];

interface LastRunRow {
  ms: number;
  exit: number;
  duration: number | null;
}

export class JobHistoryQueries {
  private readonly lastRun: Statement<LastRunRow, Params>;
  private readonly lastSuccess: Statement<{ ms: number }, Params>;
  private readonly failuresSince: Statement<{ n: number }, [number, string, number, number]>;
  private readonly lastStart: Statement<{ ms: number; finished: number | null }, Params>;
  private readonly watchedSince: Statement<{ ms: number | null }, [string]>;

  constructor(db: Database) {
    this.lastRun = db.prepare(
      `SELECT ts_ms AS ms, exit_code AS exit, duration_ms AS duration FROM cron_entries
       WHERE ts_ms <= ?1 AND ${JOB} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    );
    this.lastSuccess = db.prepare(
      `SELECT ts_ms AS ms FROM cron_entries WHERE exit_code = 0 AND ts_ms <= ?1 AND ${JOB} ORDER BY ts_ms DESC LIMIT 1`,
    );
    // Served by the partial index on failures: the streak is counted, never loaded.
    this.failuresSince = db.prepare(
      `SELECT COUNT(*) AS n FROM cron_entries WHERE exit_code != 0 AND ts_ms > ?4 AND ts_ms <= ?1 AND ${JOB}`,
    );
    this.lastStart = db.prepare(
      `SELECT ts_ms AS ms, finished_ms AS finished FROM run_starts WHERE ts_ms <= ?1 AND ${JOB} ORDER BY ts_ms DESC, rowid DESC LIMIT 1`,
    );
    this.watchedSince = db.prepare("SELECT watched_since_ms AS ms FROM jobs WHERE name = ?");
  }

  /** The job's history as of `nowMs`. */
  historyAt(job: JobRef, nowMs: number): JobHistory {
    const params: Params = [nowMs, job.name, job.isDefault ? 1 : 0];
    const last = this.lastRun.get(...params);
    const lastSuccessMs = this.lastSuccess.get(...params)?.ms ?? null;
    const failureStreak = last && last.exit !== 0 ? (this.failuresSince.get(...params, lastSuccessMs ?? Number.MIN_SAFE_INTEGER)?.n ?? 0) : 0;
    const start = this.lastStart.get(...params);
    const open = start && (start.finished === null || start.finished > nowMs) ? start.ms : null;
    return {
      lastRun: last ? { ms: last.ms, exit: last.exit, durationMs: last.duration } : null,
      failureStreak,
      lastSuccessMs,
      lastStartMs: start?.ms ?? null,
      openStartMs: open,
      watchedSinceMs: this.watchedSince.get(job.key)?.ms ?? null,
    };
  }

  finalize(): void {
    for (const statement of [this.lastRun, this.lastSuccess, this.failuresSince, this.lastStart, this.watchedSince]) statement.finalize();
  }
}
