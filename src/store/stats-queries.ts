/**
 * The read side: every aggregate the dashboard shows is computed by SQLite, so its cost does not
 * grow with the table. A window is the sum of the hourly rollups (rollups.ts) of the whole hours
 * it spans plus an indexed scan of the runs in the partial hours at both ends; "the newest run
 * (failure, success) before t" scans the hour of t, else finds the newest such hour in the rollups
 * and scans that one hour.
 *
 * Runs pruned by retention_days stay counted in their whole hours (the rollups are kept), so a
 * window reaching before the cutoff still counts them, except in a partial hour at its old end.
 */
import type { Database, Statement } from "bun:sqlite";
import type { StoredRunRow } from "../records.ts";
import { percentile } from "../duration-histogram.ts";
import { HOUR_MS, RollupStore, bucketedRuns, emptyRollup, fromBucketRows, hourStart, mergeRollups, type BucketRow, type HourKind, type JobKeys, type Rollup } from "./rollups.ts";

export interface WindowRow {
  readonly total: number;
  readonly succeeded: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
}

export type RunRow = StoredRunRow;

/** Which runs a query covers: all, or one job (the default job also owns runs without `job`). */
export type JobFilter = { readonly kind: "all" } | { readonly kind: "job"; readonly name: string; readonly isDefault: boolean };

const RUN_COLUMNS = `id, timestamp AS ts, ts_ms AS epochMs, exit_code AS exit, message AS msg, job,
  duration_ms AS durationMs, extra`;
// ?3 = job name, ?4 = 1 when that job is the default one, ?5 = 0 for kind "all" (no job filter).
const JOB_CLAUSE = "(?5 = 0 OR job = ?3 OR (?4 = 1 AND job IS NULL))";

type JobParams = [number, number];
type QueryParams = [number, number, string, number, number];

/**
 * Percentiles are read exactly from the rows while (runs in the window) × (jobs with runs in it)
 * stays under this: each job's exact percentile scans every run of the window (there is no index
 * on job), so this bounds the scans of all jobs' percentiles together. Above it they come from the
 * hourly histograms (see src/duration-histogram.ts).
 */
export const EXACT_PERCENTILE_BUDGET = 200_000;

function jobKeys(filter: JobFilter): JobKeys {
  if (filter.kind === "all") return null;
  return [filter.name, filter.isDefault ? "" : filter.name];
}

function sameFilter(a: JobFilter, b: JobFilter): boolean {
  return a.kind === "all" ? b.kind === "all" : b.kind === "job" && a.name === b.name && a.isDefault === b.isDefault;
}

export class StatsQueries {
  private readonly lastFailureStatement: Statement<RunRow, [number, number, string, number, number]>;
  private readonly recentStatement: Statement<RunRow, [number, number, string, number, number]>;
  private readonly lastRunStatement: Statement<{ lastMs: number | null }, [number, number, string, number, number]>;
  private readonly lastSuccessStatement: Statement<{ ms: number }, QueryParams>;
  private readonly scanStatement: Statement<BucketRow, QueryParams>;
  private readonly rollups: RollupStore;
  /**
   * The last window aggregated: the 7-day window serves its counts and two percentiles. Valid while
   * nothing was written: `data_version` moves with other connections' commits, total_changes()
   * with this connection's own (the watch loop writes and reads through one connection).
   */
  private lastAggregate: { from: number; to: number; filter: JobFilter; version: string; rollup: Rollup } | null = null;
  private readonly versionStatement: Statement<{ version: string }, []>;
  /** The size of the last window's hours, the same for every job (a `--stats` asks it once per job). */
  private lastSize: { fromHour: number; toHour: number; version: string; runs: number; jobs: number } | null = null;

