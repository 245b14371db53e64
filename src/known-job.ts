/**
 * The one rule for "is this a job": listed in config.yaml, or ever seen (a job row, runs in the
 * log, or the default job, which owns the lines that name no job). Shared by the CLI (`pause`,
 * `resume`, `forget`, `stats --job`) and the dashboard (/jobs/NAME, /api/stats?job=,
 * /api/jobs/NAME/...): any other name is a typo, refused with a did-you-mean, so that it never
 * becomes a job that then stays in `jobs`, `--stats` and /metrics. A configured job that never
 * ran is a job (state `new`).
 */
import type { Config } from "./config/config.ts";
import { closestKey } from "./config/fields.ts";
import { jobKey, jobName } from "./job-key.ts";
import type { JobStateStore } from "./store/job-state.ts";

export type KnownJobsConfig = Pick<Config, "jobs" | "defaultJob">;

export function isKnownJob(job: string, config: KnownJobsConfig, jobStates: JobStateStore): boolean {
  const key = jobKey(job, config.defaultJob);
  return config.jobs.some((entry) => entry.name === job) || jobStates.seen(key, job, key === "");
}

/** The message naming the closest known job, or the known jobs when none is close. */
export function unknownJobMessage(job: string, config: KnownJobsConfig, jobStates: JobStateStore): string {
  const known = [...new Set([...config.jobs.map((entry) => entry.name), ...jobStates.keys().map((key) => jobName(key, config.defaultJob))])].sort();
  const suggestion = closestKey(job, known);
  const hint = suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; the known jobs are ${known.join(", ")}` : "";
  return `No job named "${job}": config.yaml does not list it and no run of it was seen${hint}`;
}

/** Null for a known job; for any other name, the refusal to show (exit 2 in the CLI, 404 over HTTP). */
export function unknownJobProblem(job: string, config: KnownJobsConfig, jobStates: JobStateStore): string | null {
  return isKnownJob(job, config, jobStates) ? null : unknownJobMessage(job, config, jobStates);
}
