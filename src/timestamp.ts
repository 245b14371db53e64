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
 */
export type TimestampResult = { ok: true; epochMs: number } | { ok: false; reason: string };

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function offsetMinutes(zone: string): number | undefined {
  if (zone === "Z" || zone === "z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** Parses an ISO 8601 date-time; returns the instant in epoch ms or the reason it is not one. */
export function parseTimestamp(text: string): TimestampResult {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) {
    return { ok: false, reason: `"ts" is not an ISO 8601 date-time: ${JSON.stringify(text)}` };
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12) return { ok: false, reason: `"ts" has month ${mo}, which does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, reason: `"ts" has day ${d}, which does not exist in ${y}-${mo}` };
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `"ts" has an impossible time of day: ${JSON.stringify(text)}` };
  }
  if (zone === undefined) {
    const local = new Date(year, month - 1, day, hour, minute, second, millis);
    // Date() maps years 0-99 to 19xx; setFullYear restores the literal year.
    if (year < 100) local.setFullYear(year, month - 1, day);
    return { ok: true, epochMs: local.getTime() };
  }
  const offset = offsetMinutes(zone);
  if (offset === undefined) return { ok: false, reason: `"ts" has an impossible UTC offset "${zone}"` };
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year < 100) {
    const fixedYear = new Date(utc);
    fixedYear.setUTCFullYear(year, month - 1, day);
    utc = fixedYear.getTime();
  }
  return { ok: true, epochMs: utc - offset * 60_000 };
}
