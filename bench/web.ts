/**
 * Dashboard latency under load: every page and API at p50/p95 with 20 clients requesting at once,
 * while the collector ingests, on a database of 5 million runs of 50 jobs; and the collector's
 * memory with the dashboard on and off.
 *
 * Usage: bun bench/web.ts [--runs N] [--clients C] [--rounds R] [--keep DIR] [--only REGEX] [--alone-rounds R] [--ingest N] [--settle S] [--collector DIR]
 *   --runs N      runs to generate (default 5,000,000), spread over 50 jobs and the last 70 days
 *   --rounds R    rounds of every path per client under load (default 100: 22,000 requests, a few
 *                 seconds, so the load spans many ingest commits and stats documents)
 *   --keep DIR    build the database in DIR and keep it (a second run with the same DIR reuses it)
 *   --only REGEX  under load, request only the paths matching REGEX (e.g. to leave out slow ones)
 *   --alone-rounds R  rounds of every path by one client alone first (default 3)
 *   --settle S    memory is read 3 s after the load and again S seconds later (default 30)
 *   --ingest N    also time the ingestion of N lines appended at once: with the dashboard off, on
 *                 and idle, and on with 20 clients requesting (what the dashboard costs ingestion;
 *                 default 0: skipped; it adds 3N runs, dated 30 days back, to a kept database),
 *                 and the requests' times during the catch-up with the clients
 *   --collector DIR  the checkout whose collector.ts runs (default: this one), e.g. a worktree of
 *                 main, to compare two versions with the same bench at the same moments
 *
 * The collector runs as a real process (`bun collector.ts`) with `web.listen` on a free port; an
 * appender writes 50 runs a second into its input meanwhile. The baseline is a bare Bun.serve
 * answering "ok" to the same clients: the cost of HTTP and of the client itself.
 */
import { Database } from "bun:sqlite";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { collector: { type: "string" }, settle: { type: "string" }, ingest: { type: "string" }, only: { type: "string" }, "alone-rounds": { type: "string" }, runs: { type: "string" }, clients: { type: "string" }, rounds: { type: "string" }, keep: { type: "string" } },
});
const RUNS = Number(values.runs ?? 5_000_000);
const CLIENTS = Number(values.clients ?? 20);
const SETTLE_MS = Number(values.settle ?? 30) * 1000;
const ROUNDS = Number(values.rounds ?? 100);
const INGEST_LINES = Number(values.ingest ?? 0);
const JOBS = 50;
const root = values.collector ?? join(import.meta.dir, "..");
const dir = values.keep ?? join(tmpdir(), `cc-bench-web-${process.pid}`);
mkdirSync(dir, { recursive: true });
const input = join(dir, "ladder.jsonl");
const database = join(dir, "ladder.db");
const port = 20_000 + (process.pid % 20_000);

// 49 busy jobs share the log evenly; "nightly-report" runs once a day (a rare job among busy ones).
const jobName = (index: number): string => (index === JOBS - 1 ? "nightly-report" : `job-${String(index).padStart(2, "0")}`);
const nowMs = Date.now();
const spanMs = 70 * 86_400_000;

function config(web: string): string {
  const path = join(dir, `config-${web === "off" ? "off" : "on"}.yaml`);
  const jobs = Array.from({ length: 10 }, (_, index) => `  ${jobName(index)}: { every: 2m, grace: 1m }`).join("\n");
  writeFileSync(path, `input: ${input}\ndatabase: ${database}\nlog_dir: ${dir}\ncheck_interval: 1\nnotify: { backend: none }\nweb: { listen: ${web} }\njobs:\n${jobs}\n`);
  return path;
}

