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
import { createMetricsTables } from "./metrics-schema.ts";
import { keyQuarantineInFileOrder } from "./rejects.ts";
import { createRollups } from "./rollups.ts";
import { runKey } from "./run-key.ts";

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
 * the identity of a run widened to include the job. It is kept as `run_key`, a 64-bit hash of
 * (timestamp text, exit code, message, job), unique together with the instant: a unique index on
 * the texts themselves cost a third of the ingest time (bench/ingest.ts). Column names, order and
 * row ids are kept, so existing queries keep working; a writer of its own must fill ts_ms and
 * run_key (see run-key.ts) for its rows to be deduplicated.
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
      extra TEXT,
      run_key INTEGER
    )`);
  db.run(`INSERT INTO cron_entries_next (id, timestamp, exit_code, message, parsed_at)
          SELECT id, timestamp, exit_code, message, parsed_at FROM cron_entries`);
  db.run("DROP TABLE cron_entries");
  db.run("ALTER TABLE cron_entries_next RENAME TO cron_entries");
  if (sequence) {
    db.query("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'cron_entries'").run(sequence.seq);
  }

  // Rows from the Python collector carry only the text; normalise it the same way new lines are.
  const rows = db
    .query<{ id: number; timestamp: string; exit_code: number; message: string }, []>(
      "SELECT id, timestamp, exit_code, message FROM cron_entries",
    )
    .all();
  const update = db.prepare("UPDATE cron_entries SET ts_ms = ?, run_key = ? WHERE id = ?");
  for (const row of rows) {
    const time = parseTimestamp(row.timestamp);
    update.run(time.ok ? time.epochMs : null, runKey(row.timestamp, row.exit_code, row.message, null), row.id);
  }
  update.finalize();

  // One index serves both deduplication and the window counts: it is unique on (instant, key)
  // and carries exit_code so COUNT/SUM over a time range never touch the table. Leading with the
  // instant keeps inserts at the right edge of the B-tree for an append-only log.
  db.run("CREATE UNIQUE INDEX cron_entries_run_key ON cron_entries (ts_ms, run_key, exit_code)");
  // No index on job: it cost 15% of the ingest time. Per-job queries scan a time window of the
  // index above; the job names themselves are kept in the jobs table.
  db.run("CREATE INDEX cron_entries_failures ON cron_entries (ts_ms) WHERE exit_code != 0");
}

const tailingTables = `
-- Every job name seen; '' stands for runs without a job field (the default job).
CREATE TABLE jobs (
  name TEXT PRIMARY KEY,
  first_seen_at TEXT NOT NULL
);
INSERT INTO jobs (name, first_seen_at) SELECT '', MIN(parsed_at) FROM cron_entries HAVING COUNT(*) > 0;
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

const alertTables = `
-- The alert outbox: a row is written in the same transaction as the run that causes it, and
-- marked sent after delivery, so a crash never loses an alert and a sent one is never repeated.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,              -- failure | recovery | summary | test
  run_id INTEGER,                  -- cron_entries.id of the run, when there is one
  job TEXT NOT NULL,
  exit_code INTEGER,
  event_ms INTEGER NOT NULL,       -- when it happened (the run's instant)
  title TEXT NOT NULL,
  subtitle TEXT,
  message TEXT NOT NULL,
  sound TEXT,
  group_id TEXT NOT NULL,
  status TEXT NOT NULL,            -- pending | sent | stale | summarized | failed
  created_at TEXT NOT NULL,
  sent_at TEXT,
  sent_ms INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  -- How many failures the row stands for: 1, or more for a row gathering the stale failures of
  -- one batch, or a summary.
  covers INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_open ON alerts (status, id) WHERE status IN ('pending', 'stale');
CREATE INDEX alerts_sent ON alerts (sent_ms) WHERE sent_ms IS NOT NULL;
-- Per-job state the alerts need: the current failure streak and the newest run seen.
ALTER TABLE jobs ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN last_run_ms INTEGER;
-- Small facts the collector remembers (e.g. that terminal-notifier auto-install was tried).
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);`;

