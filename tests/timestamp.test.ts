import { describe, expect, test } from "bun:test";
import { parseTimestamp } from "../src/timestamp.ts";

describe("parseTimestamp", () => {
  test.each([
    ["2025-07-29T04:30:00Z", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-29T06:30:00+02:00", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-29T06:30:00+0200", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-29T06:30:00+02", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-28T23:30:00-05:00", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-29T04:30:00.123456Z", Date.UTC(2025, 6, 29, 4, 30, 0, 123)],
    ["2025-07-29T04:30:00.5Z", Date.UTC(2025, 6, 29, 4, 30, 0, 500)],
    ["2025-07-29 04:30:00Z", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2025-07-29T04:30Z", Date.UTC(2025, 6, 29, 4, 30, 0)],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
    ["2000-02-29T00:00:00Z", Date.UTC(2000, 1, 29)],
  ])("accepts %s", (text, expected) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, epochMs: expected });
  });

  test.each([
    ["2016-12-31T23:59:60Z", Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ["2016-12-31T23:59:60.5Z", Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ["2017-01-01T00:59:60+01:00", Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
  ])("accepts the leap second %s as the last millisecond of second 59", (text, expected) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, epochMs: expected });
  });

  test("reads a naive timestamp in the machine's local zone", () => {
    // bun test runs in UTC, so the local reading equals UTC here; the point is that no offset is assumed wrong.
    const local = new Date(2025, 6, 29, 4, 30, 0).getTime();
    expect(parseTimestamp("2025-07-29T04:30:00")).toEqual({ ok: true, epochMs: local });
  });

  test.each([
    ["2026-02-30T00:00:00Z", "day 30"],
    ["2025-02-29T00:00:00Z", "day 29"],
    ["1900-02-29T00:00:00Z", "day 29"],
    ["2025-13-01T00:00:00Z", "month 13"],
    ["2025-00-10T00:00:00Z", "month 00"],
    ["2025-04-31T00:00:00Z", "day 31"],
    ["2025-07-29T24:00:00Z", "impossible time"],
    ["2025-07-29T23:60:00Z", "impossible time"],
    ["2025-07-29T23:58:60Z", "impossible time"],
    ["2025-07-29T04:30:00+25:00", "impossible UTC offset"],
    ["2025-07-29", "not an ISO 8601"],
    ["29/07/2025 04:30", "not an ISO 8601"],
    ["yesterday", "not an ISO 8601"],
    ["", "not an ISO 8601"],
    ["2025-07-29T04:30:00Zjunk", "not an ISO 8601"],
    ["2025-07-29T04:30:0", "not an ISO 8601"],
    ["2025-07-29T04:3", "not an ISO 8601"],
    ["2025-07-29T04:30:00.Z", "not an ISO 8601"],
    ["2025-07-29T04:30:00+2", "not an ISO 8601"],
    ["2025-07-29T04:30:00+02:0", "not an ISO 8601"],
    ["2025-07-29T04:30:00 +02:00", "not an ISO 8601"],
    ["2025-7-29T04:30:00Z", "not an ISO 8601"],
    ["20250-07-29T04:30:00Z", "not an ISO 8601"],
    ["2025-07-29T04:30:00+02:60", "impossible UTC offset"],
  ])("rejects %s", (text, reason) => {
    const result = parseTimestamp(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  test("orders mixed offsets by instant, not by text", () => {
    const a = parseTimestamp("2025-07-29T06:30:00+02:00"); // 04:30Z
    const b = parseTimestamp("2025-07-29T05:00:00Z");
    expect(a.ok && b.ok && a.epochMs < b.epochMs).toBe(true);
    expect("2025-07-29T06:30:00+02:00" > "2025-07-29T05:00:00Z").toBe(true); // the trap string order falls into
  });
});

describe("parseTimestamp after a timestamp of the same hour (the cached hour)", () => {
  test.each([
    ["2025-03-04T10:59:60Z", Date.UTC(2025, 2, 4, 10, 59, 59, 999)],
    ["2025-03-04T10:07:08Z", Date.UTC(2025, 2, 4, 10, 7, 8)],
    ["2025-03-04T10:07:08.5Z", Date.UTC(2025, 2, 4, 10, 7, 8, 500)],
    ["2025-03-04T10:07:08.123456Z", Date.UTC(2025, 2, 4, 10, 7, 8, 123)],
    ["2025-03-04T10:07:08+01:00", Date.UTC(2025, 2, 4, 9, 7, 8)],
  ])("%s gives the same instant as a fresh parse", (text, expected) => {
    expect(parseTimestamp("2025-03-04T10:00:00.000Z")).toEqual({ ok: true, epochMs: Date.UTC(2025, 2, 4, 10) });
    expect(parseTimestamp(text)).toEqual({ ok: true, epochMs: expected });
  });

  test.each(["2025-03-04T10:60:00Z", "2025-03-04T10:07:61Z", "2025-03-04T10:07:0aZ", "2025-03-04T10:07:08.12xZ"])("%s is still rejected", (text) => {
    parseTimestamp("2025-03-04T10:00:00.000Z");
    expect(parseTimestamp(text).ok).toBe(false);
  });
});
