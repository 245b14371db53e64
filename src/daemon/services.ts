/**
 * The servers the watching collector runs beside ingestion, each off unless configured: the
 * metrics publisher and the heartbeat (src/metrics/exporters.ts). A dashboard joins this list.
 */
import { startExporters } from "../metrics/exporters.ts";
import { startWebThread } from "../web/thread.ts";
import type { StartService } from "./running.ts";

const exporters: StartService = ({ session, config, log, clock, ingestionProblem }) => startExporters(session, config, log, clock, ingestionProblem);

// The dashboard never stops a start-up: a port in use is one warning (issue 12), hence a no-op service.
const dashboard: StartService = async ({ config, log, clock }) => (await startWebThread({ config, log, clock })) ?? { stop: async () => {} };

export const defaultServices: readonly StartService[] = [exporters, dashboard];
