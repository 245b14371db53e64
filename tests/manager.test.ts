/** manager.sh, the real script, in a temp HOME. */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { cliEnv, countRows, FIXTURES, REPO, runLines, tempDir, waitFor } from "./helpers.ts";

const MANAGER = join(REPO, "manager.sh");
const started: Array<{ env: Record<string, string> }> = [];
const strays: number[] = [];

interface Home {
  home: string;
  input: string;
  db: string;
  logDir: string;
  pidFile: string;
  config: string;
  env: Record<string, string>;
}

function home(): Home {
  const dir = tempDir("cc-manager-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(join(dir, "logs"));
  symlinkSync(join(FIXTURES, "bin", "fake-crontab"), join(bin, "crontab"));
  const config = join(dir, "config.yaml");
  writeFileSync(config, "check_interval: 0.2\nbusy_timeout: 100ms\n");
  const logDir = join(dir, ".cron_dash");
  return {
    home: dir,
    input: join(dir, "logs", "ladder.jsonl"),
    db: join(logDir, "ladder.db"),
    logDir,
    pidFile: join(logDir, "collector.pid"),
    config,
    env: cliEnv(dir, {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      FAKE_CRONTAB_FILE: join(dir, "crontab"),
      CRON_COLLECTOR_CONFIG: config,
    }),
  };
}

function manager(h: Home, ...args: string[]): { exitCode: number; stdout: string; stderr: string } {
  if (args[0] === "start" || args[0] === "restart") started.push({ env: h.env });
  const result = Bun.spawnSync(["bash", MANAGER, ...args], { env: h.env, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

const pidOf = (h: Home): number => Number(readFileSync(h.pidFile, "utf8").trim());
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(() => {
  for (const { env } of started.splice(0)) Bun.spawnSync(["bash", MANAGER, "stop"], { env });
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});

describe("manager.sh start / status / stop", () => {
  test("round trip, with exit codes 0 when running and 3 when not", async () => {
    const h = home();
    expect(manager(h, "status").exitCode).toBe(3);
    const start = manager(h, "start");
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toMatch(/cron-collector started \(pid \d+\)/);
    const pid = pidOf(h);
    expect(alive(pid)).toBe(true);

    writeFileSync(h.input, runLines(0, 3));
    await waitFor(() => existsSync(h.db) && countRows(h.db, "cron_entries") === 3, 5000, "ingestion by the daemon");

    const status = manager(h, "status");
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`cron-collector is running (pid ${pid}`);
    expect(status.stdout).toContain(`input:    ${h.input}`);
    expect(status.stdout).toContain("💾 Database: 3 total entries");

    const again = manager(h, "start");
    expect(again.stdout).toContain(`already running (pid ${pid})`);

    const restart = manager(h, "restart");
    expect(restart.exitCode).toBe(0);
    const newPid = pidOf(h);
    expect(newPid).not.toBe(pid);
    expect(alive(pid)).toBe(false);

    expect(manager(h, "stop").stdout).toContain(`stopped (pid ${newPid})`);
    expect(alive(newPid)).toBe(false);
    expect(existsSync(h.pidFile)).toBe(false);
    expect(manager(h, "status").exitCode).toBe(3);
    expect(readFileSync(join(h.logDir, "daemon.log"), "utf8")).toContain("Received SIGTERM; stopping");
  }, 30_000);

  test("a stale pid file naming an unrelated live process: it is never signalled", () => {
    const h = home();
    const unrelated = Bun.spawn(["sleep", "30"]);
    strays.push(unrelated.pid);
    mkdirSync(h.logDir, { recursive: true });
    writeFileSync(h.pidFile, `${unrelated.pid}\n`);
    const stop = manager(h, "stop");
    expect(stop.stdout).toContain("not running");
    expect(alive(unrelated.pid)).toBe(true);
    expect(existsSync(h.pidFile)).toBe(false);
    expect(manager(h, "status").exitCode).toBe(3);
  });

  test("a pid file naming a dead process is cleaned up", () => {
    const h = home();
    mkdirSync(h.logDir, { recursive: true });
    writeFileSync(h.pidFile, "999999\n");
    expect(manager(h, "stop").stdout).toContain("not running");
    expect(existsSync(h.pidFile)).toBe(false);
  });

  test("a second collector on the same database exits 1 and the first keeps running", () => {
    const h = home();
    manager(h, "start");
    const pid = pidOf(h);
    const second = Bun.spawnSync(["bun", join(REPO, "collector.ts"), "--daemon"], { env: h.env, stdout: "pipe", stderr: "pipe" });
    expect(second.exitCode).toBe(1);
    expect(second.stderr.toString()).toContain(`Another collector is already running on "${h.db}" (pid ${pid})`);
    expect(alive(pid)).toBe(true);
    expect(pidOf(h)).toBe(pid);
  }, 20_000);

  test("start fails fast and says why when the collector cannot start", async () => {
    const h = home();
    // A foreground collector holds the database; the daemon exits at once.
    const foreground = Bun.spawn(["bun", join(REPO, "collector.ts")], { env: h.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    strays.push(foreground.pid);
    await waitFor(() => existsSync(`${h.db}.lock`), 5000, "the foreground collector");
    await Bun.sleep(200);
    const started = performance.now();
    const result = manager(h, "start");
    expect(result.exitCode).toBe(1);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.stderr).toContain("cron-collector did not start; its last words:");
    expect(result.stderr).toContain("Another collector is already running");
  }, 20_000);

  test("--help on every command", () => {
    const h = home();
    for (const command of ["start", "stop", "status", "logs", "install", "help"]) {
      const result = manager(h, command, "--help");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("Usage: ./manager.sh COMMAND");
    }
    const unknown = manager(h, "frobnicate");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("unknown command: frobnicate");
  });
});

describe("manager.sh install / uninstall", () => {
  const others = "# my jobs\nMAILTO=ada@example.com\n\n*/5 * * * * /usr/local/bin/backup.sh --quiet   # nightly-ish\n0 3 * * 1 echo 'weekly' >> /tmp/w.log\n";

  test("install twice leaves one @reboot line and every other line exactly as it was", () => {
    const h = home();
    writeFileSync(join(h.home, "crontab"), others);
    expect(manager(h, "install").exitCode).toBe(0);
    expect(manager(h, "install").exitCode).toBe(0);
    const table = readFileSync(join(h.home, "crontab"), "utf8");
    const ours = table.split("\n").filter((line) => line.includes("# cron-collector"));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toStartWith("@reboot CRON_COLLECTOR_CONFIG=");
    expect(ours[0]).toContain(`'${MANAGER}' start`);
    expect(table.startsWith(others)).toBe(true);

    expect(manager(h, "uninstall").stdout).toContain("Removed the @reboot line");
    expect(readFileSync(join(h.home, "crontab"), "utf8")).toBe(others);
  });

  test("install into an empty crontab, uninstall removes it again", () => {
    const h = home();
    manager(h, "install");
    expect(readFileSync(join(h.home, "crontab"), "utf8").split("\n").filter(Boolean)).toHaveLength(1);
    manager(h, "uninstall");
    expect(existsSync(join(h.home, "crontab"))).toBe(false);
    expect(manager(h, "uninstall").stdout).toContain("Nothing was installed.");
  });

  test("the installed line starts the collector under a minimal cron environment", () => {
    const h = home();
    manager(h, "install");
    const line = readFileSync(join(h.home, "crontab"), "utf8").trim();
    const command = line.replace(/^@reboot /, "").replace(/ >\/dev\/null 2>&1 # cron-collector$/, "");
    const cronEnv = { HOME: h.home, PATH: "/usr/bin:/bin", SHELL: "/bin/sh", LOGNAME: "user" };
    started.push({ env: h.env });
    const result = Bun.spawnSync(["/bin/sh", "-c", command], { env: cronEnv, stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
    expect(alive(pidOf(h))).toBe(true);
  }, 20_000);
});

describe("manager.sh install --systemd", () => {
  test("writes a user unit, enables it through systemctl, and uninstall removes it", () => {
    const h = home();
    symlinkSync(join(FIXTURES, "bin", "fake-notifier"), join(h.home, "bin", "systemctl"));
    const calls = join(h.home, "systemctl-calls");
    const env = { ...h.env, FAKE_NOTIFIER_LOG: calls, XDG_CONFIG_HOME: join(h.home, ".config") };
    const install = Bun.spawnSync(["bash", MANAGER, "install", "--systemd"], { env, stdout: "pipe", stderr: "pipe" });
    expect(install.stderr.toString()).toBe("");
    expect(install.exitCode).toBe(0);
    const unitPath = join(h.home, ".config", "systemd", "user", "cron-collector.service");
    const unit = readFileSync(unitPath, "utf8");
    expect(unit).toContain(`ExecStart="${Bun.which("bun")}" "${join(REPO, "collector.ts")}" --daemon --config "${h.config}"`);
    expect(unit).toContain("Restart=on-failure");
    const recorded = readFileSync(calls, "utf8").split("\x1e\n").filter(Boolean).map((record) => record.split("\0").slice(0, -1));
    expect(recorded).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", "cron-collector.service"],
    ]);
    const uninstall = Bun.spawnSync(["bash", MANAGER, "uninstall"], { env, stdout: "pipe", stderr: "pipe" });
    expect(uninstall.stdout.toString()).toContain("Removed the systemd user unit");
    expect(existsSync(unitPath)).toBe(false);
  });
});

describe("manager.sh install --launchd", () => {
  test("writes a LaunchAgent, loads it through launchctl, and uninstall removes it", () => {
    const h = home();
    symlinkSync(join(FIXTURES, "bin", "fake-notifier"), join(h.home, "bin", "launchctl"));
    const calls = join(h.home, "launchctl-calls");
    const env = { ...h.env, FAKE_NOTIFIER_LOG: calls };
    const install = Bun.spawnSync(["bash", MANAGER, "install", "--launchd"], { env, stdout: "pipe", stderr: "pipe" });
    expect(install.stderr.toString()).toBe("");
    expect(install.exitCode).toBe(0);
    const plistPath = join(h.home, "Library", "LaunchAgents", "com.github.cron-collector.plist");
    const plist = readFileSync(plistPath, "utf8");
    expect(plist).toContain(`<string>${join(REPO, "collector.ts")}</string>\n    <string>--daemon</string>`);
    expect(plist).toContain("<key>RunAtLoad</key><true/>");
    const uid = String(process.getuid?.() ?? 0);
    const recorded = readFileSync(calls, "utf8").split("\x1e\n").filter(Boolean).map((record) => record.split("\0").slice(0, -1));
    expect(recorded).toEqual([
      ["launchctl", "bootout", `gui/${uid}/com.github.cron-collector`],
      ["launchctl", "bootstrap", `gui/${uid}`, plistPath],
    ]);
    expect(Bun.spawnSync(["bash", MANAGER, "uninstall"], { env, stdout: "pipe" }).stdout.toString()).toContain("Removed the LaunchAgent");
    expect(existsSync(plistPath)).toBe(false);
  });
});

describe("the daemon", () => {
  test("a database locked by another program: logged, retried with backoff, nothing lost", async () => {
    const h = home();
    writeFileSync(h.input, runLines(0, 2));
    manager(h, "start");
    await waitFor(() => existsSync(h.db) && countRows(h.db, "cron_entries") === 2, 5000, "first lines");
    const blocker = new Database(h.db);
    blocker.run("BEGIN EXCLUSIVE"); // in WAL mode: every other writer waits, then gets SQLITE_BUSY
    appendFileSync(h.input, runLines(2, 3));
    const log = join(h.logDir, "daemon.log");
    await waitFor(() => readFileSync(log, "utf8").includes("Ingestion failed (attempt 1), retrying in 1s"), 12_000, "the busy error");
    blocker.run("ROLLBACK");
    blocker.close();
    await waitFor(() => countRows(h.db, "cron_entries") === 5, 10_000, "the retry");
    expect(readFileSync(log, "utf8")).toContain("Ingestion works again");
    expect(manager(h, "status").exitCode).toBe(0);
  }, 30_000);

  test("reloads config.yaml on edit: a valid edit applies, an invalid one is logged and ignored", async () => {
    const h = home();
    manager(h, "start");
    const log = join(h.logDir, "daemon.log");
    const other = join(h.home, "logs", "other.jsonl");
    writeFileSync(h.config, `check_interval: 0.2\ninput: ${other}\n`);
    await waitFor(() => readFileSync(log, "utf8").includes("Config reloaded"), 5000, "reload");
    writeFileSync(other, runLines(0, 2));
    await waitFor(() => existsSync(h.db) && countRows(h.db, "cron_entries") === 2, 5000, "lines from the new input");

    writeFileSync(h.config, `check_interval: soon\ninput: ${other}\n`);
    await waitFor(() => readFileSync(log, "utf8").includes("Config not reloaded"), 5000, "rejected reload");
    expect(readFileSync(log, "utf8")).toContain('(line 1, column 17): "check_interval" must be a number of seconds');
    appendFileSync(other, runLines(2, 1));
    await waitFor(() => countRows(h.db, "cron_entries") === 3, 5000, "the old config still working");
    // The broken file does not keep anyone from seeing or stopping the daemon.
    const status = manager(h, "status");
    expect(status.stdout).toContain("cron-collector is running");
    expect(status.stderr).toContain("Cannot load config");
    expect(manager(h, "stop").stdout).toContain("stopped");
  }, 30_000);

  test("SIGHUP reloads the config", async () => {
    const h = home();
    manager(h, "start");
    writeFileSync(h.config, "check_interval: 0.3\n");
    // Edits are picked up by the file watch too; SIGHUP must work on its own as well.
    process.kill(pidOf(h), "SIGHUP");
    const log = join(h.logDir, "daemon.log"); // written a moment after the pid file
    await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("Config reloaded"), 5000, "reload");
  }, 20_000);

  test("SIGTERM mid-ingest, then a restart: exact row counts", async () => {
    const h = home();
    const total = 150_000;
    writeFileSync(h.input, runLines(0, total));
    manager(h, "start");
    await waitFor(() => existsSync(h.db) && countRows(h.db, "cron_entries") > 0, 10_000, "ingestion to start");
    // The signal itself, at once (manager.sh stop first asks the collector for its paths, and a
    // fast machine could finish the catch-up meanwhile); the daemon stops within one slice.
    const pid = pidOf(h);
    process.kill(pid, "SIGTERM");
    await waitFor(() => !alive(pid), 10_000, "the daemon to stop");
    const partial = countRows(h.db, "cron_entries");
    manager(h, "start");
    await waitFor(() => countRows(h.db, "cron_entries") === total, 20_000, "the rest after restart");
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(total); // stopped mid-way, or the test proves nothing
    expect(countRows(h.db, "quarantine")).toBe(0);
  }, 40_000);
});
