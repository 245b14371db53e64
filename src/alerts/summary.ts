/**
 * One notification standing for many alerts that were not sent one by one. Pure: it receives
 * a digest the store aggregated in SQL (counts per kind, the newest problem, jobs up again), never
 * the alerts themselves, so a backlog of any size costs the same.
 */
import { localTime, secondsMatter, whenText } from "../local-time.ts";
import { UP_AGAIN_SHOWN, type AlertKind, type AlertText, type FoldDigest } from "../records.ts";
import { groupFor, oneLine } from "./format.ts";

/** Why alerts were folded; each reason has its own wording. */
export type FoldReason = "backlog" | "expired" | "outage" | "burst";


const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function countWords(kind: AlertKind, n: number): string {
  switch (kind) {
    case "failure":
      return plural(n, "failure", "failures");
    case "late":
      return plural(n, "late job", "late jobs");
    case "long":
      return plural(n, "overlong run", "overlong runs");
    case "recovery":
      return plural(n, "recovery", "recoveries");
    case "summary":
      return plural(n, "summary", "summaries");
    case "test":
      return plural(n, "test", "tests");
    case "unreadable":
      return plural(n, "unreadable-lines notice", "unreadable-lines notices");
    default:
      return kind satisfies never;
  }
}

function problemNoun(kind: AlertKind): string {
  switch (kind) {
    case "failure":
      return "last failure";
    case "late":
      return "last late job";
    case "long":
      return "last overlong run";
    case "recovery":
    case "summary":
    case "test":
    case "unreadable":
      return "last";
    default:
      return kind satisfies never;
  }
}

const KIND_ORDER: readonly AlertKind[] = ["failure", "late", "long", "unreadable", "recovery", "summary", "test"];

export function foldWhy(reason: FoldReason, backend: string): string {
  switch (reason) {
    case "backlog":
      // A backfill, a first import or a restart after downtime: the runs were old when read.
      return "older than notify.max_age when read";
    case "expired":
      return "not delivered within notify.max_age";
    case "outage":
      return `held back while ${backend} was failing`;
    case "burst":
      return "in a burst";
    default:
      return reason satisfies never;
  }
}

/** "3 failures, 2 late jobs, 1 recovery" in a fixed order; kinds with no events are left out. */
export function describeCounts(counts: FoldDigest["counts"]): string {
  const parts = KIND_ORDER.flatMap((kind) => {
    const n = counts.filter((entry) => entry.kind === kind).reduce((sum, entry) => sum + entry.count, 0);
    return n > 0 ? [countWords(kind, n)] : [];
  });
  return parts.length > 0 ? parts.join(", ") : "0 alerts";
}

/** How many failures the digest stands for (the `covers` of the summary row). */
export function failuresIn(digest: Pick<FoldDigest, "counts">): number {
  return digest.counts.reduce((sum, entry) => sum + (entry.kind === "failure" ? entry.count : 0), 0);
}

function titleFor(digest: FoldDigest): string {
  const has = (kind: AlertKind): boolean => digest.counts.some((entry) => entry.kind === kind && entry.count > 0);
  if (has("failure")) return "🚨 Cron Job Failures";
  if (has("late") || has("long")) return "⏰ Cron Jobs Need Attention";
  if (has("recovery")) return "✅ Cron Jobs Recovered";
  return "🚨 Cron Job Alerts";
}

/** A stored alert row, with what a gathered one counts (see src/alerts/gather.ts). */
export interface CountedAlert extends AlertText {
  readonly covers: number;
  readonly firstEventMs: number | null;
}

/**
 * What a notification for an outbox row says. A gathered row counting more than one alert says how
 * many of its job, between when and when, then the newest one's message: "240 failures from
 * 18:53:00 to 19:52:59 (3 s ago); last: Exit code 1: …" (the job is in the title or subtitle, as
 * for one alert). Both times show seconds when the first is under an hour ago.
 */
export function notificationText(alert: CountedAlert, nowMs: number): AlertText {
  const { covers, firstEventMs, ...text } = alert;
  if (firstEventMs === null || covers <= 1) return text;
  const seconds = secondsMatter(null, firstEventMs, nowMs);
  const span = `from ${localTime(firstEventMs, nowMs, seconds)} to ${whenText(alert.eventMs, nowMs, seconds)}`;
  return { ...text, message: oneLine(`${countWords(alert.kind, covers)} ${span}; last: ${alert.message}`) };
}

/** The summary's text, e.g. "3 failures, 1 recovery in a burst; last failure: backup at …; up again: web". */
export function summaryAlert(digest: FoldDigest, reason: FoldReason, backend: string, sound: string): AlertText {
  const last = digest.lastProblem;
  const lastText = last ? `; ${problemNoun(last.kind)}: ${last.job} at ${new Date(last.eventMs).toISOString()}, ${last.message}` : "";
  const shown = digest.upAgain.slice(0, UP_AGAIN_SHOWN);
  const more = digest.upAgain.length > UP_AGAIN_SHOWN ? ", …" : "";
  const upText = shown.length > 0 ? `; up again: ${shown.join(", ")}${more}` : "";
  return {
    kind: "summary",
    title: titleFor(digest),
    subtitle: null,
    message: oneLine(`${describeCounts(digest.counts)} ${foldWhy(reason, backend)}${lastText}${upText}`),
    sound: last ? sound : null,
    groupId: groupFor("summary"),
    job: last?.job ?? "",
    exitCode: last?.exitCode ?? null,
    eventMs: last?.eventMs ?? digest.newestMs,
  };
}
