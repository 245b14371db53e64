/**
 * The `jobs:` section: schedules and per-job alert settings.
 *
 *   jobs:
 *     backup:      { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m, max_duration: 1h }
 *     ladder:      { every: 1m, grace: 30s }
 *     order-check: { every: 5m, alert_after: 3, remind_every: 1h }
 *     nightly:     { cron: "@daily" }
 */
import { cronSchedule, type Schedule } from "../schedule.ts";
import { duration, editDistance, integer, optionalText, text } from "./fields.ts";
import type { Section } from "./section.ts";
import { DAY_MS, SECOND_MS } from "../time.ts";

export interface JobConfig {
  readonly name: string;
  readonly schedule: Schedule | null;
  /** How late a run may be before the job counts as late. */
  readonly graceMs: number;
  readonly maxDurationMs: number | null;
  /** Alert from the Nth failure in a row on (1 = every failure). */
  readonly alertAfter: number;
  /** Repeat a late / too-long alert this often; 0: never; null: notify.remind_every decides. */
  readonly remindEveryMs: number | null;
}

/** The longest period or grace a job may give: a leap year. */
const YEAR_MS = 366 * DAY_MS;
export const DEFAULT_GRACE_MS = 5 * 60 * SECOND_MS;

function readJob(name: string, section: Section, defaultAlertAfter: number): JobConfig {
  const every = section.get<number | null>("every", duration(SECOND_MS, YEAR_MS), null);
  const cron = section.get<string | null>("cron", text, null);
  const timezone = section.get("timezone", optionalText, null);
  const job: { schedule: Schedule | null } = { schedule: null };
  if (every !== null && cron !== null) {
    section.problemAt(null, `"jobs.${name}" has both "every" and "cron"; give one of them`);
  } else if (every !== null) {
    job.schedule = { kind: "every", periodMs: every };
  } else if (cron !== null) {
    const checked = cronSchedule(cron, timezone);
    if (checked.ok) job.schedule = checked.schedule;
    // At the key that is wrong: an unknown zone is the timezone's problem, not the expression's.
    else section.problemAt(section.valueNode(checked.field), `"jobs.${name}.${checked.field}": ${checked.problem}`);
  }
  if (timezone !== null && cron === null) section.problemAt(null, `"jobs.${name}.timezone" only applies to a "cron" schedule`);
  const config: JobConfig = {
    name,
    schedule: job.schedule,
    graceMs: section.get("grace", duration(0, YEAR_MS), DEFAULT_GRACE_MS),
    maxDurationMs: section.get<number | null>("max_duration", duration(SECOND_MS, YEAR_MS), null),
    alertAfter: section.get("alert_after", integer(1, 1000), defaultAlertAfter),
    remindEveryMs: section.get<number | null>("remind_every", duration(0, YEAR_MS), null),
  };
  section.rejectUnknownKeys();
  return config;
}

/** A job's settings: its `jobs:` entry, or the defaults for a job that has none. */
export function jobSettings(jobs: readonly JobConfig[], name: string, defaultAlertAfter: number): JobConfig {
  return jobs.find((job) => job.name === name) ?? { name, schedule: null, graceMs: DEFAULT_GRACE_MS, maxDurationMs: null, alertAfter: defaultAlertAfter, remindEveryMs: null };
}

export { jobKey } from "../job-key.ts";

export function readJobs(section: Section, defaultAlertAfter: number): JobConfig[] {
  return section.entries().map(({ key }) => readJob(key, section.section(key), defaultAlertAfter));
}

/**
 * The configured job a name is probably a typo of (one edit away), or null: a line naming
 * "backpu" when "backup" is configured.
 */
export function likelyTypo(jobs: readonly JobConfig[], name: string): string | null {
  if (jobs.some((job) => job.name === name)) return null;
  return jobs.find((job) => editDistance(job.name, name) === 1)?.name ?? null;
}
