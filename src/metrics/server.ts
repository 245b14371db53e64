/**
 * GET /metrics on a listener of its own (so exposing metrics never exposes the dashboard). The
 * handler only hands out the text rendered last; it never touches the database, so a scrape costs
 * the same whatever the database holds and never competes with ingestion for it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { CollectorError, describeError } from "../errors.ts";
import { CONTENT_TYPE } from "./exposition.ts";

export interface MetricsServerOptions {
  readonly hostname: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The bearer token a scrape must send, or null for none. */
  readonly token: string | null;
  /** The current exposition, or null before the first one is ready. */
  readonly text: () => string | null;
}

export interface MetricsServer {
  /** The base URL it listens on, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/** localhost, 127.x.x.x or ::1 (with or without brackets). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** The host part of a Host header ("[::1]:9464" → "[::1]", "localhost:9464" → "localhost"). */
function hostOf(header: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)/.exec(header);
  return match?.[1] ?? header;
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/** Compares digests, so neither the token's content nor its length shows in the timing. */
export function tokenMatches(header: string | null, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

function plain(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

/**
 * The bytes of the current text, encoded (and gzipped, for scrapers that accept it, as Prometheus
 * does) once per rendering rather than once per scrape: the exposition of 1,000 jobs is ~2 MB.
 */
function bodyCache(): (text: string, gzip: boolean) => Uint8Array {
  let source: string | null = null;
  let plainBytes = new Uint8Array();
  let gzipBytes: Uint8Array | null = null;
  return (text, gzip) => {
    if (text !== source) {
      source = text;
      plainBytes = new TextEncoder().encode(text);
      gzipBytes = null;
    }
    if (!gzip) return plainBytes;
    gzipBytes ??= Bun.gzipSync(plainBytes);
    return gzipBytes;
  };
}

export function handleMetricsRequest(
  request: Request,
  options: Pick<MetricsServerOptions, "hostname" | "token" | "text">,
  body: (text: string, gzip: boolean) => Uint8Array = bodyCache(),
): Response {
  // On a loopback address, a Host that is not loopback means a page in a browser reached it
  // through DNS rebinding; on a network address, the token is the guard.
  if (isLoopback(options.hostname) && !isLoopback(hostOf(request.headers.get("host") ?? ""))) {
    return plain(403, "Forbidden: unexpected Host header");
  }
  if (new URL(request.url).pathname !== "/metrics") return plain(404, "Not found: the metrics are at /metrics");
  if (request.method !== "GET") return plain(405, "Method not allowed: use GET", { Allow: "GET" });
  if (options.token !== null && !tokenMatches(request.headers.get("authorization"), options.token)) {
    return plain(401, "Unauthorized: send Authorization: Bearer <token from metrics.token_file>", { "WWW-Authenticate": 'Bearer realm="cron-collector"' });
  }
  const text = options.text();
  if (text === null) return plain(503, "Metrics are not ready yet", { "Retry-After": "5" });
  const gzip = /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "");
  const headers: Record<string, string> = { "Content-Type": CONTENT_TYPE, "Cache-Control": "no-store", Vary: "Accept-Encoding" };
  if (gzip) headers["Content-Encoding"] = "gzip";
  return new Response(body(text, gzip), { status: 200, headers });
}

/** Starts the listener; throws CollectorError when the address cannot be used. */
export function startMetricsServer(options: MetricsServerOptions): MetricsServer {
  let server: ReturnType<typeof Bun.serve>;
  const body = bodyCache();
  try {
    server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      development: false,
      // Explicit: without it (and development: false) Bun 1.4 binds a port in use a second time
      // (SO_REUSEPORT), and two collectors would split the scrapes between them.
      reusePort: false,
      fetch: (request) => handleMetricsRequest(request, options, body),
      error: () => plain(500, "Internal error"),
    });
  } catch (error) {
    throw new CollectorError(`Cannot serve metrics on ${options.hostname}:${options.port} ("metrics.listen"): ${describeError(error)}`, "runtime");
  }
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const port = server.port ?? options.port;
  return {
    url: `http://${host}:${port}`,
    port,
    async stop() {
      await server.stop(true);
    },
  };
}
