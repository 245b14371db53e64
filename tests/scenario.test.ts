/**
 * A simulated week of three jobs, driven through the real ingest, store, status function and alert
 * policy with an injected clock: the exact alerts written to the outbox, and the state at chosen
 * instants (also reproduced afterwards "as of" those instants, as --stats --now does).
 *
 * Week of Mon 2025-03-24 to Mon 2025-03-31 (UTC; Europe/Berlin springs forward on Sun 03-30):
 * - fast:   every 5m, grace 1m. Fails Tue 10:00-10:10, silent Wed 11:55-13:00, keeps running while
 *           the collector is down all Thursday (one failure at Thu 06:00), paused Fri 18:00-20:00
 *           while it fails once and stops for an hour.
 * - hourly: cron "0 * * * *" in Europe/Berlin, grace 10m, max_duration 30m, with start markers.
 *           Tue 15:00 runs 45m (over max_duration); Wed 09:00 runs 20m (longer than its grace).
 * - daily:  cron "0 3 * * *" in Europe/Berlin, grace 15m. Does not run on Sunday, the DST day.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { Ingest } from "../src/ingest.ts";
import { jobStatus } from "../src/job-status.ts";
import { createLogger } from "../src/logger.ts";
import { ScheduleMonitor } from "../src/monitor.ts";
import type { Checkpoint, Run, RunStart } from "../src/records.ts";
import { collectStats } from "../src/stats.ts";
import { statsSourcesOf } from "../src/session.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobHistoryQueries } from "../src/store/job-history.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { RunWriter } from "../src/store/runs.ts";
import { tempDir } from "./helpers.ts";

const T = (iso: string): number => Date.parse(iso);
const MIN = 60_000;
const HOUR = 60 * MIN;
const START = T("2025-03-24T00:00:00Z");
const END = T("2025-03-31T06:00:00Z");

const CONFIG = `
check_interval: 5m
notify:
  max_per_minute: 100
jobs:
  fast:   { every: 5m, grace: 1m }
  hourly: { cron: "0 * * * *", timezone: Europe/Berlin, grace: 10m, max_duration: 30m }
  daily:  { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m }
`;

/** A line and the instant it is appended to the file. */
interface Event {
  readonly appearsAt: number;
  readonly run?: Run;
  readonly start?: RunStart;
}

const run = (job: string, ms: number, exit = 0, durationMs: number | null = null, runId: string | null = null): Run => ({
  ts: new Date(ms).toISOString(),
  epochMs: ms,
  exit,
  msg: exit === 0 ? "ok" : "boom",
  job,
  durationMs,
  host: null,
  extra: runId === null ? null : JSON.stringify({ run_id: runId }),
});

function weekOfLines(): Event[] {
  const events: Event[] = [];
  const down = (ms: number, from: string, to: string): boolean => ms >= T(from) && ms < T(to);
  for (let ms = START; ms < END; ms += 5 * MIN) {
    if (down(ms, "2025-03-26T12:00:00Z", "2025-03-26T13:00:00Z")) continue; // Wed: silent stretch
    if (down(ms, "2025-03-28T18:30:00Z", "2025-03-28T19:30:00Z")) continue; // Fri: silent while paused
    const failed = down(ms, "2025-03-25T10:00:00Z", "2025-03-25T10:15:00Z") || ms === T("2025-03-27T06:00:00Z") || ms === T("2025-03-28T18:20:00Z");
    events.push({ appearsAt: ms + 1000, run: run("fast", ms, failed ? 1 : 0, 1000) });
  }
  for (let ms = START; ms < END; ms += HOUR) {
    const duration = ms === T("2025-03-25T15:00:00Z") ? 45 * MIN : ms === T("2025-03-26T09:00:00Z") ? 20 * MIN : 2 * MIN;
    const runId = `h-${ms}`;
    events.push({ appearsAt: ms, start: { ts: new Date(ms).toISOString(), epochMs: ms, runId, job: "hourly", host: null } });
    events.push({ appearsAt: ms + duration, run: run("hourly", ms, 0, duration, runId) });
  }
  // 03:00 in Berlin: 02:00Z in winter time, 01:00Z from Sunday 03-30 on; none on Sunday itself.
  for (const iso of ["03-24T02", "03-25T02", "03-26T02", "03-27T02", "03-28T02", "03-29T02", "03-31T01"]) {
    const ms = T(`2025-${iso}:00:00Z`);
    events.push({ appearsAt: ms + 10 * MIN, run: run("daily", ms, 0, 10 * MIN) });
  }
  return events.sort((a, b) => a.appearsAt - b.appearsAt);
}

