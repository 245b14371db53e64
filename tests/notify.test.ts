/**
 * Alerts end to end: the real CLI, with fake terminal-notifier / osascript / notify-send / brew
 * programs on PATH that record their arguments.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { alertStatuses, calls, FAKE_NOTIFIER as FAKE, notifierSetup as setup } from "./fake-notifier.ts";
import { countRows, REPO, runCli, waitFor } from "./helpers.ts";
const NOW = "2025-07-29T04:40:00Z";
const running: Subprocess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGKILL");
});

const failure = (minute: number, msg: string, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ ts: `2025-07-29T04:${String(minute).padStart(2, "0")}:00Z`, exit: 2, msg, ...extra })}\n`;

describe("delivery through terminal-notifier", () => {
  test("sends one notification with the exact arguments, and never the same one twice", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, `{"ts":"2025-07-29T04:30:00Z","exit":0,"msg":"ok"}\n${failure(31, "Authentication failed - invalid credentials", { job: "backup" })}`);
    const result = runCli(["--parse-existing", "--now", NOW], s.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Alerts: 1 sent, 0 not delivered");
    expect(calls(s)).toEqual([
      ["terminal-notifier", "-title", "\\🚨 Cron Job Failed", "-subtitle", "\\backup", "-message", "\\Exit code 2: Authentication failed - invalid credentials", "-sound", "Basso", "-group", "cron-collector.backup"],
    ]);
    runCli(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s)).toHaveLength(1);
  });

  test("hostile messages reach the notifier literally and run nothing", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const hostile = ["-remove ALL", "$(touch pwned)", "`touch pwned2`", 'say "hi"; it\'s', "[x] (y) {z} <w>", "two\nlines"];
    writeFileSync(s.input, hostile.map((msg, i) => failure(31 + i, msg)).join(""));
    s.config("notify:\n  max_per_minute: 100\n");
    expect(runCli(["--parse-existing", "--now", NOW], s.env).exitCode).toBe(0);
    const messages = calls(s).map((argv) => argv[argv.indexOf("-message") + 1]);
    expect(messages).toEqual(hostile.map((msg) => `\\Exit code 2: ${msg.replace("\n", " ")}`));
    expect(existsSync(join(s.home, "pwned"))).toBe(false);
    expect(existsSync(join(REPO, "pwned"))).toBe(false);
  });

  test("sounds follow the exit code rules", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const line = (minute: number, exit: number) => `${JSON.stringify({ ts: `2025-07-29T04:3${minute}:00Z`, exit, msg: "x" })}\n`;
    writeFileSync(s.input, line(1, 1) + line(2, 124) + line(3, 137));
    s.config("notify:\n  sound: Glass\n  sounds:\n    124: Submarine\n    128-255: Sosumi\n");
    runCli(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s).map((argv) => argv[argv.indexOf("-sound") + 1])).toEqual(["Glass", "Submarine", "Sosumi"]);
  });
});

describe("no storms", () => {
  test("a backfill of old failures is stored silently and gives one summary", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    let text = "";
    for (let i = 0; i < 37; i++) text += failure(i, `old failure ${i}`);
    writeFileSync(s.input, text);
    const result = runCli(["--parse-existing", "--now", "2025-07-30T12:00:00Z"], s.env);
    expect(result.exitCode).toBe(0);
    expect(countRows(s.db, "cron_entries")).toBe(37);
    const sent = calls(s);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[sent[0].indexOf("-message") + 1]).toBe("\\37 failures older than notify.max_age when read; last failure: ladder at 2025-07-29T04:36:00.000Z, Exit code 2: old failure 36");
  });

  test("a burst of 100 failures gives max_per_minute notifications, the last a summary", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    let text = "";
    for (let i = 0; i < 100; i++) text += `${JSON.stringify({ ts: `2025-07-29T04:39:${String(i % 60).padStart(2, "0")}.${String(i).padStart(3, "0")}Z`, exit: 1, msg: `crash ${i}` })}\n`;
    writeFileSync(s.input, text);
    runCli(["--parse-existing", "--now", NOW], s.env);
    const messages = calls(s).map((argv) => argv[argv.indexOf("-message") + 1]);
    expect(messages).toHaveLength(5);
    expect(messages.slice(0, 4)).toEqual(["\\Exit code 1: crash 0", "\\Exit code 1: crash 1", "\\Exit code 1: crash 2", "\\Exit code 1: crash 3"]);
    expect(messages[4]).toBe("\\96 failures in a burst; last failure: ladder at 2025-07-29T04:39:59.059Z, Exit code 1: crash 59");
    // Within the same minute nothing more goes out, even for a new failure; it waits its turn.
    appendFileSync(s.input, failure(39, "one more"));
    const again = runCli(["--parse-existing", "--now", NOW], s.env);
    expect(again.stdout).toContain("1 held back by notify.max_per_minute");
    expect(calls(s)).toHaveLength(5);
  });
});

describe("robust delivery", () => {
  test("a hanging notifier is killed after notify.timeout and ingestion goes on", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin", FAKE_NOTIFIER_MODE: "hang" });
    s.config("notify:\n  timeout: 1s\n");
    writeFileSync(s.input, failure(31, "x"));
    const started = performance.now();
    const result = runCli(["--parse-existing", "--now", NOW], s.env);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("did not finish within 1s and was killed; will retry");
    expect(countRows(s.db, "cron_entries")).toBe(1);
  });

  test("an alert committed but not sent before kill -9 is sent exactly once after restart", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    s.config("notify:\n  timeout: 60s\n");
    const hanging = Bun.spawn(["bun", join(REPO, "collector.ts"), "--now", NOW], {
      env: { ...s.env, FAKE_NOTIFIER_MODE: "hang" },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    running.push(hanging);
    writeFileSync(s.input, failure(31, "lost?"));
    await waitFor(() => calls(s).length === 1, 10_000, "the notifier to be called");
    hanging.kill("SIGKILL"); // committed, delivery under way, never marked sent
    await hanging.exited;
    expect(runCli(["--parse-existing", "--now", NOW], s.env).stdout).toContain("Alerts: 1 sent");
    expect(runCli(["--parse-existing", "--now", NOW], s.env).stdout).not.toContain("Alerts:");
    expect(calls(s).map((argv) => argv[argv.indexOf("-message") + 1])).toEqual(["\\Exit code 2: lost?", "\\Exit code 2: lost?"]);
  }, 20_000);

  test("a failing notifier is logged with its reason and retried, never given up", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin", FAKE_NOTIFIER_MODE: "fail" });
    writeFileSync(s.input, failure(31, "x"));
    const first = runCli(["--parse-existing", "--now", NOW], s.env);
    expect(first.stderr).toContain('/bin/terminal-notifier" exited with code 3: fake notifier failure; will retry');
    runCli(["--parse-existing", "--now", NOW], s.env);
    runCli(["--parse-existing", "--now", NOW], s.env);
    // On main the alert was given up after 3 attempts and never sent.
    const working = runCli(["--parse-existing", "--now", NOW], { ...s.env, FAKE_NOTIFIER_MODE: "ok" });
    expect(working.stdout).toContain("Alerts: 1 sent");
    expect(calls(s)).toHaveLength(4);
  });
});

describe("backend choice", () => {
  test("macOS without terminal-notifier: osascript, and one brew install in the background", () => {
    const s = setup(["osascript", "brew"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, failure(31, "x"));
    runCli(["--parse-existing", "--now", NOW], s.env);
    appendFileSync(s.input, failure(32, "y"));
    runCli(["--parse-existing", "--now", NOW], s.env);
    const programs = calls(s).map((argv) => argv[0]);
    expect(programs.filter((p) => p === "brew")).toHaveLength(1);
    expect(calls(s).find((argv) => argv[0] === "brew")).toEqual(["brew", "install", "terminal-notifier"]);
    expect(programs.filter((p) => p === "osascript")).toHaveLength(2);
  });

  test("auto_install: false never runs brew", () => {
    const s = setup(["osascript", "brew"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    s.config("notify:\n  auto_install: false\n");
    writeFileSync(s.input, failure(31, "x"));
    runCli(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s).map((argv) => argv[0])).toEqual(["osascript"]);
  });

  test("Linux: notify-send when present", () => {
    const s = setup(["notify-send", "terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "linux" });
    writeFileSync(s.input, failure(31, "x"));
    runCli(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s)).toEqual([["notify-send", "--app-name=cron-collector", "--urgency=critical", "--", "🚨 Cron Job Failed", "Exit code 2: x"]]);
  });

  test("no notifier at all: the alert is logged", () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    writeFileSync(s.input, failure(31, "x"));
    const result = runCli(["--parse-existing", "--now", NOW], s.env);
    expect(result.stderr).toContain("Alert not delivered, it reached the log only (no notifier found; install notify-send or set notify.backend): 🚨 Cron Job Failed: Exit code 2: x");
    // Counted as not delivered, and stored so: on main it was "sent".
    expect(result.stdout).toContain("Alerts: 0 sent, 1 not delivered");
    expect(alertStatuses(s.db)).toEqual(["logged"]);
  });

  test("backend: command runs the user's program with the alert in argv and environment", () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    s.config(`notify:\n  backend: command\n  command: ["${FAKE}", "publish", "topic"]\n`);
    writeFileSync(s.input, failure(31, "disk full", { job: "backup" }));
    runCli(["--parse-existing", "--now", NOW], s.env);
    const [call] = calls(s);
    expect(call?.slice(0, 5)).toEqual(["fake-notifier", "publish", "topic", "🚨 Cron Job Failed", "Exit code 2: disk full"]);
    expect(JSON.parse(call?.[5]?.replace("env:CRON_ALERT_JSON=", "") ?? "")).toEqual({
      kind: "failure",
      title: "🚨 Cron Job Failed",
      subtitle: "backup",
      message: "Exit code 2: disk full",
      job: "backup",
      exit_code: 2,
      ts: "2025-07-29T04:31:00.000Z",
    });
  });

  test("backend: webhook POSTs the alert as JSON (to a server on 127.0.0.1)", async () => {
    const received: unknown[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        received.push({ method: request.method, type: request.headers.get("content-type"), body: await request.json() });
        return new Response("ok");
      },
    });
    try {
      const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
      s.config(`notify:\n  backend: webhook\n  webhook_url: http://127.0.0.1:${server.port}/hook\n`);
      writeFileSync(s.input, failure(31, "disk full", { job: "backup" }));
      const child = Bun.spawn(["bun", join(REPO, "collector.ts"), "--parse-existing", "--now", NOW], { env: s.env, stdout: "pipe", stderr: "pipe" });
      expect(await child.exited).toBe(0);
      expect(received).toEqual([
        {
          method: "POST",
          type: "application/json",
          body: { kind: "failure", title: "🚨 Cron Job Failed", subtitle: "backup", message: "Exit code 2: disk full", job: "backup", exit_code: 2, ts: "2025-07-29T04:31:00.000Z" },
        },
      ]);
    } finally {
      server.stop(true);
    }
  });

  test("a recovery notice follows when the failing job succeeds", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, failure(31, "x", { job: "backup" }) + `${JSON.stringify({ ts: "2025-07-29T04:32:00Z", exit: 0, msg: "ok", job: "backup" })}\n`);
    runCli(["--parse-existing", "--now", NOW], s.env);
    const last = calls(s).at(-1) ?? [];
    expect(last.slice(1, 7)).toEqual(["-title", "\\✅ Cron Job Recovered", "-subtitle", "\\backup", "-message", "\\backup succeeded again after 1 failed run"]);
  });
});

describe("--test-notification", () => {
  test("sends one sample through the configured backend and says so", () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const result = runCli(["--test-notification"], s.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("via terminal-notifier");
    expect(result.stdout).toContain("System Settings → Notifications");
    expect(calls(s)).toHaveLength(1);
  });

  test("no notifier: exits 1, says nothing was delivered and what to install, without a database", () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    // A database that cannot be created: --test-notification must not need it.
    s.config(`database: ${join(s.input, "not-a-dir", "ladder.db")}\n`);
    const result = runCli(["--test-notification"], s.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Not delivered via auto: no notifier took it");
    expect(result.stderr).toContain("apt install libnotify-bin");
    expect(result.stdout).not.toContain("Delivered");
    expect(existsSync(s.db)).toBe(false);
  });

  test("exits 1 with the reason when delivery fails", () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "darwin" });
    s.config("notify:\n  backend: terminal-notifier\n  auto_install: false\n");
    const result = runCli(["--test-notification"], s.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('"terminal-notifier" was not found on PATH');
  });
});
