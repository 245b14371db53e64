/**
 * Choosing and calling the notification backend. `auto` picks, in order: on macOS
 * terminal-notifier if found, else osascript; elsewhere notify-send if found; else the log only.
 */
import type { AlertText } from "../alerts/format.ts";
import type { NotifyConfig } from "../config/config.ts";
import { alertPayload, commandArgv, commandEnvironment, notifySendArgv, osascriptArgv, terminalNotifierArgv } from "./argv.ts";
import { runWithTimeout, type DeliveryResult } from "./spawn.ts";

export interface Notifier {
  /** For logs and --test-notification: which backend, and which program. */
  readonly description: string;
  send(alert: AlertText): Promise<DeliveryResult>;
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
  return {
    description,
    send: (alert) => runWithTimeout(argvFor(alert), timeoutMs, { ...context.env, ...extraEnv?.(alert) }),
  };
}

/** No notifier: the dispatcher's "Alert sent via the log only (…)" line is the alert. */
function logOnly(reason: string): Notifier {
  return {
    description: `the log only (${reason})`,
    send: async () => ({ ok: true }),
  };
}

function missing(program: string, hint: string): Notifier {
  return {
    description: `${program} (not found)`,
    send: async () => ({ ok: false, error: `"${program}" was not found on PATH; ${hint}` }),
  };
}

function webhook(url: string, timeoutMs: number): Notifier {
  return {
    description: `webhook ${new URL(url).origin}`,
    send: async (alert) => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(alertPayload(alert)),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return response.ok ? { ok: true } : { ok: false, error: `webhook answered HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, error: `webhook failed: ${(error as Error).message}` };
      }
    },
  };
}

export function resolveNotifier(notify: NotifyConfig, context: NotifierContext): Notifier {
  const { timeoutMs } = notify;
  const terminalNotifier = (path: string): Notifier =>
    programNotifier(`terminal-notifier (${path})`, (alert) => terminalNotifierArgv(path, alert), context, timeoutMs);
  const osascript = (path: string): Notifier => programNotifier(`osascript (${path})`, osascriptArgv, context, timeoutMs);
  const notifySend = (path: string): Notifier => programNotifier(`notify-send (${path})`, notifySendArgv, context, timeoutMs);

  switch (notify.backend) {
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
      return webhook(notify.webhookUrl ?? "", timeoutMs);
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
      return logOnly("no notifier found; install notify-send or set notify.backend");
    }
    default:
      return notify.backend satisfies never;
  }
}
