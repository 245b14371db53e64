import { describe, expect, test } from "bun:test";
import { failureAlert, oneLine, soundFor, summaryAlert } from "../src/alerts/format.ts";
import { decideAlerts, planDelivery, type JobState } from "../src/alerts/policy.ts";
import { defaultSounds } from "../src/config/config.ts";
import type { Run } from "../src/line.ts";
import type { StoredRun } from "../src/store/runs.ts";

const notify = { maxAgeMs: 3_600_000, onRecovery: true, sound: "Basso", sounds: defaultSounds };
const NOW = Date.UTC(2025, 6, 29, 12, 0);

let nextId = 1;
function stored(minutesAgo: number, exit: number, job: string | null = null, msg = `m${nextId}`): StoredRun {
  const epochMs = NOW - minutesAgo * 60_000;
  const run: Run = { ts: new Date(epochMs).toISOString(), epochMs, exit, msg, job, durationMs: null, host: null, extra: null };
  return { id: nextId++, run };
}

function decide(runs: StoredRun[], states = new Map<string, JobState>(), options = notify) {
  return decideAlerts({ runs, states, nowMs: NOW, notify: options, defaultJob: "ladder" });
}

describe("decideAlerts", () => {
  test("every new failure gives one pending failure alert; successes give none", () => {
    const { alerts } = decide([stored(3, 0), stored(2, 1), stored(1, 2)]);
    expect(alerts.map((a) => [a.text.kind, a.status, a.text.exitCode])).toEqual([
      ["failure", "pending", 1],
      ["failure", "pending", 2],
    ]);
  });

  test("a failure older than max_age is stale: counted for a summary, not sent alone", () => {
    const { alerts } = decide([stored(61, 1), stored(59, 1)]);
    expect(alerts.map((a) => a.status)).toEqual(["stale", "pending"]);
  });

  test("a success after failures is a recovery, per job, once", () => {
    const { alerts, states } = decide([stored(5, 1, "backup", "a"), stored(4, 1, "backup", "b"), stored(3, 0, "other"), stored(2, 0, "backup"), stored(1, 0, "backup")]);
    expect(alerts.map((a) => [a.text.kind, a.text.job, a.text.message])).toEqual([
      ["failure", "backup", "Exit code 1: a"],
      ["failure", "backup", "Exit code 1: b"],
      ["recovery", "backup", "backup succeeded again after 2 failed runs"],
    ]);
    expect(states.get("backup")).toEqual({ consecutiveFailures: 0, lastRunMs: NOW - 60_000 });
  });

  test("no recovery notice when on_recovery is off", () => {
    const { alerts } = decide([stored(2, 1), stored(1, 0)], new Map(), { ...notify, onRecovery: false });
    expect(alerts.map((a) => a.text.kind)).toEqual(["failure"]);
  });

  test("a backfilled older success does not end a current streak", () => {
    const states = new Map([["", { consecutiveFailures: 2, lastRunMs: NOW - 60_000 }]]);
    const { alerts, states: next } = decide([stored(30, 0)], states);
    expect(alerts).toEqual([]);
    expect(next.get("")).toEqual({ consecutiveFailures: 2, lastRunMs: NOW - 60_000 });
  });

  test("the subtitle is the job when the line names one", () => {
    const { alerts } = decide([stored(1, 2, "backup"), stored(1, 2, null)]);
    expect(alerts.map((a) => [a.text.subtitle, a.text.groupId])).toEqual([
      ["backup", "cron-collector.backup"],
      [null, "cron-collector.ladder"],
    ]);
  });
});

describe("planDelivery", () => {
  test.each([
    [0, 0, 5, { individual: 0, summarizeRest: false }],
    [3, 0, 5, { individual: 3, summarizeRest: false }],
    [5, 0, 5, { individual: 5, summarizeRest: false }],
    [100, 0, 5, { individual: 4, summarizeRest: true }],
    [100, 3, 5, { individual: 1, summarizeRest: true }],
    [100, 4, 5, { individual: 0, summarizeRest: true }],
    [100, 5, 5, { individual: 0, summarizeRest: false }],
    [1, 7, 5, { individual: 0, summarizeRest: false }],
  ])("%i pending, %i sent in the last minute, max %i", (pending, sent, max, plan) => {
    expect(planDelivery(pending, sent, max)).toEqual(plan);
  });
});

describe("alert texts", () => {
  test.each([
    [0, "Basso"],
    [1, "Basso"],
    [124, "Submarine"],
    [127, "Funk"],
    [137, "Sosumi"],
    [255, "Sosumi"],
  ])("exit %i plays %s", (exit, sound) => {
    expect(soundFor(exit, { sound: "Basso", sounds: defaultSounds })).toBe(sound);
  });

  test("messages are one line, cut to a readable length", () => {
    expect(oneLine("a\n\nb\tc")).toBe("a b c");
    expect(oneLine("x".repeat(500))).toHaveLength(200);
    const alert = failureAlert({ ts: "t", epochMs: 0, exit: 2, msg: "Authentication failed - invalid credentials", job: null }, "ladder", notify);
    expect(alert.title).toBe("🚨 Cron Job Failed");
    expect(alert.message).toBe("Exit code 2: Authentication failed - invalid credentials");
    expect(failureAlert({ ts: "t", epochMs: 0, exit: 2, msg: "", job: null }, "ladder", notify).message).toBe("Exit code 2: (no message)");
  });

  test("a summary counts failures and names the last one", () => {
    const text = summaryAlert(
      [
        { kind: "failure", job: "a", exitCode: 1, eventMs: Date.UTC(2025, 0, 1), message: "Exit code 1: x" },
        { kind: "failure", job: "b", exitCode: 2, eventMs: Date.UTC(2025, 0, 2), message: "Exit code 2: y" },
      ],
      "while the collector was not running",
      "Basso",
    );
    expect(text.message).toBe("2 failures while the collector was not running; last: b at 2025-01-02T00:00:00.000Z, Exit code 2: y");
  });
});
