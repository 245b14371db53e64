/** `--test-notification`: one sample alert through the configured backend, and what happened. */
import { testAlert } from "../alerts/format.ts";
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import type { Logger } from "../logger.ts";
import { openSession, type SystemContext } from "../session.ts";

const MAC_HINT = [
  "If no banner appeared: open System Settings → Notifications, find terminal-notifier (or Script",
  "Editor for osascript), allow notifications with the Banners or Alerts style, and check that no",
  "Focus mode is on. The first notification may ask for permission.",
].join("\n");

export async function testNotificationCommand(config: Config, log: Logger, clock: () => Date, system: SystemContext, output: Output): Promise<number> {
  // The same notifier (and terminal-notifier auto-install) the collector uses for real alerts.
  const session = openSession(config, log, clock, system);
  try {
    const notifier = session.notifier();
    output.out(`Sending a test notification via ${notifier.description} …`);
    const result = await notifier.send(testAlert(clock().getTime(), config.notify.sound));
    if (!result.ok) {
      output.err(`The test notification was not delivered: ${result.error}`);
      return 1;
    }
    output.out("Delivered to the notifier without error.");
    if (system.platform === "darwin") output.out(MAC_HINT);
    return 0;
  } finally {
    session.close();
  }
}
