/**
 * Where the tailer stands in a file, as stored beside the rows it covers.
 *
 * A file is recognised by device + inode and by content: a hash of its first bytes (`head`) and of
 * the bytes just before the offset (`tail`). Inodes are reused after delete and a file can be
 * truncated and regrown past the old offset; only the content hashes notice those.
 */
import type { Checkpoint } from "../records.ts";

export type { Checkpoint } from "../records.ts";

export function sameCheckpoint(a: Checkpoint | null, b: Checkpoint | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.source === b.source &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.offset === b.offset &&
    a.headHash === b.headHash &&
    a.tailHash === b.tailHash
  );
}
