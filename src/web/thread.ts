/**
 * The main thread's side of the dashboard thread (worker.ts): what the watching collector
 * starts. `ready` resolves to null when the dashboard is off or could not start (already
 * logged). `stop` may come at any moment, also before the thread is ready: it then ends the
 * thread at once, so a collector told to stop is never held up by a dashboard still starting.
 */
import type { Config } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import type { WebServer } from "./server.ts";
import type { WebThreadReply, WebThreadRequest } from "./worker.ts";

export interface WebThreadOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
  /** The collector's own state for /healthz, sent to the thread every HEALTH_EVERY_MS. */
  readonly health?: () => Record<string, unknown>;
}

export interface WebThread {
  readonly ready: Promise<WebServer | null>;
  stop(): Promise<void>;
}

/** How long stop() waits for the thread to close its listener and database before ending it. */
const STOP_TIMEOUT_MS = 2000;
const HEALTH_EVERY_MS = 5000;

export function startWebThread({ config, log, clock, health }: WebThreadOptions): WebThread {
  if (config.web.listen === null) return { ready: Promise.resolve(null), stop: async () => {} };
  const worker = new Worker(new URL("./worker.ts", import.meta.url).href);
  const send = (request: WebThreadRequest): void => worker.postMessage(request);
  let settle: (server: WebServer | null) => void = () => {};
  let stopped: () => void = () => {};
  let server: WebServer | null = null;
  let ended = false;
  const sendHealth = (): void => {
    if (health) send({ kind: "health", state: health() });
  };
  const healthTimer = setInterval(sendHealth, HEALTH_EVERY_MS);
  healthTimer.unref();
  const end = (): void => {
    ended = true;
    clearInterval(healthTimer);
    worker.terminate();
    settle(null);
  };
  const ready = new Promise<WebServer | null>((resolve) => (settle = resolve));
  worker.onmessage = (event: MessageEvent<WebThreadReply>) => {
    const reply = event.data;
    switch (reply.kind) {
      case "log":
        log[reply.level](reply.message);
        return;
      case "started":
        server = {
          url: reply.url,
          port: reply.port,
          async stop() {
            const done = new Promise<void>((resolve) => (stopped = resolve));
            send({ kind: "stop" });
            await Promise.race([done, Bun.sleep(STOP_TIMEOUT_MS)]);
            end();
          },
        };
        settle(server);
        return;
      case "not-started":
        end();
        return;
      case "stopped":
        stopped();
        return;
      default:
        reply satisfies never;
    }
  };
  worker.onerror = (event) => {
    log.warn(`Dashboard thread failed: ${event.message}; the collector goes on without it`);
    end();
  };
  sendHealth();
  send({ kind: "start", config, clockOffsetMs: clock().getTime() - Date.now() });
  return {
    ready,
    async stop() {
      if (server !== null) await server.stop();
      else if (!ended) end();
    },
  };
}
