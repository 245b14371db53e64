/**
 * The Prometheus text exposition (format 0.0.4) of a metrics snapshot. Pure: the snapshot holds
 * every value, this decides only how it is written. Rendered by hand (it is short); the metric set
 * is issue 13's table. No message, exit code or timestamp ever goes into a label.
 */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Every state a job can be in; cron_job_state has one series per state on every scrape. */
export const METRIC_STATES = ["new", "up", "running", "failing", "late", "too_long", "paused"] as const;
export type MetricState = (typeof METRIC_STATES)[number];

export interface DurationHistogram {
  /** Upper bounds in seconds, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /** Runs per bucket (not cumulative): one more entry than `bounds`, the last for +Inf. */
  readonly counts: readonly number[];
  readonly sumSeconds: number;
}

export interface JobMetrics {
  readonly name: string;
  /** Human form of the schedule ("every 300s", cron "0 3 * * *"), "" for none. */
  readonly schedule: string;
  readonly state: MetricState;
  readonly consecutiveFailures: number;
  readonly lastRunMs: number | null;
  readonly lastSuccessMs: number | null;
  readonly lastFailureMs: number | null;
  readonly lastExitCode: number | null;
  readonly lastDurationSeconds: number | null;
  /** Scheduled jobs only: when the next run is expected, and when it becomes late (+ grace). */
  readonly nextExpectedMs: number | null;
  readonly deadlineMs: number | null;
  readonly successes: number;
  readonly failures: number;
  readonly durations: DurationHistogram;
}

export interface AlertOutcome {
  readonly kind: string;
  readonly result: "sent" | "failed";
  readonly count: number;
}

export interface CollectorMetrics {
  readonly version: string;
  readonly bunVersion: string;
  readonly linesStored: number;
  readonly linesDuplicate: number;
  readonly linesRejected: number;
  readonly lastIngestMs: number | null;
  readonly alertsPending: number;
  readonly alerts: readonly AlertOutcome[];
}

export interface MetricsSnapshot {
  readonly jobs: readonly JobMetrics[];
  readonly collector: CollectorMetrics;
}

/** Label values escape backslash, double quote and newline (and nothing else). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === "\n" ? "\\n" : `\\${char}`));
}

/** Go's strconv.ParseFloat reads these; +Inf/-Inf/NaN are spelled the Prometheus way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** One `key="value"` label pair, escaped. */
function label(key: string, value: string): string {
  return `${key}="${escapeLabelValue(value)}"`;
}

/** One sample line; `labels` is already formatted (a job's label is escaped once, not per line). */
function sample(name: string, labels: string, value: number): string {
  return `${name}${labels ? `{${labels}}` : ""} ${formatValue(value)}\n`;
}

type MetricType = "gauge" | "counter" | "histogram";

