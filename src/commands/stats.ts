/** `--stats`: the dashboard as of now (or --now), as text or JSON. */
import { existsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { formatStats } from "../report.ts";
import { statsSourcesOf } from "../session.ts";
import { collectStats, type Stats, type StatsSources } from "../stats.ts";
import { unknownJobProblem } from "../known-job.ts";
import { AlertStore } from "../store/alerts.ts";
import { openDatabaseReadOnly, openEmptyDatabase } from "../store/database.ts";
import { JobHistoryQueries } from "../store/job-history.ts";
import { JobStateStore } from "../store/job-state.ts";

/** What `stats [--job NAME]` read: the document, or the refusal of a job name that is no job. */
export type StatsRead = { readonly kind: "stats"; readonly stats: Stats } | { readonly kind: "unknown-job"; readonly problem: string };

/**
 * Runs `read` on the database, opened read-only and closed again. Looking needs no write access
 * and creates nothing (issue 14 item 17): a database that does not exist yet reads as an empty
 * one, with a note on stderr so that a mistyped --db is noticed.
 */
function fromDatabase<T>(config: Config, note: (text: string) => void, read: (sources: StatsSources, jobStates: JobStateStore) => T): T {
  const exists = existsSync(config.database);
  if (!exists) note(`No database at "${config.database}" yet (nothing has been stored there): the report is empty`);
  const db = exists ? openDatabaseReadOnly(config.database) : openEmptyDatabase();
  const jobStates = new JobStateStore(db);
  const alerts = new AlertStore(db);
  const history = new JobHistoryQueries(db);
  try {
    return read(statsSourcesOf(db, { jobStates, alerts, history }), jobStates);
  } finally {
    jobStates.finalize();
    alerts.finalize();
    history.finalize();
    db.close(false);
  }
}

/** The whole stats document as of `now` (also for `jobs`). */
export function readStats(config: Config, now: Date, note: (text: string) => void = () => {}): Stats {
  return fromDatabase(config, note, (sources) => collectStats(sources, now, config));
}

/**
 * The stats document as of `now`, of one job when `job` is given. A `job` neither configured nor
 * ever seen is refused (src/known-job.ts) rather than shown in state `new`, which would tell a
 * typo "configured, never ran yet".
 */
export function readJobStats(config: Config, now: Date, job: string | undefined, note: (text: string) => void = () => {}): StatsRead {
  return fromDatabase(config, note, (sources, jobStates): StatsRead => {
    const problem = job === undefined ? null : unknownJobProblem(job, config, jobStates);
    return problem === null ? { kind: "stats", stats: collectStats(sources, now, config, job) } : { kind: "unknown-job", problem };
  });
}

export function statsCommand(config: Config, now: Date, output: Output, json: boolean, job?: string): number {
  const read = readJobStats(config, now, job, (text) => output.err(`cron-collector: ${text}`));
  if (read.kind === "unknown-job") {
    output.err(read.problem);
    return 2;
  }
  output.out(
    json
      ? JSON.stringify(read.stats, null, 2)
      : formatStats(read.stats, { color: output.color }, { onlyJob: job, defaultJob: config.defaultJob }),
  );
  return 0;
}
