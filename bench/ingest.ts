/**
 * The performance cases of issue 11, side by side in one run, each against the minimal baseline
 * (bench/baseline.ts: read, split, JSON.parse, one prepared INSERT) on the same file:
 *   backfill 1M      1,000,000 lines in the past (one every 3 s from 2025-01-01; 1 in 10 fails)
 *   backfill 10M     10,000,000 such lines (with --big: about a minute of the machine's time)
 *   burst 300k       300,000 failing lines within the last hour
 *   future 1M        1,000,000 lines, one a second, half of them after now
 *   stats            `--stats --json` on a database of 1,000 and of 5,000,000 runs (process start included)
 *   resident         a collector that caught up on a day of a line a minute: RSS and CPU while
 *                    idle, then the latency from appending a failure to the notifier call
 * Alerts go to a fake `command` notifier (a bash line recording the instant of each call).
 *
 * Usage: bun bench/ingest.ts [--big] [--repeat N] [--idle S] [--reuse] [--skip-resident] [--only REGEX]
 *   --repeat N   run each ingest case N times and keep the fastest (default 1)
 *   --idle S     idle seconds of the resident case (default 60)
 *   --reuse      reuse the generated backfill files in bench/out/ (they do not depend on the date)
 *   --only REGEX run only the cases whose name matches (backfill-1m, backfill-10m, burst-300k,
 *                future-1m, stats, resident), e.g. --only 'burst|future'
 * Inputs and databases are written to bench/out/ (git-ignored).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generate, type InputSpec } from "./generate.ts";
import { ROOT, alertTimes, maxPerMinute, measure, prepareCase, quantile, type Measurement } from "./measure.ts";
import { describeLatency, residentCase } from "./resident.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    big: { type: "boolean" },
    repeat: { type: "string" },
    idle: { type: "string" },
    reuse: { type: "boolean" },
    "skip-resident": { type: "boolean" },
    only: { type: "string" },
  },
});
const repeat = Number(values.repeat ?? 1);
const reuse = values.reuse ?? false;
const only = values.only === undefined ? null : new RegExp(values.only);
const selected = (name: string): boolean => only === null || only.test(name);
const OUT = join(ROOT, "bench", "out");
const HOUR = 3_600_000;
const BACKFILL_START = Date.UTC(2025, 0, 1);
const MAX_PER_MINUTE = 5;

interface IngestRow {
  readonly name: string;
  readonly lines: number;
  readonly sizeMb: number;
  readonly baseline: Measurement;
  readonly collector: Measurement;
  readonly alerts: number;
  readonly alertsMaxPerMinute: number;
}

const fastest = (runs: Measurement[]): Measurement => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));

async function ingestCase(name: string, spec: InputSpec, reusable: boolean): Promise<IngestRow> {
  const input = await generate(join(OUT, `${name}.jsonl`), spec, reuse && reusable);
  const baselines: Measurement[] = [];
  const collectors: Measurement[] = [];
  let alerts: number[] = [];
  for (let run = 0; run < repeat; run++) {
    const setup = prepareCase(name, MAX_PER_MINUTE, input);
    baselines.push(measure(["bun", "bench/baseline.ts", input, join(setup.dir, "baseline.db")], setup.dir));
    collectors.push(measure(["bun", "collector.ts", "--config", setup.config, "--parse-existing"], setup.dir));
    alerts = alertTimes(setup.alertLog);
  }
  const row = { name, lines: spec.lines, sizeMb: statSync(input).size / 1024 / 1024, baseline: fastest(baselines), collector: fastest(collectors), alerts: alerts.length, alertsMaxPerMinute: maxPerMinute(alerts) };
  console.error(`done: ${name}`);
  return row;
}

/** Median wall time of `--stats --json` on a database filled from `lines` lines ending at their last instant. */
async function statsCase(name: string, spec: InputSpec): Promise<{ rows: number; seconds: number; cpuSeconds: number }> {
  const input = await generate(join(OUT, `${name}.jsonl`), spec, reuse);
  const setup = prepareCase(name, MAX_PER_MINUTE, input);
  measure(["bun", "collector.ts", "--config", setup.config, "--parse-existing"], setup.dir);
  const now = new Date(spec.startMs + (spec.lines - 1) * spec.stepMs).toISOString();
  const runs: Measurement[] = [];
  for (let run = 0; run < 5; run++) runs.push(measure(["bun", "collector.ts", "--config", setup.config, "--stats", "--json", "--now", now], setup.dir));
  const rows = (JSON.parse(runs[0]?.stdout ?? "{}") as { total_entries?: number }).total_entries ?? 0;
  console.error(`done: ${name}`);
  return { rows, seconds: quantile(runs.map((m) => m.seconds), 0.5), cpuSeconds: quantile(runs.map((m) => m.cpuSeconds), 0.5) };
}

