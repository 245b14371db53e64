/** The status function, one case per line: history as of now + schedule + pause + now → state. */
import { describe, expect, test } from "bun:test";
import { emptyHistory, jobStatus, OPEN_ENDED_PAUSE_MS, type JobHistory, type StatusSettings } from "../src/job-status.ts";
import { cronSchedule, type Schedule } from "../src/schedule.ts";

const T = (iso: string): number => Date.parse(iso);
const cron = (expression: string, timezone: string | null): Schedule => {
  const checked = cronSchedule(expression, timezone);
  if (!checked.ok) throw new Error(checked.problem);
  return checked.schedule;
};

const every5m: StatusSettings = { schedule: { kind: "every", periodMs: 300_000 }, graceMs: 60_000, maxDurationMs: null };
const withMax: StatusSettings = { ...every5m, maxDurationMs: 600_000 };
const daily: StatusSettings = { schedule: cron("0 3 * * *", "Europe/Berlin"), graceMs: 900_000, maxDurationMs: null };
const nightly: StatusSettings = { schedule: cron("@daily", "UTC"), graceMs: 900_000, maxDurationMs: null };
const unscheduled: StatusSettings = { schedule: null, graceMs: 300_000, maxDurationMs: null };

const ran = (iso: string, exit = 0, extra: Partial<JobHistory> = {}): JobHistory => ({
  ...emptyHistory,
  lastRun: { ms: T(iso), exit, durationMs: null },
  failureStreak: exit === 0 ? 0 : 1,
  lastSuccessMs: exit === 0 ? T(iso) : null,
  ...extra,
});

type Case = [string, JobHistory, StatusSettings, number | null, string, string, string | null, string | null];

