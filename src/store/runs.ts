/**
 * Writing what the tailer read: runs, rejects and the checkpoint, in one transaction.
 *
 * Exactly-once rests on that transaction: either the rows and the new offset are both stored, or
 * neither is, whenever the process dies. The checkpoint is compared with the one the batch was read
 * from (optimistic concurrency), so a second process tailing into the same database cannot commit
 * the same bytes twice.
 */
import type { Database, Statement } from "bun:sqlite";
import type { Run, RunStart } from "../line.ts";
import { sameCheckpoint, type Checkpoint } from "./checkpoints.ts";
import { IngestCounters } from "./metrics.ts";
import { runKey } from "./run-key.ts";

export interface Reject {
  readonly offset: number;
  readonly raw: string;
  readonly reason: string;
  readonly hash: string;
}

export interface Batch {
  readonly runs: readonly Run[];
  readonly starts: readonly RunStart[];
  readonly rejects: readonly Reject[];
  /** The checkpoint the bytes were read from (null: none stored yet). */
  readonly from: Checkpoint | null;
  readonly to: Checkpoint;
}

export interface StoredRun {
  readonly id: number;
  readonly run: Run;
}

export interface CommitResult {
  readonly inserted: number;
  readonly starts: number;
  readonly duplicates: number;
  readonly rejected: number;
}

/** Thrown inside the transaction when another process moved the checkpoint; nothing is written. */
export class CheckpointConflict extends Error {
  override readonly name = "CheckpointConflict";
}

interface CheckpointRow {
  source: string;
  dev: string;
  ino: string;
  byte_offset: number;
  head_hash: string;
  tail_hash: string;
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    source: row.source,
    dev: row.dev,
    ino: row.ino,
    offset: row.byte_offset,
    headHash: row.head_hash,
    tailHash: row.tail_hash,
  };
}

/**
 * Runs inside the commit transaction with the newly stored runs of the batch, in file order, so
 * that what it writes (the alert outbox, job state) commits or rolls back with them.
 */
export type StoredRunsHook = (runs: readonly StoredRun[]) => void;

export class RunWriter {
  private readonly insertRun: Statement;
  private readonly insertReject: Statement;
  private readonly selectCheckpoint: Statement<CheckpointRow, [string]>;
  private readonly upsertCheckpoint: Statement;
  private readonly insertJob: Statement;
  private readonly insertStart: Statement;
  private readonly commitTransaction: (batch: Batch, parsedAt: string) => CommitResult;
  private readonly counters: IngestCounters;

  constructor(
    db: Database,
    private readonly onStored: StoredRunsHook = () => {},
  ) {
    this.insertRun = db.prepare(
      `INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms, job, duration_ms, host, extra, run_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertReject = db.prepare(
      `INSERT OR IGNORE INTO quarantine (source, byte_offset, raw, reason, line_hash, rejected_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.selectCheckpoint = db.prepare("SELECT * FROM tail_checkpoints WHERE source = ?");
    this.insertJob = db.prepare("INSERT OR IGNORE INTO jobs (name, first_seen_at) VALUES (?, ?)");
    this.insertStart = db.prepare(
      "INSERT OR IGNORE INTO run_starts (run_id, timestamp, ts_ms, job, host, parsed_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.upsertCheckpoint = db.prepare(
      `INSERT INTO tail_checkpoints (source, dev, ino, byte_offset, head_hash, tail_hash, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, byte_offset = excluded.byte_offset,
         head_hash = excluded.head_hash, tail_hash = excluded.tail_hash, updated_at = excluded.updated_at`,
    );
    this.counters = new IngestCounters(db);
    // db.transaction needs a synchronous body (an async one commits at its first await, bun #24662).
    const transaction = db.transaction((batch: Batch, parsedAt: string) => this.write(batch, parsedAt));
    this.commitTransaction = (batch, parsedAt) => transaction.immediate(batch, parsedAt);
  }

  checkpoint(source: string): Checkpoint | null {
    const row = this.selectCheckpoint.get(source);
    return row ? toCheckpoint(row) : null;
  }

  /** Stores a batch and moves the checkpoint; throws CheckpointConflict if it moved meanwhile. */
  commit(batch: Batch, parsedAt: string): CommitResult {
    return this.commitTransaction(batch, parsedAt);
  }

  private write(batch: Batch, parsedAt: string): CommitResult {
    if (!sameCheckpoint(this.checkpoint(batch.to.source), batch.from)) {
      throw new CheckpointConflict(`the checkpoint of "${batch.to.source}" was moved by another process`);
    }
    const stored: StoredRun[] = [];
    const jobs = new Set<string>();
    for (const run of batch.runs) {
      const result = this.insertRun.run(
        run.ts,
        run.exit,
        run.msg,
        parsedAt,
        run.epochMs,
        run.job,
        run.durationMs,
        run.host,
        run.extra,
        runKey(run.ts, run.exit, run.msg, run.job),
      );
      if (result.changes === 0) continue;
      stored.push({ id: Number(result.lastInsertRowid), run });
      jobs.add(run.job ?? "");
    }
    const inserted = stored.length;
    let rejected = 0;
    for (const job of jobs) this.insertJob.run(job, parsedAt);
    if (inserted > 0) this.onStored(stored);
    let starts = 0;
    for (const start of batch.starts) {
      starts += this.insertStart.run(start.runId, start.ts, start.epochMs, start.job, start.host, parsedAt).changes;
    }
    const source = batch.to.source;
    for (const reject of batch.rejects) {
      rejected += this.insertReject.run(source, reject.offset, reject.raw, reject.reason, reject.hash, parsedAt).changes;
    }
    const to = batch.to;
    this.upsertCheckpoint.run(to.source, to.dev, to.ino, to.offset, to.headHash, to.tailHash, parsedAt);
    // An identical line (run or reject) seen again is a duplicate: the seed's "one line, one run".
    const duplicates = batch.runs.length - inserted + (batch.rejects.length - rejected) + (batch.starts.length - starts);
    this.counters.record(stored, { inserted, starts, duplicates, rejected }, parsedAt); // Prometheus counters, in this transaction
    return { inserted, starts, duplicates, rejected };
  }

  finalize(): void {
    for (const statement of [this.insertRun, this.insertReject, this.selectCheckpoint, this.upsertCheckpoint, this.insertJob, this.insertStart]) {
      statement.finalize();
    }
    this.counters.finalize();
  }
}
