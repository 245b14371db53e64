/**
 * Finding, beside the input, the file a checkpoint was taken on after the input moved on: renamed
 * by rotation (`ladder.jsonl.1`, `ladder.jsonl-20250729`), or the copy copytruncate made. Found by
 * content (the checkpoint's hashes), since a copy has a new inode and a renamed file may too.
 * Compressed rotations are skipped: their bytes are not the ones the checkpoint hashed.
 */
import { closeSync, openSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { contentMatches, sameFile, statDescriptor, type FileStat } from "./file-identity.ts";
import type { Checkpoint } from "./store/checkpoints.ts";

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip)$/;

export interface OpenedFile {
  readonly fd: number;
  readonly stat: FileStat;
  readonly path: string;
}

/**
 * Opens the sibling of `input` that holds what `saved` describes, other than the file now at the
 * input (`current`). The caller closes it. Null when there is none.
 */
export function openRotatedFile(input: string, saved: Checkpoint, current: FileStat): OpenedFile | null {
  const dir = dirname(input);
  const base = basename(input);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name !== base && name.startsWith(base) && !COMPRESSED.test(name));
  } catch {
    return null;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      continue;
    }
    const stat = statDescriptor(fd);
    if (!sameFile(stat, current) && contentMatches(fd, stat.size, saved)) return { fd, stat, path };
    closeSync(fd);
  }
  return null;
}
