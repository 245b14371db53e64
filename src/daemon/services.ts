/**
 * The servers the watching collector runs beside ingestion, each off unless configured: the
 * metrics publisher and the heartbeat (src/metrics/exporters.ts), and the dashboard.
 */
import type { Config } from "../config/config.ts";
import { startWebServer } from "../web/server.ts";
import type { Service, ServiceContext, StartService } from "./running.ts";

const wantsExporters = (config: Config): boolean => config.metrics.listen !== null || config.metrics.textfile !== null || config.heartbeat.url !== null;

// Both are off by default: their modules (and the metrics statements) are loaded only when one is
// configured, so a default resident collector does not carry them.
const exporters: StartService = async ({ session, config, log, clock, ingestionProblem }) => {
  if (!wantsExporters(config)) return { stop: async () => {} };
  const { startExporters } = await import("../metrics/exporters.ts");
  return startExporters(session, config, log, clock, ingestionProblem);
};

/**
 * The dashboard, served from the collector's own event loop (a Worker cost 5 MB empty and kept
 * 8–16 MB after a burst of requests; README "Performance"). Requests are answered between ingest
 * ticks, so during a large catch-up a page waits for the tick in progress (it reads 1 MiB slices
 * until TICK_BUDGET_MS has passed: p95 about 190 ms on 5 million runs, README). Starting never holds
 * up or stops the collector: a port in use is one WARN (issue 12) and a service that does nothing.
 * /healthz reads the collector's state directly.
 */
export function startDashboard({ config, log, clock, ingestionProblem }: Pick<ServiceContext, "config" | "log" | "clock" | "ingestionProblem">): Service {
  const server = startWebServer({ config, log, clock, health: () => ({ ingestion_problem: ingestionProblem() }) });
  return { stop: async () => server?.stop() };
}

export const defaultServices: readonly StartService[] = [exporters, startDashboard];
