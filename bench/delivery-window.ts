/**
 * The duplicate window of alert delivery: how long after a notifier has delivered (its process
 * exited) the outbox records it. A `kill -9` inside that window sends the alert again on restart.
 *
 * Usage: bun bench/delivery-window.ts [--alerts N] [--kills K] [COLLECTOR.ts ...]
 *   Runs each given collector (default: this checkout's; pass a main checkout's collector.ts for the
 *   baseline side by side) as a watching daemon in a temp HOME, with a `command` notifier that takes
 *   100 ms and writes the wall-clock time just before it exits. Each alert comes from a block of
 *   50,000 good lines and one failure; the next block is appended as soon as the notifier for the
 *   previous failure starts, so it exits while the collector's synchronous ingest tick reads that
 *   block. Prints, per collector, the window (time recorded in the outbox minus the notifier's exit
 *   time) over N alerts: median, p95 and max.
 * With --kills K, then K times: start the collector, append a block with a failure every 100 ms,
 *   `kill -9` it after a random 0.3–1.5 s; finally let one collector drain the outbox. Prints how many
 *   failures were notified twice (duplicates) and never (lost). A kill while the notifier itself runs
 *   can repeat a notification too: that notifier may finish after its parent died.
 */
import { Database } from "bun:sqlite";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { alerts: { type: "string" }, kills: { type: "string" } },
  allowPositionals: true,
});
const alerts = Number(values.alerts ?? 20);
const kills = Number(values.kills ?? 0);
const collectors = positionals.length > 0 ? positionals : [join(import.meta.dir, "..", "collector.ts")];

const BLOCK = 50_000;

function block(first: number, count: number, failure: number): string {
  let text = "";
  const now = Date.now();
  for (let i = first; i < first + count; i++) text += `{"ts":"${new Date(now - 30_000 + (i % 1000)).toISOString()}","exit":0,"msg":"ok ${i}"}\n`;
  return `${text}{"ts":"${new Date(now).toISOString()}","exit":2,"msg":"crash ${failure}"}\n`;
}

/** When the outbox recorded the delivery of each message (new schema first, then main's). */
function recordedAt(database: string): Map<string, number> {
  const db = new Database(database, { readonly: true });
  try {
    const hasDeliveries = db.query("SELECT 1 FROM sqlite_master WHERE name = 'alert_deliveries'").get() !== null;
    const sql = hasDeliveries
      ? "SELECT a.message, d.done_ms AS at FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'sent'"
      : "SELECT message, sent_ms AS at FROM alerts WHERE sent_ms IS NOT NULL";
    return new Map(db.query<{ message: string; at: number }, []>(sql).all().map((row) => [row.message, row.at]));
  } finally {
    db.close();
  }
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

interface Setup {
  readonly input: string;
  readonly database: string;
  readonly exits: string;
  readonly starts: string;
  start(): Bun.Subprocess;
}

function setup(collector: string): Setup {
  const home = mkdtempSync(join(tmpdir(), "cc-window-"));
  const input = join(home, "ladder.jsonl");
  const database = join(home, "ladder.db");
  const exits = join(home, "exits");
  const starts = join(home, "starts");
  const notifier = join(home, "notify.sh");
  // The notifier takes a moment (as terminal-notifier does), then records its exit time in ms.
  writeFileSync(notifier, `#!/bin/sh\necho "$2" >> "${starts}"\nsleep 0.1\nprintf '%s\\t%s\\n' "$2" "$(date +%s%3N)" >> "${exits}"\n`, { mode: 0o700 });
  writeFileSync(exits, "");
  writeFileSync(starts, "");
  writeFileSync(input, "");
  const config = join(home, "config.yaml");
  writeFileSync(
    config,
    `input: ${input}\ndatabase: ${database}\nlog_dir: ${home}\ncheck_interval: 0.2\nnotify:\n  backend: command\n  command: ["${notifier}"]\n  max_per_minute: 1000\n`,
  );
  const start = (): Bun.Subprocess =>
    Bun.spawn(["bun", collector], { env: { ...process.env, HOME: home, CRON_COLLECTOR_CONFIG: config }, stdout: "ignore", stderr: "ignore" });
  return { input, database, exits, starts, start };
}

const linesOf = (path: string): string[] => readFileSync(path, "utf8").split("\n").filter((row) => row !== "");

async function measure(collector: string): Promise<void> {
  const { input, database, exits, starts, start } = setup(collector);
  const child = start();
  try {
    const started = (): number => readFileSync(starts, "utf8").split("\n").length - 1;
    for (let i = 0; i < alerts; i++) {
      appendFileSync(input, block(i * BLOCK, BLOCK, i));
      const deadline = Date.now() + 30_000;
      while (started() <= i && Date.now() < deadline) await Bun.sleep(5);
    }
    const deadline = Date.now() + 60_000;
    while (readFileSync(exits, "utf8").split("\n").length <= alerts && Date.now() < deadline) await Bun.sleep(200);
    await Bun.sleep(2000); // the last ticks commit
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
  const recorded = recordedAt(database);
  const windows = readFileSync(exits, "utf8")
    .split("\n")
    .filter((row) => row !== "")
    .flatMap((row) => {
      const [message = "", exitedAt = ""] = row.split("\t");
      const at = recorded.get(message);
      return at === undefined ? [] : [at - Number(exitedAt)];
    })
    .sort((a, b) => a - b);
  console.log(
    `${collector}: ${windows.length} alerts; window median ${percentile(windows, 0.5)} ms, p95 ${percentile(windows, 0.95)} ms, max ${windows.at(-1)} ms`,
  );
}

async function killRepeatedly(collector: string): Promise<void> {
  const { input, exits, start } = setup(collector);
  let failures = 0;
  for (let kill = 0; kill < kills; kill++) {
    const child = start();
    const killAt = Date.now() + 300 + Math.random() * 1200;
    while (Date.now() < killAt) {
      appendFileSync(input, block(failures * 10_000, 10_000, failures));
      failures++;
      await Bun.sleep(100);
    }
    child.kill("SIGKILL");
    await child.exited;
  }
  const drain = start();
  const deadline = Date.now() + 120_000;
  while (new Set(linesOf(exits).map((row) => row.split("\t")[0])).size < failures && Date.now() < deadline) await Bun.sleep(200);
  await Bun.sleep(1000); // a duplicate would show by now
  drain.kill("SIGTERM");
  await drain.exited;
  const notified = linesOf(exits).map((row) => row.split("\t")[0]);
  const distinct = new Set(notified).size;
  console.log(`${collector}: ${kills} kill -9, ${failures} failures: ${notified.length - distinct} notified twice, ${failures - distinct} never notified`);
}

for (const collector of collectors) await measure(collector);
if (kills > 0) for (const collector of collectors) await killRepeatedly(collector);
