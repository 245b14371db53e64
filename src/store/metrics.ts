/**
 * The SQL behind the Prometheus metrics: the writer that RunWriter calls inside its commit
 * transaction (so the counters move exactly with the rows), and the reads a snapshot needs. Every
 * read is bounded by the number of jobs (or is a count over a partial index), never by the runs.
 */
import type { Database, Statement } from "bun:sqlite";
import { DURATION_BUCKETS_SECONDS, LAST_INGEST_MS, LINES_DUPLICATE, LINES_REJECTED, LINES_STORED } from "./metrics-schema.ts";
import type { StoredRun } from "../records.ts";

/** The histogram's bounds in seconds, the overflow (Infinity) last: durationBucket's choices by index. */
const BUCKET_BOUNDS: readonly number[] = [...DURATION_BUCKETS_SECONDS, Infinity];

/** The index in BUCKET_BOUNDS of the bucket durationBucket picks. */
function bucketIndex(durationMs: number): number {
  let index = 0;
  while (index < DURATION_BUCKETS_SECONDS.length && durationMs > (DURATION_BUCKETS_SECONDS[index] ?? 0) * 1000) index++;
  return index;
}

/** What one commit did with its lines (RunWriter's CommitResult). */
export interface LineTotals {
  readonly inserted: number;
  readonly starts: number;
  readonly duplicates: number;
  readonly rejected: number;
}

export class IngestCounters {
  private readonly addToBucket: Statement;
  private readonly addToCounter: Statement;
  private readonly raiseCounter: Statement;

