/**
 * The quarantine: the newest lines that could not be read, with their reasons (read side), and
 * how its rows are keyed (migration 13).
 */
import type { Database } from "bun:sqlite";
import { parseTimestamp } from "../timestamp.ts";

export interface RejectRow {
  readonly source: string;
  readonly offset: number;
  readonly reason: string;
  readonly raw: string;
  readonly rejectedAt: string;
}

/** The newest `limit` rejects, newest first. */
export function newestRejects(db: Database, limit: number): RejectRow[] {
  return db
    .query<RejectRow, [number]>(
      `SELECT source, byte_offset AS offset, reason, raw, rejected_at AS rejectedAt FROM quarantine ORDER BY id DESC LIMIT ?`,
    )
    .all(limit);
}

/** What the reason of a line quarantined for being too far ahead says after its quoted `ts`. */
const FUTURE_REASON_REST = " is more than max_future (";
/** Existing rows are keyed this many at a time, so the migration's memory does not follow the table. */
const KEYING_PAGE = 10_000;

/**
 * Migration 13. Identical rejected lines are one row; that was a unique index on
 * (source, line_hash), whose hashes put each new reject at a random place of the index: a file
 * whose lines lie past max_future rejects them by the hundred thousand, and each batch rewrote
 * most of the index's pages (bench/ingest.ts, future case: 500,000 rejects cost about 5 s of a
 * 7 s run). The key now leads with `future_ms`, the line's instant for such a line (0 for any
 * other reject), so they are appended in the order they were written; an identical line read
 * again (a rotated copy) has the same instant and hash, so it is still recognised. Rows stored
 * before get the instant their reason names.
 */
export function keyQuarantineInFileOrder(db: Database): void {
  db.run("ALTER TABLE quarantine ADD COLUMN future_ms INTEGER NOT NULL DEFAULT 0");
  const page = db.prepare<{ id: number; reason: string }, [number, number]>(
    `SELECT id, reason FROM quarantine WHERE id > ? AND reason LIKE '"ts" "%' || '${FUTURE_REASON_REST}%' ORDER BY id LIMIT ?`,
  );
  const update = db.prepare<unknown, [number, number]>("UPDATE quarantine SET future_ms = ? WHERE id = ?");
  for (let after = 0; ; ) {
    const rows = page.all(after, KEYING_PAGE);
    for (const { id, reason } of rows) {
      const ms = futureInstant(reason);
      if (ms !== null) update.run(ms, id);
    }
    const last = rows.at(-1);
    if (!last) break;
    after = last.id;
  }
  page.finalize();
  update.finalize();
  db.run("DROP INDEX quarantine_line");
  db.run("CREATE UNIQUE INDEX quarantine_line_in_order ON quarantine (source, future_ms, line_hash)");
}

/** The instant a max_future reason quotes (`"ts" "2199-01-01T00:00:00Z" is more than …`), or null. */
export function futureInstant(reason: string): number | null {
  const end = reason.indexOf(FUTURE_REASON_REST);
  if (!reason.startsWith('"ts" "') || end < 0) return null;
  let ts: unknown;
  try {
    ts = JSON.parse(reason.slice(5, end));
  } catch {
    return null;
  }
  if (typeof ts !== "string") return null;
  const time = parseTimestamp(ts);
  return time.ok ? time.epochMs : null;
}
