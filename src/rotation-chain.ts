/**
 * Which files to read after the input moved on from the file the checkpoint was taken on: every
 * rotated file from that one (read from the checkpoint's offset) to the newest (read whole), in
 * order. A laptop that was off over a weekend of daily logrotate meets several rotations at once.
 *
 * The checkpoint's file is looked for by content (the hashes of its first bytes and of the bytes
 * before the offset), newest first, among every rotated file, plain and compressed alike (a plain
 * `x.2` and a `x.2.gz` of other content may sit side by side), since a copy or a compressed file has
 * a new inode. A compressed file that is only a copy of its plain twin (logrotate compressing it
 * right now) is skipped, so nothing is read twice and a half-written `.gz` is no gap. When it is
 * gone (deleted by `rotate N`, or the input was truncated in place and no copy is kept) every
 * rotated file still there is read: logrotate deletes the oldest first, so what remains is newer;
 * a line read twice is stored once. What cannot be read or found becomes a gap: the caller logs it
 * and quarantines it, saying how much may be missing.
 */
import { closeSync, openSync } from "node:fs";
import { hashBytes } from "./chunk.ts";
import { checkpointAt, contentMatches, sameFile, statDescriptor, type FileStat } from "./file-identity.ts";
import { isCompressed, listRotations, openRotated, plainTwin, type OpenedFile } from "./rotated-file.ts";
import type { Checkpoint } from "./store/checkpoints.ts";
import type { Reject } from "./records.ts";

export interface ChainPlan {
  /** Files to read, oldest first; the caller closes them. */
  readonly files: readonly OpenedFile[];
  /** Where reading the first file starts: the checkpoint's offset when it was found, else 0. */
  readonly firstOffset: number;
  /** What may be missing, as quarantine rows (one per gap; identical gaps share a hash). */
  readonly gaps: readonly Reject[];
}

function describes(file: OpenedFile, saved: Checkpoint): boolean {
  // A checkpoint at byte 0 (written by older versions) has no content to compare: inode only.
  if (saved.offset === 0) return sameFile(file.stat, saved);
  return contentMatches(file.fd, statDescriptor(file.fd).size, saved);
}

/** True when `file` holds exactly the bytes of the plain file at `path` (its compressed copy). */
function holdsSameBytes(file: OpenedFile, path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const plain = statDescriptor(fd);
    const size = statDescriptor(file.fd).size;
    return size === plain.size && contentMatches(file.fd, size, checkpointAt(path, fd, plain, plain.size));
  } finally {
    closeSync(fd);
  }
}

function gap(saved: Checkpoint, key: string, raw: string, reason: string): Reject {
  return { offset: saved.offset, raw, reason: `rotation gap: ${reason}`, hash: `gap:${hashBytes(new TextEncoder().encode(key))}` };
}

/**
 * Opens the files to read after `saved`, other than the input now at the path (`current`).
 * `savedComplete`: the checkpoint's file was read to its end after it left the path (nothing of
 * it can be missing even if it is gone now).
 */
export function planChain(input: string, saved: Checkpoint, current: FileStat, savedComplete: boolean): ChainPlan {
  const newerFirst: OpenedFile[] = [];
  const gaps: Reject[] = [];
  let found: OpenedFile | null = null;
  const rotations = listRotations(input);
  for (const path of [...rotations].reverse()) {
    const twin = plainTwin(path);
    const beingCompressed = twin !== null && rotations.includes(twin);
    const opened = openRotated(path);
    if (!opened.ok) {
      // logrotate is compressing the plain twin right now: the twin is whole and read instead.
      if (beingCompressed && opened.reason.includes("unexpected end of file")) continue;
      const what = isCompressed(path) ? "compressed bytes" : "bytes";
      const key = `unreadable\0${path}\0${opened.size}\0${saved.ino}\0${saved.offset}`;
      gaps.push(gap(saved, key, path, `"${path}" cannot be read (${opened.reason}): up to ${opened.size} ${what} may be missing`));
      continue;
    }
    const file = opened.file;
    if (sameFile(file.stat, current) || (beingCompressed && holdsSameBytes(file, twin))) {
      file.close(); // the input itself under a second name, or a finished copy of its plain twin
      continue;
    }
    if (describes(file, saved)) {
      found = file;
      break;
    }
    newerFirst.push(file);
  }
  const newer = newerFirst.reverse();
  if (found) return { files: [found, ...newer], firstOffset: saved.offset, gaps };
  if (saved.offset === 0) {
    // Nothing was read from the lost file; what an older version's checkpoint cannot place is not re-read.
    for (const file of newer) file.close();
    return { files: [], firstOffset: 0, gaps };
  }
  if (!savedComplete) {
    const key = `missing\0${saved.dev}\0${saved.ino}\0${saved.offset}\0${saved.tailHash}`;
    const reason =
      `the file read up to byte ${saved.offset} (inode ${saved.ino}) is gone from beside "${input}" ` +
      `(deleted, or truncated without a copy kept); whatever was appended to it after that byte may be missing`;
    gaps.push(gap(saved, key, input, reason));
  }
  return { files: newer, firstOffset: 0, gaps };
}
