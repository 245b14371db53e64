/** `--stats`: the dashboard, as text or JSON. */
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { lastGap } from "../monitor.ts";
import { formatStats } from "../report.ts";
import { collectStats } from "../stats.ts";
import { AlertStore } from "../store/alerts.ts";
import { openDatabase } from "../store/database.ts";
import { JobStateStore } from "../store/job-state.ts";
import { StatsQueries } from "../store/stats-queries.ts";

export function statsCommand(config: Config, now: Date, output: Output, json: boolean, job?: string): number {
  const db = openDatabase(config.database);
  const jobStates = new JobStateStore(db);
  const alerts = new AlertStore(db);
  try {
    const stats = collectStats({ queries: new StatsQueries(db), jobStates, watchGap: lastGap(alerts) }, now, config, job);
    output.out(
      json
        ? JSON.stringify(stats, null, 2)
        : formatStats(stats, { color: output.color }, { onlyJob: job, defaultJob: config.defaultJob }),
    );
    return 0;
  } finally {
    jobStates.finalize();
    alerts.finalize();
    db.close(false);
  }
}
