/**
 * Per-job, per-hour counters of runs (`run_rollups`), so the stats read a few hundred small rows
 * per window instead of every run in it (see stats-queries.ts).
 *
 * A row is keyed by the job as stored ('' for runs without `job`) and the start of the UTC hour
 * of the run's instant. It is updated in the same transaction as the runs it counts (RunWriter
 * calls `add` with each batch's stored runs), built for existing databases by migration 6 with the
 * same aggregate, and never pruned: retention_days deletes runs, their counts stay.
 * The default job is not baked into the key (config may rename it): readers ask for '' and its
 * explicit name together.
 */
import type { Database, Statement } from "bun:sqlite";
import type { Run } from "../records.ts";
import { BUCKET_COUNT, SQUARED_BOUNDS, bucketOf, type DurationSummary } from "../duration-histogram.ts";
import { HOUR_MS } from "../time.ts";

/**
 * The start of the UTC hour holding `ms` (also before 1970). Division, not `%`: a remainder of
 * doubles is several times slower, and the quotient of whole milliseconds is exact enough here.
 */
export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * A range fromMs < instant <= toMs cut at hour bounds: `head` the part in the hour of fromMs when
 * fromMs + 1 is not an hour start, `whole` the first and last start of the whole hours within it,
 * `tail` the part from the start of the hour of toMs when toMs is not its last millisecond. Each
 * part is null when empty; head and tail are (from, to] pairs, each within one hour.
 */
export interface HourPieces {
  readonly head: readonly [number, number] | null;
  readonly whole: readonly [number, number] | null;
  readonly tail: readonly [number, number] | null;
}

export function hourPieces(fromMs: number, toMs: number): HourPieces {
  if (toMs <= fromMs) return { head: null, whole: null, tail: null };
  const firstWhole = hourStart(fromMs + HOUR_MS); // the first hour starting after fromMs
  if (toMs < firstWhole) return { head: [fromMs, toMs], whole: null, tail: null };
  const tailHour = hourStart(toMs + 1); // the tail's hour, or the hour after the last whole one
  return {
    head: firstWhole - 1 > fromMs ? [fromMs, firstWhole - 1] : null,
    whole: tailHour - HOUR_MS >= firstWhole ? [firstWhole, tailHour - HOUR_MS] : null,
    tail: toMs >= tailHour ? [tailHour - 1, toMs] : null,
  };
}

/** Counters over a set of runs: one rollup row, a sum of rows, or a scan of runs. */
export interface Rollup extends DurationSummary {
  readonly runs: number;
  readonly failures: number;
  readonly durationSum: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
}

export const emptyRollup: Rollup = {
  runs: 0,
  failures: 0,
  count: 0,
  durationSum: 0,
  minMs: null,
  maxMs: null,
  firstMs: null,
  lastMs: null,
  buckets: new Array<number>(BUCKET_COUNT).fill(0),
};

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

export function mergeRollups(a: Rollup, b: Rollup): Rollup {
  return {
    runs: a.runs + b.runs,
    failures: a.failures + b.failures,
    count: a.count + b.count,
    durationSum: a.durationSum + b.durationSum,
    minMs: minOf(a.minMs, b.minMs),
    maxMs: maxOf(a.maxMs, b.maxMs),
    firstMs: minOf(a.firstMs, b.firstMs),
    lastMs: maxOf(a.lastMs, b.lastMs),
    buckets: a.buckets.map((n, i) => n + (b.buckets[i] ?? 0)),
  };
}

const BUCKETS = Array.from({ length: BUCKET_COUNT }, (_, i) => `b${i}`);
const COUNTERS = ["runs", "failures", "duration_count", "duration_sum", "duration_min", "duration_max", "first_ms", "last_ms"];
const COLUMNS = ["job", "hour_ms", ...COUNTERS, ...BUCKETS];

