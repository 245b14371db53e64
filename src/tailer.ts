/**
 * Following one input file across appends, rotation, truncation and restarts.
 *
 * Every batch of complete lines is committed together with the checkpoint that covers it, so a
 * crash at any moment loses nothing and repeats nothing. How each case is handled:
 * - file absent: wait for it (logged once);
 * - rename rotation / delete: the old descriptor is drained to its end, then the new file is read
 *   from 0; if that happened while the collector was down, the old file is looked up beside the
 *   input by its content up to the checkpoint (src/rotated-file.ts) and drained from there;
 * - copytruncate and truncate-and-regrow: the size fell below the offset or the content before it
 *   changed; the copy (if any, found by content) is drained, then the file is read from 0;
 * - a partial last line is never consumed until its newline arrives.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { oversizedLine, parseChunk } from "./chunk.ts";
import { describeError } from "./errors.ts";
import { checkpointAt, contentMatches, sameFile, statDescriptor, statPath, type FileStat } from "./file-identity.ts";
import type { Logger } from "./logger.ts";
import { openRotatedFile } from "./rotated-file.ts";
import type { Checkpoint } from "./store/checkpoints.ts";
import { CheckpointConflict, type Batch, type CommitResult, type Reject } from "./store/runs.ts";

export interface TailSink {
  checkpoint(source: string): Checkpoint | null;
  commit(batch: Batch, parsedAt: string): CommitResult;
}

export interface TailerOptions {
  readonly source: string;
  readonly maxLineBytes: number;
  readonly chunkBytes?: number;
  readonly log: Logger;
  readonly clock: () => Date;
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
  readonly stat: FileStat;
  /** Display name for log lines. */
  readonly name: string;
}

const LF = 0x0a;
const OVERSIZED_PREFIX_BYTES = 1024;

export function emptyTotals(): PollTotals {
  return { inserted: 0, starts: 0, duplicates: 0, rejected: 0 };
}

