/**
 * The numbers on the dashboard, shaped from the aggregates the store computes. Pure: the store
 * answers the queries, this module decides what they mean.
 */
import { outputTail } from "./alerts/format.ts";
import type { Config } from "./config/config.ts";
import { jobSettings } from "./config/jobs.ts";
import { jobKey } from "./job-key.ts";
import { jobStatus, OPEN_ENDED_PAUSE_MS, type JobStateName } from "./job-status.ts";
import type { WatchGap } from "./monitor.ts";
import { describeSchedule } from "./schedule.ts";
import type { JobHistoryQueries } from "./store/job-history.ts";
import type { JobStateStore } from "./store/job-state.ts";
import type { RejectRow } from "./store/rejects.ts";
import type { JobFilter, RunRow, StatsQueries, WindowRow } from "./store/stats-queries.ts";
import { DAY_MS, WEEK_MS } from "./time.ts";

/** A job's state as of the report's instant (see src/job-status.ts for the rules). */
export interface JobStatus {
  readonly state: JobStateName;
  /** When the job entered the state, when known (late: its deadline; running: its start). */
  readonly state_since: string | null;
  /** Why, in words: "late since 14:05, expected every 5m + 1m grace". */
  readonly reason: string;
  /** Failed runs in a row as of the report's instant. */
  readonly consecutive_failures: number;
  readonly schedule: string | null;
  readonly next_expected: string | null;
  readonly paused_until: string | null;
}

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

interface RunSummary {
  readonly last_run: string | null;
  readonly last_24h: WindowStats;
  readonly last_7d: WindowStats;
  readonly average_interval_seconds: number | null;
  readonly last_failure: FailureStats | null;
}

export interface JobStats extends RunSummary, JobStatus {
  readonly name: string;
  readonly last_success: string | null;
  /** Over the last 7 days, from runs that carry duration_ms; null when none do. */
  readonly p50_duration_ms: number | null;
  readonly p95_duration_ms: number | null;
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
  /** The last stretch of time nothing was watched (collector down, machine asleep), or null. */
  readonly watch_gap: WatchGap | null;
  /** The newest lines that could not be read, newest first. */
  readonly newest_rejects: readonly RejectStats[];
  /** Only with --job: the newest runs of that job, newest first. */
  readonly recent_runs?: readonly RecentRun[];
}

export interface RejectStats {
  readonly source: string;
  readonly offset: number;
  readonly reason: string;
  /** The start of the line as written. */
  readonly line: string;
  readonly rejected_at: string;
}

/** How many rejects --stats shows. */
export const NEWEST_REJECTS = 5;

