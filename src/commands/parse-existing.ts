/** `--parse-existing`: ingest everything not stored yet, say what happened, exit. */
import { existsSync } from "node:fs";
import { runtimePaths } from "../runtime-paths.ts";
import { acquireInstanceLock } from "../instance-lock.ts";
import { retentionCutoffMs } from "../store/retention.ts";
import type { Config } from "../config/config.ts";
import { missingInputHint } from "../cli/hints.ts";
import { bunForCommands } from "../cli/bun-path.ts";
import type { Output } from "../cli/io.ts";
import type { Logger } from "../logger.ts";
import { openSession, type SystemContext } from "../session.ts";
import type { PollTotals } from "../tailer.ts";

export function summarize(input: string, totals: PollTotals, seconds: number): string {
  const rejected = totals.rejected > 0 ? `, ${totals.rejected} rejected (stored in the quarantine table)` : ", 0 rejected";
  const starts = totals.starts > 0 ? `, ${totals.starts} start marker(s)` : "";
  return `Read "${input}": ${totals.inserted} new run(s)${starts}, ${totals.duplicates} already stored${rejected}, in ${seconds.toFixed(1)}s`;
}

export async function parseExistingCommand(config: Config, log: Logger, clock: () => Date, system: SystemContext, output: Output): Promise<number> {
  if (!existsSync(config.input)) {
    output.out(missingInputHint(config.input, system.collectorPath, bunForCommands(system.which)));
    return 0;
  }
  const started = performance.now();
  // A running collector already ingests this database; two would race for the alerts.
  const lock = acquireInstanceLock(config.database, runtimePaths(config.logDir).pidFile);
  const session = openSession(config, log, clock, system);
  try {
    const totals = session.tailer.poll();
    output.out(summarize(config.input, totals, (performance.now() - started) / 1000));
    session.monitor.check(); // missed runs and overlong runs, as of now
    if (config.retentionDays !== null) {
      const pruned = session.pruneRuns(retentionCutoffMs(clock().getTime(), config.retentionDays), Infinity);
      if (pruned > 0) output.out(`Pruned ${pruned} run(s) older than ${config.retentionDays} days (retention_days)`);
    }
    const delivery = await session.dispatcher.flush();
    if (delivery.sent + delivery.failed > 0) output.out(`Alerts: ${delivery.sent} sent, ${delivery.failed} not delivered (see the log above)`);
    if (delivery.waiting > 0) output.out(`Alerts: ${delivery.waiting} held back by notify.max_per_minute; the next collector run sends them`);
    return 0;
  } finally {
    session.close();
    lock.release();
  }
}
