/**
 * Field checkers for config.yaml: each turns a YAML value (unknown) into a typed value or says
 * what was expected. Pure.
 */
import { formatDuration, parseDuration } from "../duration.ts";

/** A wrong value is either of the wrong kind, or of the right kind outside the allowed range. */
export type Checked<T> = { ok: true; value: T } | { ok: false; expected: string; outOfRange?: true };

export type Checker<T> = (value: unknown) => Checked<T>;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(expected: string): Checked<T> => ({ ok: false, expected });
const outOfRange = <T>(expected: string): Checked<T> => ({ ok: false, expected, outOfRange: true });

export function describeValue(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

export const text: Checker<string> = (value) =>
  typeof value === "string" && value.trim() !== "" ? ok(value) : fail("a non-empty string");

export const optionalText: Checker<string | null> = (value) =>
  value === null || value === "" ? ok(null) : typeof value === "string" ? ok(value) : fail("a string");

/** A sound name as macOS lists them (Basso, Funk, …): plain words, since it is passed as a value. */
export const soundName: Checker<string> = (value) =>
  typeof value === "string" && /^[A-Za-z0-9][A-Za-z0-9 _.-]*$/.test(value)
    ? ok(value)
    : fail("a sound name such as Basso, Funk, Glass or Submarine");

export const flag: Checker<boolean> = (value) => (typeof value === "boolean" ? ok(value) : fail("true or false"));

export function integer(min: number, max: number): Checker<number> {
  return (value) => {
    const expected = `a whole number from ${min} to ${max}`;
    if (typeof value !== "number" || !Number.isInteger(value)) return fail(expected);
    return value >= min && value <= max ? ok(value) : outOfRange(expected);
  };
}

/** "100ms", "30s", "1d": how a range bound is shown. */
function showDuration(ms: number): string {
  return ms === 0 ? "0s" : formatDuration(ms);
}

/**
 * A duration in ms: a number of seconds (`30`, also written as the string "30", since the flag
 * and a quoted YAML value arrive as text) or a number with a unit (`30s`, `5m`, `250ms`).
 */
export function duration(minMs: number, maxMs: number, unitHint = "a duration such as 30s, 5m or 1h"): Checker<number> {
  return (value) => {
    const seconds = typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    const ms = parseDuration(seconds);
    if (ms === undefined) return fail(unitHint);
    if (ms < minMs || ms > maxMs) return outOfRange(`${unitHint}, from ${showDuration(minMs)} to ${showDuration(maxMs)}`);
    return ok(ms);
  };
}

/** check_interval and --check-interval: one parser for both. */
export const checkInterval: Checker<number> = duration(100, 86_400_000, "a number of seconds or a duration such as 30s");

export function oneOf<const T extends string>(values: readonly T[]): Checker<T> {
  return (value) =>
    typeof value === "string" && (values as readonly string[]).includes(value)
      ? ok(value as T)
      : fail(`one of ${values.join(", ")}`);
}

export const textList: Checker<string[]> = (value) =>
  Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string" && item !== "")
    ? ok(value as string[])
    : fail("a non-empty list of strings, e.g. [\"/usr/local/bin/ntfy\", \"publish\", \"mytopic\"]");

/** Edit distance, for "did you mean …?" on unknown keys. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
