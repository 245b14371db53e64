/**
 * Which of a batch's pending per-run alerts get an outbox row each, and which are gathered into one
 * row per job and kind. Pure.
 *
 * A job owing more alerts than can go out within a minute (notify.max_per_minute) gets no further
 * row per run: its further alerts of the batch are gathered, counted, with their first and last
 * instant and the newest one's text (src/store/alerts.ts updates one open row per job and kind in
 * place until a delivery begins). So a crash loop writing 300,000 failures adds a few rows per job to the outbox,
 * not 300,000; every failure is still counted, in that row or in the summary that folds it.
 */
import type { AlertKind } from "../records.ts";
import type { NewAlert } from "./policy.ts";

/** Alerts of one job and kind that share one outbox row. */
export interface GatheredAlerts {
  readonly job: string;
  readonly kind: AlertKind;
  readonly count: number;
  readonly firstEventMs: number;
  /** The newest by event time (the later one written on a tie): its text and run stand for the row. */
  readonly newest: NewAlert;
}

export interface OutboxPlan {
  readonly individual: NewAlert[];
  readonly gathered: GatheredAlerts[];
}

type MutableGathered = { -readonly [K in keyof GatheredAlerts]: GatheredAlerts[K] };

/** One job's tally while planning: rows it owes, and its gathered alerts by kind. */
interface JobTally {
  owed: number;
  readonly groups: MutableGathered[];
}

/**
 * `owedBefore(job)`: how many open rows of per-run alerts the job owes already (counted up to
 * `cap`, called once per job); `cap`: the most a job owes one row each (max_per_minute). Alerts
 * keep their order; the first ones of a job go out one by one while it owes fewer than `cap`.
 */
export function planOutbox(alerts: readonly NewAlert[], owedBefore: (job: string) => number, cap: number): OutboxPlan {
  const jobs = new Map<string, JobTally>();
  const individual: NewAlert[] = [];
  const gathered: MutableGathered[] = [];
  for (const alert of alerts) {
    let tally = jobs.get(alert.job);
    if (!tally) {
      tally = { owed: owedBefore(alert.job), groups: [] };
      jobs.set(alert.job, tally);
    }
    if (tally.owed < cap) {
      individual.push(alert);
      tally.owed++;
      continue;
    }
    // A job's alerts are of at most three kinds: a short search, no key built per alert.
    let group: MutableGathered | undefined;
    for (const candidate of tally.groups) if (candidate.kind === alert.kind) group = candidate;
    if (!group) {
      const created = { job: alert.job, kind: alert.kind, count: 1, firstEventMs: alert.eventMs, newest: alert };
      tally.groups.push(created);
      gathered.push(created);
      continue;
    }
    group.count++;
    if (alert.eventMs < group.firstEventMs) group.firstEventMs = alert.eventMs;
    if (alert.eventMs >= group.newest.eventMs) group.newest = alert;
  }
  return { individual, gathered };
}
