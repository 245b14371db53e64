/**
 * The dashboard's own connection to the database and the store classes on it. The numbers come
 * from collectStats() with the same sources as `--stats`, so /api/stats is the `--stats --json`
 * document and the pages never decide a job's state themselves.
 *
 * A stats document is reused while nothing was committed (SQLite's data_version, plus our own
 * pauses) and it is under a second old: twenty pages refreshing after the same ingest cost one
 * computation, and the document is never older than the data it shows.
 */
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { CollectorError } from "../errors.ts";
import type { Config } from "../config/config.ts";
import { jobKey } from "../config/jobs.ts";
import { statsSourcesOf } from "../session.ts";
import { collectStats, type Stats } from "../stats.ts";
import { AlertStore } from "../store/alerts.ts";
import { openDatabase } from "../store/database.ts";
import { JobHistoryQueries } from "../store/job-history.ts";
import { JobStateStore } from "../store/job-state.ts";
import { RunHistory } from "../store/run-history.ts";
import { StatsQueries } from "../store/stats-queries.ts";

export interface WebData {
  readonly history: RunHistory;
  readonly jobStates: JobStateStore;
  stats(now: Date, onlyJob?: string): Stats;
  /** A job that ran or is configured (others get a 404 rather than an empty page). */
  isKnownJob(name: string): boolean;
  /** The newest all-jobs document computed, and when (by the clock given), or null. */
  latestStats(): { readonly atMs: number; readonly stats: Stats } | null;
  /** JobStateStore.setPause, and the cached documents forgotten (our own commit). */
  setPause(key: string, untilMs: number | null, now: Date): void;
  close(): void;
}

const MAX_AGE_MS = 1000;
const MAX_ENTRIES = 16;

interface Cached {
  readonly version: string;
  readonly atMs: number;
  readonly stats: Stats;
}

/** Throws CollectorError when the database is missing: the dashboard never creates one. */
export function openWebData(config: Config): WebData {
  // The collector created it before starting the dashboard; if it is gone now (deleted under the
  // collector, which then stops), creating an empty one here would hide that.
  if (!existsSync(config.database)) throw new CollectorError(`there is no database at "${config.database}"`, "runtime");
  const db: Database = openDatabase(config.database);
  const queries = new StatsQueries(db);
  const jobStates = new JobStateStore(db);
  const alerts = new AlertStore(db);
  const history = new RunHistory(db);
  const jobHistory = new JobHistoryQueries(db);
  const sources = statsSourcesOf(db, { jobStates, alerts, history: jobHistory }, queries);
  const cache = new Map<string, Cached>();
  let ownWrites = 0;
  return {
    history,
    jobStates,
    stats(now, onlyJob) {
      const key = onlyJob === undefined ? "" : `job:${onlyJob}`;
      const version = `${history.dataVersion()}.${ownWrites}`;
      const hit = cache.get(key);
      const nowMs = now.getTime();
      if (hit && hit.version === version && nowMs >= hit.atMs && nowMs - hit.atMs < MAX_AGE_MS) return hit.stats;
      const stats = collectStats(sources, now, config, onlyJob);
      cache.delete(key);
      cache.set(key, { version, atMs: nowMs, stats });
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value ?? "");
      return stats;
    },
    isKnownJob(name) {
      return jobStates.known(jobKey(name, config.defaultJob)) || config.jobs.some((job) => job.name === name);
    },
    latestStats() {
      const entry = cache.get("");
      return entry ? { atMs: entry.atMs, stats: entry.stats } : null;
    },
    setPause(key, untilMs, now) {
      jobStates.setPause(key, untilMs, now);
      ownWrites++;
    },
    close() {
      history.finalize();
      jobHistory.finalize();
      jobStates.finalize();
      alerts.finalize();
      db.close(false);
    },
  };
}
