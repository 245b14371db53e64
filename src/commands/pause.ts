/**
 * `pause JOB [--for 2h]` and `resume JOB`: mute one job's alerts. Stored in the database, so a
 * pause survives restarts; a running collector sees it at its next check. A job neither in
 * config.yaml nor ever seen is refused (exit 2, with a did-you-mean); a configured job that never
 * ran can be paused.
 */
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { jobKey } from "../job-key.ts";
import { OPEN_ENDED_PAUSE_MS } from "../job-status.ts";
import { openDatabase } from "../store/database.ts";
import { JobStateStore } from "../store/job-state.ts";
import { unknownJobProblem } from "../known-job.ts";

export function pauseCommand(config: Config, job: string, forMs: number | null | undefined, now: Date, output: Output): number {
  const db = openDatabase(config.database);
  const jobStates = new JobStateStore(db);
  try {
    // A job neither configured nor ever seen is a typo: refused, so it does not become a job row.
    const unknown = unknownJobProblem(job, config, jobStates);
    if (unknown !== null) {
      output.err(unknown);
      return 2;
    }
    const key = jobKey(job, config.defaultJob);
    if (forMs === undefined) {
      // Stored as a pause that ended now: a job late meanwhile gets one chance to run before it is alerted.
      jobStates.setPause(key, now.getTime(), now);
      output.out(`Alerts for job "${job}" are on again.`);
      return 0;
    }
    const until = forMs === null ? OPEN_ENDED_PAUSE_MS : now.getTime() + forMs;
    jobStates.setPause(key, until, now);
    const when = forMs === null ? "until you resume it" : `until ${new Date(until).toISOString()}`;
    output.out(`Alerts for job "${job}" are paused ${when} (bun collector.ts resume ${job} turns them on).`);
    return 0;
  } finally {
    jobStates.finalize();
    db.close(false);
  }
}
