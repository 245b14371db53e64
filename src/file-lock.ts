/**
 * flock(2) on an open file, through bun:ffi (Node and Bun have no flock of their own). The lock
 * belongs to the open file description, so it is released when the descriptor is closed, also
 * when the process dies: nothing is ever left behind, and nothing is created to hold it.
 */
import { dlopen, FFIType } from "bun:ffi";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

type Flock = (fd: number, operation: number) => number;

function loadFlock(): Flock | null {
  // libSystem holds macOS's libc; on Linux glibc's libc.so.6 (a musl system without it falls back
  // to the unlocked write described in withExclusiveLock).
  const library = process.platform === "darwin" ? "/usr/lib/libSystem.B.dylib" : process.platform === "linux" ? "libc.so.6" : null;
  if (library === null) return null;
  try {
    const libc = dlopen(library, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
    return (fd, operation) => libc.symbols.flock(fd, operation);
  } catch {
    return null;
  }
}

let flock: Flock | null | undefined;

/**
 * Holds an exclusive flock on `fd` while `body` runs. Waits up to `waitMs` for another holder
 * (polling, so a stuck holder cannot hang a cron job for ever); returns false when the lock could
 * not be had (or flock is unavailable) and `body` ran without it.
 */
export function withExclusiveLock(fd: number, waitMs: number, body: () => void): boolean {
  if (flock === undefined) flock = loadFlock();
  const call = flock;
  let locked = false;
  if (call !== null) {
    const deadline = Date.now() + waitMs;
    while (!(locked = call(fd, LOCK_EX | LOCK_NB) === 0) && Date.now() < deadline) Bun.sleepSync(2);
  }
  try {
    body();
  } finally {
    if (locked && call !== null) call(fd, LOCK_UN);
  }
  return locked;
}
