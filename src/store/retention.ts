/**
 * retention_days: old runs (and the settled alerts about them) are deleted in small batches, each its own short transaction, so
 * pruning a large backlog never holds the database for long. Job state and counters live in the
 * jobs table and are not touched.
 */
import type { Database } from "bun:sqlite";

export const PRUNE_BATCH_ROWS = 500;

/** The instant before which runs are pruned. */
export function retentionCutoffMs(nowMs: number, retentionDays: number): number {
  return nowMs - retentionDays * 86_400_000;
}

/**
 * Deletes up to `maxBatches` batches of runs older than `cutoffMs`, and alerts about them that are
 * settled (sent, summarized, given up); returns how many runs went.
 */
export function pruneRuns(db: Database, cutoffMs: number, maxBatches = 20): number {
  const prune = db.query(
    `DELETE FROM cron_entries WHERE id IN (
       SELECT id FROM cron_entries WHERE ts_ms < ? ORDER BY ts_ms LIMIT ${PRUNE_BATCH_ROWS})`,
  );
  const pruneAlerts = db.query(
    `DELETE FROM alerts WHERE id IN (
       SELECT id FROM alerts WHERE event_ms < ? AND status IN ('sent', 'summarized', 'failed', 'logged', 'dropped') LIMIT ${PRUNE_BATCH_ROWS})`,
  );
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const changes = prune.run(cutoffMs).changes;
    deleted += changes;
    if (changes < PRUNE_BATCH_ROWS) break;
  }
  for (let batch = 0; batch < maxBatches; batch++) {
    if (pruneAlerts.run(cutoffMs).changes < PRUNE_BATCH_ROWS) break;
  }
  return deleted;
}
