/**
 * Folding owed alerts into one summary, in SQL: the digest (counts per kind, the newest problem,
 * the jobs up again) is aggregated by queries, and the folded rows are marked by one INSERT … SELECT,
 * so a backlog of any size never reaches JavaScript.
 */
import type { Database, Statement } from "bun:sqlite";
import type { AlertKind, AlertText } from "../records.ts";
import { UP_AGAIN_SHOWN, type FoldDigest, type FoldedProblem } from "../records.ts";
import { OWED, SELECTIONS, SETTLE, type FoldSelection, type Params } from "./outbox-sql.ts";

interface FoldStatements {
  readonly counts: Statement<{ kind: AlertKind; count: number; newest: number }, [Params]>;
  readonly lastProblem: Statement<{ kind: AlertKind; job: string; exit_code: number | null; event_ms: number; message: string }, [Params]>;
  readonly upAgain: Statement<{ job: string }, [Params]>;
  readonly mark: Statement<unknown, [Params]>;
}

export class AlertFolds {
  private readonly folds = new Map<FoldSelection["kind"], FoldStatements>();
  private readonly statements: Statement[] = [];
  private readonly insertSummary;
  private readonly settleAll;

  constructor(private readonly db: Database) {
    this.insertSummary = this.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers, backend)
       VALUES ('summary', NULL, $job, $exit, $event, $title, $subtitle, $message, $sound, $group, 'pending', $created, $covers, $backend)`,
    );
    this.settleAll = this.prepare(SETTLE);
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
           ORDER BY a.kind = 'failure' DESC, a.event_ms DESC, a.id DESC LIMIT 1`,
        ),
        // A job is up again when its newest folded alert is its recovery. "Newest" is by event time,
        // then by insertion (alert id): runs sharing one timestamp keep the order they were written in.
        upAgain: this.prepare(
          `SELECT job FROM (
             SELECT a.job, a.kind, a.event_ms, a.id, ROW_NUMBER() OVER (PARTITION BY a.job ORDER BY a.event_ms DESC, a.id DESC) AS rank
             FROM alerts a WHERE ${where})
           WHERE rank = 1 AND kind = 'recovery'
           ORDER BY event_ms DESC, id DESC LIMIT ${UP_AGAIN_SHOWN + 1}`,
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
    const params = AlertFolds.selectionParams(backend, selection);
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
    }).immediate(); // it reads first: deferred, it could not wait for another writer (SQLITE_BUSY at once)
  }

  finalize(): void {
    for (const statement of this.statements) statement.finalize();
  }
}
