/** Pages for requests that cannot be answered with what they asked for. */
import { html } from "../html.ts";
import { htmlResponse, type WebContext } from "../request.ts";
import { layout } from "./layout.ts";

export function notFoundPage(context: WebContext, message: string, status = 404): Response {
  const body = html`<section class="head"><h1>${status === 404 ? "Not found" : "Bad request"}</h1><p>${message}</p><p><a href="/">All jobs</a></p></section>`;
  return htmlResponse(layout({ title: "Not found", alarm: false, csrfToken: context.csrfToken, active: "job", body }), status);
}

/** 401: says how to get in, without giving anything away. */
export function unauthorizedPage(tokenPath: string | null, wrongToken: boolean): Response {
  const body = html`<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"><title>Sign in · cron-collector</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main id="main"><section class="head"><h1>This dashboard needs its access token</h1>
${wrongToken && html`<p class="err">The token in that link is not this collector's.</p>`}
<p>Open it from a terminal on this machine, as the user that runs the collector:</p>
<pre>bun collector.ts open          # or: ./manager.sh open
bun collector.ts open --print  # prints the link instead of opening a browser</pre>
<p>The link carries the token once and leaves a cookie behind. Scripts send <code>Authorization: Bearer TOKEN</code>${tokenPath !== null && html`; the token is in <code>${tokenPath}</code>`}.</p>
</section></main></body></html>`;
  return new Response(`<!doctype html>\n${body.text}`, { status: 401, headers: { "Content-Type": "text/html; charset=utf-8", "WWW-Authenticate": 'Bearer realm="cron-collector"' } });
}
