/** `/jobs/NAME`: one job's state and why, durations, paged run log, alerts, pause and resume. */
import type { JobStats } from "../../stats.ts";
import type { RunCursor } from "../../store/run-history.ts";
import { html, type Html } from "../html.ts";
import { jobPageUrl, pauseUrl, resumeUrl, withQuery } from "../links.ts";
import { documentText, queryInt, renderedResponse, type RouteRequest } from "../request.ts";
import { durationChart } from "../views/duration-chart.ts";
import { durationText, exactTime, percent, relativeTime } from "../views/format.ts";
import { alertTable, formatCursor, parseCursor, runLog } from "../views/run-log.ts";
import { badge, needsAttention } from "../views/state.ts";
import { layout } from "./layout.ts";
import { notFoundPage } from "./errors.ts";

const PAGE_RUNS = 50;
const CHART_RUNS = 200;

/** The status function's own explanation when it gives one, else a sentence from its fields. */
export function stateReason(job: JobStats, nowMs: number): string {
  if ("reason" in job && typeof job.reason === "string" && job.reason !== "") return job.reason;
  const when = (iso: string | null): string => (iso === null ? "never" : `${relativeTime(iso, nowMs)} (${exactTime(iso)})`);
  switch (job.state) {
    case "failing":
      return `${job.consecutive_failures} failed run(s) in a row; the last at ${exactTime(job.last_failure?.ts ?? null)} with exit ${job.last_failure?.exit ?? "?"}`;
    case "late":
      return `No run since ${exactTime(job.last_run)}; expected ${job.schedule ?? "on schedule"}`;
    case "too_long":
      return "A run has been going on for longer than its max_duration";
    case "running":
      return "A run is in progress";
    case "paused":
      return job.paused_until === null ? "Alerts are paused until resumed" : `Alerts are paused until ${exactTime(job.paused_until)}`;
    case "up":
      return `Last run ${when(job.last_run)} succeeded`;
    // No `satisfies never`: the status function owns the list of states (new ones are shown as is).
    default:
      return job.last_run === null ? "No run has been seen yet" : `Last run ${when(job.last_run)}`;
  }
}

/** A late job's next_expected is the run it missed: "overdue since …", never "in 6 s". */
function nextExpectedFact(job: JobStats, nowMs: number): string {
  if (job.next_expected === null) return "–";
  const when = `${relativeTime(job.next_expected, nowMs)} · ${exactTime(job.next_expected)}`;
  return job.state === "late" ? `overdue since ${when}` : when;
}

function fact(label: string, value: Html | string): Html {
  return html`<div class="fact"><dt>${label}</dt><dd>${value}</dd></div>`;
}

function actions(name: string, paused: boolean): Html {
  return html`<div class="actions" id="actions">
<button type="button" data-action="${pauseUrl(name)}" data-for="1h">Pause 1 h</button>
<button type="button" data-action="${pauseUrl(name)}" data-for="1d">Pause 1 day</button>
<button type="button" data-action="${pauseUrl(name)}">Pause until resumed</button>
<button type="button" data-action="${resumeUrl(name)}" class="${paused ? "primary" : ""}">Resume</button>
<span id="action-result" class="muted" role="status"></span>
<noscript><span class="muted">Pausing needs JavaScript; or run <code>bun collector.ts pause ${name} --for 1h</code>.</span></noscript>
</div>`;
}

export function jobPage(request: RouteRequest): Response {
  const { context, url } = request;
  const name = request.job ?? "";
  const { data } = context;
  const unknown = data.unknownJob(name);
  if (unknown !== null) return notFoundPage(context, unknown);
  const cursor = parseCursor(url.searchParams.get("before"));
  if (cursor === "invalid") return notFoundPage(context, "That page of the run log does not exist.", 400);
  const stats = data.stats(context.clock(), name);
  const job = stats.jobs[0];
  if (!job) return notFoundPage(context, `No job named “${name}”.`);
  // The run log, chart and alerts are read with the document and kept with it (render-cache.ts).
  const body = context.rendered.body(`job\n${name}\n${url.search}`, stats, () => jobDocument(request, name, job, Date.parse(stats.now), cursor));
  return renderedResponse(request.request, body, "html");
}

function jobDocument(request: RouteRequest, name: string, job: JobStats, nowMs: number, cursor: RunCursor | null): string {
  const { context, url } = request;
  const { config, data } = context;
  const ref = { name, isDefault: name === config.defaultJob };
  const limit = queryInt(url, "limit", PAGE_RUNS, 500);
  const page = data.history.runs(ref, cursor, limit);
  const chart = data.history.runs(ref, null, CHART_RUNS);
  const alerts = data.history.alerts(null, 20, name);
  const last = page.at(-1);
  const body = html`<section class="head ${needsAttention(job.state) ? "alarm" : "calm"}" id="job-head" data-live>
<p class="crumbs"><a href="/">All jobs</a></p>
<h1>${badge(job.state)} <span class="job-name">${job.name}</span></h1>
<p class="reason" id="reason">${stateReason(job, nowMs)}</p>
</section>
<dl class="facts" id="facts" data-live>
${fact("Schedule", job.schedule ?? "none (add it under jobs: in config.yaml)")}
${fact("Last run", job.last_run === null ? "never" : `${relativeTime(job.last_run, nowMs)} · ${exactTime(job.last_run)}`)}
${fact("Last success", job.last_success === null ? "never" : `${relativeTime(job.last_success, nowMs)} · ${exactTime(job.last_success)}`)}
${fact("Next expected", nextExpectedFact(job, nowMs))}
${fact("Success 24 h / 7 d", `${percent(job.last_24h.success_rate)} of ${job.last_24h.total} / ${percent(job.last_7d.success_rate)} of ${job.last_7d.total}`)}
${fact("Duration p50 / p95 (7 d)", `${durationText(job.p50_duration_ms)} / ${durationText(job.p95_duration_ms)}`)}
${fact("Failures in a row", String(job.consecutive_failures))}
${job.state === "paused" && fact("Paused until", job.paused_until === null ? "resumed" : exactTime(job.paused_until))}
</dl>
${actions(name, job.state === "paused")}
<h2>Duration</h2>
<div id="chart" data-live>${durationChart(chart)}</div>
<h2>Runs</h2>
<div id="run-log" data-live>${runLog(page)}
<p class="pager">${cursor !== null && html`<a href="${jobPageUrl(name)}">Newest runs</a>`}${
    last !== undefined && page.length === limit && html` <a href="${withQuery(jobPageUrl(name), { before: formatCursor(last) })}" rel="next">Older runs →</a>`
  }</p></div>
<h2>Alerts</h2>
<div id="job-alerts" data-live>${alertTable(alerts, data.history.deliveries(alerts.map((alert) => alert.id)), false)}</div>
<p><a href="${withQuery("/alerts", { job: name })}">All alerts of this job</a></p>`;
  return documentText(layout({ title: job.name, alarm: needsAttention(job.state), csrfToken: context.csrfToken, active: "job", body }));
}