async function generate(): Promise<void> {
  const writer = Bun.file(input).writer();
  const step = spanMs / RUNS;
  let block = "";
  let day = -1;
  for (let i = 0; i < RUNS; i++) {
    const ms = nowMs - spanMs + i * step;
    const currentDay = Math.floor(ms / 86_400_000);
    let job = jobName(i % (JOBS - 1));
    if (currentDay !== day) {
      day = currentDay;
      job = jobName(JOBS - 1);
    }
    const exit = i % 23 === 0 ? 1 : 0;
    block += `{"ts":"${new Date(ms).toISOString()}","exit":${exit},"msg":"${exit ? "Connection failed - API timeout" : "done"} #${i}","job":"${job}","duration_ms":${(i * 7919) % 60_000}}\n`;
    if (block.length > 1 << 20) {
      writer.write(block);
      block = "";
    }
  }
  writer.write(block);
  await writer.end();
}

/** CPU seconds (user + system) a process has used so far, all its threads. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;

interface Result {
  readonly name: string;
  readonly times: number[];
  failures: number;
}

async function load(base: string, paths: readonly string[], headers: Record<string, string>): Promise<{ results: Result[]; seconds: number }> {
  const results = paths.map((name) => ({ name, times: [] as number[], failures: 0 }));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < paths.length; k++) {
          // Clients start at different pages, so every page is requested while the others are.
          const index = (k + client) % paths.length;
          const result = results[index] as Result;
          const t0 = performance.now();
          const response = await fetch(`${base}${paths[index]}`, { headers });
          await response.arrayBuffer();
          result.times.push(performance.now() - t0);
          if (!response.ok) result.failures++;
        }
      }
    }),
  );
  return { results, seconds: (performance.now() - started) / 1000 };
}

function report(title: string, { results, seconds }: { results: Result[]; seconds: number }): void {
  const total = results.reduce((sum, result) => sum + result.times.length, 0);
  console.log(`\n${title}: ${total} requests in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} req/s)`);
  console.log(`${"".padEnd(34)}    p50 ms    p95 ms    max ms`);
  for (const result of results) {
    const sorted = [...result.times].sort((a, b) => a - b);
    const cells = [0.5, 0.95, 1].map((p) => percentile(sorted, p).toFixed(1).padStart(9));
    console.log(`${result.name.padEnd(34)} ${cells.join(" ")}${result.failures ? `  (${result.failures} failed)` : ""}`);
  }
}

/**
 * Seconds the collector takes to store `lines` lines appended at once; with `base`, 20 clients
 * keep requesting the dashboard meanwhile.
 */
async function ingestSeconds(lines: number, base: string | null, headers: Record<string, string>): Promise<{ seconds: number; latenciesMs: number[] }> {
  const db = new Database(database, { readonly: true });
  const newestRow = (): number => db.query<{ id: number | null }, []>("SELECT max(rowid) AS id FROM cron_entries").get()?.id ?? 0;
  const before = newestRow();
  // Dated 30 days back, a millisecond apart: stored like any run, outside every window the
  // dashboard shows, so the runs added do not change what later runs of the bench measure.
  const at = Date.now() - 30 * 86_400_000;
  let block = "";
  for (let i = 0; i < lines; i++) block += `{"ts":"${new Date(at + i).toISOString()}","exit":0,"msg":"bulk #${i}","job":"${jobName(i % (JOBS - 1))}","duration_ms":100}\n`;
  let done = false;
  // Every request's time while the catch-up runs: what a page waits behind ingestion.
  const latenciesMs: number[] = [];
  const clients = base === null ? [] : Array.from({ length: CLIENTS }, async (_, client) => {
    for (let k = client; !done; k++) {
      const t0 = performance.now();
      await (await fetch(`${base}${paths[k % paths.length]}`, { headers })).arrayBuffer();
      if (!done) latenciesMs.push(performance.now() - t0);
    }
  });
  const t0 = performance.now();
  appendFileSync(input, block);
  while (newestRow() - before < lines) await Bun.sleep(20);
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  await Promise.all(clients);
  db.close();
  return { seconds, latenciesMs };
}

