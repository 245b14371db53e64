/**
 * A collector's database filled through the real ingest (tailer → RunWriter → outbox), and the
 * dashboard started in-process on a free port against it.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../src/config/config.ts";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { openSession, type Session } from "../src/session.ts";
import { startWebServer, type WebServer, type WebTimers } from "../src/web/server.ts";
import { jsonl, tempDir } from "./helpers.ts";

export interface WebFixture {
  readonly dir: string;
  readonly config: Config;
  readonly server: WebServer;
  /** The token from web-token beside the database (null with auth none). */
  readonly token: string | null;
  readonly logs: string[];
  /** Appends lines to the input and ingests them through the collector's own session. */
  ingest(lines: ReadonlyArray<Record<string, unknown>>): void;
  /** Delivers the pending alerts through the configured (log-only) notifier. */
  deliver(): Promise<void>;
  /** fetch() relative to the server, with the right Host and (unless told otherwise) the Bearer token. */
  get(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  close(): Promise<void>;
}

export const NOW = new Date("2025-07-29T12:00:00Z");

export async function startFixture(yaml = "", lines: ReadonlyArray<Record<string, unknown>> = [], clock: () => Date = () => NOW, timers?: WebTimers): Promise<WebFixture> {
  const dir = tempDir("cc-web-");
  const input = join(dir, "ladder.jsonl");
  writeFileSync(input, "");
  const text = `input: ${input}\ndatabase: ${join(dir, "db", "ladder.db")}\nlog_dir: ${dir}\nnotify: { backend: none }\n${yaml.includes("web:") ? "" : "web: { listen: 127.0.0.1:0 }\n"}${yaml}`;
  const parsed = parseConfig(text, null, { home: dir, baseDir: dir });
  if (parsed.problems.length > 0) throw new Error(JSON.stringify(parsed.problems));
  const config = parsed.config;
  const logs: string[] = [];
  const log = createLogger("debug", [(line) => logs.push(line)], clock);
  const system = { platform: "linux", env: {}, which: () => null, collectorPath: join(dir, "collector.ts") };
  const session: Session = openSession(config, log, clock, system);
  const ingest = (batch: ReadonlyArray<Record<string, unknown>>): void => {
    appendFileSync(input, batch.map((fields) => jsonl(fields)).join(""));
    session.tailer.poll();
  };
  ingest(lines);
  const server = startWebServer({ config, log, clock, pollMs: 50, ...(timers && { timers }) });
  if (!server) throw new Error(`server did not start: ${logs.join("\n")}`);
  const token = config.web.auth === "token" ? (await Bun.file(join(dir, "db", "web-token")).text()).trim() : null;
  const host = `127.0.0.1:${server.port}`;
  return {
    dir,
    config,
    server,
    token,
    logs,
    ingest,
    async deliver() {
      await session.dispatcher.flush();
    },
    get(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("host")) headers.set("host", host);
      if (init.auth !== false && token !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      return fetch(`http://${host}${path}`, { redirect: "manual", ...init, headers });
    },
    async close() {
      await server.stop();
      session.close();
    },
  };
}

/** A run line at 2025-07-29 (minutes before 12:00), for job `job`. */
export function run(job: string | null, minutesBefore: number, exit = 0, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ts = new Date(NOW.getTime() - minutesBefore * 60_000).toISOString().replace(".000", "");
  return { ts, exit, msg: `${job ?? "default"} ${exit === 0 ? "ok" : "failed"} ${minutesBefore}`, ...(job !== null && { job }), ...extra };
}
