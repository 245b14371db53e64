/**
 * Parsing one JSONL line into a run, or into the reason it cannot be one. Pure: no I/O, no clock.
 *
 * Decisions (also in the README):
 * - A line without `msg` (or with `"msg": null`) is a run with an empty message: the exit code is
 *   what matters, and rejecting the line would lose the alert for a failed run.
 * - `exit` is a JSON integer or a string of digits (`"1"`). JSON cannot tell `1.0` from `1`, so
 *   `1.0` counts as the integer 1; `1.5`, booleans and other strings are rejected.
 * - Fields other than the known ones are kept, as a JSON object in the `extra` column (all of
 *   them, `__proto__` too).
 * - A `ts` more than `max_future` ahead of the collector's clock is rejected: taken as the job's
 *   last run it would silence missed-run checks until that date. Runs dated in the future within
 *   `max_future` (clock skew between hosts) are stored; the status function and the windows only
 *   count runs at or before "now", so such a run counts once its time has come.
 */
import { formatDuration } from "./duration.ts";
import type { Run, RunStart } from "./records.ts";
import { parseTimestamp } from "./timestamp.ts";

export type { Run, RunStart } from "./records.ts";

export type LineResult =
  | { readonly kind: "run"; readonly run: Run }
  | { readonly kind: "start"; readonly start: RunStart }
  | { readonly kind: "reject"; readonly reason: string; readonly futureMs?: number }
  | { readonly kind: "blank" };

/** The collector's clock and how far ahead of it a `ts` may be; null: no limit (tests, tools). */
export interface FutureLimit {
  readonly nowMs: number;
  readonly maxFutureMs: number;
}

/**
 * Deeper JSON makes JSON.stringify overflow the stack (from about 30,000 levels), which also
 * takes half a second to unwind; no cron line nests like that. Only lines longer than
 * NESTING_CHECK_BYTES are scanned: a shorter one cannot nest deep enough to matter.
 */
const MAX_NESTING = 1000;
const NESTING_CHECK_BYTES = 16 * 1024;

/** True when arrays/objects in `line` nest deeper than MAX_NESTING (brackets in strings ignored). */
function nestedTooDeep(line: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The fields a run's columns hold; a switch, not a Set: it runs for every field of every line. */
function isKnownField(key: string): boolean {
  switch (key) {
    case "ts":
    case "exit":
    case "msg":
    case "job":
    case "duration_ms":
    case "host":
      return true;
    default:
      return false;
  }
}
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function reject(reason: string): LineResult {
  return { kind: "reject", reason };
}

function parseExit(value: unknown): number | string {
  let exit: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return `"exit" must be an integer, got ${value}`;
    exit = value;
  } else if (typeof value === "string" && /^-?\d{1,10}$/.test(value)) {
    exit = Number(value);
  } else if (value === undefined) {
    return `"exit" is missing`;
  } else {
    return `"exit" must be an integer, got ${JSON.stringify(value)}`;
  }
  if (exit < INT32_MIN || exit > INT32_MAX) return `"exit" is out of range: ${exit}`;
  return exit;
}

