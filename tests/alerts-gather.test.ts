/**
 * A job failing faster than alerts may go out: its further alerts are gathered into one outbox row
 * per job and kind (src/alerts/gather.ts, src/store/alerts.ts). The pure plan, then the real ingest
 * and dispatcher on a real database in a temp dir, with an injected clock and an in-process fake
 * notifier.
 */
import type { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { AlertDispatcher } from "../src/alerts/dispatcher.ts";
import { planOutbox } from "../src/alerts/gather.ts";
import type { NewAlert } from "../src/alerts/policy.ts";
import { failureAlert } from "../src/alerts/format.ts";
import { defaultSounds } from "../src/config/config.ts";
import { parseConfig } from "../src/config/load.ts";
import { Ingest } from "../src/ingest.ts";
import { createLogger } from "../src/logger.ts";
import { failuresIn, summaryAlert } from "../src/alerts/summary.ts";
import type { AlertText, Checkpoint, FoldDigest, Run } from "../src/records.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { Outbox } from "../src/store/outbox.ts";
import { RunWriter } from "../src/store/runs.ts";
import { recordingNotifier, type RecordingNotifier } from "./fake-notifier.ts";
import { tempDir } from "./helpers.ts";

const T0 = Date.UTC(2025, 6, 29, 12, 0);
const MAX_PER_MINUTE = 5;

const failed = (job: string, eventMs: number, msg: string): Run => ({ ts: new Date(eventMs).toISOString(), epochMs: eventMs, exit: 1, msg, job, durationMs: null, host: null, extra: null });

function alertOf(run: Run, id: number): NewAlert {
  const job = run.job ?? "ladder";
  return { runId: id, text: failureAlert(run, job, { sound: "Basso", sounds: defaultSounds }), status: "pending", kind: "failure", job, eventMs: run.epochMs };
}

describe("planOutbox", () => {
  const alerts = [failed("a", 1, "a1"), failed("b", 2, "b1"), failed("a", 3, "a2"), failed("a", 5, "a3"), failed("a", 4, "a4"), failed("b", 6, "b2")].map(alertOf);
  const plan = (owed: Record<string, number>, cap: number) => {
    const asked: string[] = [];
    const result = planOutbox(alerts, (job) => (asked.push(job), owed[job] ?? 0), cap);
    return {
      asked,
      individual: result.individual.map((alert) => alert.text.message),
      gathered: result.gathered.map((group) => [group.job, group.count, group.firstEventMs, group.newest.text.message]),
    };
  };

  test.each([
    ["room for all: one row each", {}, 10, ["Exit code 1: a1", "Exit code 1: b1", "Exit code 1: a2", "Exit code 1: a3", "Exit code 1: a4", "Exit code 1: b2"], []],
    ["a job's first alerts take its room, the rest are gathered per job", {}, 1, ["Exit code 1: a1", "Exit code 1: b1"], [["a", 3, 3, "Exit code 1: a3"], ["b", 1, 6, "Exit code 1: b2"]]],
    ["what a job owes already counts", { a: 1 }, 2, ["Exit code 1: a1", "Exit code 1: b1", "Exit code 1: b2"], [["a", 3, 3, "Exit code 1: a3"]]],
    ["a job owing its full room gathers everything", { a: 5, b: 5 }, 5, [], [["a", 4, 1, "Exit code 1: a3"], ["b", 2, 2, "Exit code 1: b2"]]],
  ] as const)("%s", (_name, owed, cap, individual, gathered) => {
    const result = plan(owed, cap);
    expect(result.individual).toEqual([...individual]);
    expect(result.gathered).toEqual(gathered.map((group) => [...group]));
    expect(result.asked).toEqual(["a", "b"]); // once per job, not per alert
  });

  test("the newest by event time stands for the group; on a tie the later one", () => {
    const tie = [failed("a", 7, "first"), failed("a", 7, "second"), failed("a", 2, "older")].map(alertOf);
    const [group] = planOutbox(tie, () => 9, 1).gathered;
    expect([group?.count, group?.firstEventMs, group?.newest.text.message]).toEqual([3, 2, "Exit code 1: second"]);
  });
});

/** Closed once the file is done (its tests run concurrently: bunfig.toml). */
const open: Database[] = [];
afterAll(() => {
  for (const db of open.splice(0)) db.close(false);
});

interface Fixture {
  readonly db: Database;
  readonly notifier: RecordingNotifier;
  readonly alerts: AlertStore;
  readonly outbox: Outbox;
  nowMs: number;
  /** Ingests `runs` as the next batch of the input, in its own transaction. */
  commit(runs: Run[]): void;
  /** A dispatcher delivering to the fake notifier, `maxPerMinute` at most (default: the config's). */
  dispatcher(maxPerMinute?: number, outbox?: Outbox): AlertDispatcher;
  /** Failures the failure rows of the outbox stand for, summaries left out. */
  countedFailures(): number;
  rows(): number;
}

/** A database at `path` (a new one by default) with the real ingest path writing into it. */
function fixture(path = join(tempDir("cc-gather-"), "ladder.db"), wrapAlerts = (store: AlertStore): AlertStore => store): Fixture {
  const dir = tempDir("cc-gather-");
  const config = { ...parseConfig(`default_job: ladder\nnotify:\n  max_per_minute: ${MAX_PER_MINUTE}\n`, "config.yaml", { home: dir, baseDir: dir }).config, database: path };
  const db = openDatabase(path);
  open.push(db);
  const clock = (): Date => new Date(f.nowMs);
  const log = createLogger("error", [], clock);
  const alerts = new AlertStore(db);
  const writer = new RunWriter(db, config.defaultJob);
  const ingest = new Ingest({ writer, alerts: wrapAlerts(alerts), jobStates: new JobStateStore(db) }, config, log, clock);
  const notifier = recordingNotifier();
  const outbox = new Outbox(db);
  const f: Fixture = {
    db,
    notifier,
    alerts,
    outbox,
    nowMs: T0,
    commit(runs) {
      const from = writer.checkpoint("/logs/ladder.jsonl");
      const to: Checkpoint = { source: "/logs/ladder.jsonl", dev: "1", ino: "1", offset: (from?.offset ?? 0) + runs.length, headHash: "", tailHash: "" };
      ingest.commit({ runs, starts: [], rejects: [], from, to }, clock().toISOString());
    },
    dispatcher: (maxPerMinute = MAX_PER_MINUTE, via = outbox) =>
      new AlertDispatcher(via, () => [{ backend: "auto", notifier }], { ...config.notify, maxPerMinute }, log, clock),
    countedFailures: () => db.query<{ n: number }, []>("SELECT ifnull(SUM(covers), 0) AS n FROM alerts WHERE kind = 'failure'").get()?.n ?? 0,
    rows: () => db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM alerts").get()?.n ?? 0,
  };
  return f;
}

/** `count` failures per job, one per `stepMs` from `startMs` (the `from`-th on), the jobs taking turns. */
function failures(jobs: readonly string[], count: number, startMs: number, from = 0, stepMs = 10): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < count * jobs.length; i++) {
    const job = jobs[i % jobs.length] ?? "";
    runs.push(failed(job, startMs + (from + i) * stepMs, `crash ${from + i}`));
  }
  return runs;
}

