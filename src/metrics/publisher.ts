/**
 * Keeps the exposition current: renders it once started and then every check_interval, serves the
 * latest text on metrics.listen and writes it to metrics.textfile. Rendering runs on this timer,
 * never per scrape, so scrapes cost nothing whatever their rate; when rendering itself is slow (a
 * large database), the timer backs off so that it takes at most a tenth of the time.
 */
import { readFileSync } from "node:fs";
import { CollectorError, describeError } from "../errors.ts";
import type { MetricsConfig } from "../config/metrics.ts";
import type { Logger } from "../logger.ts";
import { isLoopback, startMetricsServer, type MetricsServer } from "./server.ts";
import { writeTextfile } from "./textfile.ts";

export interface MetricsPublisherOptions {
  readonly config: MetricsConfig;
  readonly intervalMs: number;
  /** Builds the current exposition (queries the store). */
  readonly render: () => string;
  readonly log: Logger;
}

export interface MetricsPublisher {
  /** The listener's base URL, or null without metrics.listen. */
  readonly url: string | null;
  /** Renders and publishes now (tests, and after a change worth showing at once). */
  refresh(): void;
  stop(): Promise<void>;
}

/** At most this share of the time goes into rendering, however slow one rendering is. */
const MAX_BUSY_SHARE = 0.1;
/** check_interval may be as short as 0.1 s; no scraper or node_exporter looks that often. */
const MIN_INTERVAL_MS = 1000;

/** The bearer token in metrics.token_file (surrounding whitespace ignored); throws CollectorError. */
export function readTokenFile(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new CollectorError(`Cannot read "metrics.token_file" "${path}": ${describeError(error)}`, "config");
  }
  if (!/^\S+$/.test(token)) throw new CollectorError(`"metrics.token_file" "${path}" must hold one token without spaces`, "config");
  return token;
}

export function startMetricsPublisher({ config, intervalMs, render, log }: MetricsPublisherOptions): MetricsPublisher {
  const token = config.tokenFile === null ? null : readTokenFile(config.tokenFile);
  let text: string | null = null;
  let renderProblem: string | null = null;
  let textfileProblem: string | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const reportChange = (previous: string | null, next: string | null, what: string): string | null => {
    if (next !== null && next !== previous) log.warn(`${what} failed: ${next}`);
    if (next === null && previous !== null) log.info(`${what} works again`);
    return next;
  };

  const refresh = (): void => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    const started = performance.now();
    try {
      text = render();
      renderProblem = reportChange(renderProblem, null, "Rendering metrics");
    } catch (error) {
      // The last good text stays served: stale numbers beat a failed scrape.
      renderProblem = reportChange(renderProblem, describeError(error), "Rendering metrics");
    }
    if (config.textfile !== null && text !== null) {
      try {
        writeTextfile(config.textfile, text);
        textfileProblem = reportChange(textfileProblem, null, `Writing "${config.textfile}"`);
      } catch (error) {
        textfileProblem = reportChange(textfileProblem, describeError(error), `Writing "${config.textfile}"`);
      }
    }
    const busyMs = performance.now() - started;
    timer = setTimeout(refresh, Math.max(intervalMs, MIN_INTERVAL_MS, busyMs / MAX_BUSY_SHARE));
  };

  // The first rendering waits for the current turn of the event loop, so that it shows the
  // database after the daemon's first catch-up poll; scrapes before it get 503.
  timer = setTimeout(refresh, 0);
  let server: MetricsServer | null = null;
  if (config.listen !== null) {
    try {
      server = startMetricsServer({ ...config.listen, token, text: () => text });
    } catch (error) {
      if (timer) clearTimeout(timer);
      throw error;
    }
    log.info(`Serving metrics on ${server.url}/metrics${token === null ? "" : " (bearer token required)"}`);
    if (token === null && !isLoopback(config.listen.hostname)) {
      log.warn(`Metrics on ${config.listen.hostname} are open to the network without a token: set "metrics.token_file" unless a firewall guards the port`);
    }
  }
  return {
    url: server?.url ?? null,
    refresh,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await server?.stop();
    },
  };
}
