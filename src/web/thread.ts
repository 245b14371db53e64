/**
 * The main thread's side of the dashboard thread (worker.ts): what the watching collector
 * starts. Resolves to null when the dashboard is off or could not start (already logged).
 */
import type { Config } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import type { WebServer } from "./server.ts";
import type { WebThreadReply, WebThreadRequest } from "./worker.ts";

export interface WebThreadOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: () => Date;
}

/** How long stop() waits for the thread to close its listener and database before ending it. */
const STOP_TIMEOUT_MS = 2000;

export function startWebThread({ config, log, clock }: WebThreadOptions): Promise<WebServer | null> {
  if (config.web.listen === null) return Promise.resolve(null);
  const worker = new Worker(new URL("./worker.ts", import.meta.url).href);
  const send = (request: WebThreadRequest): void => worker.postMessage(request);
  let stopped: (() => void) | null = null;
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<WebThreadReply>) => {
      const reply = event.data;
      switch (reply.kind) {
        case "log":
          log[reply.level](reply.message);
          return;
        case "started":
          resolve({
            url: reply.url,
            port: reply.port,
            async stop() {
              const done = new Promise<void>((resolveStop) => (stopped = resolveStop));
              send({ kind: "stop" });
              await Promise.race([done, Bun.sleep(STOP_TIMEOUT_MS)]);
              worker.terminate();
            },
          });
          return;
        case "not-started":
          worker.terminate();
          resolve(null);
          return;
        case "stopped":
          stopped?.();
          return;
        default:
          reply satisfies never;
      }
    };
    worker.onerror = (event) => {
      log.warn(`Dashboard thread failed: ${event.message}; the collector goes on without it`);
      worker.terminate();
      resolve(null);
    };
    send({ kind: "start", config, clockOffsetMs: clock().getTime() - Date.now() });
  });
}
