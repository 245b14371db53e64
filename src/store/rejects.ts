/** The quarantine, read side: the newest lines that could not be read, with their reasons. */
import type { Database } from "bun:sqlite";

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