export class Tailer {
  private current: OpenFile | null = null;
  /** What the database holds for this source; every commit is checked against it. */
  private committed: Checkpoint | null = null;
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
   * Reads everything that is new now. File problems are logged, database errors thrown.
   * `shouldYield` is asked after each committed batch of the current file: when it says yes, the
   * poll returns early (the next poll resumes at the checkpoint), so a long catch-up does not keep
   * a daemon from handling signals.
   */
  poll(shouldYield: () => boolean = () => false): PollTotals {
    const totals = emptyTotals();
    try {
      this.pollInto(totals, shouldYield);
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

  private pollInto(totals: PollTotals, shouldYield: () => boolean): void {
    const { source, log } = this.options;
    // A rotation needs at most: drain the old file, open the new one. Bounded in case the path flaps.
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = this.current ?? this.openSource(totals);
      if (!file) return;
      let atPath: FileStat | null;
      try {
        atPath = statPath(source);
      } catch {
        atPath = file.stat; // unreadable path but readable descriptor: keep reading what we hold
      }
      if (this.follow(file, totals, shouldYield) === "yielded") return;
      const stat = statDescriptor(file.fd);
      if (atPath && sameFile(atPath, file.stat) && stat.links > 0) return;
      log.info(
        atPath ? `"${source}" was replaced (rotated); reading the new file from its start` : `"${source}" was removed or renamed; waiting for it to appear again`,
      );
      this.close();
    }
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
    if (this.lastProblem) log.info(`Reading "${source}"`);
    this.lastProblem = "";
    const file: OpenFile = { fd, stat: statDescriptor(fd), name: source };
    try {
      this.committed = this.sink.checkpoint(source);
      const saved = this.committed;
      if (saved && saved.offset > 0 && contentMatches(fd, file.stat.size, saved)) {
        log.debug(`Resuming "${source}" at byte ${saved.offset}`);
      } else if (saved && saved.offset > 0) {
        this.drainPredecessor(saved, file.stat, totals);
        this.restartAtZero(file);
      } else if (!saved || !sameFile(saved, file.stat)) {
        this.restartAtZero(file);
      }
    } catch (error) {
      closeSync(fd); // the next poll opens the file again
      throw error;
    }
    this.current = file;
    return file;
  }

  /** Records "this file, from byte 0" so a restart does not look for the old file again. */
  private restartAtZero(file: OpenFile): void {
    this.commit({ runs: [], starts: [], rejects: [], from: this.committed, to: checkpointAt(this.options.source, file.fd, file.stat, 0) });
  }

  private follow(file: OpenFile, totals: PollTotals, shouldYield: () => boolean): "done" | "yielded" {
    const committed = this.committed;
    if (committed && committed.offset > 0) {
      const size = statDescriptor(file.fd).size;
      if (!contentMatches(file.fd, size, committed)) {
        const how = size < committed.offset ? "truncated" : "rewritten";
        this.options.log.warn(`"${file.name}" was ${how}; reading it again from its start`);
        this.drainPredecessor(committed, file.stat, totals);
        this.restartAtZero(file);
      }
    }
    return this.drain(file, totals, shouldYield);
  }

  /** Reads what was appended to the rotated-away file after the checkpoint, if it is still there. */
  private drainPredecessor(saved: Checkpoint, current: FileStat, totals: PollTotals): void {
    const rotated = openRotatedFile(this.options.source, saved, current);
    if (!rotated) return;
    try {
      if (rotated.stat.size <= saved.offset) return;
      const before = totals.inserted + totals.rejected + totals.duplicates;
      this.drain({ fd: rotated.fd, stat: rotated.stat, name: rotated.path }, totals);
      const lines = totals.inserted + totals.rejected + totals.duplicates - before;
      this.options.log.info(`Read ${lines} line(s) appended to "${rotated.path}" before it was rotated`);
    } finally {
      closeSync(rotated.fd);
    }
  }

  private commit(batch: Batch): CommitResult {
    const result = this.sink.commit(batch, this.options.clock().toISOString());
    this.committed = batch.to;
    return result;
  }

  /** Reads complete lines from the checkpoint's offset to the end of the file, one commit per chunk. */
  private drain(file: OpenFile, totals: PollTotals, shouldYield: () => boolean = () => false): "done" | "yielded" {
    const { source, maxLineBytes, log } = this.options;
    const buffer = this.buffer;
    // By construction the committed checkpoint describes the file being drained (see openSource,
    // restartAtZero and drainPredecessor), so reading resumes exactly where the last commit ended.
    let offset = this.committed?.offset ?? 0;
    for (;;) {
      const n = readSync(file.fd, buffer, 0, buffer.length, offset);
      if (n === 0) return "done";
      const parsed = parseChunk(buffer.subarray(0, n), offset);
      let consumed = parsed.consumed;
      let rejects: Reject[] = parsed.rejects;
      let { runs, starts } = parsed;
      if (consumed === 0) {
        if (n < buffer.length) return "done"; // a partial last line: wait for its newline
        const skipped = this.skipOversized(file.fd, offset, buffer.slice(0, OVERSIZED_PREFIX_BYTES));
        if (!skipped) return "done";
        consumed = skipped.consumed;
        rejects = [skipped.reject];
        runs = [];
        starts = [];
        log.warn(`Line at byte ${offset} of "${file.name}" is over max_line_bytes (${maxLineBytes}); quarantined`);
      }
      const to = checkpointAt(source, file.fd, file.stat, offset + consumed);
      const result = this.commit({ runs, starts, rejects, from: this.committed, to });
      totals.inserted += result.inserted;
      totals.starts += result.starts;
      totals.duplicates += result.duplicates;
      totals.rejected += result.rejected;
      log.debug(
        `"${file.name}" bytes ${offset}-${offset + consumed}: ${result.inserted} new, ${result.duplicates} duplicate, ${result.rejected} rejected`,
      );
      offset += consumed;
      if (shouldYield()) return "yielded";
    }
  }

  /** Scans past a line longer than the buffer; null while its newline has not been written yet. */
  private skipOversized(fd: number, start: number, prefix: Uint8Array): { consumed: number; reject: Reject } | null {
    let position = start + this.buffer.length;
    for (;;) {
      const n = readSync(fd, this.buffer, 0, this.buffer.length, position);
      if (n === 0) return null;
      const lf = this.buffer.subarray(0, n).indexOf(LF);
      if (lf >= 0) {
        const length = position + lf - start;
        return { consumed: length + 1, reject: oversizedLine(prefix, length, this.options.maxLineBytes, start) };
      }
      position += n;
    }
  }
}
