/**
 * Alerts end to end: the real CLI, with fake terminal-notifier / osascript / notify-send / brew
 * programs on PATH that record their arguments; then notifier choice and webhook formats
 * in-process, with an injected `which` and a local HTTP server.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alertStatuses, calls, FAKE_NOTIFIER as FAKE, notifierSetup as setup } from "./fake-notifier.ts";
import { CONCURRENT_TEST_TIMEOUT_MS, countRows, REPO, runCliAwaited, runCliInProcess, waitFor } from "./helpers.ts";
import type { AlertText } from "../src/alerts/format.ts";
import type { NotifyConfig } from "../src/config/config.ts";
import { parseConfig } from "../src/config/load.ts";
import { notifierStartupWarning, resolveNotifier, resolveNotifiers } from "../src/notify/notifier.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

const NOW = "2025-07-29T04:40:00Z";

const failure = (minute: number, msg: string, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ ts: `2025-07-29T04:${String(minute).padStart(2, "0")}:00Z`, exit: 2, msg, ...extra })}\n`;

describe("delivery through terminal-notifier", () => {
  test("sends one notification with the exact arguments, and never the same one twice", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, `{"ts":"2025-07-29T04:30:00Z","exit":0,"msg":"ok"}\n${failure(31, "Authentication failed - invalid credentials", { job: "backup" })}`);
    const result = await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Alerts: 1 sent, 0 not delivered");
    expect(calls(s)).toEqual([
      ["terminal-notifier", "-title", "\\🚨 Cron Job Failed", "-subtitle", "\\backup", "-message", "\\Exit code 2: Authentication failed - invalid credentials", "-sound", "Basso", "-group", "cron-collector.backup"],
    ]);
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s)).toHaveLength(1);
  });

  test("hostile messages reach the notifier literally and run nothing", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const hostile = ["-remove ALL", "$(touch pwned)", "`touch pwned2`", 'say "hi"; it\'s', "[x] (y) {z} <w>", "two\nlines"];
    writeFileSync(s.input, hostile.map((msg, i) => failure(31 + i, msg)).join(""));
    s.config("notify:\n  max_per_minute: 100\n");
    expect((await runCliInProcess(["--parse-existing", "--now", NOW], s.env)).exitCode).toBe(0);
    const messages = calls(s).map((argv) => argv[argv.indexOf("-message") + 1]);
    expect(messages).toEqual(hostile.map((msg) => `\\Exit code 2: ${msg.replace("\n", " ")}`));
    expect(existsSync(join(s.home, "pwned"))).toBe(false);
    expect(existsSync(join(REPO, "pwned"))).toBe(false);
  });

  test("sounds follow the exit code rules", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const line = (minute: number, exit: number) => `${JSON.stringify({ ts: `2025-07-29T04:3${minute}:00Z`, exit, msg: "x" })}\n`;
    writeFileSync(s.input, line(1, 1) + line(2, 124) + line(3, 137));
    s.config("notify:\n  sound: Glass\n  sounds:\n    124: Submarine\n    128-255: Sosumi\n");
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s).map((argv) => argv[argv.indexOf("-sound") + 1])).toEqual(["Glass", "Submarine", "Sosumi"]);
  });
});

describe("no storms", () => {
  test("a backfill of old failures is stored silently and gives one summary", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    let text = "";
    for (let i = 0; i < 37; i++) text += failure(i, `old failure ${i}`);
    writeFileSync(s.input, text);
    const result = await runCliInProcess(["--parse-existing", "--now", "2025-07-30T12:00:00Z"], s.env);
    expect(result.exitCode).toBe(0);
    expect(countRows(s.db, "cron_entries")).toBe(37);
    const sent = calls(s);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[sent[0].indexOf("-message") + 1]).toBe("\\37 failures older than notify.max_age when read; last failure: ladder at 2025-07-29T04:36:00.000Z, Exit code 2: old failure 36");
  });

  test("a burst of 100 failures gives max_per_minute notifications, the last a summary", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    let text = "";
    for (let i = 0; i < 100; i++) text += `${JSON.stringify({ ts: `2025-07-29T04:39:${String(i % 60).padStart(2, "0")}.${String(i).padStart(3, "0")}Z`, exit: 1, msg: `crash ${i}` })}\n`;
    writeFileSync(s.input, text);
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    const messages = calls(s).map((argv) => argv[argv.indexOf("-message") + 1]);
    expect(messages).toHaveLength(5);
    expect(messages.slice(0, 4)).toEqual(["\\Exit code 1: crash 0", "\\Exit code 1: crash 1", "\\Exit code 1: crash 2", "\\Exit code 1: crash 3"]);
    expect(messages[4]).toBe("\\96 failures in a burst; last failure: ladder at 2025-07-29T04:39:59.059Z, Exit code 1: crash 59");
    // Within the same minute nothing more goes out, even for a new failure; it waits its turn.
    appendFileSync(s.input, failure(39, "one more"));
    const again = await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(again.stdout).toContain("1 held back by notify.max_per_minute");
    expect(calls(s)).toHaveLength(5);
  });

  test("a burst summary names the recovery it folds and never calls the success the last failure", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    let text = "";
    for (let i = 0; i < 8; i++) text += failure(30, `crash ${i}`, { job: "backup", ts: `2025-07-29T04:30:0${i}Z` });
    text += `${JSON.stringify({ ts: "2025-07-29T04:31:00Z", exit: 0, msg: "ok", job: "backup" })}\n`;
    writeFileSync(s.input, text);
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    const messages = calls(s).map((argv) => argv[argv.indexOf("-message") + 1]);
    // On main: "4 failures in a burst; last: backup at …04:31:00…, backup succeeded again after 8 failed runs".
    expect(messages.at(-1)).toBe("\\4 failures, 1 recovery in a burst; last failure: backup at 2025-07-29T04:30:07.000Z, Exit code 2: crash 7; up again: backup");
  });
});

describe("robust delivery", () => {
  test("a hanging notifier is killed after notify.timeout and ingestion goes on", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin", FAKE_NOTIFIER_MODE: "hang" });
    s.config("notify:\n  timeout: 1s\n");
    writeFileSync(s.input, failure(31, "x"));
    const started = performance.now();
    // A process of its own: in this one the kill would hold up every other test's in-process command.
    const result = await runCliAwaited(["--parse-existing", "--now", NOW], s.env);
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
    try {
      writeFileSync(s.input, failure(31, "lost?"));
      await waitFor(() => calls(s).length === 1, 10_000, "the notifier to be called");
    } finally {
      hanging.kill("SIGKILL"); // committed, delivery under way, never marked sent
      await hanging.exited;
    }
    expect((await runCliInProcess(["--parse-existing", "--now", NOW], s.env)).stdout).toContain("Alerts: 1 sent");
    expect((await runCliInProcess(["--parse-existing", "--now", NOW], s.env)).stdout).not.toContain("Alerts:");
    expect(calls(s).map((argv) => argv[argv.indexOf("-message") + 1])).toEqual(["\\Exit code 2: lost?", "\\Exit code 2: lost?"]);
  });

  test("a failing notifier is logged with its reason and retried, never given up", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin", FAKE_NOTIFIER_MODE: "fail" });
    writeFileSync(s.input, failure(31, "x"));
    const first = await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(first.stderr).toContain('/bin/terminal-notifier" exited with code 3: fake notifier failure; will retry');
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    // On main the alert was given up after 3 attempts and never sent.
    const working = await runCliInProcess(["--parse-existing", "--now", NOW], { ...s.env, FAKE_NOTIFIER_MODE: "ok" });
    expect(working.stdout).toContain("Alerts: 1 sent");
    expect(calls(s)).toHaveLength(4);
  });
});

describe("backend choice", () => {
  test("macOS without terminal-notifier: osascript, and one brew install in the background", async () => {
    const s = setup(["osascript", "brew"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, failure(31, "x"));
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    appendFileSync(s.input, failure(32, "y"));
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    const programs = calls(s).map((argv) => argv[0]);
    expect(programs.filter((p) => p === "brew")).toHaveLength(1);
    expect(calls(s).find((argv) => argv[0] === "brew")).toEqual(["brew", "install", "terminal-notifier"]);
    expect(programs.filter((p) => p === "osascript")).toHaveLength(2);
  });

  test("auto_install: false never runs brew", async () => {
    const s = setup(["osascript", "brew"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    s.config("notify:\n  auto_install: false\n");
    writeFileSync(s.input, failure(31, "x"));
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s).map((argv) => argv[0])).toEqual(["osascript"]);
  });

  test("Linux: notify-send when present", async () => {
    const s = setup(["notify-send", "terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "linux" });
    writeFileSync(s.input, failure(31, "x"));
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(calls(s)).toEqual([["notify-send", "--app-name=cron-collector", "--urgency=critical", "--", "🚨 Cron Job Failed", "Exit code 2: x"]]);
  });

  test("no notifier at all: the alert is logged", async () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    writeFileSync(s.input, failure(31, "x"));
    const result = await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    expect(result.stderr).toContain("Alert not delivered, it reached the log only (notify-send was not found): 🚨 Cron Job Failed: Exit code 2: x");
    // Counted as not delivered, and stored so: on main it was "sent".
    expect(result.stdout).toContain("Alerts: 0 sent, 1 not delivered");
    expect(alertStatuses(s.db)).toEqual(["logged"]);
  });

  test("backend: command runs the user's program with the alert in argv and environment", async () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    s.config(`notify:\n  backend: command\n  command: ["${FAKE}", "publish", "topic"]\n`);
    writeFileSync(s.input, failure(31, "disk full", { job: "backup" }));
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
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

  test("a recovery notice follows when the failing job succeeds", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    writeFileSync(s.input, failure(31, "x", { job: "backup" }) + `${JSON.stringify({ ts: "2025-07-29T04:32:00Z", exit: 0, msg: "ok", job: "backup" })}\n`);
    await runCliInProcess(["--parse-existing", "--now", NOW], s.env);
    const last = calls(s).at(-1) ?? [];
    expect(last.slice(1, 5)).toEqual(["-title", "\\✅ Cron job recovered: backup", "-message", "\\Succeeded again after 1 failed run"]);
  });
});

describe("--test-notification", () => {
  test("sends one sample through the configured backend and says so", async () => {
    const s = setup(["terminal-notifier"], { CRON_COLLECTOR_PLATFORM: "darwin" });
    const result = await runCliInProcess(["--test-notification"], s.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("via terminal-notifier");
    expect(result.stdout).toContain("System Settings → Notifications");
    expect(calls(s)).toHaveLength(1);
  });

  test("no notifier: exits 1, says nothing was delivered and what to install, without a database", async () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
    // A database that cannot be created: --test-notification must not need it.
    s.config(`database: ${join(s.input, "not-a-dir", "ladder.db")}\n`);
    const result = await runCliInProcess(["--test-notification"], s.env);
    expect(result.exitCode).toBe(1);
    // Said plainly, and not "this log": here it is the terminal, a collector would write to its log.
    expect(result.stderr).toBe(
      [
        "Not delivered via auto: notify-send was not found, so no notifier took it.",
        'No notifier will show alerts: notify-send was not found (backend auto). They are only written to the collector\'s log and counted as not delivered. To be alerted, install notify-send (Debian/Ubuntu: apt install libnotify-bin; needs a desktop session), or set notify.backend to command or webhook (ntfy, Slack, Discord: see README "Alerts"), then check with: bun collector.ts --test-notification',
        "",
      ].join("\n"),
    );
    expect(result.stdout).not.toContain("Delivered");
    expect(existsSync(s.db)).toBe(false);
  });

  test("exits 1 with the reason when delivery fails", async () => {
    const s = setup([], { CRON_COLLECTOR_PLATFORM: "darwin" });
    s.config("notify:\n  backend: terminal-notifier\n  auto_install: false\n");
    const result = await runCliInProcess(["--test-notification"], s.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('"terminal-notifier" was not found on PATH');
  });
});

const notifyConfig = (text: string): NotifyConfig => {
  const parsed = parseConfig(text, "config.yaml", { home: "/home/ada", baseDir: "/etc/cron-collector" });
  if (parsed.problems.length > 0) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config.notify;
};
const configProblems = (text: string): string[] => parseConfig(text, "config.yaml", { home: "/home/ada", baseDir: "/x" }).problems.map((p) => p.message);
/** A `which` that finds only `present`, at /opt/bin/NAME: never the machine's own PATH. */
const whichOf = (...present: string[]) => (program: string): string | null => (present.includes(program) ? `/opt/bin/${program}` : null);
const context = (platform: string, ...present: string[]) => ({ platform, env: {}, which: whichOf(...present) });