/** The 1-, 5- and 15-minute load averages: the machine is shared, so each table says how busy it was. */
function loadAverage(): string {
  return existsSync("/proc/loadavg") ? readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") : "n/a";
}

const loadBefore = loadAverage();
const now = Date.now();
const rows: IngestRow[] = [];
if (selected("backfill-1m")) rows.push(await ingestCase("backfill-1m", { lines: 1_000_000, startMs: BACKFILL_START, stepMs: 3000, failEvery: 10 }, true));
if (values.big && selected("backfill-10m")) rows.push(await ingestCase("backfill-10m", { lines: 10_000_000, startMs: BACKFILL_START, stepMs: 3000, failEvery: 10 }, true));
if (selected("burst-300k")) rows.push(await ingestCase("burst-300k", { lines: 300_000, startMs: now - HOUR + 1000, stepMs: 11, failEvery: 1 }, false));
if (selected("future-1m")) rows.push(await ingestCase("future-1m", { lines: 1_000_000, startMs: now - 500_000_000, stepMs: 1000, failEvery: 10 }, false));
const stats = selected("stats")
  ? { small: await statsCase("stats-1k", { lines: 1000, startMs: BACKFILL_START, stepMs: 3000, failEvery: 10 }), large: await statsCase("stats-5m", { lines: 5_000_000, startMs: BACKFILL_START, stepMs: 3000, failEvery: 10 }) }
  : null;
const resident = values["skip-resident"] || !selected("resident") ? null : await residentCase(Number(values.idle ?? 60), 100);

const n = (value: number): string => value.toLocaleString("en");
console.log(`\nBun ${Bun.version}, ${navigator.hardwareConcurrency} cores; wall time (CPU time) of the fastest of ${repeat} run(s), process start included`);
console.log(`load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}`);
console.log("| case | lines | baseline | collector | collector / baseline | peak RSS baseline / collector | alerts (most in 60 s) |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) {
  const { baseline: b, collector: c } = row;
  console.log(
    `| ${row.name} | ${n(row.lines)} (${row.sizeMb.toFixed(0)} MiB) | ${b.seconds.toFixed(2)} s (${b.cpuSeconds.toFixed(2)}) | ${c.seconds.toFixed(2)} s (${c.cpuSeconds.toFixed(2)}) | ` +
      `${(c.seconds / b.seconds).toFixed(2)}× (CPU ${(c.cpuSeconds / b.cpuSeconds).toFixed(2)}×) | ${b.maxRssMb.toFixed(0)} / ${c.maxRssMb.toFixed(0)} MB | ${row.alerts} (${row.alertsMaxPerMinute}; limit ${MAX_PER_MINUTE}) |`,
  );
}
if (stats) {
  const { small, large } = stats;
  console.log(
    `\n--stats --json (median of 5): ${n(small.rows)} runs ${small.seconds.toFixed(3)} s (CPU ${small.cpuSeconds.toFixed(3)}), ` +
      `${n(large.rows)} runs ${large.seconds.toFixed(3)} s (CPU ${large.cpuSeconds.toFixed(3)}): ${(large.seconds / small.seconds).toFixed(2)}×`,
  );
}
if (resident) {
  console.log(
    `resident, idle ${resident.idleSeconds} s after a day of a line a minute: RSS ${resident.rssMb.toFixed(0)} MB (peak ${resident.peakRssMb.toFixed(0)} MB), CPU ${resident.cpuPercent.toFixed(3)} %`,
  );
  console.log(
    `alert latency, ${resident.latenciesMs.length} failures appended one by one: ${describeLatency(resident.latenciesMs)}; ${resident.alerts} alerts, most in 60 s: ${resident.alertsMaxPerMinute} (limit 120)`,
  );
}
