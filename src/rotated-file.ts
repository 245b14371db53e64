/**
 * The files logrotate (or a hand-made rotation) leaves beside the input, oldest first, and how to
 * read one: plain ones directly, compressed ones (`.gz`, also `.bz2`, `.xz`, `.zst` when the tool
 * is installed) through their decompressor into a private temporary file. The decompressor streams,
 * so memory stays bounded whatever the file's size; positioned reads then work as on any file.
 *
 * Rotated names are the input's name plus a suffix with a digit in it: `ladder.jsonl.1`,
 * `ladder.jsonl.2.gz` (numbered: a higher number is older) or `ladder.jsonl-20261128` (dated, with
 * logrotate's `dateext`: the name sorts by age). Other siblings (`ladder.jsonl.lock`) are not
 * rotations. Dated names come before numbered ones when both exist (switching `dateext` on keeps
 * the numbered files of before, which are older). logrotate's `olddir` is not followed.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
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

/** The rotated names among `names` (a directory listing), oldest first. Pure. */
export function rotationOrder(base: string, names: readonly string[]): string[] {
  const dated: string[] = [];
  const numbered: Array<{ name: string; number: number }> = [];
  const listed = new Set(names);
  for (const name of names) {
    if (name === base || !name.startsWith(base)) continue;
    // `x.1` and `x.1.gz` side by side: logrotate is compressing `x.1` right now; the plain one is whole.
    if (COMPRESSED.test(name) && listed.has(name.replace(COMPRESSED, ""))) continue;
    const suffix = name.slice(base.length).replace(COMPRESSED, "");
    const number = NUMBERED.exec(suffix);
    if (number) numbered.push({ name, number: Number(number[1]) });
    else if (/^[-._]/.test(suffix) && /\d/.test(suffix)) dated.push(name);
  }
  dated.sort();
  numbered.sort((a, b) => b.number - a.number || (a.name < b.name ? -1 : 1));
  return [...dated, ...numbered.map((entry) => entry.name)];
}

/** Paths of the rotated files beside `input`, oldest first; none when the directory is unreadable. */
export function listRotations(input: string): string[] {
  const dir = dirname(input);
  try {
    return rotationOrder(basename(input), readdirSync(dir)).map((name) => join(dir, name));
  } catch {
    return [];
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