interface Probe {
  readonly at: string;
  readonly job: string;
  readonly state: string;
}

const PROBES: Probe[] = [
  { at: "2025-03-25T10:07:00Z", job: "fast", state: "failing" },
  { at: "2025-03-25T15:20:00Z", job: "hourly", state: "running" },
  { at: "2025-03-25T15:35:00Z", job: "hourly", state: "too_long" },
  { at: "2025-03-26T09:15:00Z", job: "hourly", state: "running" }, // longer than grace, not late
  { at: "2025-03-26T12:30:00Z", job: "fast", state: "late" },
  { at: "2025-03-26T13:05:00Z", job: "fast", state: "up" },
  { at: "2025-03-28T19:00:00Z", job: "fast", state: "paused" },
  { at: "2025-03-30T01:14:00Z", job: "daily", state: "up" },
  { at: "2025-03-30T01:16:00Z", job: "daily", state: "late" }, // 03:00 CEST + 15m, not 02:15Z
  { at: "2025-03-31T02:00:00Z", job: "daily", state: "up" },
];

function simulate(): { alerts: string[][]; live: string[][]; asOf: (iso: string, job: string) => Record<string, unknown> } {
  const dir = tempDir("cc-scenario-");
  const config = { ...parseConfig(CONFIG, "config.yaml", { home: dir, baseDir: dir }).config, database: join(dir, "ladder.db") };
  const db = openDatabase(config.database);
  let nowMs = START;
  const clock = (): Date => new Date(nowMs);
  const log = createLogger("error", [], clock);
  const alerts = new AlertStore(db);
  const jobStates = new JobStateStore(db);
  const history = new JobHistoryQueries(db);
  const writer = new RunWriter(db, config.defaultJob);
  const ingest = new Ingest({ writer, alerts, jobStates }, config, log, clock);
  const monitor = new ScheduleMonitor({ alerts, jobStates, history, transaction: (body) => writer.transaction(body) }, config, log, clock);

  const events = weekOfLines();
  let next = 0;
  let offset = 0;
  let from: Checkpoint | null = null;
  const collectorDown = (ms: number): boolean => ms >= T("2025-03-27T00:00:00Z") && ms < T("2025-03-28T00:00:00Z");
  const live: string[][] = [];
  let probe = 0;
  let checkAt: number | null = null;

  while (nowMs <= END) {
    while (probe < PROBES.length && T(PROBES[probe]?.at ?? "") <= nowMs) {
      const p = PROBES[probe++] as Probe;
      const past = history.historyAt({ name: p.job, isDefault: false, key: p.job }, T(p.at));
      const settings = config.jobs.find((job) => job.name === p.job);
      if (!settings) throw new Error(p.job);
      live.push([p.at, p.job, jobStatus(past, settings, jobStates.pausedUntilMs(p.job, T(p.at)), T(p.at)).state]);
    }
    if (nowMs === T("2025-03-28T18:00:00Z")) jobStates.setPause("fast", T("2025-03-28T20:00:00Z"), clock());
    if (!collectorDown(nowMs)) {
      const runs: Run[] = [];
      const starts: RunStart[] = [];
      while (next < events.length && (events[next]?.appearsAt ?? Infinity) <= nowMs) {
        const event = events[next++] as Event;
        if (event.run) runs.push(event.run);
        if (event.start) starts.push(event.start);
      }
      if (runs.length + starts.length > 0) {
        offset += runs.length + starts.length;
        const to: Checkpoint = { source: "/in.jsonl", dev: "1", ino: "1", offset, headHash: "h", tailHash: "t" };
        ingest.commit({ runs, starts, rejects: [], from, to }, clock().toISOString());
        from = to;
      }
      checkAt = monitor.check().nextCheckAtMs;
    }
    // The watch loop: a check every 5 minutes, or sooner when a line, a deadline or an event is due.
    const candidates = [nowMs + 5 * MIN, T("2025-03-28T18:00:00Z"), T("2025-03-28T00:00:00Z"), events[next]?.appearsAt ?? Infinity, checkAt ?? Infinity, T(PROBES[probe]?.at ?? "2100-01-01T00:00:00Z")];
    nowMs = Math.min(...candidates.filter((ms) => ms > nowMs));
  }
  const rows = db
    .query<{ created_at: string; kind: string; status: string; title: string; message: string }, []>("SELECT created_at, kind, status, title, message FROM alerts ORDER BY id")
    .all()
    .map((row) => [row.created_at, row.status, row.title, row.message]);
  const asOf = (iso: string, job: string): Record<string, unknown> => {
    const stats = collectStats(statsSourcesOf(db, { jobStates, alerts, history }), new Date(iso), config, job);
    return { ...stats.jobs[0] };
  };
  return { alerts: rows, live, asOf };
}

