import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { failUrl, judgeHealth, oneLine, startHeartbeat, type Health, type HealthInputs } from "../src/heartbeat.ts";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { probeWritable } from "../src/store/health-probe.ts";
import { MetricsQueries } from "../src/store/metrics.ts";
import { startExporters } from "../src/metrics/exporters.ts";
import { metricsFixture } from "./fixtures/metrics-fixture.ts";
import { tempDir, waitFor } from "./helpers.ts";

interface Ping {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A dead man's switch on 127.0.0.1: records every request; `status` and `delayMs` shape answers. */
function pingServer() {
  const pings: Ping[] = [];
  const behaviour = { status: 200, delayMs: 0 };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      pings.push({ method: request.method, path: new URL(request.url).pathname, body: await request.text() });
      if (behaviour.delayMs > 0) await Bun.sleep(behaviour.delayMs);
      return new Response("OK", { status: behaviour.status });
    },
  });
  cleanups.push(() => server.stop(true));
  return { pings, behaviour, url: `http://127.0.0.1:${server.port}/ping/abc-123` };
}

function collect(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger("debug", [(line) => lines.push(line)]) };
}

describe("heartbeat against a local server", () => {
  test("pings while healthy; a database made unwritable (locked, then deleted) sends /fail with the reason", async () => {
    const switchboard = pingServer();
    const dbPath = join(tempDir("cc-heartbeat-"), "ladder.db");
    const db = openDatabase(dbPath);
    const queries = new MetricsQueries(db);
    cleanups.push(() => db.close(false), () => queries.finalize());
    const check = (): Health =>
      judgeHealth({ ingestionProblem: null, database: probeWritable(dbPath, Date.now(), 50), outbox: queries.outboxBacklog(), nowMs: Date.now(), maxPendingAgeMs: 600_000 });
    const { log } = collect();
    const heartbeat = startHeartbeat({ url: switchboard.url, intervalMs: 3_600_000, check, log });
    cleanups.push(() => heartbeat.stop());

    await heartbeat.beat(); // joins the beat sent at start: it has its answer once this returns
    expect(switchboard.pings).toHaveLength(1);
    expect(switchboard.pings[0]).toEqual({ method: "GET", path: "/ping/abc-123", body: "" });

    // Another process holds the write lock: the collector could not store a thing.
    const locker = new Database(dbPath);
    locker.run("BEGIN IMMEDIATE");
    await heartbeat.beat();
    expect(switchboard.pings[1]?.method).toBe("POST");
    expect(switchboard.pings[1]?.path).toBe("/ping/abc-123/fail");
    expect(switchboard.pings[1]?.body).toMatch(/^the database ".*ladder\.db" cannot be written: database is locked/);
    expect(switchboard.pings[1]?.body).not.toContain("\n");
    locker.run("ROLLBACK");
    locker.close();

    await heartbeat.beat();
    expect(switchboard.pings[2]).toEqual({ method: "GET", path: "/ping/abc-123", body: "" });

    rmSync(dbPath);
    await heartbeat.beat();
    expect(switchboard.pings[3]?.path).toBe("/ping/abc-123/fail");
    expect(switchboard.pings[3]?.body).toMatch(/cannot be written: unable to open database file/);
  });

  test("a failing switch is logged once per change, not at every interval, and never retried in a storm", async () => {
    const switchboard = pingServer();
    switchboard.behaviour.status = 500;
    const { lines, log } = collect();
    const heartbeat = startHeartbeat({ url: switchboard.url, intervalMs: 3_600_000, check: () => ({ ok: true }), log });
    cleanups.push(() => heartbeat.stop());
    await heartbeat.beat(); // joins the beat sent at start: it has its answer once this returns
    expect(switchboard.pings).toHaveLength(1);
    await heartbeat.beat();
    await heartbeat.beat();
    expect(switchboard.pings).toHaveLength(3); // one request per beat
    expect(lines.filter((line) => line.includes("failed: HTTP 500"))).toHaveLength(1);
    expect(lines.join("\n")).not.toContain("abc-123"); // the URL's secret path stays out of the log
    switchboard.behaviour.status = 200;
    await heartbeat.beat();
    await heartbeat.beat();
    expect(lines.filter((line) => line.includes("reach 127.0.0.1"))).toHaveLength(1);
  });

  test("an unhealthy collector is logged once while it stays so", async () => {
    const switchboard = pingServer();
    const { lines, log } = collect();
    let health: Health = { ok: false, reason: "ingestion failing: 3 poll(s) of the input failed in a row" };
    const heartbeat = startHeartbeat({ url: switchboard.url, intervalMs: 3_600_000, check: () => health, log });
    cleanups.push(() => heartbeat.stop());
    await heartbeat.beat(); // joins the beat sent at start: it has its answer once this returns
    expect(switchboard.pings).toHaveLength(1);
    await heartbeat.beat();
    expect(lines.filter((line) => line.includes("unhealthy"))).toHaveLength(1);
    health = { ok: true };
    await heartbeat.beat();
    expect(lines.filter((line) => line.includes("is healthy"))).toHaveLength(1);
    expect(switchboard.pings.map((ping) => ping.path)).toEqual(["/ping/abc-123/fail", "/ping/abc-123/fail", "/ping/abc-123"]);
  });

  test("a switch that does not answer times out, and stop() does not wait for it", async () => {
    const switchboard = pingServer();
    switchboard.behaviour.delayMs = 5000;
    const { lines, log } = collect();
    const heartbeat = startHeartbeat({ url: switchboard.url, intervalMs: 3_600_000, timeoutMs: 100, check: () => ({ ok: true }), log });
    await waitFor(() => lines.some((line) => line.includes("no answer within 0.1s")), 3000, "the timeout");
    const slow = heartbeat.beat();
    const started = performance.now();
    await heartbeat.stop();
    await slow;
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("overlapping beats share one request", async () => {
    const switchboard = pingServer();
    switchboard.behaviour.delayMs = 100;
    const heartbeat = startHeartbeat({ url: switchboard.url, intervalMs: 3_600_000, check: () => ({ ok: true }), log: collect().log });
    cleanups.push(() => heartbeat.stop());
    await Promise.all([heartbeat.beat(), heartbeat.beat(), heartbeat.beat()]);
    expect(switchboard.pings).toHaveLength(1);
  });
});

test("the daemon's exporters ping with the collector's health: a failing poll of the input sends /fail", async () => {
  const switchboard = pingServer();
  const fixture = metricsFixture(tempDir("cc-heartbeat-"));
  cleanups.push(() => fixture.close());
  let problem: string | null = null;
  const config = { ...fixture.config, heartbeat: { url: switchboard.url, intervalMs: 3_600_000 } };
  const exporters = startExporters(fixture.session, config, collect().log, () => new Date(), () => problem);
  cleanups.push(() => exporters.stop());
  expect(exporters.metrics).toBeNull();
  await waitFor(() => switchboard.pings.length === 1, 5000, "the first ping");
  expect(switchboard.pings[0]?.method).toBe("GET");
  // The server saw the first ping before the heartbeat had its answer; a beat now joins that one
  // (overlapping beats share a request) or sends another healthy ping. Either way it settles first.
  await exporters.heartbeat?.beat();
  expect(switchboard.pings.every((ping) => ping.method === "GET")).toBe(true);
  problem = "2 poll(s) of the input failed in a row";
  await exporters.heartbeat?.beat();
  expect(switchboard.pings.at(-1)).toEqual({ method: "POST", path: "/ping/abc-123/fail", body: "ingestion failing: 2 poll(s) of the input failed in a row" });
});

describe("health", () => {
  const healthy: HealthInputs = {
    ingestionProblem: null,
    database: { ok: true },
    outbox: { pending: 0, oldestPendingMs: null },
    nowMs: 10 * 60_000 + 1,
    maxPendingAgeMs: 10 * 60_000,
  };
  test.each<[string, Partial<HealthInputs>, Health]>([
    ["all well", {}, { ok: true }],
    ["a pending alert younger than the limit", { outbox: { pending: 3, oldestPendingMs: 1 } }, { ok: true }],
    ["ingestion failing", { ingestionProblem: "2 poll(s) failed" }, { ok: false, reason: "ingestion failing: 2 poll(s) failed" }],
    ["database not writable", { database: { ok: false, reason: "read-only file system" } }, { ok: false, reason: "read-only file system" }],
    ["outbox not draining", { outbox: { pending: 4, oldestPendingMs: 0 } }, { ok: false, reason: "alert outbox not draining: 4 alert(s) pending, the oldest for 10 min" }],
  ])("%s", (_name, change, expected) => {
    expect(judgeHealth({ ...healthy, ...change })).toEqual(expected);
  });

  test.each([
    ["https://hc-ping.com/abc", "https://hc-ping.com/abc/fail"],
    ["https://hc-ping.com/abc/", "https://hc-ping.com/abc/fail"],
    ["http://127.0.0.1:8000/ping/x?create=1", "http://127.0.0.1:8000/ping/x/fail?create=1"],
  ])("the failure URL of %s is %s", (url, expected) => {
    expect(failUrl(url)).toBe(expected);
  });

  test("a reason is sent as one short line", () => {
    expect(oneLine("line one\nline two\r\n  three")).toBe("line one line two three");
    expect(oneLine("x".repeat(500))).toHaveLength(200);
  });
});
