/** A real database file with runs of "old" (failed, with a start marker and a pause) and "backup" (configured). */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { parseLine } from "../src/line.ts";
import type { Run } from "../src/records.ts";
import { openDatabase } from "../src/store/database.ts";
import { JobStateStore } from "../src/store/job-state.ts";
import { RunWriter } from "../src/store/runs.ts";
import { tempDir } from "./helpers.ts";

export function collected(): { out: string[]; err: string[]; output: { out(text: string): void; err(text: string): void; color: boolean } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (text) => out.push(text), err: (text) => err.push(text), color: false } };
}

export function withRuns(): { config: ReturnType<typeof parseConfig>["config"]; count: (sql: string) => number } {
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
