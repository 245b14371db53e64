/** `/alerts`: the outbox newest first with delivery status, and the rejected input lines. */
import { html } from "../html.ts";
import { withQuery } from "../links.ts";
import { htmlResponse, queryInt, type RouteRequest } from "../request.ts";
import { exactTime } from "../views/format.ts";
import { alertTable, idCursor } from "../views/run-log.ts";
import { layout } from "./layout.ts";

const PAGE = 50;

export function alertsPage(request: RouteRequest): Response {
  const { context, url } = request;
  const job = url.searchParams.get("job") ?? undefined;
  const limit = queryInt(url, "limit", PAGE, 500);
  const alerts = context.data.history.alerts(idCursor(url.searchParams.get("before")), limit, job);
  const rejects = context.data.history.rejects(idCursor(url.searchParams.get("rejects_before")), limit);
  const lastAlert = alerts.at(-1);
  const lastReject = rejects.at(-1);
  const body = html`<section class="head"><h1>Alerts${job !== undefined && html` of ${job}`}</h1>
<p class="muted">Every alert the collector decided on, newest first, with what became of its delivery.</p></section>
<div id="alert-list" data-live>${alertTable(alerts, context.data.history.deliveries(alerts.map((alert) => alert.id)), job === undefined)}
<p class="pager">${lastAlert !== undefined && alerts.length === limit && html`<a rel="next" href="${withQuery("/alerts", { job, before: lastAlert.id })}">Older alerts →</a>`}</p></div>
<h2 id="rejects">Rejected input lines</h2>
<div id="reject-list" data-live>${
  rejects.length === 0
    ? html`<p class="muted">None: every line of the input was a run.</p>`
    : html`<div class="table-wrap"><table class="rejects"><thead><tr><th>Seen</th><th>Where</th><th>Reason</th><th>Line</th></tr></thead>
<tbody>${rejects.map(
        (reject) => html`<tr><td class="nowrap">${exactTime(reject.rejectedAt)}</td><td class="sub">${reject.source}<br>byte ${reject.offset}</td><td>${reject.reason}</td><td><code class="raw">${reject.raw}</code></td></tr>`,
      )}</tbody></table></div>
<p class="pager">${lastReject !== undefined && rejects.length === limit && html`<a href="${withQuery("/alerts", { rejects_before: lastReject.id })}#rejects">Older rejects →</a>`}</p>`
}</div>`;
  return htmlResponse(layout({ title: "Alerts", alarm: false, csrfToken: context.csrfToken, active: "alerts", body }));
}
