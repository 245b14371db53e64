import { describe, expect, test } from "bun:test";
import { failureAlert, oneLine, soundFor } from "../src/alerts/format.ts";
import { decideAlerts, freshJobState, planDelivery, type JobState } from "../src/alerts/policy.ts";
import { jobSettings, type JobConfig } from "../src/config/jobs.ts";
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

function decide(runs: StoredRun[], states = new Map<string, JobState>(), options = notify, jobs: JobConfig[] = []) {
  return decideAlerts({ runs, states, nowMs: NOW, notify: options, defaultJob: "ladder", jobConfig: (job) => jobSettings(jobs, job, 1) });
}

const job = (name: string, settings: Partial<JobConfig>): JobConfig => ({ ...jobSettings([], name, 1), ...settings });

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
    expect(states.get("backup")).toMatchObject({ consecutiveFailures: 0, lastRunMs: NOW - 60_000, totalRuns: 4, totalFailures: 2 });
  });

  test("no recovery notice when on_recovery is off", () => {
    const { alerts } = decide([stored(2, 1), stored(1, 0)], new Map(), { ...notify, onRecovery: false });
    expect(alerts.map((a) => a.text.kind)).toEqual(["failure"]);
  });

  test("a backfilled older success does not end a current streak", () => {
    const states = new Map([["", { ...freshJobState, consecutiveFailures: 2, streakAlerted: true, lastRunMs: NOW - 60_000 }]]);
    const { alerts, states: next } = decide([stored(30, 0)], states);
    expect(alerts).toEqual([]);
    expect(next.get("")).toMatchObject({ consecutiveFailures: 2, lastRunMs: NOW - 60_000, lastSuccessMs: NOW - 30 * 60_000 });
  });

  test("alert_after: 3 alerts from the third failure in a row on, per job", () => {
    const jobs = [job("order-check", { alertAfter: 3 })];
    const runs = [1, 1, 0, 1, 1, 1, 1].map((exit, i) => stored(10 - i, exit, "order-check", `r${i}`));
    const { alerts, states } = decide([...runs, stored(1, 1, "other", "x")], new Map(), notify, jobs);
    expect(alerts.map((a) => [a.text.job, a.text.message])).toEqual([
      ["order-check", "Exit code 1: r5"],
      ["order-check", "Exit code 1: r6"],
      ["other", "Exit code 1: x"],
    ]);
    expect(states.get("order-check")).toMatchObject({ consecutiveFailures: 4, streakAlerted: true });
  });

  test("no recovery notice for a streak that never reached alert_after", () => {
    const { alerts } = decide([stored(3, 1, "c"), stored(2, 0, "c")], new Map(), notify, [job("c", { alertAfter: 2 })]);
    expect(alerts).toEqual([]);
  });

  test("a paused job raises nothing, but its state moves", () => {
    const states = new Map([["backup", { ...freshJobState, pausedUntilMs: NOW + 3_600_000 }]]);
    const { alerts, states: next } = decide([stored(2, 1, "backup")], states);
    expect(alerts).toEqual([]);
    expect(next.get("backup")).toMatchObject({ consecutiveFailures: 1, totalFailures: 1 });
    const resumed = new Map([["backup", { ...freshJobState, pausedUntilMs: NOW - 1 }]]);
    expect(decide([stored(2, 1, "backup")], resumed).alerts).toHaveLength(1);
  });

  test("a run over max_duration alerts once; a late job that runs again recovers", () => {
    const long = stored(2, 0, "backup");
    const withDuration: StoredRun = { ...long, run: { ...long.run, durationMs: 4_000_000 } };
    const states = new Map([["backup", { ...freshJobState, lateSinceMs: NOW - 7_200_000, lastRunMs: NOW - 86_400_000 }]]);
    const { alerts, states: next } = decide([withDuration], states, notify, [job("backup", { maxDurationMs: 3_600_000 })]);
    expect(alerts.map((a) => [a.text.kind, a.text.message])).toEqual([
      ["recovery", "backup ran again; it was late since 2025-07-29T10:00:00.000Z"],
      ["long", "took 1h 6m (max_duration 1h)"],
    ]);
    expect(next.get("backup")?.lateSinceMs).toBeNull();
  });

  test("a run naming the default job shares the streak of runs without a job", () => {
    const { alerts, states } = decide([stored(3, 1), stored(2, 1, "ladder"), stored(1, 0)]);
    expect(alerts.map((a) => a.text.kind)).toEqual(["failure", "failure", "recovery"]);
    expect([...states.keys()]).toEqual([""]);
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
});
