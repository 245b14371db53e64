/**
 * When a job is expected to run. `every` is a fixed period after the last run; `cron` is a
 * 5-field expression or a nickname (@daily, @hourly...) in a time zone (DST-correct, computed by croner, which handles time zones
 * and the edge cases of cron syntax better than a home-made parser would).
 */
import { Cron } from "croner";
import { formatDuration } from "./duration.ts";

export type Schedule =
  | { readonly kind: "every"; readonly periodMs: number }
  | { readonly kind: "cron"; readonly expression: string; readonly timezone: string | null };

/** A checked cron schedule, or what is wrong and with which key (`cron` or `timezone`). */
export type ScheduleCheck = { ok: true; schedule: Schedule } | { ok: false; field: "cron" | "timezone"; problem: string };

/** The nicknames croner knows; @reboot has no next time, so it cannot be a schedule. */
export const CRON_NICKNAMES: readonly string[] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

function cronFor(expression: string, timezone: string | null): Cron {
  return new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
}

/** Validates a cron expression and time zone by building and using them once. */
export function cronSchedule(expression: string, timezone: string | null): ScheduleCheck {
  const nickname = expression.trim().startsWith("@");
  if (nickname && !CRON_NICKNAMES.includes(expression.trim().toLowerCase())) {
    return { ok: false, field: "cron", problem: `unknown cron nickname "${expression}" (use one of ${CRON_NICKNAMES.join(", ")})` };
  }
  if (!nickname && expression.trim().split(/\s+/).length !== 5) {
    return { ok: false, field: "cron", problem: `a cron expression has 5 fields (minute hour day month weekday) or is a nickname such as @daily, got "${expression}"` };
  }
  try {
    cronFor(expression, timezone).nextRun(new Date(0));
  } catch (error) {
    const message = (error as Error).message;
    if (timezone && /timezone/i.test(message)) return { ok: false, field: "timezone", problem: `unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin)` };
    return { ok: false, field: "cron", problem: `invalid cron expression "${expression}": ${message.replace(/^CronPattern: /, "")}` };
  }
  return { ok: true, schedule: { kind: "cron", expression, timezone } };
}

const crons = new Map<string, Cron>();

function cached(schedule: Extract<Schedule, { kind: "cron" }>): Cron {
  const key = `${schedule.timezone ?? ""}|${schedule.expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = cronFor(schedule.expression, schedule.timezone);
    crons.set(key, cron);
  }
  return cron;
}

/** The first expected run strictly after `afterMs`, or null when the schedule has no more runs. */
export function nextExpected(schedule: Schedule, afterMs: number): number | null {
  switch (schedule.kind) {
    case "every":
      return afterMs + schedule.periodMs;
    case "cron":
      return cached(schedule).nextRun(new Date(afterMs))?.getTime() ?? null;
    default:
      return schedule satisfies never;
  }
}

/**
 * How long the schedule's period is around `nearMs`: `every` exactly; for cron, the gap between
 * its next two times (every ten minutes is 10 minutes, "0 3 * * *" a day). Null when it has no
 * two more runs.
 */
export function schedulePeriodMs(schedule: Schedule, nearMs: number): number | null {
  const first = nextExpected(schedule, nearMs);
  const second = first === null ? null : nextExpected(schedule, first);
  return first === null || second === null ? null : second - first;
}

export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case "every":
      return `every ${formatDuration(schedule.periodMs)}`;
    case "cron":
      return `cron "${schedule.expression}"${schedule.timezone ? ` (${schedule.timezone})` : ""}`;
    default:
      return schedule satisfies never;
  }
}
