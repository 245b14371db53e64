/**
 * The exact command lines of the notifier programs. Pure: an alert in, an argv array out. No shell
 * is ever involved, so quotes, `$(…)` and backticks in a message are just characters.
 */
import type { AlertText } from "../alerts/format.ts";

/**
 * terminal-notifier reads its values through NSUserDefaults, which takes a value starting with
 * `-`, `[`, `(`, `{`, `<` or `"` as option or property-list syntax and drops it
 * (julienXX/terminal-notifier #11, #34, #134). It strips one leading backslash from every value, so
 * a backslash in front makes any text literal, including text that itself starts with a backslash.
 */
export function terminalNotifierText(value: string): string {
  return `\\${value}`;
}

export function terminalNotifierArgv(binary: string, alert: AlertText): string[] {
  const argv = [binary, "-title", terminalNotifierText(alert.title)];
  if (alert.subtitle) argv.push("-subtitle", terminalNotifierText(alert.subtitle));
  argv.push("-message", terminalNotifierText(alert.message));
  if (alert.sound) argv.push("-sound", alert.sound);
  argv.push("-group", alert.groupId);
  return argv;
}

/**
 * `display notification` with every value passed as an `on run argv` argument, never spliced into
 * the script's source.
 */
export const OSASCRIPT_SOURCE = [
  "on run argv",
  "set theMessage to item 1 of argv",
  "set theTitle to item 2 of argv",
  "set theSubtitle to item 3 of argv",
  "set theSound to item 4 of argv",
  'if theSound is "" then',
  'display notification theMessage with title theTitle subtitle theSubtitle',
  "else",
  'display notification theMessage with title theTitle subtitle theSubtitle sound name theSound',
  "end if",
  "end run",
];

export function osascriptArgv(alert: AlertText): string[] {
  const script = OSASCRIPT_SOURCE.flatMap((line) => ["-e", line]);
  return ["osascript", ...script, alert.message, alert.title, alert.subtitle ?? "", alert.sound ?? ""];
}

/** notify-send: `--` ends its options, so a message starting with `-` is not read as one. */
export function notifySendArgv(alert: AlertText): string[] {
  const urgency = alert.kind === "recovery" ? "normal" : "critical";
  const title = alert.subtitle ? `${alert.title}: ${alert.subtitle}` : alert.title;
  return ["notify-send", "--app-name=cron-collector", `--urgency=${urgency}`, "--", title, alert.message];
}

/** The user's command, with the title and message appended as its last two arguments. */
export function commandArgv(command: readonly string[], alert: AlertText): string[] {
  return [...command, alert.title, alert.message];
}

/** The alert as data: the environment of a `command` notifier and the body of a webhook. */
export function alertPayload(alert: AlertText): Record<string, string | number | null> {
  return {
    kind: alert.kind,
    title: alert.title,
    subtitle: alert.subtitle,
    message: alert.message,
    job: alert.job,
    exit_code: alert.exitCode,
    ts: new Date(alert.eventMs).toISOString(),
  };
}

export function commandEnvironment(alert: AlertText): Record<string, string> {
  const payload = alertPayload(alert);
  return {
    CRON_ALERT_KIND: alert.kind,
    CRON_ALERT_TITLE: alert.title,
    CRON_ALERT_SUBTITLE: alert.subtitle ?? "",
    CRON_ALERT_MESSAGE: alert.message,
    CRON_ALERT_JOB: alert.job,
    CRON_ALERT_EXIT_CODE: alert.exitCode === null ? "" : String(alert.exitCode),
    CRON_ALERT_TS: String(payload.ts),
    CRON_ALERT_JSON: JSON.stringify(payload),
  };
}
