/**
 * Versioned schema migrations, tracked in `PRAGMA user_version`.
 *
 * Version 0 is either an empty file or a database written by the earlier Python collector
 * (tables `cron_entries` and `stats_cache`, user_version never set). Migration 1 creates exactly
 * that schema when it is missing, so both start from the same place; later migrations only add.
 * Each migration runs in its own transaction together with its version bump.
 */
import type { Database } from "bun:sqlite";
import { parseTimestamp } from "../timestamp.ts";

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database) => void;
}

const seedSchema = `
CREATE TABLE IF NOT EXISTS cron_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  message TEXT NOT NULL,
  parsed_at TEXT NOT NULL,
  UNIQUE(timestamp, exit_code, message)
);
CREATE TABLE IF NOT EXISTS stats_cache (
  metric TEXT PRIMARY KEY,
  value REAL NOT NULL,
  computed_at TEXT NOT NULL
);`;

/**
 * The seed's UNIQUE(timestamp, exit_code, message) would merge two different jobs that report the
 * same text at the same second, so the table is rebuilt (SQLite cannot drop a table constraint) with
 * the run key widened to include the job. Column names, order and row ids are kept, so existing
 * queries and `INSERT OR IGNORE` writers keep working.
 */
function widenRunTable(db: Database): void {
  const sequence = db
    .query<{ seq: number }, []>("SELECT seq FROM sqlite_sequence WHERE name = 'cron_entries'")
    .get();
  db.run(`
    CREATE TABLE cron_entries_next (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      timestamp TEXT NOT NULL,
      exit_code INTEGER NOT NULL,
      message TEXT NOT NULL,
      parsed_at TEXT NOT NULL,
      ts_ms INTEGER,
      job TEXT,
      duration_ms REAL,
      host TEXT,
      extra TEXT
    )`);
  db.run(`INSERT INTO cron_entries_next (id, timestamp, exit_code, message, parsed_at)
          SELECT id, timestamp, exit_code, message, parsed_at FROM cron_entries`);
  db.run("DROP TABLE cron_entries");
  db.run("ALTER TABLE cron_entries_next RENAME TO cron_entries");
  if (sequence) {
    db.query("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'cron_entries'").run(sequence.seq);
  }

  // Rows from the Python collector carry only the text; normalise it the same way new lines are.
  const rows = db.query<{ id: number; timestamp: string }, []>("SELECT id, timestamp FROM cron_entries").all();
  const setInstant = db.prepare("UPDATE cron_entries SET ts_ms = ? WHERE id = ?");
  for (const row of rows) {
    const time = parseTimestamp(row.timestamp);
    if (time.ok) setInstant.run(time.epochMs, row.id);
  }
  setInstant.finalize();

  db.run("CREATE UNIQUE INDEX cron_entries_run_key ON cron_entries (timestamp, exit_code, message, ifnull(job, ''))");
  // exit_code is in the indexes so the window counts are answered from the index alone.
  db.run("CREATE INDEX cron_entries_ts_ms ON cron_entries (ts_ms, exit_code)");
  db.run("CREATE INDEX cron_entries_job_ts_ms ON cron_entries (job, ts_ms, exit_code)");
  db.run("CREATE INDEX cron_entries_failures ON cron_entries (ts_ms) WHERE exit_code != 0");
}

const tailingTables = `
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  line_hash TEXT NOT NULL,
  rejected_at TEXT NOT NULL
);
-- Identical bad lines are one reject, as identical good lines are one run.
CREATE UNIQUE INDEX quarantine_line ON quarantine (source, line_hash);
CREATE TABLE tail_checkpoints (
  source TEXT PRIMARY KEY,
  dev TEXT NOT NULL,
  ino TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  tail_hash TEXT NOT NULL,
  updated_at TEXT NOT NULL
);`;

export const migrations: readonly Migration[] = [
  { version: 1, description: "schema of the Python collector", up: (db) => db.run(seedSchema) },
  {
    version: 2,
    description: "normalised instants, job, duration, host, extra fields; quarantine; tail checkpoints",
    up: (db) => {
      widenRunTable(db);
      db.run(tailingTables);
    },
  },
];

export const latestVersion = migrations.at(-1)?.version ?? 0;

/** Applies every migration above the database's version; returns the versions applied. */
export function migrate(db: Database): number[] {
  const current = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (current > latestVersion) {
    throw new Error(
      `the database has schema version ${current}, newer than this collector knows (${latestVersion}); upgrade the collector`,
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.run(`PRAGMA user_version = ${migration.version}`);
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
