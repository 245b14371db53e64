/**
 * The one debounced directory watch, used for the input (to react within a moment of an append)
 * and for config.yaml (to reload on an edit).
 *
 * The directory is watched, not the file: a watch on the file follows the inode and goes quiet
 * after `mv ladder.jsonl ladder.jsonl.1`, and editors save by writing a new file and renaming it
 * over. While the directory does not exist yet (`~/logs` is created by the first `run`), its
 * nearest existing parent is watched, so the first line is seen within a moment, not at the next
 * poll. Change events are a hint only: they are missed on network mounts, WSL, Docker bind mounts
 * and by macOS for appends from other processes (bun #5841, #5155, #14568), so callers also poll.
 */
import { existsSync, watch } from "node:fs";
import { basename, dirname, relative, sep } from "node:path";
import type { Logger } from "../logger.ts";
import type { Scheduler } from "./scheduler.ts";

export interface DirectoryWatcher {
  close(): void;
}

/** Watches one directory; throws when it cannot (e.g. it does not exist). `filename` may be null. */
export type WatchDirectory = (dir: string, onEvent: (filename: string | null) => void, onGone: () => void) => DirectoryWatcher;

export const fsWatchDirectory: WatchDirectory = (dir, onEvent, onGone) => {
  const watcher = watch(dir, { persistent: true }, (_event, filename) => onEvent(filename === null ? null : String(filename)));
  watcher.on("error", onGone); // the directory went away
  return watcher;
};

export interface FileWatchOptions {
  /** The file whose changes matter; events for names starting with its name count too (rotated copies). */
  readonly path: string;
  readonly scheduler: Scheduler;
  /** The scheduler task name for the debounced call (one per watch). */
  readonly taskName: string;
  /** `onChange` runs this long after the first event of a burst. */
  readonly delayMs: number;
  readonly onChange: () => void;
  readonly watchDirectory: WatchDirectory;
  readonly log: Logger;
}

export interface FileWatch {
  /** Re-creates a watch that was lost, or moves it closer to the file once its directory exists. */
  refresh(): void;
  close(): void;
}

/** The directory to watch for `dir`: itself, or its nearest existing parent. */
export function nearestExistingDirectory(dir: string, exists: (path: string) => boolean = existsSync): string {
  let current = dir;
  while (!exists(current)) {
    const parent = dirname(current);
    if (parent === current) return current;
    current = parent;
  }
  return current;
}

export function watchFile(options: FileWatchOptions): FileWatch {
  const target = dirname(options.path);
  const name = basename(options.path);
  let watcher: DirectoryWatcher | null = null;
  let watched: string | null = null;
  let closed = false;

  const fire = (): void => options.scheduler.coalesce(options.taskName, options.delayMs, options.onChange);
  const drop = (): void => {
    watcher?.close();
    watcher = null;
    watched = null;
  };

  const onEvent = (dir: string) => (filename: string | null): void => {
    if (dir === target) {
      if (filename === null || filename.startsWith(name)) fire();
      return;
    }
    // A parent: only the next component of the path towards the file matters.
    const next = relative(dir, target).split(sep)[0];
    if (filename !== null && filename !== next) return;
    refresh();
    // The file may have been written before the closer watch was in place.
    if (watched === target) fire();
  };

  const refresh = (): void => {
    if (closed) return;
    const wanted = nearestExistingDirectory(target);
    if (watcher && watched === wanted) return;
    drop();
    try {
      watcher = options.watchDirectory(wanted, onEvent(wanted), drop);
      watched = wanted;
      options.log.debug(wanted === target ? `Watching directory "${wanted}" for changes` : `Watching "${wanted}" until "${target}" exists`);
    } catch {
      watcher = null; // gone meanwhile, or not watchable: the poll covers it and calls refresh() again
    }
  };

  refresh();
  return {
    refresh,
    close() {
      closed = true;
      drop();
      options.scheduler.cancel(options.taskName);
    },
  };
}