describe("backend choice in-process (injected which)", () => {
  test.each([
    ["darwin", ["terminal-notifier", "osascript"], "terminal-notifier (/opt/bin/terminal-notifier)", false],
    ["darwin", ["osascript"], "osascript (/opt/bin/osascript)", false],
    ["darwin", [], "the log only (neither terminal-notifier nor osascript was found)", true],
    ["linux", ["notify-send", "terminal-notifier"], "notify-send (/opt/bin/notify-send)", false],
    ["linux", [], "the log only (notify-send was not found)", true],
  ] as const)("auto on %s with %j: %s", (platform, present, description, logOnly) => {
    const notifier = resolveNotifier(notifyConfig(""), context(platform, ...present));
    expect(notifier.description).toBe(description);
    expect(notifier.logOnly).toBe(logOnly);
  });

  test("the startup warning reads as plain sentences: no nested parentheses, no repeated advice", async () => {
    expect(notifierStartupWarning(notifyConfig(""), context("linux"))).toBe(
      'No notifier will show alerts: notify-send was not found (backend auto). They are only written to this log and counted as not delivered. To be alerted, install notify-send (Debian/Ubuntu: apt install libnotify-bin; needs a desktop session), or set notify.backend to command or webhook (ntfy, Slack, Discord: see README "Alerts"), then check with: bun collector.ts --test-notification',
    );
    expect(notifierStartupWarning(notifyConfig(""), context("darwin"))).toStartWith(
      "No notifier will show alerts: neither terminal-notifier nor osascript was found (backend auto). They are only written to this log",
    );
    // One backend of two missing: the other still shows alerts, so not "no notifier".
    const both = notifyConfig("notify:\n  backends: [notify-send, webhook]\n  webhook_url: https://ntfy.sh/x\n");
    expect(notifierStartupWarning(both, context("linux"))).toStartWith(
      'Not every notifier will show alerts: "notify-send" was not found on PATH (backend notify-send). The other backends still get them.',
    );
  });

  test("no notifier is said out loud at startup, with what to install", async () => {
    expect(notifierStartupWarning(notifyConfig(""), context("linux"))).toContain("apt install libnotify-bin");
    expect(notifierStartupWarning(notifyConfig(""), context("darwin"))).toContain("brew install terminal-notifier");
    expect(notifierStartupWarning(notifyConfig("notify:\n  backend: terminal-notifier\n"), context("darwin", "osascript"))).toStartWith(
      'No notifier will show alerts: "terminal-notifier" was not found on PATH (backend terminal-notifier). They are only written to this log and counted as not delivered.',
    );
    expect(notifierStartupWarning(notifyConfig(""), context("linux", "notify-send"))).toBeNull();
    expect(notifierStartupWarning(notifyConfig("notify:\n  backend: none\n"), context("linux"))).toBeNull();
  });

  test("notify.backends lists several; webhook_url must be an http(s) URL with a host", async () => {
    const notify = notifyConfig("notify:\n  backends: [terminal-notifier, webhook]\n  webhook_url: https://ntfy.sh/x\n  webhook_format: ntfy\n");
    expect(notify.backends).toEqual(["terminal-notifier", "webhook"]);
    expect(resolveNotifiers(notify, context("darwin", "terminal-notifier")).map((target) => target.notifier.description)).toEqual([
      "terminal-notifier (/opt/bin/terminal-notifier)",
      "webhook https://ntfy.sh (ntfy)",
    ]);
    for (const url of ['"http://"', '"https://"', "ftp://example.com/x", "example.com/hook"]) {
      expect(configProblems(`notify:\n  backend: webhook\n  webhook_url: ${url}\n`)).toEqual([
        '"notify.backend" is webhook, so "notify.webhook_url" must be an http(s) URL with a host, e.g. https://ntfy.sh/my-topic',
      ]);
    }
    expect(configProblems("notify:\n  backends: [webhook, webhook]\n  webhook_url: http://h/\n")[0]).toContain('"notify.backends" must be a list of distinct backends');
    expect(configProblems("notify:\n  webhook_format: teams\n")[0]).toContain('"notify.webhook_format" must be one of json, ntfy, slack, discord');
  });
});

