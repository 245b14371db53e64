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
import { unknownJobMessage } from "../known-job.ts";

export function forgetCommand(config: Config, job: string, options: { readonly runs: boolean }, now: Date, output: Output): number {
  const db = openDatabase(config.database);
  const jobStates = new JobStateStore(db);
  try {
    const key = jobKey(job, config.defaultJob);
    const { known, runsDeleted } = jobStates.forget(key, job, key === "", options.runs);
    if (!known && runsDeleted === 0) return nothingToForget(config, job, key, jobStates, output);
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

/** Says why nothing was forgotten: exit 2 for a name never seen (a typo), 1 for a job with no state yet. */
function nothingToForget(config: Config, job: string, key: string, jobStates: JobStateStore, output: Output): number {
  if (config.jobs.some((entry) => entry.name === job)) {
    output.err(`Job "${job}" is in config.yaml but has no stored state yet; nothing to forget.`);
    return 1;
  }
  if (jobStates.seen(key, job, key === "")) {
    output.err(`No state of job "${job}" is stored, only its runs (add --runs to delete them); nothing to forget.`);
    return 1;
  }
  output.err(`${unknownJobMessage(job, config, jobStates)}; nothing to forget.`);
  return 2;
}
