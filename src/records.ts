/**
 * The records every layer shares: what a line becomes (a run, a start marker, a reject), what a
 * batch of them is, where the tailer stands in a file, and a job's stored state. Types only, no
 * imports: the store, parsing, alerts and stats all speak these, and none of them owns them.
 */

/** One finished run, as its line gave it. */
export interface Run {
  /** `ts` exactly as written; the dedup key uses this text, as the Python collector did. */
  readonly ts: string;
  /** The normalised instant (the run's start); every window and ordering uses this, never the text. */
  readonly epochMs: number;
  readonly exit: number;
  readonly msg: string;
  readonly job: string | null;
  readonly durationMs: number | null;
  readonly host: string | null;
  /** Unknown fields as a JSON object text, or null when there are none. */
  readonly extra: string | null;
}

/** A run as stored and read back: its row id, without the host (no query needs it). */
export interface StoredRunRow extends Omit<Run, "host"> {
  readonly id: number;
}

/**
 * A start marker (`"event": "start"`, written by `run --start-marker`): a run that has begun. Its
 * finish line carries the same `run_id`.
 */
export interface RunStart {
  readonly ts: string;
  readonly epochMs: number;
  readonly runId: string;
  readonly job: string | null;
  readonly host: string | null;
}

/** A line that is not a run: kept in quarantine with its reason. */
export interface Reject {
  readonly offset: number;
  readonly raw: string;
  readonly reason: string;
  readonly hash: string;
  /** The instant of a line quarantined for being too far ahead (max_future); 0 (or absent) for any other reject. */
  readonly futureMs?: number;
}

/**
 * Where the tailer stands in a file, as stored beside the rows it covers. A file is recognised by
 * device + inode and by content: a hash of its first bytes (`head`) and of the bytes just before
 * the offset (`tail`).
 */
export interface Checkpoint {
  /** The configured input path this checkpoint belongs to. */
  readonly source: string;
  /** Device and inode as decimal strings: inode numbers can exceed 2^53. */
  readonly dev: string;
  readonly ino: string;
  /** Byte offset just after the last complete line that was committed. */
  readonly offset: number;
  readonly headHash: string;
  readonly tailHash: string;
}

/** What one read of the input produced, with the checkpoints before and after it. */
export interface Batch {
  readonly runs: readonly Run[];
  readonly starts: readonly RunStart[];
  readonly rejects: readonly Reject[];
  /** The checkpoint the bytes were read from (null: none stored yet). */
  readonly from: Checkpoint | null;
  readonly to: Checkpoint;
}

/** A run that was new to the database, with its row id. */
export interface StoredRun {
  readonly id: number;
  readonly run: Run;
}

/** What committing a batch did. */
export interface CommitResult {
  readonly inserted: number;
  readonly starts: number;
  readonly duplicates: number;
  readonly rejected: number;
}

/**
 * A job's stored counters and failure streak, moved by the alert policy as runs arrive (they
 * outlive retention pruning). What state the job is in is not stored: see src/job-status.ts.
 */
export interface JobState {
  readonly consecutiveFailures: number;
  readonly lastRunMs: number | null;
  /** Whether the current failure streak reached alert_after (a recovery notice is then due). */
  readonly streakAlerted: boolean;
  readonly pausedUntilMs: number | null;
  readonly totalRuns: number;
  readonly totalFailures: number;
  readonly lastSuccessMs: number | null;
  readonly lastFailureMs: number | null;
}

export const freshJobState: JobState = {
  consecutiveFailures: 0,
  lastRunMs: null,
  streakAlerted: false,
  pausedUntilMs: null,
  totalRuns: 0,
  totalFailures: 0,
  lastSuccessMs: null,
  lastFailureMs: null,
};

/** The bad states a job is alerted about once on entering them (see src/alerts/state-alerts.ts). */
export type AlertedState = "late" | "too_long";

/** What was last alerted about a job's state, so a check alerts on changes only. */
export interface AlertMemory {
  readonly state: AlertedState | null;
  /** When the job entered that state. */
  readonly sinceMs: number | null;
  /** When the last alert (or reminder) about it was written. */
  readonly alertedAtMs: number | null;
}

export const noAlertMemory: AlertMemory = { state: null, sinceMs: null, alertedAtMs: null };

export interface FinishedRun {
  /** The run's instant (its `ts`: when it started). */
  readonly ms: number;
  readonly exit: number;
  readonly durationMs: number | null;
}

/** What the status needs of a job's history, as of one instant: a handful of values, never a list. */
export interface JobHistory {
  /** The newest run at or before now. */
  readonly lastRun: FinishedRun | null;
  /** Failed runs in a row ending with lastRun (0 when it succeeded). */
  readonly failureStreak: number;
  readonly lastSuccessMs: number | null;
  /** The newest start marker at or before now (finished or not): activity that counts as on time. */
  readonly lastStartMs: number | null;
  /** The newest start marker at or before now whose finish had not ended by now, or null. */
  readonly openStartMs: number | null;
  /** When the collector began watching the job: the base for a job that never ran. */
  readonly watchedSinceMs: number | null;
}

export type AlertKind = "failure" | "recovery" | "late" | "long" | "unreadable" | "summary" | "test";

/** The text of a notification, as every backend receives it. */
export interface AlertText {
  readonly kind: AlertKind;
  readonly title: string;
  readonly subtitle: string | null;
  readonly message: string;
  readonly sound: string | null;
  /** Banners with the same group replace each other (terminal-notifier -group). */
  readonly groupId: string;
  readonly job: string;
  readonly exitCode: number | null;
  readonly eventMs: number;
}

/** A folded set of alerts as the store aggregates it in SQL, for one summary notification (alerts/summary.ts). */
export interface FoldedProblem {
  readonly kind: AlertKind;
  readonly job: string;
  readonly exitCode: number | null;
  readonly eventMs: number;
  readonly message: string;
}

/** What a set of folded alerts holds, aggregated by the store. */
export interface FoldDigest {
  /** Per kind, how many events the folded rows stand for (a row can stand for several). */
  readonly counts: ReadonlyArray<{ readonly kind: AlertKind; readonly count: number }>;
  /** The newest failure, else the newest late or overlong run; never a recovery. */
  readonly lastProblem: FoldedProblem | null;
  /** Jobs whose newest folded alert is a recovery (at most `UP_AGAIN_SHOWN` + 1 names). */
  readonly upAgain: readonly string[];
  /** The newest event of all. */
  readonly newestMs: number;
}

/** How many jobs "up again" a summary names; the store fetches one more to know there are more. */
export const UP_AGAIN_SHOWN = 3;
