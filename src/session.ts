/**
 * The pieces a running collector holds: the database, the writer and tailer on it (joined by
 * src/ingest.ts), the alert outbox and its dispatcher, the schedule monitor, the stats queries. Opened once per command, closed once at shutdown
 * (closing after transactions threw "database is locked" in some Bun versions, so statements are
 * finalized first).
 */
import type { Database } from "bun:sqlite";
import { AlertDispatcher } from "./alerts/dispatcher.ts";
import type { Config } from "./config/config.ts";
import type { Logger } from "./logger.ts";
import { autoInstaller } from "./notify/auto-install.ts";
import { DeliveryThread } from "./notify/delivery-thread.ts";
import { resolveNotifiers, type NamedNotifier } from "./notify/notifier.ts";
import { AlertStore } from "./store/alerts.ts";
import { Ingest } from "./ingest.ts";
import { JobHistoryQueries } from "./store/job-history.ts";
import { JobStateStore } from "./store/job-state.ts";
import { lastGap, ScheduleMonitor } from "./monitor.ts";
import { NEWEST_REJECTS, type StatsSources } from "./stats.ts";
import { newestRejects } from "./store/rejects.ts";
import { Outbox } from "./store/outbox.ts";
import { assertDatabaseFile, openDatabase } from "./store/database.ts";
import { RunWriter } from "./store/runs.ts";
import { StatsQueries } from "./store/stats-queries.ts";
import { MetricsQueries } from "./store/metrics.ts";
import { pruneRuns } from "./store/retention.ts";
import { BatchMemory } from "./batch-memory.ts";
import { Tailer } from "./tailer.ts";

/** What the collector needs to know about the machine, read once in main(). */
export interface SystemContext {
  readonly platform: string;
  readonly env: Record<string, string | undefined>;
  readonly which: (program: string) => string | null;
  /** The absolute path of collector.ts, for hints that show a command to copy. */
  readonly collectorPath: string;
}

export interface Session {
  readonly writer: RunWriter;
  readonly tailer: Tailer;
  readonly queries: StatsQueries;
  readonly alerts: AlertStore;
  readonly jobStates: JobStateStore;
  readonly history: JobHistoryQueries;
  readonly dispatcher: AlertDispatcher;
  readonly monitor: ScheduleMonitor;
  readonly outbox: Outbox;
  /** Prometheus counters and histogram (src/store/metrics.ts); the caller finalizes it. */
  metricsQueries(): MetricsQueries;
  /** Deletes runs older than `cutoffMs` in at most `maxBatches` small batches (retention_days). */
  pruneRuns(cutoffMs: number, maxBatches?: number): number;
  notifiers(): readonly NamedNotifier[];
  /** What collectStats reads, as of now. */
  statsSources(): StatsSources;
  close(): void;
}

/** What collectStats reads from an open database (the caller finalizes `history`). */
export function statsSourcesOf(db: Database, stores: { readonly jobStates: JobStateStore; readonly alerts: AlertStore; readonly history: JobHistoryQueries }, queries = new StatsQueries(db)): StatsSources {
  return {
    queries,
    jobStates: stores.jobStates,
    history: stores.history,
    watchGap: lastGap(stores.alerts),
    newestRejects: () => newestRejects(db, NEWEST_REJECTS),
  };
}

export function openSession(config: Config, log: Logger, clock: () => Date, system: SystemContext): Session {
  const db = openDatabase(config.database, config.busyTimeoutMs);
  const alerts = new AlertStore(db);
  const jobStates = new JobStateStore(db);
  const history = new JobHistoryQueries(db);
  const writer = new RunWriter(db, config.defaultJob);
  const ingest = new Ingest({ writer, alerts, jobStates }, config, log, clock);
  const batchMemory = new BatchMemory();
  const tailer = new Tailer(ingest, {
    source: config.input,
    maxLineBytes: config.maxLineBytes,
    maxFutureMs: config.maxFutureMs,
    log,
    clock,
    checkDatabase: () => assertDatabaseFile(db),
    afterBatch: (bytes) => batchMemory.afterBatch(bytes),
    caughtUp: () => batchMemory.caughtUp(),
  });
  const requestInstall = autoInstaller(config.notify, { ...system, log, store: alerts, clock });
  // Resolved at every delivery, so a notifier installed meanwhile (or removed) is noticed.
  const notifiers = (): readonly NamedNotifier[] => resolveNotifiers(config.notify, { ...system, requestInstall });
  const outbox = new Outbox(db);
  const deliveryThread = new DeliveryThread(config.database);
  const dispatcher = new AlertDispatcher(outbox, notifiers, config.notify, log, clock, deliveryThread);
  let closed = false;
  const queries = new StatsQueries(db);
  return {
    writer,
    tailer,
    queries,
    alerts,
    jobStates,
    history,
    dispatcher,
    monitor: new ScheduleMonitor({ alerts, jobStates, history, transaction: (body) => writer.transaction(body) }, config, log, clock),
    outbox,
    metricsQueries: () => new MetricsQueries(db),
    pruneRuns: (cutoffMs, maxBatches) => pruneRuns(db, cutoffMs, maxBatches),
    notifiers,
    statsSources: () => statsSourcesOf(db, { jobStates, alerts, history }, queries),
    close() {
      if (closed) return;
      closed = true;
      tailer.close();
      deliveryThread.close();
      writer.finalize();
      alerts.finalize();
      outbox.finalize();
      jobStates.finalize();
      history.finalize();
      db.close(false);
    },
  };
}