/** How many failures the notifications sent stand for: one each, or the number a summary or gathered alert says. */
function notifiedFailures(notifier: RecordingNotifier): number {
  return notifier.sent.reduce((sum, alert) => sum + Number(/^(\d+) failures /.exec(alert.message)?.[1] ?? 1), 0);
}

describe("a burst of failures", () => {
  const jobs = ["backup", "sync", "report"];

  test("writes a bounded number of outbox rows per job, and at most max_per_minute notifications whose counts add up", async () => {
    const f = fixture();
    const batches = 10;
    const perBatch = 1000;
    for (let batch = 0; batch < batches; batch++) f.commit(failures(jobs, perBatch, T0 - 30 * 60_000, batch * perBatch * jobs.length));
    const total = batches * perBatch * jobs.length;
    // On main: one row per failure (30,000). Now: max_per_minute rows one by one, then one gathered row, per job.
    expect(f.rows()).toBe(jobs.length * (MAX_PER_MINUTE + 1));
    expect(f.countedFailures()).toBe(total);

    const dispatcher = f.dispatcher();
    await dispatcher.flush();
    expect(f.notifier.sent).toHaveLength(MAX_PER_MINUTE);
    expect(f.notifier.sent.at(-1)?.message).toMatch(/^29996 failures in a burst; last failure: report at .*, Exit code 1: crash 29999$/);
    expect(notifiedFailures(f.notifier)).toBe(total);

    // The next minute: more of the same, and again at most max_per_minute notifications.
    f.nowMs += 61_000;
    f.commit(failures(jobs, perBatch, T0 - 30 * 60_000, total));
    expect(f.rows()).toBe(jobs.length * (MAX_PER_MINUTE + 1) * 2 + 1); // + the summary
    await dispatcher.flush();
    expect(f.notifier.sent).toHaveLength(2 * MAX_PER_MINUTE);
    expect(notifiedFailures(f.notifier)).toBe(total + perBatch * jobs.length);
  });

  test("a gathered row that goes out alone says how many, between when, and the newest message", async () => {
    const f = fixture();
    f.commit(failures(["backup"], 100, T0 - 2 * 60_000, 0, 1000));
    expect(f.rows()).toBe(MAX_PER_MINUTE + 1);
    await f.dispatcher(10).flush(); // room for every row
    expect(f.notifier.sent.map((alert) => [alert.title, alert.subtitle, alert.message])).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => ["🚨 Cron Job Failed", "backup", `Exit code 1: crash ${i}`]),
      ["🚨 Cron Job Failed", "backup", "95 failures from 11:58:05 to 11:59:39 (21 s ago); last: Exit code 1: crash 99"],
    ]);
    expect(notifiedFailures(f.notifier)).toBe(100);
  });

  test("failures gathered while a row waits for delivery are in what it says; once its delivery began they start a new row", async () => {
    const f = fixture();
    f.commit(failures(["backup"], 10, T0 - 60_000));
    let listed = false;
    // Ingestion runs between listing the owed alerts and delivering them (the ingest tick shares the thread).
    const racing = new Proxy(f.outbox, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== "nextOwed" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          if (!listed) f.commit(failures(["backup"], 20, T0 - 30_000, 10));
          listed = true;
          return result;
        };
      },
    });
    const dispatcher = f.dispatcher(10, racing);
    f.notifier.during = () => {
      // While the gathered row (the 6th, after the 5 one by one) is being delivered.
      if (f.notifier.attempts === MAX_PER_MINUTE + 1) f.commit(failures(["backup"], 7, T0 - 20_000, 30));
    };
    await dispatcher.flush();
    const gathered = f.notifier.sent.find((alert) => alert.message.includes(" failures from "));
    // 5 gathered first, 20 more while it waited: what the notification says is what the row counts.
    expect(gathered?.message).toMatch(/^25 failures from .*; last: Exit code 1: crash 29$/);
    expect(f.countedFailures()).toBe(37);
    // The 7 later ones are new rows: the 5 first went out, so 4 one by one (the job owes the
    // gathered row being delivered) and a new gathered row of 3.
    expect(f.db.query<{ covers: number }, []>("SELECT covers FROM alerts WHERE first_event_ms IS NOT NULL ORDER BY id").all()).toEqual([{ covers: 25 }, { covers: 3 }]);
    expect(f.rows()).toBe(MAX_PER_MINUTE + 1 + 4 + 1);
    await dispatcher.flush();
    expect(notifiedFailures(f.notifier)).toBeLessThanOrEqual(37);
    f.nowMs += 61_000;
    await dispatcher.flush();
    expect(notifiedFailures(f.notifier)).toBe(37);
  });
});

