/**
 * Jobs, states and alerts end to end: the real CLI in a temp HOME with an explicit --config there
 * and a fake terminal-notifier on PATH. Each `parse --now T` is one check of a collector watching
 * at T; checks less than two minutes apart count as continuous watching (see gapThresholdMs).
 * The "repro N" tests are the reproductions of issue 9, each failing on the code before it.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { notifications, notifierSetup, type NotifierSetup } from "./fake-notifier.ts";
import { type CliResult, CONCURRENT_TEST_TIMEOUT_MS, REPO, runCliAwaited, runCliInProcess, waitFor } from "./helpers.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

const jsonl = (fields: Record<string, unknown>): string => `${JSON.stringify(fields)}\n`;
const configOf = (s: NotifierSetup): string[] => ["--config", join(s.home, "config.yaml")];

function at(s: NotifierSetup, now: string): Promise<CliResult> {
  return runCliInProcess(["--parse-existing", "--now", now, ...configOf(s)], s.env);
}

async function statsJson(s: NotifierSetup, now: string, job?: string): Promise<{ jobs: Array<Record<string, unknown>>; watch_gap: unknown; newest_rejects: unknown[] }> {
  const args = ["--stats", "--json", "--now", now, ...configOf(s), ...(job ? ["--job", job] : [])];
  return JSON.parse((await runCliInProcess(args, s.env)).stdout);
}

function setup(jobs: string, notify = "  max_per_minute: 100\n"): NotifierSetup {
  const s = notifierSetup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
  s.config(`notify:\n${notify}jobs:\n${jobs}`);
  return s;
}

function alertRows(s: NotifierSetup): number {
  const db = new Database(s.db, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM alerts").get()?.n ?? 0;
  } finally {
    db.close();
  }
}

function heartbeatMs(s: NotifierSetup): number {
  if (!existsSync(s.db)) return 0;
  const db = new Database(s.db, { readonly: true });
  try {
    return Number(db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'monitor.heartbeat_ms'").get()?.value ?? 0);
  } catch {
    return 0; // not migrated yet
  } finally {
    db.close();
  }
}

/** Runs the watching collector until `done`, then stops it; its log is $HOME/.cron_dash/collector.log. */
async function watching(s: NotifierSetup, done: () => Promise<void>): Promise<string> {
  const child = Bun.spawn(["bun", join(REPO, "collector.ts"), ...configOf(s)], { env: s.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  try {
    await done();
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
  const log = join(s.home, ".cron_dash", "collector.log");
  return existsSync(log) ? readFileSync(log, "utf8") : "";
}

describe("issue 9 reproductions", () => {
  test("repro 1: first start on a year-old run of an every-1m job: at most one alert, a few log lines, state late", async () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n", "  max_per_minute: 100\ncheck_interval: 0.2\n");
    s.config("check_interval: 0.2\nnotify:\n  max_per_minute: 100\njobs:\n  ladder: { every: 1m, grace: 30s }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    const started = Date.now();
    const log = await watching(s, async () => {
      await waitFor(() => heartbeatMs(s) > 0, 8000, "the first check");
      const first = heartbeatMs(s);
      await waitFor(() => heartbeatMs(s) >= first + 1000, 8000, "a second of checks after the first");
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(notifications(s).length).toBeLessThanOrEqual(1);
    expect(alertRows(s)).toBeLessThanOrEqual(1);
    expect(log.split("\n").length).toBeLessThan(20);
    const written = [s.db, `${s.db}-wal`, join(s.home, ".cron_dash", "collector.log")].filter(existsSync).reduce((sum, path) => sum + statSync(path).size, 0);
    expect(written).toBeLessThan(1 << 20);
    expect((await statsJson(s, new Date().toISOString())).jobs[0]).toMatchObject({ name: "ladder", state: "late" });
  });

  test("repro 2: a start marker and its finish read in the same batch close: no 'too long', state up", async () => {
    const s = setup("  quick: { max_duration: 3s }\n");
    const ran = await runCliAwaited(["run", "--job", "quick", "--start-marker", ...configOf(s), "--", "true"], s.env);
    expect(ran.exitCode).toBe(0);
    const lines = readFileSync(s.input, "utf8").trim().split("\n");
    expect(lines.map((line) => JSON.parse(line).event ?? "finish")).toEqual(["start", "finish"]);
    const later = new Date(Date.now() + 4000).toISOString();
    await at(s, later);
    expect(notifications(s)).toEqual([]);
    expect((await statsJson(s, later)).jobs.find((job) => job.name === "quick")).toMatchObject({ state: "up" });
    expect((await runCliInProcess(["--stats", "--now", later, ...configOf(s)], s.env)).stdout).not.toContain("too long");
  });

  test("repro 3: a run longer than its grace, whose start marker came on time, is running, not late", async () => {
    const s = setup('  nightly: { cron: "*/5 * * * *", timezone: UTC, grace: 10s }\n');
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T03:55:00Z", exit: 0, msg: "ok", job: "nightly", duration_ms: 1000 }));
    await at(s, "2025-07-29T03:59:00Z");
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", event: "start", run_id: "r-1", job: "nightly" }));
    for (const now of ["2025-07-29T04:00:01Z", "2025-07-29T04:00:30Z", "2025-07-29T04:01:20Z"]) await at(s, now);
    expect((await statsJson(s, "2025-07-29T04:01:20Z")).jobs[0]).toMatchObject({ name: "nightly", state: "running", state_since: "2025-07-29T04:00:00.000Z" });
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "done", job: "nightly", run_id: "r-1", duration_ms: 90_000 }));
    await at(s, "2025-07-29T04:01:31Z");
    await at(s, "2025-07-29T04:03:00Z");
    expect(notifications(s)).toEqual([]);
    expect((await statsJson(s, "2025-07-29T04:03:00Z")).jobs[0]).toMatchObject({ state: "up", next_expected: "2025-07-29T04:05:00.000Z" });
  });

  test("repro 4: a stopped every-10s job: one late alert for the whole outage, one recovery, no summaries", async () => {
    const s = setup("  ladder: { every: 10s, grace: 5s }\n", "  on_recovery: true\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    // Checks under two minutes apart: one watched stretch in which 10 periods pass without a run.
    for (const now of ["04:00:01", "04:00:16", "04:01:10", "04:02:00"]) await at(s, `2025-07-29T${now}Z`);
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:02:05Z", exit: 0, msg: "back" }));
    await at(s, "2025-07-29T04:02:06Z");
    await at(s, "2025-07-29T04:02:15Z");
    expect(notifications(s)).toEqual([
      ["⏰ Cron job late: ladder", "Expected at 04:00:10 + 5s grace; last ran 04:00:00 (1 min ago)"],
      ["✅ Cron job recovered: ladder", "Ran again; it was late since 04:00:15 (1 min ago)"],
    ]);
  });

  test("repro 5: --now reproduces states, streaks and next expected times", async () => {
    const s = setup("  ladder: { every: 5m, grace: 1m }\n");
    let lines = "";
    for (let minute = 0; minute <= 20; minute += 5) lines += jsonl({ ts: `2025-07-29T04:${String(minute).padStart(2, "0")}:00Z`, exit: minute === 0 ? 0 : 1, msg: `m${minute}` });
    lines += jsonl({ ts: "2025-07-29T04:25:00Z", exit: 0, msg: "ok" });
    lines += jsonl({ ts: "2025-07-29T05:30:00Z", exit: 0, msg: "after 65 minutes" });
    writeFileSync(s.input, lines);
    await at(s, "2025-07-29T06:00:00Z");
    expect((await statsJson(s, "2025-07-29T04:12:00Z")).jobs[0]).toMatchObject({
      state: "failing",
      consecutive_failures: 2,
      last_run: "2025-07-29T04:10:00.000Z",
      next_expected: "2025-07-29T04:15:00.000Z",
    });
    expect((await statsJson(s, "2025-07-29T05:00:00Z")).jobs[0]).toMatchObject({
      state: "late",
      state_since: "2025-07-29T04:31:00.000Z",
      consecutive_failures: 0,
      next_expected: "2025-07-29T04:30:00.000Z", // late: the run it missed, not the next slot after now
    });
    expect((await statsJson(s, "2025-07-29T05:31:00Z")).jobs[0]).toMatchObject({ state: "up", next_expected: "2025-07-29T05:35:00.000Z" });
  });

  test("repro 6: unreadable lines while watching: a WARN each with its byte offset, one alert, shown by --stats", async () => {
    const s = setup("", "  max_per_minute: 100\n");
    s.config("check_interval: 0.2\nnotify:\n  max_per_minute: 100\n");
    const good = jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" });
    writeFileSync(s.input, good);
    const log = await watching(s, async () => {
      await waitFor(() => heartbeatMs(s) > 0, 8000, "the first check");
      appendFileSync(s.input, '{"ts": "2025-07-29T04:01:00Z", "exit": \n{"ts":"2025-07-29T04:02:00Z","exit":"boom"}\n');
      await waitFor(() => notifications(s).length > 0, 8000, "the unreadable-lines alert");
    });
    const offset = Buffer.byteLength(good);
    expect(log).toContain(`WARN  Unreadable line at byte ${offset} of "${s.input}": not valid JSON; quarantined`);
    expect(log).toMatch(/WARN {2}Unreadable line at byte \d+ of ".*": "exit" must be an integer, got "boom"; quarantined/);
    expect(notifications(s)).toEqual([["⚠️ Cron log line unreadable", "2 lines in ladder.jsonl could not be read: not valid JSON (byte " + offset + "); see --stats"]]);
    const stats = await statsJson(s, new Date().toISOString());
    expect(stats.newest_rejects).toMatchObject([{ reason: '"exit" must be an integer, got "boom"' }, { reason: "not valid JSON", offset }]);
    const text = (await runCliInProcess(["--stats", ...configOf(s)], s.env)).stdout;
    expect(text).toContain(`🚫 Newest unreadable lines:\n   byte ${offset + 40} of ${s.input}: "exit" must be an integer, got "boom": {"ts"`);
    expect(text).toContain(`   byte ${offset} of ${s.input}: not valid JSON: {"ts"`);
  });
});

describe("missed runs", () => {
  test("restarted after 3 days down: no storm; late is alerted only if it misses its first chance after the restart", async () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n  backup: { cron: \"0 3 * * *\", timezone: Europe/Berlin, grace: 15m }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }) + jsonl({ ts: "2025-07-29T01:00:05Z", exit: 0, msg: "ok", job: "backup" }));
    await at(s, "2025-07-29T04:00:10Z");
    const after = await at(s, "2025-08-01T04:00:00Z");
    expect(after.stderr).toContain("Nothing was watched from 2025-07-29T04:00:10.000Z to 2025-08-01T04:00:00.000Z");
    expect(notifications(s)).toEqual([]);
    const stats = await statsJson(s, "2025-08-01T04:00:00Z");
    expect(stats.watch_gap).toEqual({ from: "2025-07-29T04:00:10.000Z", to: "2025-08-01T04:00:00.000Z" });
    expect(stats.jobs.map((job) => [job.name, job.state])).toEqual([["backup", "late"], ["ladder", "late"]]);
    expect((await runCliInProcess(["--stats", "--now", "2025-08-01T04:00:00Z", ...configOf(s)], s.env)).stdout).toContain("⚠️  Not watched from 2025-07-29T04:00:10.000Z");
    await at(s, "2025-08-01T04:01:00Z");
    expect(notifications(s)).toEqual([]);
    await at(s, "2025-08-01T04:01:31Z");
    expect(notifications(s)).toEqual([["⏰ Cron job late: ladder", "Missed its run expected at 04:01:00 + 30s grace after the collector restarted (or the machine woke up); late since 2025-07-29 04:01:30; last ran 2025-07-29 04:00:00 (3d 1m ago)"]]);
  });

  test("a cron job is expected at its local time across the DST change", async () => {
    const s = setup('  backup: { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m }\n');
    writeFileSync(s.input, jsonl({ ts: "2025-03-29T03:00:00+01:00", exit: 0, msg: "ok", job: "backup" }));
    await at(s, "2025-03-29T02:10:00Z");
    // After the spring-forward night, 03:00 Berlin is 01:00Z: late from 01:15Z on.
    expect((await statsJson(s, "2025-03-30T01:14:59Z")).jobs[0]).toMatchObject({ state: "up", next_expected: "2025-03-30T01:00:00.000Z" });
    expect((await statsJson(s, "2025-03-30T01:15:01Z")).jobs[0]).toMatchObject({ state: "late", state_since: "2025-03-30T01:15:00.000Z" });
  });

  test("a job taken out of jobs: loses its schedule and its late state", async () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    await at(s, "2025-07-29T04:00:10Z");
    await at(s, "2025-07-29T04:01:41Z");
    expect(notifications(s)).toHaveLength(1);
    s.config("notify:\n  max_per_minute: 100\n");
    const removed = await at(s, "2025-07-29T04:02:00Z");
    expect(removed.stderr).toContain('Job "ladder" has no schedule or max_duration any more; its late or too-long state is cleared');
    expect((await statsJson(s, "2025-07-29T04:02:00Z")).jobs[0]).toMatchObject({ name: "ladder", state: "up", schedule: null, next_expected: null });
    expect(notifications(s)).toHaveLength(1);
  });
});

describe("the watching collector", () => {
  test("notices a missed run within about a second of its deadline, with no new line and no poll", async () => {
    const s = setup("  ladder: { every: 1s, grace: 0s }\n");
    s.config("check_interval: 3600\nnotify:\n  max_per_minute: 100\njobs:\n  ladder: { every: 1s, grace: 0s }\n");
    writeFileSync(s.input, jsonl({ ts: new Date(Date.now() - 5000).toISOString(), exit: 0, msg: "ok" }));
    const spawned = Date.now();
    await watching(s, async () => {
      await waitFor(() => notifications(s).length > 0, 8000, "the late alert");
      // Late already at the start, it gets one period after watching began (see state-alerts.ts):
      // the deadline is then at least spawned + 1 s; the timer fires within a moment of it.
      expect(Date.now() - (spawned + 1000)).toBeLessThan(1500);
      expect(notifications(s)[0]?.[0]).toBe("⏰ Cron job late: ladder");
    });
  });
});

describe("per-job alert settings", () => {
  test("alert_after counts failures in a row per job", async () => {
    const s = setup("  order-check: { alert_after: 3 }\n");
    const line = (minute: number, exit: number, job: string) => jsonl({ ts: `2025-07-29T04:0${minute}:00Z`, exit, msg: `m${minute}`, job });
    writeFileSync(s.input, line(1, 1, "order-check") + line(2, 1, "order-check") + line(3, 1, "other") + line(4, 0, "order-check") + line(5, 1, "order-check") + line(6, 1, "order-check"));
    await at(s, "2025-07-29T04:07:00Z");
    expect(notifications(s).map(([, message]) => message)).toEqual(["Exit code 1: m3"]);
    appendFileSync(s.input, line(7, 1, "order-check") + line(8, 1, "order-check"));
    await at(s, "2025-07-29T04:09:00Z");
    expect(notifications(s).map(([, message]) => message)).toEqual(["Exit code 1: m3", "Exit code 1: m7", "Exit code 1: m8"]);
  });

  test("max_duration: a finished run over it alerts once; a run still going alerts once, and recovers when it ends", async () => {
    const s = setup("  backup: { max_duration: 1h }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T01:00:00Z", exit: 0, msg: "done", job: "backup", duration_ms: 5_000_000 }));
    await at(s, "2025-07-29T02:30:00Z"); // it finished at 02:23
    expect(notifications(s)).toEqual([["⏱️ Cron job ran too long: backup", "Took 1h 23m (max_duration 1h), started 01:00"]]);
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T03:00:00Z", event: "start", run_id: "r-1", job: "backup" }));
    await at(s, "2025-07-29T03:30:00Z");
    expect(notifications(s)).toHaveLength(1);
    expect((await statsJson(s, "2025-07-29T03:30:00Z")).jobs[0]).toMatchObject({ state: "running" });
    await at(s, "2025-07-29T04:00:30Z");
    await at(s, "2025-07-29T04:01:00Z");
    expect(notifications(s).at(-1)).toEqual(["⏱️ Cron job ran too long: backup", "Still running after 1h 30s, started 03:00; max_duration 1h"]);
    expect(notifications(s)).toHaveLength(2);
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T03:00:00Z", exit: 0, msg: "finally", job: "backup", run_id: "r-1", duration_ms: 3_700_000 }));
    await at(s, "2025-07-29T04:02:00Z");
    expect(notifications(s).at(-1)).toEqual(["✅ Cron job recovered: backup", "The long run ended; it was over max_duration since 04:00:00 (2 min ago)"]);
    expect(notifications(s)).toHaveLength(3);
    expect((await statsJson(s, "2025-07-29T04:02:00Z")).jobs[0]).toMatchObject({ state: "up", p50_duration_ms: 3_700_000, p95_duration_ms: 5_000_000 });
    // As of 03:30, the run that ended at 04:01:40 was still going.
    expect((await statsJson(s, "2025-07-29T03:30:00Z")).jobs[0]).toMatchObject({ state: "running" });
  });

  test("remind_every repeats a late alert while it lasts", async () => {
    const s = setup("  ladder: { every: 1m, grace: 30s, remind_every: 1m }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    for (const now of ["2025-07-29T04:00:10Z", "2025-07-29T04:01:31Z", "2025-07-29T04:02:00Z", "2025-07-29T04:02:31Z", "2025-07-29T04:03:00Z"]) await at(s, now);
    expect(notifications(s).map(([title]) => title)).toEqual(["⏰ Cron job late: ladder", "⏰ Cron job still late: ladder"]);
  });
});

describe("pause and resume", () => {
  test("a pause mutes the job's alerts, survives restarts, and ends with resume", async () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    await at(s, "2025-07-29T04:00:10Z");
    const paused = await runCliInProcess(["pause", "ladder", "--for", "2h", "--now", "2025-07-29T04:00:20Z", ...configOf(s)], s.env);
    expect(paused.stdout).toContain('Alerts for job "ladder" are paused until 2025-07-29T06:00:20.000Z');
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:50Z", exit: 1, msg: "failed while paused" }));
    await at(s, "2025-07-29T04:01:00Z");
    await at(s, "2025-07-29T04:02:00Z"); // late while paused
    expect(notifications(s)).toEqual([]);
    expect((await statsJson(s, "2025-07-29T04:02:00Z")).jobs[0]).toMatchObject({ state: "paused", paused_until: "2025-07-29T06:00:20.000Z" });

    expect((await runCliInProcess(["resume", "ladder", "--now", "2025-07-29T04:02:30Z", ...configOf(s)], s.env)).stdout).toContain('Alerts for job "ladder" are on again.');
    // Late since the pause; it gets its first chance after the resume (04:03:30 + 30s) first.
    await at(s, "2025-07-29T04:03:30Z");
    expect(notifications(s)).toEqual([]);
    await at(s, "2025-07-29T04:04:01Z");
    expect(notifications(s)).toEqual([["⏰ Cron job late: ladder", "Missed its run expected at 04:03:30 + 30s grace after its pause ended; late since 04:02:20; last ran 04:00:50 (3 min ago)"]]);
  });

  test("usage errors", async () => {
    const s = setup("");
    expect((await runCliInProcess(["pause", ...configOf(s)], s.env)).stderr).toContain("pause needs exactly one job name");
    expect((await runCliInProcess(["pause", "x", "--for", "soon", ...configOf(s)], s.env)).exitCode).toBe(2);
    expect((await runCliInProcess(["resume", "x", "--for", "1h", ...configOf(s)], s.env)).stderr).toContain("--for goes with pause");
  });
});

