/**
 * The Python collector installed terminal-notifier through Homebrew when it was missing. Kept,
 * but tried at most once per database (remembered in the meta table), in the background, with a
 * timeout, and only on macOS with brew present; alerts use osascript meanwhile.
 */
import type { NotifyConfig } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import type { AlertStore } from "../store/alerts.ts";
import { runWithTimeout } from "./spawn.ts";

const ATTEMPTED = "notify.auto_install_attempted_at";
const INSTALL_TIMEOUT_MS = 600_000;

export interface AutoInstallContext {
  readonly platform: string;
  readonly env: Record<string, string | undefined>;
  readonly which: (program: string) => string | null;
  readonly log: Logger;
  readonly store: AlertStore;
  readonly clock: () => Date;
}

/** Returns the function the notifier calls when terminal-notifier is missing. */
export function autoInstaller(notify: NotifyConfig, context: AutoInstallContext): () => void {
  return () => {
    if (context.platform !== "darwin" || !notify.autoInstall) return;
    if (context.store.meta(ATTEMPTED) !== null) return;
    const brew = context.which("brew");
    if (!brew) return;
    context.store.setMeta(ATTEMPTED, context.clock().toISOString());
    context.log.info("terminal-notifier is missing; running `brew install terminal-notifier` in the background (notify.auto_install)");
    void runWithTimeout([brew, "install", "terminal-notifier"], INSTALL_TIMEOUT_MS, context.env).then((result) => {
      if (result.ok) context.log.info("terminal-notifier was installed; alerts use it from now on");
      else context.log.warn(`Installing terminal-notifier failed (${result.error}); alerts fall back to osascript. Not retried: run it by hand.`);
    });
  };
}
