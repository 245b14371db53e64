/**
 * Writing what the tailer read: runs, start markers, rejects and the checkpoint.
 *
 * Exactly-once rests on one transaction per batch (src/ingest.ts opens it with `transaction`):
 * either the rows and the new offset are all stored, or none are, whenever the process dies. The
 * checkpoint is compared with the one the batch was read from (optimistic concurrency), so a
 * second process tailing into the same database cannot commit the same bytes twice.
 */
import type { Database, Statement } from "bun:sqlite";
import { jobKey } from "../job-key.ts";
import type { Batch, Checkpoint, CommitResult, Reject, Run, StoredRun } from "../records.ts";
import { sameCheckpoint } from "./checkpoints.ts";
import { IngestCounters } from "./metrics.ts";
import { RollupStore } from "./rollups.ts";
import { runKeyBits } from "./run-key.ts";


/** Runs per multi-row INSERT (see RunWriter.insertRuns); 16 had all of the gain of 64. */
export const RUN_GROUP = 16;
/** The values bound per run: parsed_at, the same for the whole batch, is bound once as ?1. */
const RUN_COLUMNS = 9;
const RUN_KEY_INDEX = 8;

/**
 * The INSERT of `rows` runs; a run's values in bindRun's order, after ?1 (parsed_at). Numbered
 * parameters let every row name the one parsed_at (a micro-bench of 200,000 rows, 16 to a
 * statement: 49–65 ms with the values spread as arguments and parsed_at in every row, 34–35 ms
 * with one array and parsed_at bound once).
 */
function insertRuns(rows: number): string {
  const row = (r: number): string => {
    const p = (column: number): string => `?${2 + r * RUN_COLUMNS + column}`;
    return `(${p(0)}, ${p(1)}, ${p(2)}, ?1, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)})`;
  };
  return `INSERT OR IGNORE INTO cron_entries (timestamp, exit_code, message, parsed_at, ts_ms, job, duration_ms, host, extra, run_key)
       VALUES ${Array.from({ length: rows }, (_, r) => row(r)).join(", ")}`;
}

/** Binds `run` as the `row`-th run of a statement's values (values[0] is parsed_at). */
function bindRun(values: Array<string | number | bigint | null>, row: number, run: Run): void {
  const at = 1 + row * RUN_COLUMNS;
  values[at] = run.ts;
  values[at + 1] = run.exit;
  values[at + 2] = run.msg;
  values[at + 3] = run.epochMs;
  values[at + 4] = run.job;
  values[at + 5] = run.durationMs;
  values[at + 6] = run.host;
  values[at + 7] = run.extra;
  values[at + RUN_KEY_INDEX] = runKeyBits(run.ts, run.exit, run.msg, run.job); // bound as runKey (see run-key.ts)
}

export interface WriteResult extends CommitResult {
  /** The runs new to the database, in file order. */
  readonly stored: readonly StoredRun[];
  /** The rejected lines new to the quarantine. */
  readonly newRejects: readonly Reject[];
}

/** A finish line that names its start marker: it closes that start when it ended. */
export interface RunFinish {
  readonly runId: string;
  readonly endMs: number;
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

export class RunWriter {
  private readonly insertRun: Statement;
  private readonly insertRunGroup: Statement;
  private readonly findRun: Statement<{ id: number }, [number, bigint, number]>;
  /** The bound values of one group insert, reused: parsed_at, then RUN_GROUP × RUN_COLUMNS. */
  private readonly groupValues = new Array<string | number | bigint | null>(1 + RUN_GROUP * RUN_COLUMNS).fill(null);
  /** The same for the insert of a single run. */
  private readonly oneValues = new Array<string | number | bigint | null>(1 + RUN_COLUMNS).fill(null);
  private readonly insertReject: Statement;
  private readonly selectCheckpoint: Statement<CheckpointRow, [string]>;
  private readonly upsertCheckpoint: Statement;
  private readonly insertJob: Statement;
  private readonly insertStart: Statement;
  private readonly takeEarlyFinish: Statement;
  private readonly finishStart: Statement;
  private readonly keepEarlyFinish: Statement;
  private readonly immediate: <T>(body: () => T) => T;
  private readonly counters: IngestCounters;
  private readonly rollups: RollupStore;

