import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Run } from "../src/line.ts";
import type { JobHistory, RunStart } from "../src/records.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobHistoryQueries, type JobRef } from "../src/store/job-history.ts";
import { pruneRuns } from "../src/store/retention.ts";
import { RunWriter } from "../src/store/runs.ts";
import { StatsQueries } from "../src/store/stats-queries.ts";
import { random } from "./seeded-random.ts";
import { tempDir } from "./helpers.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2025, 6, 29, 12, 0, 0);
const DEFAULT_JOB = "ladder";

/** Instants over 10 days before NOW and 1 after, many on or next to hour boundaries, some repeated. */
function instant(next: () => number): number {
  const ms = NOW - 10 * DAY + Math.floor(next() * 11 * DAY);
  if (next() < 0.5) return ms;
  const hour = ms - (ms % HOUR);
  return hour + [-1, 0, 1][Math.floor(next() * 3)]!;
}

// Per job: how often a run fails. "down" fails for long stretches (streaks over many hours),
// "broken" never succeeds, the default job runs both with and without its name.
const FAILURE_RATE: Record<string, number> = { [DEFAULT_JOB]: 0.3, alpha: 0.1, down: 0.9, broken: 1 };
const STORED_NAMES = [null, DEFAULT_JOB, "alpha", "down", "broken"];

function randomRuns(seed: number, count: number): Run[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const epochMs = instant(next);
    const job = STORED_NAMES[Math.floor(next() * STORED_NAMES.length)] ?? null;
    const exit = next() < (FAILURE_RATE[job ?? DEFAULT_JOB] ?? 0) ? 1 + Math.floor(next() * 3) : 0;
    const durationMs = next() < 0.2 ? null : Math.floor(next() * 10_000);
    return { ts: new Date(epochMs).toISOString(), epochMs, exit, msg: `run ${i}`, job, durationMs, host: null, extra: null };
  });
}

function randomStarts(seed: number, count: number): RunStart[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const epochMs = instant(next);
    return { ts: new Date(epochMs).toISOString(), epochMs, runId: `start-${i}`, job: STORED_NAMES[Math.floor(next() * STORED_NAMES.length)] ?? null, host: null };
  });
}

/** Commits through the real writer (so the rollups are kept as in production), in uneven batches. */
function writeAll(db: Database, runs: readonly Run[], starts: readonly RunStart[]): void {
  const writer = new RunWriter(db);
  let from = null;
  for (let start = 0; start < runs.length; start += 250) {
    const to = { source: "s", dev: "0", ino: "0", offset: start + 1, headHash: "", tailHash: "" };
    writer.commit({ runs: runs.slice(start, start + 250), starts: starts.slice(start / 10, start / 10 + 25), rejects: [], from, to }, "now");
    from = to;
  }
  writer.finalize();
}

// The plain answers: the statements historyAt used before, on cron_entries without any index.
const SCAN_JOB = "(job = ?2 OR (?3 = 1 AND job IS NULL))";

