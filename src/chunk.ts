/**
 * Turning one chunk of bytes into parsed lines. Pure: the caller does the reading.
 *
 * Lines are split on the LF byte, which never occurs inside a multi-byte UTF-8 sequence, so each
 * complete line decodes on its own; invalid bytes become U+FFFD rather than an error. Only complete
 * lines are consumed: a trailing fragment is left for the next read, which starts at its first byte.
 */
import { describeError } from "./errors.ts";
import { parseLine, type FutureLimit } from "./line.ts";
import type { Reject, Run, RunStart } from "./records.ts";

/** What a line is checked against besides its own content. */
export interface LineLimits {
  /** Longer lines (in bytes, without the LF) are quarantined, whatever the chunk size. */
  readonly maxLineBytes: number;
  readonly future: FutureLimit | null;
}

const NO_LIMITS: LineLimits = { maxLineBytes: Infinity, future: null };
/** How much of an oversized line its reject keeps. */
export const OVERSIZED_PREFIX_BYTES = 1024;

export interface ParsedChunk {
  readonly runs: Run[];
  readonly starts: RunStart[];
  readonly rejects: Reject[];
  /** Bytes consumed from the start of the chunk: up to and including the last LF (0 if none). */
  readonly consumed: number;
}

const LF = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Stable id of a line's bytes, used to recognise a reject seen before. */
export function hashBytes(bytes: Uint8Array): string {
  return Bun.hash.xxHash64(bytes).toString(16);
}

/** The stored form of a rejected line: NUL bytes made visible, since many SQLite tools cut text at NUL. */
function rawText(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "\\u0000") : text;
}

/**
 * Whatever throws while handling one line (JSON.stringify of very deep nesting hits "Maximum call
 * stack size exceeded") quarantines that line: no single line may stop ingestion.
 */
function parseOneLine(text: string, limits: LineLimits): ReturnType<typeof parseLine> {
  try {
    return parseLine(text, limits.future);
  } catch (error) {
    return { kind: "reject", reason: `the line could not be handled: ${describeError(error)}` };
  }
}

/** The line is `chunk[from, end)`; its byte view is only made for rejects (no closure per line). */
function addLine(out: ParsedChunk, text: string, chunk: Uint8Array, from: number, end: number, offset: number, limits: LineLimits): void {
  const byteLength = end - from;
  if (byteLength > limits.maxLineBytes) {
    out.rejects.push(oversizedLine(chunk.subarray(from, from + Math.min(byteLength, OVERSIZED_PREFIX_BYTES)), byteLength, limits.maxLineBytes, offset));
    return;
  }
  const result = parseOneLine(text, limits);
  switch (result.kind) {
    case "run":
      out.runs.push(result.run);
      return;
    case "reject":
      out.rejects.push({ offset, raw: rawText(text), reason: result.reason, hash: hashBytes(chunk.subarray(from, end)), futureMs: result.futureMs ?? 0 });
      return;
    case "start":
      out.starts.push(result.start);
      return;
    case "blank":
      return;
    default:
      result satisfies never;
  }
}

/**
 * Parses the complete lines in `chunk`, whose first byte sits at `baseOffset` in the file.
 * Rejects carry their absolute byte offset.
 */
export function parseChunk(chunk: Uint8Array, baseOffset: number, limits: LineLimits = NO_LIMITS): ParsedChunk {
  const lastLf = chunk.lastIndexOf(LF);
  const out: ParsedChunk = { runs: [], starts: [], rejects: [], consumed: lastLf + 1 };
  if (lastLf < 0) return out;

  const text = decoder.decode(chunk.subarray(0, lastLf));
  if (text.length === lastLf) {
    // Plain ASCII (the common case): character and byte positions coincide, so one decode serves all.
    let start = 0;
    while (start <= lastLf) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = lastLf;
      addLine(out, text.slice(start, end), chunk, start, end, baseOffset + start, limits);
      start = end + 1;
    }
    return out;
  }
  let start = 0;
  while (start <= lastLf) {
    const end = chunk.indexOf(LF, start);
    addLine(out, decoder.decode(chunk.subarray(start, end)), chunk, start, end, baseOffset + start, limits);
    start = end + 1;
  }
  return out;
}

/** A reject for a line longer than the limit; only its first bytes are kept. */
export function oversizedLine(prefix: Uint8Array, length: number, limit: number, offset: number): Reject {
  return {
    offset,
    raw: `${rawText(decoder.decode(prefix))}…`,
    reason: `line is ${length} bytes, longer than max_line_bytes (${limit})`,
    hash: `${hashBytes(prefix)}:${length}`,
  };
}
