/**
 * One collector per database. The lock is an exclusive transaction held open on a small SQLite
 * file beside the database: the operating system releases it when the process ends in any way,
 * `kill -9` included, so a crash never leaves a stale lock behind.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CollectorError, describeError } from "./errors.ts";

export interface InstanceLock {
  readonly path: string;
  release(): void;
}

function holderHint(pidFile: string | undefined): string {
  if (!pidFile) return "";
  try {
    const pid = readFileSync(pidFile, "utf8").trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : "";
  } catch {
    return "";
  }
}

/** Takes the lock for `databasePath` or throws a CollectorError naming the running collector. */
export function acquireInstanceLock(databasePath: string, pidFile?: string): InstanceLock {
  const path = `${databasePath}.lock`;
  let db: Database;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = new Database(path, { create: true, readwrite: true });
    db.run("PRAGMA busy_timeout = 0");
  } catch (error) {
    throw new CollectorError(`Cannot create the lock file "${path}": ${describeError(error)}`, "runtime");
  }
  try {
    db.run("BEGIN EXCLUSIVE");
  } catch {
    db.close();
    throw new CollectorError(
      `Another collector is already running on "${databasePath}"${holderHint(pidFile)}; stop it first (./manager.sh stop)`,
      "runtime",
    );
  }
  return {
    path,
    release() {
      try {
        db.run("ROLLBACK");
      } catch {
        // already released
      }
      db.close();
    },
  };
}
