/**
 * The alert outbox in SQLite: alerts are inserted in the same transaction as what causes them
 * (src/ingest.ts, src/monitor.ts), delivered afterwards (see outbox.ts), then marked; all state
 * survives restarts.
 *
 * A gathered row (first_event_ms set) stands for `covers` alerts of one job and kind (see
 * src/alerts/gather.ts). It is updated in place only while no backend has begun delivering it nor
 * folded it (no alert_deliveries row): from then on its count and text are fixed, and what comes
 * next starts a new row. The dispatcher reads a row's text again when it begins its delivery, in
 * the same transaction (outbox.ts), so what a notification says is exactly what the row counts.
 */
import type { Database, Statement } from "bun:sqlite";
import type { AlertKind, AlertText } from "../records.ts";

/** The kinds of alert a run causes (the ones a job's rows are counted and gathered for). */
const PER_RUN_KINDS = "('failure', 'recovery', 'long')";

export class AlertStore {
  private readonly insert: Statement;
  private readonly owedQuery: Statement<{ n: number }, [string, number]>;
  private readonly openGathered: Statement<{ id: number }, [string, AlertKind]>;
  private readonly addToGathered: Statement;
  private readonly insertGathered: Statement;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Counting stops at the limit, so a backlog left by an older version costs no more than that.
    this.owedQuery = db.prepare(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM alerts WHERE job = ? AND status = 'pending' AND kind IN ${PER_RUN_KINDS} LIMIT ?)`,
    );
    this.openGathered = db.prepare(
      `SELECT id FROM alerts a WHERE a.job = ? AND a.kind = ? AND a.status = 'pending' AND a.first_event_ms IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id)
       ORDER BY a.id DESC LIMIT 1`,
    );
    // The text and run are the newest alert's (by event time; the later written on a tie).
    const newer = "$event >= event_ms";
    this.addToGathered = db.prepare(
      `UPDATE alerts SET covers = covers + $count, first_event_ms = MIN(first_event_ms, $first), event_ms = MAX(event_ms, $event),
         run_id = CASE WHEN ${newer} THEN $run ELSE run_id END, exit_code = CASE WHEN ${newer} THEN $exit ELSE exit_code END,
         title = CASE WHEN ${newer} THEN $title ELSE title END, subtitle = CASE WHEN ${newer} THEN $subtitle ELSE subtitle END,
         message = CASE WHEN ${newer} THEN $message ELSE message END, sound = CASE WHEN ${newer} THEN $sound ELSE sound END
       WHERE id = $id`,
    );
    this.insertGathered = db.prepare(
      `INSERT INTO alerts (kind, run_id, job, exit_code, event_ms, title, subtitle, message, sound, group_id, status, created_at, covers, first_event_ms)
       VALUES ($kind, $run, $job, $exit, $event, $title, $subtitle, $message, $sound, $group, 'pending', $created, $count, $first)`,
    );
  }

  /** How many open alert rows caused by runs `job` owes, counted up to `limit`. */
  owedRunAlerts(job: string, limit: number): number {
    return this.owedQuery.get(job, limit)?.n ?? 0;
  }

  /**
   * Adds `count` alerts of `newest`'s job and kind, from `firstEventMs` on, to the job's open
   * gathered row, or starts one; returns its id.
   */
  gather(newest: AlertText, runId: number | null, count: number, firstEventMs: number, createdAt: string): number {
    const text = {
      $run: runId,
      $exit: newest.exitCode,
      $event: newest.eventMs,
      $title: newest.title,
      $subtitle: newest.subtitle,
      $message: newest.message,
      $sound: newest.sound,
      $count: count,
      $first: firstEventMs,
    };
    const open = this.openGathered.get(newest.job, newest.kind);
    if (open) {
      this.addToGathered.run({ ...text, $id: open.id });
      return open.id;
    }
    const inserted = this.insertGathered.run({ ...text, $kind: newest.kind, $job: newest.job, $group: newest.groupId, $created: createdAt });
    return Number(inserted.lastInsertRowid);
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
    for (const statement of [this.insert, this.owedQuery, this.openGathered, this.addToGathered, this.insertGathered]) statement.finalize();
  }
}
