/**
 * Webhook requests in the shapes that ntfy, Slack and Discord accept, and our own JSON. Pure: an
 * alert in, a request description out; notifier.ts does the POST.
 */
import type { AlertKind, AlertText } from "../alerts/format.ts";
import type { WebhookFormat } from "../config/notify.ts";
import { alertPayload } from "./argv.ts";

export interface WebhookRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Discord rejects a message over 2000 characters. */
export const DISCORD_MAX_CHARS = 2000;

/** ntfy shows a tag that names an emoji as that emoji, in front of the title. */
function ntfyTag(kind: AlertKind): string {
  switch (kind) {
    case "failure":
    case "summary":
      return "rotating_light";
    case "recovery":
      return "white_check_mark";
    case "late":
      return "alarm_clock";
    case "long":
      return "stopwatch";
    case "test":
      return "test_tube";
    case "unreadable":
      return "warning";
    default:
      return kind satisfies never;
  }
}

/** ntfy priorities: 3 is the default; 4 (high) makes a phone buzz longer. */
function ntfyPriority(kind: AlertKind): string {
  return kind === "recovery" || kind === "test" ? "3" : "4";
}

/**
 * HTTP header values must be Latin-1; ntfy decodes RFC 2047 encoded words, so any other text is
 * sent as one `=?UTF-8?B?…?=` word. The leading emoji of our titles is dropped: the tag shows it.
 */
export function headerText(text: string): string {
  const plain = text.replace(/^[^\p{L}\p{N}]+/u, "").trim();
  if (/^[\x20-\x7e]*$/.test(plain)) return plain;
  return `=?UTF-8?B?${Buffer.from(plain, "utf8").toString("base64")}?=`;
}

/** Slack's mrkdwn reads &, < and > as markup; these three are escaped as Slack documents. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function heading(alert: AlertText): string {
  return alert.subtitle ? `${alert.title}: ${alert.subtitle}` : alert.title;
}

export function webhookRequest(format: WebhookFormat, alert: AlertText): WebhookRequest {
  switch (format) {
    case "json":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify(alertPayload(alert)) };
    case "ntfy":
      return {
        headers: { "content-type": "text/plain; charset=utf-8", Title: headerText(heading(alert)), Priority: ntfyPriority(alert.kind), Tags: ntfyTag(alert.kind) },
        body: alert.message,
      };
    case "slack":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ text: `*${slackEscape(heading(alert))}*\n${slackEscape(alert.message)}` }) };
    case "discord": {
      const content = `**${heading(alert)}**\n${alert.message}`;
      const characters = Array.from(content);
      const clipped = characters.length > DISCORD_MAX_CHARS ? `${characters.slice(0, DISCORD_MAX_CHARS - 1).join("")}…` : content;
      // No @everyone, @here or role pings from text that came out of a job's output.
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ content: clipped, allowed_mentions: { parse: [] } }) };
    }
    default:
      return format satisfies never;
  }
}
