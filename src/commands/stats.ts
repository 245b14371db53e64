/** `--stats`: the dashboard as of now (or --now), as text or JSON. */
import { existsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { formatStats } from "../report.ts";
import { statsSourcesOf } from "../session.ts";
import { collectStats, type Stats } from "../stats.ts";
import { AlertStore } from "../store/alerts.ts";
import { openDatabaseReadOnly, openEmptyDatabase } from "../store/database.ts";
import { JobHistoryQueries } from "../store/job-history.ts";
import { JobStateStore } from "../store/job-state.ts";

/**
 * The stats document as of `now`, read from the database and closed again (also for `jobs`).
 * Looking needs no write access and creates nothing (issue 14 item 17): a database that does not
 * exist yet reads as an empty one, with a note on stderr so that a mistyped --db is noticed.
 */
export function readStats(config: Config, now: Date, job?: string, note: (text: string) => void = () => {}): Stats {
  const exists = existsSync(config.database);
  if (!exists) note(`No database at "${config.database}" yet (nothing has been stored there): the report is empty`);
  const db = exists ? openDatabaseReadOnly(config.database) : openEmptyDatabase();
  const jobStates = new JobStateStore(db);
  const alerts = new AlertStore(db);
  const history = new JobHistoryQueries(db);
  try {
    return collectStats(statsSourcesOf(db, { jobStates, alerts, history }), now, config, job);
  } finally {
    jobStates.finalize();
    alerts.finalize();
    history.finalize();
    db.close(false);
  }
}

export function statsCommand(config: Config, now: Date, output: Output, json: boolean, job?: string): number {
  const stats = readStats(config, now, job, (text) => output.err(`cron-collector: ${text}`));
  output.out(
    json
      ? JSON.stringify(stats, null, 2)
      : formatStats(stats, { color: output.color }, { onlyJob: job, defaultJob: config.defaultJob }),
  );
  return 0;
}
