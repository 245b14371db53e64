/**
 * The pieces a running collector holds: the database, the writer and tailer on it, the stats
 * queries. Opened once per command, closed once at shutdown (closing after transactions threw
 * "database is locked" in some Bun versions, so statements are finalized first).
 */
import type { Database } from "bun:sqlite";
import type { Config } from "./config/config.ts";
import type { Logger } from "./logger.ts";
import { openDatabase } from "./store/database.ts";
import { RunWriter, type FailureHook } from "./store/runs.ts";
import { StatsQueries } from "./store/stats-queries.ts";
import { Tailer } from "./tailer.ts";

export interface Session {
  readonly db: Database;
  readonly writer: RunWriter;
  readonly tailer: Tailer;
  readonly queries: StatsQueries;
  close(): void;
}

export function openSession(config: Config, log: Logger, clock: () => Date, onFailure?: FailureHook): Session {
  const db = openDatabase(config.database);
  const writer = new RunWriter(db, onFailure);
  const tailer = new Tailer(writer, { source: config.input, maxLineBytes: config.maxLineBytes, log, clock });
  const queries = new StatsQueries(db);
  let closed = false;
  return {
    db,
    writer,
    tailer,
    queries,
    close() {
      if (closed) return;
      closed = true;
      tailer.close();
      writer.finalize();
      db.close(false);
    },
  };
}
