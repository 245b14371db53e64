/**
 * The lists the dashboard pages through: a job's runs, the newest runs of every job (the run
 * strips), the alert outbox and the rejected lines. Every list is bounded by LIMIT and walks an
 * index from its newest end, so a page costs the same on a database of 5 million runs as on one
 * of fifty.
 *
 * A job's runs are found through cron_entries_job_time (job, ts_ms); the default job also owns
 * the runs without `job` (job IS NULL), which are a second walk of the same index, merged here.
 */
import type { Database, Statement } from "bun:sqlite";
import type { StoredRunRow } from "../records.ts";

/** A run of one job: the job is known from the request. */
export type HistoryRun = Omit<StoredRunRow, "job">;

/** Which stored job names a job covers: its own name, and NULL for the default job. */
export interface JobRef {
  readonly name: string;
  readonly isDefault: boolean;
}

/** A position in a newest-first list: strictly older than (epochMs, id). */
export interface RunCursor {
  readonly epochMs: number;
  readonly id: number;
}

export interface AlertEntry {
  readonly id: number;
  readonly kind: string;
  readonly job: string;
  readonly exitCode: number | null;
  readonly eventMs: number;
  readonly title: string;
  readonly message: string;
  readonly status: string;
  readonly createdAt: string;
  readonly sentAt: string | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly covers: number;
}

/** One notification backend's part in delivering one alert (table alert_deliveries). */
export interface DeliveryEntry {
  readonly alertId: number;
  readonly backend: string;
  readonly status: string;
  readonly attempts: number;
  readonly error: string | null;
}

export interface RejectEntry {
  readonly id: number;
  readonly source: string;
  readonly offset: number;
  /** The first RAW_PREVIEW_CHARS characters of the line. */
  readonly raw: string;
  readonly reason: string;
  readonly rejectedAt: string;
}

export const RAW_PREVIEW_CHARS = 500;
const NEWEST: RunCursor = { epochMs: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };

const RUN_COLUMNS = "id, timestamp AS ts, ts_ms AS epochMs, exit_code AS exit, message AS msg, duration_ms AS durationMs, extra";
// ?1 job, ?2 cursor instant, ?3 cursor id, ?4 limit. The row-value comparison keeps the walk on the
// index (job, ts_ms) and breaks ties between runs of the same instant by id.
const OLDER = "(ts_ms < ?2 OR (ts_ms = ?2 AND id < ?3))";

function mergeNewest(a: readonly HistoryRun[], b: readonly HistoryRun[], limit: number): HistoryRun[] {
  return [...a, ...b].sort((x, y) => y.epochMs - x.epochMs || y.id - x.id).slice(0, limit);
}

export class RunHistory {
  private readonly named: Statement<HistoryRun, [string, number, number, number]>;
  private readonly unnamed: Statement<HistoryRun, [number, number, number]>;
  private readonly strips: Statement<HistoryRun & { name: string }, [string, number, number]>;
  private readonly alertPage: Statement<AlertRecord, [number, number]>;
  private readonly jobAlertPage: Statement<AlertRecord, [string, number, number]>;
  private readonly rejectPage: Statement<RejectEntry, [number, number, number]>;
  private readonly deliveryRows: Statement<DeliveryEntry, [string]>;