function scannedHistory(db: Database, job: JobRef, now: number): Omit<JobHistory, "watchedSinceMs"> {
  const params: [number, string, number] = [now, job.name, job.isDefault ? 1 : 0];
  const last = db
    .query<{ ms: number; exit: number; duration: number | null }, [number, string, number]>(
      `SELECT ts_ms AS ms, exit_code AS exit, duration_ms AS duration FROM cron_entries NOT INDEXED
       WHERE ts_ms <= ?1 AND ${SCAN_JOB} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    )
    .get(...params);
  const lastSuccessMs =
    db.query<{ ms: number | null }, [number, string, number]>(`SELECT MAX(ts_ms) AS ms FROM cron_entries NOT INDEXED WHERE exit_code = 0 AND ts_ms <= ?1 AND ${SCAN_JOB}`).get(...params)?.ms ?? null;
  const failures =
    db
      .query<{ n: number }, [number, string, number, number]>(`SELECT COUNT(*) AS n FROM cron_entries NOT INDEXED WHERE exit_code != 0 AND ts_ms > ?4 AND ts_ms <= ?1 AND ${SCAN_JOB}`)
      .get(...params, lastSuccessMs ?? Number.MIN_SAFE_INTEGER)?.n ?? 0;
  const start = db
    .query<{ ms: number; finished: number | null }, [number, string, number]>(
      `SELECT ts_ms AS ms, finished_ms AS finished FROM run_starts NOT INDEXED WHERE ts_ms <= ?1 AND ${SCAN_JOB} ORDER BY ts_ms DESC LIMIT 1`,
    )
    .get(...params);
  return {
    lastRun: last ? { ms: last.ms, exit: last.exit, durationMs: last.duration } : null,
    failureStreak: last && last.exit !== 0 ? failures : 0,
    lastSuccessMs,
    lastStartMs: start?.ms ?? null,
    openStartMs: start && (start.finished === null || start.finished > now) ? start.ms : null,
  };
}

const JOBS: JobRef[] = [
  { name: DEFAULT_JOB, isDefault: true, key: "" },
  { name: "alpha", isDefault: false, key: "alpha" },
  { name: "down", isDefault: false, key: "down" },
  { name: "broken", isDefault: false, key: "broken" },
  { name: "nobody", isDefault: false, key: "nobody" },
  // The default job's name without being the default (another config): its named runs only.
  { name: DEFAULT_JOB, isDefault: false, key: DEFAULT_JOB },
];

function expectSameAsScan(db: Database, nows: readonly number[]): void {
  const history = new JobHistoryQueries(db);
  for (const now of nows) {
    for (const job of JOBS) {
      const { watchedSinceMs: _, ...answer } = history.historyAt(job, now);
      expect({ now, job, ...answer }).toEqual({ now, job, ...scannedHistory(db, job, now) });
    }
  }
  history.finalize();
}

function randomNows(seed: number, count: number): number[] {
  const next = random(seed);
  // On an hour, next to one, now, and instants back to before the first run (a past --now).
  return [NOW, NOW - 1, NOW + 1, NOW - 11 * DAY, ...Array.from({ length: count }, () => instant(next))];
}

describe("a job's history as of an instant", () => {
  test("matches a full scan on random data, for past instants and the default job with and without its name", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, randomRuns(21, 4000), randomStarts(22, 400));
    expectSameAsScan(db, randomNows(23, 40));
    db.close();
  });

  test("still matches after retention pruned the oldest runs (their rollups stay)", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, randomRuns(31, 3000), randomStarts(32, 300));
    pruneRuns(db, NOW - 4 * DAY - 1234);
    expectSameAsScan(db, randomNows(33, 30));
    db.close();
  });
});

/** `count` runs of `job`, evenly over fromMs < instant <= toMs; a success every `successEvery` (0: none). */
function loop(job: string | null, fromMs: number, toMs: number, count: number, successEvery = 0): Run[] {
  return Array.from({ length: count }, (_, i) => {
    const epochMs = fromMs + 1 + Math.floor(((toMs - fromMs - 1) * i) / Math.max(1, count - 1));
    const exit = successEvery > 0 && i % successEvery === 0 ? 0 : 1;
    return { ts: new Date(epochMs).toISOString(), epochMs, exit, msg: `loop ${job} ${i}`, job, durationMs: 5, host: null, extra: null };
  });
}

describe("a crash loop in the current hour", () => {
  const T = NOW + 1_234_567; // 12:20:34.567
  const nows = [T, T - 1, T - 600_000, NOW, NOW + HOUR - 1, NOW + HOUR];

  test("the history matches a full scan, with runs dated after now in that hour, a past --now and pruning", () => {
    const runs = [
      ...randomRuns(61, 1500),
      // "down" succeeded in the hour before, then failed without a pause; "broken" and the default job fail throughout.
      ...loop("down", NOW - HOUR, NOW - 1, 50, 7),
      ...loop("down", NOW - 1, T, 3000),
      ...loop("broken", NOW - 1, T, 1500),
      ...loop(null, NOW - 1, T, 1500, 400),
      ...loop("down", T, NOW + HOUR - 1, 30),
      ...loop(null, T, NOW + HOUR - 1, 30),
    ];
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, runs, []);
    expectSameAsScan(db, nows);
    // Retention cut into the hour: its rollup counts runs no longer stored.
    pruneRuns(db, NOW + 300_000, Infinity);
    expectSameAsScan(db, nows);
    db.close();
  });

  test("a failure dated after now in the current hour is not in the streak", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, [...loop("down", NOW - 1, T, 200), ...loop("down", T, T + 1, 1)], []);
    const history = new JobHistoryQueries(db);
    expect(history.historyAt({ name: "down", isDefault: false, key: "down" }, T).failureStreak).toBe(200);
    history.finalize();
    db.close();
  });

  test("a current hour that retention pruned in part counts only the failures still stored", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    writeAll(db, loop("down", NOW - 1, T, 200), []);
    pruneRuns(db, NOW + 600_000, Infinity);
    const history = new JobHistoryQueries(db);
    const down = { name: "down", isDefault: false, key: "down" };
    expect(history.historyAt(down, T).failureStreak).toBe(scannedHistory(db, down, T).failureStreak);
    expect(history.historyAt(down, T).failureStreak).toBeLessThan(200);
    history.finalize();
    db.close();
  });
});

/**
 * Records the SQL of every statement a store prepares, to read its query plan: the database is
 * the real one, only `prepare` and `query` are watched.
 */
function recordingStatements(db: Database): { readonly db: Database; readonly sql: Set<string> } {
  const sql = new Set<string>();
  const watched = new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === "prepare" || property === "query") && typeof value === "function") {
        return (text: string) => {
          sql.add(text);
          return (value as (text: string) => unknown).call(target, text);
        };
      }
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: watched, sql };
}

/** The plan's lines that read a table of runs (not subqueries, temp b-trees or constant rows). */
function tableAccesses(db: Database, sql: string): string[] {
  const plan = db.query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`).all();
  return plan.map((row) => row.detail).filter((detail) => /^(SCAN|SEARCH) (cron_entries|run_starts|run_rollups)\b/.test(detail));
}

