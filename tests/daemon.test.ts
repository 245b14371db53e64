/** The watching collector in-process: reload, signals, services, backoff, the input's directory. */
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config/load.ts";
import type { Service, StartService } from "../src/daemon/running.ts";
import { startDashboard } from "../src/daemon/services.ts";
import { watchCommand, type WatchOptions } from "../src/daemon/watch.ts";
import { openLogSink } from "../src/daemon/log-sink.ts";
import { CollectorError } from "../src/errors.ts";
import { acquireInstanceLock } from "../src/instance-lock.ts";
import { openDatabase } from "../src/store/database.ts";
import { daemonHome, FakeDirectoryWatch, FakeSignals, ManualTimers, testSystem, type DaemonHome } from "./daemon-fakes.ts";
import { countRows, NO_DASHBOARD, runLines, waitFor } from "./helpers.ts";

interface Started {
  readonly signals: FakeSignals;
  readonly done: Promise<number>;
  stop(): Promise<number>;
}

const running: Started[] = [];

afterEach(async () => {
  for (const daemon of running.splice(0)) await daemon.stop().catch(() => undefined);
});

function start(h: DaemonHome, options: Partial<WatchOptions> = {}): Started {
  const signals = new FakeSignals();
  const config = options.config ?? loadConfig({ path: h.configPath, explicit: true }, h.home);
  const done = watchCommand({
    config,
    log: h.log,
    clock: () => new Date(),
    system: testSystem,
    reloadConfig: () => loadConfig({ path: h.configPath, explicit: true }, h.home),
    configPath: h.configPath,
    pidFile: join(h.home, "state", "collector.pid"),
    signals,
    ...options,
  });
  let stopped: Promise<number> | null = null;
  const daemon: Started = {
    signals,
    done,
    stop() {
      stopped ??= (signals.send("SIGTERM"), done);
      return stopped;
    },
  };
  running.push(daemon);
  return daemon;
}

const rows = (db: string): number => (existsSync(db) ? countRows(db, "cron_entries") : 0);

/** True when another collector could take the database's instance lock right now. */
function lockIsFree(db: string): boolean {
  try {
    acquireInstanceLock(db).release();
    return true;
  } catch {
    return false;
  }
}