  /** `defaultJob`: runs naming it share the key of runs naming no job (see job-key.ts). */
  constructor(
    db: Database,
    private readonly defaultJob = "",
  ) {
    this.insertRun = db.prepare(insertRuns(1));
    this.insertRunGroup = db.prepare(insertRuns(RUN_GROUP));
    this.findRun = db.prepare("SELECT id FROM cron_entries WHERE ts_ms = ? AND run_key = ? AND exit_code = ?");
    this.insertReject = db.prepare(
      `INSERT OR IGNORE INTO quarantine (source, byte_offset, raw, reason, line_hash, rejected_at, future_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectCheckpoint = db.prepare("SELECT * FROM tail_checkpoints WHERE source = ?");
    this.insertJob = db.prepare("INSERT OR IGNORE INTO jobs (name, first_seen_at) VALUES (?, ?)");
    // A start whose finish was read first is born finished (lines may come in any order).
    this.insertStart = db.prepare(
      `INSERT OR IGNORE INTO run_starts (run_id, timestamp, ts_ms, job, host, parsed_at, finished, finished_ms)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, COUNT(end_ms), MAX(end_ms) FROM run_finishes WHERE run_id = ?1`,
    );
    this.takeEarlyFinish = db.prepare("DELETE FROM run_finishes WHERE run_id = ?");
    this.finishStart = db.prepare("UPDATE run_starts SET finished = 1, finished_ms = ? WHERE run_id = ?");
    this.keepEarlyFinish = db.prepare("INSERT OR REPLACE INTO run_finishes (run_id, end_ms) VALUES (?, ?)");
    this.counters = new IngestCounters(db);
    this.rollups = new RollupStore(db);
    this.upsertCheckpoint = db.prepare(
      `INSERT INTO tail_checkpoints (source, dev, ino, byte_offset, head_hash, tail_hash, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, byte_offset = excluded.byte_offset,
         head_hash = excluded.head_hash, tail_hash = excluded.tail_hash, updated_at = excluded.updated_at`,
    );
    // db.transaction needs a synchronous body (an async one commits at its first await, bun #24662).
    const transaction = db.transaction((body: () => unknown) => body());
    this.immediate = <T>(body: () => T): T => transaction.immediate(body) as T;
  }

  /** Runs `body` in one write transaction (BEGIN IMMEDIATE): all of it is stored, or nothing. */
  transaction<T>(body: () => T): T {
    return this.immediate(body);
  }

  /** Stores a batch in its own transaction, with no alerts: a plain sink for the tailer. */
  commit(batch: Batch, parsedAt: string): CommitResult {
    const { inserted, starts, duplicates, rejected } = this.transaction(() => this.write(batch, parsedAt));
    return { inserted, starts, duplicates, rejected };
  }

  checkpoint(source: string): Checkpoint | null {
    const row = this.selectCheckpoint.get(source);
    return row ? toCheckpoint(row) : null;
  }

  /**
   * Stores a batch and moves the checkpoint; throws CheckpointConflict if it moved meanwhile.
   * Call it inside `transaction`. Start markers go first, so a finish read in the same batch
   * finds its start (see closeStarts).
   */
  write(batch: Batch, parsedAt: string): WriteResult {
    if (!sameCheckpoint(this.checkpoint(batch.to.source), batch.from)) {
      throw new CheckpointConflict(`the checkpoint of "${batch.to.source}" was moved by another process`);
    }
    let starts = 0;
    for (const start of batch.starts) {
      const added = this.insertStart.run(start.runId, start.ts, start.epochMs, start.job, start.host, parsedAt).changes;
      if (added > 0) this.takeEarlyFinish.run(start.runId);
      starts += added;
    }
    const stored = this.insertRuns(batch.runs, parsedAt);
    const jobs = new Set<string>();
    for (const { run } of stored) jobs.add(jobKey(run.job, this.defaultJob));
    const inserted = stored.length;
    this.rollups.add(stored); // hourly counters for the stats, in this transaction
    for (const job of jobs) this.insertJob.run(job, parsedAt);
    const newRejects: Reject[] = [];
    const source = batch.to.source;
    for (const reject of batch.rejects) {
      if (this.insertReject.run(source, reject.offset, reject.raw, reject.reason, reject.hash, parsedAt, reject.futureMs ?? 0).changes > 0) newRejects.push(reject);
    }
    const rejected = newRejects.length;
    const to = batch.to;
    this.upsertCheckpoint.run(to.source, to.dev, to.ino, to.offset, to.headHash, to.tailHash, parsedAt);
    // An identical line (run or reject) seen again is a duplicate: the seed's "one line, one run".
    const duplicates = batch.runs.length - inserted + (batch.rejects.length - rejected) + (batch.starts.length - starts);
    this.counters.record(stored, { inserted, starts, duplicates, rejected }, parsedAt); // Prometheus counters, in this transaction
    return { stored, newRejects, inserted, starts, duplicates, rejected };
  }

  /**
   * Inserts runs (duplicates ignored) and returns the new ones with their ids, in file order.
   *
   * RUN_GROUP runs per INSERT statement: each statement run costs a fixed overhead (binding,
   * stepping, resetting, the result object) of about as much as SQLite's own work for a row
   * (bench/ingest.ts, 1M lines: 16 rows per statement -0.5 s CPU). When every row of a group is
   * new, its rows took the ids up to the last one in the order of the VALUES, one each
   * (AUTOINCREMENT: one more than the largest id ever used). When only some are (a re-read range,
   * the same line twice), they are not consecutive: an ignored row uses up an id, in a multi-row
   * INSERT as one row at a time, so the ids are the same as before; see newInGroup for how the
   * new runs are found then.
   */
  private insertRuns(runs: readonly Run[], parsedAt: string): StoredRun[] {
    const stored: StoredRun[] = [];
    const values = this.groupValues;
    values[0] = parsedAt;
    let next = 0;
    for (; next + RUN_GROUP <= runs.length; next += RUN_GROUP) {
      for (let i = 0; i < RUN_GROUP; i++) bindRun(values, i, runs[next + i] as Run);
      // One array argument: bun:sqlite binds it positionally, without spreading 145 arguments.
      const { changes, lastInsertRowid } = this.insertRunGroup.run(values);
      if (changes === RUN_GROUP) {
        const firstId = Number(lastInsertRowid) - RUN_GROUP + 1;
        for (let i = 0; i < RUN_GROUP; i++) stored.push({ id: firstId + i, run: runs[next + i] as Run });
      } else if (changes > 0) {
        this.newInGroup(runs, next, changes, stored);
      }
    }
    const one = this.oneValues;
    one[0] = parsedAt;
    for (; next < runs.length; next++) {
      const run = runs[next] as Run;
      bindRun(one, 0, run);
      const result = this.insertRun.run(one);
      if (result.changes > 0) stored.push({ id: Number(result.lastInsertRowid), run });
    }
    values.fill(null); // no strings of this batch kept alive until the next one
    one.fill(null);
    return stored;
  }

  /**
   * The new runs of a group of which only `changes` rows were inserted (rare: duplicates). Each
   * run's row is looked up by its unique key; rows inserted now have ids above every older row
   * (AUTOINCREMENT), so the `changes` largest distinct ids are the new rows, each the first run of
   * the group holding its key (a later identical line is a duplicate of it).
   */
  private newInGroup(runs: readonly Run[], first: number, changes: number, stored: StoredRun[]): void {
    const ids: number[] = [];
    for (let i = 0; i < RUN_GROUP; i++) {
      const run = runs[first + i] as Run;
      const row = this.findRun.get(run.epochMs, this.groupValues[1 + i * RUN_COLUMNS + RUN_KEY_INDEX] as bigint, run.exit);
      if (!row) throw new Error(`a run just inserted or ignored is not stored: ${run.ts}`); // cannot happen: the unique key is there either way
      ids.push(row.id);
    }
    const newIds = new Set([...new Set(ids)].sort((a, b) => b - a).slice(0, changes));
    for (let i = 0; i < RUN_GROUP; i++) {
      const id = ids[i] as number;
      if (!newIds.delete(id)) continue; // an older row, or a later copy of a line of this group
      stored.push({ id, run: runs[first + i] as Run });
    }
  }

  /** Marks started runs as ended; a finish whose start is not stored yet waits for it. */
  closeStarts(finishes: readonly RunFinish[]): void {
    for (const finish of finishes) {
      if (this.finishStart.run(finish.endMs, finish.runId).changes === 0) this.keepEarlyFinish.run(finish.runId, finish.endMs);
    }
  }

  finalize(): void {
    for (const statement of [
      this.insertRun,
      this.insertRunGroup,
      this.findRun,
      this.insertReject,
      this.selectCheckpoint,
      this.upsertCheckpoint,
      this.insertJob,
      this.insertStart,
      this.takeEarlyFinish,
      this.finishStart,
      this.keepEarlyFinish,
    ]) {
      statement.finalize();
    }
    this.counters.finalize();
    this.rollups.finalize();
  }
}
