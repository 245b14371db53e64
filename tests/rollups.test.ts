import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BUCKET_COUNT, MAX_ABSOLUTE_ERROR_BELOW_1_MS, MAX_RELATIVE_ERROR, bucketOf, percentile } from "../src/duration-histogram.ts";
import type { Run } from "../src/line.ts";
import { jobFilter } from "../src/stats.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { migrations } from "../src/store/migrations.ts";
import { pruneRuns } from "../src/store/retention.ts";
import { runKey } from "../src/store/run-key.ts";
import { RunWriter } from "../src/store/runs.ts";
import { StatsQueries, type JobFilter, type WindowRow } from "../src/store/stats-queries.ts";
import { createPythonDatabase, tempDir } from "./helpers.ts";
import { random } from "./seeded-random.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 6, 29, 12, 0, 0);
const DEFAULT_JOB = "ladder";

/** Durations that hit bucket bounds exactly, just below them, under 1 ms, and spread log-uniformly. */
function duration(next: () => number): number | null {
  const pick = next();
  if (pick < 0.2) return null;
  if (pick < 0.3) return [0, 0.25, 0.999, 1, Math.SQRT2, 2, 2 ** 1.5, 4096, 2 ** 20.5][Math.floor(next() * 9)] ?? 0;
  if (pick < 0.35) return 2 ** (Math.floor(next() * 60) / 2) * (1 - 1e-15);
  return Math.round(10 ** (next() * 7) * 1000) / 1000;
}

/** Instants spread over 10 days before NOW and 1 day after, a third of them on or next to hour boundaries. */
function instant(next: () => number): number {
  const ms = NOW - 10 * DAY + Math.floor(next() * 11 * DAY);
  if (next() < 0.66) return ms;
  const hour = ms - (ms % HOUR);
  return hour + [-1, 0, 1][Math.floor(next() * 3)]!;
}

function randomRuns(seed: number, count: number): Run[] {
  const next = random(seed);
  const jobs = [null, DEFAULT_JOB, "alpha", "beta"];
  return Array.from({ length: count }, (_, i) => {
    const epochMs = instant(next);
    const ts = new Date(epochMs).toISOString();
    const exit = next() < 0.25 ? 1 + Math.floor(next() * 3) : 0;
    const job = jobs[Math.floor(next() * jobs.length)] ?? null;
    return { ts, epochMs, exit, msg: `run ${i}`, job, durationMs: duration(next), host: null, extra: null };
  });
}

/** Commits runs through the real writer in batches of varying size, each batch also repeating earlier runs. */
function writeAll(db: Database, runs: readonly Run[], seed: number): void {
  const writer = new RunWriter(db);
  const next = random(seed);
  let from = null;
  let offset = 0;
  for (let start = 0; start < runs.length; ) {
    const size = 1 + Math.floor(next() * 400);
    const repeated = runs.slice(Math.max(0, start - 20), start);
    const batch = [...runs.slice(start, start + size), ...repeated];
    offset += batch.length;
    const to = { source: "s", dev: "0", ino: "0", offset, headHash: "", tailHash: "" };
    writer.commit({ runs: batch, starts: [], rejects: [], from, to }, "now");
    from = to;
    start += size;
  }
  writer.finalize();
}

// The plain answers: full scans of cron_entries, no rollups, no index.
const SCAN_JOB = "(?5 = 0 OR job = ?3 OR (?4 = 1 AND job IS NULL))";

function scanParams(from: number, to: number, filter: JobFilter): [number, number, string, number, number] {
  return filter.kind === "all" ? [from, to, "", 0, 0] : [from, to, filter.name, filter.isDefault ? 1 : 0, 1];
}

