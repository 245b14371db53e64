/**
 * What the watching collector starts beside ingestion for the world outside the machine: the
 * metrics publisher (metrics.listen / metrics.textfile) and the heartbeat (heartbeat.url). Each
 * is off unless configured. The daemon calls this once per running config and stops it with it.
 */
import type { Config } from "../config/config.ts";
import { startHeartbeat, judgeHealth, type Heartbeat } from "../heartbeat.ts";
import type { Logger } from "../logger.ts";
import type { Session } from "../session.ts";
import { probeWritable } from "../store/health-probe.ts";
import { MetricsQueries } from "../store/metrics.ts";
import packageJson from "../../package.json" with { type: "json" };
import { renderExposition } from "./exposition.ts";
import { startMetricsPublisher, type MetricsPublisher } from "./publisher.ts";
import { takeSnapshot, type SnapshotSources } from "./snapshot.ts";

export interface Exporters {
  readonly metrics: MetricsPublisher | null;
  readonly heartbeat: Heartbeat | null;
  stop(): Promise<void>;
}

export const BUILD_INFO = { version: packageJson.version, bunVersion: Bun.version };

/** Pending alerts older than this (or two heartbeat intervals, if longer) mean a stuck outbox. */
const MAX_PENDING_AGE_MS = 10 * 60_000;

/** What a snapshot reads, from the daemon's session (metrics never need the watch gap). */
export function snapshotSources(session: Pick<Session, "statsSources">, metrics: MetricsQueries): SnapshotSources {
  return { stats: session.statsSources(), metrics };
}

export function startExporters(
  session: Pick<Session, "metricsQueries" | "statsSources">,
  config: Config,
  log: Logger,
  clock: () => Date,
  /** Why the last poll of the input failed, or null while ingestion works. */
  ingestionProblem: () => string | null,
): Exporters {
  const queries = session.metricsQueries();
  const wantsMetrics = config.metrics.listen !== null || config.metrics.textfile !== null;
  let metrics: MetricsPublisher | null = null;
  let heartbeat: Heartbeat | null = null;
  try {
    if (wantsMetrics) {
      const sources = snapshotSources(session, queries);
      const render = (): string => renderExposition(takeSnapshot(sources, config, clock(), BUILD_INFO));
      metrics = startMetricsPublisher({ config: config.metrics, intervalMs: config.checkIntervalMs, render, log });
    }
    const { url, intervalMs } = config.heartbeat;
    if (url !== null) {
      const check = () => {
        const nowMs = clock().getTime();
        return judgeHealth({
          ingestionProblem: ingestionProblem(),
          database: probeWritable(config.database, nowMs),
          outbox: queries.outboxBacklog(),
          nowMs,
          maxPendingAgeMs: Math.max(MAX_PENDING_AGE_MS, 2 * intervalMs),
        });
      };
      heartbeat = startHeartbeat({ url, intervalMs, check, log });
    }
  } catch (error) {
    queries.finalize();
    throw error;
  }
  return {
    metrics,
    heartbeat,
    async stop() {
      await Promise.all([metrics?.stop(), heartbeat?.stop()]);
      queries.finalize();
    },
  };
}
