/**
 * node_exporter's textfile collector reads every *.prom file in its directory at each scrape. The
 * text is written to a temp file in the same directory (so the rename stays on one file system)
 * and renamed over the target: a scrape sees the old file or the new one, never half of one.
 */
import { closeSync, constants, fchmodSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` atomically with `text`. The temp name starts with a dot and does not end in
 * .prom, so node_exporter never reads it; it is created exclusively and never through a symlink.
 * The file is made readable by others (0644): node_exporter runs as a user of its own, and the
 * directory decides who may look. Throws the file system's error (the caller logs it).
 */
export function writeTextfile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      const bytes = Buffer.from(text, "utf8");
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      fchmodSync(fd, 0o644);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
