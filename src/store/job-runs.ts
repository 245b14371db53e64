/**
 * Bounded lookups of one job's runs, whatever the size of the table or the gap since the job last
 * ran. A job's runs are those stored with its name, plus for the default job those stored
 * without a name (job IS NULL). An `OR` of the two, or one that depends on a parameter, keeps
 * SQLite off the (job, ts_ms) index (cron_entries_job_time) and onto a backwards walk of the time
 * index through every other job's runs, so each lookup here is one walk of that index by name,
 * and for the default job two joined by UNION ALL (`job = ?`, `job IS NULL`).
 *
 * Lookups that need a column the index lacks (exit_code) are bounded by the hourly rollups
 * (rollups.ts): the hour of `until` is read from the index, else the rollups name the newest
 * earlier hour holding a match and only that hour is read. Counting over a long stretch sums the
 * rollups of its whole hours and counts rows only in the partial hours at both ends.
 * tests/job-runs.test.ts checks every statement's query plan and compares answers with a scan.
 */
import type { Database, Statement } from "bun:sqlite";
import { hourPieces, hourStart } from "./rollups.ts";
import { HOUR_MS } from "../time.ts";

/** Which stored job names a job covers: its own name, and NULL for the default job. */
export interface JobRunsRef {
  readonly name: string;
  readonly isDefault: boolean;
}

export interface NewestRun {
  readonly ms: number;
  readonly id: number;
  readonly exit: number;
  readonly duration: number | null;
}

/** Which rollup hours `latestHour` looks for. */
type HourCondition = "failures > 0" | "runs > failures";

/**
 * `select` (which carries `WHERE JOB AND …`) for one job: `job = name` for a named job; for the
 * default job once per stored name, joined by UNION ALL (`job = name`, then `job IS NULL`), each
 * branch wrapped in a subquery so its own ORDER BY … LIMIT holds. Two statements rather than one
 * with a flag: the compound costs a prepared statement about 7 µs more per call, which a document
 * of 1,000 jobs pays some ten times a job.
 */
export function forJob(select: string, name: string): { readonly named: string; readonly withUnnamed: string } {
  const branch = (job: string): string => `SELECT * FROM (${select.replace("JOB", job)})`;
  return { named: select.replace("JOB", `job = ${name}`), withUnnamed: `${branch(`job = ${name}`)} UNION ALL ${branch("job IS NULL")}` };
}

/** A statement in its two forms (see forJob), picked by the job. */
class JobStatement<Row, Params extends Array<string | number>> {
  private readonly named: Statement<Row, Array<string | number>>;
  private readonly withUnnamed: Statement<Row, Array<string | number>>;

  /** `wrap` puts the form into its outer query (an ORDER BY over the union, an aggregate). */
  constructor(db: Database, select: string, wrap: (from: string) => string) {
    const forms = forJob(select, "?2");
    this.named = db.prepare<Row, Array<string | number>>(wrap(forms.named));
    this.withUnnamed = db.prepare<Row, Array<string | number>>(wrap(forms.withUnnamed));
  }

  get(job: JobRunsRef, ...params: Params): Row | null {
    return (job.isDefault ? this.withUnnamed : this.named).get(...params);
  }

  finalize(): void {
    this.named.finalize();
    this.withUnnamed.finalize();
  }
}

// ?1 = until (inclusive), ?2 = name; ranges add ?3 = from (exclusive).
type Until = [number, string];
type Range = [number, string, number];

export class JobRuns {
  private readonly newestRun: JobStatement<NewestRun, Until>;
  private readonly oldestRun: JobStatement<{ ms: number | null }, Until>;
  private readonly countRows: JobStatement<{ n: number }, Range>;
  private readonly newestSuccessIn: JobStatement<{ ms: number | null }, Range>;
  private readonly hourRuns: Statement<{ n: number }, [number, string, string, number]>;
  private readonly hourSpan: Statement<{ runs: number; last: number | null }, [number, string, string]>;
  private readonly latestSuccessHour: Statement<{ hour: number | null }, [number, string, string]>;
  private readonly newestStart: JobStatement<{ ms: number; seq: number; finished: number | null }, Until>;

