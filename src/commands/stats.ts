/** `--stats`: the dashboard, as text or JSON. */
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import { formatStats } from "../report.ts";
import { collectStats } from "../stats.ts";
import { openDatabase } from "../store/database.ts";
import { StatsQueries } from "../store/stats-queries.ts";

export function statsCommand(config: Config, now: Date, output: Output, json: boolean, job?: string): number {
  const db = openDatabase(config.database);
  try {
    const stats = collectStats(new StatsQueries(db), now, config.defaultJob, job);
    output.out(
      json
        ? JSON.stringify(stats, null, 2)
        : formatStats(stats, { color: output.color }, { onlyJob: job, defaultJob: config.defaultJob }),
    );
    return 0;
  } finally {
    db.close(false);
  }
}
