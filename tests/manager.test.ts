/**
 * manager.sh, the real script, in a temp HOME with fake crontab, systemctl and launchctl first on
 * PATH (they record their calls; the machine's are never reached). A real daemon is started only
 * where the test is about starting and stopping one.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliEnv, type CliResult, CONCURRENT_TEST_TIMEOUT_MS, countRows, FIXTURES, NO_DASHBOARD, REPO, runCliAwaited, runLines, spawnAwaited, tempDir, waitFor } from "./helpers.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

const MANAGER = join(REPO, "manager.sh");
const MARKER = `# cron-collector: started at boot by ${MANAGER}`;

interface Home {
  home: string;
  bin: string;
  input: string;
  db: string;
  logDir: string;
  pidFile: string;
  config: string;
  crontab: string;
  calls: string;
  env: Record<string, string>;
  /** Whether a daemon may have been started in this HOME: killed outright when the test ends (a clean stop is tested where it matters). */
  started: boolean;
  /** Other processes the test started, killed when it ends. */
  strays: number[];
}

/** A temp HOME with its own config, and fakes of crontab, systemctl and launchctl first on PATH. */
function home(): Home {
  const dir = tempDir("cc-manager-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  symlinkSync(join(FIXTURES, "bin", "fake-crontab"), join(bin, "crontab"));
  for (const tool of ["systemctl", "launchctl"]) symlinkSync(join(FIXTURES, "bin", "fake-notifier"), join(bin, tool));
  const config = join(dir, "config.yaml");
  writeFileSync(config, `check_interval: 0.2\n${NO_DASHBOARD}`);
  const logDir = join(dir, ".cron_dash");
  const env = cliEnv(dir, {
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    FAKE_CRONTAB_FILE: join(dir, "crontab"),
    FAKE_NOTIFIER_LOG: join(dir, "calls"),
    CRON_COLLECTOR_CONFIG: config,
    XDG_CONFIG_HOME: join(dir, ".config"),
  });
  delete env.CRON_COLLECTOR_PLATFORM;
  return {
    home: dir,
    bin,
    input: join(dir, "logs", "ladder.jsonl"),
    db: join(logDir, "ladder.db"),
    logDir,
    pidFile: join(logDir, "collector.pid"),
    config,
    crontab: join(dir, "crontab"),
    calls: join(dir, "calls"),
    env,
    started: false,
    strays: [],
  };
}

/** Kills what the test left running in its HOME. */
function cleanUp(h: Home): void {
  const pid = h.started && existsSync(h.pidFile) ? Number(readFileSync(h.pidFile, "utf8").trim()) : 0;
  if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL");
  for (const stray of h.strays) if (alive(stray)) process.kill(stray, "SIGKILL");
}

/**
 * A test in a HOME of its own, cleaned up when it ends, pass or fail: the tests of this file run
 * concurrently (bunfig.toml), so nothing is shared between them.
 */
function homeTest(name: string, body: (h: Home) => Promise<void>): void {
  test(name, async () => {
    const h = home();
    try {
      await body(h);
    } finally {
      cleanUp(h);
    }
  });
}

function manager(h: Home, args: string[], extra: Record<string, string> = {}, script = MANAGER): Promise<CliResult> {
  if (args[0] === "start" || args[0] === "restart") h.started = true;
  return spawnAwaited([script, ...args], { env: { ...h.env, ...extra }, cwd: h.home });
}

/** What the fake systemctl/launchctl were called with, one argv per call. */
function recordedCalls(h: Home): string[][] {
  if (!existsSync(h.calls)) return [];
  return readFileSync(h.calls, "utf8")
    .split("\x1e\n")
    .filter(Boolean)
    .map((record) => record.split("\0").slice(0, -1));
}

const pidOf = (h: Home): number => Number(readFileSync(h.pidFile, "utf8").trim());
/** Running, not a zombie waiting for init to reap it (the daemon's parent, manager.sh, is gone). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !Bun.spawnSync(["ps", "-o", "stat=", "-p", String(pid)]).stdout.toString().startsWith("Z");
};

describe("manager.sh usage", () => {
  homeTest("no command: usage on stderr, exit 2", async (h) => {
    const result = await manager(h, []);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("Usage: ./manager.sh COMMAND");
    expect(result.stdout).toBe("");
  });

  homeTest("--help on every command; an unknown command is a usage error", async (h) => {
    for (const command of ["start", "stop", "status", "logs", "parse", "install", "uninstall", "help"]) {
      const result = await manager(h, [command, "--help"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("Usage: ./manager.sh COMMAND");
    }
    expect((await manager(h, ["open", "--help"])).stdout).toContain("Usage: bun collector.ts open [--print]");
    const unknown = await manager(h, ["frobnicate"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown command: frobnicate");
  });

  homeTest("started through a symlink on PATH, it finds its checkout", async (h) => {
    symlinkSync(MANAGER, join(h.bin, "cron-manager"));
    const result = await manager(h, ["status"], {}, join(h.bin, "cron-manager"));
    // Nothing else on stderr: only the note that no database exists yet (status shows empty stats).
    expect(result.stderr).toBe(`cron-collector: No database at "${join(h.logDir, "ladder.db")}" yet (nothing has been stored there): the report is empty\n`);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain(`config:   ${h.config}`);
    await manager(h, ["install"], {}, join(h.bin, "cron-manager"));
    expect(readFileSync(h.crontab, "utf8")).toContain(`'${MANAGER}' start`);
  });
});

describe("manager.sh start / stop without a daemon", () => {
  homeTest("a stale pid file naming an unrelated live process: it is never signalled", async (h) => {
    const unrelated = Bun.spawn(["sleep", "30"]);
    h.strays.push(unrelated.pid);
    mkdirSync(h.logDir, { recursive: true });
    writeFileSync(h.pidFile, `${unrelated.pid}\n`);
    expect((await manager(h, ["stop"])).stdout).toContain("not running");
    expect(alive(unrelated.pid)).toBe(true);
    expect(existsSync(h.pidFile)).toBe(false);
    expect((await manager(h, ["status"])).exitCode).toBe(3);
  });

  homeTest("a pid file naming a dead process is cleaned up", async (h) => {
    mkdirSync(h.logDir, { recursive: true });
    writeFileSync(h.pidFile, "999999\n");
    expect((await manager(h, ["stop"])).stdout).toContain("not running");
    expect(existsSync(h.pidFile)).toBe(false);
  });

  homeTest("start with a broken config shows the new process's own words, not old log lines", async (h) => {
    mkdirSync(h.logDir, { recursive: true });
    writeFileSync(join(h.logDir, "daemon.stderr"), "an old complaint from last week\n");
    writeFileSync(join(h.logDir, "daemon.log"), "2025-07-29T04:00:00.000Z INFO  an old log line\n");
    writeFileSync(h.config, "check_interval: soon\n");
    const result = await manager(h, ["start"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("cron-collector did not start; its last words:");
    expect(result.stderr).toContain('"check_interval" must be a number of seconds');
    expect(result.stderr.split('"check_interval" must be').length - 1).toBe(1); // said once, not by every helper call
    expect(result.stderr).not.toContain("old");
    const status = await manager(h, ["status"]);
    expect(status.exitCode).toBe(3);
    expect(status.stderr.split('"check_interval" must be').length - 1).toBe(1);
  });

  homeTest("start refuses a log_dir every user can write to", async (h) => {
    const shared = join(h.home, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    writeFileSync(h.config, `log_dir: ${shared}\n`);
    const result = await manager(h, ["start"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`refusing log_dir "${shared}": it is writable by every user`);
    expect(readdirSync(shared)).toEqual([]);
  });
});

describe("manager.sh with a real daemon", () => {
  homeTest("start, status, parse, a second collector, restart, stop", async (h) => {
    expect((await manager(h, ["status"])).exitCode).toBe(3);
    const start = await manager(h, ["start"]);
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toMatch(/cron-collector started \(pid \d+\)/);
    const pid = pidOf(h);
    expect(alive(pid)).toBe(true);

    mkdirSync(join(h.home, "logs"));
    writeFileSync(h.input, runLines(0, 3));
    await waitFor(() => existsSync(h.db) && countRows(h.db, "cron_entries") === 3, 5000, "ingestion by the daemon");
    const status = await manager(h, ["status"]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`cron-collector is running (pid ${pid}`);
    expect(status.stdout).toContain(`input:    ${h.input}`);
    expect(status.stdout).toContain("💾 Database: 3 total entries");

    const parse = await manager(h, ["parse"]);
    expect(parse.exitCode).toBe(0);
    expect(parse.stdout).toContain(`The running collector (pid ${pid}) already reads ${h.input}`);
    expect((await manager(h, ["start"])).stdout).toContain(`already running (pid ${pid})`);
    const second = await runCliAwaited(["--daemon"], h.env);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`Another collector is already running on "${h.db}" (pid ${pid})`);
    const foreground = await runCliAwaited([], h.env);
    expect(foreground.exitCode).toBe(1);
    expect(foreground.stderr).toContain(`Another collector is already running on "${h.db}" (pid ${pid}); stop it first`);

    expect((await manager(h, ["restart"])).exitCode).toBe(0);
    const newPid = pidOf(h);
    expect(newPid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect((await manager(h, ["stop"])).stdout).toContain(`stopped (pid ${newPid})`);
    expect(alive(newPid)).toBe(false);
    expect(existsSync(h.pidFile)).toBe(false);
    expect((await manager(h, ["status"])).exitCode).toBe(3);
    expect(readFileSync(join(h.logDir, "daemon.log"), "utf8")).toContain("Received SIGTERM; stopping");
  });

  homeTest("the installed line starts the collector under cron's minimal environment, % and all", async (h) => {
    const configDir = join(h.home, "100% config");
    mkdirSync(configDir);
    writeFileSync(join(configDir, "config.yaml"), `check_interval: 0.2\n${NO_DASHBOARD}`);
    // A relative config path: cron starts in another directory, so the line must hold the absolute one.
    const install = await manager(h, ["install"], { CRON_COLLECTOR_CONFIG: "100% config/config.yaml" });
    expect(install.exitCode).toBe(0);
    const line = readFileSync(h.crontab, "utf8").trim();
    expect(line).toStartWith(`@reboot CRON_COLLECTOR_CONFIG='${h.home}/100\\% config/config.yaml' BUN='`);
    expect(line.replaceAll("\\%", "")).not.toContain("%");
    // What cron does with the line: strip the schedule, turn \% into %, run it with /bin/sh.
    const command = line.replace(/^@reboot /, "").replaceAll("\\%", "%");
    const cronEnv = { HOME: h.home, PATH: "/usr/bin:/bin", SHELL: "/bin/sh", LOGNAME: "user" };
    h.started = true;
    const result = await spawnAwaited(["/bin/sh", "-c", command], { env: cronEnv, cwd: "/" });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(alive(pidOf(h))).toBe(true);
  });
});

describe("manager.sh install / uninstall (crontab)", () => {
  const others = [
    "# my jobs",
    "MAILTO=ada@example.com",
    "",
    "*/5 * * * * /usr/local/bin/backup.sh --quiet   # nightly-ish",
    "*/5 * * * * bun /opt/cc/collector.ts run --job a -- ./a.sh # cron-collector: job a",
    "@reboot /home/ada/start-mine.sh # cron-collector",
    "0 3 * * 1 echo 'weekly' >> /tmp/w.log",
    "",
  ].join("\n");

  homeTest("install twice leaves one line of ours; the user's lines, even those mentioning cron-collector, stay exactly", async (h) => {
    writeFileSync(h.crontab, others);
    expect((await manager(h, ["install"])).exitCode).toBe(0);
    expect((await manager(h, ["install"])).exitCode).toBe(0);
    const table = readFileSync(h.crontab, "utf8");
    const ours = table.split("\n").filter((line) => line.endsWith(MARKER));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toStartWith("@reboot CRON_COLLECTOR_CONFIG=");
    expect(ours[0]).toContain(`'${MANAGER}' start`);
    expect(table).toBe(`${others}${ours[0]}\n`);

    expect((await manager(h, ["uninstall"])).stdout).toContain("Removed the @reboot line");
    expect(readFileSync(h.crontab, "utf8")).toBe(others);
    expect((await manager(h, ["uninstall"])).stdout).toContain("Nothing was installed.");
    expect(readFileSync(h.crontab, "utf8")).toBe(others);
  });

  homeTest("a line written by an older install of this checkout is replaced", async (h) => {
    writeFileSync(h.crontab, `${others}@reboot BUN='/usr/bin/bun' '${MANAGER}' start >/dev/null 2>&1 # cron-collector\n`);
    await manager(h, ["install"]);
    const table = readFileSync(h.crontab, "utf8");
    expect(table.startsWith(others)).toBe(true);
    expect(table.slice(others.length).trim().split("\n")).toEqual([expect.stringMatching(/^@reboot .*# cron-collector: started at boot by /)]);
  });

  homeTest("install into an empty crontab, uninstall removes it again", async (h) => {
    await manager(h, ["install"]);
    expect(readFileSync(h.crontab, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
    await manager(h, ["uninstall"]);
    expect(existsSync(h.crontab)).toBe(false);
  });

  homeTest("BUN naming no executable: an error, exit 1, nothing installed", async (h) => {
    writeFileSync(h.crontab, others);
    const result = await manager(h, ["install"], { BUN: "/nonexistent" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("BUN=/nonexistent is not an executable");
    expect(result.stdout).not.toContain("Installed");
    expect(readFileSync(h.crontab, "utf8")).toBe(others);
  });
});

const unitPath = (h: Home): string => join(h.home, ".config", "systemd", "user", "cron-collector.service");
const plistPath = (h: Home): string => join(h.home, "Library", "LaunchAgents", "com.github.cron-collector.plist");
const DARWIN = { CRON_COLLECTOR_PLATFORM: "darwin" };

describe("manager.sh install while a collector runs, or another kind is installed", () => {
  for (const [option, service, extra] of [
    ["--systemd", "systemd", {}],
    ["--launchd", "launchd", DARWIN],
  ] as const) {
    homeTest(`install ${option} stops the collector 'start' started, so the service's own is not refused and restarted in a loop`, async (h) => {
      expect((await manager(h, ["start"])).exitCode).toBe(0);
      const pid = pidOf(h);
      const install = await manager(h, ["install", option], extra);
      expect(install.stderr).toBe("");
      expect(install.exitCode).toBe(0);
      expect(install.stdout).toStartWith(`Stopping the running collector (pid ${pid}) so that ${service} runs it from now on.\n`);
      expect(alive(pid)).toBe(false);
      expect(existsSync(h.pidFile)).toBe(false);
      const last = recordedCalls(h).at(-1) ?? [];
      expect(last.slice(0, 2)).toEqual(service === "systemd" ? ["systemctl", "--user"] : ["launchctl", "bootstrap"]);
    });
  }

  homeTest("one kind installed: another kind is refused with what to do, the same kind is replaced", async (h) => {
    expect((await manager(h, ["install"])).exitCode).toBe(0);
    const table = readFileSync(h.crontab, "utf8");
    for (const [option, extra] of [["--systemd", {}], ["--launchd", DARWIN]] as const) {
      const refused = await manager(h, ["install", option], extra);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toBe(
        `manager.sh: cron-collector already starts at boot through the @reboot line in your crontab; a second way would start a second collector, which is refused. Run '${MANAGER} uninstall' first, then this install again. Nothing was installed.\n`,
      );
    }
    expect(existsSync(unitPath(h))).toBe(false);
    expect(existsSync(plistPath(h))).toBe(false);
    expect(recordedCalls(h)).toEqual([]);
    expect((await manager(h, ["uninstall"])).exitCode).toBe(0);

    expect((await manager(h, ["install", "--systemd"])).exitCode).toBe(0);
    expect((await manager(h, ["install", "--systemd"])).exitCode).toBe(0);
    const cron = await manager(h, ["install"]);
    expect(cron.exitCode).toBe(1);
    expect(cron.stderr).toContain(`already starts at boot through the systemd user unit ${unitPath(h)};`);
    expect(existsSync(h.crontab)).toBe(false);
    expect((await manager(h, ["install", "--launchd"], DARWIN)).stderr).toContain("through the systemd user unit");
    expect(existsSync(plistPath(h))).toBe(false);
    expect(table).toContain(MARKER);
  });
});

describe("manager.sh install --systemd", () => {

  homeTest("writes a user unit, enables it through systemctl, and uninstall removes it", async (h) => {
    const install = await manager(h, ["install", "--systemd"]);
    expect(install.stderr).toBe("");
    expect(install.exitCode).toBe(0);
    const unit = readFileSync(unitPath(h), "utf8");
    expect(unit).toContain(`ExecStart="${Bun.which("bun", { PATH: h.env.PATH ?? "" })}" "${join(REPO, "collector.ts")}" --daemon --config "${h.config}"`);
    expect(unit).toContain("Restart=on-failure");
    expect(recordedCalls(h)).toEqual([
      ["systemctl", "--user", "show-environment"],
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", "cron-collector.service"],
    ]);
    expect((await manager(h, ["uninstall"])).stdout).toContain("Removed the systemd user unit");
    expect(existsSync(unitPath(h))).toBe(false);
  });

  homeTest("without a user session: a clear error, exit 1, no file left behind", async (h) => {
    const result = await manager(h, ["install", "--systemd"], { FAKE_NOTIFIER_MODE: "fail" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("install --systemd needs your systemd user session");
    expect(result.stderr).toContain("Nothing was installed.");
    expect(existsSync(join(h.home, ".config"))).toBe(false);
    expect(recordedCalls(h)).toEqual([["systemctl", "--user", "show-environment"]]);
  });
});

describe("manager.sh install --launchd", () => {

  homeTest("on macOS: writes a LaunchAgent, loads it through launchctl, and uninstall removes it", async (h) => {
    const install = await manager(h, ["install", "--launchd"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    expect(install.stderr).toBe("");
    expect(install.exitCode).toBe(0);
    const plist = readFileSync(plistPath(h), "utf8");
    expect(plist).toContain(`<string>${join(REPO, "collector.ts")}</string>\n    <string>--daemon</string>`);
    expect(plist).toContain("<key>RunAtLoad</key><true/>");
    const uid = String(process.getuid?.() ?? 0);
    expect(recordedCalls(h)).toEqual([
      ["launchctl", "bootout", `gui/${uid}/com.github.cron-collector`],
      ["launchctl", "bootstrap", `gui/${uid}`, plistPath(h)],
    ]);
    expect((await manager(h, ["uninstall"])).stdout).toContain("Removed the LaunchAgent");
    expect(existsSync(plistPath(h))).toBe(false);
  });

  homeTest("on Linux: a clear error, exit 1, no file left behind", async (h) => {
    const result = await manager(h, ["install", "--launchd"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("install --launchd is for macOS");
    expect(existsSync(join(h.home, "Library"))).toBe(false);
    expect(recordedCalls(h)).toEqual([]);
  });
});
