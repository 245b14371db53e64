import { describe, expect, test } from "bun:test";
import { cronSchedule, nextExpected, type Schedule } from "../src/schedule.ts";

const T = (iso: string): number => Date.parse(iso);
const cron = (expression: string, timezone: string | null = null): Schedule => {
  const checked = cronSchedule(expression, timezone);
  if (!checked.ok) throw new Error(checked.problem);
  return checked.schedule;
};

describe("schedules", () => {
  test.each([
    ["@daily", "2025-07-30T00:00:00Z"],
    ["@midnight", "2025-07-30T00:00:00Z"],
    ["@hourly", "2025-07-29T05:00:00Z"],
    ["@weekly", "2025-08-03T00:00:00Z"],
    ["@monthly", "2025-08-01T00:00:00Z"],
    ["@yearly", "2026-01-01T00:00:00Z"],
  ])("the cron nickname %s is accepted", (nickname, next) => {
    expect(nextExpected(cron(nickname, "UTC"), T("2025-07-29T04:10:00Z"))).toBe(T(next));
  });

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
    ["@reboot", null, 'unknown cron nickname "@reboot" (use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'],
  ])("rejects %j in %j", (expression, timezone, problem) => {
    const checked = cronSchedule(expression, timezone);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toContain(problem);
  });
});

