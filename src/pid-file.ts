/**
 * The daemon's pid file: written once the instance lock is held, removed on exit if still ours.
 * Written to a new temp file (O_CREAT|O_EXCL|O_NOFOLLOW) and renamed over the old one: rename
 * replaces a symlink planted at the pid file's name instead of writing through it.
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function writePidFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${pid}.tmp`;
  rmSync(temp, { force: true }); // left by a crash of a process with the same pid; rm does not follow links
  const fd = openSync(temp, CREATE_NEW, 0o600);
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export function removePidFile(path: string, pid: number): void {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    let content: string;
    try {
      content = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
    if (content.trim() === String(pid)) rmSync(path);
  } catch {
    // already gone, or not a file of ours
  }
}
