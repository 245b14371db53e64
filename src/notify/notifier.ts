/**
 * Choosing and calling the notification backends. `auto` picks, in order: on macOS
 * terminal-notifier if found, else osascript; elsewhere notify-send if found; else the log only.
 */
import type { AlertText } from "../alerts/format.ts";
import type { NotifyBackendName, NotifyConfig } from "../config/config.ts";
import type { WebhookFormat } from "../config/notify.ts";
import { commandArgv, commandEnvironment, notifySendArgv, osascriptArgv, terminalNotifierArgv } from "./argv.ts";
import { perform, type DeliveryAction } from "./action.ts";
import type { DeliveryResult } from "./spawn.ts";
import { webhookRequest } from "./webhook.ts";

export interface Notifier {
  /** For logs and --test-notification: which backend, and which program. */
  readonly description: string;
  /** True when no real notifier is behind it: an alert it "sends" only reaches the log. */
  readonly logOnly: boolean;
  /** Why no alert gets through it, as a clause ("notify-send was not found"); set when logOnly or not available. */
  readonly reason?: string;
  /** False when the configured program was not found: every delivery fails until it is. */
  readonly available: boolean;
  send(alert: AlertText): Promise<DeliveryResult>;
  /** What send() does, as data the delivery thread can perform; absent for log-only and missing ones. */
  readonly actionFor?: (alert: AlertText) => DeliveryAction;
}

function actionNotifier(description: string, actionFor: (alert: AlertText) => DeliveryAction): Notifier {
  return { description, logOnly: false, available: true, actionFor, send: (alert) => perform(actionFor(alert)) };
}

/** One entry of notify.backends with the notifier it resolved to. */
export interface NamedNotifier {
  readonly backend: NotifyBackendName;
  readonly notifier: Notifier;
}

export interface NotifierContext {
  readonly platform: string;
  readonly env: Record<string, string | undefined>;
  /** Looks a program up on PATH (a path is checked as is); null when absent. */
  readonly which: (program: string) => string | null;
  /** Starts `brew install terminal-notifier` at most once; see auto-install.ts. */
  readonly requestInstall?: () => void;
}

function programNotifier(description: string, argvFor: (alert: AlertText) => string[], context: NotifierContext, timeoutMs: number, extraEnv?: (alert: AlertText) => Record<string, string>): Notifier {
  return actionNotifier(description, (alert) => ({ kind: "spawn", argv: argvFor(alert), env: { ...context.env, ...extraEnv?.(alert) }, timeoutMs }));
}

/** No notifier: the alert only reaches the dispatcher's WARN line, and counts as not delivered. */
function logOnly(reason: string): Notifier {
  return {
    description: `the log only (${reason})`,
    logOnly: true,
    reason,
    available: true,
    send: async () => ({ ok: true }),
  };
}

function missing(program: string, hint: string): Notifier {
  return {
    description: `${program} (not found)`,
    logOnly: false,
    reason: `"${program}" was not found on PATH`,
    available: false,
    send: async () => ({ ok: false, error: `"${program}" was not found on PATH; ${hint}` }),
  };
}

function webhook(url: string, format: WebhookFormat, timeoutMs: number): Notifier {
  const description = `webhook ${URL.canParse(url) ? new URL(url).origin : url} (${format})`;
  return actionNotifier(description, (alert) => ({ kind: "post", url, ...webhookRequest(format, alert), timeoutMs }));
}

/** The notifier of one backend (`notify.backends` entry). */
export function resolveNotifier(notify: NotifyConfig, context: NotifierContext, backend: NotifyBackendName = notify.backend): Notifier {
  const { timeoutMs } = notify;
  const terminalNotifier = (path: string): Notifier =>
    programNotifier(`terminal-notifier (${path})`, (alert) => terminalNotifierArgv(path, alert), context, timeoutMs);
  const osascript = (path: string): Notifier => programNotifier(`osascript (${path})`, osascriptArgv, context, timeoutMs);
  const notifySend = (path: string): Notifier => programNotifier(`notify-send (${path})`, notifySendArgv, context, timeoutMs);

  switch (backend) {
    case "none":
      return logOnly("notify.backend is none");
    case "terminal-notifier": {
      const path = context.which(notify.terminalNotifier);
      if (path) return terminalNotifier(path);
      context.requestInstall?.();
      return missing(notify.terminalNotifier, "install it (brew install terminal-notifier) or set notify.terminal_notifier");
    }
    case "osascript": {
      const path = context.which("osascript");
      return path ? osascript(path) : missing("osascript", "it exists only on macOS");
    }
    case "notify-send": {
      const path = context.which("notify-send");
      return path ? notifySend(path) : missing("notify-send", "install libnotify-bin");
    }
    case "command": {
      const command = notify.command ?? [];
      return programNotifier(`command ${command[0] ?? ""}`, (alert) => commandArgv(command, alert), context, timeoutMs, commandEnvironment);
    }
    case "webhook":
      return webhook(notify.webhookUrl ?? "", notify.webhookFormat, timeoutMs);
    case "auto": {
      if (context.platform === "darwin") {
        const path = context.which(notify.terminalNotifier);
        if (path) return terminalNotifier(path);
        context.requestInstall?.();
        const script = context.which("osascript");
        if (script) return osascript(script);
        return logOnly("neither terminal-notifier nor osascript was found");
      }
      const path = context.which("notify-send");
      if (path) return notifySend(path);
      return logOnly("notify-send was not found");
    }
    default:
      return backend satisfies never;
  }
}

/** Every configured backend's notifier, in the order of notify.backends. */
export function resolveNotifiers(notify: NotifyConfig, context: NotifierContext): NamedNotifier[] {
  return notify.backends.map((backend) => ({ backend, notifier: resolveNotifier(notify, context, backend) }));
}

/**
 * The WARN a collector logs at start when an alert would reach no one: no notifier found, or a
 * named program missing. Null when every backend has a real notifier (or notify.backend is none:
 * the user chose that). Resolving here never starts an install. `log` names where such alerts
 * go: "this log" in the collector's own log; test-notification, which prints to the terminal,
 * names the collector's log instead.
 */
export function notifierStartupWarning(notify: NotifyConfig, context: Omit<NotifierContext, "requestInstall">, log = "this log"): string | null {
  const chosen = resolveNotifiers(notify, context).filter(({ backend }) => backend !== "none");
  const problems = chosen.flatMap(({ backend, notifier }) => {
    if (!notifier.logOnly && notifier.available) return [];
    return [`${notifier.reason ?? notifier.description} (backend ${backend})`];
  });
  if (problems.length === 0) return null;
  const install =
    context.platform === "darwin"
      ? "install terminal-notifier (brew install terminal-notifier)"
      : "install notify-send (Debian/Ubuntu: apt install libnotify-bin; needs a desktop session)";
  const headline =
    problems.length === chosen.length
      ? `No notifier will show alerts: ${problems.join("; ")}. They are only written to ${log} and counted as not delivered.`
      : `Not every notifier will show alerts: ${problems.join("; ")}. The other backends still get them.`;
  return [
    headline,
    `To be alerted, ${install}, or set notify.backend to command or webhook (ntfy, Slack, Discord: see README "Alerts"),`,
    "then check with: bun collector.ts --test-notification",
  ].join(" ");
}
