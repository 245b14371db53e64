/** A job's run log and alert list as tables; the cursor that pages the run log. */
import { outputTail } from "../../alerts/format.ts";
import type { AlertEntry, DeliveryEntry, HistoryRun, RunCursor } from "../../store/run-history.ts";
import { html, type Html } from "../html.ts";
import { durationText, exactTime } from "./format.ts";

/** `before=<epochMs>.<id>`: the position after the last row of a page. */
export function formatCursor(run: Pick<HistoryRun, "epochMs" | "id">): string {
  return `${run.epochMs}.${run.id}`;
}

export function parseCursor(text: string | null): RunCursor | null | "invalid" {
  if (text === null || text === "") return null;
  const match = /^(-?\d{1,16})\.(\d{1,16})$/.exec(text);
  return match ? { epochMs: Number(match[1]), id: Number(match[2]) } : "invalid";
}

/** An id cursor (`?before=123`, alerts and rejects): the page holds ids below it. */
export function idCursor(text: string | null): number | null {
  const value = Number(text);
  return text !== null && Number.isInteger(value) && value > 0 ? value : null;
}

export function runLog(runs: readonly HistoryRun[]): Html {
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`;
  return html`<div class="table-wrap"><table class="runs" id="runs">
<thead><tr><th>Time</th><th class="num">Exit</th><th class="num">Duration</th><th>Message</th></tr></thead>
<tbody>${runs.map((run) => {
    const tail = outputTail(run.extra);
    return html`<tr class="${run.exit === 0 ? "ok" : "fail"}" data-id="${run.id}">
<td class="nowrap">${exactTime(run.ts)}</td><td class="num"><span class="exit ${run.exit === 0 ? "ok" : "fail"}">${run.exit}</span></td><td class="num">${durationText(run.durationMs)}</td>
<td class="msg">${run.msg || html`<span class="muted">(no message)</span>`}${tail !== null && html`<details data-id="tail-${run.id}"><summary>output</summary><pre>${tail}</pre></details>`}</td>
</tr>`;
  })}</tbody></table></div>`;
}

function delivery(entry: DeliveryEntry): Html {
  return html`<div class="sub">${entry.backend}: <span class="st-${entry.status.replace(/[^a-z]/g, "")}">${entry.status}</span>${entry.attempts > 1 && ` after ${entry.attempts} attempts`}${entry.error !== null && html` <span class="err">${entry.error}</span>`}</div>`;
}

export function alertTable(alerts: readonly AlertEntry[], deliveries: ReadonlyMap<number, readonly DeliveryEntry[]>, showJob: boolean): Html {
  if (alerts.length === 0) return html`<p class="muted">No alerts.</p>`;
  return html`<div class="table-wrap"><table class="alerts">
<thead><tr><th>Event</th>${showJob && html`<th>Job</th>`}<th>Kind</th><th>Alert</th><th>Delivery</th></tr></thead>
<tbody>${alerts.map(
    (alert) => html`<tr class="a-${alert.status}">
<td class="nowrap">${exactTime(alert.eventMs)}</td>${showJob && html`<td>${alert.job}</td>`}<td>${alert.kind}${alert.covers > 1 && html` <span class="muted">×${alert.covers}</span>`}</td>
<td><strong>${alert.title}</strong><div class="sub">${alert.message}</div></td>
<td><span class="status st-${alert.status.replace(/[^a-z]/g, "")}">${alert.status}</span>${alert.sentAt !== null && html`<div class="sub">${exactTime(alert.sentAt)}</div>`}${
      alert.attempts > 0 && alert.status !== "sent" && html`<div class="sub">${alert.attempts} attempt(s)</div>`
    }${alert.error !== null && html`<div class="sub err">${alert.error}</div>`}${(deliveries.get(alert.id) ?? []).map(delivery)}</td>
</tr>`,
  )}</tbody></table></div>`;
}
