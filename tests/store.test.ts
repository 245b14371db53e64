import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, rmSync, statSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { CollectorError } from "../src/errors.ts";
import { parseLine, type Run } from "../src/line.ts";
import { assertDatabaseFile, openDatabase, openDatabaseReadOnly } from "../src/store/database.ts";
import { latestVersion } from "../src/store/migrations.ts";
import { CheckpointConflict, RunWriter } from "../src/store/runs.ts";
import type { Checkpoint } from "../src/store/checkpoints.ts";
import { createPythonDatabase, runLine, tempDir } from "./helpers.ts";

function run(line: string): Run {
  const result = parseLine(line);
  if (result.kind !== "run") throw new Error("not a run");
  return result.run;
}

const checkpoint = (offset: number): Checkpoint => ({ source: "/in.jsonl", dev: "1", ino: "2", offset, headHash: "h", tailHash: `t${offset}` });

describe("store", () => {
  test("creates a new database private to the user, at the latest schema version", () => {
    const dir = join(tempDir(), "nested", "dir");
    const db = openDatabase(join(dir, "ladder.db"));
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(latestVersion);
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    db.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  test("upgrades a Python collector database in place, keeping rows, ids and queries", () => {
    const path = join(tempDir(), "ladder.db");
    createPythonDatabase(path);
    const db = openDatabase(path);
    const rows = db.query("SELECT id, timestamp, exit_code, message, ts_ms, job FROM cron_entries ORDER BY id").all();
    expect(rows).toEqual([
      { id: 1, timestamp: "2025-07-29T04:30:00Z", exit_code: 0, message: "Monitor started successfully", ts_ms: Date.UTC(2025, 6, 29, 4, 30), job: null },
      { id: 2, timestamp: "2025-07-29T04:31:00Z", exit_code: 1, message: "Connection failed - API timeout", ts_ms: Date.UTC(2025, 6, 29, 4, 31), job: null },
      { id: 4, timestamp: "2025-07-29T06:33:00+02:00", exit_code: 2, message: "Authentication failed - invalid credentials", ts_ms: Date.UTC(2025, 6, 29, 4, 33), job: null },
      { id: 5, timestamp: "2025-07-29T04:34:00.250000Z", exit_code: 0, message: "Order check completed - 3 orders tracked", ts_ms: Date.UTC(2025, 6, 29, 4, 34, 0, 250), job: null },
      { id: 6, timestamp: "garbage time", exit_code: 0, message: "Written by hand", ts_ms: null, job: null },
    ]);
    expect(db.query("SELECT metric, value FROM stats_cache").all()).toEqual([{ metric: "success_rate_24h", value: 60 }]);
    // The seed's column list still works for writers of their own (deduplication needs run_key, see run-key.ts).
    const seedInsert = db.prepare("INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at) VALUES (?, ?, ?, ?)");
    // AUTOINCREMENT never reuses an id, not even the deleted 3 or the highest before the upgrade.
    expect(Number(seedInsert.run("2025-07-29T04:40:00Z", 0, "new", "now").lastInsertRowid)).toBe(7);
    // The seed's read queries keep working.
    expect(db.query("SELECT COUNT(*) AS n FROM cron_entries WHERE exit_code != 0").get()).toEqual({ n: 2 });
    db.close();
    // Opening again applies nothing more.
    const again = openDatabase(path);
    expect(again.query("SELECT COUNT(*) AS n FROM cron_entries").get()).toEqual({ n: 6 });
    expect(again.query("SELECT name FROM jobs").all()).toEqual([{ name: "" }]);
    again.close();
  });

  test.each([
    ["openDatabase", openDatabase],
    ["openDatabaseReadOnly", openDatabaseReadOnly],
  ] as const)("%s refuses a database from a newer collector", (_name, open) => {
    const path = join(tempDir(), "ladder.db");
    const db = new Database(path, { create: true });
    db.run(`PRAGMA user_version = ${latestVersion + 1}`);
    db.close();
    expect(() => open(path)).toThrow("newer than this collector knows");
  });

  test("says clearly when the database directory cannot be created", () => {
    const file = join(tempDir(), "not-a-dir");
    Bun.write(file, "x");
    expect(() => openDatabase(join(file, "ladder.db"))).toThrow(`Cannot create the database directory "${file}"`);
  });

  test("identical runs are one row, but the same text in two jobs is two", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    const writer = new RunWriter(db);
    const a = run(runLine(1, 1));
    const result = writer.commit({ runs: [a, a, run(runLine(1, 1, { job: "backup" }))], starts: [], rejects: [], from: null, to: checkpoint(10) }, "now");
    expect(result).toMatchObject({ inserted: 2, duplicates: 1, rejected: 0 });
    writer.finalize();
    db.close();
  });

  test("write returns the newly stored runs; whatever follows it in the transaction commits or rolls back with it", () => {
    const db = openDatabase(join(tempDir(), "ladder.db"));
    const writer = new RunWriter(db);
    const first = writer.transaction(() => writer.write({ runs: [run(runLine(1, 0)), run(runLine(2, 3))], starts: [], rejects: [], from: null, to: checkpoint(1) }, "now"));
    const second = writer.transaction(() => writer.write({ runs: [run(runLine(2, 3))], starts: [], rejects: [], from: checkpoint(1), to: checkpoint(2) }, "now"));
    expect([...first.stored, ...second.stored].map((stored) => stored.run.msg)).toEqual(["run 1", "run 2"]);
    // A step after the write that throws (e.g. writing the outbox) rolls the whole batch back.
    const failing = (): void =>
      writer.transaction(() => {
        writer.write({ runs: [run(runLine(9))], starts: [], rejects: [], from: checkpoint(2), to: checkpoint(3) }, "now");
        throw new Error("outbox full");
      });
    expect(failing).toThrow("outbox full");
    expect(db.query("SELECT COUNT(*) AS n FROM cron_entries").get()).toEqual({ n: 2 });
    expect(writer.checkpoint("/in.jsonl")?.offset).toBe(2);
    writer.finalize();
    db.close();
  });

  test("a batch read from a stale checkpoint is refused and writes nothing", () => {
    const path = join(tempDir(), "ladder.db");
    const db = openDatabase(path);
    const writer = new RunWriter(db);
    writer.commit({ runs: [run(runLine(1))], starts: [], rejects: [], from: null, to: checkpoint(100) }, "now");
    expect(() => writer.commit({ runs: [run(runLine(2))], starts: [], rejects: [], from: null, to: checkpoint(200) }, "now")).toThrow(CheckpointConflict);
    expect(db.query("SELECT COUNT(*) AS n FROM cron_entries").get()).toEqual({ n: 1 });
    expect(writer.checkpoint("/in.jsonl")?.offset).toBe(100);
    writer.finalize();
    db.close();
  });

  test("assertDatabaseFile: passes while the file is in place, throws once it is deleted or replaced", () => {
    const path = join(tempDir(), "ladder.db");
    const db = openDatabase(path);
    expect(() => assertDatabaseFile(db)).not.toThrow();
    rmSync(path);
    let error: unknown = null;
    try {
      assertDatabaseFile(db);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CollectorError);
    expect(String(error)).toContain(`The database "${path}" was deleted while the collector was running`);
    openDatabase(path).close(); // a new file at the same path
    expect(() => assertDatabaseFile(db)).toThrow("was replaced by another file");
    db.close();
  });

  describe("openDatabaseReadOnly", () => {
    test("reads what a running collector committed, and cannot write", () => {
      const path = join(tempDir(), "ladder.db");
      const writable = openDatabase(path); // stays open, as the daemon's connection
      const writer = new RunWriter(writable);
      writer.commit({ runs: [run(runLine(1))], starts: [], rejects: [], from: null, to: checkpoint(1) }, "now");
      const db = openDatabaseReadOnly(path);
      expect(db.query("SELECT COUNT(*) AS n FROM cron_entries").get()).toEqual({ n: 1 });
      expect(() => db.run("DELETE FROM cron_entries")).toThrow("readonly");
      db.close();
      writer.finalize();
      writable.close();
    });

    test("reads a database in a directory it may not write, when no collector is connected", () => {
      const dir = tempDir();
      const path = join(dir, "ladder.db");
      const writable = openDatabase(path);
      const writer = new RunWriter(writable);
      writer.commit({ runs: [run(runLine(1))], starts: [], rejects: [], from: null, to: checkpoint(1) }, "now");
      writer.finalize();
      writable.close(); // the last connection: SQLite deletes -wal and -shm
      expect(existsSync(`${path}-wal`)).toBe(false);
      // A reader then needs a -shm file it cannot create. Permissions do not stop root, so a -shm
      // that cannot be created (a link into nowhere) stands in for the unwritable directory.
      symlinkSync(join(dir, "missing", "shm"), `${path}-shm`);
      chmodSync(path, 0o444);
      chmodSync(dir, 0o555);
      try {
        const db = openDatabaseReadOnly(path);
        expect(db.query("SELECT COUNT(*) AS n FROM cron_entries").get()).toEqual({ n: 1 });
        db.close();
      } finally {
        chmodSync(dir, 0o700);
      }
    });

    test("a missing database is a clear error and no file is created", () => {
      const path = join(tempDir(), "nested", "ladder.db");
      expect(() => openDatabaseReadOnly(path)).toThrow(`There is no database at "${path}" yet: run the collector once`);
      expect(existsSync(dirname(path))).toBe(false);
    });

    test("an older schema (the Python collector's) is upgraded first when writable", () => {
      const path = join(tempDir(), "ladder.db");
      createPythonDatabase(path);
      const db = openDatabaseReadOnly(path);
      expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(latestVersion);
      expect(() => db.run("DELETE FROM cron_entries")).toThrow("readonly");
      db.close();
    });
  });
});