export const rollupSchema = `
CREATE TABLE run_rollups (
  job TEXT NOT NULL,               -- as stored in cron_entries.job, '' for NULL
  hour_ms INTEGER NOT NULL,        -- start of the UTC hour of ts_ms
  runs INTEGER NOT NULL,
  failures INTEGER NOT NULL,       -- exit_code != 0
  duration_count INTEGER NOT NULL, -- runs with duration_ms
  duration_sum REAL NOT NULL,
  duration_min REAL,
  duration_max REAL,
  first_ms INTEGER NOT NULL,       -- earliest and latest ts_ms counted
  last_ms INTEGER NOT NULL,
  -- Log-spaced duration histogram (src/duration-histogram.ts): b0 < 1 ms, then a ratio of √2.
  ${BUCKETS.map((b) => `${b} INTEGER NOT NULL DEFAULT 0`).join(", ")},
  PRIMARY KEY (job, hour_ms)
) WITHOUT ROWID;
-- Windows over all jobs read a range of hours.
CREATE INDEX run_rollups_hour ON run_rollups (hour_ms);
-- The number of rows in cron_entries without counting them: the writer adds what it stores, any
-- DELETE (retention, forgetting a job) takes its rows off. Pruning is rare and batched, so the
-- trigger costs nothing on the ingest path.
CREATE TABLE run_count (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  stored INTEGER NOT NULL
);
CREATE TRIGGER run_count_delete AFTER DELETE ON cron_entries BEGIN
  UPDATE run_count SET stored = stored - 1 WHERE id = 1;
END;`;

/**
 * The number of SQUARED_BOUNDS[low..high) at most `square`, as nested CASEs: the binary search of
 * bucketOf, so a run costs 6 comparisons instead of one per bound (a third of a partial hour's
 * scan went to summing 63 of them).
 */
/**
 * A bound as SQL reads it back exactly: above 2^53 JavaScript prints the shortest decimal of the
 * double, which SQLite would read as a different (larger) integer; in exponent form it is a REAL.
 */
const sqlNumber = (bound: number): string => (Number.isSafeInteger(bound) ? String(bound) : bound.toExponential());

function bucketSearch(square: string, low: number, high: number): string {
  if (low >= high) return String(low);
  const middle = (low + high) >> 1;
  return `CASE WHEN ${square} >= ${sqlNumber(SQUARED_BOUNDS[middle] ?? 0)} THEN ${bucketSearch(square, middle + 1, high)} ELSE ${bucketSearch(square, low, middle)} END`;
}

/** SQL for the histogram bucket of `duration_ms` (NULL without one): the rule of bucketOf. */
const BUCKET_EXPRESSION = `CASE WHEN duration_ms IS NULL THEN NULL ELSE ${bucketSearch("duration_ms * duration_ms", 0, SQUARED_BOUNDS.length)} END`;

/**
 * Rows of cron_entries, with the columns the aggregates need, filtered by `where` (which may use
 * bound parameters). The job key and hour are computed for GROUP BY.
 */
function runsWithBuckets(where: string): string {
  return `SELECT ifnull(job, '') AS job_key, ${hourExpression("ts_ms")} AS hour, ts_ms, exit_code, duration_ms, ${BUCKET_EXPRESSION} AS bucket
          FROM cron_entries WHERE ts_ms IS NOT NULL AND ${where}`;
}

function hourExpression(column: string): string {
  return `${column} - (((${column} % ${HOUR_MS}) + ${HOUR_MS}) % ${HOUR_MS})`;
}

/**
 * The counters of the rows of `runsWithBuckets`, one row per histogram bucket (NULL: runs without
 * a duration). Grouping by the bucket evaluates its expression once per run; 64 `SUM(bucket IS k)`
 * columns would evaluate it 64 times, since SQLite copies a subquery's expression into each use.
 */
const BUCKETED_AGGREGATE = `bucket, COUNT(*) AS runs, COALESCE(SUM(exit_code != 0), 0) AS failures, COUNT(duration_ms) AS duration_count,
  TOTAL(duration_ms) AS duration_sum, MIN(duration_ms) AS duration_min, MAX(duration_ms) AS duration_max,
  MIN(ts_ms) AS first_ms, MAX(ts_ms) AS last_ms`;

/** SELECT of the per-bucket counters of the runs matching `where`; see fromBucketRows. */
export function bucketedRuns(where: string): string {
  return `SELECT ${BUCKETED_AGGREGATE} FROM (${runsWithBuckets(where)}) GROUP BY bucket`;
}

