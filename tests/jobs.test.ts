/**
 * Jobs and schedules end to end, driven by --now: the real CLI, a fake terminal-notifier.
 * Each `--parse-existing --now T` is one check of a collector watching at T; checks less than
 * two minutes apart count as continuous watching (see gapThresholdMs).
 */
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { notifications, notifierSetup, type NotifierSetup } from "./fake-notifier.ts";
import { REPO, runCli, waitFor } from "./helpers.ts";

const jsonl = (fields: Record<string, unknown>): string => `${JSON.stringify(fields)}\n`;

function at(s: NotifierSetup, now: string): { exitCode: number; stdout: string; stderr: string } {
  return runCli(["--parse-existing", "--now", now], s.env);
}

function statsJson(s: NotifierSetup, now: string, job?: string): { jobs: Array<Record<string, unknown>>; watch_gap: unknown } {
  const args = ["--stats", "--json", "--now", now, ...(job ? ["--job", job] : [])];
  return JSON.parse(runCli(args, s.env).stdout);
}

function setup(jobs: string): NotifierSetup {
  const s = notifierSetup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
  s.config(`notify:\n  max_per_minute: 100\njobs:\n${jobs}`);
  return s;
}

describe("missed runs", () => {
  test("a job that stops running: one late alert per missed period, then one recovery", () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    at(s, "2025-07-29T04:00:10Z"); // first start
    at(s, "2025-07-29T04:01:00Z");
    at(s, "2025-07-29T04:01:29Z"); // one second before the deadline
    expect(notifications(s)).toEqual([]);
    at(s, "2025-07-29T04:01:31Z"); // one second after
    at(s, "2025-07-29T04:02:00Z"); // same missed period: nothing new
    expect(notifications(s)).toEqual([["⏰ Cron job late: ladder", "Expected at 2025-07-29T04:01:00.000Z (+30s grace); last ran 2025-07-29T04:00:00.000Z"]]);
    expect(statsJson(s, "2025-07-29T04:02:00Z").jobs[0]).toMatchObject({ name: "ladder", state: "late", next_expected: "2025-07-29T04:02:00.000Z" });

    at(s, "2025-07-29T04:02:31Z"); // the next period is missed too
    expect(notifications(s).map(([title]) => title)).toEqual(["⏰ Cron job late: ladder", "⏰ Cron job late: ladder"]);

    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:02:40Z", exit: 0, msg: "back" }));
    at(s, "2025-07-29T04:02:45Z");
    expect(notifications(s).at(-1)).toEqual(["✅ Cron Job Recovered", "ladder ran again; it was late since 2025-07-29T04:01:00.000Z"]);
    at(s, "2025-07-29T04:03:00Z");
    expect(notifications(s)).toHaveLength(3);
    expect(statsJson(s, "2025-07-29T04:03:00Z").jobs[0]).toMatchObject({ state: "up", last_success: "2025-07-29T04:02:40.000Z" });
  });

  test("restarted after 3 days down: no storm, the gap is reported, the next deadline counts", () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n  backup: { cron: \"0 3 * * *\", timezone: Europe/Berlin, grace: 15m }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }) + jsonl({ ts: "2025-07-29T01:00:05Z", exit: 0, msg: "ok", job: "backup" }));
    at(s, "2025-07-29T04:00:10Z");
    const after = at(s, "2025-08-01T04:00:00Z");
    expect(after.stderr).toContain("Nothing was watched from 2025-07-29T04:00:10.000Z to 2025-08-01T04:00:00.000Z");
    expect(notifications(s)).toEqual([]);
    const stats = statsJson(s, "2025-08-01T04:00:00Z");
    expect(stats.watch_gap).toEqual({ from: "2025-07-29T04:00:10.000Z", to: "2025-08-01T04:00:00.000Z" });
    expect(runCli(["--stats", "--now", "2025-08-01T04:00:00Z"], s.env).stdout).toContain("⚠️  Not watched from 2025-07-29T04:00:10.000Z");
    at(s, "2025-08-01T04:00:31Z");
    expect(notifications(s)).toEqual([["⏰ Cron job late: ladder", "Expected at 2025-08-01T04:00:00.000Z (+30s grace); last ran 2025-07-29T04:00:00.000Z"]]);
  });

  test("a cron job is expected at its local time across the DST change", () => {
    const s = setup('  backup: { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m }\n');
    writeFileSync(s.input, jsonl({ ts: "2025-03-29T03:00:00+01:00", exit: 0, msg: "ok", job: "backup" }));
    at(s, "2025-03-29T02:10:00Z");
    // After the spring-forward night, 03:00 Berlin is 01:00Z: late from 01:15Z on.
    for (const now of ["2025-03-30T00:00:00Z", "2025-03-30T00:59:00Z", "2025-03-30T01:00:30Z", "2025-03-30T01:14:59Z"]) at(s, now);
    expect(notifications(s)).toEqual([]);
    at(s, "2025-03-30T01:15:01Z");
    expect(notifications(s)).toEqual([["⏰ Cron job late: backup", "Expected at 2025-03-30T01:00:00.000Z (+15m grace); last ran 2025-03-29T02:00:00.000Z"]]);
  });
});

