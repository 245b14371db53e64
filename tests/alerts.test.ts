import { describe, expect, test } from "bun:test";
import { failureAlert, oneLine, soundFor } from "../src/alerts/format.ts";
import { decideAlerts, freshJobState, planDelivery, type JobState } from "../src/alerts/policy.ts";
import { decideStateAlert, type StateAlertInput } from "../src/alerts/state-alerts.ts";
import { emptyHistory, type JobStateName, type JobStatusResult } from "../src/job-status.ts";
import { noAlertMemory } from "../src/records.ts";
import { jobSettings, type JobConfig } from "../src/config/jobs.ts";
import { defaultSounds } from "../src/config/config.ts";
import type { Run } from "../src/line.ts";
import type { StoredRun } from "../src/records.ts";

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
      ["recovery", "backup", "Succeeded again after 2 failed runs"],
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

  test("a run over max_duration alerts once, unless it was alerted while still going", () => {
    const long = stored(2, 0, "backup");
    const withDuration: StoredRun = { ...long, run: { ...long.run, durationMs: 4_000_000 } };
    const jobs = [job("backup", { maxDurationMs: 3_600_000 })];
    const { alerts } = decide([withDuration], new Map(), notify, jobs);
    expect(alerts.map((a) => [a.text.kind, a.text.title, a.text.message])).toEqual([
      ["long", "⏱️ Cron job ran too long: backup", "Took 1h 6m (max_duration 1h), started 11:58:00"],
    ]);
    const memories = new Map([["backup", { state: "too_long" as const, sinceMs: NOW - 60_000, alertedAtMs: NOW - 60_000 }]]);
    const seen = decideAlerts({ runs: [withDuration], states: new Map(), memories, nowMs: NOW, notify, defaultJob: "ladder", jobConfig: (name) => jobSettings(jobs, name, 1) });
    expect(seen.alerts).toEqual([]);
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

describe("decideStateAlert", () => {
  const every5m = { schedule: { kind: "every" as const, periodMs: 300_000 }, graceMs: 60_000, maxDurationMs: 600_000 };
  const ranAt = NOW - 30 * 60_000; // 11:30, so late since 11:36
  const history = { ...emptyHistory, lastRun: { ms: ranAt, exit: 0, durationMs: null }, lastSuccessMs: ranAt };
  const status = (state: JobStateName, sinceMs: number | null = null): JobStatusResult => ({ state, sinceMs, nextExpectedMs: null, reason: "" });
  const late = { state: "late" as const, sinceMs: NOW - 24 * 60_000, alertedAtMs: NOW - 20 * 60_000 };
  const input = (over: Partial<StateAlertInput>): StateAlertInput => ({
    job: "ladder",
    status: status("late", NOW - 24 * 60_000),
    history,
    settings: every5m,
    memory: noAlertMemory,
    nowMs: NOW,
    watchResumedMs: null,
    resumeCause: null,
    remindEveryMs: null,
    onRecovery: true,
    sound: "Basso",
    ...over,
  });
  const outcome = (over: Partial<StateAlertInput>): [string | null, string | null] => {
    const decision = decideStateAlert(input(over));
    return [decision.alert ? decision.alert.title : null, decision.memory.state];
  };

  test.each<[string, Partial<StateAlertInput>, [string | null, string | null]]>([
    ["entering late alerts once", {}, ["⏰ Cron job late: ladder", "late"]],
    ["staying late: nothing more", { memory: late }, [null, "late"]],
    ["staying late with remind_every due: a reminder", { memory: late, remindEveryMs: 15 * 60_000 }, ["⏰ Cron job still late: ladder", "late"]],
    ["staying late with remind_every not yet due", { memory: late, remindEveryMs: 30 * 60_000 }, [null, "late"]],
    ["late meanwhile, watching resumed 2 min ago: held for its first chance", { watchResumedMs: NOW - 2 * 60_000, resumeCause: "restart" }, [null, null]],
    ["late, watching resumed 7 min ago and that chance passed too", { watchResumedMs: NOW - 7 * 60_000, resumeCause: "restart" }, ["⏰ Cron job late: ladder", "late"]],
    ["entering too_long alerts once", { status: status("too_long", NOW - 60_000), history: { ...history, openStartMs: NOW - 11 * 60_000 } }, ["⏱️ Cron job ran too long: ladder", "too_long"]],
    ["late to up: one recovery", { status: status("up"), memory: late }, ["✅ Cron job recovered: ladder", null]],
    ["late to running (a start marker came): one recovery", { status: status("running", NOW), memory: late }, ["✅ Cron job recovered: ladder", null]],
    ["late to failing: no recovery (the failure alert said it ran)", { status: status("failing"), memory: late }, [null, null]],
    ["late to paused: cleared without a word", { status: status("paused"), memory: late }, [null, null]],
    ["late to up with on_recovery off", { status: status("up"), memory: late, onRecovery: false }, [null, null]],
    ["up and nothing alerted: nothing", { status: status("up") }, [null, null]],
  ])("%s", (_name, over, expected) => {
    expect(outcome(over)).toEqual(expected);
  });

  test("the texts: no job name in the message, local times with how long ago, seconds for a schedule under an hour", () => {
    expect(decideStateAlert(input({})).alert?.message).toBe("Expected at 11:35:00 + 1m grace; last ran 11:30:00 (30 min ago)");
    expect(decideStateAlert(input({ status: status("up"), memory: late })).alert?.message).toBe("Ran again; it was late since 11:36:00 (24 min ago)");
    const daily = { ...every5m, schedule: { kind: "cron" as const, expression: "30 11 * * *", timezone: "UTC" } };
    const dailyHistory = { ...history, lastRun: { ms: ranAt - 86_400_000 + 17_000, exit: 0, durationMs: null } };
    expect(decideStateAlert(input({ settings: daily, history: dailyHistory })).alert?.message).toBe("Expected at 11:30 + 1m grace; last ran 2025-07-28 11:30 (1d 29m ago)");
  });

  // The tester's case: `tick: { every: 10s, grace: 3s }` last ran 18:59:37, the collector was down
  // 2 minutes and came back at 19:01:48. The alert is for the run expected after the restart.
  const tick = { schedule: { kind: "every" as const, periodMs: 10_000 }, graceMs: 3_000, maxDurationMs: null };
  const at = (hms: string): number => Date.parse(`2025-07-29T${hms}Z`);
  const tickHistory = { ...emptyHistory, lastRun: { ms: at("18:59:37"), exit: 0, durationMs: null }, lastSuccessMs: at("18:59:37") };
  const tickInput = (over: Partial<StateAlertInput>): StateAlertInput =>
    input({ settings: tick, history: tickHistory, status: status("late", at("18:59:50")), watchResumedMs: at("19:01:48"), resumeCause: "restart", ...over });

  test.each<[string, Partial<StateAlertInput>, string]>([
    ["after a restart: the deadline after it, and why", { nowMs: at("19:02:01.001") }, "Missed its run expected at 19:01:58 + 3s grace after the collector restarted (or the machine woke up); late since 18:59:50; last ran 18:59:37 (2 min ago)"],
    ["after the first start", { nowMs: at("19:02:01.001"), resumeCause: "first_start" }, "Missed its run expected at 19:01:58 + 3s grace after the collector started watching; late since 18:59:50; last ran 18:59:37 (2 min ago)"],
    ["after a pause ended", { nowMs: at("19:02:01.001"), resumeCause: "pause_end" }, "Missed its run expected at 19:01:58 + 3s grace after its pause ended; late since 18:59:50; last ran 18:59:37 (2 min ago)"],
    ["late after watching resumed: its own deadline", { nowMs: at("19:02:20"), history: { ...tickHistory, lastRun: { ms: at("19:02:05"), exit: 0, durationMs: null } }, status: status("late", at("19:02:18")) }, "Expected at 19:02:15 + 3s grace; last ran 19:02:05 (15 s ago)"],
  ])("a late alert after a gap in watching names the deadline it missed: %s", (_name, over, message) => {
    expect(decideStateAlert(tickInput(over)).alert?.message).toBe(message);
  });

  test("a recovery 24 s after the deadline says 24 s ago, not just now", () => {
    const memory = { state: "late" as const, sinceMs: at("18:59:13"), alertedAtMs: at("18:59:14") };
    expect(decideStateAlert(tickInput({ nowMs: at("18:59:37"), status: status("up"), memory })).alert?.message).toBe("Ran again; it was late since 18:59:13 (24 s ago)");
  });
});