function family(name: string, type: MetricType, help: string, samples: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples}`;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/** One gauge per job from a per-job value; jobs where it is null have no series. */
function jobGauge(jobs: readonly LabelledJob[], name: string, help: string, value: (job: JobMetrics) => number | null): string {
  let samples = "";
  for (const { job, id } of jobs) {
    const v = value(job);
    if (v !== null) samples += sample(name, id, v);
  }
  return family(name, "gauge", help, samples);
}

function histogram(jobs: readonly LabelledJob[]): string {
  const name = "cron_job_run_duration_seconds";
  let samples = "";
  for (const { job, id } of jobs) {
    const { bounds, counts, sumSeconds } = job.durations;
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += counts[i] ?? 0;
      samples += sample(`${name}_bucket`, `${id},le="${formatValue(bounds[i] ?? Infinity)}"`, cumulative);
    }
    samples += sample(`${name}_sum`, id, sumSeconds);
    samples += sample(`${name}_count`, id, cumulative);
  }
  return family(name, "histogram", "Duration of the runs that reported one (duration_ms), since the job was first seen.", samples);
}

interface LabelledJob {
  readonly job: JobMetrics;
  /** Its `cronjob="…"` label, escaped. */
  readonly id: string;
}

function jobFamilies(snapshotJobs: readonly JobMetrics[]): string[] {
  const jobs = snapshotJobs.map((job) => ({ job, id: label("cronjob", job.name) }));
  let info = "";
  let states = "";
  let runs = "";
  for (const { job, id } of jobs) {
    info += sample("cron_job_info", `${id},${label("schedule", job.schedule)}`, 1);
    for (const state of METRIC_STATES) states += sample("cron_job_state", `${id},state="${state}"`, state === job.state ? 1 : 0);
    runs += sample("cron_job_runs_total", `${id},outcome="success"`, job.successes);
    runs += sample("cron_job_runs_total", `${id},outcome="failure"`, job.failures);
  }
  return [
    family("cron_job_info", "gauge", "A job the collector knows, with its schedule (empty when it has none); always 1.", info),
    jobGauge(jobs, "cron_job_up", "1 when the job is up or running, 0 in any other state.", (job) => (job.state === "up" || job.state === "running" ? 1 : 0)),
    family("cron_job_state", "gauge", "1 for the state the job is in, 0 for the others.", states),
    jobGauge(jobs, "cron_job_consecutive_failures", "Failed runs in a row up to the newest run.", (job) => job.consecutiveFailures),
    jobGauge(jobs, "cron_job_last_run_timestamp_seconds", "Start of the newest run (its ts), Unix seconds.", (job) => seconds(job.lastRunMs)),
    jobGauge(jobs, "cron_job_last_success_timestamp_seconds", "Start of the newest run that exited 0, Unix seconds.", (job) => seconds(job.lastSuccessMs)),
    jobGauge(jobs, "cron_job_last_failure_timestamp_seconds", "Start of the newest run that exited non-zero, Unix seconds.", (job) => seconds(job.lastFailureMs)),
    jobGauge(jobs, "cron_job_last_exit_code", "Exit code of the newest run.", (job) => job.lastExitCode),
    jobGauge(jobs, "cron_job_last_duration_seconds", "Duration of the newest run, when it reported one.", (job) => job.lastDurationSeconds),
    jobGauge(jobs, "cron_job_next_expected_run_timestamp_seconds", "When the next run of a scheduled job is expected, Unix seconds; for a late job, the expected run it missed (in the past).", (job) => seconds(job.nextExpectedMs)),
    jobGauge(jobs, "cron_job_deadline_timestamp_seconds", "When a scheduled job becomes late (next expected run plus grace), Unix seconds; for a late job, the deadline it missed.", (job) => seconds(job.deadlineMs)),
    jobGauge(jobs, "cron_job_paused", "1 while the job's alerts are paused.", (job) => (job.state === "paused" ? 1 : 0)),
    family("cron_job_runs_total", "counter", "Runs stored since the job was first seen, by outcome (kept when old runs are pruned).", runs),
    histogram(jobs),
  ];
}

function collectorFamilies(c: CollectorMetrics): string[] {
  const lines = (result: string, value: number): string => sample("cron_collector_lines_total", label("result", result), value);
  let alerts = "";
  for (const outcome of c.alerts) alerts += sample("cron_collector_alerts_total", `${label("kind", outcome.kind)},${label("result", outcome.result)}`, outcome.count);
  return [
    family("cron_collector_build_info", "gauge", "The collector's version and the Bun running it; always 1.", sample("cron_collector_build_info", `${label("version", c.version)},${label("bun_version", c.bunVersion)}`, 1)),
    family("cron_collector_lines_total", "counter", "Input lines read, by what became of them.", lines("stored", c.linesStored) + lines("duplicate", c.linesDuplicate) + lines("rejected", c.linesRejected)),
    family(
      "cron_collector_last_ingest_timestamp_seconds",
      "gauge",
      "When the collector last committed input lines, Unix seconds.",
      c.lastIngestMs === null ? "" : sample("cron_collector_last_ingest_timestamp_seconds", "", c.lastIngestMs / 1000),
    ),
    family("cron_collector_alerts_pending", "gauge", "Alerts in the outbox waiting for delivery.", sample("cron_collector_alerts_pending", "", c.alertsPending)),
    family("cron_collector_alerts_total", "counter", "Alerts whose delivery ended, by kind and result (sent: a notifier took it; failed: it settled without any notifier taking it, only logged or its backend was removed).", alerts),
  ];
}

/** The whole exposition; every family has HELP and TYPE even when it has no series. */
export function renderExposition(snapshot: MetricsSnapshot): string {
  return [...jobFamilies(snapshot.jobs), ...collectorFamilies(snapshot.collector)].join("");
}
