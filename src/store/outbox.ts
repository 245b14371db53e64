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
import type { AlertKind, AlertText } from "../alerts/format.ts";
import { UP_AGAIN_SHOWN, type FoldDigest, type FoldedProblem } from "../alerts/summary.ts";

export interface OwedAlert extends AlertText {
  readonly id: number;
  /** A previous process began delivering it and died before the outcome was recorded. */
  readonly interrupted: boolean;
}

/** Which owed alerts a fold takes. */
export type FoldSelection =
  /** Seen older than notify.max_age when read (a backfill, a restart after downtime). */
  | { readonly kind: "stale" }
  /** Pending alerts about events before `beforeMs` (summaries are never folded again). */
  | { readonly kind: "expired"; readonly beforeMs: number }
  /** Every pending alert but summaries and `except` (the ones being sent one by one now). */
  | { readonly kind: "rest"; readonly except: readonly number[] };

/** What the notifier did with one alert: `logged` means no real notifier took it. */
export type DeliveryOutcome = "sent" | "logged" | "failed";

interface OwedRecord {
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
  interrupted: number;
}

type Params = Record<string, string | number | null>;

const TAKEN = "('sent', 'logged', 'summarized')";

const OWED = `a.status IN ('pending', 'stale') AND (a.backend IS NULL OR a.backend = $backend)
  AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.backend = $backend AND d.status IN ${TAKEN})`;

const SELECTIONS: Record<FoldSelection["kind"], string> = {
  stale: "a.status = 'stale'",
  expired: "a.status = 'pending' AND a.kind != 'summary' AND a.event_ms < $before",
  rest: "a.status = 'pending' AND a.kind != 'summary' AND a.id NOT IN (SELECT value FROM json_each($except))",
};

/** Open alerts that no configured backend ($backends, a JSON array) is owed any more. */
const SETTLED = `alerts.status IN ('pending', 'stale') AND NOT EXISTS (
  SELECT 1 FROM json_each($backends) b WHERE (alerts.backend IS NULL OR alerts.backend = b.value)
    AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.backend = b.value AND d.status IN ${TAKEN}))`;

const deliveredWith = (status: string): string =>
  `EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = '${status}')`;

const SETTLE = `UPDATE alerts SET
    status = CASE WHEN ${deliveredWith("sent")} THEN 'sent' WHEN ${deliveredWith("summarized")} THEN 'summarized'
      WHEN ${deliveredWith("logged")} THEN 'logged' ELSE 'dropped' END,
    sent_ms = (SELECT MAX(d.done_ms) FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = 'sent'),
    sent_at = (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', MAX(d.done_ms) / 1000.0, 'unixepoch')
      FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = 'sent')
  WHERE ${SETTLED}`;

interface FoldStatements {
  readonly counts: Statement<{ kind: AlertKind; count: number; newest: number }, [Params]>;
  readonly lastProblem: Statement<{ kind: AlertKind; job: string; exit_code: number | null; event_ms: number; message: string }, [Params]>;
  readonly upAgain: Statement<{ job: string }, [Params]>;
  readonly mark: Statement<unknown, [Params]>;
}

export class Outbox {
  private readonly folds = new Map<FoldSelection["kind"], FoldStatements>();
  private readonly statements: Statement[] = [];
  private readonly owedCountQuery;
  private readonly nextOwedQuery;
  private readonly windowQuery;
  private readonly interruptedQuery;
  private readonly beginQuery;
  private readonly finishQuery;
  private readonly insertSummary;
  private readonly settleAll;
  private readonly settleOne;

