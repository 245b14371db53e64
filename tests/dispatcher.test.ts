/**
 * The alert dispatcher in-process: a real database in a temp dir, an injected clock, in-process
 * fake notifiers (no program is ever run).
 */
import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AlertDispatcher, RETRY_MAX_MS, retryDelayMs } from "../src/alerts/dispatcher.ts";
import type { AlertText } from "../src/alerts/format.ts";
import type { NotifyBackendName } from "../src/config/config.ts";
import { parseConfig } from "../src/config/load.ts";
import { DeliveryThread } from "../src/notify/delivery-thread.ts";
import { resolveNotifiers } from "../src/notify/notifier.ts";
import { createLogger } from "../src/logger.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { openDatabase } from "../src/store/database.ts";
import { Outbox } from "../src/store/outbox.ts";
import { recordingNotifier, type RecordingNotifier } from "./fake-notifier.ts";
import { tempDir } from "./helpers.ts";

const T0 = Date.UTC(2025, 6, 29, 12, 0);
const MINUTE = 60_000;
const notifyDefaults = { maxAgeMs: 3_600_000, maxPerMinute: 5, sound: "Basso" };
const open: Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close(false);
});

interface Harness {
  readonly db: Database;
  readonly outbox: Outbox;
  readonly dispatcher: AlertDispatcher;
  readonly log: string[];
  nowMs: number;
  add(text: AlertText, status?: "pending" | "stale"): number;
  statuses(): Record<string, number>;
}

function harness(backends: Partial<Record<NotifyBackendName, RecordingNotifier>>, outboxFor = (outbox: Outbox): Outbox => outbox, path?: string): Harness {
  const db = openDatabase(path ?? join(tempDir("cc-dispatch-"), "ladder.db"));
  open.push(db);
  const alerts = new AlertStore(db);
  const outbox = new Outbox(db);
  const log: string[] = [];
  const targets = Object.entries(backends).map(([backend, notifier]) => ({ backend: backend as NotifyBackendName, notifier: notifier as RecordingNotifier }));
  const h: Harness = {
    db,
    outbox,
    log,
    nowMs: T0,
    dispatcher: new AlertDispatcher(outboxFor(outbox), () => targets, notifyDefaults, createLogger("debug", [(line) => log.push(line)], () => new Date(h.nowMs)), () => new Date(h.nowMs)),
    add: (text, status = "pending") => alerts.add(text, status, null, new Date(h.nowMs).toISOString()),
    statuses: () =>
      Object.fromEntries(db.query<{ status: string; n: number }, []>("SELECT status, COUNT(*) AS n FROM alerts GROUP BY status").all().map((row) => [row.status, row.n])),
  };
  return h;
}

// Alert texts as the outbox stores them (built here, so these tests do not follow the wording of
// src/alerts/format.ts).
const text = (kind: AlertText["kind"], job: string, eventMs: number, message: string): AlertText => ({
  kind,
  title: `${kind}: ${job}`,
  subtitle: null,
  message,
  sound: kind === "recovery" ? null : "Basso",
  groupId: `cron-collector.${job}`,
  job,
  exitCode: kind === "failure" ? 2 : null,
  eventMs,
});
const failure = (job: string, eventMs: number, msg = "boom"): AlertText => text("failure", job, eventMs, `Exit code 2: ${msg}`);
const recovery = (job: string, eventMs: number): AlertText => text("recovery", job, eventMs, "Succeeded again");
const late = (job: string, eventMs: number): AlertText => text("late", job, eventMs, "Expected at 11:55");