describe("webhook formats (a server on 127.0.0.1)", () => {
  interface Received {
    readonly headers: Record<string, string>;
    readonly body: string;
  }
  async function deliver(format: string, alert: AlertText): Promise<Received> {
    const received: Received[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        received.push({ headers: Object.fromEntries(request.headers), body: await request.text() });
        return new Response("ok");
      },
    });
    try {
      const notify = notifyConfig(`notify:\n  backend: webhook\n  webhook_url: http://127.0.0.1:${server.port}/cron-alerts\n  webhook_format: ${format}\n`);
      const result = await resolveNotifier(notify, context("linux")).send(alert);
      expect(result).toEqual({ ok: true });
      expect(received).toHaveLength(1);
      return received[0] as Received;
    } finally {
      server.stop(true);
    }
  }
  const alert: AlertText = {
    kind: "failure",
    title: "🚨 Cron Job Failed",
    subtitle: "backup",
    message: "Exit code 2: disk <full> & @everyone",
    sound: "Basso",
    groupId: "cron-collector.backup",
    job: "backup",
    exitCode: 2,
    eventMs: Date.UTC(2025, 6, 29, 4, 31),
  };

  test("json: our own shape", async () => {
    const { headers, body } = await deliver("json", alert);
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(body)).toMatchObject({ kind: "failure", subtitle: "backup", message: "Exit code 2: disk <full> & @everyone", exit_code: 2 });
  });

  test("ntfy: the message as the body, Title, Priority and Tags headers", async () => {
    const { headers, body } = await deliver("ntfy", alert);
    expect(body).toBe("Exit code 2: disk <full> & @everyone");
    expect(headers).toMatchObject({ title: "Cron Job Failed: backup", priority: "4", tags: "rotating_light" });
    const recovered = await deliver("ntfy", { ...alert, kind: "recovery", title: "✅ Cron Job Recovered", subtitle: "bäckup" });
    // Not Latin-1-safe text goes as an RFC 2047 word, which ntfy decodes.
    expect(recovered.headers).toMatchObject({ title: `=?UTF-8?B?${Buffer.from("Cron Job Recovered: bäckup").toString("base64")}?=`, priority: "3", tags: "white_check_mark" });
  });

  test("slack: {text} with &, <, > escaped", async () => {
    const { body } = await deliver("slack", alert);
    expect(JSON.parse(body)).toEqual({ text: "*🚨 Cron Job Failed: backup*\nExit code 2: disk &lt;full&gt; &amp; @everyone" });
  });

  test("discord: {content} within 2000 characters, pinging no one", async () => {
    const { body } = await deliver("discord", { ...alert, message: "x".repeat(3000) });
    const payload = JSON.parse(body) as { content: string; allowed_mentions: unknown };
    expect(Array.from(payload.content)).toHaveLength(2000);
    expect(payload.content).toStartWith("**🚨 Cron Job Failed: backup**\nxxx");
    expect(payload.allowed_mentions).toEqual({ parse: [] });
  });
});

