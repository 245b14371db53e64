/**
 * What an alert says: titles, one-line messages, sounds and banner groups. Pure.
 */
import type { NotifyConfig } from "../config/config.ts";
import { formatDuration } from "../duration.ts";
import { extraString } from "../line.ts";
import { summarizeOutput } from "../runner/output-tail.ts";

export type AlertKind = "failure" | "recovery" | "late" | "long" | "summary" | "test";

/** The text of a notification, as every backend receives it. */
export interface AlertText {
  readonly kind: AlertKind;
  readonly title: string;
  readonly subtitle: string | null;
  readonly message: string;
  readonly sound: string | null;
  /** Banners with the same group replace each other (terminal-notifier -group). */
  readonly groupId: string;
  readonly job: string;
  readonly exitCode: number | null;
  readonly eventMs: number;
}

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

export interface FailedRun {
  readonly ts: string;
  readonly epochMs: number;
  readonly exit: number;
  readonly msg: string;
  /** The job as written in the line, or null. */
  readonly job: string | null;
  /** Unknown fields as JSON; `output_tail` (written by `run`) is used when msg is empty. */
  readonly extra?: string | null;
}

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

export interface DownState {
  readonly consecutiveFailures: number;
  readonly lateSinceMs: number | null;
}

export function recoveryAlert(job: string, explicitJob: string | null, down: DownState, eventMs: number): AlertText {
  const failures = down.consecutiveFailures;
  const message =
    failures > 0
      ? `${job} succeeded again after ${failures} failed run${failures === 1 ? "" : "s"}`
      : `${job} ran again; it was late since ${new Date(down.lateSinceMs ?? eventMs).toISOString()}`;
  return {
    kind: "recovery",
    title: "✅ Cron Job Recovered",
    subtitle: explicitJob,
    message: oneLine(message),
    sound: null,
    groupId: groupFor(job),
    job,
    exitCode: 0,
    eventMs,
  };
}

/** A scheduled run that did not happen by its deadline. */
export function lateAlert(job: string, expectedMs: number, graceMs: number, lastRunMs: number | null, sound: string): AlertText {
  const last = lastRunMs === null ? "it has not run yet" : `last ran ${new Date(lastRunMs).toISOString()}`;
  const grace = graceMs > 0 ? ` (+${formatDuration(graceMs)} grace)` : "";
  return {
    kind: "late",
    title: `⏰ Cron job late: ${job}`,
    subtitle: null,
    message: oneLine(`Expected at ${new Date(expectedMs).toISOString()}${grace}; ${last}`),
    sound,
    groupId: groupFor(job),
    job,
    exitCode: null,
    // The deadline: the alert is about now, not about when the run was due.
    eventMs: expectedMs + graceMs,
  };
}

/** A run over its job's max_duration: finished (`detail` says how long) or still going. */
export function longRunAlert(job: string, explicitJob: string | null, detail: string, eventMs: number): AlertText {
  return {
    kind: "long",
    title: `⏱️ Cron job ran too long: ${job}`,
    subtitle: explicitJob,
    message: oneLine(detail),
    sound: null,
    groupId: groupFor(`${job}.duration`),
    job,
    exitCode: null,
    eventMs,
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
