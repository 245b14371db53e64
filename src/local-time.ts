/**
 * Instants as a person reads them: local time of the machine, and how long ago. Pure (the time
 * zone is the process's, which `bun test` sets to UTC).
 */
import { formatDuration } from "./duration.ts";

const pad = (n: number): string => String(n).padStart(2, "0");

function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "14:05" (or "14:05:30") on the day of `nowMs`, "2025-07-29 14:05" on another day. */
export function localTime(ms: number, nowMs: number): string {
  const date = new Date(ms);
  const seconds = date.getSeconds() === 0 ? "" : `:${pad(date.getSeconds())}`;
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}${seconds}`;
  return localDate(date) === localDate(new Date(nowMs)) ? clock : `${localDate(date)} ${clock}`;
}

/** "3 min ago", "2h 5m ago", "just now"; "in 5m" for a future instant. */
export function ago(ms: number, nowMs: number): string {
  const delta = nowMs - ms;
  if (Math.abs(delta) < 60_000) return "just now";
  if (delta < 0) return `in ${formatDuration(-delta)}`;
  if (delta < 3_600_000) return `${Math.floor(delta / 60_000)} min ago`;
  return `${formatDuration(delta)} ago`;
}

/** "14:05 (3 min ago)". */
export function whenText(ms: number, nowMs: number): string {
  return `${localTime(ms, nowMs)} (${ago(ms, nowMs)})`;
}