describe("a notifier outage", () => {
  test("is retried with capped exponential backoff; the first success sends the oldest and folds the rest into one summary", async () => {
    const notifier = recordingNotifier();
    notifier.failing = true;
    const h = harness({ auto: notifier });
    h.add(failure("backup", T0));
    h.add(failure("backup", T0 + 1000, "second"));
    h.add(failure("web", T0 + 2000, "third"));
    h.add(recovery("backup", T0 + 3000));

    const delays: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const result = await h.dispatcher.flush();
      expect(result.failed).toBe(1);
      expect(result.waiting).toBe(4);
      expect(result.retryAtMs).not.toBeNull();
      delays.push((result.retryAtMs ?? 0) - h.nowMs);
      // Before the retry time nothing is attempted.
      h.nowMs += 1000;
      await h.dispatcher.flush();
      h.nowMs = result.retryAtMs ?? 0;
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000]);
    expect(notifier.attempts).toBe(6);
    expect(h.log.filter((line) => line.includes("will retry in 30s"))).toHaveLength(1);

    notifier.failing = false;
    const result = await h.dispatcher.flush();
    expect(result.sent).toBe(2);
    expect(notifier.sent.map((alert) => alert.message)).toEqual([
      "Exit code 2: boom",
      "2 failures, 1 recovery held back while auto was failing; last failure: web at 2025-07-29T12:00:02.000Z, Exit code 2: third; up again: backup",
    ]);
    expect(h.statuses()).toEqual({ sent: 2, summarized: 3 });
    // Nothing is left to send, and nothing is sent twice.
    h.nowMs += 10 * MINUTE;
    expect((await h.dispatcher.flush()).sent).toBe(0);
    expect(notifier.sent).toHaveLength(2);
  });

  test("the wait doubles from 30 s and is capped at an hour", () => {
    expect([1, 2, 7, 8, 12, 100].map(retryDelayMs)).toEqual([30_000, 60_000, 1_920_000, RETRY_MAX_MS, RETRY_MAX_MS, RETRY_MAX_MS]);
  });

  test("after a day down, nothing is lost: what waited past max_age arrives folded", async () => {
    const notifier = recordingNotifier();
    notifier.failing = true;
    const h = harness({ auto: notifier });
    for (let i = 0; i < 20; i++) h.add(failure(`job${i % 3}`, T0 + i * 1000, `crash ${i}`));
    let result = await h.dispatcher.flush();
    while (h.nowMs < T0 + 24 * 3_600_000) {
      h.nowMs = result.retryAtMs ?? h.nowMs + MINUTE;
      result = await h.dispatcher.flush();
    }
    expect(notifier.attempts).toBeGreaterThan(20);
    expect(h.statuses().pending).toBeGreaterThan(0);
    notifier.failing = false;
    h.nowMs = result.retryAtMs ?? h.nowMs;
    await h.dispatcher.flush();
    // The first flush already folded the burst over max_per_minute; the 4 alerts meant to go out
    // one by one waited past max_age and are folded on the first success.
    expect(notifier.sent.map((alert) => alert.message)).toEqual([
      "16 failures in a burst; last failure: job1 at 2025-07-29T12:00:19.000Z, Exit code 2: crash 19",
      "4 failures not delivered within notify.max_age; last failure: job0 at 2025-07-29T12:00:03.000Z, Exit code 2: crash 3",
    ]);
    expect(h.statuses()).toEqual({ sent: 2, summarized: 20 });
  });
});

describe("summaries", () => {
  test("a burst summary names what it folds and never names the recovery as the last failure", async () => {
    const notifier = recordingNotifier();
    const h = harness({ auto: notifier });
    for (let i = 0; i < 6; i++) h.add(failure("backup", T0 - 10_000 + i * 1000, `crash ${i}`));
    h.add(late("ladder", T0 - 5 * MINUTE));
    h.add(recovery("backup", T0));
    await h.dispatcher.flush();
    const messages = notifier.sent.map((alert) => alert.message);
    expect(messages).toHaveLength(5);
    expect(messages[4]).toBe(
      "2 failures, 1 late job, 1 recovery in a burst; last failure: backup at 2025-07-29T11:59:55.000Z, Exit code 2: crash 5; up again: backup",
    );
  });

  test("failures sharing one timestamp: the summary names the last one written, and a job is up again only if its recovery was written last", async () => {
    const notifier = recordingNotifier();
    const h = harness({ auto: notifier });
    for (let i = 0; i < 20; i++) h.add(failure("k", T0 - 10_000, `s ${i}`));
    h.add(recovery("r", T0 - 20_000));
    h.add(failure("r", T0 - 20_000, "after the recovery"));
    await h.dispatcher.flush();
    const messages = notifier.sent.map((alert) => alert.message);
    expect(messages.at(-1)).toBe("17 failures, 1 recovery in a burst; last failure: k at 2025-07-29T11:59:50.000Z, Exit code 2: s 19");
  });

  test("old failures read late are one summary that does not blame a stopped collector", async () => {
    const notifier = recordingNotifier();
    const h = harness({ auto: notifier });
    h.add(failure("ladder", T0 - 3 * 3_600_000), "stale");
    h.add(recovery("ladder", T0 - 2 * 3_600_000), "stale");
    await h.dispatcher.flush();
    expect(notifier.sent.map((alert) => alert.message)).toEqual([
      "1 failure, 1 recovery older than notify.max_age when read; last failure: ladder at 2025-07-29T09:00:00.000Z, Exit code 2: boom; up again: ladder",
    ]);
  });
});