function optionalString(record: Record<string, unknown>, key: string): string | null | Error {
  const value = record[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return new Error(`"${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function extraFields(record: Record<string, unknown>): string | null {
  let extra: Record<string, unknown> | null = null;
  // for…in rather than Object.keys: no array per line (JSON.parse objects inherit no enumerable keys).
  for (const key in record) {
    if (isKnownField(key)) continue;
    // No prototype, so a "__proto__" key is stored as a field instead of setting the prototype.
    extra ??= Object.create(null) as Record<string, unknown>;
    extra[key] = record[key];
  }
  return extra === null ? null : JSON.stringify(extra);
}

function parseStart(record: Record<string, unknown>, ts: string, epochMs: number): LineResult {
  if (typeof record.run_id !== "string" || record.run_id === "") return reject(`a start marker needs a "run_id" string`);
  const job = optionalString(record, "job");
  if (job instanceof Error) return reject(job.message);
  const host = optionalString(record, "host");
  if (host instanceof Error) return reject(host.message);
  return { kind: "start", start: { ts, epochMs, runId: record.run_id, job: job === "" ? null : job, host } };
}

/**
 * A string field kept in a run's `extra` JSON (`output_tail`, `run_id`), or null. The text test
 * first spares a JSON.parse for the runs that do not carry it.
 */
export function extraString(extra: string | null | undefined, key: string): string | null {
  if (!extra || !extra.includes(`"${key}"`)) return null;
  try {
    const value = (JSON.parse(extra) as Record<string, unknown>)[key];
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** Strips what writers add around a line: a UTF-8 byte order mark, a CR before the LF. */
export function cleanLine(text: string): string {
  let line = text;
  if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  if (line.endsWith("\r")) line = line.slice(0, -1);
  return line;
}

// max_future as text, for the limit last formatted: a file of future lines rejects them by the
// hundred thousand, all with the same limit (bench/ingest.ts, future case).
let maxFutureMsShown = Number.NaN;
let maxFutureText = "";

function tooFarAhead(ts: string, epochMs: number, limit: FutureLimit | null): string | null {
  if (limit === null || epochMs - limit.nowMs <= limit.maxFutureMs) return null;
  if (limit.maxFutureMs !== maxFutureMsShown) {
    maxFutureText = formatDuration(limit.maxFutureMs);
    maxFutureMsShown = limit.maxFutureMs;
  }
  return `"ts" ${JSON.stringify(ts)} is more than max_future (${maxFutureText}) ahead of the collector's clock`;
}

/**
 * Parses one line (without its newline). Expected bad input is a reject; a pathological value can
 * still make a built-in throw (JSON.stringify of very deep nesting): parseChunk catches that.
 */
export function parseLine(text: string, limit: FutureLimit | null = null): LineResult {
  // A line that starts with "{" and ends with "}" (nearly all) has no BOM, CR or blank to strip.
  const plainObject = text.charCodeAt(0) === 0x7b && text.charCodeAt(text.length - 1) === 0x7d;
  const line = plainObject ? text : cleanLine(text);
  if (!plainObject && line.trim() === "") return { kind: "blank" };
  if (line.length > NESTING_CHECK_BYTES && nestedTooDeep(line)) return reject(`nested deeper than ${MAX_NESTING} levels`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return reject("not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return reject("not a JSON object");
  }
  const record = value as Record<string, unknown>;

  if (record.ts === undefined) return reject(`"ts" is missing`);
  if (typeof record.ts !== "string") return reject(`"ts" must be a string, got ${JSON.stringify(record.ts)}`);
  const time = parseTimestamp(record.ts);
  if (!time.ok) return reject(time.reason);
  const future = tooFarAhead(record.ts, time.epochMs, limit);
  if (future !== null) return { kind: "reject", reason: future, futureMs: time.epochMs };

  if (record.event === "start") return parseStart(record, record.ts, time.epochMs);
  if (record.event !== undefined && record.event !== "finish") {
    return reject(`"event" must be "start" or "finish", got ${JSON.stringify(record.event)}`);
  }

  const exit = parseExit(record.exit);
  if (typeof exit === "string") return reject(exit);

  const msg = optionalString(record, "msg");
  if (msg instanceof Error) return reject(msg.message);
  const job = optionalString(record, "job");
  if (job instanceof Error) return reject(job.message);
  const host = optionalString(record, "host");
  if (host instanceof Error) return reject(host.message);

  let durationMs: number | null = null;
  if (record.duration_ms !== undefined && record.duration_ms !== null) {
    const duration = record.duration_ms;
    if (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0) {
      return reject(`"duration_ms" must be a non-negative number, got ${JSON.stringify(duration)}`);
    }
    durationMs = duration;
  }

  return {
    kind: "run",
    run: {
      ts: record.ts,
      epochMs: time.epochMs,
      exit,
      msg: msg ?? "",
      job: job === "" ? null : job,
      durationMs,
      host,
      extra: extraFields(record),
    },
  };
}