describe("a crash", () => {
  test("in the middle of a batch loses and double-counts nothing: the batch is written again with its alerts", async () => {
    const path = join(tempDir("cc-gather-"), "ladder.db");
    const batches = [0, 1, 2, 3].map((batch) => failures(["backup", "sync"], 50, T0 - 10 * 60_000, batch * 100));
    let crash = true;
    const before = fixture(path, (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            const result: unknown = value.apply(target, args);
            // The process dies after the gathered row was updated, before the commit.
            if (property === "gather" && crash && before.rows() > 0 && before.countedFailures() > 100) throw new Error("kill -9");
            return result;
          };
        },
      }),
    );
    before.commit(batches[0] ?? []);
    expect(() => before.commit(batches[1] ?? [])).toThrow("kill -9");
    crash = false;
    expect(before.countedFailures()).toBe(100);

    const after = fixture(path); // the restart reads from the checkpoint of batch 0 on
    for (const batch of batches.slice(1)) after.commit(batch);
    expect(after.countedFailures()).toBe(400);
    await after.dispatcher().flush();
    expect(notifiedFailures(after.notifier)).toBe(400);
  });

  test("while a gathered row is being delivered: it is sent again with the same count, and later failures count in a new row", async () => {
    const path = join(tempDir("cc-gather-"), "ladder.db");
    const before = fixture(path);
    before.commit(failures(["backup"], 50, T0 - 60_000));
    const gathered = before.db.query<{ id: number }, []>("SELECT id FROM alerts WHERE first_event_ms IS NOT NULL").get();
    expect(gathered).not.toBeNull();
    before.outbox.beginDelivery(gathered?.id ?? 0, "auto", T0); // and the process dies in the notifier

    const after = fixture(path);
    after.commit(failures(["backup"], 30, T0 - 30_000, 50));
    expect(after.countedFailures()).toBe(80);
    await after.dispatcher(20).flush();
    const texts = after.notifier.sent.map((alert) => alert.message);
    expect(texts.filter((message) => message.startsWith("45 failures from "))).toHaveLength(1); // the interrupted one, as it was
    expect(texts.filter((message) => message.startsWith("30 failures from "))).toHaveLength(1);
    expect(notifiedFailures(after.notifier)).toBe(80);
  });
});

