/**
 * The `web:` section: the dashboard the watching collector serves.
 *
 *   web:
 *     listen: 127.0.0.1:8765      # or "off"; [::1]:8765, localhost:8765, or a port alone
 *     token_file: ~/.cron_dash/web-token   # default: web-token beside the database
 *     auth: token                 # or none (refused unless listen is a loopback address)
 *     allowed_hosts: [dash.example.lan]    # Host names accepted besides the loopback ones
 */
import { dirname, join } from "node:path";
import { expandPath, type PathContext } from "./config.ts";
import { oneOf, type Checker } from "./fields.ts";
import type { Section } from "./section.ts";

export interface ListenAddress {
  /** As given to Bun.serve: 127.0.0.1, ::1, localhost, 0.0.0.0 … (no brackets). */
  readonly host: string;
  /** 0 picks a free port (used by the tests). */
  readonly port: number;
}

export const webAuthModes = ["token", "none"] as const;
export type WebAuth = (typeof webAuthModes)[number];

export interface WebConfig {
  /** null: `listen: off`, no dashboard. */
  readonly listen: ListenAddress | null;
  /** null: `web-token` beside the database (resolved late, because --db may move the database). */
  readonly tokenFile: string | null;
  readonly auth: WebAuth;
  /** Host names (without port) accepted besides 127.0.0.1, localhost and [::1]. */
  readonly allowedHosts: readonly string[];
}

export const DEFAULT_WEB_PORT = 8765;
const LISTEN_HINT = 'an address such as 127.0.0.1:8765, [::1]:8765 or localhost:8765, a port, or "off"';
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Parses `web.listen`; pure. */
export const listenAddress: Checker<ListenAddress | null> = (value) => {
  if (value === false || value === "off") return { ok: true, value: null };
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 65535) {
    return { ok: true, value: { host: "127.0.0.1", port: value } };
  }
  const match = typeof value === "string" ? HOST_PORT.exec(value.trim()) : null;
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined || port > 65535) return { ok: false, expected: LISTEN_HINT };
  return { ok: true, value: { host, port } };
};

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

const hostList: Checker<string[]> = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === "string" && /^[A-Za-z0-9.-]+$/.test(item))
    ? { ok: true, value: (value as string[]).map((item) => item.toLowerCase()) }
    : { ok: false, expected: "a list of host names such as [dash.example.lan]" };

const pathText: Checker<string | null> = (value) =>
  typeof value === "string" && value.trim() !== "" ? { ok: true, value } : { ok: false, expected: "a file path" };

export function readWeb(section: Section, context: PathContext): WebConfig {
  const tokenFile = section.get("token_file", pathText, null);
  const web: WebConfig = {
    listen: section.get("listen", listenAddress, { host: "127.0.0.1", port: DEFAULT_WEB_PORT }),
    tokenFile: tokenFile === null ? null : expandPath(tokenFile, context),
    auth: section.get("auth", oneOf(webAuthModes), "token"),
    allowedHosts: section.get("allowed_hosts", hostList, []),
  };
  section.rejectUnknownKeys();
  // Loopback is shared by every user of the machine, but anything else is shared by the network.
  if (web.auth === "none" && web.listen !== null && !isLoopback(web.listen.host)) {
    section.problemAt(null, `"web.auth" is none, so "web.listen" must be a loopback address (127.0.0.1, [::1] or localhost), got "${web.listen.host}"`);
  }
  return web;
}

/** Where the access token lives: `web.token_file`, or `web-token` beside the database. */
export function webTokenPath(web: WebConfig, database: string): string {
  return web.tokenFile ?? join(dirname(database), "web-token");
}
