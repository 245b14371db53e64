/**
 * Appending one JSONL line so that concurrent writers never interleave half-lines: the whole line
 * goes out in one write() on an O_APPEND descriptor. POSIX makes the offset update and the write
 * atomic for O_APPEND, but only promises unbroken data up to PIPE_BUF (4 KiB) on some file systems,
 * so a longer line is written under an advisory lock shared by all writers of this tool.
 */
import { Database } from "bun:sqlite";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const ATOMIC_BYTES = 4096;
const LOCK_WAIT_MS = 10_000;

/** The lock file sits beside the input, hidden, and not named like a rotated copy of it. */
export function appendLockPath(input: string): string {
  return join(dirname(input), `.${basename(input)}.lock`);
}

function withAppendLock<T>(input: string, body: () => T): T {
  // An exclusive SQLite transaction is an OS-level lock that a crashed writer cannot leave behind.
  const lock = new Database(appendLockPath(input), { create: true, readwrite: true });
  try {
    lock.run(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
    lock.run("BEGIN EXCLUSIVE");
    try {
      return body();
    } finally {
      lock.run("ROLLBACK");
    }
  } finally {
    lock.close();
  }
}

/** Appends `line` (without its newline) to `input`, creating the directory and file if needed. */
export function appendLine(input: string, line: string): void {
  mkdirSync(dirname(input), { recursive: true });
  const bytes = Buffer.from(`${line}\n`, "utf8");
  const write = (): void => {
    const fd = openSync(input, "a", 0o600);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } finally {
      closeSync(fd);
    }
  };
  if (bytes.length <= ATOMIC_BYTES) write();
  else withAppendLock(input, write);
}
