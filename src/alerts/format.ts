/**
 * What an alert says: titles, one-line messages, sounds and banner groups. Pure.
 * The job's name is in the title (or the subtitle), never repeated in the message; instants are in
 * the machine's local time with how long ago they were ("14:05 (3 min ago)").
 */
import type { NotifyConfig } from "../config/config.ts";
import { basename } from "node:path";
import { formatDuration } from "../duration.ts";
import { localTime, whenText } from "../local-time.ts";
import { extraString } from "../line.ts";
import type { AlertText, Run } from "../records.ts";
import { summarizeOutput } from "../runner/output-tail.ts";

export type { AlertKind, AlertText } from "../records.ts";

/** Long enough for a sentence, short enough for a banner. */
export const MESSAGE_MAX_CHARS = 200;

export function oneLine(text: string, max = MESSAGE_MAX_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function soundFor(exit: number, notify: Pick<NotifyConfig, "sound" | "sounds">): string {
  const rule = notify.sounds.find((candidate) => exit >= candidate.first && exit <= candidate.last);
  return rule?.sound ?? notify.sound;
}

export function groupFor(job: string): string {
  return `cron-collector.${job}`;
}

/** What a failure alert says of its run (`job` as written in the line; `extra` carries `output_tail`). */
export type FailedRun = Pick<Run, "ts" | "epochMs" | "exit" | "msg" | "job"> & { readonly extra?: string | null };

/** The `output_tail` field of a run's extra JSON, or null. */
export function outputTail(extra: string | null | undefined): string | null {
  return extraString(extra, "output_tail");
}

export function failureAlert(run: FailedRun, job: string, notify: Pick<NotifyConfig, "sound" | "sounds">): AlertText {
  const tail = run.msg.trim() === "" ? outputTail(run.extra) : null;
  const detail = run.msg.trim() !== "" ? run.msg : tail ? summarizeOutput(tail, run.exit) : "(no message)";
  return {
    kind: "failure",
    title: "🚨 Cron Job Failed",
    subtitle: run.job,
    message: oneLine(`Exit code ${run.exit}: ${detail}`),
    sound: soundFor(run.exit, notify),
    groupId: groupFor(job),
    job,
    exitCode: run.exit,
    eventMs: run.epochMs,
  };
}

/** A failure streak that alerted has ended with a success. */
export function recoveryAlert(job: string, failures: number, eventMs: number): AlertText {
  return {
    kind: "recovery",
    title: `✅ Cron job recovered: ${job}`,
    subtitle: null,
    message: `Succeeded again after ${failures} failed run${failures === 1 ? "" : "s"}`,
    sound: null,
    groupId: groupFor(job),
    job,
    exitCode: 0,
    eventMs,
  };
}

/** What a state alert needs to know about the job's schedule and history. */
export interface StateAlertFacts {
  readonly job: string;
  readonly nowMs: number;
  /** When the job entered the state (late: its deadline; too_long: start + max_duration). */
  readonly sinceMs: number;
  readonly expectedMs: number | null;
  readonly graceMs: number;
  readonly lastActivityMs: number | null;
  readonly openStartMs: number | null;
  readonly maxDurationMs: number | null;
  readonly sound: string;
  /** A repeat under remind_every. */
  readonly reminder: boolean;
  /** Whether times show seconds (the schedule repeats in under an hour; see local-time.ts). */
  readonly seconds: boolean;
  /**
   * Set when the job became late while nobody watched (or during a pause): what the alert is for
   * is the first run expected after watching resumed, which it missed too.
   */
  readonly missedAfterResume: { readonly expectedMs: number; readonly cause: ResumeCause } | null;
}

/** Why watching a job resumed: the collector's first start, a restart or wake-up after a gap, a pause's end. */
export type ResumeCause = "first_start" | "restart" | "pause_end";

function resumeText(cause: ResumeCause): string {
  switch (cause) {
    case "first_start":
      return "after the collector started watching";
    case "restart":
      return "after the collector restarted (or the machine woke up)";
    case "pause_end":
      return "after its pause ended";
    default:
      return cause satisfies never;
  }
}

/** A scheduled run that did not happen by its deadline (expected time + grace). */
export function lateAlert(facts: StateAlertFacts): AlertText {
  const { job, nowMs, seconds } = facts;
  const last = facts.lastActivityMs === null ? "no run seen yet" : `last ran ${whenText(facts.lastActivityMs, nowMs, seconds)}`;
  const grace = facts.graceMs > 0 ? ` + ${formatDuration(facts.graceMs)} grace` : "";
  const missed = facts.missedAfterResume;
  // After a gap the deadline that was missed is the first one after watching resumed, not the
  // older one the job passed while nobody watched: the text names the one that raised the alert.
  const expected = missed
    ? `Missed its run expected at ${localTime(missed.expectedMs, nowMs, seconds)}${grace} ${resumeText(missed.cause)}; late since ${localTime(facts.sinceMs, nowMs, seconds)}; `
    : facts.expectedMs === null
      ? ""
      : `Expected at ${localTime(facts.expectedMs, nowMs, seconds)}${grace}; `;
  return {
    kind: "late",
    title: `⏰ Cron job ${facts.reminder ? "still late" : "late"}: ${job}`,
    subtitle: null,
    message: oneLine(`${expected}${last}`),
    sound: facts.sound,
    groupId: groupFor(job),
    job,
    exitCode: null,
    // The news is that the job is late now (it may have become late while nobody watched).
    eventMs: facts.nowMs,
  };
}

/** A run still going past its job's max_duration. */
export function stillRunningAlert(facts: StateAlertFacts): AlertText {
  const { job, nowMs } = facts;
  const started = facts.openStartMs ?? facts.sinceMs;
  const max = facts.maxDurationMs === null ? "" : `; max_duration ${formatDuration(facts.maxDurationMs)}`;
  return longRunAlert(job, `Still running after ${formatDuration(nowMs - started)}, started ${localTime(started, nowMs, facts.seconds)}${max}`, nowMs, facts.reminder);
}

/** A job left a bad state: it ran again after being late, or its overlong run ended. */
export function stateRecoveryAlert(job: string, left: "late" | "too_long", sinceMs: number, nowMs: number, seconds: boolean): AlertText {
  const since = whenText(sinceMs, nowMs, seconds);
  const message = left === "late" ? `Ran again; it was late since ${since}` : `The long run ended; it was over max_duration since ${since}`;
  return {
    kind: "recovery",
    title: `✅ Cron job recovered: ${job}`,
    subtitle: null,
    message: oneLine(message),
    sound: null,
    groupId: groupFor(left === "late" ? job : `${job}.duration`),
    job,
    exitCode: 0,
    eventMs: nowMs,
  };
}

/** A run over its job's max_duration: finished (`detail` says how long) or still going. */
export function longRunAlert(job: string, detail: string, eventMs: number, reminder = false): AlertText {
  return {
    kind: "long",
    title: `⏱️ Cron job ${reminder ? "still running too long" : "ran too long"}: ${job}`,
    subtitle: null,
    message: oneLine(detail),
    sound: null,
    groupId: groupFor(`${job}.duration`),
    job,
    exitCode: null,
    eventMs,
  };
}

/** Lines of the input that could not be read, one alert per burst. */
export function unreadableAlert(source: string, count: number, firstReason: string, firstOffset: number, nowMs: number, sound: string): AlertText {
  const lines = count === 1 ? "1 line" : `${count} lines`;
  return {
    kind: "unreadable",
    title: "⚠️ Cron log line unreadable",
    subtitle: null,
    message: oneLine(`${lines} in ${basename(source)} could not be read: ${firstReason} (byte ${firstOffset}); see --stats`),
    sound,
    groupId: groupFor("unreadable"),
    job: "",
    exitCode: null,
    eventMs: nowMs,
  };
}

export function testAlert(nowMs: number, sound: string): AlertText {
  return {
    kind: "test",
    title: "🚨 Cron Job Failed",
    subtitle: "cron-collector test",
    message: "Exit code 1: this is a test notification from cron-collector",
    sound,
    groupId: groupFor("test"),
    job: "test",
    exitCode: 1,
    eventMs: nowMs,
  };
}
