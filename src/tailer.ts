/**
 * Following one input file across appends, rotation, truncation and restarts.
 *
 * Every batch of complete lines is committed together with the checkpoint that covers it, so a
 * crash at any moment loses nothing and repeats nothing. How each case is handled:
 * - file absent: wait for it (logged once);
 * - rename rotation / delete: the old descriptor is drained to its end; then every rotated file
 *   from the checkpoint's to the newest is read in order (src/rotation-chain.ts: any number of
 *   rotations, compressed ones too), then the new file from 0;
 * - copytruncate and truncate-and-regrow: the size fell below the offset or the content before it
 *   changed; the copy (found by content) and any newer rotated files are read, then the file from 0;
 * - a partial last line of the input is never consumed until its newline arrives; a rotated file
 *   gets no more bytes, so its unterminated last line is read as a line;
 * - a file that cannot be followed (deleted before it was read to its end, unreadable) is a gap:
 *   a WARN and a quarantine row saying how much may be missing.
 *
 * While the input is read from byte 0 and nothing of it has been committed yet, the checkpoint
 * still names the previous file (a checkpoint at byte 0 has no content to recognise a file by
 * once it is compressed or copied); rotations seen meanwhile make the chain be walked again.
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import type { LineLimits } from "./chunk.ts";
import { CollectorError, describeError } from "./errors.ts";
import { checkpointAt, contentMatches, sameFile, statDescriptor, statPath, type FileStat } from "./file-identity.ts";
import type { Logger } from "./logger.ts";
import { readLineBatch } from "./line-batch.ts";
import { rotationsSignature, type OpenedFile } from "./rotated-file.ts";
import { planChain } from "./rotation-chain.ts";
import { sameCheckpoint, type Checkpoint } from "./store/checkpoints.ts";
import type { Batch, CommitResult } from "./records.ts";
import { CheckpointConflict } from "./store/runs.ts";

export interface TailSink {
  checkpoint(source: string): Checkpoint | null;
  commit(batch: Batch, parsedAt: string): CommitResult;
}

export interface TailerOptions {
  readonly source: string;
  readonly maxLineBytes: number;
  /** config `max_future`; default 1 h. */
  readonly maxFutureMs?: number;
  readonly chunkBytes?: number;
  readonly log: Logger;
  readonly clock: () => Date;
  /**
   * Called at every poll and before every commit; throws when the database file can no longer be
   * written safely (deleted or replaced while running: assertDatabaseFile in src/store/database.ts).
   */
  readonly checkDatabase?: () => void;
  /** Called after each committed batch with its size in bytes, when its lines are garbage (BatchMemory in src/batch-memory.ts). */
  readonly afterBatch?: (bytes: number) => void;
  /** Called when a poll has read the input to its end (not when it stopped early to yield). */
  readonly caughtUp?: () => void;
}

export interface PollTotals {
  inserted: number;
  /** Start markers stored (see RunStart). */
  starts: number;
  duplicates: number;
  rejected: number;
}

interface OpenFile {
  readonly fd: number;
  /** Identity (dev/ino) of the file; for a compressed one, of the compressed file. */
  readonly stat: FileStat;
  /** Display name for log lines. */
  readonly name: string;
  /** Where the next read starts: everything before it is committed. */
  offset: number;
}

const DEFAULT_MAX_FUTURE_MS = 3600_000;

export function emptyTotals(): PollTotals {
  return { inserted: 0, starts: 0, duplicates: 0, rejected: 0 };
}

export class Tailer {
  private current: OpenFile | null = null;
  /** What the database holds for this source; every commit is checked against it. */
  private committed: Checkpoint | null = null;
  /** The committed checkpoint's file was read to its end after it left the path. */
  private committedComplete = false;
  /** The rotated files beside the input when the chain was last walked (see pollInto). */
  private rotations = "";
  private readonly buffer: Uint8Array;
  private lastProblem = "";

  constructor(
    private readonly sink: TailSink,
    private readonly options: TailerOptions,
  ) {
    // A line of up to maxLineBytes plus its LF always fits in one read that starts at the line.
    this.buffer = new Uint8Array(Math.max(options.chunkBytes ?? 1 << 20, options.maxLineBytes + 1));
  }

