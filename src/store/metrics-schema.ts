/**
 * Migration 9: what Prometheus needs that must outlive retention_days and restarts, kept as
 * cumulative counters beside the runs (never pruned):
 * - job_run_durations: per job and histogram bucket, how many runs with a duration_ms fell into
 *   it and their summed seconds (the bucket a run is counted in is the smallest `le` it fits;
 *   exposition adds them up into Prometheus's cumulative buckets);
 * - collector_counters: input lines stored / duplicate / rejected, and the last ingest instant;
 * - alert_outcomes: alerts settled per kind, counted by a trigger on the outbox status, so every
 *   path that settles an alert is counted in the same transaction, whoever wrote it: `sent` when a
 *   notifier took it, `failed` when it settled without one ('logged': only the log had it;
 *   'dropped': meant for a backend no longer configured; 'failed': given up by versions before 8).
 * Existing rows are counted once here, so an upgraded database starts from what it holds.
 */
import type { Database } from "bun:sqlite";

/** Upper bounds of the run duration histogram, in seconds (0.1 s to 4 h); +Inf is implied. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400];

/** The bucket (its upper bound in seconds, Infinity for the overflow) a duration is counted in. */
export function durationBucket(durationMs: number): number {
  for (const le of DURATION_BUCKETS_SECONDS) {
    if (durationMs <= le * 1000) return le;
  }
  return Infinity;
}

/** The same choice in SQL, for counting the rows already stored. 9e999 is SQLite's +Inf. */
function bucketExpression(column: string): string {
  const cases = DURATION_BUCKETS_SECONDS.map((le) => `WHEN ${column} <= ${le * 1000} THEN ${le}`).join(" ");
  return `CASE ${cases} ELSE 9e999 END`;
}

export const LINES_STORED = "lines_stored";
export const LINES_DUPLICATE = "lines_duplicate";
export const LINES_REJECTED = "lines_rejected";
export const LAST_INGEST_MS = "last_ingest_ms";

export function createMetricsTables(db: Database): void {
  db.run(`
    CREATE TABLE job_run_durations (
      job TEXT NOT NULL,            -- the run's job field, '' when it has none
      le REAL NOT NULL,             -- bucket upper bound in seconds; +Inf for the overflow
      runs INTEGER NOT NULL,
      sum_seconds REAL NOT NULL,
      PRIMARY KEY (job, le)
    ) WITHOUT ROWID;
    CREATE TABLE collector_counters (
      name TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE alert_outcomes (
      kind TEXT NOT NULL,
      result TEXT NOT NULL,         -- sent | failed
      count INTEGER NOT NULL,
      PRIMARY KEY (kind, result)
    ) WITHOUT ROWID;
    CREATE TRIGGER alert_outcome_counted AFTER UPDATE OF status ON alerts
    WHEN NEW.status IN ('sent', 'logged', 'dropped', 'failed') AND OLD.status IS NOT NEW.status
    BEGIN
      INSERT INTO alert_outcomes (kind, result, count)
        VALUES (NEW.kind, CASE NEW.status WHEN 'sent' THEN 'sent' ELSE 'failed' END, 1)
        ON CONFLICT (kind, result) DO UPDATE SET count = count + 1;
    END;`);
  db.run(`INSERT INTO job_run_durations (job, le, runs, sum_seconds)
          SELECT ifnull(job, ''), ${bucketExpression("duration_ms")}, COUNT(*), SUM(duration_ms) / 1000.0
          FROM cron_entries WHERE duration_ms IS NOT NULL GROUP BY 1, 2`);
  db.run(`INSERT INTO alert_outcomes (kind, result, count)
          SELECT kind, CASE status WHEN 'sent' THEN 'sent' ELSE 'failed' END, COUNT(*) FROM alerts
          WHERE status IN ('sent', 'logged', 'dropped', 'failed') GROUP BY 1, 2`);
  const seed = db.prepare("INSERT INTO collector_counters (name, value) VALUES (?, ?)");
  const count = (sql: string): number => db.query<{ n: number }, []>(sql).get()?.n ?? 0;
  seed.run(LINES_STORED, count("SELECT COUNT(*) AS n FROM cron_entries") + count("SELECT COUNT(*) AS n FROM run_starts"));
  seed.run(LINES_DUPLICATE, 0);
  seed.run(LINES_REJECTED, count("SELECT COUNT(*) AS n FROM quarantine"));
  const lastParsed = db.query<{ at: string | null }, []>("SELECT MAX(parsed_at) AS at FROM cron_entries").get()?.at ?? null;
  const lastMs = lastParsed === null ? Number.NaN : Date.parse(lastParsed);
  if (Number.isFinite(lastMs)) seed.run(LAST_INGEST_MS, lastMs);
  seed.finalize();
}
