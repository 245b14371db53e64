/**
 * The resident collector: after catching up on a day of a line a minute, its RSS and CPU share
 * while idle for a while, then the latency from appending a failure to the notifier's call, for
 * failures appended one by one.
 *
 * The config is a default user's: the dashboard on (as by default; on a free port, so that another
 * program on 8765 cannot silently leave it out), metrics and heartbeat off, a `command` notifier.
 * The case fails when the dashboard did not start. Run alone:
 *   bun bench/resident.ts [--idle S] [--probes N] [--dashboard off]
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/store/database.ts";
import { StatsQueries } from "../src/store/stats-queries.ts";
import { failureLine, generate } from "./generate.ts";
import { ROOT, alertTimes, maxPerMinute, prepareCase, quantile } from "./measure.ts";

export interface ResidentResult {
  readonly idleSeconds: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly cpuPercent: number;
  readonly latenciesMs: readonly number[];
  readonly alerts: number;
  readonly alertsMaxPerMinute: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

function processTicks(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function memoryMb(pid: number, key: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

function storedRuns(database: string): number {
  if (!existsSync(database)) return 0;
  const db = openDatabase(database);
  try {
    return new StatsQueries(db).totalEntries();
  } finally {
    db.close();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

const epochSeconds = (): number => (performance.timeOrigin + performance.now()) / 1000;

/** A port nothing listens on right now. */
function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port ?? 0;
  server.stop(true);
  return port;
}

export async function residentCase(idleSeconds: number, probes: number, dashboard = true): Promise<ResidentResult> {
  const dayLines = 24 * 60;
  const nowMs = Date.now();
  // max_per_minute above the number of probes: every probe's own alert is what is timed.
  const caseDir = prepareCase("resident", 120);
  appendFileSync(caseDir.config, `web:\n  listen: ${dashboard ? `127.0.0.1:${freePort()}` : "'off'"}\n`);
  const input = await generate(caseDir.input, { lines: dayLines, startMs: nowMs - dayLines * 60_000, stepMs: 60_000, failEvery: 97 }, false);

  const log = Bun.file(`${caseDir.dir}/collector.out`);
  const child = Bun.spawn(["bun", "collector.ts", "--config", caseDir.config], { cwd: ROOT, env: { ...process.env, HOME: caseDir.dir }, stdout: log, stderr: log });
  try {
    await waitFor(() => storedRuns(caseDir.database) >= dayLines, 60_000, `the collector to catch up (see ${caseDir.dir}/collector.out)`);
    await Bun.sleep(2000); // let the catch-up's alerts and timers settle
    const started = readFileSync(`${caseDir.dir}/collector.out`, "utf8").includes("Dashboard on http");
    if (started !== dashboard) throw new Error(`the dashboard is ${started ? "on" : "off"}, expected ${dashboard ? "on" : "off"} (see ${caseDir.dir}/collector.out)`);
    const ticksBefore = processTicks(child.pid);
    const idleStarted = performance.now();
    await Bun.sleep(idleSeconds * 1000);
    const cpuPercent = ((processTicks(child.pid) - ticksBefore) / CLOCK_TICKS_PER_SECOND / ((performance.now() - idleStarted) / 1000)) * 100;
    const rssMb = memoryMb(child.pid, "VmRSS");

    const before = alertTimes(caseDir.alertLog).length;
    const latenciesMs: number[] = [];
    for (let probe = 0; probe < probes; probe++) {
      const appendedAt = epochSeconds();
      appendFileSync(input, failureLine(probe, new Date()));
      const expected = before + probe + 1;
      await waitFor(() => alertTimes(caseDir.alertLog).length >= expected, 10_000, `the alert of probe ${probe}`);
      latenciesMs.push(((alertTimes(caseDir.alertLog)[expected - 1] ?? Number.NaN) - appendedAt) * 1000);
      await Bun.sleep(200);
    }
    const times = alertTimes(caseDir.alertLog);
    return {
      idleSeconds,
      rssMb,
      peakRssMb: memoryMb(child.pid, "VmHWM"),
      cpuPercent,
      latenciesMs,
      alerts: times.length,
      alertsMaxPerMinute: maxPerMinute(times),
    };
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

export function describeLatency(latenciesMs: readonly number[]): string {
  return `p50 ${quantile(latenciesMs, 0.5).toFixed(0)} ms, p95 ${quantile(latenciesMs, 0.95).toFixed(0)} ms`;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { idle: { type: "string" }, probes: { type: "string" }, dashboard: { type: "string" } } });
  const dashboard = values.dashboard !== "off";
  const result = await residentCase(Number(values.idle ?? 60), Number(values.probes ?? 100), dashboard);
  console.log(`resident (dashboard ${dashboard ? "on" : "off"}), idle ${result.idleSeconds} s after a day of a line a minute: RSS ${result.rssMb.toFixed(1)} MB (peak ${result.peakRssMb.toFixed(1)} MB), CPU ${result.cpuPercent.toFixed(3)} %`);
  console.log(`alert latency, ${result.latenciesMs.length} failures appended one by one: ${describeLatency(result.latenciesMs)}; ${result.alerts} alerts, most in 60 s: ${result.alertsMaxPerMinute}`);
}
