/**
 * The delivery side of the alert outbox, per notification backend (notify.backends). Every query
 * is bounded whatever the backlog: counting, folding and settling happen in SQL (aggregates and
 * batched UPDATEs); the only rows that reach JavaScript are the few about to be sent (`limit`).
 *
 * An alert is owed to a backend while it is open ('pending', or 'stale' awaiting its summary),
 * meant for that backend (a summary is made for one backend only), and that backend has not taken
 * it (sent, logged) nor had it folded into a summary. Once no configured backend is owed it, the
 * alert is settled: 'sent' when a real notifier took it, 'summarized', 'logged' when it only
 * reached the log, or 'dropped' when it was meant for a backend no longer configured.
 */
import { Database, type Statement } from "bun:sqlite";
import type { AlertKind, AlertText } from "../records.ts";
import { AlertFolds } from "./alert-folds.ts";
import { OWED, SETTLE, type Params } from "./outbox-sql.ts";

export type { FoldSelection } from "./outbox-sql.ts";

/** An alert row as delivery reads it. */
export interface OutboxAlert extends AlertText {
  readonly id: number;
  /** How many alerts of its kind the row stands for (a gathered row or a summary: more than 1). */
  readonly covers: number;
  /** The oldest event a gathered row counts; null for a row of one alert, or a summary. */
  readonly firstEventMs: number | null;
}

export interface OwedAlert extends OutboxAlert {
  /** A previous process began delivering it and died before the outcome was recorded. */
  readonly interrupted: boolean;
}

/** What the notifier did with one alert: `logged` means no real notifier took it. */
export type DeliveryOutcome = "sent" | "logged" | "failed";

interface AlertRecord {
  id: number;
  kind: AlertKind;
  job: string;
  exit_code: number | null;
  event_ms: number;
  title: string;
  subtitle: string | null;
  message: string;
  sound: string | null;
  group_id: string;
  covers: number;
  first_event_ms: number | null;
}

interface OwedRecord extends AlertRecord {
  interrupted: number;
}

const ALERT_COLUMNS = "a.id, a.kind, a.job, a.exit_code, a.event_ms, a.title, a.subtitle, a.message, a.sound, a.group_id, a.covers, a.first_event_ms";

function toAlert(record: AlertRecord): OutboxAlert {
  return {
    id: record.id,
    kind: record.kind,
    job: record.job,
    exitCode: record.exit_code,
    eventMs: record.event_ms,
    title: record.title,
    subtitle: record.subtitle,
    message: record.message,
    sound: record.sound,
    groupId: record.group_id,
    covers: record.covers,
    firstEventMs: record.first_event_ms,
  };
}

export class Outbox {
  private readonly folds: AlertFolds;
  private readonly statements: Statement[] = [];
  private readonly owedCountQuery;
  private readonly nextOwedQuery;
  private readonly windowQuery;
  private readonly interruptedQuery;
  private readonly beginQuery;
  private readonly alertQuery;
  private readonly finishQuery;
  private readonly settleOne;