describe("reload", () => {
  test("SIGHUP alone reloads config.yaml (no file watch can do it here)", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const watch = new FakeDirectoryWatch();
    const daemon = start(h, { watchDirectory: watch.watchDirectory });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    h.config("check_interval: 30\n");
    expect(h.logged("Config reloaded")).toBe(0);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config reloaded (SIGHUP)") === 1, 5000, "reload by SIGHUP");
    expect(h.logged("poll every 30s")).toBe(1);
    expect(await daemon.stop()).toBe(0);
  });

  test("an edit seen by the config file's directory watch reloads it", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const watch = new FakeDirectoryWatch();
    start(h, { watchDirectory: watch.watchDirectory });
    await waitFor(() => watch.isWatching(h.home), 5000, "the config file's directory watched");
    h.config("check_interval: 45\n");
    watch.emit(h.home, "config.yaml");
    await waitFor(() => h.logged("Config reloaded (config.yaml changed)") === 1, 5000, "reload on edit");
    expect(h.logged("poll every 45s")).toBe(1);
  });

  test.each([
    ["empty", ""],
    ["comments only", "# being rewritten\n"],
  ])("an %s config.yaml is an invalid edit: the running config and its database lock stay", async (_name, text) => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const watch = new FakeDirectoryWatch();
    const daemon = start(h, { watchDirectory: watch.watchDirectory });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    writeFileSync(h.configPath, text); // an editor that truncates, then writes
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config not reloaded (SIGHUP)") === 1, 5000, "refused reload");
    expect(h.lines.join("\n")).toContain("the file is empty; to run on the defaults, restart the collector");
    expect(h.logged("Watching")).toBe(1); // nothing restarted
    expect(lockIsFree(h.db)).toBe(false);
    writeFileSync(h.input, runLines(0, 2));
    watch.emit(join(h.home, "logs"), "ladder.jsonl"); // still the old config, still reading
    await waitFor(() => rows(h.db) === 2, 5000, "lines read with the running config");
  });

  test("a broken edit, then the running config put back: one ERROR, then a line saying it is valid again", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const good = readFileSync(h.configPath, "utf8");
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    writeFileSync(h.configPath, `${good}check_intervall: 30\n`);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config not reloaded (SIGHUP)") === 1, 5000, "refused reload");
    writeFileSync(h.configPath, good);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("config.yaml is valid again (SIGHUP)") === 1, 5000, "valid again");
    expect(h.logged("Watching")).toBe(1); // nothing restarted
    daemon.signals.send("SIGHUP"); // nothing was wrong before this one: no line
    expect(await daemon.stop()).toBe(0);
    expect(h.logged("is valid again")).toBe(1);
  });

  test("config.yaml gone for a moment (the default one, beside collector.ts) is an invalid edit too", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const location = { path: h.configPath, explicit: false }; // absent at start-up would mean "defaults"
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory, reloadConfig: () => loadConfig(location, h.home) });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    rmSync(h.configPath);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config not reloaded") === 1, 5000, "refused reload");
    expect(h.lines.join("\n")).toContain('config.yaml": no such file');
    expect(lockIsFree(h.db)).toBe(false);
  });

  test("a config that cannot start (its input is a directory): logged, the running config goes on", async () => {
    const h = daemonHome();
    h.config("check_interval: 0.1\n");
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    const directory = join(h.home, "a-directory");
    mkdirSync(directory);
    h.config(`check_interval: 0.1\ninput: ${directory}\n`);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("going on with the running config") === 1, 5000, "refused reload");
    expect(h.logged(`The input "${directory}" is a directory`)).toBe(1);
    writeFileSync(h.input, runLines(0, 2));
    await waitFor(() => rows(h.db) === 2, 5000, "the old input, read by the poll");
    expect(await daemon.stop()).toBe(0);
  });

  test("a new database: the lock moves to it; the old one is free for another collector", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    const other = join(h.home, "other", "runs.db");
    h.config(`database: ${other}\n`);
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config reloaded") === 1, 5000, "reload");
    expect(lockIsFree(h.db)).toBe(true);
    expect(lockIsFree(other)).toBe(false);
    await daemon.stop();
    expect(lockIsFree(other)).toBe(true);
  });
});

describe("shutdown", () => {
  test("SIGTERM stops: services first, then the session; the lock and pid file go", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const events: string[] = [];
    const service: StartService = ({ session }) => {
      events.push("start");
      // The session still works while services stop (it throws once closed).
      return { stop: async () => void events.push(`stop, session open: ${session.monitor.check() !== null}`) } satisfies Service;
    };
    const daemon = start(h, { services: [service], watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => events.length === 1, 5000, "service started");
    expect(existsSync(join(h.home, "state", "collector.pid"))).toBe(true);
    expect(await daemon.stop()).toBe(0);
    expect(events).toEqual(["start", "stop, session open: true"]);
    expect(h.logged("Received SIGTERM; stopping")).toBe(1);
    expect(existsSync(join(h.home, "state", "collector.pid"))).toBe(false);
    expect(lockIsFree(h.db)).toBe(true);
    expect(daemon.signals.listeners("SIGHUP") + daemon.signals.listeners("SIGTERM")).toBe(0);
  });

  test("a service that cannot start (a port in use) stops the start-up, with its error; the lock is let go", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const stopped: string[] = [];
    const fine: StartService = () => ({ stop: async () => void stopped.push("fine") });
    const busy: StartService = () => {
      throw new CollectorError('"metrics.listen": 127.0.0.1:9464 is in use', "config");
    };
    const daemon = start(h, { services: [fine, busy], watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await expect(daemon.done).rejects.toThrow('"metrics.listen": 127.0.0.1:9464 is in use');
    expect(stopped).toEqual(["fine"]); // the ones already started are stopped again
    expect(lockIsFree(h.db)).toBe(true);
  });

  test("a service that cannot start after a reload: the running config (and its services) go on", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const starts: number[] = [];
    const service: StartService = ({ config }) => {
      if (config.checkIntervalMs === 30_000) throw new Error("port 8765 is in use");
      starts.push(config.checkIntervalMs);
      return { stop: async () => undefined };
    };
    const daemon = start(h, { services: [service], watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => starts.length === 1, 5000, "service started");
    h.config("check_interval: 30\n");
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config not reloaded (SIGHUP): port 8765 is in use; going on with the running config") === 1, 5000, "refused reload");
    expect(starts).toEqual([60_000, 60_000]);
    expect(await daemon.stop()).toBe(0);
  });

  test("SIGTERM in the middle of a long catch-up stops within a slice; a restart stores the rest exactly once", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const total = 50_000; // about 3 MiB: several 1 MiB batches
    writeFileSync(h.input, runLines(0, total));
    // A budget of 1 ms: every tick commits one batch, then lets signals in.
    const first = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory, tickBudgetMs: 1 });
    await waitFor(() => rows(h.db) > 0, 10_000, "first slice");
    expect(await first.stop()).toBe(0);
    const partial = rows(h.db);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(total); // stopped mid-way, or the test proves nothing
    const second = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => rows(h.db) === total, 20_000, "the rest after the restart");
    await second.stop();
    expect(rows(h.db)).toBe(total);
    expect(countRows(h.db, "quarantine")).toBe(0);
  }, 30_000);
});

