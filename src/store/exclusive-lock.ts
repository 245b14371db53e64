/**
 * An exclusive lock between processes, held as an open exclusive transaction on a small SQLite
 * file. The operating system releases it when the process ends in any way, `kill -9` included,
 * so a crash never leaves a stale lock behind. The one lock helper: the single-instance guard
 * (src/instance-lock.ts) and the appenders of long lines use it.
 */
import { Database } from "bun:sqlite";

export interface HeldLock {
  readonly path: string;
  release(): void;
}

export type LockAttempt = { readonly held: true; readonly lock: HeldLock } | { readonly held: false };

/**
 * Takes the lock on the file at `path` (created if missing), waiting up to `waitMs` for another
 * holder. Returns `{ held: false }` when someone else still holds it; throws the underlying error
 * when the file cannot be created or opened (the caller words it for the user).
 */
export function tryExclusiveLock(path: string, waitMs: number): LockAttempt {
  const db = new Database(path, { create: true, readwrite: true });
  try {
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(waitMs))}`);
    db.run("BEGIN EXCLUSIVE");
  } catch {
    db.close();
    return { held: false };
  }
  let released = false;
  return {
    held: true,
    lock: {
      path,
      release() {
        if (released) return;
        released = true;
        try {
          db.run("ROLLBACK");
        } finally {
          db.close();
        }
      },
    },
  };
}
