/**
 * A log file that rotates by size: `daemon.log` becomes `daemon.log.1`, `.1` becomes `.2`, and so
 * on up to `keep` old files. Appends are synchronous so a line is on disk before a crash.
 * The file is opened with O_NOFOLLOW: a symlink planted at its name is not written through (the
 * line is dropped instead), and rotation only renames names, which never follows links either.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { LogSink } from "./logger.ts";

const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

function appendNoFollow(path: string, text: string): void {
  const fd = openSync(path, APPEND_NO_FOLLOW, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function rotatingFileSink(path: string, maxBytes: number, keep: number): LogSink {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let size = 0;
  try {
    size = lstatSync(path).size;
  } catch {
    size = 0;
  }
  const rotate = (): void => {
    if (keep === 0) {
      rmSync(path, { force: true });
      return;
    }
    rmSync(`${path}.${keep}`, { force: true });
    for (let index = keep - 1; index >= 1; index--) {
      try {
        renameSync(`${path}.${index}`, `${path}.${index + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(path, `${path}.1`);
  };
  return (line) => {
    const text = `${line}\n`;
    if (size > 0 && size + text.length > maxBytes) {
      try {
        rotate();
      } catch {
        // rotation failing (disk full, permissions) must not stop logging to the current file
      }
      size = 0;
    }
    try {
      appendNoFollow(path, text);
      size += Buffer.byteLength(text);
    } catch {
      // a log line that cannot be written is dropped; ingestion goes on
    }
  };
}