export interface BucketRow {
  readonly bucket: number | null;
  readonly runs: number;
  readonly failures: number;
  readonly duration_count: number;
  readonly duration_sum: number;
  readonly duration_min: number | null;
  readonly duration_max: number | null;
  readonly first_ms: number;
  readonly last_ms: number;
}

/** One rollup from the per-bucket rows of `bucketedRuns` (at most BUCKET_COUNT + 1 of them). */
export function fromBucketRows(rows: readonly BucketRow[]): Rollup {
  let rollup = emptyRollup;
  for (const row of rows) {
    const buckets = new Array<number>(BUCKET_COUNT).fill(0);
    if (row.bucket !== null) buckets[row.bucket] = row.duration_count;
    rollup = mergeRollups(rollup, {
      runs: row.runs,
      failures: row.failures,
      count: row.duration_count,
      durationSum: row.duration_sum,
      minMs: row.duration_min,
      maxMs: row.duration_max,
      firstMs: row.first_ms,
      lastMs: row.last_ms,
      buckets,
    });
  }
  return rollup;
}

/** The same columns summed over rollup rows. */
const ROLLUP_SUM = `COALESCE(SUM(runs), 0) AS runs, COALESCE(SUM(failures), 0) AS failures, COALESCE(SUM(duration_count), 0) AS duration_count,
  TOTAL(duration_sum) AS duration_sum, MIN(duration_min) AS duration_min, MAX(duration_max) AS duration_max,
  MIN(first_ms) AS first_ms, MAX(last_ms) AS last_ms, ${BUCKETS.map((b) => `COALESCE(SUM(${b}), 0) AS ${b}`).join(", ")}`;

/** Migration 6: the rollups of every stored run, grouped per bucket first (see BUCKETED_AGGREGATE). */
export function createRollups(db: Database): void {
  db.run(rollupSchema);
  db.run("INSERT INTO run_count (id, stored) SELECT 1, COUNT(*) FROM cron_entries");
  const perBucket = `SELECT job_key, hour, ${BUCKETED_AGGREGATE} FROM (${runsWithBuckets("1")}) GROUP BY job_key, hour, bucket`;
  db.run(`INSERT INTO run_rollups (${COLUMNS.join(", ")})
          SELECT job_key, hour, SUM(runs), SUM(failures), SUM(duration_count), TOTAL(duration_sum), MIN(duration_min),
            MAX(duration_max), MIN(first_ms), MAX(last_ms), ${BUCKETS.map((_, i) => `SUM(CASE WHEN bucket = ${i} THEN duration_count ELSE 0 END)`).join(", ")}
          FROM (${perBucket}) GROUP BY job_key, hour`);
}

export type RollupRow = Record<string, number | null>;

export function toRollup(row: RollupRow | null): Rollup {
  if (!row) return emptyRollup;
  return {
    runs: row.runs ?? 0,
    failures: row.failures ?? 0,
    count: row.duration_count ?? 0,
    durationSum: row.duration_sum ?? 0,
    minMs: row.duration_min ?? null,
    maxMs: row.duration_max ?? null,
    firstMs: row.first_ms ?? null,
    lastMs: row.last_ms ?? null,
    buckets: BUCKETS.map((b) => row[b] ?? 0),
  };
}

/** The runs a read covers: every job (null), or the stored job keys of one job. */
export type JobKeys = readonly [string, string] | null;

/** Which hours `latestHour` looks for. */
export type HourKind = "runs" | "failures" | "successes";

type RunFields = Pick<Run, "epochMs" | "exit" | "job" | "durationMs">;

interface Accumulator {
  job: string;
  hour: number;
  runs: number;
  failures: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  first: number;
  last: number;
  buckets: number[];
}

function newAccumulator(job: string, hour: number, epochMs: number): Accumulator {
  return { job, hour, runs: 0, failures: 0, count: 0, sum: 0, min: null, max: null, first: epochMs, last: epochMs, buckets: new Array<number>(BUCKET_COUNT).fill(0) };
}