describe("several backends", () => {
  test("one failing backend never blocks the other, and a retry never re-sends to the one that took it", async () => {
    const desktop = recordingNotifier("desktop");
    const phone = recordingNotifier("phone");
    phone.failing = true;
    const h = harness({ "terminal-notifier": desktop, webhook: phone });
    h.add(failure("backup", T0));
    const first = await h.dispatcher.flush();
    expect(first).toMatchObject({ sent: 1, failed: 1, waiting: 1 });
    expect(h.statuses()).toEqual({ pending: 1 });
    h.add(failure("backup", T0 + 1000, "later"));
    await h.dispatcher.flush(); // the phone is backing off; the desktop gets the new alert at once
    expect(desktop.sent.map((alert) => alert.message)).toEqual(["Exit code 2: boom", "Exit code 2: later"]);

    phone.failing = false;
    h.nowMs = first.retryAtMs ?? 0;
    await h.dispatcher.flush();
    expect(phone.sent.map((alert) => alert.message)).toEqual(["Exit code 2: boom", "Exit code 2: later"]);
    expect(desktop.sent).toHaveLength(2);
    expect(h.statuses()).toEqual({ sent: 2 });
  });

  test("an alert that only reached the log is not delivered: status logged", async () => {
    const h = harness({ auto: recordingNotifier("the log only (test)", true) });
    h.add(failure("backup", T0));
    const result = await h.dispatcher.flush();
    expect(result).toMatchObject({ sent: 0, failed: 1, logged: 1, waiting: 0 });
    expect(h.statuses()).toEqual({ logged: 1 });
    expect(h.log.join("\n")).toContain("Alert not delivered, it reached the log only (test)");
  });
});

describe("marking delivery", () => {
  test("a delivery is marked before the notifier starts and settled as soon as it returns", async () => {
    const notifier = recordingNotifier();
    const h = harness({ auto: notifier });
    const id = h.add(failure("backup", T0));
    const seen: string[] = [];
    notifier.during = () => {
      const row = h.db.query<{ status: string }, [number]>("SELECT status FROM alert_deliveries WHERE alert_id = ?").get(id);
      seen.push(row?.status ?? "none");
    };
    await h.dispatcher.flush();
    expect(seen).toEqual(["delivering"]);
    expect(h.statuses()).toEqual({ sent: 1 });
  });

  test("a delivery cut short by a crash is sent again after restart, and says so", async () => {
    const path = join(tempDir("cc-dispatch-"), "ladder.db");
    const hanging = recordingNotifier();
    hanging.send = () => new Promise(() => {}); // the process "dies" while the notifier runs
    const first = harness({ auto: hanging }, undefined, path);
    first.add(failure("backup", T0));
    void first.dispatcher.flush();
    const notifier = recordingNotifier();
    const second = harness({ auto: notifier }, undefined, path);
    await second.dispatcher.flush();
    expect(notifier.sent).toHaveLength(1);
    expect(second.log.join("\n")).toContain("1 alert(s) were being delivered via auto when the collector stopped");
    expect(second.log.join("\n")).toContain("(again: its delivery was interrupted)");
  });
});

describe("upgrading a database", () => {
  test("alerts an older version gave up after 3 attempts are delivered, folded, after the upgrade", async () => {
    const path = join(tempDir("cc-dispatch-"), "ladder.db");
    const old = openDatabase(path);
    new AlertStore(old).add(failure("backup", T0 - 2 * 3_600_000), "pending", null, "then");
    // Back to the schema before 8 with the alert given up, as an older collector left it.
    old.run("UPDATE alerts SET status = 'failed', attempts = 3");
    old.run("DROP TRIGGER alert_deliveries_pruned");
    old.run("DROP TABLE alert_deliveries");
    old.run("ALTER TABLE alerts DROP COLUMN backend");
    // … and before migration 13 (gathered alerts, the quarantine's key).
    for (const change of ["DROP INDEX alerts_pending_job", "ALTER TABLE alerts DROP COLUMN first_event_ms", "DROP INDEX quarantine_line_in_order"]) old.run(change);
    old.run("ALTER TABLE quarantine DROP COLUMN future_ms");
    old.run("CREATE UNIQUE INDEX quarantine_line ON quarantine (source, line_hash)");
    // Before the delivery tables (8) and the metrics tables (9) that follow them.
    for (const drop of ["TRIGGER alert_outcome_counted", "TABLE alert_outcomes", "TABLE collector_counters", "TABLE job_run_durations"]) old.run(`DROP ${drop}`);
    old.run("PRAGMA user_version = 7");
    old.close();
    const notifier = recordingNotifier();
    const h = harness({ auto: notifier }, undefined, path);
    await h.dispatcher.flush();
    expect(notifier.sent.map((alert) => alert.message)).toEqual([
      "1 failure not delivered within notify.max_age; last failure: backup at 2025-07-29T10:00:00.000Z, Exit code 2: boom",
    ]);
    expect(h.statuses()).toEqual({ sent: 1, summarized: 1 });
  });
});

