/** A tailer on a real database file and input in a temp dir, restartable like a killed collector. */
import type { Database } from "bun:sqlite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import type { Batch, CommitResult } from "../src/records.ts";
import { RunWriter } from "../src/store/runs.ts";
import { Tailer, type TailSink } from "../src/tailer.ts";
import { cliEnv, NO_DASHBOARD, tempDir } from "./helpers.ts";

export interface TailFixture {
  dir: string;
  input: string;
  dbPath: string;
  db: Database;
  logs: string[];
  tailer: Tailer;
  writer: RunWriter;
  /** Closes everything without a final commit and opens again, as after kill -9. */
  restart(): void;
  msgs(): string[];
  rejects(): Array<{ raw: string; reason: string; byte_offset: number }>;
}

export interface TailFixtureOptions {
  readonly maxLineBytes?: number;
  readonly chunkBytes?: number;
  readonly maxFutureMs?: number;
  readonly clock?: () => Date;
}

const open: TailFixture[] = [];

export function tailFixture(options: TailFixtureOptions = {}): TailFixture {
  const dir = tempDir("cc-tail-");
  const input = join(dir, "ladder.jsonl");
  const dbPath = join(dir, "ladder.db");
  const logs: string[] = [];
  const make = (db: Database): { writer: RunWriter; tailer: Tailer } => {
    const writer = new RunWriter(db);
    const log = createLogger("debug", [(line) => logs.push(line)]);
    const tailer = new Tailer(writer, {
      source: input,
      maxLineBytes: options.maxLineBytes ?? 1 << 20,
      log,
      clock: options.clock ?? (() => new Date()),
      ...(options.chunkBytes && { chunkBytes: options.chunkBytes }),
      ...(options.maxFutureMs !== undefined && { maxFutureMs: options.maxFutureMs }),
    });
    return { writer, tailer };
  };
  const db = openDatabase(dbPath);
  const f: TailFixture = {
    dir,
    input,
    dbPath,
    db,
    logs,
    ...make(db),
    restart() {
      f.tailer.close();
      f.writer.finalize();
      f.db.close();
      f.db = openDatabase(dbPath);
      Object.assign(f, make(f.db));
    },
    msgs: () => f.db.query<{ message: string }, []>("SELECT message FROM cron_entries ORDER BY id").all().map((r) => r.message),
    rejects: () => f.db.query<{ raw: string; reason: string; byte_offset: number }, []>("SELECT raw, reason, byte_offset FROM quarantine ORDER BY id").all(),
  };
  open.push(f);
  return f;
}

/** For afterEach: closes every fixture opened since the last call. */
export function closeTailFixtures(): void {
  for (const f of open.splice(0)) {
    f.tailer.close();
    f.db.close();
  }
}

/** A sink that fails its `failAt`-th commit (1-based) like a process killed before COMMIT. */
export function crashingSink(writer: RunWriter, failAt: number): TailSink {
  let commits = 0;
  return {
    checkpoint: (source) => writer.checkpoint(source),
    commit(batch: Batch, parsedAt: string): CommitResult {
      commits++;
      if (commits === failAt) throw new Error("killed");
      return writer.commit(batch, parsedAt);
    },
  };
}

export const names = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `run ${from + i}`);

/**
 * A temp HOME for the real CLI with its own config file naming input, database and log_dir, so a
 * config.yaml edited in the checkout cannot change what the test reads or writes.
 */
export function cliHome(): { home: string; input: string; db: string; env: Record<string, string>; config: string[] } {
  const home = tempDir("cc-home-");
  mkdirSync(join(home, "logs"));
  const input = join(home, "logs", "ladder.jsonl");
  const db = join(home, ".cron_dash", "ladder.db");
  const config = join(home, "config.yaml");
  writeFileSync(config, `input: ${JSON.stringify(input)}\ndatabase: ${JSON.stringify(db)}\nlog_dir: ${JSON.stringify(join(home, ".cron_dash"))}\n${NO_DASHBOARD}`);
  return { home, input, db, env: cliEnv(home), config: ["--config", config] };
}