function accumulate(runs: readonly { readonly run: RunFields }[]): Accumulator[] {
  const byKey = new Map<string, Accumulator>();
  // Lines come in time order: each job's pair of its previous run usually holds the next one too,
  // which spares building a (job, hour) key per run (that cost 5 % of the ingest time).
  const currentByJob = new Map<string, Accumulator>();
  for (const { run } of runs) {
    const job = run.job ?? "";
    let acc = currentByJob.get(job);
    if (acc === undefined || run.epochMs < acc.hour || run.epochMs >= acc.hour + HOUR_MS) {
      const hour = hourStart(run.epochMs);
      const key = `${hour}\u0000${job}`;
      acc = byKey.get(key);
      if (acc === undefined) {
        acc = newAccumulator(job, hour, run.epochMs);
        byKey.set(key, acc);
      }
      currentByJob.set(job, acc);
    }
    acc.runs++;
    if (run.exit !== 0) acc.failures++;
    if (run.epochMs < acc.first) acc.first = run.epochMs;
    if (run.epochMs > acc.last) acc.last = run.epochMs;
    const duration = run.durationMs;
    if (duration !== null) {
      acc.count++;
      acc.sum += duration;
      acc.min = acc.min === null ? duration : Math.min(acc.min, duration);
      acc.max = acc.max === null ? duration : Math.max(acc.max, duration);
      const bucket = bucketOf(duration);
      acc.buckets[bucket] = (acc.buckets[bucket] ?? 0) + 1;
    }
  }
  return [...byKey.values()];
}

type CountStatement = Statement<{ total: number; succeeded: number; firstMs: number | null; lastMs: number | null }, Array<string | number>>;

export class RollupStore {
  private readonly upsert: Statement;
  private readonly countStored: Statement;
  /** Over every job, and over one job's keys. */
  private readonly countSums: readonly [CountStatement, CountStatement];
  private readonly sums: readonly [Statement<RollupRow, Array<string | number>>, Statement<RollupRow, Array<string | number>>];

  constructor(private readonly db: Database) {
    const merge = [
      "runs = runs + excluded.runs",
      "failures = failures + excluded.failures",
      "duration_count = duration_count + excluded.duration_count",
      "duration_sum = duration_sum + excluded.duration_sum",
      // NULL means no duration yet; a comparison with NULL is not true, so the other side wins.
      "duration_min = CASE WHEN duration_min IS NULL OR excluded.duration_min < duration_min THEN excluded.duration_min ELSE duration_min END",
      "duration_max = CASE WHEN duration_max IS NULL OR excluded.duration_max > duration_max THEN excluded.duration_max ELSE duration_max END",
      "first_ms = min(first_ms, excluded.first_ms)",
      "last_ms = max(last_ms, excluded.last_ms)",
      ...BUCKETS.map((b) => `${b} = ${b} + excluded.${b}`),
    ];
    this.upsert = db.prepare(
      `INSERT INTO run_rollups (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})
       ON CONFLICT (job, hour_ms) DO UPDATE SET ${merge.join(", ")}`,
    );
    this.countStored = db.prepare("UPDATE run_count SET stored = stored + ? WHERE id = 1");
    // Prepared once: a stats document sums two windows per job, and this SQL is 3 kB to build and look up.
    const sum = (keys: JobKeys): string => `SELECT ${ROLLUP_SUM} FROM run_rollups WHERE hour_ms >= ? AND hour_ms <= ? AND ${jobCondition(keys)}`;
    this.sums = [db.prepare(sum(null)), db.prepare(sum(["", ""]))];
    const counts = (keys: JobKeys): string =>
      `SELECT COALESCE(SUM(runs), 0) AS total, COALESCE(SUM(runs - failures), 0) AS succeeded, MIN(first_ms) AS firstMs, MAX(last_ms) AS lastMs
       FROM run_rollups WHERE hour_ms >= ? AND hour_ms <= ? AND ${jobCondition(keys)}`;
    this.countSums = [db.prepare(counts(null)), db.prepare(counts(["", ""]))];
  }

