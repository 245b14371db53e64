/** Fakes for running the daemon in-process: a manual clock for timers, signals, a directory watch. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../src/config/config.ts";
import { loadConfig } from "../src/config/load.ts";
import type { WatchDirectory } from "../src/daemon/dir-watch.ts";
import type { TimerSource } from "../src/daemon/scheduler.ts";
import type { DaemonSignal, SignalSource } from "../src/daemon/signals.ts";
import { createLogger, type AdjustableLogger } from "../src/logger.ts";
import type { SystemContext } from "../src/session.ts";
import { NO_DASHBOARD, tempDir } from "./helpers.ts";

/** Timers that fire only when the test advances the clock. */
export class ManualTimers implements TimerSource {
  private current = 1_000_000;
  private nextId = 1;
  private readonly pending = new Map<number, { atMs: number; callback: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { atMs: this.current + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves the clock forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      let next: [number, { atMs: number; callback: () => void }] | null = null;
      for (const entry of this.pending) if (entry[1].atMs <= until && (!next || entry[1].atMs < next[1].atMs)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.current = Math.max(this.current, next[1].atMs);
      next[1].callback();
    }
    this.current = until;
  }

  get scheduled(): number {
    return this.pending.size;
  }
}

/** Signals a test sends by calling `send`. */
export class FakeSignals implements SignalSource {
  private readonly handlers = new Map<DaemonSignal, Set<() => void>>();

  on(signal: DaemonSignal, handler: () => void): () => void {
    const set = this.handlers.get(signal) ?? new Set();
    set.add(handler);
    this.handlers.set(signal, set);
    return () => set.delete(handler);
  }

  send(signal: DaemonSignal): void {
    for (const handler of [...(this.handlers.get(signal) ?? [])]) handler();
  }

  listeners(signal: DaemonSignal): number {
    return this.handlers.get(signal)?.size ?? 0;
  }
}

/** A directory watch that never fires unless the test says so: only signals and polls act. */
export class FakeDirectoryWatch {
  readonly watched: string[] = [];
  private readonly listeners = new Map<string, (filename: string | null) => void>();

  readonly watchDirectory: WatchDirectory = (dir, onEvent) => {
    this.watched.push(dir);
    this.listeners.set(dir, onEvent);
    return { close: () => this.listeners.delete(dir) };
  };

  emit(dir: string, filename: string | null): void {
    this.listeners.get(dir)?.(filename);
  }

  isWatching(dir: string): boolean {
    return this.listeners.has(dir);
  }
}

export const testSystem: SystemContext = {
  platform: "linux",
  env: {},
  which: () => null,
  collectorPath: "/opt/cron-collector/collector.ts",
};

export interface DaemonHome {
  readonly home: string;
  readonly input: string;
  readonly db: string;
  readonly configPath: string;
  readonly lines: string[];
  readonly log: AdjustableLogger;
  /** Writes config.yaml (log_dir, database unless given, no notifier, then `text`); returns its config. */
  config(text?: string): Config;
  logged(text: string): number;
}

/** A temp HOME with logs/, a config.yaml whose paths point into it, and a logger that collects. */
export function daemonHome(): DaemonHome {
  const home = tempDir("cc-daemon-");
  mkdirSync(join(home, "logs"));
  const configPath = join(home, "config.yaml");
  const lines: string[] = [];
  // Not the defaults for this HOME, so a reload that fell back to the defaults would show.
  const paths = `log_dir: ${join(home, "state")}\nnotify:\n  backend: none\n${NO_DASHBOARD}`;
  const database = `database: ${join(home, "data", "ladder.db")}\n`;
  return {
    home,
    input: join(home, "logs", "ladder.jsonl"),
    db: join(home, "data", "ladder.db"),
    configPath,
    lines,
    log: createLogger("info", [(line) => lines.push(line)]),
    config(text = "") {
      writeFileSync(configPath, `${paths}${text.includes("database:") ? "" : database}${text}`);
      return loadConfig({ path: configPath, explicit: true }, home);
    },
    logged(text) {
      return lines.filter((line) => line.includes(text)).length;
    },
  };
}
