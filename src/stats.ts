/**
 * The numbers on the dashboard, shaped from the aggregates the store computes. Pure: the store
 * answers the queries, this module decides what they mean.
 */
import { outputTail } from "./alerts/format.ts";
import type { JobFilter, RunRow, StatsQueries, WindowRow } from "./store/stats-queries.ts";

export interface WindowStats {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Percent of runs with exit 0 (0-100), or null when there were no runs. */
  readonly success_rate: number | null;
}

export interface FailureStats {
  readonly ts: string;
  readonly exit: number;
  readonly msg: string;
  readonly job: string;
  /** The end of the run's output, when the line carried it (`run` writes it); absent otherwise. */
  readonly output_tail?: string;
}

export interface JobStats {
  readonly name: string;
  readonly last_run: string | null;
  readonly last_24h: WindowStats;
  readonly last_7d: WindowStats;
  readonly average_interval_seconds: number | null;
  readonly last_failure: FailureStats | null;
}

export interface Stats {
  readonly now: string;
  readonly total_entries: number;
  readonly rejected_lines: number;
  readonly last_24h: WindowStats;
  readonly last_7d: WindowStats;
  readonly average_interval_seconds: number | null;
  readonly last_failure: FailureStats | null;
  readonly jobs: readonly JobStats[];
  /** Only with --job: the newest runs of that job, newest first. */
  readonly recent_runs?: readonly RecentRun[];
}

export interface RecentRun {
  readonly ts: string;
  readonly exit: number;
  readonly msg: string;
  readonly duration_ms: number | null;
}

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

export function windowStats(row: WindowRow): WindowStats {
  return {
    total: row.total,
    succeeded: row.succeeded,
    failed: row.total - row.succeeded,
    success_rate: row.total === 0 ? null : (row.succeeded / row.total) * 100,
  };
}

/**
 * Mean time between consecutive runs in a window: with n runs sorted by time, the n-1 gaps sum to
 * last - first. Null under two runs.
 */
export function averageIntervalSeconds(row: WindowRow): number | null {
  if (row.total < 2 || row.firstMs === null || row.lastMs === null) return null;
  return (row.lastMs - row.firstMs) / (row.total - 1) / 1000;
}

export function failureStats(row: RunRow | null, defaultJob: string): FailureStats | null {
  if (!row) return null;
  const failure = { ts: row.ts, exit: row.exit, msg: row.msg, job: row.job ?? defaultJob };
  const tail = outputTail(row.extra);
  return tail === null ? failure : { ...failure, output_tail: tail };
}

function jobStats(queries: StatsQueries, name: string, filter: JobFilter, nowMs: number, defaultJob: string): JobStats {
  const week = queries.window(nowMs - WEEK_MS, nowMs, filter);
  const lastRun = queries.lastRunMs(nowMs, filter);
  return {
    name,
    last_run: lastRun === null ? null : new Date(lastRun).toISOString(),
    last_24h: windowStats(queries.window(nowMs - DAY_MS, nowMs, filter)),
    last_7d: windowStats(week),
    average_interval_seconds: averageIntervalSeconds(week),
    last_failure: failureStats(queries.lastFailure(nowMs, filter), defaultJob),
  };
}

/** Runs without `job` belong to the default job; a run naming the default job explicitly joins it. */
export function jobFilter(name: string, defaultJob: string): JobFilter {
  return { kind: "job", name, isDefault: name === defaultJob };
}

export function jobList(names: ReadonlyArray<string | null>, defaultJob: string): string[] {
  return [...new Set(names.map((name) => name ?? defaultJob))].sort();
}

/** Everything the dashboard shows, as of `now` (runs after `now` are not counted). */
export function collectStats(queries: StatsQueries, now: Date, defaultJob: string, onlyJob?: string): Stats {
  const nowMs = now.getTime();
  const filter: JobFilter = onlyJob === undefined ? { kind: "all" } : jobFilter(onlyJob, defaultJob);
  const overall = jobStats(queries, onlyJob ?? "", filter, nowMs, defaultJob);
  const names = onlyJob === undefined ? jobList(queries.jobNames(), defaultJob) : [onlyJob];
  const stats: Stats = {
    now: now.toISOString(),
    total_entries: queries.totalEntries(),
    rejected_lines: queries.rejectedLines(),
    last_24h: overall.last_24h,
    last_7d: overall.last_7d,
    average_interval_seconds: overall.average_interval_seconds,
    last_failure: overall.last_failure,
    jobs: names.map((name) => jobStats(queries, name, jobFilter(name, defaultJob), nowMs, defaultJob)),
  };
  if (onlyJob === undefined) return stats;
  const recent = queries.recentRuns(nowMs, filter).map((row) => ({
    ts: row.ts,
    exit: row.exit,
    msg: row.msg,
    duration_ms: row.durationMs,
  }));
  return { ...stats, recent_runs: recent };
}

/** The numbers written to stats_cache (the seed's table) by the watch loop. */
export function cacheMetrics(stats: Stats): Array<[string, number]> {
  const metrics: Array<[string, number | null]> = [
    ["total_entries", stats.total_entries],
    ["rejected_lines", stats.rejected_lines],
    ["total_runs_24h", stats.last_24h.total],
    ["failed_runs_24h", stats.last_24h.failed],
    ["success_rate_24h", stats.last_24h.success_rate],
    ["total_runs_7d", stats.last_7d.total],
    ["failed_runs_7d", stats.last_7d.failed],
    ["success_rate_7d", stats.last_7d.success_rate],
    ["average_interval_seconds", stats.average_interval_seconds],
  ];
  return metrics.filter((entry): entry is [string, number] => entry[1] !== null);
}