  /**
   * Reads everything that is new now. File problems are logged, database errors thrown (also a
   * database deleted or replaced: checked at every poll, not only when there is something to commit).
   * `shouldYield` is asked after each committed batch of the current file: when it says yes, the
   * poll returns early (the next poll resumes at the checkpoint), so a long catch-up does not keep
   * a daemon from handling signals.
   */
  poll(shouldYield: () => boolean = () => false): PollTotals {
    const totals = emptyTotals();
    this.options.checkDatabase?.();
    try {
      if (this.pollInto(totals, shouldYield) === "done") this.options.caughtUp?.();
    } catch (error) {
      if (!(error instanceof CheckpointConflict)) throw error;
      this.options.log.warn(`${error.message}; re-reading its checkpoint (is a second collector running?)`);
      this.close();
    }
    return totals;
  }

  close(): void {
    if (this.current) closeSync(this.current.fd);
    this.current = null;
  }

  private pollInto(totals: PollTotals, shouldYield: () => boolean): "done" | "yielded" {
    const { source, log } = this.options;
    // A rotation needs at most: drain the old file, open the new one. Bounded in case the path flaps.
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = this.current ?? this.openSource(totals);
      if (!file) return "done";
      if (file.offset === 0 && this.committed !== null && rotationsSignature(this.options.source) !== this.rotations) {
        // Nothing of this file is committed yet and the rotated files changed (a copytruncate of
        // bytes not read yet, say): walk the chain again from the checkpoint.
        this.close();
        continue;
      }
      let atPath: FileStat | null;
      try {
        atPath = statPath(source);
      } catch {
        atPath = file.stat; // unreadable path but readable descriptor: keep reading what we hold
      }
      if (this.follow(file, totals, shouldYield) === "yielded") return "yielded";
      const stat = statDescriptor(file.fd);
      if (atPath && sameFile(atPath, file.stat) && stat.links > 0) return "done";
      this.committedComplete = true; // read to its end after it left the path
      log.info(
        atPath ? `"${source}" was replaced (rotated); reading the new file from its start` : `"${source}" was removed or renamed; waiting for it to appear again`,
      );
      this.close();
    }
    return "done";
  }

  /** Logs a problem once, not at every poll while it lasts. */
  private reportProblem(problem: string, level: "info" | "warn" = "warn"): void {
    if (problem !== this.lastProblem) this.options.log[level](problem);
    this.lastProblem = problem;
  }

  private openSource(totals: PollTotals): OpenFile | null {
    const { source, log } = this.options;
    let fd: number;
    try {
      fd = openSync(source, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") this.reportProblem(`Waiting for "${source}" to exist`, "info");
      else if (code === "EACCES" || code === "EPERM") {
        this.reportProblem(`Cannot read "${source}": permission denied; retrying at every check`);
      } else this.reportProblem(`Cannot open "${source}": ${describeError(error)}; retrying at every check`);
      return null;
    }
    const file: OpenFile = { fd, stat: statDescriptor(fd), name: source, offset: 0 };
    try {
      if (fstatSync(fd).isDirectory()) {
        throw new CollectorError(`The input "${source}" is a directory (EISDIR): set "input" to the JSONL file the jobs append to`, "config");
      }
      if (this.lastProblem) log.info(`Reading "${source}"`);
      this.lastProblem = "";
      const saved = this.sink.checkpoint(source);
      if (!sameCheckpoint(saved, this.committed)) this.committedComplete = false;
      this.committed = saved;
      this.rotations = rotationsSignature(this.options.source);
      if (saved && saved.offset > 0 && contentMatches(fd, file.stat.size, saved)) {
        log.debug(`Resuming "${source}" at byte ${saved.offset}`);
        file.offset = saved.offset;
      } else if (saved && !(saved.offset === 0 && sameFile(saved, file.stat))) {
        this.drainChain(saved, file.stat, totals);
      }
    } catch (error) {
      closeSync(fd); // the next poll opens the file again
      throw error;
    }
    this.current = file;
    return file;
  }

  private follow(file: OpenFile, totals: PollTotals, shouldYield: () => boolean): "done" | "yielded" {
    const committed = this.committed;
    // Past byte 0 the committed checkpoint describes this file at file.offset (openSource, drain).
    if (committed && file.offset > 0) {
      const size = statDescriptor(file.fd).size;
      if (!contentMatches(file.fd, size, committed)) {
        const how = size < committed.offset ? "truncated" : "rewritten";
        this.options.log.warn(`"${file.name}" was ${how}; reading it again from its start`);
        this.drainChain(committed, file.stat, totals);
        file.offset = 0;
      }
    }
    return this.drain(file, totals, false, shouldYield);
  }

  /**
   * Reads every rotated file from the checkpoint's to the newest, in order, each from where
   * reading stopped; records what cannot be followed as gaps.
   */
  private drainChain(saved: Checkpoint, current: FileStat, totals: PollTotals): void {
    this.rotations = rotationsSignature(this.options.source); // before planning: a rotation from now on is seen at the next poll
    const plan = planChain(this.options.source, saved, current, this.committedComplete);
    try {
      if (plan.gaps.length > 0) {
        for (const gap of plan.gaps) this.options.log.warn(`${gap.reason[0]?.toUpperCase()}${gap.reason.slice(1)}; quarantined as a gap`);
        this.commitBatch({ runs: [], starts: [], rejects: [...plan.gaps], from: this.committed, to: saved }, totals);
      }
      plan.files.forEach((rotated, index) => this.drainRotated(rotated, index === 0 ? plan.firstOffset : 0, totals));
    } finally {
      for (const rotated of plan.files) rotated.close();
    }
  }

  private drainRotated(rotated: OpenedFile, offset: number, totals: PollTotals): void {
    const before = totals.inserted + totals.rejected + totals.duplicates;
    this.drain({ fd: rotated.fd, stat: rotated.stat, name: rotated.path, offset }, totals, true);
    this.committedComplete = true;
    const lines = totals.inserted + totals.rejected + totals.duplicates - before;
    if (lines > 0) this.options.log.info(`Read ${lines} line(s) from the rotated file "${rotated.path}"`);
  }

  private commitBatch(batch: Batch, totals: PollTotals): CommitResult {
    this.options.checkDatabase?.();
    const result = this.sink.commit(batch, this.options.clock().toISOString());
    this.committed = batch.to;
    totals.inserted += result.inserted;
    totals.starts += result.starts;
    totals.duplicates += result.duplicates;
    totals.rejected += result.rejected;
    return result;
  }

  private limits(): LineLimits {
    return { maxLineBytes: this.options.maxLineBytes, future: { nowMs: this.options.clock().getTime(), maxFutureMs: this.options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS } };
  }

  /**
   * Reads complete lines from file.offset to the end of the file, one commit per chunk. `final`:
   * the file gets no more bytes (rotated away), so an unterminated last line is read as a line.
   */
  private drain(file: OpenFile, totals: PollTotals, final: boolean, shouldYield: () => boolean = () => false): "done" | "yielded" {
    const { maxLineBytes, log } = this.options;
    for (;;) {
      const offset = file.offset;
      const batch = readLineBatch(file.fd, offset, this.buffer, this.limits(), final);
      if (!batch) return "done";
      if (batch.oversized) log.warn(`Line at byte ${offset} of "${file.name}" is over max_line_bytes (${maxLineBytes}); quarantined`);
      const to = checkpointAt(this.options.source, file.fd, file.stat, offset + batch.consumed);
      const result = this.commitBatch({ runs: batch.runs, starts: batch.starts, rejects: batch.rejects, from: this.committed, to }, totals);
      file.offset = offset + batch.consumed;
      this.committedComplete = final;
      this.options.afterBatch?.(batch.consumed);
      log.debug(
        `"${file.name}" bytes ${offset}-${file.offset}: ${result.inserted} new, ${result.duplicates} duplicate, ${result.rejected} rejected`,
      );
      if (shouldYield()) return "yielded";
    }
  }
}
