/**
 * The refusal for a job name that is neither in config.yaml nor ever seen, shared by `pause`,
 * `resume` and `forget`: a typo must not create a job that then stays in `jobs` and `--stats`.
 */
import type { Config } from "../config/config.ts";
import { closestKey } from "../config/fields.ts";
import { jobName } from "../job-key.ts";
import type { JobStateStore } from "../store/job-state.ts";

/** The message naming the closest known job, or the known jobs when none is close. */
export function unknownJobMessage(job: string, config: Config, jobStates: JobStateStore): string {
  const known = [...new Set([...config.jobs.map((entry) => entry.name), ...jobStates.keys().map((key) => jobName(key, config.defaultJob))])].sort();
  const suggestion = closestKey(job, known);
  const hint = suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; the known jobs are ${known.join(", ")}` : "";
  return `No job named "${job}": config.yaml does not list it and no run of it was seen${hint}`;
}