// name, history, settings, paused until, now, state, state since, next expected (for a late job: the missed expected time)
const cases: Case[] = [
  ["configured, never ran, first watched just now", { ...emptyHistory, watchedSinceMs: T("2025-07-29T04:00:00Z") }, every5m, null, "2025-07-29T04:03:00Z", "new", null, "2025-07-29T04:05:00.000Z"],
  ["never ran, watched for a period + grace: late", { ...emptyHistory, watchedSinceMs: T("2025-07-29T04:00:00Z") }, every5m, null, "2025-07-29T04:06:01Z", "late", "2025-07-29T04:06:00.000Z", "2025-07-29T04:05:00.000Z"],
  ["never ran, never watched, no schedule", emptyHistory, unscheduled, null, "2025-07-29T04:00:00Z", "new", null, null],
  ["ran ok, inside the period", ran("2025-07-29T04:00:00Z"), every5m, null, "2025-07-29T04:04:00Z", "up", null, "2025-07-29T04:05:00.000Z"],
  ["grace boundary: at the deadline still up", ran("2025-07-29T04:00:00Z"), every5m, null, "2025-07-29T04:06:00Z", "up", null, "2025-07-29T04:05:00.000Z"],
  ["grace boundary: a millisecond after it, late", ran("2025-07-29T04:00:00Z"), every5m, null, "2025-07-29T04:06:00.001Z", "late", "2025-07-29T04:06:00.000Z", "2025-07-29T04:05:00.000Z"],
  ["two years of silence: late, next expected stays the missed time", ran("2023-07-29T04:00:00Z"), { ...every5m, schedule: { kind: "every", periodMs: 1000 } }, null, "2025-07-29T04:00:00.500Z", "late", "2023-07-29T04:01:01.000Z", "2023-07-29T04:00:01.000Z"],
  ["last run failed: failing", ran("2025-07-29T04:00:00Z", 2, { failureStreak: 3 }), every5m, null, "2025-07-29T04:02:00Z", "failing", null, "2025-07-29T04:05:00.000Z"],
  ["failed and then silent: late wins", ran("2025-07-29T04:00:00Z", 2), every5m, null, "2025-07-29T04:30:00Z", "late", "2025-07-29T04:06:00.000Z", "2025-07-29T04:05:00.000Z"],
  ["a start marker without its finish: running, never late", ran("2025-07-29T04:00:00Z", 0, { lastStartMs: T("2025-07-29T04:05:00Z"), openStartMs: T("2025-07-29T04:05:00Z") }), every5m, null, "2025-07-29T04:20:00Z", "running", "2025-07-29T04:05:00.000Z", "2025-07-29T04:25:00.000Z"],
  ["running past max_duration: too_long", ran("2025-07-29T04:00:00Z", 0, { lastStartMs: T("2025-07-29T04:05:00Z"), openStartMs: T("2025-07-29T04:05:00Z") }), withMax, null, "2025-07-29T04:15:01Z", "too_long", "2025-07-29T04:15:00.000Z", "2025-07-29T04:20:00.000Z"],
  ["a finished start counts as on-time activity", ran("2025-07-29T04:00:00Z", 0, { lastStartMs: T("2025-07-29T04:05:00Z") }), every5m, null, "2025-07-29T04:10:30Z", "up", null, "2025-07-29T04:10:00.000Z"],
  ["an orphan start older than the last run is ignored", ran("2025-07-29T04:10:00Z", 0, { lastStartMs: T("2025-07-29T04:05:00Z"), openStartMs: T("2025-07-29T04:05:00Z") }), withMax, null, "2025-07-29T04:12:00Z", "up", null, "2025-07-29T04:15:00.000Z"],
  ["paused: paused whatever else", ran("2025-07-29T04:00:00Z", 1), every5m, T("2025-07-29T06:00:00Z"), "2025-07-29T05:00:00Z", "paused", null, "2025-07-29T05:05:00.000Z"],
  ["paused until resumed", ran("2025-07-29T04:00:00Z"), every5m, OPEN_ENDED_PAUSE_MS, "2025-07-29T05:00:00Z", "paused", null, "2025-07-29T05:05:00.000Z"],
  ["a pause that ended: the state shows again", ran("2025-07-29T04:00:00Z"), every5m, T("2025-07-29T04:02:00Z"), "2025-07-29T04:03:00Z", "up", null, "2025-07-29T04:05:00.000Z"],
  ["no schedule: never late", ran("2020-01-01T00:00:00Z"), unscheduled, null, "2025-07-29T04:00:00Z", "up", null, null],
  // Europe/Berlin springs forward on 2025-03-30: 03:00 local is 02:00Z before, 01:00Z after.
  ["cron across DST: expected at 01:00Z after the change", ran("2025-03-29T02:00:00Z"), daily, null, "2025-03-30T01:14:59Z", "up", null, "2025-03-30T01:00:00.000Z"],
  ["cron across DST: late from 01:15Z, not 02:15Z", ran("2025-03-29T02:00:00Z"), daily, null, "2025-03-30T01:15:01Z", "late", "2025-03-30T01:15:00.000Z", "2025-03-30T01:00:00.000Z"],
  ["cron: a run a little early belongs to its slot", ran("2025-07-29T00:59:40Z"), daily, null, "2025-07-29T12:00:00Z", "up", null, "2025-07-30T01:00:00.000Z"],
  ["@daily nickname", ran("2025-07-29T00:00:05Z"), nightly, null, "2025-07-30T00:15:01Z", "late", "2025-07-30T00:15:00.000Z", "2025-07-30T00:00:00.000Z"],
];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

describe("jobStatus", () => {
  test.each(cases)("%s", (_name, history, settings, pausedUntil, now, state, since, next) => {
    const status = jobStatus(history, settings, pausedUntil, T(now));
    expect([status.state, iso(status.sinceMs), iso(status.nextExpectedMs)]).toEqual([state, since, next]);
  });

  test.each([
    [ran("2025-07-29T04:00:00Z"), every5m, "2025-07-29T04:30:00Z", "late since 04:06:00, expected every 5m + 1m grace"],
    [ran("2025-07-29T04:00:00Z", 0, { lastStartMs: T("2025-07-29T04:05:00Z"), openStartMs: T("2025-07-29T04:05:00Z") }), withMax, "2025-07-29T04:20:00Z", "running for 15m since 04:05:00, over max_duration 10m"],
    [ran("2025-07-29T04:00:00Z", 2, { failureStreak: 3 }), every5m, "2025-07-29T04:02:00Z", "3 failed runs in a row, last at 04:00:00 (exit 2)"],
    [ran("2025-07-28T04:00:00Z"), unscheduled, "2025-07-29T04:02:00Z", "last ran 2025-07-28 04:00"],
    [emptyHistory, unscheduled, "2025-07-29T04:02:00Z", "no run seen yet"],
  ])("says why: %#", (history, settings, now, reason) => {
    expect(jobStatus(history, settings, null, T(now)).reason).toBe(reason);
  });
});
