/**
 * The routes, as a table, and how a request path finds its route. Matching works on the raw
 * (still percent-encoded) path, so a job name holding "/" stays one segment; the `:name` segment
 * is decoded after matching. A `name` query parameter wins over it (for "." and "..", see links.ts).
 *
 * The table names the handlers of the token-guarded routes instead of importing them: the pages,
 * the stats and the store are loaded with the first request that passed the checks (dashboard.ts),
 * so a dashboard nobody opens costs only its listener (README "Performance").
 */
export type Method = "GET" | "POST";

/** The handlers dashboard.ts loads (handlers.ts maps each name to its function). */
export type PageName = "overview" | "job" | "alerts" | "stats-api" | "runs-api" | "alerts-api" | "rejects-api" | "events-api" | "pause-api" | "resume-api";

/** What an open route gets: no job data, only the collector's own state. */
export interface OpenRequest {
  readonly request: Request;
  /** The decoded `:name` segment (for /static/:name, a file name); null elsewhere. */
  readonly job: string | null;
  /** The collector's own state, for /healthz. */
  health(): Record<string, unknown>;
}

export type OpenHandler = (request: OpenRequest) => Response;

interface RouteBase {
  readonly method: Method;
  readonly path: string;
}

/** Served without the access token (shows no job data), before the pages are loaded. */
export interface OpenRoute extends RouteBase {
  readonly open: true;
  readonly handler: OpenHandler;
}

export interface PageRoute extends RouteBase {
  readonly open: false;
  readonly page: PageName;
}

export type Route = OpenRoute | PageRoute;

/** GET /healthz: 200 with the collector's own state (no token needed: it shows no job data). */
function healthz({ health }: OpenRequest): Response {
  return new Response(JSON.stringify({ status: "ok", ...health() }), { headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" } });
}

export function routeTable(staticFile: OpenHandler): readonly Route[] {
  const page = (method: Method, path: string, name: PageName): PageRoute => ({ method, path, open: false, page: name });
  return [
    page("GET", "/", "overview"),
    page("GET", "/jobs/:name", "job"),
    page("GET", "/alerts", "alerts"),
    page("GET", "/api/stats", "stats-api"),
    page("GET", "/api/jobs/:name/runs", "runs-api"),
    page("GET", "/api/alerts", "alerts-api"),
    page("GET", "/api/rejects", "rejects-api"),
    page("GET", "/api/events", "events-api"),
    page("POST", "/api/jobs/:name/pause", "pause-api"),
    page("POST", "/api/jobs/:name/resume", "resume-api"),
    { method: "GET", path: "/healthz", handler: healthz, open: true },
    { method: "GET", path: "/static/:name", handler: staticFile, open: true },
  ];
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly name: string | null }
  | { readonly kind: "not-found" }
  | { readonly kind: "bad-path" }
  | { readonly kind: "wrong-method"; readonly allowed: Method };

function matchPath(pattern: string, segments: readonly string[]): { name: string | null } | null {
  const parts = pattern.split("/");
  if (parts.length !== segments.length) return null;
  let name: string | null = null;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const segment = segments[i] ?? "";
    if (part === ":name") {
      if (segment === "") return null;
      name = segment;
    } else if (part !== segment) return null;
  }
  return { name };
}

/** Pure: the route for a method and a URL. */
export function matchRoute(routes: readonly Route[], method: string, url: URL): RouteMatch {
  const segments = url.pathname.split("/");
  for (const route of routes) {
    const match = matchPath(route.path, segments);
    if (!match) continue;
    // HEAD is answered like GET by Bun; anything else must be the route's method.
    if (route.method !== method && !(route.method === "GET" && method === "HEAD")) {
      const same = routes.find((other) => other !== route && other.path === route.path && other.method === method);
      if (!same) return { kind: "wrong-method", allowed: route.method };
      continue;
    }
    if (match.name === null) return { kind: "found", route, name: null };
    let name: string;
    try {
      name = url.searchParams.get("name") ?? decodeURIComponent(match.name);
    } catch {
      return { kind: "bad-path" };
    }
    return { kind: "found", route, name };
  }
  return { kind: "not-found" };
}
