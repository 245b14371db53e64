/**
 * The routes, as a table, and how a request path finds its route. Matching works on the raw
 * (still percent-encoded) path, so a job name holding "/" stays one segment; the `:name` segment
 * is decoded after matching. A `name` query parameter wins over it (for "." and "..", see links.ts).
 */
import { pauseApi, resumeApi } from "./api/pause.ts";
import { alertsApi, eventsApi, healthz, rejectsApi, runsApi, statsApi } from "./api/read.ts";
import { alertsPage } from "./pages/alerts.ts";
import { jobPage } from "./pages/job.ts";
import { overviewPage } from "./pages/overview.ts";
import type { Handler } from "./request.ts";

export type Method = "GET" | "POST";

export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly handler: Handler;
  /** Served without the access token (shows no job data). */
  readonly open?: boolean;
}

export function routeTable(staticFile: Handler): readonly Route[] {
  return [
    { method: "GET", path: "/", handler: overviewPage },
    { method: "GET", path: "/jobs/:name", handler: jobPage },
    { method: "GET", path: "/alerts", handler: alertsPage },
    { method: "GET", path: "/api/stats", handler: statsApi },
    { method: "GET", path: "/api/jobs/:name/runs", handler: runsApi },
    { method: "GET", path: "/api/alerts", handler: alertsApi },
    { method: "GET", path: "/api/rejects", handler: rejectsApi },
    { method: "GET", path: "/api/events", handler: eventsApi },
    { method: "POST", path: "/api/jobs/:name/pause", handler: pauseApi },
    { method: "POST", path: "/api/jobs/:name/resume", handler: resumeApi },
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
