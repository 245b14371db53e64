/**
 * The text dashboard. Pure: takes the stats and whether to colour, returns the text.
 * The layout is the one users know from the Python collector, one item per line.
 */
import { formatDuration } from "./duration.ts";
import type { FailureStats, JobStats, RejectStats, Stats, WindowStats } from "./stats.ts";

export interface ReportStyle {
  readonly color: boolean;
}

const RULE = "=".repeat(60);
const MESSAGE_CHARS = 100;
const OUTPUT_LINES = 15;

function paint(style: ReportStyle, code: string, text: string): string {
  return style.color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

export function formatRate(rate: number | null): string {
  return rate === null ? "n/a" : `${rate.toFixed(1)}%`;
}

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}

function rateColored(style: ReportStyle, window: WindowStats): string {
  const text = formatRate(window.success_rate);
  if (window.success_rate === null) return text;
  return paint(style, window.success_rate === 100 ? "32" : window.success_rate >= 90 ? "33" : "31", text);
}

function intervalText(seconds: number | null): string {
  return seconds === null ? "n/a (fewer than two runs in 7 days)" : `${(seconds / 60).toFixed(1)} minutes`;
}

function failureLines(style: ReportStyle, failure: FailureStats | null): string[] {
  if (!failure) return ["✅ Last failure: none"];
  return [
    paint(style, "31", "🚨 Last failure:"),
    `   Time: ${failure.ts}`,
    `   Job: ${failure.job}`,
    `   Exit code: ${failure.exit}`,
    `   Message: ${truncate(failure.msg, MESSAGE_CHARS) || "(no message)"}`,
  ];
}

const STATE_MARKS: Record<JobStats["state"], string> = {
  up: "✅ up",
  failing: "❌ failing",
  late: "⏰ late",
  too_long: "⏱️ too long",
  running: "▶️ running",
  paused: "⏸️ paused",
  new: "· new",
};

const durationCell = (ms: number | null): string => (ms === null ? "-" : formatDuration(ms));

/** A late job's next_expected is the run it missed: shown as overdue, never as a coming time. */
function nextExpectedText(job: JobStats): string {
  if (job.next_expected === null) return "-";
  return job.state === "late" ? `overdue since ${job.next_expected}` : job.next_expected;
}

function jobTable(jobs: readonly JobStats[]): string[] {
  const rows = jobs.map((job) => [
    job.name,
    STATE_MARKS[job.state],
    job.last_run ?? "never",
    `${job.last_24h.total}`,
    formatRate(job.last_24h.success_rate),
    formatRate(job.last_7d.success_rate),
    `${durationCell(job.p50_duration_ms)}/${durationCell(job.p95_duration_ms)}`,
    nextExpectedText(job),
  ]);
  const header = ["Job", "State", "Last run", "Runs 24h", "OK 24h", "OK 7d", "p50/p95", "Next expected"];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]): string => `   ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  return ["📋 Jobs:", line(header), ...rows.map(line)];
}

/** Why each job that needs attention is in its state, one line each. */
function stateReasons(jobs: readonly JobStats[], onlyJob: string | undefined): string[] {
  if (onlyJob !== undefined) return [];
  const attention = jobs.filter((job) => job.state === "late" || job.state === "too_long" || job.state === "failing");
  if (attention.length === 0) return [];
  return ["⚠️  Needs attention:", ...attention.map((job) => `   ${job.name}: ${job.reason}`), ""];
}

function rejectLines(rejects: readonly RejectStats[]): string[] {
  if (rejects.length === 0) return [];
  const lines = ["🚫 Newest unreadable lines:"];
  for (const reject of rejects) lines.push(`   byte ${reject.offset} of ${reject.source}: ${reject.reason}: ${truncate(reject.line, 60)}`);
  return [...lines, ""];
}

export interface ReportScope {
  /** Set with --job: the report covers this job only. */
  readonly onlyJob?: string | undefined;
  /** The job of runs without a `job` field; the job table is shown only when other jobs exist. */
  readonly defaultJob: string;
}

export function formatStats(stats: Stats, style: ReportStyle, { onlyJob, defaultJob }: ReportScope): string {
  const title = onlyJob === undefined ? "📊 CRON COLLECTOR STATISTICS" : `📊 CRON COLLECTOR STATISTICS: ${onlyJob}`;
  const lines = [
    RULE,
    paint(style, "1", title),
    `   as of ${stats.now}`,
    RULE,
    "",
    "📈 Last 24 Hours:",
    `   Total runs: ${stats.last_24h.total}`,
    `   Success rate: ${rateColored(style, stats.last_24h)}`,
    `   Failed runs: ${stats.last_24h.failed}`,
    "",
    "📊 Last 7 Days:",
    `   Total runs: ${stats.last_7d.total}`,
    `   Success rate: ${rateColored(style, stats.last_7d)}`,
    "",
    `⏱️  Average interval: ${intervalText(stats.average_interval_seconds)}`,
    "",
    ...failureLines(style, stats.last_failure),
    "",
  ];
  const namedJobs = stats.jobs.some((job) => job.name !== defaultJob || job.schedule !== null);
  if (onlyJob === undefined && namedJobs) lines.push(...jobTable(stats.jobs), "");
  const only = onlyJob === undefined ? undefined : stats.jobs[0];
  if (only) {
    lines.push(`📋 State: ${STATE_MARKS[only.state]} (${only.reason})`);
    if (only.schedule) lines.push(`   Schedule: ${only.schedule}; next expected: ${nextExpectedText(only)}`);
    lines.push(`   Last success: ${only.last_success ?? "never"}`);
    if (only.p50_duration_ms !== null) lines.push(`   Duration (7 days): p50 ${durationCell(only.p50_duration_ms)}, p95 ${durationCell(only.p95_duration_ms)}`);
    lines.push("");
  }
  if (stats.watch_gap) {
    lines.push(`⚠️  Not watched from ${stats.watch_gap.from} to ${stats.watch_gap.to}: runs expected then are unknown`, "");
  }
  const tail = stats.last_failure?.output_tail;
  if (onlyJob !== undefined && tail) {
    lines.push("📄 Output of the last failure (last lines):");
    for (const line of tail.trimEnd().split(/\r?\n/).slice(-OUTPUT_LINES)) lines.push(`   ${line}`);
    lines.push("");
  }
  if (stats.recent_runs) {
    lines.push("🕘 Recent runs:");
    if (stats.recent_runs.length === 0) lines.push("   none");
    for (const run of stats.recent_runs) {
      const mark = run.exit === 0 ? "✅" : "❌";
      lines.push(`   ${mark} ${run.ts}  exit ${run.exit}  ${truncate(run.msg, 60)}`);
    }
    lines.push("");
  }
  lines.push(...stateReasons(stats.jobs, onlyJob));
  lines.push(...rejectLines(stats.newest_rejects));
  lines.push(`💾 Database: ${stats.total_entries} total entries`);
  lines.push(`🚫 Quarantined lines: ${stats.rejected_lines}`);
  lines.push(RULE);
  return lines.join("\n");
}
