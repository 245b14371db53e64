/**
 * The dashboard's own connection to the database and the store classes on it. The numbers come
 * from collectStats() with the same sources as `--stats`, so /api/stats is the `--stats --json`
 * document and the pages never decide a job's state themselves.
 *
 * A stats document (about 20 ms for 50 jobs on 5 million runs) is reused while it is under a
 * second old by the clock it shows and either nothing was committed since (SQLite's data_version)
 * or it was computed less than STATS_REUSE_MS ago by the monotonic clock. The collector commits
 * several times a second while it ingests, so without that window twenty pages refreshing would
 * each pay a computation; with it they share one per window. A document may therefore miss the
 * commits of its last STATS_REUSE_MS; our own writes (a pause) are never missed. The event hub
 * holds each `change` back until every cached document may be recomputed (`settledAtMs`), so a
 * page refetching after an event always gets a document computed after the commit it announces
 * (src/web/events.ts).
 *
 * A document that took long to compute (a burst of runs in the current hour, which the rollups do
 * not cover yet, made it 1 s on 5 million runs) is reused for SLOW_FACTOR times as long, across
 * commits and by the clock it shows alike: otherwise every request would start a computation that
 * is out of date before it ends, and the collector (whose event loop serves the pages) would do
 * little else. So the dashboard spends at most a fifth of the time on documents, leaving the rest
 * to ingestion and alerts, and pages are that much older.
 */
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { CollectorError } from "../errors.ts";
import type { Config } from "../config/config.ts";
import { unknownJobProblem } from "../known-job.ts";
import { statsSourcesOf } from "../stats-sources.ts";
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
  /**
   * Null for a job (configured or ever seen, src/known-job.ts, the CLI's rule); for any other name
   * the refusal with its did-you-mean: such a name gets a 404, never an empty page or a job row.
   */
  unknownJob(name: string): string | null;
  /** The newest all-jobs document computed, and when (by the clock given), or null. */
  latestStats(): { readonly atMs: number; readonly stats: Stats } | null;
  /**
   * The monotonic instant (WebDataOptions.monotonicMs) from which no cached document may be
   * reused across a commit any more: a document asked for from then on includes every commit
   * made before it.
   */
  settledAtMs(): number;
  /** Every cached document forgotten (a deadline passed: the state may change with time alone). */
  forget(): void;
  /** Cached documents and SQLite's page cache given back (the dashboard is quiet). */
  release(): void;
  /** JobStateStore.setPause, and the cached documents forgotten (our own commit). */
  setPause(key: string, untilMs: number | null, now: Date): void;
  close(): void;
}

export interface WebDataOptions {
  /** Milliseconds from a monotonic source (performance.now), for the reuse window. */
  readonly monotonicMs?: () => number;
  /** How long a document is reused across commits (STATS_REUSE_MS). */
  readonly reuseMs?: number;
}

/** How long a document is reused although the collector committed since: one computation per window. */
export const STATS_REUSE_MS = 250;
/** A document is recomputed once the instant it shows is this old, committed or not. */
const MAX_AGE_MS = 1000;
/** A document is reused at least this many times as long as it took to compute. */
const SLOW_FACTOR = 4;
const MAX_ENTRIES = 16;

interface Cached {
  readonly dataVersion: number;
  readonly ownWrites: number;
  /** The instant the document shows (the clock given). */
  readonly atMs: number;
  /** When it was computed (monotonic). */
  readonly computedAtMs: number;
  /** How long it may be reused across commits (monotonic ms), and by the clock it shows. */
  readonly reuseForMs: number;
  readonly maxAgeMs: number;
  readonly stats: Stats;
}

/** Throws CollectorError when the database is missing: the dashboard never creates one. */
export function openWebData(config: Config, options: WebDataOptions = {}): WebData {
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const reuseMs = options.reuseMs ?? STATS_REUSE_MS;
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
  /** The latest instant until which a cached document may be reused across commits (settledAtMs). */
  let settledAtMs = -Infinity;
  const reusable = (hit: Cached, nowMs: number, dataVersion: number, computeAtMs: number): boolean =>
    hit.ownWrites === ownWrites && nowMs >= hit.atMs && nowMs - hit.atMs < hit.maxAgeMs && (hit.dataVersion === dataVersion || computeAtMs - hit.computedAtMs < hit.reuseForMs);
  return {
    history,
    jobStates,
    stats(now, onlyJob) {
      const key = onlyJob === undefined ? "" : `job:${onlyJob}`;
      const dataVersion = history.dataVersion();
      const hit = cache.get(key);
      const nowMs = now.getTime();
      const computeAtMs = monotonicMs();
      if (hit && reusable(hit, nowMs, dataVersion, computeAtMs)) return hit.stats;
      const stats = collectStats(sources, now, config, onlyJob);
      const costMs = SLOW_FACTOR * (monotonicMs() - computeAtMs);
      const reuseForMs = Math.max(reuseMs, costMs);
      cache.delete(key);
      cache.set(key, { dataVersion, ownWrites, atMs: nowMs, computedAtMs: computeAtMs, reuseForMs, maxAgeMs: Math.max(MAX_AGE_MS, costMs), stats });
      settledAtMs = Math.max(settledAtMs, computeAtMs + reuseForMs);
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value ?? "");
      return stats;
    },
    settledAtMs() {
      return settledAtMs;
    },
    forget() {
      cache.clear();
    },
    release() {
      cache.clear();
      history.releaseMemory();
    },
    unknownJob(name) {
      return unknownJobProblem(name, config, jobStates);
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