describe("the per-job statements are bounded by their query plans", () => {
  test("every statement naming a job searches an index by job (or ids from one), never a time range alone or a full scan", () => {
    const { db, sql } = recordingStatements(openDatabase(join(tempDir(), "ladder.db")));
    writeAll(db, randomRuns(41, 500), randomStarts(42, 50));
    const history = new JobHistoryQueries(db);
    const queries = new StatsQueries(db);
    // Run every lookup once, so the lazily prepared statements are prepared too.
    const filter = { kind: "job", name: "alpha", isDefault: false } as const;
    for (const job of JOBS) history.historyAt(job, NOW);
    queries.window(NOW - 7 * DAY - 1, NOW - 1, filter);
    queries.durationPercentile(NOW - 7 * DAY, NOW, filter, 0.5);
    queries.lastFailure(NOW, filter);
    queries.lastSuccessMs(NOW, filter);
    queries.recentRuns(NOW, filter);
    const perJob = [...sql].filter((text) => /\bjob (=|IS NULL|IN)/.test(text) && !/^\s*(INSERT|UPDATE|DELETE)/.test(text) && !/FROM jobs\b/.test(text));
    expect(perJob.length).toBeGreaterThanOrEqual(12);
    for (const text of perJob) {
      const accesses = tableAccesses(db, text);
      expect({ text, accesses }).toEqual({ text, accesses: accesses.filter((detail) => /^SEARCH .*(\(job=\?|\(rowid=\?\))/.test(detail)) });
      expect(accesses.length).toBeGreaterThan(0);
    }
    history.finalize();
    db.close();
  });
});
