/** The dashboard on its own thread, as the watching collector starts it. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { startWebThread } from "../src/web/thread.ts";
import { tempDir } from "./helpers.ts";

function setup(web: string): { config: ReturnType<typeof parseConfig>["config"]; lines: string[]; log: ReturnType<typeof createLogger> } {
  const dir = tempDir("cc-web-thread-");
  const config = parseConfig(`database: ${join(dir, "ladder.db")}\nweb: ${web}\n`, null, { home: dir, baseDir: dir }).config;
  openDatabase(config.database).close();
  const lines: string[] = [];
  return { config, lines, log: createLogger("debug", [(line) => lines.push(line)]) };
}

describe("the dashboard thread", () => {
  test("serves from its own thread, logs through the collector's logger, and stops", async () => {
    const { config, lines, log } = setup("{ listen: 127.0.0.1:0, auth: none }");
    // Under --now the thread's clock starts at that instant.
    const server = await startWebThread({ config, log, clock: () => new Date("2025-07-29T12:00:00Z"), health: () => ({ ingestion_problem: "disk full" }) }).ready;
    if (!server) throw new Error(lines.join("\n"));
    // The collector's own state, as the main thread sent it.
    expect(await (await fetch(`${server.url}healthz`)).json()).toMatchObject({ status: "ok", ingestion_problem: "disk full" });
    expect(lines.some((line) => line.includes(`INFO  Dashboard on ${server.url}`))).toBe(true);
    const stats = (await (await fetch(`${server.url}api/stats`)).json()) as { now: string };
    expect(Date.parse(stats.now) - Date.parse("2025-07-29T12:00:00Z")).toBeLessThan(5000);
    await server.stop();
    await expect(fetch(`${server.url}healthz`)).rejects.toThrow();
  });

  test("a port in use: one WARN, null, and the thread is gone", async () => {
    const busy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
    try {
      const { config, lines, log } = setup(`{ listen: 127.0.0.1:${busy.port} }`);
      expect(await startWebThread({ config, log, clock: () => new Date() }).ready).toBeNull();
      expect(lines.filter((line) => line.includes("WARN"))).toHaveLength(1);
    } finally {
      busy.stop(true);
    }
  });

  test("listen off: no thread at all", async () => {
    const { config, log } = setup("{ listen: off }");
    expect(await startWebThread({ config, log, clock: () => new Date() }).ready).toBeNull();
  });

  test("a stop before the thread is ready ends it at once", async () => {
    const { config, log } = setup("{ listen: 127.0.0.1:0, auth: none }");
    const thread = startWebThread({ config, log, clock: () => new Date() });
    const started = performance.now();
    await thread.stop();
    expect(performance.now() - started).toBeLessThan(100);
    expect(await thread.ready).toBeNull();
  });
});
