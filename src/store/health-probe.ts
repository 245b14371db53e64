/**
 * Can the database at this path be written right now? A real write on a connection of its own,
 * opened by path: the collector's own connection keeps writing into a file that was deleted or
 * replaced, and would not notice; a lock held elsewhere, a read-only file system or a missing file
 * all show here. The wait for a lock is short, since this blocks the event loop while it waits.
 */
import { Database } from "bun:sqlite";
import { describeError } from "../errors.ts";

export type WriteProbe = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const PROBE_KEY = "heartbeat.probe_ms";

export function probeWritable(path: string, nowMs: number, busyTimeoutMs = 1000): WriteProbe {
  let db: Database | null = null;
  try {
    db = new Database(path, { readwrite: true, create: false });
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(PROBE_KEY, String(nowMs));
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `the database "${path}" cannot be written: ${describeError(error)}` };
  } finally {
    db?.close(false);
  }
}
