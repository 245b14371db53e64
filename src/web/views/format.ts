/** Numbers and instants as the pages show them. Pure; `nowMs` is passed in. */
import { formatDuration } from "../../duration.ts";

export function relativeTime(iso: string | null, nowMs: number): string {
  if (iso === null) return "never";
  const diff = nowMs - Date.parse(iso);
  const ahead = diff < 0;
  const seconds = Math.abs(diff) / 1000;
  if (seconds < 1) return "now";
  let text: string;
  if (seconds < 45) text = `${Math.round(seconds)} s`;
  else if (seconds < 5400) text = `${Math.round(seconds / 60)} min`;
  else if (seconds < 36 * 3600) text = `${Math.round(seconds / 3600)} h`;
  else text = `${Math.round(seconds / 86400)} d`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** "2025-07-29 14:05:03 UTC": exact, for titles and the run log. */
export function exactTime(iso: string | number | null): string {
  if (iso === null) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function durationText(ms: number | null): string {
  return ms === null ? "–" : formatDuration(ms);
}

export function percent(rate: number | null): string {
  if (rate === null) return "–";
  return rate >= 99.95 || rate === 0 ? `${Math.round(rate)}%` : `${rate.toFixed(1)}%`;
}