describe("the watching collector", () => {
  test("notices a missed run within about a second of its deadline, with no new line and no poll", async () => {
    const s = setup("  ladder: { every: 2s, grace: 1s }\n");
    s.config("check_interval: 3600\nnotify:\n  max_per_minute: 100\njobs:\n  ladder: { every: 2s, grace: 1s }\n");
    const ranAt = Date.now();
    writeFileSync(s.input, jsonl({ ts: new Date(ranAt).toISOString(), exit: 0, msg: "ok" }));
    const child = Bun.spawn(["bun", join(REPO, "collector.ts")], { env: s.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      await waitFor(() => notifications(s).length > 0, 8000, "the late alert");
      const deadline = ranAt + 3000;
      expect(Date.now() - deadline).toBeLessThan(1500);
      expect(notifications(s)[0]?.[0]).toBe("⏰ Cron job late: ladder");
    } finally {
      child.kill("SIGTERM");
      await child.exited;
    }
  }, 15_000);
});

describe("per-job alert settings", () => {
  test("alert_after counts failures in a row per job", () => {
    const s = setup("  order-check: { alert_after: 3 }\n");
    const line = (minute: number, exit: number, job: string) => jsonl({ ts: `2025-07-29T04:0${minute}:00Z`, exit, msg: `m${minute}`, job });
    writeFileSync(s.input, line(1, 1, "order-check") + line(2, 1, "order-check") + line(3, 1, "other") + line(4, 0, "order-check") + line(5, 1, "order-check") + line(6, 1, "order-check"));
    at(s, "2025-07-29T04:07:00Z");
    expect(notifications(s).map(([, message]) => message)).toEqual(["Exit code 1: m3"]);
    appendFileSync(s.input, line(7, 1, "order-check") + line(8, 1, "order-check"));
    at(s, "2025-07-29T04:09:00Z");
    expect(notifications(s).map(([, message]) => message)).toEqual(["Exit code 1: m3", "Exit code 1: m7", "Exit code 1: m8"]);
  });

  test("max_duration: a finished run over it alerts once, and so does a run still going", () => {
    const s = setup("  backup: { max_duration: 1h }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T01:00:00Z", exit: 0, msg: "done", job: "backup", duration_ms: 5_000_000 }));
    at(s, "2025-07-29T02:30:00Z"); // it finished at 02:23
    expect(notifications(s)).toEqual([["⏱️ Cron job ran too long: backup", "took 1h 23m (max_duration 1h)"]]);
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T03:00:00Z", event: "start", run_id: "r-1", job: "backup" }));
    at(s, "2025-07-29T03:30:00Z");
    expect(notifications(s)).toHaveLength(1);
    expect(statsJson(s, "2025-07-29T03:30:00Z").jobs[0]).toMatchObject({ state: "running" });
    at(s, "2025-07-29T04:00:30Z");
    at(s, "2025-07-29T04:01:00Z");
    expect(notifications(s).at(-1)).toEqual(["⏱️ Cron job ran too long: backup", "still running after 1h 30s, started 2025-07-29T03:00:00.000Z (max_duration 1h)"]);
    expect(notifications(s)).toHaveLength(2);
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T03:00:00Z", exit: 0, msg: "finally", job: "backup", run_id: "r-1", duration_ms: 3_700_000 }));
    at(s, "2025-07-29T04:02:00Z");
    expect(statsJson(s, "2025-07-29T04:02:00Z").jobs[0]).toMatchObject({ state: "up", p50_duration_ms: 3_700_000, p95_duration_ms: 5_000_000 });
  });
});

