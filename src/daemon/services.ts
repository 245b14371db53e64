/**
 * The servers the watching collector runs beside ingestion, each off unless configured: the
 * metrics publisher and the heartbeat (src/metrics/exporters.ts). A dashboard joins this list.
 */
import { startExporters } from "../metrics/exporters.ts";
import type { StartService } from "./running.ts";

const exporters: StartService = ({ session, config, log, clock, ingestionProblem }) => startExporters(session, config, log, clock, ingestionProblem);

export const defaultServices: readonly StartService[] = [exporters];