export interface RecentRun {
  readonly ts: string;
  readonly exit: number;
  readonly msg: string;
  readonly duration_ms: number | null;
}

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

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `lastRunMs`: a job's is known from its history already; the whole log's is looked up. */
function runSummary(queries: StatsQueries, filter: JobFilter, nowMs: number, defaultJob: string, lastRunMs: number | null): RunSummary {
  const week = queries.window(nowMs - WEEK_MS, nowMs, filter);
  return {
    last_run: iso(lastRunMs),
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

/** Where the numbers come from. */
export interface StatsSources {
  readonly queries: StatsQueries;
  readonly jobStates: JobStateStore;
  readonly history: JobHistoryQueries;
  readonly watchGap: WatchGap | null;
  /** Read only when the document is built, and only by collectStats. */
  readonly newestRejects: () => readonly RejectRow[];
}

type StatsConfig = Pick<Config, "defaultJob" | "jobs" | "notify">;

function jobStats(sources: StatsSources, config: StatsConfig, name: string, nowMs: number): JobStats {
  const { queries, jobStates, history } = sources;
  const filter = jobFilter(name, config.defaultJob);
  const key = jobKey(name, config.defaultJob);
  const settings = jobSettings(config.jobs, name, config.notify.alertAfter);
  const past = history.historyAt({ name, isDefault: key === "", key }, nowMs);
  const pausedUntil = jobStates.pausedUntilMs(key, nowMs);
  const status = jobStatus(past, settings, pausedUntil, nowMs);
  // The percentiles first: their 7-day aggregate then serves the 7-day counts too.
  const p50 = queries.durationPercentile(nowMs - WEEK_MS, nowMs, filter, 0.5);
  const p95 = queries.durationPercentile(nowMs - WEEK_MS, nowMs, filter, 0.95);
  const summary = runSummary(queries, filter, nowMs, config.defaultJob, past.lastRun?.ms ?? null);
  // Runs pruned by retention_days leave the job's own record of its last success.
  const kept = jobStates.load(key).lastSuccessMs;
  const lastSuccess = past.lastSuccessMs ?? (kept !== null && kept <= nowMs ? kept : null);
  return {
    name,
    state: status.state,
    state_since: iso(status.sinceMs),
    reason: status.reason,
    consecutive_failures: past.failureStreak,
    schedule: settings.schedule ? describeSchedule(settings.schedule) : null,
    next_expected: iso(status.nextExpectedMs),
    paused_until: status.state === "paused" && pausedUntil !== OPEN_ENDED_PAUSE_MS ? iso(pausedUntil) : null,
    ...summary,
    last_success: iso(lastSuccess),
    p50_duration_ms: p50,
    p95_duration_ms: p95,
  };
}

/** Everything the dashboard shows, as of `now` (runs after `now` are not counted). */
export function collectStats(sources: StatsSources, now: Date, config: StatsConfig, onlyJob?: string): Stats {
  return sources.queries.readingOnce(() => collectStatsNow(sources, now, config, onlyJob));
}

function collectStatsNow(sources: StatsSources, now: Date, config: StatsConfig, onlyJob?: string): Stats {
  const { queries } = sources;
  const defaultJob = config.defaultJob;
  const nowMs = now.getTime();
  const filter: JobFilter = onlyJob === undefined ? { kind: "all" } : jobFilter(onlyJob, defaultJob);
  const overall = runSummary(queries, filter, nowMs, defaultJob, queries.lastRunMs(nowMs, filter));
  const configured = config.jobs.map((job) => job.name);
  const names = onlyJob === undefined ? jobList([...queries.jobNames(), ...configured], defaultJob) : [onlyJob];
  const stats: Stats = {
    now: now.toISOString(),
    total_entries: queries.totalEntries(),
    rejected_lines: queries.rejectedLines(),
    last_24h: overall.last_24h,
    last_7d: overall.last_7d,
    average_interval_seconds: overall.average_interval_seconds,
    last_failure: overall.last_failure,
    jobs: names.map((name) => jobStats(sources, config, name, nowMs)),
    watch_gap: sources.watchGap,
    newest_rejects: sources.newestRejects().map((reject) => ({
      source: reject.source,
      offset: reject.offset,
      reason: reject.reason,
      line: reject.raw.slice(0, 200),
      rejected_at: reject.rejectedAt,
    })),
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

const ALL_JOBS: JobFilter = { kind: "all" };

/** What stats_cache holds: the whole log's figures, without the per-job part of the document. */
export type CacheFigures = Pick<Stats, "total_entries" | "rejected_lines" | "last_24h" | "last_7d" | "average_interval_seconds">;

/**
 * The stats_cache figures as collectStats() computes them, without the per-job lookups: the
 * watching collector refreshes the cache every stats_interval, and running every job's history
 * for it cost the resident process about 3 MB of RSS and CPU it does not need (the dashboard
 * computes the whole document on its own thread).
 */
export function collectCacheFigures(queries: StatsQueries, now: Date): CacheFigures {
  return queries.readingOnce(() => {
    const nowMs = now.getTime();
    const week = queries.window(nowMs - WEEK_MS, nowMs, ALL_JOBS);
    return {
      total_entries: queries.totalEntries(),
      rejected_lines: queries.rejectedLines(),
      last_24h: windowStats(queries.window(nowMs - DAY_MS, nowMs, ALL_JOBS)),
      last_7d: windowStats(week),
      average_interval_seconds: averageIntervalSeconds(week),
    };
  });
}

/** The numbers written to stats_cache (the seed's table) by the watch loop. */
export function cacheMetrics(stats: CacheFigures): Array<[string, number]> {
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