describe("stats and retention", () => {
  test("--stats --json lists every job with its state, schedule and durations", async () => {
    const s = setup('  backup: { cron: "0 3 * * *", timezone: UTC, grace: 15m }\n  never: { every: 1h }\n  nightly: { cron: "@daily" }\n');
    writeFileSync(s.input, [1000, 2000, 3000, 4000].map((ms, i) => jsonl({ ts: `2025-07-2${5 + i}T03:00:00Z`, exit: 0, msg: "ok", job: "backup", duration_ms: ms })).join("") + jsonl({ ts: "2025-07-29T04:00:00Z", exit: 2, msg: "x" }));
    await at(s, "2025-07-29T04:10:00Z");
    const stats = await statsJson(s, "2025-07-29T04:10:00Z");
    // backup last ran on the 28th: its run of the 29th at 03:00 (+15m) is missing.
    expect(stats.jobs.map((job) => [job.name, job.state])).toEqual([["backup", "late"], ["ladder", "failing"], ["never", "new"], ["nightly", "new"]]);
    expect(stats.jobs[0]).toMatchObject({
      schedule: 'cron "0 3 * * *" (UTC)',
      state_since: "2025-07-29T03:15:00.000Z",
      reason: "late since 03:15, expected cron \"0 3 * * *\" (UTC) + 15m grace",
      next_expected: "2025-07-29T03:00:00.000Z", // late: the run it missed
      last_success: "2025-07-28T03:00:00.000Z",
      last_failure: null,
      p50_duration_ms: 2000,
      p95_duration_ms: 4000,
    });
    for (const key of ["state", "state_since", "reason", "last_success", "last_failure", "next_expected", "p50_duration_ms", "p95_duration_ms"]) {
      expect(Object.keys(stats.jobs[2] ?? {})).toContain(key);
    }
    const text = (await runCliInProcess(["--stats", "--now", "2025-07-29T04:10:00Z", ...configOf(s)], s.env)).stdout;
    expect(text).toMatch(/backup\s+⏰ late\s+2025-07-28T03:00:00.000Z/);
    expect(text).toContain("❌ failing");
    expect(text).toContain("   backup: late since 03:15");
  });

  test("a line naming the default job leaves no row of its own; a near-miss job name gets a did-you-mean once", async () => {
    const s = setup("  backup: { every: 1h }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "a", job: "ladder" }) + jsonl({ ts: "2025-07-29T04:01:00Z", exit: 0, msg: "b", job: "bakup" }) + jsonl({ ts: "2025-07-29T04:02:00Z", exit: 0, msg: "c", job: "bakup" }));
    const result = await at(s, "2025-07-29T04:10:00Z");
    expect(result.stderr.match(/did you mean "backup"\?/g)).toHaveLength(1);
    const db = new Database(s.db, { readonly: true });
    expect(db.query("SELECT name FROM jobs ORDER BY name").all()).toEqual([{ name: "" }, { name: "backup" }, { name: "bakup" }]);
    db.close();
  });

  test("retention_days prunes old runs; the job's state and last success survive", async () => {
    const s = setup("  backup: { every: 1d, grace: 1h }\n");
    s.config(`retention_days: 30\njobs:\n  backup: { every: 1d, grace: 1h }\n`);
    let text = "";
    for (let day = 1; day <= 9; day++) text += jsonl({ ts: `2025-06-0${day}T03:00:00Z`, exit: 0, msg: "ok", job: "backup" });
    writeFileSync(s.input, text);
    expect((await at(s, "2025-06-10T00:00:00Z")).stdout).not.toContain("Pruned");
    const later = await at(s, "2025-07-20T00:00:00Z");
    expect(later.stdout).toContain("Pruned 9 run(s) older than 30 days");
    expect((await statsJson(s, "2025-07-20T00:00:00Z")).jobs[0]).toMatchObject({ name: "backup", last_success: "2025-06-09T03:00:00.000Z", last_run: null });
    const db = new Database(s.db, { readonly: true });
    expect(db.query("SELECT COUNT(*) AS n FROM alerts WHERE event_ms < ? AND status != 'pending'").get(Date.parse("2025-06-20T00:00:00Z"))).toEqual({ n: 0 });
    db.close();
  });
});
