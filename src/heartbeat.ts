/**
 * A heartbeat to an outside dead man's switch (healthchecks.io's ping API, or a self-hosted one
 * with the same API): while the collector is healthy it GETs `url` every interval; when it is not,
 * it POSTs a one-line reason to `url/fail` (a GET cannot carry the reason; healthchecks keeps a
 * POST body as the ping's log). If the machine dies, the pings stop and the switch alerts.
 *
 * One request per interval and no retries: a missed ping is what the switch's grace period is for,
 * and a storm of retries would only load a service that is already struggling. Timeouts bound each
 * request. Changes (healthy/unhealthy, ping works/fails) are logged once each, not every interval.
 */
import { describeError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { OutboxBacklog } from "./store/metrics.ts";
import type { WriteProbe } from "./store/health-probe.ts";

export type Health = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface HealthInputs {
  /** Why ingestion is failing (the watch loop's last poll threw), or null while it works. */
  readonly ingestionProblem: string | null;
  readonly database: WriteProbe;
  readonly outbox: OutboxBacklog;
  readonly nowMs: number;
  /** A pending alert older than this means the outbox is not draining. */
  readonly maxPendingAgeMs: number;
}

/** Healthy: watching, database writable, outbox draining. Pure; the first problem found wins. */
export function judgeHealth(inputs: HealthInputs): Health {
  if (inputs.ingestionProblem !== null) return { ok: false, reason: `ingestion failing: ${inputs.ingestionProblem}` };
  if (!inputs.database.ok) return { ok: false, reason: inputs.database.reason };
  const oldest = inputs.outbox.oldestPendingMs;
  if (oldest !== null && inputs.nowMs - oldest > inputs.maxPendingAgeMs) {
    const minutes = Math.round((inputs.nowMs - oldest) / 60_000);
    return { ok: false, reason: `alert outbox not draining: ${inputs.outbox.pending} alert(s) pending, the oldest for ${minutes} min` };
  }
  return { ok: true };
}

export interface HeartbeatOptions {
  readonly url: string;
  readonly intervalMs: number;
  /** Per request; default 10 s (or half the interval when that is shorter). */
  readonly timeoutMs?: number;
  readonly check: () => Health;
  readonly log: Logger;
  /** Injectable for tests; the global fetch otherwise. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface Heartbeat {
  /** Checks health and pings once now (the timer does this every interval). */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

/** `url/fail`, keeping any query string (healthchecks accepts ?create=1 and the like). */
export function failUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/fail`;
  return parsed.toString();
}

/** One line of at most 200 characters (healthchecks shows it as the ping's body). */
export function oneLine(reason: string): string {
  const line = reason.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const send = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? Math.min(10_000, options.intervalMs / 2);
  // The URL's path is a secret (anyone holding it can ping); logs name only the host.
  const where = new URL(options.url).host;
  const stopping = new AbortController();
  let health: string | null = null; // "ok" or the reason, as last logged
  let delivery: string | null = null; // "ok" or the error, as last logged
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const ping = async (): Promise<void> => {
    let state: Health;
    try {
      state = options.check();
    } catch (error) {
      state = { ok: false, reason: `health check failed: ${describeError(error)}` };
    }
    const now = state.ok ? "ok" : oneLine(state.reason);
    if (now !== health) {
      if (state.ok) options.log[health === null ? "debug" : "info"]("Heartbeat: the collector is healthy");
      else options.log.warn(`Heartbeat: the collector is unhealthy (${now}); reporting it to ${where}`);
      health = now;
    }
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
    let outcome: string;
    try {
      const response = state.ok
        ? await send(options.url, { method: "GET", signal })
        : await send(failUrl(options.url), { method: "POST", body: now, headers: { "Content-Type": "text/plain; charset=utf-8" }, signal });
      await response.body?.cancel();
      outcome = response.ok ? "ok" : `HTTP ${response.status}`;
    } catch (error) {
      if (stopping.signal.aborted) return;
      outcome = error instanceof DOMException && error.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000}s` : describeError(error);
    }
    if (outcome !== delivery) {
      if (outcome === "ok") {
        if (delivery !== null) options.log.info(`Heartbeat pings reach ${where} again`);
      } else {
        options.log.warn(`Heartbeat ping to ${where} failed: ${outcome} (next try in ${options.intervalMs / 1000}s)`);
      }
      delivery = outcome;
    }
  };

  const beat = (): Promise<void> => {
    // An overlapping beat joins the one in flight instead of sending a second request.
    inFlight ??= ping().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const loop = (): void => {
    void beat().finally(() => {
      if (!stopping.signal.aborted) timer = setTimeout(loop, options.intervalMs);
    });
  };
  loop();
  return {
    beat,
    async stop() {
      stopping.abort();
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
