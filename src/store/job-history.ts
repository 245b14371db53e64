/**
 * A job's history as of an instant, for the status function (src/job-status.ts): a few lookups
 * per job, each an index walk stopped by LIMIT 1 or bounded to an hour by the rollups (see
 * job-runs.ts), whatever the gap or the number of runs. Nothing after `now` counts, so --now T
 * sees the job as it was at T.
 */
import type { Database, Statement } from "bun:sqlite";
import type { JobHistory } from "../records.ts";
import { JobRuns } from "./job-runs.ts";

/** Which runs belong to a job: its name, and for the default job also runs that name none. */
export interface JobRef {
  readonly name: string;
  readonly isDefault: boolean;
  /** Its key in the jobs table (see job-key.ts). */
  readonly key: string;
}

export class JobHistoryQueries {
  private readonly runs: JobRuns;
  private readonly watchedSince: Statement<{ ms: number | null }, [string]>;

  constructor(db: Database) {
    this.runs = new JobRuns(db);
    this.watchedSince = db.prepare("SELECT watched_since_ms AS ms FROM jobs WHERE name = ?");
  }

  /** The job's history as of `nowMs`. */
  historyAt(job: JobRef, nowMs: number): JobHistory {
    const last = this.runs.newest(job, nowMs);
    // The newest run is the newest success when it succeeded; else look further back.
    const lastSuccessMs = last === null ? null : last.exit === 0 ? last.ms : this.runs.newestSuccessMs(job, nowMs);
    // Every run after the newest success (up to now) failed: the streak is a count of runs.
    const failureStreak = last && last.exit !== 0 ? this.runs.count(job, lastSuccessMs, nowMs) : 0;
    const start = this.runs.newestStartMarker(job, nowMs);
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
    this.runs.finalize();
    this.watchedSince.finalize();
  }
}
