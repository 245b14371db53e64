/**
 * The one directory of a test process under which tests/helpers.ts's tempDir makes every test's
 * temp dir, removed after the last test (tests/preload.ts): a run leaves nothing behind.
 *
 * It is on /dev/shm (a tmpfs) when that has room and TMPDIR does not name another place: the
 * files are as real there (SQLite, flock, inotify, rename and logrotate behave the same), but a
 * commit's fsync costs nothing, which took about a fifth off the suite's time on this project's
 * 2-core machine (README "Tests").
 */
import { chmodSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TMPFS = "/dev/shm";
/** A run writes about 150 MB; a small /dev/shm (a container's 64 MB) is left alone. */
const TMPFS_MIN_FREE_BYTES = 2 ** 30;

function parentDir(): string {
  if (process.env.TMPDIR) return tmpdir();
  try {
    const space = statfsSync(TMPFS);
    if (space.bavail * space.bsize >= TMPFS_MIN_FREE_BYTES) return TMPFS;
  } catch {
    // No /dev/shm (macOS): the system's temp dir.
  }
  return tmpdir();
}

let root: string | null = null;

export function tempRoot(): string {
  if (root === null) {
    root = mkdtempSync(join(parentDir(), "cc-suite-"));
    // Searchable by others: some tests run the collector as "nobody" in a dir of their own below.
    chmodSync(root, 0o711);
  }
  return root;
}

export function removeTempRoot(): void {
  if (root === null) return;
  rmSync(root, { recursive: true, force: true });
  root = null;
}
