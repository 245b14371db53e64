/**
 * The servers the watching collector runs beside ingestion, each off unless configured: the
 * metrics publisher and the heartbeat (src/metrics/exporters.ts). A dashboard joins this list.
 */
import { startExporters } from "../metrics/exporters.ts";
import { startWebThread } from "../web/thread.ts";
import type { StartService } from "./running.ts";

const exporters: StartService = ({ session, config, log, clock, ingestionProblem }) => startExporters(session, config, log, clock, ingestionProblem);

// The dashboard never holds up or stops a start-up (a port in use is one warning, issue 12): its
// thread starts in the background, and a stop before it is ready ends it at once.
const dashboard: StartService = ({ config, log, clock, ingestionProblem }) =>
  startWebThread({ config, log, clock, health: () => ({ ingestion_problem: ingestionProblem() }) });

export const defaultServices: readonly StartService[] = [exporters, dashboard];
