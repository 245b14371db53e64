import { describe, expect, test } from "bun:test";
import { formatRate, formatStats, truncate } from "../src/report.ts";
import type { Stats } from "../src/stats.ts";

const stats: Stats = {
  now: "2025-07-29T05:00:00.000Z",
  total_entries: 5,
  rejected_lines: 1,
  last_24h: { total: 5, succeeded: 3, failed: 2, success_rate: 60 },
  last_7d: { total: 5, succeeded: 3, failed: 2, success_rate: 60 },
  average_interval_seconds: 60,
  last_failure: { ts: "2025-07-29T04:33:00Z", exit: 2, msg: "Authentication failed - invalid credentials", job: "ladder" },
  jobs: [],
  watch_gap: null,
  newest_rejects: [],
};

describe("formatStats", () => {
  test("keeps the seed's layout, one item per line", () => {
    const text = formatStats(stats, { color: false }, { defaultJob: "ladder" });
    for (const line of [
      "📈 Last 24 Hours:",
      "   Total runs: 5",
      "   Success rate: 60.0%",
      "   Failed runs: 2",
      "📊 Last 7 Days:",
      "⏱️  Average interval: 1.0 minutes",
      "🚨 Last failure:",
      "   Time: 2025-07-29T04:33:00Z",
      "   Message: Authentication failed - invalid credentials",
      "💾 Database: 5 total entries",
      "🚫 Quarantined lines: 1",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).not.toContain("\x1b[");
    expect(text).not.toContain("📋 Jobs:");
  });

  test("says why jobs need attention, shows a late job's next expected run as overdue, and the newest unreadable lines", () => {
    const job = (name: string, state: "late" | "up", reason: string) => ({
      name, state, reason, state_since: null, consecutive_failures: 0, schedule: "every 5m", next_expected: state === "late" ? "2025-07-29T04:10:00.000Z" : null, paused_until: null,
      last_run: null, last_success: null, last_24h: stats.last_24h, last_7d: stats.last_7d, average_interval_seconds: null, last_failure: null,
      p50_duration_ms: null, p95_duration_ms: null,
    });
    const text = formatStats(
      {
        ...stats,
        jobs: [job("backup", "late", "late since 04:11, expected every 5m + 1m grace"), job("ladder", "up", "last ran 04:55")],
        newest_rejects: [{ source: "/logs/ladder.jsonl", offset: 190, reason: "not valid JSON", line: "garbage", rejected_at: "2025-07-29T04:56:00.000Z" }],
      },
      { color: false },
      { defaultJob: "ladder" },
    );
    expect(text).toContain("⚠️  Needs attention:\n   backup: late since 04:11, expected every 5m + 1m grace\n\n");
    expect(text).not.toContain("ladder: last ran");
    // A late job's next expected run is the one it missed: overdue, not a coming time.
    expect(text).toMatch(/\n {3}backup +⏰ late .* overdue since 2025-07-29T04:10:00\.000Z\n/);
    expect(text).toContain("🚫 Newest unreadable lines:\n   byte 190 of /logs/ladder.jsonl: not valid JSON: garbage\n");
  });

  test("colours only when asked", () => {
    expect(formatStats(stats, { color: true }, { defaultJob: "ladder" })).toContain("\x1b[31m");
  });

  test("says n/a for empty windows and intervals", () => {
    const empty: Stats = { ...stats, last_24h: { total: 0, succeeded: 0, failed: 0, success_rate: null }, average_interval_seconds: null, last_failure: null };
    const text = formatStats(empty, { color: false }, { defaultJob: "ladder" });
    expect(text).toContain("   Success rate: n/a");
    expect(text).toContain("Average interval: n/a");
    expect(text).toContain("✅ Last failure: none");
  });

  test("shows the job table when runs carry a job", () => {
    const job = {
      name: "backup",
      state: "up" as const,
      consecutive_failures: 0,
      schedule: null,
      next_expected: null,
      paused_until: null,
      last_run: "2025-07-29T04:34:00.000Z",
      last_success: "2025-07-29T04:34:00.000Z",
      last_24h: stats.last_24h,
      last_7d: stats.last_7d,
      average_interval_seconds: null,
      last_failure: null,
      p50_duration_ms: null,
      p95_duration_ms: null,
      state_since: null,
      reason: "last ran 04:34",
    };
    const text = formatStats({ ...stats, jobs: [job] }, { color: false }, { defaultJob: "ladder" });
    expect(text).toContain("📋 Jobs:");
    expect(text).toMatch(/backup\s+✅ up\s+2025-07-29T04:34:00.000Z\s+5\s+60.0%\s+60.0%\s+-\/-\s+-/);
  });
});

describe("helpers", () => {
  test.each([
    [null, "n/a"],
    [100, "100.0%"],
    [66.666, "66.7%"],
  ])("formatRate(%p)", (rate, text) => expect(formatRate(rate)).toBe(text));

  test("truncate folds lines and cuts long text", () => {
    expect(truncate("a\n  b", 10)).toBe("a b");
    expect(truncate("x".repeat(20), 10)).toBe("xxxxxxx...");
  });
});
