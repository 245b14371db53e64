/**
 * The dashboard server: Bun.serve on `web.listen` (127.0.0.1:8765 by default), its own database
 * connection, the checks of security.ts in front of the route table, and the event hub.
 *
 * A port already in use is one WARN and no dashboard; the collector goes on without it.
 */
import type { Server } from "bun";
import type { Config } from "../config/config.ts";
import { jobSettings } from "../config/jobs.ts";
import { webTokenPath } from "../config/web.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { openWebData, type WebData } from "./data.ts";
import { EventHub } from "./events.ts";
import { unauthorizedPage } from "./pages/errors.ts";
import { jsonResponse, type WebContext } from "./request.ts";
import { RenderCache } from "./render-cache.ts";
import { matchRoute, routeTable } from "./routes.ts";
import { authenticate, csrfProblem, hostAllowed, sameSecret, securityHeaders, type AccessPolicy } from "./security.ts";
import { loadStaticFiles, staticHandler } from "./static.ts";
import { ensureToken, newSecret } from "./token.ts";

export interface WebServerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
  /** The collector's own state for /healthz (e.g. uptime, last ingest). */
  readonly health?: () => Record<string, unknown>;
  /** How often the event hub polls for commits (ms); tests shorten it. */
  readonly pollMs?: number;
}

export interface WebServer {
  /** The bare URL (without token), e.g. http://127.0.0.1:8765/. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** How long without a request counts as the end of a burst. */
const QUIET_GC_MS = 2000;

const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host);

function text(body: string, status: number): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
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

/** Starts the dashboard, or returns null when `web.listen` is off or the port is taken (logged). */
export function startWebServer(options: WebServerOptions): WebServer | null {
  const { config, log, clock } = options;
  const listen = config.web.listen;
  if (listen === null) return null;
  const tokenPath = config.web.auth === "token" ? webTokenPath(config.web, config.database) : null;
  let token: string | null;
  let data: WebData;
  try {
    token = tokenPath === null ? null : ensureToken(tokenPath);
    data = openWebData(config);
  } catch (error) {
    // The dashboard is a view: without it the collector still ingests and alerts.
    log.warn(`Dashboard not started: ${describeError(error)}; the collector goes on without it`);
    return null;
  }
  const startedAt = clock();
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
  const context: WebContext = {
    ...base,
    csrfToken: newSecret(),
    events,
    rendered: new RenderCache(),
    tokenPath,
    health: () => ({ started_at: startedAt.toISOString(), pid: process.pid, live_clients: events.size, ...options.health?.() }),
  };
  const routes = routeTable(staticHandler(loadStaticFiles()));
  // The address it was told to listen on is a name it answers to as well (e.g. a LAN address);
  // a wildcard is not a name.
  const wildcard = listen.host === "0.0.0.0" || listen.host === "::";
  const allowedHosts = wildcard ? config.web.allowedHosts : [...config.web.allowedHosts, urlHost(listen.host).toLowerCase()];
  let port = listen.port;
  const policy = (): AccessPolicy => ({ token, cookieName: `cron_collector_${port}` });

  const answer = async (request: Request, server: Server<undefined>): Promise<Response> => {
    if (!hostAllowed(request.headers.get("host"), port, allowedHosts)) {
      return text("Misdirected request: this dashboard answers to 127.0.0.1, localhost and [::1] only (web.allowed_hosts adds names).", 421);
    }
    const url = new URL(request.url);
    const match = matchRoute(routes, request.method, url);
    switch (match.kind) {
      case "not-found":
        return text("Not found", 404);
      case "bad-path":
        return text("Bad request: malformed percent-encoding in the path", 400);
      case "wrong-method":
        return new Response(`Method not allowed: use ${match.allowed}\n`, { status: 405, headers: { Allow: match.allowed } });
      case "found":
        break;
      default:
        return match satisfies never;
    }
    const { route } = match;
    const api = url.pathname.startsWith("/api/");
    const given = request.method === "GET" ? url.searchParams.get("token") : null;
    if (given !== null && token !== null && !route.open) {
      if (!sameSecret(given, token)) return unauthorizedPage(tokenPath, true);
      // The token leaves the address bar (and history) at once; the cookie carries it from now on.
      url.searchParams.delete("token");
      const headers = new Headers({ Location: `${url.pathname}${url.search}` });
      headers.append("Set-Cookie", `${policy().cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`);
      return new Response(null, { status: 303, headers });
    }
    const access = route.open ? "open" : authenticate(request.headers, policy());
    if (access === null) return api ? jsonResponse({ error: "the access token is missing or wrong (Authorization: Bearer TOKEN)" }, 401) : unauthorizedPage(tokenPath, false);
    if (route.method === "POST") {
      const problem = csrfProblem(request, access, context.csrfToken);
      if (problem !== null) return jsonResponse({ error: `Forbidden: ${problem}` }, 403);
    }
    return route.handler({ request, url, job: match.name, context, keepOpen: () => server.timeout(request, 0) });
  };

  // Building pages leaves garbage that a quiet collector may not collect for minutes: collect it
  // once, when a burst of requests is over, so the resident memory goes back down. Every cached
  // document is more than a second old by then (so it would be computed again anyway): they go
  // too, with SQLite's page cache (2 MB when full; the pages are in the OS's cache, read again in
  // a few milliseconds), and Bun.shrink asks JavaScriptCore to give back what it can (its heap
  // went from 3.6 to 1.0 MB after five stats documents in a test here). What the dashboard adds
  // to the collector's memory 3 s after a burst (bench/web.ts) measured +11.2 to +12.6 MB in three
  // runs with all of this, +13.5 to +17.9 MB in five runs with the GC alone or the GC and shrink.
  let quietTimer: ReturnType<typeof setTimeout> | null = null;
  const collectWhenQuiet = (): void => {
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = setTimeout(() => {
      quietTimer = null;
      data.release();
      context.rendered.clear();
      Bun.gc(true);
      Bun.shrink();
    }, QUIET_GC_MS);
  };

  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: listen.host,
      port: listen.port,
      // Event streams lift it for themselves (keepOpen); pings every 15 s keep proxies happy.
      idleTimeout: 30,
      fetch: async (request, self) => {
        let response: Response;
        try {
          response = await answer(request, self);
        } catch (error) {
          log.error(`Dashboard: ${request.method} ${new URL(request.url).pathname} failed: ${describeError(error)}`);
          response = text("Internal error; see the collector's log", 500);
        }
        securityHeaders(response.headers, new URL(request.url).pathname.startsWith("/static/"));
        collectWhenQuiet();
        return response;
      },
    });
  } catch (error) {
    data.close();
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? "the port is already in use" : describeError(error);
    log.warn(`Dashboard not started on ${urlHost(listen.host)}:${listen.port}: ${reason}; the collector goes on without it (set web.listen to another port, or off)`);
    return null;
  }
  port = server.port ?? listen.port;
  const url = `http://${urlHost(listen.host)}:${port}/`;
  log.info(`Dashboard on ${url} (bun collector.ts open)`);
  return {
    url,
    port,
    async stop() {
      if (quietTimer) clearTimeout(quietTimer);
      events.stop();
      await server.stop(true);
      data.close();
    },
  };
}
