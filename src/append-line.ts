/**
 * Appending one JSONL line so that concurrent writers never interleave half-lines: the whole line
 * goes out in one write() on an O_APPEND descriptor. POSIX makes the offset update and the write
 * atomic for O_APPEND, but only promises unbroken data up to PIPE_BUF (4 KiB) on some file
 * systems, so a longer line is written under flock(2) on the input file itself. Locking the input
 * rather than a lock file beside it means nothing has to be created next to the input: an input in
 * a directory the writer cannot write to (a shared one) still takes long lines, and every writer of
 * the file, whichever user, shares the same lock.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { withExclusiveLock } from "./file-lock.ts";

const ATOMIC_BYTES = 4096;
const LOCK_WAIT_MS = 10_000;

/**
 * Appends `line` (without its newline) to `input`, creating the directory and file if needed.
 * Throws the file system's error when the line cannot be written. When the lock cannot be had
 * within 10 s the line is still written (one write() does not interleave on local file systems
 * in practice): a rare torn line beats a lost run.
 */
export function appendLine(input: string, line: string): void {
  mkdirSync(dirname(input), { recursive: true, mode: 0o700 });
  const bytes = Buffer.from(`${line}\n`, "utf8");
  const fd = openSync(input, "a", 0o600);
  try {
    const write = (): void => {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    };
    if (bytes.length <= ATOMIC_BYTES) write();
    else withExclusiveLock(fd, LOCK_WAIT_MS, write);
  } finally {
    closeSync(fd);
  }
}
