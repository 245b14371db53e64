/**
 * Who may talk to the dashboard, as pure checks on a request (the server applies them in order):
 *
 * 1. Host: only 127.0.0.1:PORT, localhost:PORT, [::1]:PORT and `web.allowed_hosts` (DNS rebinding:
 *    an attacker's name resolving to 127.0.0.1 still carries the attacker's name) - else 421.
 * 2. Access token (web.auth: token, as Jupyter does): the cookie set by `/?token=…`, or
 *    `Authorization: Bearer …` for scripts - else 401.
 * 3. State changes: POST with a JSON body, a same-origin Origin (and Sec-Fetch-Site when the
 *    browser sends it), and X-CSRF-Token equal to the per-process token the pages carry in
 *    <meta name="csrf-token"> - else 403. A request authenticated by a Bearer header is exempt:
 *    browsers never attach that header on their own, so no other site can forge it.
 */
import { timingSafeEqual } from "node:crypto";

export type Access = "cookie" | "bearer" | "open";

export interface AccessPolicy {
  /** null: web.auth none. */
  readonly token: string | null;
  readonly cookieName: string;
}

export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

export function hostAllowed(host: string | null, port: number, allowedHosts: readonly string[]): boolean {
  if (host === null) return false;
  const lower = host.toLowerCase();
  return [...LOOPBACK_NAMES, ...allowedHosts].some((name) => lower === `${name}:${port}`);
}

export function readCookie(header: string | null, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

/** How the request proved it may look, or null when it did not. */
export function authenticate(headers: Headers, policy: AccessPolicy): Access | null {
  if (policy.token === null) return "open";
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
  if (sameSecret(bearer, policy.token)) return "bearer";
  if (sameSecret(readCookie(headers.get("cookie"), policy.cookieName), policy.token)) return "cookie";
  return null;
}

/** Why a state-changing request is refused, or null when it may go ahead. */
export function csrfProblem(request: Request, access: Access, csrfToken: string): string | null {
  if (access === "bearer") return null;
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) return "the body must be JSON (Content-Type: application/json)";
  const origin = request.headers.get("origin");
  if (origin === null || origin !== `http://${request.headers.get("host")}`) return "the request must come from the dashboard itself (Origin)";
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return "the request must come from the dashboard itself (Sec-Fetch-Site)";
  if (!sameSecret(request.headers.get("x-csrf-token"), csrfToken)) return "missing or wrong X-CSRF-Token (reload the page)";
  return null;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every response carries; dynamic ones are never cached (they show job output). */
export function securityHeaders(headers: Headers, cacheable: boolean): void {
  headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Resource-Policy", "same-origin");
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", cacheable ? "no-cache" : "no-store");
}
