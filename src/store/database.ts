/**
 * Opening the SQLite database: private directory, pragmas in the order that matters, migrations.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CollectorError, describeError } from "../errors.ts";
import { migrate } from "./migrations.ts";

function reasonFor(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  const text = describeError(error);
  if (/unable to open database file/i.test(text)) return "unable to open the file (check the directory exists and is writable)";
  return text;
}

/**
 * Opens (creating if needed) and migrates the database. Throws CollectorError with a readable
 * reason. `busyTimeoutMs`: how long a write waits for another writer before SQLITE_BUSY.
 */
export function openDatabase(path: string, busyTimeoutMs = 5000): Database {
  try {
    // 0700: run history and messages are the user's business only.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CollectorError(`Cannot create the database directory "${dirname(path)}": ${reasonFor(error)}`, "runtime");
  }
  let db: Database;
  try {
    db = new Database(path, { create: true, readwrite: true });
  } catch (error) {
    throw new CollectorError(`Cannot open the database "${path}": ${reasonFor(error)}`, "runtime");
  }
  try {
    // busy_timeout first, so that the pragmas and migrations below wait for a concurrent writer
    // instead of failing with SQLITE_BUSY.
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    db.run("PRAGMA journal_mode = WAL");
    // NORMAL under WAL survives a crash of this process (kill -9); only power loss may lose the
    // last transactions, which the tail checkpoint then re-reads.
    db.run("PRAGMA synchronous = NORMAL");
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw new CollectorError(`Cannot use the database "${path}": ${reasonFor(error)}`, "runtime");
  }
}