describe("two backends, one down (the real CLI)", () => {
  test("the command backend gets the alert while the webhook is down; the retry reaches only the webhook", async () => {
    let up = false;
    const bodies: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        if (!up) return new Response("down", { status: 503 });
        bodies.push(await request.text());
        return new Response("ok");
      },
    });
    try {
      const s = setup([], { CRON_COLLECTOR_PLATFORM: "linux" });
      s.config(`notify:\n  backends: [command, webhook]\n  command: ["${FAKE}"]\n  webhook_url: http://127.0.0.1:${server.port}/hook\n  webhook_format: slack\n`);
      writeFileSync(s.input, failure(31, "disk full", { job: "backup" }));
      const run = async (): Promise<string> => {
        const child = Bun.spawn(["bun", join(REPO, "collector.ts"), "--parse-existing", "--now", NOW], { env: s.env, stdout: "pipe", stderr: "pipe" });
        const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
        return stdout + stderr;
      };
      const first = await run();
      expect(first).toContain("webhook answered HTTP 503");
      expect(first).toContain("Alerts: 1 sent, 1 not delivered");
      expect(calls(s)).toHaveLength(1);
      up = true;
      expect(await run()).toContain("Alerts: 1 sent, 0 not delivered");
      expect(calls(s)).toHaveLength(1); // the command backend is not sent it again
      expect(bodies.map((body) => JSON.parse(body))).toEqual([{ text: "*🚨 Cron Job Failed: backup*\nExit code 2: disk full" }]);
      expect(alertStatuses(s.db)).toEqual(["sent"]);
    } finally {
      server.stop(true);
    }
  });
});
