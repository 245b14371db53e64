/**
 * Recognising a file again: device + inode, and hashes of its first bytes and of the bytes just
 * before an offset. All reads are positioned reads on a held descriptor (`Bun.file()` caches its
 * first stat, bun #4930, so its size goes stale while the file grows).
 */
import { fstatSync, readSync, statSync } from "node:fs";
import { hashBytes } from "./chunk.ts";
import type { Checkpoint } from "./store/checkpoints.ts";

/** How many bytes each content hash covers (fewer when the offset is smaller). */
export const FINGERPRINT_BYTES = 1024;

export interface FileStat {
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  /** 0 once the file has been deleted while we still hold it open. */
  readonly links: number;
}

function toFileStat(stat: import("node:fs").BigIntStats): FileStat {
  return { dev: String(stat.dev), ino: String(stat.ino), size: Number(stat.size), links: Number(stat.nlink) };
}

export function statDescriptor(fd: number): FileStat {
  return toFileStat(fstatSync(fd, { bigint: true }));
}

/** The file now at `path`, or null when there is none. Other errors (EACCES…) are thrown. */
export function statPath(path: string): FileStat | null {
  try {
    return toFileStat(statSync(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export function sameFile(a: { dev: string; ino: string }, b: { dev: string; ino: string }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function hashRange(fd: number, start: number, length: number): string {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, bytes, filled, length - filled, start + filled);
    if (n === 0) break;
    filled += n;
  }
  return hashBytes(bytes.subarray(0, filled));
}

/** The checkpoint describing `fd` read up to `offset`. */
export function checkpointAt(source: string, fd: number, file: FileStat, offset: number): Checkpoint {
  const span = Math.min(offset, FINGERPRINT_BYTES);
  return {
    source,
    dev: file.dev,
    ino: file.ino,
    offset,
    headHash: hashRange(fd, 0, span),
    tailHash: hashRange(fd, offset - span, span),
  };
}

/** True when the file behind `fd` still holds, up to the checkpoint's offset, what was read. */
export function contentMatches(fd: number, size: number, checkpoint: Checkpoint): boolean {
  if (size < checkpoint.offset) return false;
  const span = Math.min(checkpoint.offset, FINGERPRINT_BYTES);
  return (
    hashRange(fd, 0, span) === checkpoint.headHash &&
    hashRange(fd, checkpoint.offset - span, span) === checkpoint.tailHash
  );
}
