/**
 * The alert outbox in SQLite. Alerts are inserted in the same transaction as what causes them
 * (src/ingest.ts, src/monitor.ts), delivered afterwards, then marked; all state survives restarts.
 */
import type { Database, Statement } from "bun:sqlite";
import { failuresCovered } from "../alerts/format.ts";
import type { AlertKind, AlertText } from "../records.ts";

export interface AlertRow extends AlertText {
  readonly id: number;
  readonly attempts: number;
  readonly covers: number;
}

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
  attempts: number;
  covers: number;
}

function toAlertRow(record: AlertRecord): AlertRow {
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
    attempts: record.attempts,
    covers: record.covers,
  };
}

export class AlertStore {
  private readonly insert: Statement;
  private readonly byStatus: Statement<AlertRecord, [string]>;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byStatus = db.prepare("SELECT * FROM alerts WHERE status = ? ORDER BY id");
  }

  add(text: AlertText, status: "pending" | "stale", runId: number | null, createdAt: string, covers = 1): number {
    const result = this.insert.run(
      text.kind,
      runId,
      text.job,
      text.exitCode,
      text.eventMs,
      text.title,
      text.subtitle,
      text.message,
      text.sound,
      text.groupId,
      status,
      createdAt,
      covers,
    );
    return Number(result.lastInsertRowid);
  }

  pending(): AlertRow[] {
    return this.byStatus.all("pending").map(toAlertRow);
  }

  stale(): AlertRow[] {
    return this.byStatus.all("stale").map(toAlertRow);
  }

  /** Pending alerts about events older than `cutoffMs` are no longer sent one by one. */
  expirePending(cutoffMs: number): number {
    return this.db.query("UPDATE alerts SET status = 'stale' WHERE status = 'pending' AND kind != 'summary' AND event_ms < ?").run(cutoffMs).changes;
  }

  /** Replaces `alerts` by one pending summary, atomically. */
  summarize(alerts: readonly AlertRow[], summary: AlertText, createdAt: string): AlertRow {
    const mark = this.db.query("UPDATE alerts SET status = 'summarized' WHERE id = ?");
    const covers = failuresCovered(alerts);
    const id = this.db.transaction(() => {
      for (const alert of alerts) mark.run(alert.id);
      return this.add(summary, "pending", null, createdAt, covers);
    })();
    return { ...summary, id, attempts: 0, covers };
  }

  markSent(id: number, at: Date): void {
    this.db.query("UPDATE alerts SET status = 'sent', sent_at = ?, sent_ms = ?, attempts = attempts + 1 WHERE id = ?").run(at.toISOString(), at.getTime(), id);
  }

  /** Records a failed delivery; after `maxAttempts` the alert is given up ("failed"). */
  markAttemptFailed(id: number, error: string, maxAttempts: number): void {
    this.db
      .query(
        `UPDATE alerts SET attempts = attempts + 1, error = ?,
           status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE status END WHERE id = ?`,
      )
      .run(error, maxAttempts, id);
  }

  /** Notifications delivered at or after `sinceMs`, oldest first (for the per-minute limit). */
  sentSince(sinceMs: number): number[] {
    return this.db
      .query<{ sent_ms: number }, [number]>("SELECT sent_ms FROM alerts WHERE sent_ms >= ? ORDER BY sent_ms")
      .all(sinceMs)
      .map((row) => row.sent_ms);
  }

  meta(key: string): string | null {
    return this.db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  finalize(): void {
    for (const statement of [this.insert, this.byStatus]) statement.finalize();
  }
}
