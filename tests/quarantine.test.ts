/**
 * The quarantine's key (migration 13, src/store/rejects.ts): lines past max_future are keyed by
 * their instant, so they are appended in file order, and an identical line read again is still one
 * reject, also in a database upgraded from before the key.
 */
import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseChunk } from "../src/chunk.ts";
import type { Batch, Checkpoint } from "../src/records.ts";
import { openDatabase } from "../src/store/database.ts";
import { futureInstant } from "../src/store/rejects.ts";
import { RunWriter } from "../src/store/runs.ts";
import { tempDir } from "./helpers.ts";

const NOW = Date.UTC(2025, 6, 29, 4);
const limits = { maxLineBytes: 1 << 20, future: { nowMs: NOW, maxFutureMs: 3_600_000 } };
const SOURCE = "/logs/ladder.jsonl";
const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close(false);
});

const line = (ts: string, msg: string): string => `${JSON.stringify({ ts, exit: 0, msg })}\n`;
const FUTURE = line("2199-01-01T00:00:00Z", "from the future") + line("2199-01-01T00:00:01Z", "also") + "not json\n";

/** Writes `text` as the next batch of the input (its offsets start at `baseOffset`). */
function writeText(writer: RunWriter, text: string, baseOffset: number, nowMs = NOW) {
  const parsed = parseChunk(new TextEncoder().encode(text), baseOffset, { ...limits, future: { ...limits.future, nowMs } });
  const from = writer.checkpoint(SOURCE);
  const to: Checkpoint = { source: SOURCE, dev: "1", ino: "1", offset: baseOffset + parsed.consumed, headHash: "", tailHash: "" };
  const batch: Batch = { runs: parsed.runs, starts: parsed.starts, rejects: parsed.rejects, from, to };
  return writer.commit(batch, new Date(nowMs).toISOString());
}

function database(path = join(tempDir("cc-quarantine-"), "ladder.db")): Database {
  const db = openDatabase(path);
  open.push(db);
  return db;
}

const keys = (db: Database) => db.query<{ future_ms: number; reason: string }, []>("SELECT future_ms, reason FROM quarantine ORDER BY id").all().map((row) => [row.future_ms, row.reason.slice(0, 30)]);

describe("the quarantine's key", () => {
  test("leads with the instant of a line past max_future (0 for other rejects), so such lines are appended in file order", () => {
    const db = database();
    const writer = new RunWriter(db);
    expect(writeText(writer, FUTURE, 0)).toMatchObject({ rejected: 3 });
    expect(keys(db)).toEqual([
      [Date.UTC(2199, 0, 1), '"ts" "2199-01-01T00:00:00Z" is'],
      [Date.UTC(2199, 0, 1, 0, 0, 1), '"ts" "2199-01-01T00:00:01Z" is'],
      [0, "not valid JSON"],
    ]);
    const columns = db.query<{ name: string }, []>("SELECT name FROM pragma_index_info('quarantine_line_in_order') ORDER BY seqno").all();
    expect(columns.map((column) => column.name)).toEqual(["source", "future_ms", "line_hash"]);
  });

  test("an identical line read again (a rotated copy, later in the file) is one reject, whatever its offset", () => {
    const db = database();
    const writer = new RunWriter(db);
    writeText(writer, FUTURE, 0);
    expect(writeText(writer, FUTURE, FUTURE.length)).toMatchObject({ rejected: 0, duplicates: 3 });
    expect(keys(db)).toHaveLength(3);
  });

  test("a database from before the key: its rejects are keyed by the instant their reason names, and a re-read finds them", () => {
    const path = join(tempDir("cc-quarantine-"), "ladder.db");
    const old = openDatabase(path);
    writeText(new RunWriter(old), FUTURE, 0);
    // Back to version 12 as that collector left it: no future_ms, the hash-only unique index.
    old.run("DROP INDEX quarantine_line_in_order");
    old.run("ALTER TABLE quarantine DROP COLUMN future_ms");
    old.run("CREATE UNIQUE INDEX quarantine_line ON quarantine (source, line_hash)");
    old.run("DROP INDEX alerts_pending_job");
    old.run("ALTER TABLE alerts DROP COLUMN first_event_ms");
    old.run("PRAGMA user_version = 12");
    old.close();

    const db = database(path);
    expect(keys(db).map(([key]) => key)).toEqual([Date.UTC(2199, 0, 1), Date.UTC(2199, 0, 1, 0, 0, 1), 0]);
    expect(writeText(new RunWriter(db), FUTURE, FUTURE.length)).toMatchObject({ rejected: 0, duplicates: 3 });
  });

  test.each([
    ['"ts" "2199-01-01T00:00:00Z" is more than max_future (1h) ahead of the collector\'s clock', Date.UTC(2199, 0, 1)],
    ['"ts" "2199-01-01T02:00:00+02:00" is more than max_future (1d 2h) ahead of the collector\'s clock', Date.UTC(2199, 0, 1)],
    ['"ts" has day 30, which does not exist in 2026-02', null],
    ["not valid JSON", null],
    ['"ts" "not a time" is more than max_future (1h) ahead of the collector\'s clock', null],
  ])("futureInstant(%p) is %p", (reason, expected) => {
    expect(futureInstant(reason)).toBe(expected);
  });
});
