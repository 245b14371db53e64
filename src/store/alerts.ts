/**
 * The alert outbox in SQLite: alerts are inserted in the same transaction as what causes them
 * (src/ingest.ts, src/monitor.ts), delivered afterwards (see outbox.ts), then marked; all state
 * survives restarts.
 */
import type { Database, Statement } from "bun:sqlite";
import type { AlertText } from "../records.ts";

export class AlertStore {
  private readonly insert: Statement;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
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

  meta(key: string): string | null {
    return this.db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  finalize(): void {
    this.insert.finalize();
  }
}
