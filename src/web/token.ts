/**
 * The access token file: created once with 32 random bytes (hex), mode 0600, never through a
 * symlink; read back on every start, so `open` and bookmarks keep working across restarts.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { CollectorError, describeError } from "../errors.ts";

const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

/** The token in `path`, or null when the file does not exist. Throws CollectorError when unusable. */
export function readToken(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CollectorError(`Cannot read the dashboard token "${path}": ${describeError(error)}`, "runtime");
  }
  try {
    const stat = fstatSync(fd);
    // Written by an earlier version or by hand with looser rights: the token is a password.
    if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    const buffer = Buffer.alloc(512);
    const text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8").trim();
    if (!TOKEN.test(text)) {
      throw new CollectorError(`The dashboard token "${path}" is not a token (16-256 letters, digits, - or _); delete it to get a new one`, "runtime");
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The token in `path`, creating the file first when there is none. */
export function ensureToken(path: string): string {
  const existing = readToken(path);
  if (existing !== null) return existing;
  const token = newSecret();
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Another process created it meanwhile: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readToken(path) ?? token;
    throw new CollectorError(`Cannot write the dashboard token "${path}": ${describeError(error)}`, "runtime");
  }
  return token;
}
