import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseLine, type Run } from "../src/line.ts";
import { averageIntervalSeconds, cacheMetrics, collectCacheFigures, collectStats, windowStats, type StatsSources } from "../src/stats.ts";
import { parseConfig } from "../src/config/load.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { openDatabase } from "../src/store/database.ts";
import { RunWriter } from "../src/store/runs.ts";
import { statsSourcesOf } from "../src/session.ts";
import { JobHistoryQueries } from "../src/store/job-history.ts";
import { tempDir } from "./helpers.ts";

function queriesWith(lines: Array<Record<string, unknown>>): StatsSources {
  const db = openDatabase(join(tempDir(), "ladder.db"));
  const runs = lines.map((fields) => {
    const result = parseLine(JSON.stringify(fields));
    if (result.kind !== "run") throw new Error("bad fixture");
    return result.run as Run;
  });
  const writer = new RunWriter(db, "ladder");
  writer.commit({ runs, starts: [], rejects: [], from: null, to: { source: "s", dev: "0", ino: "0", offset: 1, headHash: "", tailHash: "" } }, "now");
  return statsSourcesOf(db, { jobStates: new JobStateStore(db), alerts: new AlertStore(db), history: new JobHistoryQueries(db) });
}

describe("windowStats and averageIntervalSeconds", () => {
  test.each([
    [{ total: 0, succeeded: 0, firstMs: null, lastMs: null }, { total: 0, succeeded: 0, failed: 0, success_rate: null }, null],
    [{ total: 1, succeeded: 1, firstMs: 5, lastMs: 5 }, { total: 1, succeeded: 1, failed: 0, success_rate: 100 }, null],
    [{ total: 5, succeeded: 3, firstMs: 0, lastMs: 240_000 }, { total: 5, succeeded: 3, failed: 2, success_rate: 60 }, 60],
    [{ total: 3, succeeded: 0, firstMs: 0, lastMs: 3_000 }, { total: 3, succeeded: 0, failed: 3, success_rate: 0 }, 1.5],
  ])("%j", (row, expected, interval) => {
    expect(windowStats(row)).toEqual(expected);
    expect(averageIntervalSeconds(row)).toBe(interval);
  });
});

const cfg = parseConfig("", null, { home: "/h", baseDir: "/h" }).config;

describe("collectStats", () => {
  const now = new Date("2025-07-29T12:00:00Z");

  test("windows use the normalised instant, so mixed offsets count correctly", () => {
    const queries = queriesWith([
      // 11:30Z, inside 24h although its text sorts after "now" and before other lines
      { ts: "2025-07-29T13:30:00+02:00", exit: 0, msg: "a" },
      // 12:30Z: after now, not counted although its text sorts before "now"
      { ts: "2025-07-29T07:30:00-05:00", exit: 1, msg: "future" },
      // 2025-07-28T11:00Z: 25 h ago, only in 7 days
      { ts: "2025-07-28T13:00:00+02:00", exit: 1, msg: "yesterday" },
      // exactly 24h before now: outside the 24h window (windows are (now-24h, now])
      { ts: "2025-07-28T12:00:00Z", exit: 0, msg: "boundary" },
      // 8 days ago: in neither window
      { ts: "2025-07-21T12:00:00Z", exit: 1, msg: "old" },
    ]);
    const stats = collectStats(queries, now, cfg);
    expect(stats.total_entries).toBe(5);
    expect(stats.last_24h).toEqual({ total: 1, succeeded: 1, failed: 0, success_rate: 100 });
    expect(stats.last_7d).toEqual({ total: 3, succeeded: 2, failed: 1, success_rate: (2 / 3) * 100 });
    expect(stats.last_failure).toEqual({ ts: "2025-07-28T13:00:00+02:00", exit: 1, msg: "yesterday", job: "ladder" });
    // 7 days: 2025-07-28T11:00Z, 12:00Z, 2025-07-29T11:30Z: (24.5 h) / 2 gaps
    expect(stats.average_interval_seconds).toBe((24.5 * 3600) / 2);
  });

  test("an empty database gives zeros and nulls", () => {
    const stats = collectStats(queriesWith([]), now, cfg);
    expect(stats).toEqual({
      now: now.toISOString(),
      total_entries: 0,
      rejected_lines: 0,
      last_24h: { total: 0, succeeded: 0, failed: 0, success_rate: null },
      last_7d: { total: 0, succeeded: 0, failed: 0, success_rate: null },
      average_interval_seconds: null,
      last_failure: null,
      jobs: [],
      watch_gap: null,
      newest_rejects: [],
    });
  });

  test("per job: runs without job belong to the default job, and --job narrows everything", () => {
    const queries = queriesWith([
      { ts: "2025-07-29T11:00:00Z", exit: 0, msg: "ok" },
      { ts: "2025-07-29T11:01:00Z", exit: 2, msg: "bad", job: "ladder" },
      { ts: "2025-07-29T11:00:00Z", exit: 0, msg: "ok", job: "backup" },
      { ts: "2025-07-29T11:30:00Z", exit: 0, msg: "ok again", job: "backup", duration_ms: 5 },
    ]);
    const stats = collectStats(queries, now, cfg);
    expect(stats.jobs.map((job) => [job.name, job.last_24h.total, job.last_24h.failed, job.last_failure?.msg ?? null])).toEqual([
      ["backup", 2, 0, null],
      ["ladder", 2, 1, "bad"],
    ]);
    const backup = collectStats(queries, now, cfg, "backup");
    expect(backup.last_24h.total).toBe(2);
    expect(backup.average_interval_seconds).toBe(1800);
    expect(backup.recent_runs).toEqual([
      { ts: "2025-07-29T11:30:00Z", exit: 0, msg: "ok again", duration_ms: 5 },
      { ts: "2025-07-29T11:00:00Z", exit: 0, msg: "ok", duration_ms: null },
    ]);
  });
});

describe("the stats_cache figures", () => {
  test("are the whole log's figures of collectStats(), computed without the per-job lookups", () => {
    const now = new Date("2025-07-29T12:00:00Z");
    const lines = Array.from({ length: 60 }, (_, index) => ({
      ts: new Date(now.getTime() - index * 3.7 * 3_600_000).toISOString(),
      exit: index % 7 === 0 ? 1 : 0,
      msg: `run ${index}`,
      ...(index % 3 === 0 ? { job: `job-${index % 4}` } : {}),
    }));
    const sources = queriesWith(lines);
    const stats = collectStats(sources, now, cfg);
    expect(collectCacheFigures(sources.queries, now)).toEqual({
      total_entries: stats.total_entries,
      rejected_lines: stats.rejected_lines,
      last_24h: stats.last_24h,
      last_7d: stats.last_7d,
      average_interval_seconds: stats.average_interval_seconds,
    });
    expect(cacheMetrics(collectCacheFigures(sources.queries, now))).toEqual(cacheMetrics(stats));
  });
});
