/** `/`: every job at a glance, most severe first; `?state=` and `?q=` filter (also without script). */
import { jobSettings } from "../../config/jobs.ts";
import type { JobStats, Stats } from "../../stats.ts";
import type { HistoryRun } from "../../store/run-history.ts";
import { html, type Html } from "../html.ts";
import { jobPageUrl } from "../links.ts";
import { documentText, renderedResponse, type RouteRequest } from "../request.ts";
import { durationText, exactTime, percent, relativeTime } from "../views/format.ts";
import { badge, bySeverity, FILTER_STATES, needsAttention, stateClass, stateLabel } from "../views/state.ts";
import { runStrip, STRIP_RUNS, stripItems } from "../views/strip.ts";
import { layout } from "./layout.ts";

export function headline(jobs: ReadonlyArray<{ readonly state: string }>): string {
  const attention = jobs.filter((job) => needsAttention(job.state)).length;
  if (jobs.length === 0) return "No jobs yet";
  if (attention === 0) return `All ${jobs.length} ${jobs.length === 1 ? "job" : "jobs"} OK`;
  return `${attention} of ${jobs.length} ${jobs.length === 1 ? "job needs" : "jobs need"} attention`;
}

function matches(job: JobStats, state: string, query: string): boolean {
  const stateOk = state === "" || (state === "attention" ? needsAttention(job.state) : stateClass(job.state) === state);
  return stateOk && job.name.toLowerCase().includes(query.toLowerCase());
}

function time(iso: string | null, nowMs: number): Html {
  return iso === null ? html`<span class="muted">never</span>` : html`<time datetime="${iso}" title="${exactTime(iso)}">${relativeTime(iso, nowMs)}</time>`;
}

/** A late job's next_expected is the run it missed: "overdue since …", never "in 6 s". */
function nextExpectedCell(job: JobStats, nowMs: number): Html {
  if (job.next_expected === null) return html`<span class="muted">–</span>`;
  if (job.state !== "late") return time(job.next_expected, nowMs);
  return html`<span class="overdue">overdue since ${time(job.next_expected, nowMs)}</span>`;
}

function row(job: JobStats, runs: readonly HistoryRun[], request: RouteRequest, nowMs: number): Html {
  const { config } = request.context;
  const newest = runs[0];
  const settings = jobSettings(config.jobs, job.name, config.notify.alertAfter);
  const exit = newest && newest.epochMs === Date.parse(job.last_run ?? "") ? newest.exit : null;
  return html`<tr class="job s-${stateClass(job.state)}" data-state="${stateClass(job.state)}" data-name="${job.name}">
<td>${badge(job.state)}</td>
<td class="name"><a href="${jobPageUrl(job.name)}">${job.name}</a><div class="sub">${job.schedule ?? "no schedule"}</div></td>
<td class="when">${time(job.last_run, nowMs)}${exit !== null && html`<div class="exit ${exit === 0 ? "ok" : "fail"}">exit ${exit}</div>`}</td>
<td class="when">${time(job.last_success, nowMs)}</td>
<td class="when">${nextExpectedCell(job, nowMs)}</td>
<td class="num">${percent(job.last_24h.success_rate)} <span class="sub">/ ${percent(job.last_7d.success_rate)}</span></td>
<td class="num">${durationText(job.p50_duration_ms)} <span class="sub">/ ${durationText(job.p95_duration_ms)}</span></td>
<td class="strip-cell">${runStrip(stripItems(runs, settings, nowMs))}</td>
</tr>`;
}

function filterForm(state: string, query: string): Html {
  const option = (value: string, label: string): Html => html`<option value="${value}"${value === state ? html` selected` : ""}>${label}</option>`;
  return html`<form class="filters" method="get" action="/" id="filters">
<label>State <select name="state" id="filter-state">${option("", "all")}${option("attention", "needs attention")}${FILTER_STATES.map((name) => option(name, stateLabel(name)))}</select></label>
<label>Name <input type="search" name="q" id="filter-name" value="${query}" placeholder="filter by name" autocomplete="off"></label>
<button type="submit" class="plain">Filter</button>
</form>`;
}

export function overviewBody(stats: Stats, strips: ReadonlyMap<string, readonly HistoryRun[]>, request: RouteRequest): Html {
  const nowMs = Date.parse(stats.now);
  const state = request.url.searchParams.get("state") ?? "";
  const query = request.url.searchParams.get("q") ?? "";
  const jobs = bySeverity(stats.jobs);
  const shown = jobs.filter((job) => matches(job, state, query));
  const attention = jobs.some((job) => needsAttention(job.state));
  const counts = FILTER_STATES.map((name) => [name, jobs.filter((job) => stateClass(job.state) === name).length] as const).filter(([, n]) => n > 0);
  return html`<section class="head ${attention ? "alarm" : "calm"}" id="summary" data-live>
<h1 id="headline">${headline(jobs)}</h1>
<p class="counts">${counts.map(([name, n]) => html`<span class="count s-${name}">${n} ${stateLabel(name)}</span>`)}
<span class="muted">${stats.last_24h.total} runs in 24 h, ${stats.last_24h.failed} failed${stats.rejected_lines > 0 ? html` · <a href="/alerts#rejects">${stats.rejected_lines} rejected lines</a>` : ""}</span></p>
</section>
${filterForm(state, query)}
<div id="job-list" data-live>${
  jobs.length === 0
    ? html`<p class="empty">No run has been recorded yet. Wrap a cron job with <code>bun collector.ts run --job NAME -- COMMAND</code>, or list it under <code>jobs:</code> in config.yaml.</p>`
    : html`<div class="table-wrap"><table class="jobs" id="jobs">
<thead><tr><th>State</th><th>Job</th><th>Last run</th><th>Last success</th><th>Next expected</th><th class="num">Success 24 h / 7 d</th><th class="num">p50 / p95</th><th>Last ${STRIP_RUNS} runs</th></tr></thead>
<tbody>${shown.map((job) => row(job, strips.get(job.name) ?? [], request, nowMs))}</tbody>
</table></div>
<p class="muted shown" id="shown">${shown.length === jobs.length ? "" : `${shown.length} of ${jobs.length} jobs shown`}</p>`
}</div>`;
}

export function overviewPage(request: RouteRequest): Response {
  const { context, url } = request;
  const stats = context.data.stats(context.clock());
  // Only the filters change what is drawn from one document (the live refresh asks without them).
  const key = `overview\n${url.searchParams.get("state") ?? ""}\n${url.searchParams.get("q") ?? ""}`;
  return renderedResponse(request.request, context.rendered.body(key, stats, () => overviewDocument(stats, request)), "html");
}

function overviewDocument(stats: Stats, request: RouteRequest): string {
  const { context } = request;
  const refs = stats.jobs.map((job) => ({ name: job.name, isDefault: job.name === context.config.defaultJob }));
  const strips = context.data.history.newestRuns(refs, Date.parse(stats.now), STRIP_RUNS);
  const alarm = stats.jobs.some((job) => needsAttention(job.state));
  return documentText(layout({ title: headline(stats.jobs), now: stats.now, alarm, csrfToken: context.csrfToken, active: "overview", body: overviewBody(stats, strips, request) }));
}
