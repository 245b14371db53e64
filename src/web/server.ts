/**
 * The dashboard server: Bun.serve on `web.listen` (127.0.0.1:8765 by default), the checks of
 * security.ts in front of the route table, and the static files; the pages, their own database
 * connection and the event hub are loaded with the first request that passes the checks
 * (dashboard.ts) and closed again after a quiet spell.
 *
 * A port already in use is one WARN and no dashboard; the collector goes on without it.
 */
import type { Server } from "bun";
import { existsSync } from "node:fs";
import type { Config } from "../config/config.ts";
import { webTokenPath } from "../config/web.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Dashboard } from "./dashboard.ts";
import { unauthorizedPage } from "./pages/errors.ts";
import { jsonResponse } from "./request.ts";
import { matchRoute, routeTable } from "./routes.ts";
import { authenticate, csrfProblem, hostAllowed, sameSecret, securityHeaders, type AccessPolicy } from "./security.ts";
import { loadStaticFiles, staticHandler } from "./static.ts";
import { ensureToken, newSecret } from "./token.ts";

/** Timers, injected by tests: `set` runs fn after ms and returns what cancels it. */
export interface WebTimers {
  set(fn: () => void, ms: number): () => void;
}

export interface WebServerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
  /** The collector's own state for /healthz (e.g. uptime, last ingest). */
  readonly health?: () => Record<string, unknown>;
  /** How often the event hub polls for commits (ms); tests shorten it. */
  readonly pollMs?: number;
  readonly timers?: WebTimers;
}

export interface WebServer {
  /** The bare URL (without token), e.g. http://127.0.0.1:8765/. */
  readonly url: string;
  readonly port: number;
  /** Whether the pages, their database connection and caches are in memory now. */
  readonly loaded: boolean;
  /** Closes the listener, every connection and event stream, and the pages' database connection. */
  stop(): Promise<void>;
}

/** How long without a request counts as the end of a burst. */
const QUIET_GC_MS = 2000;
/** How long without a request (and no live page listening) before the pages' state is closed. */
export const IDLE_CLOSE_MS = 5 * 60_000;

const realTimers: WebTimers = {
  set(fn, ms) {
    // Housekeeping only: never what keeps the collector's process alive.
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host);

function text(body: string, status: number): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/** Starts the dashboard, or returns null when `web.listen` is off or the port is taken (logged). */
export function startWebServer(options: WebServerOptions): WebServer | null {
  const { config, log, clock } = options;
  const timers = options.timers ?? realTimers;
  const listen = config.web.listen;
  if (listen === null) return null;
  const tokenPath = config.web.auth === "token" ? webTokenPath(config.web, config.database) : null;
  let token: string | null;
  try {
    token = tokenPath === null ? null : ensureToken(tokenPath);
  } catch (error) {
    // The dashboard is a view: without it the collector still ingests and alerts.
    log.warn(`Dashboard not started: ${describeError(error)}; the collector goes on without it`);
    return null;
  }
  // The collector created it before starting the dashboard; if it is gone now (deleted under the
  // collector, which then stops), the dashboard does not start (openWebData would refuse anyway).
  if (!existsSync(config.database)) {
    log.warn(`Dashboard not started: there is no database at "${config.database}"; the collector goes on without it`);
    return null;
  }
  const startedAt = clock();
  const csrfToken = newSecret();

  // The pages, their database connection, event hub and caches: made by the first request that
  // passed the checks, closed after IDLE_CLOSE_MS without requests or live pages (a dashboard
  // nobody looks at costs only its listener), made again by the next one.
  let dashboard: Dashboard | null = null;
  let opening: Promise<Dashboard> | null = null;
  let inFlight = 0;
  const openPages = (): Promise<Dashboard> =>
    (opening ??= import("./dashboard.ts")
      .then(({ openDashboard }) => {
        dashboard = openDashboard({ config, clock, csrfToken, tokenPath, ...(options.pollMs !== undefined && { pollMs: options.pollMs }) });
        log.debug("Dashboard: pages loaded, database connection opened");
        return dashboard;
      })
      .catch((error: unknown) => {
        opening = null;
        throw error;
      }));
  const closePages = (): void => {
    dashboard?.close();
    dashboard = null;
    opening = null;
  };
  const health = (): Record<string, unknown> => ({ started_at: startedAt.toISOString(), pid: process.pid, live_clients: dashboard?.context.events.size ?? 0, ...options.health?.() });
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
      const problem = csrfProblem(request, access, csrfToken);
      if (problem !== null) return jsonResponse({ error: `Forbidden: ${problem}` }, 403);
    }
    if (route.open) return route.handler({ request, job: match.name, health });
    const pages = await openPages();
    return pages.handler(route.page)({ request, url, job: match.name, context: pages.context, keepOpen: () => server.timeout(request, 0) });
  };

  // Building pages leaves garbage that a quiet collector may not collect for minutes: collect it
  // once, when a burst of requests is over, so the resident memory goes back down. Every cached
  // document is more than a second old by then (so it would be computed again anyway): they go
  // too, with SQLite's page cache (2 MB when full; the pages are in the OS's cache, read again in
  // a few milliseconds), and Bun.shrink asks JavaScriptCore to give back what it can (its heap
  // went from 3.6 to 1.0 MB after five stats documents in a test here). What the dashboard adds
  // to the collector's memory 3 s after a burst (bench/web.ts): +5.0 to +5.7 MB in three runs
  // (README "Performance"); in a Worker of its own it was +11.2 to +12.6 MB with all of this,
  // +13.5 to +17.9 MB with the GC alone or the GC and shrink.
  let cancelQuiet: (() => void) | null = null;
  let cancelIdle: (() => void) | null = null;
  let stopped = false;
  const closeWhenIdle = (): void => {
    cancelIdle = timers.set(() => {
      cancelIdle = null;
      if (dashboard === null) return;
      // A live page (an event stream) or a request still running keeps it: look again later.
      if (inFlight > 0 || dashboard.context.events.size > 0) return closeWhenIdle();
      closePages();
      Bun.gc(true);
      Bun.shrink();
      log.debug("Dashboard: quiet, pages' database connection closed");
    }, IDLE_CLOSE_MS);
  };
  const collectWhenQuiet = (): void => {
    if (stopped) return; // a request that finished after stop() arms nothing
    cancelQuiet?.();
    cancelQuiet = timers.set(() => {
      cancelQuiet = null;
      dashboard?.context.data.release();
      dashboard?.context.rendered.clear();
      Bun.gc(true);
      Bun.shrink();
    }, QUIET_GC_MS);
    cancelIdle?.();
    closeWhenIdle();
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
        inFlight++;
        try {
          response = await answer(request, self);
        } catch (error) {
          log.error(`Dashboard: ${request.method} ${new URL(request.url).pathname} failed: ${describeError(error)}`);
          response = text("Internal error; see the collector's log", 500);
        } finally {
          inFlight--;
        }
        securityHeaders(response.headers, new URL(request.url).pathname.startsWith("/static/"));
        collectWhenQuiet();
        return response;
      },
    });
  } catch (error) {
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
    get loaded() {
      return dashboard !== null;
    },
    async stop() {
      stopped = true;
      cancelQuiet?.();
      cancelIdle?.();
      await opening?.catch(() => null);
      dashboard?.context.events.stop();
      await server.stop(true);
      closePages();
    },
  };
}