describe("a simulated week", () => {
  const week = simulate();

  test("the exact alerts: one per failure, one per state change, one recovery each, nothing else", () => {
    expect(week.alerts).toEqual([
      ["2025-03-25T10:00:01.000Z", "pending", "🚨 Cron Job Failed", "Exit code 1: boom"],
      ["2025-03-25T10:05:01.000Z", "pending", "🚨 Cron Job Failed", "Exit code 1: boom"],
      ["2025-03-25T10:10:01.000Z", "pending", "🚨 Cron Job Failed", "Exit code 1: boom"],
      ["2025-03-25T10:15:01.000Z", "pending", "✅ Cron job recovered: fast", "Succeeded again after 3 failed runs"],
      ["2025-03-25T15:30:00.001Z", "pending", "⏱️ Cron job ran too long: hourly", "Still running after 30m, started 15:00; max_duration 30m"],
      ["2025-03-25T15:45:00.000Z", "pending", "✅ Cron job recovered: hourly", "The long run ended; it was over max_duration since 15:30 (15 min ago)"],
      ["2025-03-26T12:01:00.001Z", "pending", "⏰ Cron job late: fast", "Expected at 12:00:00 + 1m grace; last ran 11:55:00 (6 min ago)"],
      ["2025-03-26T13:00:01.000Z", "pending", "✅ Cron job recovered: fast", "Ran again; it was late since 12:01:00 (59 min ago)"],
      // Collector down all Thursday: the failure it missed is stale, for one summary; no late alerts.
      ["2025-03-28T00:00:00.000Z", "stale", "🚨 Cron Job Failed", "Exit code 1: boom"],
      // Sunday, the DST day: 03:00 CEST is 01:00Z, so late from 01:15Z.
      ["2025-03-30T01:15:00.001Z", "pending", "⏰ Cron job late: daily", "Expected at 01:00 + 15m grace; last ran 2025-03-29 02:00 (23h 15m ago)"],
      ["2025-03-31T01:10:00.000Z", "pending", "✅ Cron job recovered: daily", "Ran again; it was late since 2025-03-30 01:15 (23h 55m ago)"],
    ]);
  });

  test("the state at chosen instants, live", () => {
    expect(week.live).toEqual(PROBES.map((p) => [p.at, p.job, p.state]));
  });

  test("afterwards, --now reproduces each of those states, streaks and next expected times (a late job: the run it missed)", () => {
    for (const p of PROBES) {
      expect([p.at, p.job, week.asOf(p.at, p.job).state]).toEqual([p.at, p.job, p.state]);
    }
    expect(week.asOf("2025-03-25T10:07:00Z", "fast")).toMatchObject({ consecutive_failures: 2, next_expected: "2025-03-25T10:10:00.000Z", last_run: "2025-03-25T10:05:00.000Z" });
    expect(week.asOf("2025-03-26T12:30:00Z", "fast")).toMatchObject({ state_since: "2025-03-26T12:01:00.000Z", reason: "late since 12:01:00, expected every 5m + 1m grace", next_expected: "2025-03-26T12:00:00.000Z" });
    expect(week.asOf("2025-03-30T01:16:00Z", "daily")).toMatchObject({ next_expected: "2025-03-30T01:00:00.000Z" });
  });
});