  /**
   * Counts newly stored runs, inside the writer's transaction: aggregated per (job, hour) in a map
   * as small as the distinct pairs of the batch, then one upsert per pair.
   */
  add(stored: readonly { readonly run: RunFields }[]): void {
    if (stored.length === 0) return;
    this.countStored.run(stored.length);
    for (const acc of accumulate(stored)) {
      this.upsert.run(acc.job, acc.hour, acc.runs, acc.failures, acc.count, acc.sum, acc.min, acc.max, acc.first, acc.last, ...acc.buckets);
    }
  }

  /** Counters summed over the rollups of the hours fromHour <= hour_ms <= toHour. */
  sum(fromHour: number, toHour: number, keys: JobKeys): Rollup {
    return toRollup(this.sums[keys === null ? 0 : 1].get(fromHour, toHour, ...(keys ?? [])));
  }

  /** Runs, failures, first and last instant over the hours fromHour <= hour_ms <= toHour (no durations). */
  counts(fromHour: number, toHour: number, keys: JobKeys): { readonly total: number; readonly succeeded: number; readonly firstMs: number | null; readonly lastMs: number | null } {
    const row = this.countSums[keys === null ? 0 : 1].get(fromHour, toHour, ...(keys ?? []));
    return { total: row?.total ?? 0, succeeded: row?.succeeded ?? 0, firstMs: row?.firstMs ?? null, lastMs: row?.lastMs ?? null };
  }

  /** Runs and distinct jobs in the hours fromHour <= hour_ms <= toHour (bounds for a window within them). */
  hoursSize(fromHour: number, toHour: number): { readonly runs: number; readonly jobs: number } {
    const row = this.statement("SELECT COALESCE(SUM(runs), 0) AS runs, COUNT(DISTINCT job) AS jobs FROM run_rollups WHERE hour_ms >= ? AND hour_ms <= ?").get(fromHour, toHour);
    return { runs: row?.runs ?? 0, jobs: row?.jobs ?? 0 };
  }

  /** The newest hour before `beforeHour` whose rollup has runs of that kind, or null. */
  latestHour(beforeHour: number, keys: JobKeys, kind: HourKind): number | null {
    const condition = kind === "runs" ? "1" : kind === "failures" ? "failures > 0" : "runs > failures";
    const sql = `SELECT MAX(hour_ms) AS hour FROM run_rollups WHERE hour_ms < ? AND ${condition} AND ${jobCondition(keys)}`;
    return this.statement(sql).get(beforeHour, ...(keys ?? []))?.hour ?? null;
  }

  /** The `n`-th newest hour (1 = newest) before `beforeHour` with runs, or null if fewer. */
  nthLatestHour(beforeHour: number, keys: JobKeys, n: number): number | null {
    const sql = `SELECT DISTINCT hour_ms AS hour FROM run_rollups WHERE hour_ms < ? AND ${jobCondition(keys)} ORDER BY hour_ms DESC LIMIT 1 OFFSET ?`;
    return this.statement(sql).get(beforeHour, ...(keys ?? []), n - 1)?.hour ?? null;
  }

  /** Rows in cron_entries, kept by the writer and a delete trigger (see the schema above). */
  storedRuns(): number {
    return this.statement("SELECT stored AS runs FROM run_count WHERE id = 1").get()?.runs ?? 0;
  }

  /** The reads are few and fixed: Bun's statement cache keeps them prepared, and finalizes them at close. */
  private statement(sql: string): Statement<RollupRow, Array<string | number>> {
    return this.db.query<RollupRow, Array<string | number>>(sql);
  }

  finalize(): void {
    for (const statement of [this.upsert, this.countStored, ...this.sums, ...this.countSums]) statement.finalize();
  }
}

/**
 * Forgets the counters of a job whose runs are deleted (`forget JOB --runs`): `name` as lines
 * write it, with `isDefault` also the runs that name no job (stored as '').
 */
export function deleteRollups(db: Database, name: string, isDefault: boolean): void {
  db.query("DELETE FROM run_rollups WHERE job = ?1 OR (?2 = 1 AND job = '')").run(name, isDefault ? 1 : 0);
}

/** `job IN (…)` uses the primary key for one job; all jobs read the hour index. */
function jobCondition(keys: JobKeys): string {
  return keys === null ? "1" : "job IN (?, ?)";
}
