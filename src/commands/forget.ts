/**
 * `forget JOB [--runs]`: remove a job's state (streak, counters, pause, alert state, start
 * markers), e.g. after renaming or retiring it. Its runs stay for the statistics unless `--runs`.
 * A job still listed in config.yaml starts again as `new`.
 */
import type { Output } from "../cli/io.ts";
import type { Config } from "../config/config.ts";
import { jobKey } from "../job-key.ts";
import { openDatabase } from "../store/database.ts";
import { JobStateStore } from "../store/job-state.ts";

export function forgetCommand(config: Config, job: string, options: { readonly runs: boolean }, now: Date, output: Output): number {
  const db = openDatabase(config.database);
  const jobStates = new JobStateStore(db);
  try {
    const key = jobKey(job, config.defaultJob);
    const { known, runsDeleted } = jobStates.forget(key, job, key === "", options.runs);
    if (!known && runsDeleted === 0) {
      output.err(`No state of a job named "${job}" is stored; nothing to forget.`);
      return 1;
    }
    const runs = options.runs ? `; ${runsDeleted} run(s) deleted` : "; its runs stay (add --runs to delete them too)";
    output.out(`Forgot job "${job}" as of ${now.toISOString()}${runs}.`);
    if (config.jobs.some((entry) => entry.name === job)) {
      output.err(`Note: config.yaml still lists "${job}": the collector watches it again as a new job.`);
    }
    return 0;
  } finally {
    jobStates.finalize();
    db.close(false);
  }
}
