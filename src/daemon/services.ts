/**
 * The servers the watching collector runs beside ingestion, each off unless configured: the
 * metrics publisher and the heartbeat (src/metrics/exporters.ts). A dashboard joins this list.
 */
import type { Config } from "../config/config.ts";
import { startWebThread } from "../web/thread.ts";
import type { StartService } from "./running.ts";

const wantsExporters = (config: Config): boolean => config.metrics.listen !== null || config.metrics.textfile !== null || config.heartbeat.url !== null;

// Both are off by default: their modules (and the metrics statements) are loaded only when one is
// configured, so a default resident collector does not carry them.
const exporters: StartService = async ({ session, config, log, clock, ingestionProblem }) => {
  if (!wantsExporters(config)) return { stop: async () => {} };
  const { startExporters } = await import("../metrics/exporters.ts");
  return startExporters(session, config, log, clock, ingestionProblem);
};

// The dashboard never holds up or stops a start-up (a port in use is one warning, issue 12): its
// thread starts in the background, and a stop before it is ready ends it at once.
const dashboard: StartService = ({ config, log, clock, ingestionProblem }) =>
  startWebThread({ config, log, clock, health: () => ({ ingestion_problem: ingestionProblem() }) });

export const defaultServices: readonly StartService[] = [exporters, dashboard];
