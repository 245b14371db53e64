/**
 * Instants as a person reads them: local time of the machine, and how long ago. Pure (the time
 * zone is the process's, which `bun test` sets to UTC).
 */
import { formatDuration } from "./duration.ts";
import { HOUR_MS } from "./time.ts";

const pad = (n: number): string => String(n).padStart(2, "0");

function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * Whether a message shows seconds: when the job's schedule repeats in under an hour, or, for a
 * job without a schedule, when the instant is under an hour from now. One message decides once,
 * so it never mixes "04:00:10" with "04:00".
 */
export function secondsMatter(periodMs: number | null, ms: number, nowMs: number): boolean {
  return (periodMs ?? Math.abs(nowMs - ms)) < HOUR_MS;
}

/**
 * "14:05:30" (with `seconds`) or "14:05" (without: the seconds are cut, never rounded) on the day
 * of `nowMs`; "2025-07-29 14:05" on another day.
 */
export function localTime(ms: number, nowMs: number, seconds: boolean): string {
  const date = new Date(ms);
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}${seconds ? `:${pad(date.getSeconds())}` : ""}`;
  return localDate(date) === localDate(new Date(nowMs)) ? clock : `${localDate(date)} ${clock}`;
}

/**
 * "24 s ago", "3 min ago", "2h 5m ago", "in 5m"; "just now" only within a second. `nowMs` is the
 * instant the text is written for: an alert's creation time, which is also the time it states.
 */
export function ago(ms: number, nowMs: number): string {
  const delta = nowMs - ms;
  if (Math.abs(delta) < 1000) return "just now";
  if (delta < 0) return `in ${formatDuration(-delta)}`;
  if (delta < 60_000) return `${Math.floor(delta / 1000)} s ago`;
  if (delta < HOUR_MS) return `${Math.floor(delta / 60_000)} min ago`;
  return `${formatDuration(delta)} ago`;
}

/** "14:05 (3 min ago)". */
export function whenText(ms: number, nowMs: number, seconds: boolean): string {
  return `${localTime(ms, nowMs, seconds)} (${ago(ms, nowMs)})`;
}