describe("start-up errors", () => {
  test("an input that is a directory: a clear config error (exit 2), no EISDIR retried for ever; the lock is let go", async () => {
    const h = daemonHome();
    mkdirSync(h.input);
    h.config();
    const failed = watchCommand({
      config: loadConfig({ path: h.configPath, explicit: true }, h.home),
      log: h.log,
      clock: () => new Date(),
      system: testSystem,
      reloadConfig: () => loadConfig({ path: h.configPath, explicit: true }, h.home),
      configPath: h.configPath,
      pidFile: null,
      signals: new FakeSignals(),
    });
    await expect(failed).rejects.toThrow(new CollectorError(`The input "${h.input}" is a directory (EISDIR): set "input" to the JSONL file the jobs append to`, "config"));
    expect(lockIsFree(h.db)).toBe(true);
  });

  test("a log directory that cannot be created is a sentence, not a raw EACCES/ENOTDIR", () => {
    const h = daemonHome();
    writeFileSync(join(h.home, "not-a-dir"), "");
    const logDir = join(h.home, "not-a-dir", "state");
    expect(() => openLogSink(join(logDir, "collector.log"), 10_000, 1)).toThrow(
      new CollectorError(`Cannot create the log directory "${logDir}": a file is in the way; set "log_dir" in config.yaml to a writable directory (or check that HOME is writable)`, "runtime"),
    );
  });
});

describe("start-up warnings", () => {
  test("no notifier on this machine: one WARN at start naming what to install; none with backend none", async () => {
    const h = daemonHome();
    h.config();
    writeFileSync(h.configPath, `log_dir: ${join(h.home, "state")}\ndatabase: ${h.db}\ninput: ${h.input}\nnotify:\n  backend: auto\n${NO_DASHBOARD}`);
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory }); // testSystem finds no program
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    expect(h.logged("No notifier will show alerts")).toBe(1);
    expect(h.logged("apt install libnotify-bin")).toBe(1);
    expect(await daemon.stop()).toBe(0);

    const quiet = daemonHome();
    quiet.config();
    const second = start(quiet, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => quiet.logged("Watching") === 1, 5000, "start");
    expect(quiet.logged("No notifier")).toBe(0);
    expect(await second.stop()).toBe(0);
  });
});