  constructor(private readonly db: Database) {
    this.owedCountQuery = this.prepare<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts a WHERE ${OWED} AND a.status = 'pending'`);
    this.nextOwedQuery = this.prepare<OwedRecord>(
      `SELECT a.id, a.kind, a.job, a.exit_code, a.event_ms, a.title, a.subtitle, a.message, a.sound, a.group_id,
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
    this.finishQuery = this.prepare(
      "UPDATE alert_deliveries SET status = $status, error = $error, done_ms = $now WHERE alert_id = $id AND backend = $backend",
    );
    this.insertSummary = this.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers, backend)
       VALUES ('summary', NULL, $job, $exit, $event, $title, $subtitle, $message, $sound, $group, 'pending', $created, $covers, $backend)`,
    );
    this.settleAll = this.prepare(SETTLE);
    this.settleOne = this.prepare(`${SETTLE} AND alerts.id = $id`);
  }

  private prepare<Row = unknown>(sql: string): Statement<Row, [Params]> {
    const statement = this.db.prepare<Row, [Params]>(sql);
    this.statements.push(statement as Statement);
    return statement;
  }

  private foldStatements(kind: FoldSelection["kind"]): FoldStatements {
    let statements = this.folds.get(kind);
    if (!statements) {
      const where = `${OWED} AND ${SELECTIONS[kind]}`;
      statements = {
        counts: this.prepare(`SELECT a.kind AS kind, SUM(a.covers) AS count, MAX(a.event_ms) AS newest FROM alerts a WHERE ${where} GROUP BY a.kind`),
        lastProblem: this.prepare(
          `SELECT a.kind, a.job, a.exit_code, a.event_ms, a.message FROM alerts a WHERE ${where} AND a.kind IN ('failure', 'late', 'long')
           ORDER BY a.kind = 'failure' DESC, a.event_ms DESC LIMIT 1`,
        ),
        // A job is up again when its newest folded alert is its recovery.
        upAgain: this.prepare(
          `SELECT a.job FROM alerts a WHERE ${where} GROUP BY a.job
           HAVING MAX(CASE WHEN a.kind = 'recovery' THEN a.event_ms END) >= COALESCE(MAX(CASE WHEN a.kind != 'recovery' THEN a.event_ms END), -1)
           ORDER BY MAX(a.event_ms) DESC LIMIT ${UP_AGAIN_SHOWN + 1}`,
        ),
        mark: this.prepare(
          `INSERT INTO alert_deliveries (alert_id, backend, status, done_ms) SELECT a.id, $backend, 'summarized', $now FROM alerts a WHERE ${where}
           ON CONFLICT (alert_id, backend) DO UPDATE SET status = 'summarized', done_ms = excluded.done_ms`,
        ),
      };
      this.folds.set(kind, statements);
    }
    return statements;
  }

  private static selectionParams(backend: string, selection: FoldSelection): Params {
    switch (selection.kind) {
      case "stale":
        return { $backend: backend };
      case "expired":
        return { $backend: backend, $before: selection.beforeMs };
      case "rest":
        return { $backend: backend, $except: JSON.stringify(selection.except) };
      default:
        return selection satisfies never;
    }
  }

  /** Pending alerts `backend` still owes. */
  owedCount(backend: string): number {
    return this.owedCountQuery.get({ $backend: backend })?.n ?? 0;
  }

  /** The oldest `limit` pending alerts `backend` owes: the only rows that reach JavaScript. */
  nextOwed(backend: string, limit: number): OwedAlert[] {
    if (limit <= 0) return [];
    return this.nextOwedQuery.all({ $backend: backend, $limit: limit }).map((record) => ({
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
      interrupted: record.interrupted === 1,
    }));
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

  /** Written before the notifier starts, so a crash during delivery is visible afterwards. */
  beginDelivery(alertId: number, backend: string, nowMs: number): void {
    this.beginQuery.run({ $id: alertId, $backend: backend, $now: nowMs });
  }

  /** Records the outcome and settles the alert when no configured backend owes it any more. */
  finishDelivery(alertId: number, backend: string, outcome: DeliveryOutcome, error: string | null, nowMs: number, backends: readonly string[]): void {
    this.db.transaction(() => {
      this.finishQuery.run({ $id: alertId, $backend: backend, $status: outcome, $error: error, $now: nowMs });
      if (outcome !== "failed") this.settleOne.run({ $backends: JSON.stringify(backends), $id: alertId });
    })();
  }

  /**
   * Replaces the selected alerts that `backend` owes by one pending summary for that backend, in
   * one transaction; `text` builds the summary from the digest. Null when nothing was selected.
   */
  fold(
    backend: string,
    selection: FoldSelection,
    text: (digest: FoldDigest) => AlertText & { readonly covers: number },
    createdAt: Date,
    backends: readonly string[],
  ): { readonly id: number; readonly digest: FoldDigest; readonly text: AlertText } | null {
    const statements = this.foldStatements(selection.kind);
    const params = Outbox.selectionParams(backend, selection);
    return this.db.transaction(() => {
      const counts = statements.counts.all(params);
      if (counts.length === 0) return null;
      const last = statements.lastProblem.get(params);
      const lastProblem: FoldedProblem | null = last
        ? { kind: last.kind, job: last.job, exitCode: last.exit_code, eventMs: last.event_ms, message: last.message }
        : null;
      const digest: FoldDigest = {
        counts: counts.map((row) => ({ kind: row.kind, count: row.count })),
        lastProblem,
        upAgain: statements.upAgain.all(params).map((row) => row.job),
        newestMs: Math.max(...counts.map((row) => row.newest)),
      };
      statements.mark.run({ ...params, $now: createdAt.getTime() });
      const summary = text(digest);
      const id = Number(
        this.insertSummary.run({
          $job: summary.job,
          $exit: summary.exitCode,
          $event: summary.eventMs,
          $title: summary.title,
          $subtitle: summary.subtitle,
          $message: summary.message,
          $sound: summary.sound,
          $group: summary.groupId,
          $created: createdAt.toISOString(),
          $covers: summary.covers,
          $backend: backend,
        }).lastInsertRowid,
      );
      this.settleAll.run({ $backends: JSON.stringify(backends) });
      return { id, digest, text: summary };
    })();
  }

  finalize(): void {
    for (const statement of this.statements) statement.finalize();
  }
}

/** The outbox on a connection of its own (the delivery thread's); the database exists, migrated. */
export function openOutbox(path: string): Outbox {
  const db = new Database(path, { readwrite: true, create: false });
  // The main thread commits ingest batches meanwhile: wait for one rather than fail.
  db.run("PRAGMA busy_timeout = 5000");
  return new Outbox(db);
}