describe("the lookups of a job's open rows", () => {
  test("search the index of pending alerts by job, so a backlog of other rows (e.g. left by an older version) is never scanned", () => {
    const prepared: string[] = [];
    const db = openDatabase(join(tempDir("cc-gather-"), "ladder.db"));
    open.push(db);
    const watched = new Proxy(db, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== "prepare" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
        return (text: string) => (prepared.push(text), value.call(target, text));
      },
    });
    new AlertStore(watched).finalize();
    const lookups = prepared.filter((text) => /^\s*SELECT\b/.test(text) && /\bjob = \?/.test(text));
    expect(lookups).toHaveLength(2);
    for (const text of lookups) {
      const plan = db.query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${text}`).all().map((row) => row.detail);
      const alertsAccess = plan.filter((detail) => /^(SCAN|SEARCH) (alerts|a)\b/.test(detail));
      expect({ text, alertsAccess }).toEqual({ text, alertsAccess: [expect.stringMatching(/^SEARCH (alerts|a) USING (COVERING )?INDEX alerts_pending_job \(job=\? AND kind=\?\)$/)] });
    }
  });
});

/** Another connection (the dashboard's pause, a CLI `pause`) holds the write lock for 150 ms; resolves once it does. */
async function lockedByAnotherWriter(path: string): Promise<{ readonly exited: Promise<number> }> {
  const script = [
    'const { Database } = require("bun:sqlite");',
    `const db = new Database(${JSON.stringify(path)});`,
    'db.run("BEGIN IMMEDIATE");',
    'db.run("UPDATE jobs SET first_seen_at = first_seen_at");',
    'console.log("locked");',
    "Bun.sleepSync(150);",
    'db.run("COMMIT");',
  ].join("\n");
  const writer = Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "inherit" });
  const first = await writer.stdout.getReader().read();
  expect(new TextDecoder().decode(first.value)).toContain("locked");
  return { exited: writer.exited }; // not the promise itself: awaiting this would wait for the exit
}

describe("reading then writing the outbox while another connection writes", () => {
  test("beginning a delivery waits for the other writer (busy_timeout) instead of failing at once", async () => {
    const f = fixture();
    f.commit(failures(["backup"], 1, T0 - 1000));
    const id = f.db.query<{ id: number }, []>("SELECT id FROM alerts").get()?.id ?? 0;
    const { exited } = await lockedByAnotherWriter(f.db.filename);
    expect(f.outbox.beginDelivery(id, "auto", T0)?.id).toBe(id);
    expect(await exited).toBe(0);
  });

  test("folding alerts into a summary waits for the other writer too", async () => {
    const f = fixture();
    f.commit(failures(["backup"], 20, T0 - 1000));
    const { exited } = await lockedByAnotherWriter(f.db.filename);
    const text = (digest: FoldDigest): AlertText & { readonly covers: number } => ({ ...summaryAlert(digest, "burst", "auto", "Basso"), covers: failuresIn(digest) });
    const folded = f.outbox.fold("auto", { kind: "rest", except: [] }, text, new Date(T0), ["auto"]);
    expect(folded?.digest.counts).toEqual([{ kind: "failure", count: 20 }]);
    expect(await exited).toBe(0);
  });
});