  constructor(db: Database) {
    const subquery = (from: string): string => `(${from})`;
    // Ties at one instant are broken by id, as the rows were stored; the index holds the rowid.
    this.newestRun = new JobStatement(
      db,
      "SELECT ts_ms AS ms, id, exit_code AS exit, duration_ms AS duration FROM cron_entries WHERE JOB AND ts_ms <= ?1 ORDER BY ts_ms DESC, id DESC LIMIT 1",
      (from) => `SELECT * FROM ${subquery(from)} ORDER BY ms DESC, id DESC LIMIT 1`,
    );
    this.oldestRun = new JobStatement(db, "SELECT ts_ms AS ms FROM cron_entries WHERE JOB AND ts_ms <= ?1 ORDER BY ts_ms LIMIT 1", (from) => `SELECT MIN(ms) AS ms FROM ${subquery(from)}`);
    // Only (job, ts_ms) is read: the index covers it.
    this.countRows = new JobStatement(db, "SELECT ts_ms FROM cron_entries WHERE JOB AND ts_ms > ?3 AND ts_ms <= ?1", (from) => `SELECT COUNT(*) AS n FROM ${subquery(from)}`);
    this.newestSuccessIn = new JobStatement(
      db,
      "SELECT ts_ms AS ms FROM cron_entries WHERE JOB AND ts_ms > ?3 AND ts_ms <= ?1 AND exit_code = 0",
      (from) => `SELECT MAX(ms) AS ms FROM ${subquery(from)}`,
    );
    // Rollup keys: the name, and '' (runs without a name) for the default job, else the name again.
    this.hourRuns = db.prepare(`SELECT COALESCE(SUM(runs), 0) AS n FROM run_rollups WHERE job IN (?2, ?3) AND hour_ms >= ?4 AND hour_ms <= ?1`);
    this.hourSpan = db.prepare("SELECT COALESCE(SUM(runs), 0) AS runs, MAX(last_ms) AS last FROM run_rollups WHERE job IN (?2, ?3) AND hour_ms = ?1");
    this.latestSuccessHour = db.prepare(latestHourSql("runs > failures"));
    this.newestStart = new JobStatement(
      db,
      // Ties at one instant are broken by the order the markers were stored (rowid), as for runs.
      "SELECT ts_ms AS ms, rowid AS seq, finished_ms AS finished FROM run_starts WHERE JOB AND ts_ms <= ?1 ORDER BY ts_ms DESC, rowid DESC LIMIT 1",
      (from) => `SELECT * FROM ${subquery(from)} ORDER BY ms DESC, seq DESC LIMIT 1`,
    );
  }

  /** The newest run at or before `untilMs` (the highest id among runs of that instant). */
  newest(job: JobRunsRef, untilMs: number): NewestRun | null {
    return this.newestRun.get(job, untilMs, job.name);
  }

  /** The instant of the newest run with exit 0 at or before `untilMs`. */
  newestSuccessMs(job: JobRunsRef, untilMs: number): number | null {
    const currentHour = hourStart(untilMs);
    // The hour of untilMs is read only when its rollup counts a success: a crash loop's hour has
    // none, and reading its runs to find none cost 30 ms per 100,000 of them.
    let hour = this.latestSuccessHour.get(currentHour + HOUR_MS, job.name, rollupKey(job))?.hour ?? null;
    if (hour === currentHour) {
      const recent = this.newestSuccessIn.get(job, untilMs, job.name, currentHour - 1)?.ms ?? null;
      if (recent !== null) return recent;
      hour = this.latestSuccessHour.get(currentHour, job.name, rollupKey(job))?.hour ?? null;
    }
    return hour === null ? null : (this.newestSuccessIn.get(job, hour + HOUR_MS - 1, job.name, hour - 1)?.ms ?? null);
  }

  /**
   * Runs with fromMs < instant <= toMs (fromMs null: every stored run up to toMs). Whole hours
   * come from the rollups, which keep counting runs pruned by retention_days; pruning removes the
   * oldest runs first, so every whole hour after the job's oldest stored run is still complete.
   * The hour of toMs too comes from its rollup unless a run of it is dated after toMs.
   */
  count(job: JobRunsRef, fromMs: number | null, toMs: number): number {
    const oldest = this.oldestRun.get(job, toMs, job.name)?.ms ?? null;
    if (oldest === null) return 0;
    const from = Math.max(fromMs ?? oldest - 1, oldest - 1);
    const { head, whole, tail } = hourPieces(from, toMs);
    const rows = ([a, b]: readonly [number, number]): number => this.countRows.get(job, b, job.name, a)?.n ?? 0;
    let runs = (head === null ? 0 : rows(head)) + (whole === null ? 0 : (this.hourRuns.get(whole[1], job.name, rollupKey(job), whole[0])?.n ?? 0));
    if (tail !== null) {
      // The tail's hour as its rollup counts it, when that is its rows (a crash loop's current
      // hour holds 100,000s): when no counted run lies after toMs. None of it was pruned: it starts
      // at or after the oldest stored run (`from` is not before it), as the whole hours do.
      const hour = this.hourSpan.get(tail[0] + 1, job.name, rollupKey(job));
      runs += hour !== null && hour.last !== null && hour.last <= toMs ? hour.runs : rows(tail);
    }
    return runs;
  }

  /** The newest start marker at or before `untilMs`, with when its run ended (null: not known to). */
  newestStartMarker(job: JobRunsRef, untilMs: number): { readonly ms: number; readonly finished: number | null } | null {
    return this.newestStart.get(job, untilMs, job.name);
  }

  finalize(): void {
    for (const statement of [this.newestRun, this.oldestRun, this.countRows, this.newestSuccessIn, this.hourRuns, this.hourSpan, this.latestSuccessHour, this.newestStart]) {
      statement.finalize();
    }
  }
}

const rollupKey = (job: JobRunsRef): string => (job.isDefault ? "" : job.name);

/**
 * The newest rollup hour before ?1 matching `condition` for key ?2 or ?3: each key's rows are
 * walked from the newest end of the primary key (job, hour_ms) and stop at the first match.
 */
export function latestHourSql(condition: HourCondition | "1"): string {
  const walk = (key: string): string =>
    `SELECT * FROM (SELECT hour_ms FROM run_rollups WHERE job = ${key} AND hour_ms < ?1 AND ${condition} ORDER BY hour_ms DESC LIMIT 1)`;
  return `SELECT MAX(hour_ms) AS hour FROM (${walk("?2")} UNION ALL ${walk("?3")})`;
}