  /** `exactPercentileBudget`: see EXACT_PERCENTILE_BUDGET (tests set 0 to read every percentile from the histograms). */
  constructor(
    private readonly db: Database,
    private readonly exactPercentileBudget = EXACT_PERCENTILE_BUDGET,
  ) {
    this.rollups = new RollupStore(db);
    this.versionStatement = db.query("SELECT (SELECT data_version FROM pragma_data_version) || ':' || total_changes() AS version");
    this.scanStatement = db.query(bucketedRuns(`ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`));
    this.lastSuccessStatement = db.query(
      `SELECT ts_ms AS ms FROM cron_entries WHERE exit_code = 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}
       ORDER BY ts_ms DESC LIMIT 1`,
    );
    this.lastFailureStatement = db.query(
      `SELECT ${RUN_COLUMNS} FROM cron_entries
       WHERE exit_code != 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    );
    this.recentStatement = db.query(
      `SELECT ${RUN_COLUMNS} FROM cron_entries
       WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE} ORDER BY ts_ms DESC, id DESC LIMIT 10`,
    );
    // ORDER BY … LIMIT 1 walks the time index backwards and stops at the job's newest run.
    this.lastRunStatement = db.query(
      `SELECT ts_ms AS lastMs FROM cron_entries WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}
       ORDER BY ts_ms DESC LIMIT 1`,
    );
  }

  private params(fromMs: number, toMs: number, filter: JobFilter): [number, number, string, number, number] {
    const job: JobParams = filter.kind === "job" ? [filter.isDefault ? 1 : 0, 1] : [0, 0];
    return [fromMs, toMs, filter.kind === "job" ? filter.name : "", ...job];
  }

  totalEntries(): number {
    return this.rollups.storedRuns();
  }

  rejectedLines(): number {
    return this.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM quarantine").get()?.n ?? 0;
  }

  /** Counters of the runs with fromMs < instant <= toMs (instants are whole milliseconds). */
  aggregate(fromMs: number, toMs: number, filter: JobFilter): Rollup {
    const version = this.versionStatement.get()?.version ?? "";
    const last = this.lastAggregate;
    if (last && last.from === fromMs && last.to === toMs && last.version === version && sameFilter(last.filter, filter)) return last.rollup;
    const rollup = this.computeAggregate(fromMs, toMs, filter);
    this.lastAggregate = { from: fromMs, to: toMs, filter, version, rollup };
    return rollup;
  }

  private computeAggregate(fromMs: number, toMs: number, filter: JobFilter): Rollup {
    if (toMs <= fromMs) return emptyRollup;
    const firstWhole = hourStart(fromMs + HOUR_MS); // the first hour starting after fromMs
    const lastWhole = hourStart(toMs + 1) - HOUR_MS; // the last hour ending at or before toMs
    if (firstWhole > lastWhole) return this.scan(fromMs, toMs, filter);
    const whole = this.rollups.sum(firstWhole, lastWhole, jobKeys(filter));
    const head = this.scan(fromMs, firstWhole - 1, filter);
    const tail = this.scan(lastWhole + HOUR_MS - 1, toMs, filter);
    return mergeRollups(mergeRollups(head, whole), tail);
  }

  /** Counters of the runs with fromMs < instant <= toMs, from the rows (an indexed range). */
  private scan(fromMs: number, toMs: number, filter: JobFilter): Rollup {
    if (toMs <= fromMs) return emptyRollup;
    return fromBucketRows(this.scanStatement.all(...this.params(fromMs, toMs, filter)));
  }

  /** Runs with fromMs < instant <= toMs. */
  window(fromMs: number, toMs: number, filter: JobFilter): WindowRow {
    const rollup = this.aggregate(fromMs, toMs, filter);
    return { total: rollup.runs, succeeded: rollup.runs - rollup.failures, firstMs: rollup.firstMs, lastMs: rollup.lastMs };
  }

  /**
   * The newest match of `find` at or before untilMs: first in the hour of untilMs, else in the
   * newest earlier hour whose rollup has one (null if that run was pruned).
   */
  private newest<T>(untilMs: number, filter: JobFilter, kind: HourKind, find: (fromMs: number, toMs: number) => T | null): T | null {
    const currentHour = hourStart(untilMs);
    const recent = find(currentHour - 1, untilMs);
    if (recent !== null) return recent;
    const hour = this.rollups.latestHour(currentHour, jobKeys(filter), kind);
    return hour === null ? null : find(hour - 1, hour + HOUR_MS - 1);
  }

  lastFailure(untilMs: number, filter: JobFilter): RunRow | null {
    return this.newest(untilMs, filter, "failures", (from, to) => this.lastFailureStatement.get(...this.params(from, to, filter)));
  }

  lastRunMs(untilMs: number, filter: JobFilter): number | null {
    return this.newest(untilMs, filter, "runs", (from, to) => this.lastRunStatement.get(...this.params(from, to, filter))?.lastMs ?? null);
  }

  recentRuns(untilMs: number, filter: JobFilter): RunRow[] {
    // Ten hours with runs before the current one hold at least ten runs: scan from there.
    const tenthHour = this.rollups.nthLatestHour(hourStart(untilMs), jobKeys(filter), 10);
    return this.recentStatement.all(...this.params(tenthHour === null ? Number.MIN_SAFE_INTEGER : tenthHour - 1, untilMs, filter));
  }

  lastSuccessMs(untilMs: number, filter: JobFilter): number | null {
    return this.newest(untilMs, filter, "successes", (from, to) => this.lastSuccessStatement.get(...this.params(from, to, filter))?.ms ?? null);
  }

  /**
   * The p-th percentile (nearest rank, 0 < p <= 1) of duration_ms over a window, or null: exact
   * in small windows, else read from the duration histogram, within the error documented in
   * src/duration-histogram.ts.
   */
  durationPercentile(fromMs: number, toMs: number, filter: JobFilter, p: number): number | null {
    const rollup = this.aggregate(fromMs, toMs, filter);
    if (rollup.count === 0) return null;
    const exact = this.exactPercentile(fromMs, toMs, filter, p, rollup.count);
    return exact ?? percentile(rollup, p);
  }

  private windowSize(fromHour: number, toHour: number): { readonly runs: number; readonly jobs: number } {
    const version = this.versionStatement.get()?.version ?? "";
    const last = this.lastSize;
    if (last && last.fromHour === fromHour && last.toHour === toHour && last.version === version) return last;
    this.lastSize = { fromHour, toHour, version, ...this.rollups.hoursSize(fromHour, toHour) };
    return this.lastSize;
  }

  /**
   * The exact nearest-rank percentile from the rows, within EXACT_PERCENTILE_BUDGET and when none
   * of the durations counted was pruned; otherwise null.
   */
  private exactPercentile(fromMs: number, toMs: number, filter: JobFilter, p: number, counted: number): number | null {
    const size = this.windowSize(hourStart(fromMs), hourStart(toMs));
    if (size.runs * Math.max(1, size.jobs) > this.exactPercentileBudget) return null;
    const params = this.params(fromMs, toMs, filter);
    const where = `duration_ms IS NOT NULL AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`;
    const stored = this.db.query<{ n: number }, QueryParams>(`SELECT COUNT(*) AS n FROM cron_entries WHERE ${where}`).get(...params)?.n ?? 0;
    if (stored !== counted) return null;
    const rank = Math.max(1, Math.ceil(p * counted));
    return (
      this.db
        .query<{ d: number }, [...QueryParams, number]>(`SELECT duration_ms AS d FROM cron_entries WHERE ${where} ORDER BY duration_ms LIMIT 1 OFFSET ?6`)
        .get(...params, rank - 1)?.d ?? null
    );
  }

  /** The start of the oldest unfinished run of a job (start marker without finish line), or null. */
  openStartMs(untilMs: number, filter: JobFilter): number | null {
    return (
      this.db
        .query<{ ms: number | null }, [number, number, string, number, number]>(
          `SELECT MIN(ts_ms) AS ms FROM run_starts WHERE finished = 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`,
        )
        .get(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter))?.ms ?? null
    );
  }

  /** Job names as stored; null stands for runs that carry no `job`. */
  jobNames(): Array<string | null> {
    return this.db
      .query<{ name: string }, []>("SELECT name FROM jobs ORDER BY name")
      .all()
      .map((row) => (row.name === "" ? null : row.name));
  }

  writeCache(metrics: ReadonlyArray<readonly [string, number]>, computedAt: string): void {
    const upsert = this.db.query(
      `INSERT INTO stats_cache (metric, value, computed_at) VALUES (?, ?, ?)
       ON CONFLICT (metric) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at`,
    );
    this.db.transaction(() => {
      for (const [metric, value] of metrics) upsert.run(metric, value, computedAt);
    })();
  }
}