  constructor(private readonly db: Database) {
    this.owedCountQuery = this.prepare<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts a WHERE ${OWED} AND a.status = 'pending'`);
    this.nextOwedQuery = this.prepare<OwedRecord>(
      `SELECT ${ALERT_COLUMNS},
         EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.backend = $backend AND d.status = 'delivering') AS interrupted
       FROM alerts a WHERE ${OWED} AND a.status = 'pending' ORDER BY a.id LIMIT $limit`,
    );
    this.windowQuery = this.prepare<{ n: number; oldest: number | null }>(
      `SELECT COUNT(*) AS n, MIN(done_ms) AS oldest FROM alert_deliveries
       WHERE backend = $backend AND status IN ('sent', 'logged') AND done_ms >= $since`,
    );
    this.interruptedQuery = this.prepare<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
       WHERE d.backend = $backend AND d.status = 'delivering' AND a.status IN ('pending', 'stale')`,
    );
    this.beginQuery = this.prepare(
      `INSERT INTO alert_deliveries (alert_id, backend, status, attempts, started_ms) VALUES ($id, $backend, 'delivering', 1, $now)
       ON CONFLICT (alert_id, backend) DO UPDATE SET status = 'delivering', attempts = attempts + 1, started_ms = $now`,
    );
    this.alertQuery = this.prepare<AlertRecord>(`SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $id`);
    this.finishQuery = this.prepare(
      "UPDATE alert_deliveries SET status = $status, error = $error, done_ms = $now WHERE alert_id = $id AND backend = $backend",
    );
    this.settleOne = this.prepare(`${SETTLE} AND alerts.id = $id`);
    this.folds = new AlertFolds(db);
  }

  private prepare<Row = unknown>(sql: string): Statement<Row, [Params]> {
    const statement = this.db.prepare<Row, [Params]>(sql);
    this.statements.push(statement as Statement);
    return statement;
  }

  /** Pending alerts `backend` still owes. */
  owedCount(backend: string): number {
    return this.owedCountQuery.get({ $backend: backend })?.n ?? 0;
  }

  /** The oldest `limit` pending alerts `backend` owes: the only rows that reach JavaScript. */
  nextOwed(backend: string, limit: number): OwedAlert[] {
    if (limit <= 0) return [];
    return this.nextOwedQuery.all({ $backend: backend, $limit: limit }).map((record) => ({ ...toAlert(record), interrupted: record.interrupted === 1 }));
  }

  /** Notifications `backend` took since `sinceMs` and the oldest of them (for the per-minute limit). */
  deliveredSince(backend: string, sinceMs: number): { readonly count: number; readonly oldestMs: number | null } {
    const row = this.windowQuery.get({ $backend: backend, $since: sinceMs });
    return { count: row?.n ?? 0, oldestMs: row?.oldest ?? null };
  }

  /** Deliveries that a previous process began and never finished (maybe delivered, sent again). */
  interruptedCount(backend: string): number {
    return this.interruptedQuery.get({ $backend: backend })?.n ?? 0;
  }

  /**
   * Written before the notifier starts, so a crash during delivery is visible afterwards. Returns
   * the alert as it is now, read in the same transaction: a gathered row may have counted more
   * alerts since it was listed, and from this moment on it counts no more (src/store/alerts.ts).
   * Null when the row is gone (pruned meanwhile). BEGIN IMMEDIATE: a transaction that reads
   * first cannot wait for another connection's write (SQLite fails it at once, SQLITE_BUSY).
   */
  beginDelivery(alertId: number, backend: string, nowMs: number): OutboxAlert | null {
    return this.db.transaction(() => {
      const record = this.alertQuery.get({ $id: alertId });
      if (!record) return null;
      this.beginQuery.run({ $id: alertId, $backend: backend, $now: nowMs });
      return toAlert(record);
    }).immediate();
  }

  /** Records the outcome and settles the alert when no configured backend owes it any more. */
  finishDelivery(alertId: number, backend: string, outcome: DeliveryOutcome, error: string | null, nowMs: number, backends: readonly string[]): void {
    this.db.transaction(() => {
      this.finishQuery.run({ $id: alertId, $backend: backend, $status: outcome, $error: error, $now: nowMs });
      if (outcome !== "failed") this.settleOne.run({ $backends: JSON.stringify(backends), $id: alertId });
    })();
  }

  /**
   * Replaces the selected alerts that `backend` owes by one pending summary for that backend (see
   * AlertFolds.fold); null when nothing was selected.
   */
  fold(...args: Parameters<AlertFolds["fold"]>): ReturnType<AlertFolds["fold"]> {
    return this.folds.fold(...args);
  }

  finalize(): void {
    for (const statement of this.statements) statement.finalize();
    this.folds.finalize();
  }
}

/** The outbox on a connection of its own (the delivery thread's); the database exists, migrated. */
export function openOutbox(path: string): Outbox {
  const db = new Database(path, { readwrite: true, create: false });
  // The main thread commits ingest batches meanwhile: wait for one rather than fail.
  db.run("PRAGMA busy_timeout = 5000");
  return new Outbox(db);
}
