import { describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { join } from "node:path";
import { parseLine, type Run } from "../src/line.ts";
import type { Checkpoint } from "../src/records.ts";
import { openDatabase } from "../src/store/database.ts";
import { runKey, runKeyBits } from "../src/store/run-key.ts";
import { RUN_GROUP, RunWriter } from "../src/store/runs.ts";
import { jsonl, tempDir } from "./helpers.ts";
import { random } from "./seeded-random.ts";

function run(fields: Record<string, unknown>): Run {
  const result = parseLine(jsonl(fields).trimEnd());
  if (result.kind !== "run") throw new Error("not a run");
  return result.run;
}

const checkpoint = (offset: number): Checkpoint => ({ source: "/in.jsonl", dev: "1", ino: "2", offset, headHash: "h", tailHash: `t${offset}` });

/** What the writer must do, one row at a time: the new runs (first of identical ones) and their ids. */
function reference(db: Database, runs: readonly Run[]): Array<{ id: number; msg: string }> {
  const insert = db.prepare(
    "INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms, job, run_key) VALUES (?, ?, ?, 'now', ?, ?, ?)",
  );
  const stored: Array<{ id: number; msg: string }> = [];
  for (const r of runs) {
    const result = insert.run(r.ts, r.exit, r.msg, r.epochMs, r.job, runKey(r.ts, r.exit, r.msg, r.job));
    if (result.changes > 0) stored.push({ id: Number(result.lastInsertRowid), msg: r.msg });
  }
  insert.finalize();
  return stored;
}

describe("RunWriter", () => {
  test("run_key values stay what existing databases hold (golden values)", () => {
    // Computed by the collector before runs were inserted in groups; databases deduplicate against them.
    expect(runKey("2025-07-29T04:00:00Z", 0, "run 0", null)).toBe(-2350017065255680238n);
    expect(runKey("2025-07-29T04:00:01.500+02:00", 1, "Connection failed – ünïcode 🚀", "backup")).toBe(-4628365589926026110n);
    expect(runKey("2025-07-29T04:00:02Z", -3, "", "sync")).toBe(1383050128378522298n);
    const db = openDatabase(join(tempDir(), "ladder.db"));
    const writer = new RunWriter(db);
    const runs = Array.from({ length: RUN_GROUP + 3 }, (_, i) => run({ ts: `2025-07-29T04:00:${String(i).padStart(2, "0")}Z`, exit: i % 2, msg: `run ${i}`, job: i % 3 === 0 ? null : "sync" }));
    writer.commit({ runs, starts: [], rejects: [], from: null, to: checkpoint(1) }, "now");
    const keys = db.query<{ key: string }, []>("SELECT CAST(run_key AS TEXT) AS key FROM cron_entries ORDER BY id").all();
    expect(keys.map((row) => BigInt(row.key))).toEqual(runs.map((r) => runKey(r.ts, r.exit, r.msg, r.job)));
    // The writer binds the unsigned hash (runKeyBits); keys at or over 2^63 must come out negative, as runKey gives them.
    expect(runs.some((r) => runKeyBits(r.ts, r.exit, r.msg, r.job) >= 2n ** 63n)).toBe(true);
    writer.finalize();
    db.close();
  });

  test("every column of a run is stored as read, in a full group and one at a time, with the batch's parsed_at", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    const writer = new RunWriter(db);
    const runs = Array.from({ length: RUN_GROUP + 2 }, (_, i) =>
      run({ ts: `2025-07-29T04:00:${String(i).padStart(2, "0")}.250+02:00`, exit: i - 3, msg: `run ${i}`, job: i % 3 === 0 ? null : `job-${i}`, duration_ms: i % 2 ? i * 1.5 : null, host: i % 4 ? `h${i}` : null, ...(i % 5 ? {} : { run_id: `r${i}` }) }),
    );
    writer.commit({ runs, starts: [], rejects: [], from: null, to: checkpoint(1) }, "2026-11-28T22:00:00.000Z");
    const rows = db
      .query("SELECT timestamp, exit_code, message, parsed_at, ts_ms, job, duration_ms, host, extra, CAST(run_key AS TEXT) AS run_key FROM cron_entries ORDER BY id")
      .all();
    expect(rows).toEqual(
      runs.map((r) => ({
        timestamp: r.ts,
        exit_code: r.exit,
        message: r.msg,
        parsed_at: "2026-11-28T22:00:00.000Z",
        ts_ms: r.epochMs,
        job: r.job,
        duration_ms: r.durationMs,
        host: r.host,
        extra: r.extra,
        run_key: String(runKey(r.ts, r.exit, r.msg, r.job)),
      })),
    );
    writer.finalize();
    db.close();
  });

  test("runs inserted in groups: the same new runs, ids and duplicates as one row at a time, whatever a group holds", () => {
    const next = random(11);
    for (let round = 0; round < 10; round++) {
      // Lines from a small pool: some stored before, some twice within a batch, groups full and partial.
      const pool = Array.from({ length: 60 }, (_, i) => run({ ts: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(), exit: i % 4 === 0 ? 1 : 0, msg: `m${i}`, job: i % 2 ? "a" : null }));
      const pick = (): Run => pool[Math.floor(next() * pool.length)] as Run;
      const before = Array.from({ length: Math.floor(next() * 40) }, pick);
      const batch = Array.from({ length: Math.floor(next() * 5 * RUN_GROUP) }, pick);

      const db = openDatabase(join(tempDir(), "ladder.db"));
      const writer = new RunWriter(db);
      writer.commit({ runs: before, starts: [], rejects: [], from: null, to: checkpoint(1) }, "now");
      const result = writer.transaction(() => writer.write({ runs: batch, starts: [], rejects: [], from: checkpoint(1), to: checkpoint(2) }, "now"));

      const expected = openDatabase(join(tempDir(), "expected.db"));
      reference(expected, before);
      const expectedStored = reference(expected, batch);
      expect(result.stored.map((s) => ({ id: s.id, msg: s.run.msg }))).toEqual(expectedStored);
      expect(result.inserted).toBe(expectedStored.length);
      expect(result.duplicates).toBe(batch.length - expectedStored.length);
      // The same rows with the same ids (an ignored row uses up an id either way).
      const rows = (database: Database): unknown[] => database.query("SELECT id, message FROM cron_entries ORDER BY id").all();
      expect(rows(db)).toEqual(rows(expected));
      writer.finalize();
      db.close();
      expected.close();
    }
  });
});
