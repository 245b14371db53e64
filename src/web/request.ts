/** What a route handler gets: the request, its decoded job name, and the server's context. */
import type { Config } from "../config/config.ts";
import type { WebData } from "./data.ts";
import type { EventHub } from "./events.ts";
import type { RenderCache, RenderedBody } from "./render-cache.ts";

export interface WebContext {
  readonly config: Config;
  readonly clock: () => Date;
  /** Per-process; the pages carry it in <meta name="csrf-token">. */
  readonly csrfToken: string;
  readonly data: WebData;
  readonly events: EventHub;
  /** Pages and JSON rendered from the current stats documents (render-cache.ts). */
  readonly rendered: RenderCache;
  /** The token file, for the 401 page; null with web.auth none. */
  readonly tokenPath: string | null;
}

export interface RouteRequest {
  readonly request: Request;
  readonly url: URL;
  /** The decoded `:name` segment: a job name (for /static/:name, a file name); null elsewhere. */
  readonly job: string | null;
  readonly context: WebContext;
  /** Lifts the idle timeout for this request (a long-lived event stream). */
  readonly keepOpen: () => void;
}

export type Handler = (request: RouteRequest) => Response | Promise<Response>;

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" } });
}

export function htmlResponse(body: { readonly text: string }, status = 200): Response {
  return new Response(documentText(body), { status, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

/** The whole HTML document of a page (what htmlResponse sends). */
export function documentText(body: { readonly text: string }): string {
  return `<!doctype html>\n${body.text}`;
}

const acceptsGzip = (request: Request): boolean => /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "");

/**
 * A body from the RenderCache, gzipped when the client accepts it. (Compressing a page that holds
 * the CSRF token beside a reflected `q` is what BREACH measures; it needs the victim's cookie on a
 * cross-site request, which SameSite=Strict withholds, and the sizes of loopback traffic.)
 */
export function renderedResponse(request: Request, body: RenderedBody, kind: "html" | "json"): Response {
  const headers: Record<string, string> = kind === "html" ? { "Content-Type": "text/html; charset=utf-8" } : { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
  headers["Vary"] = "Accept-Encoding";
  if (!acceptsGzip(request)) return new Response(body.bytes, { headers });
  headers["Content-Encoding"] = "gzip";
  return new Response(body.gzipped(), { headers });
}

/** A positive whole number from the query, clamped; `fallback` when absent or malformed. */
export function queryInt(url: URL, key: string, fallback: number, max: number): number {
  const value = Number(url.searchParams.get(key));
  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}
