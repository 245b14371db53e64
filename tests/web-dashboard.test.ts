/**
 * The dashboard's pages (their database connection, event hub, caches) are loaded by the first
 * request that passed the checks and closed after a quiet spell (src/web/server.ts, dashboard.ts).
 * The timers are injected: the test fires the quiet spell itself.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { IDLE_CLOSE_MS, type WebTimers } from "../src/web/server.ts";
import { REPO } from "./helpers.ts";
import { run, startFixture, type WebFixture } from "./web-fixture.ts";

interface Pending {
  readonly fn: () => void;
  readonly ms: number;
  cancelled: boolean;
}

function fakeTimers(): WebTimers & { fire(ms: number): number } {
  let pending: Pending[] = [];
  return {
    set(fn, ms) {
      const entry: Pending = { fn, ms, cancelled: false };
      pending.push(entry);
      return () => void (entry.cancelled = true);
    },
    /** Runs every live timer of ms (the spell has passed); returns how many ran. */
    fire(ms) {
      const due = pending.filter((entry) => !entry.cancelled && entry.ms === ms);
      pending = pending.filter((entry) => !entry.cancelled && entry.ms !== ms);
      for (const entry of due) entry.fn();
      return due.length;
    },
  };
}

let f: WebFixture | null = null;
afterEach(async () => {
  await f?.close();
  f = null;
});

describe("pages loaded on demand", () => {
  test("nothing is loaded by 421, 401, /healthz or static files; the first authenticated request loads them", async () => {
    const timers = fakeTimers();
    f = await startFixture("", [run("backup", 5)], undefined, timers);
    expect(f.server.loaded).toBe(false);
    expect((await f.get("/api/stats", { headers: { host: "evil.example" } })).status).toBe(421);
    expect((await f.get("/api/stats", { auth: false })).status).toBe(401);
    expect((await f.get("/", { auth: false })).status).toBe(401);
    expect((await f.get("/nope")).status).toBe(404);
    const health = await f.get("/healthz", { auth: false });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", live_clients: 0 });
    expect((await f.get("/static/style.css", { auth: false })).status).toBe(200);
    expect(f.server.loaded).toBe(false);
    const stats = await f.get("/api/stats");
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { jobs: { name: string }[] }).jobs.map((job) => job.name)).toEqual(["backup"]);
    expect(f.server.loaded).toBe(true);
  });

  test("a quiet spell closes them; the next request opens them again with the same CSRF token", async () => {
    const timers = fakeTimers();
    f = await startFixture("", [run("backup", 5)], undefined, timers);
    const page = await (await f.get("/")).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeDefined();
    expect(f.server.loaded).toBe(true);
    expect(timers.fire(IDLE_CLOSE_MS)).toBe(1);
    expect(f.server.loaded).toBe(false);
    expect(f.logs.join("\n")).toContain("database connection closed");
    f.ingest([run("backup", 1), run("report", 1)]);
    const pause = await f.get("/api/jobs/report/pause", { method: "POST", headers: { "x-csrf-token": csrf ?? "", "content-type": "application/json" }, body: JSON.stringify({ for: "1h" }) });
    expect(pause.status).toBe(200);
    expect(f.server.loaded).toBe(true);
    const stats = (await (await f.get("/api/stats")).json()) as { jobs: { name: string; state: string }[] };
    expect(stats.jobs.find((job) => job.name === "report")?.state).toBe("paused");
  });

  test("a live page (an event stream) keeps them until it goes", async () => {
    const timers = fakeTimers();
    f = await startFixture("", [run("backup", 5)], undefined, timers);
    const abort = new AbortController();
    const stream = await f.get("/api/events", { signal: abort.signal });
    expect(stream.status).toBe(200);
    const health = async (): Promise<number> => ((await (await f?.get("/healthz"))?.json()) as { live_clients: number }).live_clients;
    expect(await health()).toBe(1);
    expect(timers.fire(IDLE_CLOSE_MS)).toBe(1);
    expect(f.server.loaded).toBe(true);
    abort.abort();
    // The server sees the stream end a moment later: ask until it says so (a deadline, no fixed sleep).
    const deadline = Date.now() + 5000;
    while ((await health()) !== 0) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the stream to end");
      await Bun.sleep(5);
    }
    expect(timers.fire(IDLE_CLOSE_MS)).toBe(1);
    expect(f.server.loaded).toBe(false);
  });
});

describe("what the dashboard loads at start", () => {
  /** Every module server.ts imports statically (a dynamic import() is left out), transitively. */
  function staticGraph(entry: string): Set<string> {
    const transpiler = new Bun.Transpiler({ loader: "ts" });
    const seen = new Set<string>();
    const visit = (path: string): void => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const imported of transpiler.scanImports(readFileSync(path, "utf8"))) {
        if (imported.kind !== "import-statement" || !imported.path.startsWith(".")) continue;
        visit(resolve(dirname(path), imported.path));
      }
    };
    visit(entry);
    return seen;
  }

  test("the listener's modules leave out the pages, the stats and the store", () => {
    // What the watching collector's services import: the listener and its checks, no page.
    const graph = [...staticGraph(join(REPO, "src", "daemon", "services.ts"))].map((path) => relative(REPO, path));
    expect(graph).toContain("src/web/security.ts");
    expect(graph.filter((path) => path.startsWith("src/store/") || ["src/stats.ts", "src/web/data.ts", "src/web/events.ts", "src/web/handlers.ts", "src/web/dashboard.ts", "src/web/render-cache.ts"].includes(path) || path.startsWith("src/web/pages/overview"))).toEqual([]);
  });
});