  constructor(private readonly db: Database) {
    this.named = db.prepare(`SELECT ${RUN_COLUMNS} FROM cron_entries WHERE job = ?1 AND ${OLDER} ORDER BY ts_ms DESC, id DESC LIMIT ?4`);
    this.unnamed = db.prepare(
      `SELECT ${RUN_COLUMNS} FROM cron_entries WHERE job IS NULL AND (ts_ms < ?1 OR (ts_ms = ?1 AND id < ?2)) ORDER BY ts_ms DESC, id DESC LIMIT ?3`,
    );
    // One statement for every strip: for each name, the newest ?3 runs at or before ?2 (one short
    // walk of the index per name, so at most names x ?3 rows).
    this.strips = db.prepare(
      `SELECT names.value AS name, ${RUN_COLUMNS.replace(/(^|, )(\w+)/g, "$1c.$2")} FROM json_each(?1) AS names
       JOIN cron_entries AS c ON c.id IN (
         SELECT id FROM cron_entries WHERE job = names.value AND ts_ms <= ?2 ORDER BY ts_ms DESC, id DESC LIMIT ?3)
       ORDER BY names.value, c.ts_ms DESC, c.id DESC`,
    );
    this.alertPage = db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id < ?1 ORDER BY id DESC LIMIT ?2`);
    this.jobAlertPage = db.prepare(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE job = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3`);
    this.rejectPage = db.prepare(
      `SELECT id, source, byte_offset AS offset, substr(raw, 1, ?1) AS raw, reason, rejected_at AS rejectedAt
       FROM quarantine WHERE id < ?2 ORDER BY id DESC LIMIT ?3`,
    );
    // By primary key (alert_id, backend): a page of alerts costs one short lookup each.
    this.deliveryRows = db.prepare(
      `SELECT alert_id AS alertId, backend, status, attempts, error FROM alert_deliveries
       WHERE alert_id IN (SELECT value FROM json_each(?1)) ORDER BY alert_id, backend`,
    );
  }

  /** A job's runs older than `before` (newest first), at most `limit`. */
  runs(job: JobRef, before: RunCursor | null, limit: number): HistoryRun[] {
    const { epochMs, id } = before ?? NEWEST;
    const named = this.named.all(job.name, epochMs, id, limit);
    return job.isDefault ? mergeNewest(named, this.unnamed.all(epochMs, id, limit), limit) : named;
  }

  /** The newest `perJob` runs at or before `untilMs` of each job, newest first, keyed by job name. */
  newestRuns(jobs: readonly JobRef[], untilMs: number, perJob: number): Map<string, HistoryRun[]> {
    const result = new Map<string, HistoryRun[]>();
    if (jobs.length === 0) return result;
    const rows = this.strips.all(JSON.stringify(jobs.map((job) => job.name)), untilMs, perJob);
    for (const { name, ...run } of rows) {
      const list = result.get(name) ?? [];
      list.push(run);
      result.set(name, list);
    }
    const defaultJob = jobs.find((job) => job.isDefault);
    if (defaultJob) {
      const unnamed = this.unnamed.all(untilMs, NEWEST.id, perJob);
      result.set(defaultJob.name, mergeNewest(result.get(defaultJob.name) ?? [], unnamed, perJob));
    }
    return result;
  }

  /** The outbox newest first, optionally one job's, below alert id `beforeId`. */
  alerts(beforeId: number | null, limit: number, job?: string): AlertEntry[] {
    const before = beforeId ?? Number.MAX_SAFE_INTEGER;
    const rows = job === undefined ? this.alertPage.all(before, limit) : this.jobAlertPage.all(job, before, limit);
    return rows.map(toAlertEntry);
  }

  /** What each backend did with these alerts (a page of them), keyed by alert id. */
  deliveries(alertIds: readonly number[]): Map<number, DeliveryEntry[]> {
    const result = new Map<number, DeliveryEntry[]>();
    if (alertIds.length === 0) return result;
    for (const row of this.deliveryRows.all(JSON.stringify(alertIds))) {
      const list = result.get(row.alertId) ?? [];
      list.push(row);
      result.set(row.alertId, list);
    }
    return result;
  }

  /** Rejected input lines newest first, below reject id `beforeId`. */
  rejects(beforeId: number | null, limit: number): RejectEntry[] {
    return this.rejectPage.all(RAW_PREVIEW_CHARS, beforeId ?? Number.MAX_SAFE_INTEGER, limit);
  }

  /**
   * Changes whenever another connection commits to the database (SQLite's data_version), so a
   * reader notices every ingest, alert and pause without reading any table.
   */
  dataVersion(): number {
    return this.db.query<{ data_version: number }, []>("PRAGMA data_version").get()?.data_version ?? 0;
  }

  /** Gives back the connection's page cache (SQLite's shrink_memory); it fills again as pages are read. */
  releaseMemory(): void {
    this.db.run("PRAGMA shrink_memory");
  }

  finalize(): void {
    for (const statement of [this.named, this.unnamed, this.strips, this.alertPage, this.jobAlertPage, this.rejectPage, this.deliveryRows]) statement.finalize();
  }
}

const ALERT_COLUMNS = "id, kind, job, exit_code, event_ms, title, message, status, created_at, sent_at, attempts, error, covers";

interface AlertRecord {
  id: number;
  kind: string;
  job: string;
  exit_code: number | null;
  event_ms: number;
  title: string;
  message: string;
  status: string;
  created_at: string;
  sent_at: string | null;
  attempts: number;
  error: string | null;
  covers: number;
}

function toAlertEntry(row: AlertRecord): AlertEntry {
  return {
    id: row.id,
    kind: row.kind,
    job: row.job,
    exitCode: row.exit_code,
    eventMs: row.event_ms,
    title: row.title,
    message: row.message,
    status: row.status,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    attempts: row.attempts,
    error: row.error,
    covers: row.covers,
  };
}
