/**
 * The read side: every aggregate the dashboard shows is computed by SQLite, through the indexes
 * created in migrations.ts, so the cost does not grow with the rows outside the windows asked for.
 */
import type { Database, Statement } from "bun:sqlite";

export interface WindowRow {
  readonly total: number;
  readonly succeeded: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
}

export interface RunRow {
  readonly id: number;
  readonly ts: string;
  readonly epochMs: number;
  readonly exit: number;
  readonly msg: string;
  readonly job: string | null;
  readonly durationMs: number | null;
  readonly extra: string | null;
}

/** Which runs a query covers: all, or one job (the default job also owns runs without `job`). */
export type JobFilter = { readonly kind: "all" } | { readonly kind: "job"; readonly name: string; readonly isDefault: boolean };

const RUN_COLUMNS = `id, timestamp AS ts, ts_ms AS epochMs, exit_code AS exit, message AS msg, job,
  duration_ms AS durationMs, extra`;
// ?3 = job name, ?4 = 1 when that job is the default one, ?5 = 0 for kind "all" (no job filter).
const JOB_CLAUSE = "(?5 = 0 OR job = ?3 OR (?4 = 1 AND job IS NULL))";

type JobParams = [number, number];

export class StatsQueries {
  private readonly windowStatement: Statement<WindowRow, [number, number, string, number, number]>;
  private readonly lastFailureStatement: Statement<RunRow, [number, number, string, number, number]>;
  private readonly recentStatement: Statement<RunRow, [number, number, string, number, number]>;
  private readonly lastRunStatement: Statement<{ lastMs: number | null }, [number, number, string, number, number]>;

  constructor(private readonly db: Database) {
    this.windowStatement = db.query(
      `SELECT COUNT(*) AS total, COALESCE(SUM(exit_code = 0), 0) AS succeeded, MIN(ts_ms) AS firstMs, MAX(ts_ms) AS lastMs
       FROM cron_entries WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`,
    );
    this.lastFailureStatement = db.query(
      `SELECT ${RUN_COLUMNS} FROM cron_entries
       WHERE exit_code != 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE} ORDER BY ts_ms DESC, id DESC LIMIT 1`,
    );
    this.recentStatement = db.query(
      `SELECT ${RUN_COLUMNS} FROM cron_entries
       WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE} ORDER BY ts_ms DESC, id DESC LIMIT 10`,
    );
    // ORDER BY … LIMIT 1 walks the time index backwards and stops at the job's newest run.
    this.lastRunStatement = db.query(
      `SELECT ts_ms AS lastMs FROM cron_entries WHERE ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}
       ORDER BY ts_ms DESC LIMIT 1`,
    );
  }

  private params(fromMs: number, toMs: number, filter: JobFilter): [number, number, string, number, number] {
    const job: JobParams = filter.kind === "job" ? [filter.isDefault ? 1 : 0, 1] : [0, 0];
    return [fromMs, toMs, filter.kind === "job" ? filter.name : "", ...job];
  }

  totalEntries(): number {
    return this.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM cron_entries").get()?.n ?? 0;
  }

  rejectedLines(): number {
    return this.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM quarantine").get()?.n ?? 0;
  }

  /** Runs with fromMs < instant <= toMs. */
  window(fromMs: number, toMs: number, filter: JobFilter): WindowRow {
    return this.windowStatement.get(...this.params(fromMs, toMs, filter)) ?? { total: 0, succeeded: 0, firstMs: null, lastMs: null };
  }

  lastFailure(untilMs: number, filter: JobFilter): RunRow | null {
    return this.lastFailureStatement.get(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter));
  }

  lastRunMs(untilMs: number, filter: JobFilter): number | null {
    return this.lastRunStatement.get(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter))?.lastMs ?? null;
  }

  recentRuns(untilMs: number, filter: JobFilter): RunRow[] {
    return this.recentStatement.all(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter));
  }

  lastSuccessMs(untilMs: number, filter: JobFilter): number | null {
    return (
      this.db
        .query<{ ms: number }, [number, number, string, number, number]>(
          `SELECT ts_ms AS ms FROM cron_entries WHERE exit_code = 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}
           ORDER BY ts_ms DESC LIMIT 1`,
        )
        .get(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter))?.ms ?? null
    );
  }

  /** The p-th percentile (nearest rank, 0 < p <= 1) of duration_ms over a window, or null. */
  durationPercentile(fromMs: number, toMs: number, filter: JobFilter, p: number): number | null {
    const params = this.params(fromMs, toMs, filter);
    const where = `duration_ms IS NOT NULL AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`;
    const count = this.db.query<{ n: number }, typeof params>(`SELECT COUNT(*) AS n FROM cron_entries WHERE ${where}`).get(...params)?.n ?? 0;
    if (count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * count));
    return (
      this.db
        .query<{ d: number }, [...typeof params, number]>(`SELECT duration_ms AS d FROM cron_entries WHERE ${where} ORDER BY duration_ms LIMIT 1 OFFSET ?6`)
        .get(...params, rank - 1)?.d ?? null
    );
  }

  /** The start of the oldest unfinished run of a job (start marker without finish line), or null. */
  openStartMs(untilMs: number, filter: JobFilter): number | null {
    return (
      this.db
        .query<{ ms: number | null }, [number, number, string, number, number]>(
          `SELECT MIN(ts_ms) AS ms FROM run_starts WHERE finished = 0 AND ts_ms > ?1 AND ts_ms <= ?2 AND ${JOB_CLAUSE}`,
        )
        .get(...this.params(Number.MIN_SAFE_INTEGER, untilMs, filter))?.ms ?? null
    );
  }

  /** Job names as stored; null stands for runs that carry no `job`. */
  jobNames(): Array<string | null> {
    return this.db
      .query<{ name: string }, []>("SELECT name FROM jobs ORDER BY name")
      .all()
      .map((row) => (row.name === "" ? null : row.name));
  }

  writeCache(metrics: ReadonlyArray<readonly [string, number]>, computedAt: string): void {
    const upsert = this.db.query(
      `INSERT INTO stats_cache (metric, value, computed_at) VALUES (?, ?, ?)
       ON CONFLICT (metric) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at`,
    );
    this.db.transaction(() => {
      for (const [metric, value] of metrics) upsert.run(metric, value, computedAt);
    })();
  }
}
