/**
 * One collector per database: a lock file beside the database (see src/store/exclusive-lock.ts),
 * taken without waiting. The error names the running collector's pid when the pid file has it.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CollectorError, describeFileError } from "./errors.ts";
import { tryExclusiveLock, type HeldLock } from "./store/exclusive-lock.ts";

export type InstanceLock = HeldLock;

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
  let attempt;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    attempt = tryExclusiveLock(path, 0);
  } catch (error) {
    throw new CollectorError(`Cannot create the lock file "${path}": ${describeFileError(error)}`, "runtime");
  }
  if (!attempt.held) {
    throw new CollectorError(
      `Another collector is already running on "${databasePath}"${holderHint(pidFile)}; stop it first (./manager.sh stop)`,
      "runtime",
    );
  }
  return attempt.lock;
}
