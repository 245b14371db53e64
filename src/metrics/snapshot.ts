/**
 * The metrics snapshot: job states and per-job values from the collectStats() document (the one
 * status source the dashboard and --stats also use), lifetime counters and the duration histogram
 * from the store. `buildSnapshot` is pure; `takeSnapshot` runs the queries.
 */
import type { AlertKind } from "../alerts/format.ts";
import type { Config } from "../config/config.ts";
import { jobSettings } from "../config/jobs.ts";
import { collectStats, type JobStats, type Stats, type StatsSources } from "../stats.ts";
import { DURATION_BUCKETS_SECONDS } from "../store/metrics-schema.ts";
import type { AlertOutcomeRow, CollectorCounters, DurationBucketRow, JobCounterRow, LastRunRow, MetricsQueries, OutboxBacklog } from "../store/metrics.ts";
import { parseTimestamp } from "../timestamp.ts";
import { METRIC_STATES, type AlertOutcome, type DurationHistogram, type JobMetrics, type MetricState, type MetricsSnapshot } from "./exposition.ts";

/** Every kind gets its series from the start, so the first increase of a counter is seen. */
const ALERT_KINDS = ["failure", "recovery", "late", "long", "unreadable", "summary", "test"] as const satisfies readonly AlertKind[];
const ALERT_RESULTS = ["sent", "failed"] as const;

export interface StoreFigures {
  readonly jobs: readonly JobCounterRow[];
  readonly lastRuns: readonly LastRunRow[];
  readonly buckets: readonly DurationBucketRow[];
  readonly counters: CollectorCounters;
  readonly outcomes: readonly AlertOutcomeRow[];
  readonly backlog: OutboxBacklog;
}

export interface BuildInfo {
  readonly version: string;
  readonly bunVersion: string;
}

type SnapshotConfig = Pick<Config, "defaultJob" | "jobs" | "notify">;

/**
 * A state name from the stats document. Before issue 9's names landed a job that never ran was
 * "unknown"; it is the "new" state here, and any name this list lacks counts as "new" too.
 */
export function metricState(state: string): MetricState {
  return (METRIC_STATES as readonly string[]).includes(state) ? (state as MetricState) : "new";
}

function instant(iso: string | null | undefined): number | null {
  if (iso === null || iso === undefined) return null;
  const parsed = parseTimestamp(iso);
  return parsed.ok ? parsed.epochMs : null;
}

function histogramOf(rows: readonly DurationBucketRow[] | undefined): DurationHistogram {
  const counts = new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0);
  let sumSeconds = 0;
  for (const row of rows ?? []) {
    const index = DURATION_BUCKETS_SECONDS.indexOf(row.le);
    // A bound no longer in the list (changed buckets) counts in the next one above it.
    const at = index >= 0 ? index : DURATION_BUCKETS_SECONDS.findIndex((le) => le > row.le);
    const slot = at >= 0 ? at : DURATION_BUCKETS_SECONDS.length;
    counts[slot] = (counts[slot] ?? 0) + row.runs;
    sumSeconds += row.sumSeconds;
  }
  return { bounds: DURATION_BUCKETS_SECONDS, counts, sumSeconds };
}

function groupBy<T extends { readonly job: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.job);
    if (group) group.push(row);
    else groups.set(row.job, [row]);
  }
  return groups;
}

function alertOutcomes(rows: readonly AlertOutcomeRow[]): AlertOutcome[] {
  const counts = new Map<string, number>();
  for (const kind of ALERT_KINDS) for (const result of ALERT_RESULTS) counts.set(`${kind}\u0000${result}`, 0);
  for (const row of rows) counts.set(`${row.kind}\u0000${row.result}`, row.count);
  const outcomes: AlertOutcome[] = [];
  for (const [key, count] of counts) {
    const [kind = "", result] = key.split("\u0000");
    if (result === "sent" || result === "failed") outcomes.push({ kind, result, count });
  }
  return outcomes.sort((a, b) => (a.kind === b.kind ? a.result.localeCompare(b.result) : a.kind.localeCompare(b.kind)));
}

export function buildSnapshot(stats: Stats, figures: StoreFigures, config: SnapshotConfig, build: BuildInfo): MetricsSnapshot {
  const counters = new Map(figures.jobs.map((row) => [row.job, row]));
  const lastRuns = new Map(figures.lastRuns.map((row) => [row.job, row]));
  const buckets = groupBy(figures.buckets);
  const job = (stat: JobStats): JobMetrics => {
    const counter = counters.get(stat.name);
    const last = lastRuns.get(stat.name);
    const nextExpectedMs = instant(stat.next_expected);
    const graceMs = jobSettings(config.jobs, stat.name, config.notify.alertAfter).graceMs;
    const runs = counter?.runs ?? 0;
    const failures = counter?.failures ?? 0;
    return {
      name: stat.name,
      schedule: stat.schedule ?? "",
      state: metricState(stat.state),
      consecutiveFailures: stat.consecutive_failures,
      // The stats document reads the runs table; after retention_days pruned a job's runs, its
      // own record in the jobs table still knows.
      lastRunMs: instant(stat.last_run) ?? counter?.lastRunMs ?? null,
      lastSuccessMs: instant(stat.last_success) ?? counter?.lastSuccessMs ?? null,
      lastFailureMs: counter?.lastFailureMs ?? instant(stat.last_failure?.ts),
      lastExitCode: last?.exit ?? null,
      lastDurationSeconds: last?.durationMs === null || last?.durationMs === undefined ? null : last.durationMs / 1000,
      nextExpectedMs,
      deadlineMs: nextExpectedMs === null ? null : nextExpectedMs + graceMs,
      successes: runs - failures,
      failures,
      durations: histogramOf(buckets.get(stat.name)),
    };
  };
  return {
    jobs: stats.jobs.map(job),
    collector: {
      version: build.version,
      bunVersion: build.bunVersion,
      linesStored: figures.counters.linesStored,
      linesDuplicate: figures.counters.linesDuplicate,
      linesRejected: figures.counters.linesRejected,
      lastIngestMs: figures.counters.lastIngestMs,
      alertsPending: figures.backlog.pending,
      alerts: alertOutcomes(figures.outcomes),
    },
  };
}

export interface SnapshotSources {
  readonly stats: StatsSources;
  readonly metrics: MetricsQueries;
}

/** What the store adds to the stats document: a handful of queries, each bounded by the jobs. */
export function storeFigures(metrics: MetricsQueries, defaultJob: string): StoreFigures {
  return {
    jobs: metrics.jobs(defaultJob),
    lastRuns: metrics.lastRunOfEachJob(defaultJob),
    buckets: metrics.durationBuckets(defaultJob),
    counters: metrics.collectorCounters(),
    outcomes: metrics.alertOutcomes(),
    backlog: metrics.outboxBacklog(),
  };
}

/** Queries the store and builds the snapshot as of `now`. */
export function takeSnapshot(sources: SnapshotSources, config: SnapshotConfig, now: Date, build: BuildInfo): MetricsSnapshot {
  return buildSnapshot(collectStats(sources.stats, now, config), storeFigures(sources.metrics, config.defaultJob), config, build);
}
