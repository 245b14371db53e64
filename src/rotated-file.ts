/**
 * The files logrotate (or a hand-made rotation) leaves beside the input, oldest first, and how to
 * read one: plain ones directly, compressed ones (`.gz`, also `.bz2`, `.xz`, `.zst` when the tool
 * is installed) through their decompressor into a private temporary file. The decompressor streams,
 * so memory stays bounded whatever the file's size; positioned reads then work as on any file.
 *
 * Rotated names are the input's name plus a suffix with a digit in it: `ladder.jsonl.1`,
 * `ladder.jsonl.2.gz` (numbered: a higher number is older) or `ladder.jsonl-20261128` (dated, with
 * logrotate's `dateext`). Other siblings (`ladder.jsonl.lock`) are not rotations. A plain and a
 * compressed file may share a number (see rotationOrder). logrotate's `olddir` is not followed.
 */
import { closeSync, fstatSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describeError } from "./errors.ts";
import { statDescriptor, statPath, type FileStat } from "./file-identity.ts";

/** Decompressor argv by extension; each writes the plain bytes to stdout. */
const DECOMPRESSORS: Readonly<Record<string, readonly string[]>> = {
  gz: ["gzip", "-dc"],
  bz2: ["bzip2", "-dc"],
  xz: ["xz", "-dc"],
  zst: ["zstd", "-dcq"],
};
const COMPRESSED = /\.(gz|bz2|xz|zst)$/;
const NUMBERED = /^\.(\d+)$/;

export function isCompressed(path: string): boolean {
  return COMPRESSED.test(path);
}

/** A rotated file, opened: `fd` reads its plain bytes, `stat` is the identity of the file itself. */
export interface OpenedFile {
  readonly fd: number;
  readonly stat: FileStat;
  readonly path: string;
  /** Closes the descriptor and deletes the decompressed copy, if any. */
  close(): void;
}

export type OpenResult = { readonly ok: true; readonly file: OpenedFile } | { readonly ok: false; readonly path: string; readonly size: number; readonly reason: string };

/** A directory entry beside the input, with its modification time (when its last line was written). */
export interface Sibling {
  readonly name: string;
  readonly mtimeMs: number;
}

interface Rotated extends Sibling {
  /** Numbered: the number (higher is older). Dated: the suffix without the compression extension. */
  readonly age: number | string;
}

/**
 * The rotated names among `siblings` (a directory listing), oldest first. Pure.
 *
 * Names alone cannot order every mix: switching `compress` on later leaves the plain `x.2` of
 * before beside a newer `x.2.gz` (logrotate then shifts only the `.gz` names), and switching
 * `dateext` on leaves older numbered files. So the files are split into series of one naming
 * scheme and one extension; inside a series the name gives the age (authoritative), and the
 * series are interleaved by modification time, which logrotate keeps through renames and
 * compression (the time the file's last line was written). Ties keep dated before numbered,
 * plain before compressed. Which file holds the checkpoint is decided by content
 * (rotation-chain.ts), never by name.
 */