describe("reading the input", () => {
  test("the database deleted under the collector: it stops with that error instead of retrying for ever", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    const watch = new FakeDirectoryWatch();
    const logs = join(h.home, "logs");
    const daemon = start(h, { watchDirectory: watch.watchDirectory });
    await waitFor(() => watch.isWatching(logs), 5000, "start");
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${h.db}${suffix}`, { force: true });
    writeFileSync(h.input, runLines(0, 1));
    watch.emit(logs, "ladder.jsonl");
    await expect(daemon.done).rejects.toThrow(`The database "${h.db}" was deleted while the collector was running`);
    expect(h.logged("was deleted while the collector was running")).toBe(1);
    expect(h.logged("Ingestion failed")).toBe(0);
    expect(existsSync(join(h.home, "state", "collector.pid"))).toBe(false);
    expect(lockIsFree(h.db)).toBe(true);
  });

  test("after an error the next read waits the backoff the log names; polls and events do not cut it short", async () => {
    const h = daemonHome();
    h.config("check_interval: 0.2\nbusy_timeout: 0\n");
    openDatabase(h.db).close();
    writeFileSync(h.input, runLines(0, 3));
    const blocker = new Database(h.db);
    blocker.run("BEGIN EXCLUSIVE");
    const timers = new ManualTimers();
    const watch = new FakeDirectoryWatch();
    start(h, { timers, watchDirectory: watch.watchDirectory });
    await waitFor(() => h.logged("Ingestion failed (attempt 1), retrying in 1s") === 1, 5000, "the busy error");

    timers.advance(900); // four polls and a change event within the second
    watch.emit(join(h.home, "logs"), "ladder.jsonl");
    timers.advance(50);
    expect(h.logged("Ingestion failed")).toBe(1);
    timers.advance(50); // 1s after the failure
    expect(h.logged("Ingestion failed (attempt 2), retrying in 2s")).toBe(1);
    timers.advance(1900);
    expect(h.logged("Ingestion failed")).toBe(2);

    blocker.run("ROLLBACK");
    blocker.close();
    timers.advance(100);
    expect(h.logged("Ingestion works again")).toBe(1);
    expect(rows(h.db)).toBe(3);
  });

  test("a change event reads within a moment; half a line waits for its newline", async () => {
    const h = daemonHome();
    h.config("check_interval: 60\n");
    writeFileSync(h.input, runLines(0, 1));
    const timers = new ManualTimers();
    const watch = new FakeDirectoryWatch();
    const logs = join(h.home, "logs");
    start(h, { timers, watchDirectory: watch.watchDirectory });
    await waitFor(() => watch.isWatching(logs), 5000, "start");
    expect(rows(h.db)).toBe(1); // read at start

    const line = runLines(1, 1);
    appendFileSync(h.input, line.slice(0, 10));
    watch.emit(logs, "ladder.jsonl");
    timers.advance(20); // the read after a burst of events
    expect(h.logged("Ingested")).toBe(1);
    expect(rows(h.db)).toBe(1);
    appendFileSync(h.input, line.slice(10));
    watch.emit(logs, "ladder.jsonl");
    timers.advance(20);
    expect(rows(h.db)).toBe(2);
  });

  test("the poll finds what no change event announced (network mounts, WSL)", async () => {
    const h = daemonHome();
    h.config("check_interval: 0.1\n");
    start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory }); // no event ever comes
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    writeFileSync(h.input, runLines(0, 2));
    await waitFor(() => rows(h.db) === 2, 3000, "lines found by the poll");
  });

  test("an input directory created after start is watched through its parent: the first line is read at once", async () => {
    const h = daemonHome();
    const input = join(h.home, "later", "deeper", "runs.jsonl");
    h.config(`check_interval: 600\ninput: ${input}\n`); // no poll during the test
    start(h);
    await waitFor(() => h.logged("Watching") === 1, 5000, "start");
    mkdirSync(join(h.home, "later", "deeper"), { recursive: true });
    appendFileSync(input, runLines(0, 1)); // what the first `run` does: mkdir -p, then append
    await waitFor(() => rows(h.db) === 1, 3000, "the first line, long before the next poll");
    appendFileSync(input, runLines(1, 1));
    await waitFor(() => rows(h.db) === 2, 3000, "the next line through the directory's own watch");
  });
});

describe("the dashboard, served on the collector's own event loop", () => {
  /** A config.yaml with the dashboard on (port `listen`, no token) instead of daemonHome's "off". */
  function withDashboard(h: DaemonHome, listen: string): void {
    writeFileSync(h.configPath, `log_dir: ${join(h.home, "state")}\ndatabase: ${h.db}\ninput: ${h.input}\ncheck_interval: 60\nnotify:\n  backend: none\nweb: { listen: "${listen}", auth: none }\n`);
  }

  const dashboardUrl = (h: DaemonHome): string | null => {
    const line = h.lines.find((text) => text.includes("INFO  Dashboard on "));
    return line === undefined ? null : (/Dashboard on (\S+)/.exec(line)?.[1] ?? null);
  };

  test("the watching collector serves it: its log lines in the collector's log, /healthz with the collector's state, pages between ticks, gone after SIGTERM", async () => {
    const h = daemonHome();
    withDashboard(h, "127.0.0.1:0");
    writeFileSync(h.input, runLines(0, 3));
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => dashboardUrl(h) !== null, 5000, "the dashboard");
    const url = dashboardUrl(h) ?? "";
    expect(await (await fetch(`${url}healthz`)).json()).toMatchObject({ status: "ok", pid: process.pid, live_clients: 0, ingestion_problem: null });
    const stats = (await (await fetch(`${url}api/stats`)).json()) as { total_entries: number };
    expect(stats.total_entries).toBe(3);
    expect(await daemon.stop()).toBe(0);
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  });

  test("a reload restarts it on the same port at once", async () => {
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = probe.port;
    await probe.stop(true);
    const h = daemonHome();
    withDashboard(h, `127.0.0.1:${port}`);
    const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
    await waitFor(() => dashboardUrl(h) !== null, 5000, "the dashboard");
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).ok).toBe(true);
    writeFileSync(h.configPath, readFileSync(h.configPath, "utf8").replace("check_interval: 60", "check_interval: 30"));
    daemon.signals.send("SIGHUP");
    await waitFor(() => h.logged("Config reloaded (SIGHUP)") === 1, 5000, "the reload");
    expect(h.logged(`Dashboard on http://127.0.0.1:${port}/`)).toBe(2);
    expect(h.logged("WARN")).toBe(0);
    const after = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string };
    expect(after.status).toBe("ok");
    expect(await daemon.stop()).toBe(0);
  });

  test("a port in use: one WARN, and the collector goes on without it", async () => {
    const busy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
    try {
      const h = daemonHome();
      withDashboard(h, `127.0.0.1:${busy.port}`);
      writeFileSync(h.input, runLines(0, 2));
      const daemon = start(h, { watchDirectory: new FakeDirectoryWatch().watchDirectory });
      await waitFor(() => h.logged("WARN") === 1, 5000, "the warning");
      expect(h.lines.find((line) => line.includes("WARN"))).toContain("the port is already in use; the collector goes on without it");
      await waitFor(() => rows(h.db) === 2, 5000, "the lines, ingested without a dashboard");
      expect(h.logged("WARN")).toBe(1);
      expect(await daemon.stop()).toBe(0);
    } finally {
      busy.stop(true);
    }
  });

  test("/healthz reads the collector's state as it is now, and pages use the collector's clock (--now)", async () => {
    const h = daemonHome();
    withDashboard(h, "127.0.0.1:0");
    openDatabase(h.db).close();
    const config = loadConfig({ path: h.configPath, explicit: true }, h.home);
    let problem: string | null = null;
    const service = startDashboard({ config, log: h.log, clock: () => new Date("2025-07-29T12:00:00Z"), ingestionProblem: () => problem });
    try {
      const url = dashboardUrl(h) ?? "";
      expect(((await (await fetch(`${url}healthz`)).json()) as { ingestion_problem: unknown }).ingestion_problem).toBeNull();
      problem = "disk full";
      expect(((await (await fetch(`${url}healthz`)).json()) as { ingestion_problem: unknown }).ingestion_problem).toBe("disk full");
      const stats = (await (await fetch(`${url}api/stats`)).json()) as { now: string };
      expect(Date.parse(stats.now) - Date.parse("2025-07-29T12:00:00Z")).toBeLessThan(5000);
    } finally {
      await service.stop();
    }
  });

  test("listen off: nothing listens, nothing is logged", async () => {
    const h = daemonHome();
    const config = h.config();
    const service = startDashboard({ config, log: h.log, clock: () => new Date(), ingestionProblem: () => null });
    expect(h.lines).toEqual([]);
    await service.stop();
  });

  test("a stop with a live page (an event stream) and a page loading does not hold the collector up", async () => {
    const h = daemonHome();
    withDashboard(h, "127.0.0.1:0");
    openDatabase(h.db).close();
    const config = loadConfig({ path: h.configPath, explicit: true }, h.home);
    const service = startDashboard({ config, log: h.log, clock: () => new Date(), ingestionProblem: () => null });
    const url = dashboardUrl(h) ?? "";
    const stream = await fetch(`${url}api/events`);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: hello");
    const loading = fetch(url).catch(() => null); // the first page: loads the modules, opens the connection
    const started = performance.now();
    await service.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    // The stream ends (done, or cut off) instead of hanging on.
    await reader.read().catch(() => null);
    await loading;
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  });
});
