/**
 * `jobs`: one line per job with its state, schedule and last run. Every value comes from the
 * collectStats() document (the one `stats --json` prints); nothing here decides a state.
 */
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { formatDuration } from "../duration.ts";
import type { JobStats } from "../stats.ts";
import { readStats } from "./stats.ts";

function lastRun(job: JobStats, nowMs: number): string {
  if (job.last_run === null) return "never";
  return `${job.last_run} (${formatDuration(Math.max(0, nowMs - Date.parse(job.last_run)))} ago)`;
}

/** The table `jobs` prints. Pure. */
export function formatJobs(jobs: readonly JobStats[], now: Date): string {
  if (jobs.length === 0) return "No jobs yet: no run has been stored and config.yaml lists none.";
  const rows = [["JOB", "STATE", "SCHEDULE", "LAST RUN"], ...jobs.map((job) => [job.name, job.state, job.schedule ?? "-", lastRun(job, now.getTime())])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? "").length)) + 2);
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("").trimEnd()).join("\n");
}

export function jobsCommand(config: Config, now: Date, output: Output, json: boolean): number {
  const { jobs } = readStats(config, now, (text) => output.err(`cron-collector: ${text}`));
  output.out(json ? JSON.stringify(jobs, null, 2) : formatJobs(jobs, now));
  return 0;
}