export function rotationOrder(base: string, siblings: readonly Sibling[]): string[] {
  const series = new Map<string, Rotated[]>();
  for (const sibling of siblings) {
    const { name } = sibling;
    if (name === base || !name.startsWith(base)) continue;
    const extension = COMPRESSED.exec(name)?.[1] ?? "";
    const suffix = name.slice(base.length).replace(COMPRESSED, "");
    const number = NUMBERED.exec(suffix);
    const dated = !number && /^[-._]/.test(suffix) && /\d/.test(suffix);
    if (!number && !dated) continue;
    const key = `${number ? "numbered" : "dated"}\0${extension}`;
    series.set(key, [...(series.get(key) ?? []), { ...sibling, age: number ? Number(number[1]) : suffix }]);
  }
  const queues = [...series.entries()].sort(([a], [b]) => compare(a, b)).map(([, files]) => files.sort(olderFirst));
  const order: string[] = [];
  for (;;) {
    let next: Rotated[] | undefined;
    for (const queue of queues) {
      const head = queue[0];
      const best = next?.[0];
      if (head && (best === undefined || head.mtimeMs < best.mtimeMs)) next = queue;
    }
    const head = next?.shift();
    if (!head) return order;
    order.push(head.name);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function olderFirst(a: Rotated, b: Rotated): number {
  if (typeof a.age === "number" && typeof b.age === "number") return b.age - a.age || compare(a.name, b.name);
  return compare(String(a.age), String(b.age)) || compare(a.name, b.name);
}

/** The plain name a compressed rotated file was made from (`x.2.gz` → `x.2`); null for a plain one. */
export function plainTwin(path: string): string | null {
  return COMPRESSED.test(path) ? path.replace(COMPRESSED, "") : null;
}

/** Paths of the rotated files beside `input`, oldest first; none when the directory is unreadable. */
export function listRotations(input: string): string[] {
  const dir = dirname(input);
  try {
    const base = basename(input);
    const siblings = readdirSync(dir)
      .filter((name) => name.startsWith(base))
      .map((name) => ({ name, mtimeMs: modified(join(dir, name)) }));
    return rotationOrder(base, siblings).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** The entry's own modification time (a symlink is not followed); 0 when it is already gone. */
function modified(path: string): number {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The rotated files beside `input` by name, inode and size: changes when a rotation happens. */
export function rotationsSignature(input: string): string {
  return listRotations(input)
    .map((path) => {
      try {
        const stat = statPath(path);
        return stat ? `${path}:${stat.ino}:${stat.size}` : path;
      } catch {
        return path;
      }
    })
    .join("\n");
}

function unreadable(path: string, size: number, error: unknown): OpenResult {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === "EACCES" || code === "EPERM" ? "permission denied" : describeError(error);
  return { ok: false, path, size, reason };
}

function decompressed(path: string, fd: number, stat: FileStat, argv: readonly string[], tempRoot: string): OpenResult {
  // A private directory (0700 by mkdtemp) so other users cannot read or swap the plain copy.
  const dir = mkdtempSync(join(tempRoot, "cron-collector-"));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  let plain = -1;
  try {
    const plainPath = join(dir, "plain");
    plain = openSync(plainPath, "w+", 0o600);
    // The compressed file is passed as stdin (the descriptor we hold), so a name swapped since
    // cannot be read instead, and no file name reaches the decompressor's argv.
    const result = Bun.spawnSync([...argv], { stdin: fd, stdout: plain, stderr: "pipe" });
    if (result.exitCode !== 0) {
      closeSync(plain);
      remove();
      const detail = result.stderr.toString().trim().split("\n")[0] ?? "";
      return { ok: false, path, size: stat.size, reason: `${argv[0]} failed${detail ? `: ${detail}` : ""}` };
    }
  } catch (error) {
    if (plain >= 0) closeSync(plain);
    remove();
    return unreadable(path, stat.size, error);
  }
  const file: OpenedFile = {
    fd: plain,
    stat,
    path,
    close() {
      closeSync(plain);
      remove();
    },
  };
  return { ok: true, file };
}

/**
 * Opens a rotated file for reading its plain bytes; a reason (with its size) when it cannot be.
 * A compressed file is decompressed into a new private directory under `tempRoot`, removed by close().
 */
export function openRotated(path: string, tempRoot: string = tmpdir()): OpenResult {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    return unreadable(path, 0, error);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return { ok: false, path, size: 0, reason: "not a regular file" };
  }
  const stat = statDescriptor(fd);
  const extension = COMPRESSED.exec(path)?.[1];
  const argv = extension === undefined ? undefined : DECOMPRESSORS[extension];
  if (argv === undefined) return { ok: true, file: { fd, stat, path, close: () => closeSync(fd) } };
  try {
    if (Bun.which(argv[0] ?? "") === null) return { ok: false, path, size: stat.size, reason: `${argv[0]} is not installed` };
    return decompressed(path, fd, stat, argv, tempRoot);
  } finally {
    closeSync(fd);
  }
}
