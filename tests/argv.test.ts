import { describe, expect, test } from "bun:test";
import { failureAlert } from "../src/alerts/format.ts";
import { defaultSounds } from "../src/config/config.ts";
import { commandArgv, commandEnvironment, notifySendArgv, OSASCRIPT_SOURCE, osascriptArgv, terminalNotifierArgv } from "../src/notify/argv.ts";

const notify = { sound: "Basso", sounds: defaultSounds };
const alertFor = (msg: string, job: string | null = "backup") =>
  failureAlert({ ts: "2025-07-29T04:31:00Z", epochMs: Date.UTC(2025, 6, 29, 4, 31), exit: 2, msg, job }, job ?? "ladder", notify);

describe("terminal-notifier argv", () => {
  test("is exact, with every text value escaped by one leading backslash", () => {
    expect(terminalNotifierArgv("/opt/bin/terminal-notifier", alertFor("Authentication failed - invalid credentials"))).toEqual([
      "/opt/bin/terminal-notifier",
      "-title",
      "\\🚨 Cron Job Failed",
      "-subtitle",
      "\\backup",
      "-message",
      "\\Exit code 2: Authentication failed - invalid credentials",
      "-sound",
      "Basso",
      "-group",
      "cron-collector.backup",
    ]);
  });

  test.each([["-remove ALL"], ["$(touch x)"], ["`rm -rf ~`"], ['"quoted"'], ["[bracket]"], ["(paren)"], ["{brace}"], ["<tag>"], ["\\backslash"]])(
    "passes the job name %j literally",
    (hostile) => {
      const argv = terminalNotifierArgv("terminal-notifier", alertFor("m", hostile));
      expect(argv[argv.indexOf("-subtitle") + 1]).toBe(`\\${hostile}`);
    },
  );

  test("a message with newlines becomes one line", () => {
    const argv = terminalNotifierArgv("terminal-notifier", alertFor("line one\nline two"));
    expect(argv[argv.indexOf("-message") + 1]).toBe("\\Exit code 2: line one line two");
  });
});

describe("other backends", () => {
  test("osascript gets the texts as run arguments, never inside the script", () => {
    const alert = alertFor('"; do shell script "touch /tmp/pwned"; "');
    const argv = osascriptArgv(alert);
    expect(argv.slice(0, 1 + OSASCRIPT_SOURCE.length * 2)).toEqual(["osascript", ...OSASCRIPT_SOURCE.flatMap((line) => ["-e", line])]);
    expect(argv.slice(-4)).toEqual([alert.message, alert.title, "backup", "Basso"]);
    expect(OSASCRIPT_SOURCE.join("\n")).not.toContain("touch");
  });

  test("notify-send ends its options before the texts", () => {
    expect(notifySendArgv(alertFor("-x"))).toEqual([
      "notify-send",
      "--app-name=cron-collector",
      "--urgency=critical",
      "--",
      "🚨 Cron Job Failed: backup",
      "Exit code 2: -x",
    ]);
  });

  test("a command gets the title and message as its last arguments and everything in its environment", () => {
    const alert = alertFor("disk full");
    expect(commandArgv(["ntfy", "publish", "topic"], alert)).toEqual(["ntfy", "publish", "topic", "🚨 Cron Job Failed", "Exit code 2: disk full"]);
    expect(commandEnvironment(alert)).toMatchObject({
      CRON_ALERT_KIND: "failure",
      CRON_ALERT_JOB: "backup",
      CRON_ALERT_EXIT_CODE: "2",
      CRON_ALERT_MESSAGE: "Exit code 2: disk full",
      CRON_ALERT_TS: "2025-07-29T04:31:00.000Z",
    });
  });
});
