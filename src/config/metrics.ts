/**
 * The `metrics:` and `heartbeat:` sections (issue 13).
 *
 *   metrics:
 *     listen: 127.0.0.1:9464          # off unless set; GET /metrics only, on a listener of its own
 *     token_file: ~/.cron_dash/metrics.token   # optional: require "Authorization: Bearer <token>"
 *     textfile: /var/lib/node_exporter/textfile/cron-collector.prom
 *   heartbeat:
 *     url: https://hc-ping.com/<uuid>
 *     interval: 5m
 */
import { duration, optionalText, type Checker } from "./fields.ts";
import type { Section } from "./section.ts";
import { DAY_MS, SECOND_MS } from "../time.ts";

export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

export interface MetricsConfig {
  /** Where to serve GET /metrics, or null (the default) for no listener. */
  readonly listen: ListenAddress | null;
  /** A file holding the bearer token scrapers must send, or null for none. */
  readonly tokenFile: string | null;
  /** node_exporter textfile collector output (*.prom), rewritten every check_interval, or null. */
  readonly textfile: string | null;
}

export interface HeartbeatConfig {
  /** The dead man's switch to ping (healthchecks.io's ping API), or null for none. */
  readonly url: string | null;
  readonly intervalMs: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** `HOST:PORT` or `[IPv6]:PORT`, with the host spelled out: an explicit choice of what to expose. */
export const listenAddress: Checker<ListenAddress | null> = (value) => {
  const expected = { ok: false as const, expected: 'HOST:PORT such as "127.0.0.1:9464" (or "0.0.0.0:9464" to expose it to the network)' };
  if (value === null || value === "") return { ok: true, value: null };
  if (typeof value !== "string") return expected;
  const match = HOST_PORT.exec(value.trim());
  const port = Number(match?.[3]);
  const hostname = match?.[1] ?? match?.[2];
  if (!match || hostname === undefined || port > 65_535) return expected;
  return { ok: true, value: { hostname, port } };
};

const httpUrl: Checker<string | null> = (value) => {
  if (value === null || value === "") return { ok: true, value: null };
  if (typeof value === "string" && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return { ok: true, value };
  return { ok: false, expected: 'an http(s) URL such as "https://hc-ping.com/<uuid>"' };
};

/** `expandPath` resolves `~` and relative paths the way every other path in config.yaml is. */
export function readMetrics(section: Section, expandPath: (path: string) => string): MetricsConfig {
  const path = (key: string): string | null => {
    const value = section.get(key, optionalText, null);
    return value === null ? null : expandPath(value);
  };
  const config: MetricsConfig = { listen: section.get("listen", listenAddress, null), tokenFile: path("token_file"), textfile: path("textfile") };
  // node_exporter reads only *.prom files; any other name would be ignored without a word.
  if (config.textfile !== null && !config.textfile.endsWith(".prom")) {
    section.problemAt(null, `"metrics.textfile" must end in .prom (node_exporter's textfile collector reads only those), got "${config.textfile}"`);
  }
  if (config.tokenFile !== null && config.listen === null) {
    section.problemAt(null, `"metrics.token_file" is set but "metrics.listen" is not: there is no listener to protect`);
  }
  section.rejectUnknownKeys();
  return config;
}

export function readHeartbeat(section: Section): HeartbeatConfig {
  const config: HeartbeatConfig = {
    url: section.get("url", httpUrl, null),
    intervalMs: section.get("interval", duration(10 * SECOND_MS, DAY_MS), 300 * SECOND_MS),
  };
  section.rejectUnknownKeys();
  return config;
}
