/**
 * The dashboard thread (a Bun Worker): runs startWebServer on its own database connection, so a
 * slow page never holds up the collector's ingest tick, and a long tick (a big batch, a schedule
 * check over many jobs) never holds up a page. Its log lines go to the main thread's logger.
 */
import type { Config } from "../config/config.ts";
import type { LogLevel, Logger } from "../logger.ts";
import { startWebServer, type WebServer } from "./server.ts";

export type WebThreadRequest =
  | { readonly kind: "start"; readonly config: Config; readonly clockOffsetMs: number }
  | { readonly kind: "health"; readonly state: Record<string, unknown> }
  | { readonly kind: "stop" };

export type WebThreadReply =
  | { readonly kind: "log"; readonly level: LogLevel; readonly message: string }
  | { readonly kind: "started"; readonly url: string; readonly port: number }
  | { readonly kind: "not-started" }
  | { readonly kind: "stopped" };

declare const self: Worker;

const post = (reply: WebThreadReply): void => self.postMessage(reply);

const log: Logger = {
  debug: (message) => post({ kind: "log", level: "debug", message }),
  info: (message) => post({ kind: "log", level: "info", message }),
  warn: (message) => post({ kind: "log", level: "warn", message }),
  error: (message) => post({ kind: "log", level: "error", message }),
};

let server: WebServer | null = null;
/** The collector's own state as the main thread last sent it, for /healthz. */
let health: Record<string, unknown> = {};

self.onmessage = async (event: MessageEvent<WebThreadRequest>) => {
  const request = event.data;
  switch (request.kind) {
    case "start": {
      // The collector's clock minus the wall clock: zero, or the distance to --now.
      server = startWebServer({ config: request.config, log, clock: () => new Date(Date.now() + request.clockOffsetMs), health: () => health });
      post(server === null ? { kind: "not-started" } : { kind: "started", url: server.url, port: server.port });
      return;
    }
    case "health":
      health = request.state;
      return;
    case "stop":
      await server?.stop();
      server = null;
      post({ kind: "stopped" });
      return;
    default:
      request satisfies never;
  }
};
