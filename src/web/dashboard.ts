/**
 * What serves the pages, made on the first request that passed the checks (server.ts imports this
 * module then): the dashboard's database connection, the event hub, the render cache and the
 * handlers. server.ts closes it again after a quiet spell; the next request opens a new one.
 */
import type { Config } from "../config/config.ts";
import { jobSettings } from "../config/jobs.ts";
import { openWebData } from "./data.ts";
import { EventHub } from "./events.ts";
import { pageHandlers } from "./handlers.ts";
import { RenderCache } from "./render-cache.ts";
import type { Handler, WebContext } from "./request.ts";
import type { PageName } from "./routes.ts";

export interface DashboardOptions {
  readonly config: Config;
  readonly clock: () => Date;
  readonly csrfToken: string;
  readonly tokenPath: string | null;
  /** How often the event hub polls for commits (ms); tests shorten it. */
  readonly pollMs?: number;
}

export interface Dashboard {
  readonly context: WebContext;
  handler(page: PageName): Handler;
  close(): void;
}

/** A document this young is good enough to find the next deadline in. */
const DEADLINE_SOURCE_MAX_AGE_MS = 60_000;

/**
 * The next instant a job's state may change by time alone: a deadline passing, a pause ending.
 * Read from the document the pages were last drawn from (they redraw after every change), so
 * listening costs no stats computation of its own while pages are being refreshed.
 */
function nextDeadline(context: Pick<WebContext, "config" | "clock" | "data">): number | null {
  const { config } = context;
  const nowMs = context.clock().getTime();
  const latest = context.data.latestStats();
  const stats = latest !== null && nowMs - latest.atMs < DEADLINE_SOURCE_MAX_AGE_MS ? latest.stats : context.data.stats(context.clock());
  let next: number | null = null;
  for (const job of stats.jobs) {
    const graceMs = jobSettings(config.jobs, job.name, config.notify.alertAfter).graceMs;
    for (const at of [job.next_expected === null ? null : Date.parse(job.next_expected) + graceMs, job.paused_until === null ? null : Date.parse(job.paused_until)]) {
      if (at !== null && at > nowMs && (next === null || at < next)) next = at;
    }
  }
  return next;
}

/** Throws CollectorError when the database is gone (openWebData). */
export function openDashboard(options: DashboardOptions): Dashboard {
  const { config, clock } = options;
  const data = openWebData(config);
  const base = { config, clock, data };
  const events = new EventHub({
    dataVersion: () => data.history.dataVersion(),
    nextDeadlineMs: () => nextDeadline(base),
    clock,
    // Same monotonic source as openWebData's default: a change waits until pages see the commit.
    settledAtMs: () => data.settledAtMs(),
    onDeadline: () => data.forget(),
    ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
  });
  const context: WebContext = { ...base, csrfToken: options.csrfToken, events, rendered: new RenderCache(), tokenPath: options.tokenPath };
  return {
    context,
    handler: (page) => pageHandlers[page],
    close() {
      events.stop();
      context.rendered.clear();
      data.close();
    },
  };
}