const runStartTable = `
-- Start markers written by \`run --start-marker\`: runs that have begun; the finish line carries
-- the same run_id (in cron_entries.extra).
CREATE TABLE run_starts (
  run_id TEXT PRIMARY KEY,
  timestamp TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  job TEXT,
  host TEXT,
  parsed_at TEXT NOT NULL
);`;

const jobStateColumns = `
-- Per-job state kept apart from the runs, so it survives retention pruning.
ALTER TABLE jobs ADD COLUMN total_runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN total_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN last_success_ms INTEGER;
ALTER TABLE jobs ADD COLUMN last_failure_ms INTEGER;
-- Whether the current failure streak reached alert_after (a recovery notice is then due).
ALTER TABLE jobs ADD COLUMN streak_alerted INTEGER NOT NULL DEFAULT 0;
-- Missed-run tracking: the expected time of the last period handled (alerted, or unknown because
-- the collector was down), and the expected time of the first missed period of the current absence.
ALTER TABLE jobs ADD COLUMN late_checked_through_ms INTEGER;
ALTER TABLE jobs ADD COLUMN late_since_ms INTEGER;
-- pause JOB [--for]: alerts are muted until then (a far-future value for an open-ended pause).
ALTER TABLE jobs ADD COLUMN paused_until_ms INTEGER;
-- When the collector started watching the job (the base for a job that never ran).
ALTER TABLE jobs ADD COLUMN watched_since_ms INTEGER;
ALTER TABLE run_starts ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_starts ADD COLUMN long_alerted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX run_starts_open ON run_starts (ts_ms) WHERE finished = 0 AND long_alerted = 0;
UPDATE jobs SET
  total_runs = (SELECT COUNT(*) FROM cron_entries WHERE ifnull(job, '') = jobs.name),
  total_failures = (SELECT COUNT(*) FROM cron_entries WHERE ifnull(job, '') = jobs.name AND exit_code != 0),
  last_success_ms = (SELECT MAX(ts_ms) FROM cron_entries WHERE ifnull(job, '') = jobs.name AND exit_code = 0),
  last_failure_ms = (SELECT MAX(ts_ms) FROM cron_entries WHERE ifnull(job, '') = jobs.name AND exit_code != 0);`;

const jobStatusColumns = `
-- What was last alerted about a job's state (late, too_long), so a check alerts on changes only.
ALTER TABLE jobs ADD COLUMN alerted_state TEXT;
ALTER TABLE jobs ADD COLUMN alerted_since_ms INTEGER;
ALTER TABLE jobs ADD COLUMN alerted_at_ms INTEGER;
-- When the current pause was set, so --now before it does not show the job paused.
ALTER TABLE jobs ADD COLUMN paused_at_ms INTEGER;
-- When a start marker's run ended (its finish line's ts + duration_ms): a run is going at T when
-- it started at or before T and had not ended by T, so --now T sees it as it was.
ALTER TABLE run_starts ADD COLUMN finished_ms INTEGER;
UPDATE run_starts SET finished_ms = ts_ms WHERE finished = 1;
CREATE INDEX run_starts_time ON run_starts (ts_ms);
-- A finish line read before its start marker waits here until the start arrives.
CREATE TABLE run_finishes (
  run_id TEXT PRIMARY KEY,
  end_ms INTEGER NOT NULL
);`;

const deliveryTables = `
-- One row per alert and notification backend once delivery to it began (notify.backends): a
-- retry never re-sends to a backend that took the alert. 'delivering' is written before the
-- notifier starts; a row still 'delivering' after a crash was maybe delivered (at least once).
CREATE TABLE alert_deliveries (
  alert_id INTEGER NOT NULL,
  backend TEXT NOT NULL,
  status TEXT NOT NULL,            -- delivering | sent | logged | failed | summarized
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  started_ms INTEGER,
  done_ms INTEGER,
  PRIMARY KEY (alert_id, backend)
) WITHOUT ROWID;
CREATE INDEX alert_deliveries_done ON alert_deliveries (backend, done_ms) WHERE status IN ('sent', 'logged');
CREATE TRIGGER alert_deliveries_pruned AFTER DELETE ON alerts BEGIN
  DELETE FROM alert_deliveries WHERE alert_id = old.id;
END;
-- A summary folds what one backend still owed; the other backends do not receive it.
ALTER TABLE alerts ADD COLUMN backend TEXT;
-- Alerts are no longer given up after 3 attempts: the ones that were are folded into a summary.
UPDATE alerts SET status = 'pending' WHERE status = 'failed';`;

