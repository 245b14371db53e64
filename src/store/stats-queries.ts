/**
 * The read side: every aggregate the dashboard shows is computed by SQLite, so its cost does not
 * grow with the table. A window is the sum of the hourly rollups (rollups.ts) of the whole hours
 * it spans plus the partial hours at both ends: each from its hour's rollup when that counts
 * exactly the part's runs (see howToRead), else an indexed scan of them. "The newest run
 * (failure, success) before t" looks in the hour of t when its rollup holds one, else finds the
 * newest such hour in the rollups and scans that one hour.
 *
 * What a window costs is then bounded by the rollup rows of its hours, plus the runs of a partial
 * hour that the rollup cannot stand for: one at the new end holding runs dated after the window's
 * end (a past --now inside a burst, runs dated ahead), one at the old end holding runs on both
 * sides of the window's start, a pruned one, and a window within one hour. As of now a crash
 * loop's current hour costs no scan. (Reading such an hour as its rollup minus the rest of the
 * hour was tried and measured slower: counting the rest costs about what it saves.)
 *
 * Runs pruned by retention_days stay counted in their whole hours (the rollups are kept), so a
 * window reaching before the cutoff still counts them, except in a partial hour at either end.
 */
import type { Database, Statement } from "bun:sqlite";
import type { StoredRunRow } from "../records.ts";
import { percentile } from "../duration-histogram.ts";
import { forJob } from "./job-runs.ts";
import { RollupStore, bucketedRuns, emptyRollup, fromBucketRows, hourPieces, hourStart, mergeRollups, type BucketRow, type HourKind, type JobKeys, type Rollup } from "./rollups.ts";
import { HOUR_MS } from "../time.ts";

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
const RANGE = "ts_ms > ?1 AND ts_ms <= ?2";
/**
 * The runs of one job in the range, ?3 = its name: their ids from the (job, ts_ms) index (see
 * job-runs.ts for why not an OR; for the default job from two walks of it), then only those rows.
 * As `job = ?3` beside the range, the planner may take the time index instead (it did with the
 * duration buckets), reading every job's runs of the range; only with ORDER BY ts_ms DESC … LIMIT
 * (which the job's walk of the index serves without sorting) is it taken for granted.
 */
const NAMED_RUNS = `${RANGE} AND id IN (${forJob(`SELECT id FROM cron_entries WHERE JOB AND ${RANGE}`, "?3").named})`;
/** A named job's runs for ORDER BY ts_ms … LIMIT: the index walk itself, stopped by the LIMIT. */
const NAMED_RUNS_IN_ORDER = `${RANGE} AND job = ?3`;
const UNNAMED_RUNS_IN_ORDER = `${RANGE} AND job IS NULL`;
const DEFAULT_JOB_RUNS = `${RANGE} AND id IN (${forJob(`SELECT id FROM cron_entries WHERE JOB AND ${RANGE}`, "?3").withUnnamed})`;

/** ?1 = from (exclusive), ?2 = to (inclusive), for one job ?3 = its name, then any more. */
type QueryParams = Array<string | number>;

/**
 * One statement per kind of filter: over every run (the time index), over a named job's, over the
 * default job's. `sql` gets the WHERE condition and the next free parameter (for an OFFSET).
 */
class ByFilter<Row> {
  private readonly all: Statement<Row, QueryParams>;
  private readonly named: Statement<Row, QueryParams>;
  private readonly defaultJob: Statement<Row, QueryParams>;

  /**
   * `ordered`: `sql` ends in ORDER BY ts_ms … LIMIT, and this is the same ORDER BY … LIMIT over its
   * output columns. Each job name is then walked on its own (job, ts_ms) index and stopped by the
   * LIMIT; the default job's two walks are merged by it. (The `id IN` form reads every id of the
   * range first: 120,000 of them for a crash loop's current hour.)
   */
  constructor(db: Database, sql: (where: string, next: string) => string, ordered?: string) {
    this.all = db.query(sql(RANGE, "?3"));
    this.named = db.query(sql(ordered === undefined ? NAMED_RUNS : NAMED_RUNS_IN_ORDER, "?4"));
    const branch = (where: string): string => `SELECT * FROM (${sql(where, "?4")})`;
    this.defaultJob = db.query(ordered === undefined ? sql(DEFAULT_JOB_RUNS, "?4") : `SELECT * FROM (${branch(NAMED_RUNS_IN_ORDER)} UNION ALL ${branch(UNNAMED_RUNS_IN_ORDER)}) ${ordered}`);
  }

