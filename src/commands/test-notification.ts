/**
 * `--test-notification`: one sample alert through each configured backend, and what happened.
 * Exits 1 unless a real notifier took it on every backend: an alert that only reached the log is
 * not delivered. Needs no database (it may not exist yet, or be unwritable), so it never starts
 * the terminal-notifier auto-install either: it says what to install instead.
 */
import { testAlert } from "../alerts/format.ts";
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import type { Logger } from "../logger.ts";
import { notifierStartupWarning, resolveNotifiers } from "../notify/notifier.ts";
import type { SystemContext } from "../session.ts";

const MAC_HINT = [
  "If no banner appeared: open System Settings → Notifications, find terminal-notifier (or Script",
  "Editor for osascript), allow notifications with the Banners or Alerts style, and check that no",
  "Focus mode is on. The first notification may ask for permission.",
].join("\n");

export async function testNotificationCommand(config: Config, _log: Logger, clock: () => Date, system: SystemContext, output: Output): Promise<number> {
  const alert = testAlert(clock().getTime(), config.notify.sound);
  let delivered = 0;
  const targets = resolveNotifiers(config.notify, system);
  for (const { backend, notifier } of targets) {
    if (notifier.logOnly) {
      output.err(`Not delivered via ${backend}: ${notifier.reason ?? notifier.description}, so no notifier took it.`);
      continue;
    }
    output.out(`Sending a test notification via ${notifier.description} …`);
    const result = await notifier.send(alert);
    if (!result.ok) output.err(`Not delivered via ${backend}: ${result.error}`);
    else {
      output.out(`Delivered to ${notifier.description} without error.`);
      delivered++;
    }
  }
  if (delivered < targets.length) {
    // Printed here, not logged: a running collector would write those alerts to its own log.
    const warning = notifierStartupWarning(config.notify, system, "the collector's log");
    if (warning) output.err(warning);
    return 1;
  }
  if (system.platform === "darwin" && targets.some(({ backend }) => ["auto", "terminal-notifier", "osascript"].includes(backend))) output.out(MAC_HINT);
  return 0;
}
