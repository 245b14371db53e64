/** The token-guarded routes' handlers, by the names routes.ts gives them; loaded by dashboard.ts. */
import { pauseApi, resumeApi } from "./api/pause.ts";
import { alertsApi, eventsApi, rejectsApi, runsApi, statsApi } from "./api/read.ts";
import { alertsPage } from "./pages/alerts.ts";
import { jobPage } from "./pages/job.ts";
import { overviewPage } from "./pages/overview.ts";
import type { Handler } from "./request.ts";
import type { PageName } from "./routes.ts";

export const pageHandlers: Readonly<Record<PageName, Handler>> = {
  overview: overviewPage,
  job: jobPage,
  alerts: alertsPage,
  "stats-api": statsApi,
  "runs-api": runsApi,
  "alerts-api": alertsApi,
  "rejects-api": rejectsApi,
  "events-api": eventsApi,
  "pause-api": pauseApi,
  "resume-api": resumeApi,
};
