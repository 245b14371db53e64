/**
 * Ingest throughput and memory: `--parse-existing` against the minimal baseline, in one run, on the
 * same generated file.
 *
 * Usage: bun bench/ingest.ts [--lines N] [--size-mb M] [--keep]
 *   --lines N     lines to generate (default 1,000,000)
 *   --size-mb M   generate about M MiB instead (for the peak-RSS check on a large input)
 * Prints lines/s and peak RSS (max resident set size of the child process) for both, then the time
 * `--stats --json` takes on the filled database.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { lines: { type: "string" }, "size-mb": { type: "string" }, keep: { type: "boolean" } },
});
const dir = mkdtempSync(join(tmpdir(), "cc-bench-"));
const input = join(dir, "ladder.jsonl");
const root = join(import.meta.dir, "..");

const messages = ["Monitor started successfully", "Connection failed - API timeout", "Order check completed - 3 orders tracked"];

async function generate(): Promise<number> {
  const targetBytes = values["size-mb"] ? Number(values["size-mb"]) * 1024 * 1024 : Infinity;
  const targetLines = values["size-mb"] ? Infinity : Number(values.lines ?? 1_000_000);
  const writer = Bun.file(input).writer();
  const start = Date.UTC(2025, 0, 1);
  let lines = 0;
  let bytes = 0;
  while (lines < targetLines && bytes < targetBytes) {
    let block = "";
    for (let i = 0; i < 10_000 && lines < targetLines; i++, lines++) {
      const ts = new Date(start + lines * 1000).toISOString().replace(".000Z", "Z");
      const exit = lines % 17 === 0 ? 1 : 0;
      block += `{"ts":"${ts}","exit":${exit},"msg":"${messages[lines % 3]} #${lines}"}\n`;
    }
    bytes += block.length;
    writer.write(block);
  }
  await writer.end();
  return lines;
}

interface Measurement {
  readonly seconds: number;
  readonly maxRssMb: number;
}

function measure(argv: string[]): Measurement {
  const started = performance.now();
  const child = Bun.spawnSync(argv, { cwd: root, env: { ...process.env, HOME: dir }, stdout: "pipe", stderr: "pipe" });
  const seconds = (performance.now() - started) / 1000;
  if (child.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${child.stderr.toString()}`);
  const maxRss = child.resourceUsage?.maxRSS ?? 0; // bytes
  return { seconds, maxRssMb: maxRss / 1024 / 1024 };
}

const lines = await generate();
const sizeMb = statSync(input).size / 1024 / 1024;
console.log(`input: ${lines.toLocaleString("en")} lines, ${sizeMb.toFixed(0)} MiB`);

const baseline = measure(["bun", "bench/baseline.ts", input, join(dir, "baseline.db")]);
const collector = measure(["bun", "collector.ts", "--parse-existing", "--input", input, "--db", join(dir, "collector.db")]);

const row = (name: string, m: Measurement): string =>
  `${name.padEnd(10)} ${(lines / m.seconds).toFixed(0).padStart(9)} lines/s  ${m.seconds.toFixed(2).padStart(7)} s  peak RSS ${m.maxRssMb.toFixed(0).padStart(4)} MB`;
console.log(row("baseline", baseline));
console.log(row("collector", collector));
console.log(`collector / baseline time: ${(collector.seconds / baseline.seconds).toFixed(2)}x`);

// The dashboard on the database just filled (every run in the 7-day window of --now).
const lastTs = new Date(Date.UTC(2025, 0, 1) + (lines - 1) * 1000).toISOString();
const stats = measure(["bun", "collector.ts", "--stats", "--json", "--now", lastTs, "--db", join(dir, "collector.db")]);
console.log(`--stats --json on ${lines.toLocaleString("en")} rows: ${stats.seconds.toFixed(2)} s (process start included)`);

if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
