/**
 * The notify keys added for several backends and for webhooks that reach a phone (issue 13):
 * `backends`, `webhook_format`, and what makes a `webhook_url` usable. Pure checkers; readNotify
 * in config.ts calls them.
 */
import type { Checker } from "./fields.ts";

export const notifyBackends = ["auto", "terminal-notifier", "osascript", "notify-send", "command", "webhook", "none"] as const;
export type NotifyBackendName = (typeof notifyBackends)[number];

/** json: our own shape; ntfy: the message as body, Title/Priority/Tags headers; slack; discord. */
export const webhookFormats = ["json", "ntfy", "slack", "discord"] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

/** `notify.backends`: a list of distinct backend names, each alert goes to all of them. */
export const backendList: Checker<NotifyBackendName[]> = (value) => {
  const expected = `a list of distinct backends, e.g. [terminal-notifier, webhook], from: ${notifyBackends.join(", ")}`;
  if (!Array.isArray(value) || value.length === 0) return { ok: false, expected };
  const names: NotifyBackendName[] = [];
  for (const item of value) {
    const name = notifyBackends.find((backend) => backend === item);
    if (!name || names.includes(name)) return { ok: false, expected };
    names.push(name);
  }
  return { ok: true, value: names };
};

/** True for an http(s) URL with a host: "http://" or "https:///x" would never be delivered. */
export function isWebhookUrl(url: string | null): boolean {
  if (url === null || !URL.canParse(url)) return false;
  const parsed = new URL(url);
  return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
}
