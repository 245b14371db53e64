/**
 * Refusing a directory that other users can write to, for the collector's own files (database,
 * logs, pid file): whoever can write the directory can replace those files with symlinks to files
 * of their choosing, which a daemon running as root would then overwrite.
 */
import { statSync, type Stats } from "node:fs";
import { CollectorError } from "./errors.ts";

export interface Identity {
  readonly uid: number;
  readonly gid: number;
}

/** Why `stats` (of a directory) is unsafe for `owner`'s private files, or null when it is safe. Pure. */
export function sharedDirectoryProblem(stats: Pick<Stats, "mode" | "uid" | "gid">, owner: Identity): string | null {
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, "0");
  if (stats.mode & 0o002) return `it is writable by every user (mode ${mode})`;
  // A group-writable directory is only safe when the group is the user's own (user private groups).
  if (stats.mode & 0o020 && stats.gid !== owner.gid) return `it is writable by the group ${stats.gid} (mode ${mode})`;
  if (stats.uid !== owner.uid && stats.uid !== 0) return `it belongs to another user (uid ${stats.uid})`;
  return null;
}

/** Throws a config CollectorError when `dir` exists and others can write to it; a missing one is created private later. */
export function refuseSharedDirectory(dir: string, setting: string): void {
  let stats: Stats;
  try {
    stats = statSync(dir);
  } catch {
    return;
  }
  const problem = sharedDirectoryProblem(stats, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  if (problem === null) return;
  throw new CollectorError(
    `Refusing ${setting} "${dir}": ${problem}, so another user could replace the collector's files there. ` +
      `Choose a directory only you can write to (e.g. the default ~/.cron_dash), or run chmod go-w "${dir}".`,
    "config",
  );
}