describe("pause and resume", () => {
  test("a pause mutes the job's alerts, survives restarts, and ends with resume", () => {
    const s = setup("  ladder: { every: 1m, grace: 30s }\n");
    writeFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok" }));
    at(s, "2025-07-29T04:00:10Z");
    const paused = runCli(["pause", "ladder", "--for", "2h", "--now", "2025-07-29T04:00:20Z"], s.env);
    expect(paused.stdout).toContain('Alerts for job "ladder" are paused until 2025-07-29T06:00:20.000Z');
    appendFileSync(s.input, jsonl({ ts: "2025-07-29T04:00:50Z", exit: 1, msg: "failed while paused" }));
    at(s, "2025-07-29T04:01:00Z");
    at(s, "2025-07-29T04:02:00Z"); // late while paused
    expect(notifications(s)).toEqual([]);
    expect(statsJson(s, "2025-07-29T04:02:00Z").jobs[0]).toMatchObject({ state: "paused", paused_until: "2025-07-29T06:00:20.000Z" });

    expect(runCli(["resume", "ladder"], s.env).stdout).toContain('Alerts for job "ladder" are on again.');
    // The last (failed) run was at 04:00:50: the period due 04:01:50 (+30s) passed after the pause.
    at(s, "2025-07-29T04:03:00Z");
    expect(notifications(s)).toEqual([["⏰ Cron job late: ladder", "Expected at 2025-07-29T04:01:50.000Z (+30s grace); last ran 2025-07-29T04:00:50.000Z"]]);
    at(s, "2025-07-29T04:03:21Z");
    expect(notifications(s)).toHaveLength(2);
  });

  test("usage errors", () => {
    const s = setup("");
    expect(runCli(["pause"], s.env).stderr).toContain("pause needs exactly one job name");
    expect(runCli(["pause", "x", "--for", "soon"], s.env).exitCode).toBe(2);
    expect(runCli(["resume", "x", "--for", "1h"], s.env).stderr).toContain("--for goes with pause");
  });
});

describe("stats and retention", () => {
  test("--stats --json lists every job with its state, schedule and durations", () => {
    const s = setup('  backup: { cron: "0 3 * * *", timezone: UTC, grace: 15m }\n  never: { every: 1h }\n');
    writeFileSync(s.input, [1000, 2000, 3000, 4000].map((ms, i) => jsonl({ ts: `2025-07-2${5 + i}T03:00:00Z`, exit: 0, msg: "ok", job: "backup", duration_ms: ms })).join("") + jsonl({ ts: "2025-07-29T04:00:00Z", exit: 2, msg: "x" }));
    at(s, "2025-07-29T04:10:00Z");
    const stats = statsJson(s, "2025-07-29T04:10:00Z");
    expect(stats.jobs.map((job) => [job.name, job.state])).toEqual([["backup", "up"], ["ladder", "failing"], ["never", "unknown"]]);
    expect(stats.jobs[0]).toMatchObject({
      schedule: 'cron "0 3 * * *" (UTC)',
      next_expected: "2025-07-30T03:00:00.000Z",
      last_success: "2025-07-28T03:00:00.000Z",
      last_failure: null,
      p50_duration_ms: 2000,
      p95_duration_ms: 4000,
    });
    for (const key of ["state", "last_success", "last_failure", "next_expected", "p50_duration_ms", "p95_duration_ms"]) {
      expect(Object.keys(stats.jobs[2] ?? {})).toContain(key);
    }
    const text = runCli(["--stats", "--now", "2025-07-29T04:10:00Z"], s.env).stdout;
    expect(text).toMatch(/backup\s+✅ up\s+2025-07-28T03:00:00.000Z/);
    expect(text).toContain("❌ failing");
  });

  test("retention_days prunes old runs; the job's state and last success survive", () => {
    const s = setup("  backup: { every: 1d, grace: 1h }\n");
    s.config(`retention_days: 30\njobs:\n  backup: { every: 1d, grace: 1h }\n`);
    let text = "";
    for (let day = 1; day <= 9; day++) text += jsonl({ ts: `2025-06-0${day}T03:00:00Z`, exit: 0, msg: "ok", job: "backup" });
    writeFileSync(s.input, text);
    expect(at(s, "2025-06-10T00:00:00Z").stdout).not.toContain("Pruned");
    const later = at(s, "2025-07-20T00:00:00Z");
    expect(later.stdout).toContain("Pruned 9 run(s) older than 30 days");
    expect(statsJson(s, "2025-07-20T00:00:00Z").jobs[0]).toMatchObject({ name: "backup", last_success: "2025-06-09T03:00:00.000Z", last_run: null });
    const db = new Database(s.db, { readonly: true });
    expect(db.query("SELECT COUNT(*) AS n FROM alerts WHERE event_ms < ? AND status != 'pending'").get(Date.parse("2025-06-20T00:00:00Z"))).toEqual({ n: 0 });
    db.close();
  });
});
