/**
 * Strict ISO 8601 date-time parsing for the `ts` field.
 *
 * `new Date(text)` is not used for validation: it rolls `2026-02-30` over to March 2nd and accepts
 * many non-ISO forms. The accepted shapes are the ones real writers produce:
 *   2025-07-29T04:30:00Z              (UTC)
 *   2025-07-29T06:30:00+02:00         (`date -Iseconds`; also +0200 and +02)
 *   2025-07-29T04:30:00.123456Z       (Python isoformat() + "Z"; any number of fraction digits)
 *   2025-07-29T04:30:00               (naive: interpreted in the machine's local time zone)
 * A space may stand for the `T`, and seconds may be omitted. Fractions beyond milliseconds are
 * truncated, since the normalised instant is stored in epoch milliseconds.
 *
 * A leap second (`23:59:60Z`, valid RFC 3339) is accepted when the minute is 59. Epoch
 * milliseconds have no room for it, so it maps to the last millisecond of second 59
 * (`23:59:59.999`): the run stays on its own day and minute, and sorts after every earlier
 * instant and before the next second, as POSIX clocks that repeat or smear the second also do.
 *
 * The parser reads characters by position rather than with a regular expression: it runs once
 * per ingested line, and this way it allocates nothing (bench/ingest.ts).
 */
import { HOUR_MS } from "./time.ts";

export type TimestampResult = { ok: true; epochMs: number } | { ok: false; reason: string };

const ZERO = 48;

/** The value of `count` decimal digits at `start`, or -1 if any is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - ZERO; // NaN past the end of the text
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const notIso = (text: string): TimestampResult => ({ ok: false, reason: `"ts" is not an ISO 8601 date-time: ${JSON.stringify(text)}` });

/** Minutes east of UTC for the zone suffix at `start`, null for none, undefined when malformed. */
function zoneAt(text: string, start: number): { minutes: number | null; valid: boolean; impossible: boolean } {
  const rest = text.length - start;
  if (rest === 0) return { minutes: null, valid: true, impossible: false };
  const sign = text[start];
  if (rest === 1 && (sign === "Z" || sign === "z")) return { minutes: 0, valid: true, impossible: false };
  if (sign !== "+" && sign !== "-") return { minutes: null, valid: false, impossible: false };
  const hours = digitsAt(text, start + 1, 2);
  let minutes = 0;
  if (rest === 6 && text[start + 3] === ":") minutes = digitsAt(text, start + 4, 2);
  else if (rest === 5) minutes = digitsAt(text, start + 3, 2);
  else if (rest !== 3) return { minutes: null, valid: false, impossible: false };
  if (hours < 0 || minutes < 0) return { minutes: null, valid: false, impossible: false };
  const impossible = hours > 23 || minutes > 59;
  return { minutes: (sign === "-" ? -1 : 1) * (hours * 60 + minutes), valid: true, impossible };
}

// Consecutive lines share their date and hour: the validated "YYYY-MM-DDTHH" of the last UTC
// timestamp and the instant that hour starts spare the date checks and Date.UTC for the next ones
// (a memo: the result is the same as without it; bench/ingest.ts: -0.1 s CPU per million lines).
let cachedHour = "";
let cachedHourMs = 0;

/** The instant of "YYYY-MM-DDTHH:MM:SS[.fff]Z" within the cached hour, or -1 for anything else. */
function inCachedHour(text: string): number {
  const { length } = text;
  if (text.charCodeAt(length - 1) !== 90 || text[16] !== ":" || !text.startsWith(cachedHour)) return -1;
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  if (length === 20) return cachedHourMs + minute * 60_000 + second * 1000;
  if (length !== 24 || text[19] !== ".") return -1;
  const millis = digitsAt(text, 20, 3);
  return millis < 0 ? -1 : cachedHourMs + minute * 60_000 + second * 1000 + millis;
}

/** Parses an ISO 8601 date-time; returns the instant in epoch ms or the reason it is not one. */
export function parseTimestamp(text: string): TimestampResult {
  if (cachedHour !== "") {
    const epochMs = inCachedHour(text);
    if (epochMs >= 0) return { ok: true, epochMs };
  }
  const result = parseFully(text);
  if (result.ok && result.epochMs >= 0 && text[10] === "T" && text.length >= 20 && text.charCodeAt(text.length - 1) === 90) {
    cachedHour = text.slice(0, 13);
    cachedHourMs = result.epochMs - (result.epochMs % HOUR_MS);
  }
  return result;
}

function parseFully(text: string): TimestampResult {
  // YYYY-MM-DDTHH:MM, then optionally :SS, a fraction, a zone.
  if (text.length < 16 || text[4] !== "-" || text[7] !== "-" || (text[10] !== "T" && text[10] !== " ") || text[13] !== ":") {
    return notIso(text);
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return notIso(text);
  let position = 16;
  let second = 0;
  let millis = 0;
  if (text[position] === ":") {
    second = digitsAt(text, position + 1, 2);
    if (second < 0) return notIso(text);
    position += 3;
    if (text[position] === "." || text[position] === ",") {
      const start = position + 1;
      position = start;
      while (position < text.length && text.charCodeAt(position) >= ZERO && text.charCodeAt(position) <= ZERO + 9) position++;
      if (position === start) return notIso(text);
      const digits = Math.min(3, position - start);
      millis = digitsAt(text, start, digits) * (digits === 1 ? 100 : digits === 2 ? 10 : 1);
    }
  }
  const zone = zoneAt(text, position);
  if (!zone.valid) return notIso(text);

  const mm = text.slice(5, 7);
  if (month < 1 || month > 12) return { ok: false, reason: `"ts" has month ${mm}, which does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, reason: `"ts" has day ${text.slice(8, 10)}, which does not exist in ${text.slice(0, 4)}-${mm}` };
  }
  if (second === 60 && minute === 59) {
    // a leap second: see the header
    second = 59;
    millis = 999;
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `"ts" has an impossible time of day: ${JSON.stringify(text)}` };
  }
  if (zone.impossible) return { ok: false, reason: `"ts" has an impossible UTC offset "${text.slice(position)}"` };
  if (zone.minutes === null) {
    const local = new Date(year, month - 1, day, hour, minute, second, millis);
    // Date() maps years 0-99 to 19xx; setFullYear restores the literal year.
    if (year < 100) local.setFullYear(year, month - 1, day);
    return { ok: true, epochMs: local.getTime() };
  }
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year < 100) {
    const fixedYear = new Date(utc);
    fixedYear.setUTCFullYear(year, month - 1, day);
    utc = fixedYear.getTime();
  }
  return { ok: true, epochMs: utc - zone.minutes * 60_000 };
}
