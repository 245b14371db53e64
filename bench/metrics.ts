/**
 * Metrics for 1,000 jobs: how long a scrape takes, what rendering costs (and what rendering on
 * every scrape would cost instead), and whether scraping slows ingestion.
 *
 * Usage: bun bench/metrics.ts [--jobs N] [--runs-per-job R] [--scrapes S] [--lines L]
 *   --jobs N          jobs in the database (default 1000)
 *   --runs-per-job R  runs per job in the last week (default 5)
 *   --scrapes S       scrapes to time (default 200)
 *   --lines L         lines ingested with and without a scraper running (default 100,000)
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { renderExposition } from "../src/metrics/exposition.ts";
import { BUILD_INFO, snapshotSources } from "../src/metrics/exporters.ts";
import { startMetricsPublisher } from "../src/metrics/publisher.ts";
import { buildSnapshot, storeFigures, takeSnapshot } from "../src/metrics/snapshot.ts";
import { openSession } from "../src/session.ts";
import { collectStats } from "../src/stats.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { jobs: { type: "string" }, "runs-per-job": { type: "string" }, scrapes: { type: "string" }, lines: { type: "string" } },
});
const JOBS = Number(values.jobs ?? 1000);
const RUNS_PER_JOB = Number(values["runs-per-job"] ?? 5);
const SCRAPES = Number(values.scrapes ?? 200);
const LINES = Number(values.lines ?? 100_000);

const dir = mkdtempSync(join(tmpdir(), "cc-bench-metrics-"));
const NOW = new Date(Date.UTC(2025, 0, 8));
const parsed = parseConfig(`input: ${join(dir, "in.jsonl")}\ndatabase: ${join(dir, "db.sqlite")}\nlog_dir: ${dir}\nnotify: { backend: none }\n`, null, { home: dir, baseDir: dir });
const config = parsed.config;
const system = { platform: "linux", env: {}, which: () => null, collectorPath: "collector.ts" };
const session = openSession(config, createLogger("error", []), () => NOW, system);
const metrics = session.metricsQueries();

function lines(count: number, from: number, startMs: number, spanMs: number): string {
  let text = "";
  for (let i = from; i < from + count; i++) {
    const ts = new Date(startMs + Math.floor((i * spanMs) / count)).toISOString();
    text += `{"ts":"${ts}","exit":${i % 13 === 0 ? 1 : 0},"msg":"run ${i}","job":"job-${i % JOBS}","duration_ms":${(i % 97) * 1000}}\n`;
  }
  return text;
}

function ingest(text: string): void {
  appendFileSync(config.input, text);
  session.tailer.poll();
}

const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? NaN;
const percentile = (samples: number[], p: number): number => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? NaN;
function time(fn: () => void, repeat: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return samples;
}

writeFileSync(config.input, "");
ingest(lines(JOBS * RUNS_PER_JOB, 0, NOW.getTime() - 6 * 86_400_000, 6 * 86_400_000));
const sources = snapshotSources(session, metrics);
const render = (): string => renderExposition(takeSnapshot(sources, config, NOW, BUILD_INFO));
const text = render();
console.log(`database: ${JOBS} jobs, ${(JOBS * RUNS_PER_JOB).toLocaleString("en")} runs; exposition ${text.split("\n").length.toLocaleString("en")} lines, ${(text.length / 1024).toFixed(0)} KiB`);

// Rendering, split into the stats document (collectStats, shared with --stats) and the rest.
const statsMs = median(time(() => collectStats(sources.stats, NOW, config), 3));
const stats = collectStats(sources.stats, NOW, config);
const ownMs = median(time(() => renderExposition(buildSnapshot(stats, storeFigures(metrics, config.defaultJob), config, BUILD_INFO)), 9));
const renderMs = statsMs + ownMs;
console.log(`render (every check_interval): ${renderMs.toFixed(1)} ms = collectStats ${statsMs.toFixed(1)} ms + metrics queries, snapshot and text ${ownMs.toFixed(1)} ms`);

// Scrapes over HTTP against the served text, beside the baseline of rendering on every scrape.
const publisher = startMetricsPublisher({ config: { listen: { hostname: "127.0.0.1", port: 0 }, tokenFile: null, textfile: null }, intervalMs: 3_600_000, render, log: createLogger("error", []) });
publisher.refresh(); // render now rather than on the next turn of the event loop
for (const encoding of ["identity", "gzip"]) {
  const scrapeMs: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    const body = await (await fetch(`${publisher.url}/metrics`, { headers: { "Accept-Encoding": encoding } })).text();
    scrapeMs.push(performance.now() - started);
    if (body.length !== text.length) throw new Error("the served text differs from the rendered one");
  }
  const stats = `p50 ${median(scrapeMs).toFixed(2)} ms, p99 ${percentile(scrapeMs, 0.99).toFixed(2)} ms, max ${Math.max(...scrapeMs).toFixed(2)} ms`;
  console.log(`scrape (HTTP GET /metrics, ${encoding}, ${SCRAPES}x, client included): ${stats}`);
}
console.log(`baseline, rendering on every scrape instead: ${renderMs.toFixed(1)} ms per scrape`);

// Ingest with and without a scraper (another process, as Prometheus is) hitting the listener.
async function ingestLines(from: number): Promise<number> {
  const batch = 1000;
  const started = performance.now();
  for (let done = 0; done < LINES; done += batch) {
    ingest(lines(batch, from + done, NOW.getTime() - 3_600_000, 3_600_000));
    await Bun.sleep(0); // let the listener answer between polls, as the watch loop does
  }
  return (LINES / (performance.now() - started)) * 1000;
}
// The scraper asks for gzip as Prometheus does, in a loop with no pause: a worst case thousands of
// times denser than a 15 s scrape interval. Rounds alternate (alone, scraped, alone, scraped) so
// that the database growing between rounds does not favour one side.
const scraperCode = `let n = 0; for (;;) { await (await fetch("${publisher.url}/metrics", { headers: { "Accept-Encoding": "gzip" } })).arrayBuffer(); if (++n % 10 === 0) console.log(n); }`;
const rounds: string[] = [];
for (let round = 0; round < 4; round++) {
  const scraped = round % 2 === 1;
  const scraper = scraped ? Bun.spawn(["bun", "-e", scraperCode], { stdout: "pipe" }) : null;
  if (scraper) await Bun.sleep(300);
  const rate = await ingestLines((round + 1) * 10_000_000);
  scraper?.kill();
  const scrapes = scraper ? ` (${(await new Response(scraper.stdout).text()).trim().split("\n").at(-1) ?? "0"}+ scrapes)` : "";
  rounds.push(`${scraped ? "scraped" : "alone"} ${rate.toFixed(0)}${scrapes}`);
}
console.log(`ingest ${LINES.toLocaleString("en")} lines per round, lines/s: ${rounds.join(", ")}`);

await publisher.stop();
metrics.finalize();
session.close();
rmSync(dir, { recursive: true, force: true });