describe("the delivery thread", () => {
  test("records the outcome while the main thread is busy with a synchronous tick", async () => {
    const dir = tempDir("cc-dispatch-");
    const script = join(dir, "notify.sh");
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$2" >> "${join(dir, "calls")}"\n`, { mode: 0o700 });
    const notify = parseConfig(`notify:\n  backend: command\n  command: ["${script}"]\n`, null, { home: dir, baseDir: dir }).config.notify;
    const path = join(dir, "ladder.db");
    const thread = new DeliveryThread(path);
    try {
      const db = openDatabase(path);
      open.push(db);
      const id = new AlertStore(db).add(failure("backup", T0), "pending", null, new Date(T0).toISOString());
      const log: string[] = [];
      const targets = resolveNotifiers(notify, { platform: "linux", env: {}, which: () => null });
      const dispatcher = new AlertDispatcher(new Outbox(db), () => targets, notifyDefaults, createLogger("info", [(line) => log.push(line)]), () => new Date(T0), thread);
      const flushing = dispatcher.flush();
      // A tick that never yields: on main's design the mark waited for its end.
      const status = db.query<{ status: string }, [number]>("SELECT status FROM alerts WHERE id = ?");
      const deadline = Date.now() + 5000;
      while (status.get(id)?.status !== "sent" && Date.now() < deadline) Bun.sleepSync(5);
      expect(status.get(id)?.status).toBe("sent");
      expect(readFileSync(join(dir, "calls"), "utf8")).toBe("Exit code 2: boom\n");
      // done_ms follows the collector's clock (here fixed at T0, as under --now).
      const done = db.query<{ done_ms: number }, []>("SELECT done_ms FROM alert_deliveries").get()?.done_ms ?? 0;
      expect(Math.abs(done - T0)).toBeLessThan(5000);
      expect(await flushing).toMatchObject({ sent: 1, failed: 0 });
    } finally {
      thread.close();
    }
  });
});

describe("a backlog stays in SQLite", () => {
  /** Counts every call into the outbox and the largest list it returned. */
  function counting(outbox: Outbox, stats: { calls: number; maxRows: number }): Outbox {
    return new Proxy(outbox, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          stats.calls++;
          const result: unknown = value.apply(target, args);
          if (Array.isArray(result)) stats.maxRows = Math.max(stats.maxRows, result.length);
          return result;
        };
      },
    });
  }

  function insertMany(db: Database, count: number, status: string): void {
    // Failures, late jobs and recoveries of 50 jobs, all within the last minute.
    db.run(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO alerts (kind, job, exit_code, event_ms, title, message, group_id, status, created_at)
       SELECT CASE i % 10 WHEN 0 THEN 'recovery' WHEN 1 THEN 'late' ELSE 'failure' END, 'job' || (i % 50), 2, ? + i % 60000,
              't', 'Exit code 2: crash ' || i, 'g', ?, 'now' FROM n`,
      [count, T0 - 60_000, status],
    );
  }

  test.each([
    ["pending", 100_000],
    ["stale", 20_000],
  ] as const)("a flush of %s alerts (%i) makes a bounded number of store calls and max_per_minute notifications", async (status, count) => {
    const notifier = recordingNotifier();
    const stats = { calls: 0, maxRows: 0 };
    const h = harness({ auto: notifier }, (outbox) => counting(outbox, stats));
    insertMany(h.db, count, status);
    const result = await h.dispatcher.flush();
    expect(notifier.sent.length).toBeLessThanOrEqual(notifyDefaults.maxPerMinute);
    expect(stats.calls).toBeLessThanOrEqual(20);
    expect(stats.maxRows).toBeLessThanOrEqual(notifyDefaults.maxPerMinute);
    expect(result.waiting).toBe(0);
    const summary = notifier.sent.at(-1)?.message ?? "";
    expect(summary).toMatch(/^\d+ failures, \d+ late jobs, \d+ recoveries (in a burst|older than notify.max_age when read); last failure: /);
    expect(h.statuses().summarized).toBeGreaterThanOrEqual(count - notifyDefaults.maxPerMinute);
    expect(h.statuses().pending ?? 0).toBe(0);
  });
});