function scanWindow(db: Database, from: number, to: number, filter: JobFilter): WindowRow {
  const row = db
    .query<WindowRow, [number, number, string, number, number]>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(exit_code = 0), 0) AS succeeded, MIN(ts_ms) AS firstMs, MAX(ts_ms) AS lastMs
       FROM cron_entries NOT INDEXED WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${SCAN_JOB}`,
    )
    .get(...scanParams(from, to, filter));
  if (!row) throw new Error("an aggregate returns one row");
  return row;
}

function scanNewest(db: Database, condition: string, until: number, filter: JobFilter): { id: number; ts_ms: number } | null {
  return db
    .query<{ id: number; ts_ms: number }, [number, number, string, number, number]>(
      `SELECT id, ts_ms FROM cron_entries NOT INDEXED WHERE ${condition} AND ts_ms > ?1 AND ts_ms <= ?2 AND ${SCAN_JOB}
       ORDER BY ts_ms DESC, id DESC LIMIT 10`,
    )
    .get(...scanParams(Number.MIN_SAFE_INTEGER, until, filter));
}

function scanPercentile(db: Database, from: number, to: number, filter: JobFilter, p: number): number | null {
  const durations = db
    .query<{ d: number }, [number, number, string, number, number]>(
      `SELECT duration_ms AS d FROM cron_entries NOT INDEXED WHERE duration_ms IS NOT NULL AND ts_ms > ?1 AND ts_ms <= ?2 AND ${SCAN_JOB} ORDER BY duration_ms`,
    )
    .all(...scanParams(from, to, filter))
    .map((row) => row.d);
  if (durations.length === 0) return null;
  return durations[Math.max(1, Math.ceil(p * durations.length)) - 1] ?? null;
}

function expectWithinHistogramError(estimate: number | null, exact: number | null): void {
  if (exact === null) return expect(estimate).toBeNull();
  expect(estimate).not.toBeNull();
  const allowed = exact < 1 ? MAX_ABSOLUTE_ERROR_BELOW_1_MS : exact * MAX_RELATIVE_ERROR * (1 + 1e-9);
  expect(Math.abs((estimate ?? Number.NaN) - exact)).toBeLessThanOrEqual(allowed);
}

const FILTERS: JobFilter[] = [{ kind: "all" }, jobFilter(DEFAULT_JOB, DEFAULT_JOB), jobFilter("alpha", DEFAULT_JOB), jobFilter("beta", DEFAULT_JOB), jobFilter("nobody", DEFAULT_JOB)];
// On an hour, next to one, in the middle of one, and a day back.
const NOWS = [NOW, NOW - 1, NOW + 1, NOW + 1_234_567, NOW - DAY - 1, NOW - 3 * DAY + 59_999];

function expectSameAsScan(db: Database, nows: readonly number[] = NOWS): void {
  const queries = new StatsQueries(db);
  const fromHistograms = new StatsQueries(db, 0);
  expect(queries.totalEntries()).toBe(db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM cron_entries").get()?.n ?? -1);
  for (const now of nows) {
    for (const filter of FILTERS) {
      for (const span of [DAY, 7 * DAY, HOUR / 2, 2 * HOUR]) {
        expect({ now, filter, span, ...queries.window(now - span, now, filter) }).toEqual({ now, filter, span, ...scanWindow(db, now - span, now, filter) });
      }
      for (const p of [0.01, 0.5, 0.95, 1]) {
        const exact = scanPercentile(db, now - 7 * DAY, now, filter, p);
        expect(queries.durationPercentile(now - 7 * DAY, now, filter, p)).toBe(exact); // a small window: read from the rows
        expectWithinHistogramError(fromHistograms.durationPercentile(now - 7 * DAY, now, filter, p), exact);
      }
      expect(queries.lastRunMs(now, filter)).toBe(scanNewest(db, "1", now, filter)?.ts_ms ?? null);
      expect(queries.lastSuccessMs(now, filter)).toBe(scanNewest(db, "exit_code = 0", now, filter)?.ts_ms ?? null);
      expect(queries.lastFailure(now, filter)?.id ?? null).toBe(scanNewest(db, "exit_code != 0", now, filter)?.id ?? null);
      const recent = db
        .query<{ id: number }, [number, number, string, number, number]>(
          `SELECT id FROM cron_entries NOT INDEXED WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${SCAN_JOB} ORDER BY ts_ms DESC, id DESC LIMIT 10`,
        )
        .all(...scanParams(Number.MIN_SAFE_INTEGER, now, filter));
      expect(queries.recentRuns(now, filter).map((row) => row.id)).toEqual(recent.map((row) => row.id));
    }
  }
}

describe("duration histogram", () => {
  test("bucket bounds are 2^(k/2) ms, under 1 ms in bucket 0, the rest in the last", () => {
    expect([0, 0.999, 1, 1.414, Math.SQRT2, 2, 3, 2 ** 31, 1e12].map(bucketOf)).toEqual([0, 0, 1, 1, 2, 3, 4, 63, BUCKET_COUNT - 1]);
  });

  test("a percentile is the geometric middle of its bucket, clamped to the smallest and largest duration", () => {
    const buckets = new Array<number>(BUCKET_COUNT).fill(0);
    buckets[bucketOf(100)] = 3;
    buckets[bucketOf(730)] = 1;
    const summary = { count: 4, minMs: 95, maxMs: 730, buckets };
    expect(percentile(summary, 0.5)).toBeCloseTo(2 ** ((2 * bucketOf(100) - 1) / 4), 9);
    expect(percentile(summary, 1)).toBe(730); // the middle of [724, 1024) lies above the largest duration
    expect(percentile({ count: 0, minMs: null, maxMs: null, buckets }, 0.5)).toBeNull();
  });
});

describe("stats from rollups", () => {
  test("every window, percentile and newest-run answer matches a full scan on random data", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, randomRuns(11, 3000), 12);
    expectSameAsScan(db);
    db.close();
  });

  test("pruned runs leave their rollups: whole hours keep counting them, the stored-run count follows the rows", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, randomRuns(21, 2000), 22);
    const queries = new StatsQueries(db);
    // (NOW - 7 d - 1 ms, NOW] starts with a whole hour; (NOW - 7 d, NOW] misses the first millisecond
    // of its first hour, which is then read from the rows.
    const aligned = queries.window(NOW - 7 * DAY - 1, NOW, { kind: "all" });
    const before = queries.window(NOW - 7 * DAY, NOW, { kind: "all" });
    pruneRuns(db, NOW - 3 * DAY, Infinity);
    const stored = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM cron_entries").get()?.n;
    expect(queries.totalEntries()).toBe(stored ?? -1);
    const after = new StatsQueries(db);
    expect(after.window(NOW - 7 * DAY - 1, NOW, { kind: "all" })).toEqual(aligned);
    expect(scanWindow(db, NOW - 7 * DAY - 1, NOW, { kind: "all" })).not.toEqual(aligned);
    // The partial first hour counts only what is still stored.
    const partialHour = scanWindow(db, NOW - 7 * DAY - 1, NOW - 6 * DAY - 23 * HOUR - 1, { kind: "all" });
    expect(partialHour.total).toBe(0);
    expect(after.window(NOW - 7 * DAY, NOW, { kind: "all" }).total).toBeLessThan(before.total);
    db.close();
  });
});

/** A crash loop: `count` failing runs of alpha and of runs without a job, evenly over fromMs < instant <= toMs. */
function crashLoop(fromMs: number, toMs: number, count: number): Run[] {
  return Array.from({ length: count }, (_, i) => {
    const epochMs = fromMs + 1 + Math.floor(((toMs - fromMs - 1) * i) / Math.max(1, count - 1));
    const job = i % 2 === 0 ? "alpha" : null;
    return { ts: new Date(epochMs).toISOString(), epochMs, exit: 1, msg: `loop ${i}`, job, durationMs: i % 5 === 0 ? null : 10 + (i % 997), host: null, extra: null };
  });
}

describe("a burst in the partial hour at the new end of a window", () => {
  const T = NOW + 1_234_567; // 12:20:34.567, in NOWS
  const hour = NOW;
  // The instants around the burst: its end, a past --now inside it, the hour's first and last ms.
  const burstNows = [T, T - 1, T - 600_000, hour, hour + HOUR - 1, hour + HOUR];

  test("matches a full scan, whether or not runs of that hour are dated after now", () => {
    for (const [seed, after] of [[71, 0], [73, 40]] as const) {
      const db = openDatabase(join(tempDir(), "ladder.db"));
      const runs = [...randomRuns(seed, 1000), ...crashLoop(hour - 1, T, 1500), ...crashLoop(T, hour + HOUR - 1, after)];
      writeAll(db, runs, seed + 1);
      expectSameAsScan(db, burstNows);
      db.close();
    }
  });

  test("a run dated after now in the current hour is not counted (the hour's rollup holds it)", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, [...crashLoop(hour - 1, T, 300), ...crashLoop(T, T + 1, 1)], 81);
    const queries = new StatsQueries(db);
    for (const [filter, runs] of [[{ kind: "all" }, 300], [jobFilter("alpha", DEFAULT_JOB), 150]] as const) {
      expect(queries.window(T - DAY, T, filter)).toEqual(scanWindow(db, T - DAY, T, filter));
      expect(queries.window(T - DAY, T, filter).total).toBe(runs);
      expect(queries.aggregate(T - 7 * DAY, T, filter).runs).toBe(runs);
    }
    db.close();
  });

  test("a current hour that retention pruned in part counts only the runs still stored", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, crashLoop(hour - 1, T, 400), 91);
    pruneRuns(db, hour + 600_000, Infinity);
    const stored = scanWindow(db, T - DAY, T, { kind: "all" });
    expect(stored.total).toBeGreaterThan(0);
    expect(stored.total).toBeLessThan(400);
    const queries = new StatsQueries(db);
    for (const filter of FILTERS) expect(queries.window(T - DAY, T, filter)).toEqual(scanWindow(db, T - DAY, T, filter));
    expect(queries.aggregate(T - DAY, T, { kind: "all" }).runs).toBe(stored.total);
    db.close();
  });
});

describe("a burst in the partial hour at the old end of a window", () => {
  const hour = NOW;
  const burst = crashLoop(hour + 600_000, hour + 2_400_000, 3000); // 12:10 to 12:40
  // Windows of a day whose old end lies before the burst in its hour, within it, and after it.
  const nows = [hour + 300_000, hour + 1_500_000, hour + 3_000_000].map((from) => from + DAY);

  test("matches a full scan, before and after retention pruned part of that hour", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, [...randomRuns(101, 1500), ...burst], 102);
    expectSameAsScan(db, nows);
    pruneRuns(db, hour + 900_000, Infinity);
    // Windows reaching further back count the pruned runs in their whole hours (see above).
    const queries = new StatsQueries(db);
    for (const now of nows) {
      for (const filter of FILTERS) expect({ now, filter, ...queries.window(now - DAY, now, filter) }).toEqual({ now, filter, ...scanWindow(db, now - DAY, now, filter) });
    }
    db.close();
  });

  test("an hour that retention pruned in part counts only the runs still stored", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, burst, 103);
    pruneRuns(db, hour + 900_000, Infinity);
    const now = hour + 300_000 + DAY;
    const stored = scanWindow(db, now - DAY, now, { kind: "all" }).total;
    expect(stored).toBeLessThan(3000);
    expect(new StatsQueries(db).window(now - DAY, now, { kind: "all" }).total).toBe(stored);
    expect(new StatsQueries(db).aggregate(now - DAY, now, { kind: "all" }).runs).toBe(stored);
    db.close();
  });
});

describe("forgetting a job with its runs", () => {
  test("takes its counters out of every window; the other jobs keep theirs", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, randomRuns(51, 1500), 52);
    new JobStateStore(db).forget("", DEFAULT_JOB, true, true);
    new JobStateStore(db).forget("alpha", "alpha", false, true);
    const queries = new StatsQueries(db);
    expect(queries.window(NOW - 7 * DAY, NOW, jobFilter(DEFAULT_JOB, DEFAULT_JOB)).total).toBe(0);
    expect(queries.window(NOW - 7 * DAY, NOW, jobFilter("alpha", DEFAULT_JOB)).total).toBe(0);
    expect(queries.window(NOW - 7 * DAY, NOW, { kind: "all" })).toEqual(scanWindow(db, NOW - 7 * DAY, NOW, { kind: "all" }));
    expect(queries.window(NOW - 7 * DAY, NOW, jobFilter("beta", DEFAULT_JOB)).total).toBeGreaterThan(0);
    expect(queries.totalEntries()).toBe(db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM cron_entries").get()?.n ?? -1);
    db.close();
  });
});

describe("the last window is remembered only while nothing changes", () => {
  test("runs written since, through this connection or another, are counted", () => {
    const path = join(tempDir(), "ladder.db");
    const db = openDatabase(path);
    const runs = randomRuns(41, 600);
    const queries = new StatsQueries(db);
    const all: JobFilter = { kind: "all" };
    writeAll(db, runs.slice(0, 200), 42);
    const first = queries.window(NOW - 7 * DAY, NOW, all).total;
    expect(queries.window(NOW - 7 * DAY, NOW, all).total).toBe(first);
    const writer = new RunWriter(db);
    const to = (offset: number) => ({ source: "other", dev: "0", ino: "0", offset, headHash: "", tailHash: "" });
    writer.commit({ runs: runs.slice(200, 400), starts: [], rejects: [], from: null, to: to(1) }, "now");
    writer.finalize();
    const second = queries.window(NOW - 7 * DAY, NOW, all).total;
    expect(second).toBe(scanWindow(db, NOW - 7 * DAY, NOW, all).total);
    expect(second).toBeGreaterThan(first);
    const other = openDatabase(path);
    const otherWriter = new RunWriter(other);
    otherWriter.commit({ runs: runs.slice(400), starts: [], rejects: [], from: to(1), to: to(2) }, "now");
    otherWriter.finalize();
    other.close();
    expect(queries.window(NOW - 7 * DAY, NOW, all).total).toBe(scanWindow(db, NOW - 7 * DAY, NOW, all).total);
    expect(queries.window(NOW - 7 * DAY, NOW, all).total).toBeGreaterThan(second);
    db.close();
  });
});

/** A database with the migrations `keep` selects applied, holding `runs` written without rollups. */
function oldDatabase(path: string, keep: (migration: (typeof migrations)[number]) => boolean, runs: readonly Run[]): void {
  const old = new Database(path, { create: true });
  for (const migration of migrations.filter(keep)) {
    migration.up(old);
    old.run(`PRAGMA user_version = ${migration.version}`);
  }
  const insert = old.prepare(
    "INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms, job, duration_ms, run_key) VALUES (?, ?, ?, 'old', ?, ?, ?, ?)",
  );
  old.transaction(() => {
    for (const run of runs) insert.run(run.ts, run.exit, run.msg, run.epochMs, run.job, run.durationMs, runKey(run.ts, run.exit, run.msg, run.job));
  })();
  insert.finalize();
  old.close();
}

describe("migration 6 builds the rollups of existing databases", () => {
  function rollupRows(db: Database): Array<Record<string, unknown>> {
    return db.query<Record<string, unknown>, []>("SELECT * FROM run_rollups ORDER BY job, hour_ms").all();
  }

  test("a version 5 database gets the same rollups as the writer builds, row for row", () => {
    const runs = randomRuns(31, 2000);
    const written = openDatabase(join(tempDir(), "written.db"));
    writeAll(written, runs, 32);

    const path = join(tempDir(), "v5.db");
    oldDatabase(path, (m) => m.version <= 5, runs);
    const migrated = openDatabase(path);
    const expected = rollupRows(written);
    const actual = rollupRows(migrated);
    expect(actual.length).toBe(expected.length);
    // Sums of durations may differ in the last bits (another order of addition); everything else is equal.
    const withoutSum = (rows: Array<Record<string, unknown>>) => rows.map(({ duration_sum: _, ...rest }) => rest);
    expect(withoutSum(actual)).toEqual(withoutSum(expected));
    actual.forEach((row, i) => expect(row.duration_sum as number).toBeCloseTo(expected[i]?.duration_sum as number, 3));
    expectSameAsScan(migrated);
    written.close();
    migrated.close();
  });

  test("a Python collector database: its runs are counted, the one with an unreadable time only in the total", () => {
    const path = join(tempDir(), "ladder.db");
    createPythonDatabase(path);
    const db = openDatabase(path);
    expect(db.query("SELECT job, hour_ms, runs, failures, duration_count, first_ms, last_ms FROM run_rollups").all()).toEqual([
      { job: "", hour_ms: Date.UTC(2025, 6, 29, 4), runs: 4, failures: 2, duration_count: 0, first_ms: Date.UTC(2025, 6, 29, 4, 30), last_ms: Date.UTC(2025, 6, 29, 4, 34, 0, 250) },
    ]);
    const queries = new StatsQueries(db);
    expect(queries.totalEntries()).toBe(5);
    expect(queries.window(NOW - DAY, NOW, jobFilter(DEFAULT_JOB, DEFAULT_JOB))).toEqual({ total: 4, succeeded: 2, firstMs: Date.UTC(2025, 6, 29, 4, 30), lastMs: Date.UTC(2025, 6, 29, 4, 34, 0, 250) });
    expectSameAsScan(db);
    db.close();
  });
});