  private pick(filter: JobFilter, fromMs: number, toMs: number): { readonly statement: Statement<Row, QueryParams>; readonly params: QueryParams } {
    if (filter.kind === "all") return { statement: this.all, params: [fromMs, toMs] };
    return { statement: filter.isDefault ? this.defaultJob : this.named, params: [fromMs, toMs, filter.name] };
  }

  get(fromMs: number, toMs: number, filter: JobFilter, ...more: number[]): Row | null {
    const { statement, params } = this.pick(filter, fromMs, toMs);
    return statement.get(...params, ...more);
  }

  list(fromMs: number, toMs: number, filter: JobFilter): Row[] {
    const { statement, params } = this.pick(filter, fromMs, toMs);
    return statement.all(...params);
  }
}

/**
 * Percentiles are read exactly from the rows while (runs in the window) × (jobs with runs in it)
 * stays under this, a bound on the rows all jobs' exact percentiles read together. Above it they
 * come from the hourly histograms (see src/duration-histogram.ts).
 */
export const EXACT_PERCENTILE_BUDGET = 200_000;

/** The last few rollups (or counts) computed, by range, filter and database version. */
class Recent<T> {
  private entries: Array<{ readonly from: number; readonly to: number; readonly filter: JobFilter; readonly version: string; readonly value: T }> = [];

  constructor(private readonly size: number) {}

  find(from: number, to: number, filter: JobFilter, version: string): T | null {
    return this.entries.find((entry) => entry.from === from && entry.to === to && entry.version === version && sameFilter(entry.filter, filter))?.value ?? null;
  }

  get(from: number, to: number, filter: JobFilter, version: string, compute: () => T): T {
    const known = this.find(from, to, filter, version);
    if (known) return known;
    const value = compute();
    this.entries = [{ from, to, filter, version, value }, ...this.entries.slice(0, this.size - 1)];
    return value;
  }
}

const emptyWindow: WindowRow = { total: 0, succeeded: 0, firstMs: null, lastMs: null };

const windowOf = (rollup: Rollup): WindowRow => ({ total: rollup.runs, succeeded: rollup.runs - rollup.failures, firstMs: rollup.firstMs, lastMs: rollup.lastMs });

function mergeWindows(a: WindowRow, b: WindowRow): WindowRow {
  const pick = (x: number | null, y: number | null, f: (x: number, y: number) => number): number | null => (x === null ? y : y === null ? x : f(x, y));
  return { total: a.total + b.total, succeeded: a.succeeded + b.succeeded, firstMs: pick(a.firstMs, b.firstMs, Math.min), lastMs: pick(a.lastMs, b.lastMs, Math.max) };
}

function jobKeys(filter: JobFilter): JobKeys {
  if (filter.kind === "all") return null;
  return [filter.name, filter.isDefault ? "" : filter.name];
}

function sameFilter(a: JobFilter, b: JobFilter): boolean {
  return a.kind === "all" ? b.kind === "all" : b.kind === "job" && a.name === b.name && a.isDefault === b.isDefault;
}

export class StatsQueries {
  private readonly lastFailureStatement: ByFilter<RunRow>;
  private readonly recentStatement: ByFilter<RunRow>;
  private readonly lastRunStatement: ByFilter<{ lastMs: number | null }>;
  private readonly oldestStatement: ByFilter<{ ms: number }>;
  private readonly lastSuccessStatement: ByFilter<{ ms: number }>;
  private readonly scanStatement: ByFilter<BucketRow>;
  private readonly countStatement: ByFilter<WindowRow>;
  private readonly storedDurations: ByFilter<{ n: number }>;
  private readonly durationAtRank: ByFilter<{ d: number }>;
  private readonly rollups: RollupStore;
  /**
   * The last windows aggregated (the 7-day window serves its counts and two percentiles, the
   * 24-hour one its counts). Valid while nothing was written: `data_version` moves with other
   * connections' commits, total_changes() with this connection's own (the watch loop writes and
   * reads through one connection).
   */
  private readonly recentAggregates = new Recent<Rollup>(2);
  /** The partial hours at both ends of the last windows: the day and the week end in the same one. */
  private readonly recentScans = new Recent<Rollup>(3);
  /** The same for the partial hours only counted (over every job, the day and the week share one). */
  private readonly recentCounts = new Recent<WindowRow>(3);
  private readonly versionStatement: Statement<{ version: string }, []>;
  private pinnedVersion: string | null = null;
  /** The size of the last window's hours, the same for every job (a `--stats` asks it once per job). */
  private lastSize: { fromHour: number; toHour: number; version: string; runs: number; jobs: number } | null = null;

