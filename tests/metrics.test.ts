import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { escapeLabelValue, formatValue, renderExposition, type MetricsSnapshot } from "../src/metrics/exposition.ts";
import { metricState } from "../src/metrics/snapshot.ts";
import { migrate, migrations } from "../src/store/migrations.ts";
import { MetricsQueries } from "../src/store/metrics.ts";
import { filledFixture, metricsFixture, FIXTURE_NOW, ODD_JOB, type MetricsFixture } from "./fixtures/metrics-fixture.ts";
import { FIXTURES, tempDir } from "./helpers.ts";

const GOLDEN = join(FIXTURES, "metrics.golden.prom");
const open: MetricsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) fixture.close();
});
const fixture = (filled = false): MetricsFixture => {
  const made = filled ? filledFixture(tempDir("cc-metrics-")) : metricsFixture(tempDir("cc-metrics-"));
  open.push(made);
  return made;
};

/** The value of one series, e.g. value(text, 'cron_job_runs_total{cronjob="a",outcome="success"}'). */
function value(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const jsonl = (fields: Record<string, unknown>): string => `${JSON.stringify(fields)}\n`;

describe("exposition", () => {
  test("a small database renders exactly the golden file (all types, escaped job names)", () => {
    // To update after a deliberate change: bun tests/fixtures/metrics-fixture.ts > tests/fixtures/metrics.golden.prom
    expect(fixture(true).exposition()).toBe(readFileSync(GOLDEN, "utf8"));
  });

  test("every family has HELP and TYPE, and no label carries a message, exit code or timestamp", () => {
    const text = fixture(true).exposition();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]));
    expect([...text.matchAll(/^# HELP (\S+) /gm)].map((match) => match[1])).toEqual([...families]);
    expect(families.size).toBe(19);
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((match) => match[1]));
    expect([...labelNames].sort()).toEqual(["bun_version", "cronjob", "kind", "le", "outcome", "result", "schedule", "state", "version"]);
    expect(text).not.toContain("disk full");
  });

  test.each([
    ["plain", "plain"],
    ['say "hi"', 'say \\"hi\\"'],
    ["back\\slash", "back\\\\slash"],
    ["two\nlines", "two\\nlines"],
    ["tab\tand ünïcode", "tab\tand ünïcode"],
  ])("label value %j is escaped as %j", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  test("the odd job name appears escaped on one line", () => {
    expect(fixture(true).exposition()).toContain(`cron_job_up{cronjob="${escapeLabelValue(ODD_JOB)}"} 0\n`);
    expect(escapeLabelValue(ODD_JOB)).toBe('we\\"ird\\\\job\\nline');
  });

  test.each([
    [1, "1"],
    [0.25, "0.25"],
    [1753763400.5, "1753763400.5"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [Number.NaN, "NaN"],
  ])("value %p is written %p", (input, written) => {
    expect(formatValue(input)).toBe(written);
  });

  test("state names: the stats document's 'unknown' (before issue 9's names) and anything new count as 'new'", () => {
    expect(["up", "running", "failing", "late", "too_long", "paused", "new", "unknown", "strange"].map(metricState)).toEqual([
      "up", "running", "failing", "late", "too_long", "paused", "new", "new", "new",
    ]);
  });

  test("an empty snapshot still has every family's HELP and TYPE", () => {
    const empty: MetricsSnapshot = {
      jobs: [],
      collector: { version: "1", bunVersion: "1", linesStored: 0, linesDuplicate: 0, linesRejected: 0, lastIngestMs: null, alertsPending: 0, alerts: [] },
    };
    const text = renderExposition(empty);
    expect(text.match(/^# TYPE /gm)?.length).toBe(19);
    expect(text).not.toMatch(/^cron_collector_last_ingest_timestamp_seconds /m);
  });
});

describe("values after runs", () => {
  test("counters rise with each run and timestamps are the runs' ts", () => {
    const f = fixture();
    f.ingest(jsonl({ ts: "2025-07-29T05:00:00+02:00", exit: 0, msg: "a", job: "etl", duration_ms: 300 }));
    let text = f.exposition();
    expect(value(text, 'cron_job_runs_total{cronjob="etl",outcome="success"}')).toBe(1);
    expect(value(text, 'cron_job_last_run_timestamp_seconds{cronjob="etl"}')).toBe(Date.parse("2025-07-29T03:00:00Z") / 1000);
    expect(value(text, 'cron_job_last_success_timestamp_seconds{cronjob="etl"}')).toBe(Date.parse("2025-07-29T03:00:00Z") / 1000);
    expect(value(text, 'cron_job_run_duration_seconds_bucket{cronjob="etl",le="0.5"}')).toBe(1);

    f.ingest(jsonl({ ts: "2025-07-29T03:30:00.250Z", exit: 4, msg: "b", job: "etl", duration_ms: 45_000 }) + jsonl({ ts: "2025-07-29T03:30:00.250Z", exit: 4, msg: "b", job: "etl", duration_ms: 45_000 }) + "{oops\n");
    text = f.exposition();
    expect(value(text, 'cron_job_runs_total{cronjob="etl",outcome="success"}')).toBe(1);
    expect(value(text, 'cron_job_runs_total{cronjob="etl",outcome="failure"}')).toBe(1);
    expect(value(text, 'cron_job_last_run_timestamp_seconds{cronjob="etl"}')).toBe(Date.parse("2025-07-29T03:30:00.250Z") / 1000);
    expect(value(text, 'cron_job_last_failure_timestamp_seconds{cronjob="etl"}')).toBe(Date.parse("2025-07-29T03:30:00.250Z") / 1000);
    expect(value(text, 'cron_job_last_exit_code{cronjob="etl"}')).toBe(4);
    expect(value(text, 'cron_job_last_duration_seconds{cronjob="etl"}')).toBe(45);
    expect(value(text, 'cron_job_consecutive_failures{cronjob="etl"}')).toBe(1);
    expect(value(text, 'cron_job_run_duration_seconds_bucket{cronjob="etl",le="30"}')).toBe(1);
    expect(value(text, 'cron_job_run_duration_seconds_bucket{cronjob="etl",le="60"}')).toBe(2);
    expect(value(text, 'cron_job_run_duration_seconds_count{cronjob="etl"}')).toBe(2);
    expect(value(text, 'cron_job_run_duration_seconds_sum{cronjob="etl"}')).toBe(45.3);
    expect(value(text, 'cron_collector_lines_total{result="stored"}')).toBe(2);
    expect(value(text, 'cron_collector_lines_total{result="duplicate"}')).toBe(1);
    expect(value(text, 'cron_collector_lines_total{result="rejected"}')).toBe(1);
    expect(value(text, "cron_collector_last_ingest_timestamp_seconds")).toBe(FIXTURE_NOW.getTime() / 1000);
  });

  test("runs of the default job with and without a job field are one series", () => {
    const f = fixture();
    f.ingest(jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "a", duration_ms: 10 }) + jsonl({ ts: "2025-07-29T04:01:00Z", exit: 0, msg: "a", job: "ladder", duration_ms: 20 }));
    const text = f.exposition();
    expect(value(text, 'cron_job_runs_total{cronjob="ladder",outcome="success"}')).toBe(2);
    expect(value(text, 'cron_job_run_duration_seconds_count{cronjob="ladder"}')).toBe(2);
    expect(value(text, 'cron_job_last_run_timestamp_seconds{cronjob="ladder"}')).toBe(Date.parse("2025-07-29T04:01:00Z") / 1000);
    expect(text.match(/^cron_job_info\{cronjob="ladder"/gm)?.length).toBe(1);
  });

  test("runs_total, the histogram and the last success survive retention pruning every run", () => {
    const f = fixture(true);
    const before = f.exposition();
    expect(f.session.pruneRuns(FIXTURE_NOW.getTime() + 1)).toBeGreaterThan(0);
    const after = f.exposition();
    for (const series of [
      'cron_job_runs_total{cronjob="backup",outcome="success"}',
      'cron_job_runs_total{cronjob="backup",outcome="failure"}',
      'cron_job_run_duration_seconds_bucket{cronjob="backup",le="+Inf"}',
      'cron_job_run_duration_seconds_sum{cronjob="backup"}',
      'cron_job_last_success_timestamp_seconds{cronjob="backup"}',
      'cron_job_last_failure_timestamp_seconds{cronjob="backup"}',
      'cron_job_last_run_timestamp_seconds{cronjob="backup"}',
      'cron_collector_lines_total{result="stored"}',
      'cron_collector_alerts_total{kind="failure",result="sent"}',
    ]) {
      expect({ series, value: value(after, series) }).toEqual({ series, value: value(before, series) });
    }
  });

  test("alert outcomes count when delivery settles an alert, not on a retried attempt", () => {
    const f = fixture();
    f.ingest(jsonl({ ts: "2025-07-29T05:59:00Z", exit: 1, msg: "x", job: "a" }) + jsonl({ ts: "2025-07-29T05:59:00Z", exit: 1, msg: "x", job: "b" }));
    const outbox = f.session.outbox;
    const [first, second] = outbox.nextOwed("none", 2);
    if (!first || !second) throw new Error("expected two pending alerts");
    const now = FIXTURE_NOW.getTime();
    for (const alert of [first, second]) outbox.beginDelivery(alert.id, "none", now);
    outbox.finishDelivery(first.id, "none", "failed", "down", now, ["none"]);
    let text = f.exposition();
    expect(value(text, 'cron_collector_alerts_total{kind="failure",result="failed"}')).toBe(0);
    expect(value(text, "cron_collector_alerts_pending")).toBe(2);
    outbox.finishDelivery(first.id, "none", "logged", "no notifier", now, ["none"]);
    outbox.finishDelivery(second.id, "none", "sent", null, now, ["none"]);
    text = f.exposition();
    expect(value(text, 'cron_collector_alerts_total{kind="failure",result="failed"}')).toBe(1);
    expect(value(text, 'cron_collector_alerts_total{kind="failure",result="sent"}')).toBe(1);
    expect(value(text, "cron_collector_alerts_pending")).toBe(0);
  });
});

describe("migration 9", () => {
  test("counts the runs, lines and settled alerts a database already holds", () => {
    const path = join(tempDir("cc-metrics-migrate-"), "old.db");
    const db = new Database(path, { create: true });
    for (const migration of migrations.filter((m) => m.version <= 5)) migration.up(db);
    db.run("PRAGMA user_version = 5");
    const insert = db.prepare("INSERT INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms, job, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.run("2025-07-29T04:00:00Z", 0, "a", "2025-07-29T04:00:01.000Z", 1753761600000, null, 50);
    insert.run("2025-07-29T04:01:00Z", 0, "b", "2025-07-29T04:01:01.000Z", 1753761660000, "etl", 90_000);
    insert.run("2025-07-29T04:02:00Z", 1, "c", "2025-07-29T04:02:01.000Z", 1753761720000, "etl", 20 * 3_600_000);
    insert.run("2025-07-29T04:03:00Z", 1, "d", "2025-07-29T04:03:01.000Z", 1753761780000, "etl", null);
    insert.finalize();
    db.run("INSERT INTO quarantine (source, byte_offset, raw, reason, line_hash, rejected_at) VALUES ('x', 0, 'bad', 'r', 'h', 'now')");
    db.run(`INSERT INTO alerts (kind, job, event_ms, title, message, group_id, status, created_at)
            VALUES ('failure', 'etl', 1, 't', 'm', 'g', 'sent', 'now'), ('late', 'etl', 1, 't', 'm', 'g', 'failed', 'now'),
                   ('failure', 'etl', 1, 't', 'm', 'g', 'pending', 'now')`);
    expect(migrate(db)).toContain(9);
    const queries = new MetricsQueries(db);
    expect(queries.durationBuckets("ladder")).toEqual([
      { job: "etl", le: 300, runs: 1, sumSeconds: 90 },
      { job: "etl", le: Infinity, runs: 1, sumSeconds: 72_000 },
      { job: "ladder", le: 0.1, runs: 1, sumSeconds: 0.05 },
    ]);
    expect(queries.collectorCounters()).toEqual({ linesStored: 4, linesDuplicate: 0, linesRejected: 1, lastIngestMs: Date.parse("2025-07-29T04:03:01.000Z") });
    // Migration 8 (before 9) puts alerts that old versions gave up back to pending, to be delivered
    // in a summary: only the sent one is settled when the counters are seeded.
    expect(queries.alertOutcomes()).toEqual([{ kind: "failure", result: "sent", count: 1 }]);
    queries.finalize();
    db.close();
  });
});
