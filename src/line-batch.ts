/**
 * Reading the next batch of complete lines from a file descriptor at an offset: one buffer's worth,
 * parsed. Positioned reads only (no shared file position), so the same descriptor can be re-read.
 *
 * - A last line without its LF is left for a later read, unless the file is `final` (rotated away:
 *   it gets no more bytes), where it is read as a line so that nothing is silently dropped.
 * - A line longer than the buffer is scanned past in buffer-sized reads and quarantined with its
 *   first kilobyte: memory stays bounded by the buffer whatever the line's length.
 */
import { readSync } from "node:fs";
import { OVERSIZED_PREFIX_BYTES, oversizedLine, parseChunk, type LineLimits, type ParsedChunk } from "./chunk.ts";
import type { Reject } from "./records.ts";

const LF = 0x0a;

export interface LineBatch extends ParsedChunk {
  /** The batch is one line over the buffer's size, quarantined (the caller logs it). */
  readonly oversized: boolean;
}

/** Scans past a line longer than the buffer; null while its newline has not been written yet. */
function skipOversized(fd: number, start: number, buffer: Uint8Array, limits: LineLimits, final: boolean): { consumed: number; reject: Reject } | null {
  const prefix = buffer.slice(0, OVERSIZED_PREFIX_BYTES);
  let position = start + buffer.length;
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, position);
    const lf = buffer.subarray(0, n).indexOf(LF);
    if (n === 0 && !final) return null;
    if (n === 0 || lf >= 0) {
      const length = n === 0 ? position - start : position + lf - start;
      return { consumed: n === 0 ? length : length + 1, reject: oversizedLine(prefix, length, limits.maxLineBytes, start) };
    }
    position += n;
  }
}

/**
 * The complete lines from `offset` on, as much as `buffer` holds; null when there is nothing to
 * consume yet (end of file, or only a partial last line).
 */
export function readLineBatch(fd: number, offset: number, buffer: Uint8Array, limits: LineLimits, final: boolean): LineBatch | null {
  const n = readSync(fd, buffer, 0, buffer.length, offset);
  if (n === 0) return null;
  const parsed = parseChunk(buffer.subarray(0, n), offset, limits);
  if (parsed.consumed > 0) return { ...parsed, oversized: false };
  if (n < buffer.length) {
    if (!final) return null; // a partial last line: wait for its newline
    const line = new Uint8Array(n + 1);
    line.set(buffer.subarray(0, n));
    line[n] = LF;
    return { ...parseChunk(line, offset, limits), consumed: n, oversized: false };
  }
  const skipped = skipOversized(fd, offset, buffer, limits, final);
  if (!skipped) return null;
  return { runs: [], starts: [], rejects: [skipped.reject], consumed: skipped.consumed, oversized: true };
}
