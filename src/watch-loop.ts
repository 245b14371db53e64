/**
 * When to look at the input again: on a change event for its directory (to react within a moment)
 * and on a fixed poll (because change events are missed on network mounts, WSL, Docker bind mounts
 * and by macOS for appends from other processes; bun #5841, #5155, #14568).
 *
 * The directory is watched, not the file: a watch on the file follows the inode and goes quiet
 * after `mv ladder.jsonl ladder.jsonl.1`.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "./logger.ts";

export interface WatchLoop {
  stop(): void;
  setPollInterval(ms: number): void;
}

export interface WatchLoopOptions {
  readonly path: string;
  readonly pollIntervalMs: number;
  readonly onTick: () => void;
  readonly log: Logger;
}

/** Coalesces a burst of events into one tick shortly after the first. */
const EVENT_DELAY_MS = 20;

export function startWatchLoop(options: WatchLoopOptions): WatchLoop {
  const dir = dirname(options.path);
  const name = basename(options.path);
  let watcher: FSWatcher | null = null;
  let pending: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const tick = (): void => {
    pending = null;
    if (stopped) return;
    ensureWatcher();
    options.onTick();
  };
  const schedule = (): void => {
    pending ??= setTimeout(tick, EVENT_DELAY_MS);
  };
  const ensureWatcher = (): void => {
    if (watcher || stopped) return;
    try {
      watcher = watch(dir, { persistent: true }, (_event, filename) => {
        if (filename === null || filename === name || String(filename).startsWith(name)) schedule();
      });
      watcher.on("error", () => {
        // the directory went away; the poll keeps going and re-creates the watch when it is back
        watcher?.close();
        watcher = null;
      });
      options.log.debug(`Watching directory "${dir}" for changes`);
    } catch {
      watcher = null; // no directory yet: polling covers it
    }
  };

  ensureWatcher();
  let poll = setInterval(tick, options.pollIntervalMs);
  return {
    stop() {
      stopped = true;
      clearInterval(poll);
      if (pending) clearTimeout(pending);
      watcher?.close();
      watcher = null;
    },
    setPollInterval(ms) {
      clearInterval(poll);
      poll = setInterval(tick, ms);
    },
  };
}
