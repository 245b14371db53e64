/**
 * The dashboard's own connection to the database and the store classes on it. The numbers come
 * from collectStats() with the same sources as `--stats`, so /api/stats is the `--stats --json`
 * document and the pages never decide a job's state themselves.
 */
import type { Database } from "bun:sqlite";
import type { Config } from "../config/config.ts";
import { lastGap } from "../monitor.ts";
import { collectStats, type Stats } from "../stats.ts";
import { AlertStore } from "../store/alerts.ts";
import { openDatabase } from "../store/database.ts";
import { JobStateStore } from "../store/job-state.ts";
import { RunHistory } from "../store/run-history.ts";
import { StatsQueries } from "../store/stats-queries.ts";

export interface WebData {
  readonly history: RunHistory;
  readonly jobStates: JobStateStore;
  stats(now: Date, onlyJob?: string): Stats;
  close(): void;
}

export function openWebData(config: Config): WebData {
  const db: Database = openDatabase(config.database);
  const queries = new StatsQueries(db);
  const jobStates = new JobStateStore(db);
  const alerts = new AlertStore(db);
  const history = new RunHistory(db);
  return {
    history,
    jobStates,
    stats: (now, onlyJob) => collectStats({ queries, jobStates, watchGap: lastGap(alerts) }, now, config, onlyJob),
    close() {
      history.finalize();
      jobStates.finalize();
      alerts.finalize();
      db.close(false);
    },
  };
}
