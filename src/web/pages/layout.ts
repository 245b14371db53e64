/** The page shell: head (CSP-friendly: no inline script or style), navigation, live indicator. */
import { html, type Html } from "../html.ts";

export interface PageOptions {
  readonly title: string;
  /** Something is failing or late: the title and favicon turn red. */
  readonly alarm: boolean;
  readonly csrfToken: string;
  readonly active: "overview" | "alerts" | "job";
  readonly body: Html;
  /** The instant the page shows (the stats' `now`), so the script ages "3 min ago" from it. */
  readonly now?: string;
}

export function layout({ title, alarm, csrfToken, active, body, now }: PageOptions): Html {
  const nav = (href: string, label: string, key: PageOptions["active"]): Html =>
    html`<a href="${href}"${active === key ? html` aria-current="page"` : ""}>${label}</a>`;
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="csrf-token" content="${csrfToken}">
${now !== undefined && html`<meta name="server-now" content="${now}">`}
<title>${alarm ? "🔴 " : ""}${title} · cron-collector</title>
<link rel="icon" href="/static/${alarm ? "favicon-alarm.svg" : "favicon.svg"}" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">cron-collector</a><nav>${nav("/", "Jobs", "overview")}${nav("/alerts", "Alerts", "alerts")}</nav><span id="live" class="live" title="Live updates">static</span></header>
<main id="main">
${body}
</main>
</body>
</html>`;
}
