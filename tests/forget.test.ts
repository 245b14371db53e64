/** `forget JOB [--runs]`, in process on a real database file. */
import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { forgetCommand } from "../src/commands/forget.ts";
import { parseConfig } from "../src/config/load.ts";
import { parseLine } from "../src/line.ts";
import type { Run } from "../src/records.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { RunWriter } from "../src/store/runs.ts";
import { tempDir } from "./helpers.ts";

function collected(): { out: string[]; err: string[]; output: { out(text: string): void; err(text: string): void; color: boolean } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (text) => out.push(text), err: (text) => err.push(text), color: false } };
}

function withRuns(): { config: ReturnType<typeof parseConfig>["config"]; count: (sql: string) => number } {
  const dir = tempDir("cc-forget-");
  const config = { ...parseConfig("jobs:\n  backup: { every: 1h }\n", "config.yaml", { home: dir, baseDir: dir }).config, database: join(dir, "ladder.db") };
  const db = openDatabase(config.database);
  const line = (fields: Record<string, unknown>): Run => {
    const parsed = parseLine(JSON.stringify(fields));
    if (parsed.kind !== "run") throw new Error("bad fixture");
    return parsed.run;
  };
  const writer = new RunWriter(db, config.defaultJob);
  const runs = [line({ ts: "2025-07-29T04:00:00Z", exit: 1, msg: "a", job: "old" }), line({ ts: "2025-07-29T04:01:00Z", exit: 0, msg: "b", job: "backup" })];
  writer.commit({ runs, starts: [{ ts: "2025-07-29T04:02:00Z", epochMs: Date.parse("2025-07-29T04:02:00Z"), runId: "r", job: "old", host: null }], rejects: [], from: null, to: { source: "s", dev: "0", ino: "0", offset: 1, headHash: "", tailHash: "" } }, "now");
  new JobStateStore(db).setPause("old", Date.parse("2025-08-01T00:00:00Z"), new Date("2025-07-29T05:00:00Z"));
  writer.finalize();
  db.close();
  const count = (sql: string): number => {
    const read = new Database(config.database, { readonly: true });
    try {
      return read.query<{ n: number }, []>(sql).get()?.n ?? 0;
    } finally {
      read.close();
    }
  };
  return { config, count };
}

describe("forgetCommand", () => {
  test("removes the job's state and start markers; its runs stay unless --runs", () => {
    const { config, count } = withRuns();
    const io = collected();
    expect(forgetCommand(config, "old", { runs: false }, new Date("2025-07-29T06:00:00Z"), io.output)).toBe(0);
    expect(io.out).toEqual(['Forgot job "old" as of 2025-07-29T06:00:00.000Z; its runs stay (add --runs to delete them too).']);
    expect(count("SELECT COUNT(*) AS n FROM jobs WHERE name = 'old'")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM run_starts")).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM cron_entries")).toBe(2);
    expect(forgetCommand(config, "backup", { runs: true }, new Date("2025-07-29T06:00:00Z"), io.output)).toBe(0);
    expect(io.out.at(-1)).toBe('Forgot job "backup" as of 2025-07-29T06:00:00.000Z; 1 run(s) deleted.');
    expect(io.err).toEqual(['Note: config.yaml still lists "backup": the collector watches it again as a new job.']);
    expect(count("SELECT COUNT(*) AS n FROM cron_entries")).toBe(1);
  });

  test("an unknown job is said so, with exit 1", () => {
    const { config } = withRuns();
    const io = collected();
    expect(forgetCommand(config, "nope", { runs: false }, new Date(), io.output)).toBe(1);
    expect(io.err).toEqual(['No state of a job named "nope" is stored; nothing to forget.']);
  });
});