  /** `exactPercentileBudget`: see EXACT_PERCENTILE_BUDGET (tests set 0 to read every percentile from the histograms). */
  constructor(
    private readonly db: Database,
    private readonly exactPercentileBudget = EXACT_PERCENTILE_BUDGET,
  ) {
    this.rollups = new RollupStore(db);
    this.versionStatement = db.query("SELECT (SELECT data_version FROM pragma_data_version) || ':' || total_changes() AS version");
    this.scanStatement = new ByFilter(db, (where) => bucketedRuns(where));
    this.countStatement = new ByFilter(
      db,
      (where) => `SELECT COUNT(*) AS total, COALESCE(SUM(exit_code = 0), 0) AS succeeded, MIN(ts_ms) AS firstMs, MAX(ts_ms) AS lastMs FROM cron_entries WHERE ${where}`,
    );
    this.lastSuccessStatement = new ByFilter(db, (where) => `SELECT ts_ms AS ms FROM cron_entries WHERE exit_code = 0 AND ${where} ORDER BY ts_ms DESC LIMIT 1`, "ORDER BY ms DESC LIMIT 1");
    this.lastFailureStatement = new ByFilter(
      db,
      (where) => `SELECT ${RUN_COLUMNS} FROM cron_entries WHERE exit_code != 0 AND ${where} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
      "ORDER BY epochMs DESC, id DESC LIMIT 1",
    );
    this.recentStatement = new ByFilter(db, (where) => `SELECT ${RUN_COLUMNS} FROM cron_entries WHERE ${where} ORDER BY ts_ms DESC, id DESC LIMIT 10`, "ORDER BY epochMs DESC, id DESC LIMIT 10");
    // Over every job, ORDER BY … LIMIT 1 walks the time index backwards and stops at the newest run.
    this.lastRunStatement = new ByFilter(db, (where) => `SELECT ts_ms AS lastMs FROM cron_entries WHERE ${where} ORDER BY ts_ms DESC LIMIT 1`, "ORDER BY lastMs DESC LIMIT 1");
    this.oldestStatement = new ByFilter(db, (where) => `SELECT ts_ms AS ms FROM cron_entries WHERE ${where} ORDER BY ts_ms LIMIT 1`, "ORDER BY ms LIMIT 1");
    const durations = (where: string): string => `duration_ms IS NOT NULL AND ${where}`;
    this.storedDurations = new ByFilter(db, (where) => `SELECT COUNT(*) AS n FROM cron_entries WHERE ${durations(where)}`);
    this.durationAtRank = new ByFilter(db, (where, rank) => `SELECT duration_ms AS d FROM cron_entries WHERE ${durations(where)} ORDER BY duration_ms LIMIT 1 OFFSET ${rank}`);
  }

  totalEntries(): number {
    return this.rollups.storedRuns();
  }

  rejectedLines(): number {
    return this.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM quarantine").get()?.n ?? 0;
  }

  /** Counters of the runs with fromMs < instant <= toMs (instants are whole milliseconds). */
  aggregate(fromMs: number, toMs: number, filter: JobFilter, version = this.version()): Rollup {
    return this.recentAggregates.get(fromMs, toMs, filter, version, () => this.computeAggregate(fromMs, toMs, filter, version));
  }

  private computeAggregate(fromMs: number, toMs: number, filter: JobFilter, version: string): Rollup {
    const { head, whole, tail } = hourPieces(fromMs, toMs);
    const keys = jobKeys(filter);
    const parts = [whole === null ? emptyRollup : this.rollups.sum(whole[0], whole[1], keys)];
    for (const part of [head, tail]) {
      if (part === null) continue;
      const hour = this.rollups.sum(hourStart(part[1]), hourStart(part[1]), keys);
      const read = this.howToRead(part, hour, filter);
      parts.push(read === "hour" ? hour : read === "none" ? emptyRollup : this.scan(part[0], part[1], filter, version));
    }
    return parts.reduce(mergeRollups, emptyRollup);
  }

  /**
   * How to read a part of one hour at an end of a window (the head ends with its hour, the tail
   * starts with it), given the hour's rollup: "none" when the rollup counts no run within the part
   * (then none is stored), "hour" when every run it counts lies within the part and none was
   * pruned (the rollup is then exactly the part's rows), else "rows" (a scan). So a crash loop's
   * 100,000s of runs in the current hour cost no scan as of now, only as of a past --now inside
   * the burst (or with runs dated ahead in that hour), or at the old end of a window while it
   * passes through the burst's hour a day or a week later.
   *
   * Pruning deletes the oldest runs first, so the hour lost none while its oldest counted run is
   * still stored (one index probe); this is the rule of JobRuns.count, and like it, it trusts that
   * no run older than a pruned one is written later.
   */
  private howToRead(part: readonly [number, number], hour: { readonly runs: number; readonly firstMs: number | null; readonly lastMs: number | null }, filter: JobFilter): "none" | "hour" | "rows" {
    const start = hourStart(part[1]);
    const isTail = part[0] === start - 1;
    if (!isTail && part[1] !== start + HOUR_MS - 1) return "rows"; // a window within one hour
    if (hour.runs === 0 || hour.firstMs === null || hour.lastMs === null || hour.firstMs > part[1] || hour.lastMs <= part[0]) return "none";
    if (hour.firstMs <= part[0] || hour.lastMs > part[1]) return "rows";
    return this.oldestStatement.get(start - 1, start + HOUR_MS - 1, filter)?.ms === hour.firstMs ? "hour" : "rows";
  }

  /**
   * The counts of a window without the duration histogram: 4 sums per rollup row instead of 72,
   * and over every job the partial hours are counted on the covering time index. A window over
   * every job costs a fifth of its full aggregate on 5 million runs (bench/stats.ts).
   */
  private windowCounts(fromMs: number, toMs: number, filter: JobFilter, version: string): WindowRow {
    const { head, whole, tail } = hourPieces(fromMs, toMs);
    const keys = jobKeys(filter);
    // The 24-hour window ends in the partial hour the 7-day one scanned already.
    const rows = ([from, to]: readonly [number, number]): WindowRow => {
      const scanned = this.recentScans.find(from, to, filter, version);
      return scanned === null ? this.recentCounts.get(from, to, filter, version, () => this.countStatement.get(from, to, filter) ?? emptyWindow) : windowOf(scanned);
    };
    const parts = [whole === null ? emptyWindow : this.rollups.counts(whole[0], whole[1], keys)];
    for (const part of [head, tail]) {
      if (part === null) continue;
      const hour = this.rollups.counts(hourStart(part[1]), hourStart(part[1]), keys);
      const read = this.howToRead(part, { runs: hour.total, firstMs: hour.firstMs, lastMs: hour.lastMs }, filter);
      parts.push(read === "hour" ? hour : read === "none" ? emptyWindow : rows(part));
    }
    return parts.reduce(mergeWindows, emptyWindow);
  }

  /**
   * Counters of the runs with fromMs < instant <= toMs, from the rows (an indexed range). The
   * day and the week end in the same partial hour: the last scan is kept while nothing was written.
   */
  private scan(fromMs: number, toMs: number, filter: JobFilter, version: string): Rollup {
    if (toMs <= fromMs) return emptyRollup;
    return this.recentScans.get(fromMs, toMs, filter, version, () => fromBucketRows(this.scanStatement.list(fromMs, toMs, filter)));
  }

  /** Runs with fromMs < instant <= toMs: from the full aggregate when it is at hand, else counted alone. */
  window(fromMs: number, toMs: number, filter: JobFilter): WindowRow {
    const version = this.version();
    const rollup = this.recentAggregates.find(fromMs, toMs, filter, version);
    return rollup === null ? this.windowCounts(fromMs, toMs, filter, version) : windowOf(rollup);
  }

  /**
   * The newest match of `find` at or before untilMs: first in the hour of untilMs, else in the
   * newest earlier hour whose rollup has one (null if that run was pruned).
   */
  private newest<T>(untilMs: number, filter: JobFilter, kind: HourKind, find: (fromMs: number, toMs: number) => T | null): T | null {
    const currentHour = hourStart(untilMs);
    const keys = jobKeys(filter);
    // The hour of untilMs is read only when its rollup holds a match: a crash loop's hour holds no
    // success, and walking its runs back to find none cost 0.1 s per 100,000 of them.
    let hour = this.rollups.latestHour(currentHour + HOUR_MS, keys, kind);
    if (hour === currentHour) {
      const recent = find(currentHour - 1, untilMs);
      if (recent !== null) return recent;
      hour = this.rollups.latestHour(currentHour, keys, kind);
    }
    return hour === null ? null : find(hour - 1, hour + HOUR_MS - 1);
  }

  lastFailure(untilMs: number, filter: JobFilter): RunRow | null {
    return this.newest(untilMs, filter, "failures", (from, to) => this.lastFailureStatement.get(from, to, filter));
  }

  lastRunMs(untilMs: number, filter: JobFilter): number | null {
    return this.newest(untilMs, filter, "runs", (from, to) => this.lastRunStatement.get(from, to, filter)?.lastMs ?? null);
  }

  recentRuns(untilMs: number, filter: JobFilter): RunRow[] {
    // Ten hours with runs before the current one hold at least ten runs: scan from there.
    const tenthHour = this.rollups.nthLatestHour(hourStart(untilMs), jobKeys(filter), 10);
    return this.recentStatement.list(tenthHour === null ? Number.MIN_SAFE_INTEGER : tenthHour - 1, untilMs, filter);
  }

  lastSuccessMs(untilMs: number, filter: JobFilter): number | null {
    return this.newest(untilMs, filter, "successes", (from, to) => this.lastSuccessStatement.get(from, to, filter)?.ms ?? null);
  }

  /**
   * The p-th percentile (nearest rank, 0 < p <= 1) of duration_ms over a window, or null: exact
   * in small windows, else read from the duration histogram, within the error documented in
   * src/duration-histogram.ts.
   */
  durationPercentile(fromMs: number, toMs: number, filter: JobFilter, p: number): number | null {
    const version = this.version();
    const rollup = this.aggregate(fromMs, toMs, filter, version);
    if (rollup.count === 0) return null;
    const exact = this.exactPercentile(fromMs, toMs, filter, p, rollup.count, version);
    return exact ?? percentile(rollup, p);
  }

  private version(): string {
    return this.pinnedVersion ?? this.versionStatement.get()?.version ?? "";
  }

  /**
   * Runs `read`, which only reads, with the database version read once at its start: a stats
   * document asks it for every window of every job (4 reads a job, a tenth of the document's time
   * with 1,000 jobs). A commit by another connection meanwhile is noticed at the next call.
   */
  readingOnce<T>(read: () => T): T {
    if (this.pinnedVersion !== null) return read();
    this.pinnedVersion = this.version();
    try {
      return read();
    } finally {
      this.pinnedVersion = null;
    }
  }

  private windowSize(fromHour: number, toHour: number, version: string): { readonly runs: number; readonly jobs: number } {
    const last = this.lastSize;
    if (last && last.fromHour === fromHour && last.toHour === toHour && last.version === version) return last;
    this.lastSize = { fromHour, toHour, version, ...this.rollups.hoursSize(fromHour, toHour) };
    return this.lastSize;
  }

  /**
   * The exact nearest-rank percentile from the rows, within EXACT_PERCENTILE_BUDGET and when none
   * of the durations counted was pruned; otherwise null.
   */
  private exactPercentile(fromMs: number, toMs: number, filter: JobFilter, p: number, counted: number, version: string): number | null {
    const size = this.windowSize(hourStart(fromMs), hourStart(toMs), version);
    if (size.runs * Math.max(1, size.jobs) > this.exactPercentileBudget) return null;
    const stored = this.storedDurations.get(fromMs, toMs, filter)?.n ?? 0;
    if (stored !== counted) return null;
    const rank = Math.max(1, Math.ceil(p * counted));
    return this.durationAtRank.get(fromMs, toMs, filter, rank - 1)?.d ?? null;
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