  constructor(db: Database) {
    this.addToBucket = db.prepare(
      `INSERT INTO job_run_durations (job, le, runs, sum_seconds) VALUES (?, ?, ?, ?)
       ON CONFLICT (job, le) DO UPDATE SET runs = runs + excluded.runs, sum_seconds = sum_seconds + excluded.sum_seconds`,
    );
    this.addToCounter = db.prepare(
      "INSERT INTO collector_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    );
    this.raiseCounter = db.prepare(
      "INSERT INTO collector_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    );
  }

  /**
   * Counts a committed batch: one UPSERT per (job, bucket) its runs touched, one per line counter
   * that moved. Call inside the commit transaction.
   */
  record(stored: readonly StoredRun[], totals: LineTotals, parsedAt: string): void {
    // Per job, runs and seconds by bucket index: one map lookup per run, no text key built.
    const byJob = new Map<string, { runs: number[]; seconds: number[] }>();
    for (const { run } of stored) {
      const durationMs = run.durationMs;
      if (durationMs === null) continue;
      const job = run.job ?? "";
      let counts = byJob.get(job);
      if (!counts) {
        counts = { runs: new Array<number>(BUCKET_BOUNDS.length).fill(0), seconds: new Array<number>(BUCKET_BOUNDS.length).fill(0) };
        byJob.set(job, counts);
      }
      const index = bucketIndex(durationMs);
      counts.runs[index] = (counts.runs[index] ?? 0) + 1;
      counts.seconds[index] = (counts.seconds[index] ?? 0) + durationMs / 1000;
    }
    for (const [job, counts] of byJob) {
      BUCKET_BOUNDS.forEach((le, index) => {
        const runs = counts.runs[index] ?? 0;
        if (runs > 0) this.addToBucket.run(job, le, runs, counts.seconds[index] ?? 0);
      });
    }
    const lines: Array<[string, number]> = [
      [LINES_STORED, totals.inserted + totals.starts],
      [LINES_DUPLICATE, totals.duplicates],
      [LINES_REJECTED, totals.rejected],
    ];
    for (const [name, value] of lines) if (value > 0) this.addToCounter.run(name, value);
    const atMs = Date.parse(parsedAt);
    if (totals.inserted + totals.starts + totals.duplicates + totals.rejected > 0 && Number.isFinite(atMs)) {
      this.raiseCounter.run(LAST_INGEST_MS, atMs);
    }
  }

  finalize(): void {
    for (const statement of [this.addToBucket, this.addToCounter, this.raiseCounter]) statement.finalize();
  }
}

/** A job's lifetime counters and last instants (the jobs table: survives retention_days). */
export interface JobCounterRow {
  readonly job: string;
  readonly runs: number;
  readonly failures: number;
  readonly lastRunMs: number | null;
  readonly lastSuccessMs: number | null;
  readonly lastFailureMs: number | null;
}

export interface LastRunRow {
  readonly job: string;
  readonly exit: number;
  readonly durationMs: number | null;
}

export interface DurationBucketRow {
  readonly job: string;
  /** Upper bound in seconds; Infinity for the overflow bucket. */
  readonly le: number;
  readonly runs: number;
  readonly sumSeconds: number;
}

export interface AlertOutcomeRow {
  readonly kind: string;
  readonly result: string;
  readonly count: number;
}

export interface CollectorCounters {
  readonly linesStored: number;
  readonly linesDuplicate: number;
  readonly linesRejected: number;
  readonly lastIngestMs: number | null;
}

export interface OutboxBacklog {
  readonly pending: number;
  /** When the oldest pending alert was written, or null when none is pending. */
  readonly oldestPendingMs: number | null;
}

// Rows of the default job are stored under '' (and under its name when a line names it); ?1 is
// that name, so every query answers in display names and merges the two.
const DISPLAY_JOB = (column: string): string => `CASE WHEN ${column} = '' OR ${column} IS NULL THEN ?1 ELSE ${column} END`;

export class MetricsQueries {
  private readonly jobCounters: Statement<JobCounterRow, [string]>;
  private readonly lastRuns: Statement<LastRunRow, [string]>;
  private readonly buckets: Statement<DurationBucketRow, [string]>;
  private readonly counters: Statement<{ name: string; value: number }, []>;
  private readonly outcomes: Statement<AlertOutcomeRow, []>;
  private readonly backlog: Statement<{ pending: number; oldest: string | null }, []>;

  constructor(db: Database) {
    this.jobCounters = db.prepare(
      `SELECT ${DISPLAY_JOB("name")} AS job, SUM(total_runs) AS runs, SUM(total_failures) AS failures,
         MAX(last_run_ms) AS lastRunMs, MAX(last_success_ms) AS lastSuccessMs, MAX(last_failure_ms) AS lastFailureMs
       FROM jobs GROUP BY 1`,
    );
    // One index seek per job: its newest run is at jobs.last_run_ms (MAX(id) picks the last stored
    // of runs sharing that instant; SQLite takes the bare columns from that row).
    this.lastRuns = db.prepare(
      `SELECT ${DISPLAY_JOB("j.name")} AS job, c.exit_code AS exit, c.duration_ms AS durationMs, MAX(c.id) AS id
       FROM jobs j JOIN cron_entries c ON c.ts_ms = j.last_run_ms
       WHERE c.job = j.name OR (j.name = '' AND (c.job IS NULL OR c.job = ?1))
       GROUP BY 1`,
    );
    this.buckets = db.prepare(
      `SELECT ${DISPLAY_JOB("job")} AS job, le, SUM(runs) AS runs, SUM(sum_seconds) AS sumSeconds
       FROM job_run_durations GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    this.counters = db.prepare("SELECT name, value FROM collector_counters");
    this.outcomes = db.prepare("SELECT kind, result, count FROM alert_outcomes ORDER BY kind, result");
    this.backlog = db.prepare(
      `SELECT COUNT(*) AS pending, (SELECT created_at FROM alerts WHERE status = 'pending' ORDER BY id LIMIT 1) AS oldest
       FROM alerts WHERE status = 'pending'`,
    );
  }

  jobs(defaultJob: string): JobCounterRow[] {
    return this.jobCounters.all(defaultJob);
  }

  lastRunOfEachJob(defaultJob: string): LastRunRow[] {
    return this.lastRuns.all(defaultJob);
  }

  durationBuckets(defaultJob: string): DurationBucketRow[] {
    return this.buckets.all(defaultJob);
  }

  collectorCounters(): CollectorCounters {
    const values = new Map(this.counters.all().map((row) => [row.name, row.value]));
    return {
      linesStored: values.get(LINES_STORED) ?? 0,
      linesDuplicate: values.get(LINES_DUPLICATE) ?? 0,
      linesRejected: values.get(LINES_REJECTED) ?? 0,
      lastIngestMs: values.get(LAST_INGEST_MS) ?? null,
    };
  }

  alertOutcomes(): AlertOutcomeRow[] {
    return this.outcomes.all();
  }

  outboxBacklog(): OutboxBacklog {
    const row = this.backlog.get();
    const oldest = row?.oldest ? Date.parse(row.oldest) : Number.NaN;
    return { pending: row?.pending ?? 0, oldestPendingMs: Number.isFinite(oldest) ? oldest : null };
  }

  finalize(): void {
    for (const statement of [this.jobCounters, this.lastRuns, this.buckets, this.counters, this.outcomes, this.backlog]) statement.finalize();
  }
}