// 1. The database: generated and ingested by the real collector, once.
if (!existsSync(database)) {
  console.log(`generating ${RUNS.toLocaleString("en")} runs of ${JOBS} jobs in ${dir}`);
  await generate();
  const t0 = performance.now();
  const ingest = Bun.spawnSync(["bun", "collector.ts", "--config", config("off"), "--parse-existing"], { cwd: root, env: { ...process.env, HOME: dir }, stdout: "ignore", stderr: "pipe" });
  if (ingest.exitCode !== 0) throw new Error(ingest.stderr.toString());
  console.log(`ingested in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// 2. The collector, watching with the dashboard on; an appender keeps it ingesting.
async function startCollector(web: string): Promise<{ pid: number; alive(): boolean; stop(): Promise<void> }> {
  const child = Bun.spawn(["bun", "collector.ts", "--config", config(web)], { cwd: root, env: { ...process.env, HOME: dir }, stdout: "ignore", stderr: "ignore" });
  let exited = false;
  void child.exited.then((code) => {
    exited = true;
    if (code !== 0 && code !== null) console.error(`the collector exited with ${code} (see ${join(dir, "collector.log")})`);
  });
  await Bun.sleep(300);
  return {
    pid: child.pid,
    alive: () => !exited,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

let appended = 0;
const appender = setInterval(() => {
  let block = "";
  for (let i = 0; i < 5; i++, appended++) block += `{"ts":"${new Date().toISOString()}","exit":${appended % 9 === 0 ? 1 : 0},"msg":"live #${appended}","job":"${jobName(appended % (JOBS - 1))}","duration_ms":1200}\n`;
  appendFileSync(input, block);
}, 100);

const spawnedAt = performance.now();
const collector = await startCollector(`127.0.0.1:${port}`);
// Whatever happens below, no collector or appender outlives the bench.
const cleanup = (): void => {
  clearInterval(appender);
  process.kill(collector.pid, "SIGKILL");
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
process.on("SIGTERM", () => {
  cleanup();
  process.exit(143);
});
process.on("uncaughtException", (error) => {
  cleanup();
  console.error(error);
  process.exit(1);
});
const base = `http://127.0.0.1:${port}`;
await waitUntil(async () => {
  if (!collector.alive()) throw new Error("the collector stopped before its dashboard answered");
  return (await fetch(`${base}/healthz`).catch(() => null))?.ok ?? false;
}, "the dashboard").catch((error: unknown) => {
  cleanup();
  throw error;
});
// Memory is compared at the same moment after start: when the dashboard answered, plus 2 s.
const readyAfterMs = performance.now() - spawnedAt + 2000;
await Bun.sleep(2000);
const token = readFileSync(join(dir, "web-token"), "utf8").trim();
const headers = { authorization: `Bearer ${token}` };
const idleRss = rssMb(collector.pid);

const job = encodeURIComponent("job-07");
const allPaths = [
  "/",
  `/jobs/${job}`,
  "/jobs/nightly-report",
  "/alerts",
  "/api/stats",
  `/api/stats?job=${job}`,
  `/api/jobs/${job}/runs`,
  "/api/jobs/nightly-report/runs",
  "/api/alerts",
  "/api/rejects",
  "/healthz",
];
const paths = values.only === undefined ? allPaths : allPaths.filter((path) => new RegExp(values.only ?? "").test(path));
// One client alone first: the cost of each request without queueing behind the others.
const alone = await (async () => {
  const results = allPaths.map((name) => ({ name, times: [] as number[], failures: 0 }));
  const t0 = performance.now();
  for (let round = 0; round < Number(values["alone-rounds"] ?? 3); round++) {
    for (const [index, path] of allPaths.entries()) {
      const start = performance.now();
      const response = await fetch(`${base}${path}`, { headers });
      await response.arrayBuffer();
      (results[index] as Result).times.push(performance.now() - start);
    }
  }
  return { results, seconds: (performance.now() - t0) / 1000 };
})();
report("one client at a time", alone);

const cpuBefore = cpuSeconds(collector.pid);
const loaded = await load(base, paths, headers);
const cpuUsed = cpuSeconds(collector.pid) - cpuBefore;
report(`collector with dashboard, ingesting ${50} runs/s`, loaded);
console.log(`collector CPU during the load: ${cpuUsed.toFixed(2)} s in ${loaded.seconds.toFixed(1)} s (all its threads)`);
await Bun.sleep(3000);
const loadedRss = rssMb(collector.pid);
const loadedAfterMs = performance.now() - spawnedAt;
// And once more after a quiet spell: what the dashboard keeps for good after a burst of requests.
await Bun.sleep(SETTLE_MS);
const settledRss = rssMb(collector.pid);
const settledAfterMs = performance.now() - spawnedAt;
const ingestIdle = INGEST_LINES > 0 ? await ingestSeconds(INGEST_LINES, null, headers) : null;
const ingestOn = INGEST_LINES > 0 ? await ingestSeconds(INGEST_LINES, base, headers) : null;
await collector.stop();

// 3. Baseline: a bare Bun.serve in its own process, the same clients.
const baselineScript = join(dir, "baseline-server.ts");
writeFileSync(baselineScript, `Bun.serve({ hostname: "127.0.0.1", port: ${port + 1}, fetch: () => new Response("ok") });\n`);
const bare = Bun.spawn(["bun", baselineScript], { stdout: "ignore", stderr: "ignore" });
await waitUntil(async () => (await fetch(`http://127.0.0.1:${port + 1}/`).catch(() => null))?.ok ?? false, "the baseline");
report("baseline: bare Bun.serve", await load(`http://127.0.0.1:${port + 1}`, ["/"], {}));
bare.kill();

// 4. Memory: the same collector with the dashboard off, at the same two moments after its start
// (it ingests meanwhile as well, so its own growth is not counted as the dashboard's).
const offStartedAt = performance.now();
const off = await startCollector("off");
await Bun.sleep(Math.max(0, readyAfterMs - (performance.now() - offStartedAt)));
const offRss = rssMb(off.pid);
await Bun.sleep(Math.max(0, loadedAfterMs - (performance.now() - offStartedAt)));
const offLaterRss = rssMb(off.pid);
await Bun.sleep(Math.max(0, settledAfterMs - (performance.now() - offStartedAt)));
const offSettledRss = rssMb(off.pid);
const ingestOff = INGEST_LINES > 0 ? await ingestSeconds(INGEST_LINES, null, {}) : null;
await off.stop();
clearInterval(appender);
const added = (on: number, offMb: number): string => `${(on - offMb >= 0 ? "+" : "")}${(on - offMb).toFixed(1)} MB`;
console.log(`\ncollector RSS ${(readyAfterMs / 1000).toFixed(0)} s after start: dashboard off ${offRss.toFixed(1)} MB, on ${idleRss.toFixed(1)} MB (${added(idleRss, offRss)})`);
console.log(`collector RSS ${(loadedAfterMs / 1000).toFixed(0)} s after start (on: 3 s after the load): dashboard off ${offLaterRss.toFixed(1)} MB, on ${loadedRss.toFixed(1)} MB (${added(loadedRss, offLaterRss)})`);
console.log(`collector RSS ${(settledAfterMs / 1000).toFixed(0)} s after start (on: ${((SETTLE_MS + 3000) / 1000).toFixed(0)} s after the load): dashboard off ${offSettledRss.toFixed(1)} MB, on ${settledRss.toFixed(1)} MB (${added(settledRss, offSettledRss)})`);
if (!values.keep) console.log(`(database in ${dir}; pass --keep DIR to reuse it)`);
if (ingestIdle !== null && ingestOn !== null && ingestOff !== null) {
  console.log(`${INGEST_LINES.toLocaleString("en")} lines appended at once ingested in ${ingestOff.seconds.toFixed(2)} s with the dashboard off, ${ingestIdle.seconds.toFixed(2)} s with it on and idle, ${ingestOn.seconds.toFixed(2)} s with ${CLIENTS} clients requesting`);
  const during = [...ingestOn.latenciesMs].sort((a, b) => a - b);
  console.log(`requests during that catch-up (${CLIENTS} clients, every path): ${during.length} in ${ingestOn.seconds.toFixed(2)} s, p50 ${percentile(during, 0.5).toFixed(1)} ms, p95 ${percentile(during, 0.95).toFixed(1)} ms, max ${percentile(during, 1).toFixed(1)} ms`);
}
