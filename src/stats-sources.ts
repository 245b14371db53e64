/**
 * What collectStats reads from an open database. Its own module so that a reader of the stats
 * (the dashboard, on a connection of its own) does not need the whole collector session (tailer,
 * ingest, notifiers); when the dashboard ran in a Worker, each module it loaded cost memory of its own.
 */
import type { Database } from "bun:sqlite";
import { lastGap } from "./monitor.ts";
import { NEWEST_REJECTS, type StatsSources } from "./stats.ts";
import type { AlertStore } from "./store/alerts.ts";
import type { JobHistoryQueries } from "./store/job-history.ts";
import type { JobStateStore } from "./store/job-state.ts";
import { newestRejects } from "./store/rejects.ts";
import { StatsQueries } from "./store/stats-queries.ts";

/** The caller finalizes `history`. */
export function statsSourcesOf(db: Database, stores: { readonly jobStates: JobStateStore; readonly alerts: AlertStore; readonly history: JobHistoryQueries }, queries = new StatsQueries(db)): StatsSources {
  return {
    queries,
    jobStates: stores.jobStates,
    history: stores.history,
    watchGap: lastGap(stores.alerts),
    newestRejects: () => newestRejects(db, NEWEST_REJECTS),
  };
}