// The dashboard pages through one job's runs newest first and draws the last 50 runs of every job
// (src/store/run-history.ts). Without this index a job that runs rarely among busy ones is found
// by walking the whole time index backwards: 3 s on 5 million runs (bench/web.ts).
const jobTimeIndex = "CREATE INDEX IF NOT EXISTS cron_entries_job_time ON cron_entries (job, ts_ms)";

// A job's newest start marker (its state as of now: running, on time) is found by walking this
// index from the job's newest end; on the time index alone it walked back through every other
// job's markers (src/store/job-runs.ts). Only start markers pay for it at ingest.
const startJobTimeIndex = "CREATE INDEX IF NOT EXISTS run_starts_job_time ON run_starts (job, ts_ms)";

// A job failing faster than alerts may go out (notify.max_per_minute) gathers its further alerts into
// one row per job and kind, counted in `covers` and updated in place while nothing took it yet
// (src/store/alerts.ts): the outbox grows by a few rows per job, not by the failures.
// first_event_ms is the oldest event such a row counts (NULL: a row for one alert). The index finds
// a job's open rows in a backlog of any size.
const gatheredAlerts = `
ALTER TABLE alerts ADD COLUMN first_event_ms INTEGER;
CREATE INDEX alerts_pending_job ON alerts (job, kind) WHERE status = 'pending';`;

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
  { version: 3, description: "alert outbox, per-job failure streaks, meta", up: (db) => db.run(alertTables) },
  { version: 4, description: "start markers of runs still going", up: (db) => db.run(runStartTable) },
  { version: 5, description: "job state: counters, streak alerts, missed runs, pause", up: (db) => db.run(jobStateColumns) },
  { version: 6, description: "hourly rollups of runs per job, stored-run count", up: createRollups },
  { version: 7, description: "alerted job states; when a started run ended", up: (db) => db.run(jobStatusColumns) },
  { version: 8, description: "per-backend alert deliveries; failed alerts retried again", up: (db) => db.run(deliveryTables) },
  { version: 9, description: "Prometheus: run duration histogram, line and alert counters", up: createMetricsTables },
  { version: 11, description: "index for a job's newest runs (dashboard lists)", up: (db) => db.run(jobTimeIndex) },
  { version: 12, description: "index for a job's newest start marker (job status)", up: (db) => db.run(startJobTimeIndex) },
  {
    version: 13,
    description: "alerts gathered per job while it fails faster than they may go out; quarantine keyed in file order",
    up: (db) => {
      db.run(gatheredAlerts);
      keyQuarantineInFileOrder(db);
    },
  },
];

export const latestVersion = migrations.at(-1)?.version ?? 0;

function userVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
}

/**
 * Applies every migration above the database's version; returns the versions applied. The version
 * is read again inside each migration's write transaction: two processes opening a new database
 * at once (a collector and `--stats`) would otherwise both apply the same migration.
 */
export function migrate(db: Database): number[] {
  const current = userVersion(db);
  if (current > latestVersion) {
    throw new Error(
      `the database has schema version ${current}, newer than this collector knows (${latestVersion}); upgrade the collector`,
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    const ran = db.transaction(() => {
      if (userVersion(db) >= migration.version) return false;
      migration.up(db);
      db.run(`PRAGMA user_version = ${migration.version}`);
      return true;
    }).immediate();
    if (ran) applied.push(migration.version);
  }
  return applied;
}
