/**
 * What the stats cost per job on an existing database: `collectStats` for every job (the
 * overview, `/api/stats`, `--stats`), for one job (`--stats --job`), and the schedule monitor's
 * `check()` with every job scheduled, as of now and as of a past instant.
 *
 * Usage: bun bench/stats.ts --db FILE [--now ISO] [--past ISO] [--repeat N] [--json FILE]
 *   --db FILE     a database (e.g. bench/out/web5m/ladder.db from `bun bench/web.ts --keep bench/out/web5m`)
 *   --now ISO     the instant measured (default: now); --past ISO a second, earlier one
 *   --json FILE   write the documents computed (to compare two versions of the code exactly)
 * The monitor's writes are rolled back, so the database is left as it was.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { ScheduleMonitor } from "../src/monitor.ts";
import { statsSourcesOf } from "../src/session.ts";
import { collectStats } from "../src/stats.ts";
import { AlertStore } from "../src/store/alerts.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobHistoryQueries } from "../src/store/job-history.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { StatsQueries } from "../src/store/stats-queries.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { db: { type: "string" }, now: { type: "string" }, past: { type: "string" }, repeat: { type: "string" }, json: { type: "string" } },
});
if (values.db === undefined) throw new Error("--db FILE is required");
const REPEAT = Number(values.repeat ?? 5);
const db = openDatabase(values.db);
const names = db.query<{ name: string }, []>("SELECT name FROM jobs WHERE name != '' ORDER BY name").all().map((row) => row.name);
const jobs = names.map((name) => `  "${name}": { every: 2m, grace: 1m }`).join("\n");
const { config } = parseConfig(`input: /dev/null\ndatabase: ${values.db}\nnotify: { backend: none }\njobs:\n${jobs}\n`, null, { home: "/tmp", baseDir: "/tmp" });
const jobStates = new JobStateStore(db);
const alerts = new AlertStore(db);
const history = new JobHistoryQueries(db);
const sources = statsSourcesOf(db, { jobStates, alerts, history }, new StatsQueries(db));
const ROLLBACK = new Error("rollback");

function time<T>(fn: () => T): { ms: number[]; result: T } {
  const ms: number[] = [];
  let result = fn(); // warm
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
  }
  return { ms: ms.sort((a, b) => a - b), result };
}

function check(now: Date): unknown {
  let result: unknown = null;
  const monitor = new ScheduleMonitor(
    {
      alerts,
      jobStates,
      history,
      transaction: (body) => {
        try {
          db.transaction(() => {
            result = body();
            throw ROLLBACK;
          })();
        } catch (error) {
          if (error !== ROLLBACK) throw error;
        }
        return result as never;
      },
    },
    config,
    createLogger("error", []),
    () => now,
  );
  return monitor.check();
}

const documents: Record<string, unknown> = {};
const show = (label: string, ms: number[]): void => console.log(`${label.padEnd(44)} median ${(ms[Math.floor(ms.length / 2)] ?? NaN).toFixed(1).padStart(9)} ms   min ${(ms[0] ?? NaN).toFixed(1).padStart(9)} ms`);
console.log(`${names.length} jobs, ${REPEAT} rounds each`);
for (const [label, iso] of [["now", values.now], ["past", values.past]] as const) {
  if (label === "past" && iso === undefined) continue;
  const now = iso === undefined ? new Date() : new Date(iso);
  const all = time(() => collectStats(sources, now, config));
  show(`collectStats, ${names.length} jobs (${label})`, all.ms);
  const one = time(() => collectStats(sources, now, config, names[Math.min(7, names.length - 1)]));
  show(`collectStats --job ${names[Math.min(7, names.length - 1)]} (${label})`, one.ms);
  const rare = time(() => collectStats(sources, now, config, names.at(-1)));
  show(`collectStats --job ${names.at(-1)} (${label})`, rare.ms);
  const monitor = time(() => check(now));
  show(`monitor.check(), ${names.length} scheduled (${label})`, monitor.ms);
  documents[label] = { all: all.result, one: one.result, rare: rare.result, monitor: monitor.result };
}
if (values.json) writeFileSync(values.json, JSON.stringify(documents, null, 1));
