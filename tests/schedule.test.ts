import { describe, expect, test } from "bun:test";
import { evaluateLateness } from "../src/alerts/lateness.ts";
import type { JobConfig } from "../src/config/jobs.ts";
import { cronSchedule, nextExpected, type Schedule } from "../src/schedule.ts";
import type { ScheduleState } from "../src/store/job-state.ts";

const T = (iso: string): number => Date.parse(iso);
const cron = (expression: string, timezone: string | null = null): Schedule => {
  const checked = cronSchedule(expression, timezone);
  if (!checked.ok) throw new Error(checked.problem);
  return checked.schedule;
};

describe("schedules", () => {
  test("every: the period after the given instant", () => {
    expect(nextExpected({ kind: "every", periodMs: 60_000 }, T("2025-07-29T04:00:00Z"))).toBe(T("2025-07-29T04:01:00Z"));
  });

  test("cron in Europe/Berlin keeps 03:00 local time across both DST changes", () => {
    const backup = cron("0 3 * * *", "Europe/Berlin");
    // Spring forward (2025-03-30): 03:00 CET = 02:00Z before, 03:00 CEST = 01:00Z after.
    expect(nextExpected(backup, T("2025-03-29T12:00:00Z"))).toBe(T("2025-03-30T01:00:00Z"));
    expect(nextExpected(backup, T("2025-03-28T12:00:00Z"))).toBe(T("2025-03-29T02:00:00Z"));
    // Fall back (2025-10-26): 03:00 CET = 02:00Z.
    expect(nextExpected(backup, T("2025-10-25T12:00:00Z"))).toBe(T("2025-10-26T02:00:00Z"));
    expect(nextExpected(backup, T("2025-10-24T12:00:00Z"))).toBe(T("2025-10-25T01:00:00Z"));
  });

  test("cron in America/New_York across its DST change", () => {
    const hourly = cron("0 9 * * 1-5", "America/New_York");
    expect(nextExpected(hourly, T("2025-03-07T20:00:00Z"))).toBe(T("2025-03-10T13:00:00Z")); // Monday after the change: EDT
    expect(nextExpected(hourly, T("2025-03-06T20:00:00Z"))).toBe(T("2025-03-07T14:00:00Z")); // Friday before: EST
  });

  test.each([
    ["61 * * * *", null, "invalid cron expression"],
    ["0 3 * *", null, "a cron expression has 5 fields"],
    ["0 3 * * * *", null, "a cron expression has 5 fields"],
    ["0 3 * * *", "Mars/Olympus", 'unknown time zone "Mars/Olympus"'],
  ])("rejects %j in %j", (expression, timezone, problem) => {
    const checked = cronSchedule(expression, timezone);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toContain(problem);
  });
});

describe("evaluateLateness", () => {
  const job: JobConfig = { name: "ladder", schedule: { kind: "every", periodMs: 60_000 }, graceMs: 30_000, maxDurationMs: null, alertAfter: 1 };
  const ranAt = (iso: string, extra: Partial<ScheduleState> = {}): ScheduleState => ({
    lastRunMs: T(iso),
    lateCheckedThroughMs: null,
    lateSinceMs: null,
    pausedUntilMs: null,
    watchedSinceMs: null,
    ...extra,
  });

  test("grace boundary: late from the deadline on, not a second before", () => {
    const state = ranAt("2025-07-29T04:00:00Z");
    expect(evaluateLateness({ job, state, nowMs: T("2025-07-29T04:01:29Z"), unknownUntilMs: null }).missed).toEqual([]);
    expect(evaluateLateness({ job, state, nowMs: T("2025-07-29T04:01:30Z"), unknownUntilMs: null }).missed).toEqual([T("2025-07-29T04:01:00Z")]);
    expect(evaluateLateness({ job, state, nowMs: T("2025-07-29T04:01:31Z"), unknownUntilMs: null })).toMatchObject({
      missed: [T("2025-07-29T04:01:00Z")],
      lateSinceMs: T("2025-07-29T04:01:00Z"),
      lateCheckedThroughMs: T("2025-07-29T04:01:00Z"),
      nextDeadlineMs: T("2025-07-29T04:02:30Z"),
    });
  });

  test("one alert per missed period, never twice for the same one", () => {
    const first = evaluateLateness({ job, state: ranAt("2025-07-29T04:00:00Z"), nowMs: T("2025-07-29T04:01:40Z"), unknownUntilMs: null });
    const after = ranAt("2025-07-29T04:00:00Z", { lateCheckedThroughMs: first.lateCheckedThroughMs, lateSinceMs: first.lateSinceMs });
    expect(evaluateLateness({ job, state: after, nowMs: T("2025-07-29T04:02:00Z"), unknownUntilMs: null }).missed).toEqual([]);
    const second = evaluateLateness({ job, state: after, nowMs: T("2025-07-29T04:02:31Z"), unknownUntilMs: null });
    expect(second.missed).toEqual([T("2025-07-29T04:02:00Z")]);
    expect(second.lateSinceMs).toBe(T("2025-07-29T04:01:00Z"));
  });

  test("deadlines inside a gap in watching are unknown, not late", () => {
    const result = evaluateLateness({ job, state: ranAt("2025-07-29T04:00:00Z"), nowMs: T("2025-08-01T04:00:00Z"), unknownUntilMs: T("2025-08-01T04:00:00Z") });
    expect(result.missed).toEqual([]);
    expect(result.unknown).toBe(3 * 24 * 60 - 1);
    expect(result.lateSinceMs).toBeNull();
    expect(result.nextDeadlineMs).toBe(T("2025-08-01T04:00:30Z"));
  });

  test("a paused job is never late; its periods are used up", () => {
    const state = ranAt("2025-07-29T04:00:00Z", { pausedUntilMs: T("2025-07-29T06:00:00Z") });
    const result = evaluateLateness({ job, state, nowMs: T("2025-07-29T04:10:00Z"), unknownUntilMs: null });
    expect(result.missed).toEqual([]);
    expect(result.lateCheckedThroughMs).toBe(T("2025-07-29T04:09:00Z"));
  });

  test("a job that never ran counts from when it was first watched", () => {
    const state: ScheduleState = { lastRunMs: null, lateCheckedThroughMs: null, lateSinceMs: null, pausedUntilMs: null, watchedSinceMs: T("2025-07-29T04:00:00Z") };
    expect(evaluateLateness({ job, state, nowMs: T("2025-07-29T04:01:31Z"), unknownUntilMs: null }).missed).toEqual([T("2025-07-29T04:01:00Z")]);
    expect(evaluateLateness({ job, state: { ...state, watchedSinceMs: null }, nowMs: T("2025-07-30T00:00:00Z"), unknownUntilMs: null }).missed).toEqual([]);
  });

  test("a cron job that ran a little early is not late the next day", () => {
    const daily: JobConfig = { ...job, schedule: cron("0 3 * * *", "UTC"), graceMs: 15 * 60_000 };
    const state = ranAt("2025-07-29T02:59:40Z");
    expect(evaluateLateness({ job: daily, state, nowMs: T("2025-07-29T12:00:00Z"), unknownUntilMs: null })).toMatchObject({
      missed: [],
      nextDeadlineMs: T("2025-07-30T03:15:00Z"),
    });
  });

  test("a job without a schedule is never late", () => {
    const result = evaluateLateness({ job: { ...job, schedule: null }, state: ranAt("2025-07-29T04:00:00Z"), nowMs: T("2026-01-01T00:00:00Z"), unknownUntilMs: null });
    expect(result).toMatchObject({ missed: [], nextDeadlineMs: null });
  });
});
