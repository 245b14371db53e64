/** The JSON read API: everything the pages show. */
import { outputTail } from "../../alerts/format.ts";
import { jsonResponse, queryInt, renderedResponse, type RouteRequest } from "../request.ts";
import { formatCursor, idCursor, parseCursor } from "../views/run-log.ts";

/**
 * GET /api/stats[?job=NAME]: exactly the `--stats --json [--job NAME]` document; a NAME that is
 * no job is a 404 with the CLI's refusal (exit 2 there), not a job in state "new".
 */
export function statsApi({ context, url, request }: RouteRequest): Response {
  const job = url.searchParams.get("job");
  const onlyJob = job === null || job === "" ? undefined : job;
  const unknown = onlyJob === undefined ? null : context.data.unknownJob(onlyJob);
  if (unknown !== null) return jsonResponse({ error: unknown }, 404);
  const stats = context.data.stats(context.clock(), onlyJob);
  return renderedResponse(request, context.rendered.body(`stats\n${onlyJob ?? ""}`, stats, () => JSON.stringify(stats)), "json");
}

/** GET /api/jobs/NAME/runs?before=CURSOR&limit=N: newest first; `next_before` pages on. */
export function runsApi({ context, url, job }: RouteRequest): Response {
  const name = job ?? "";
  const { config, data } = context;
  const unknown = data.unknownJob(name);
  if (unknown !== null) return jsonResponse({ error: unknown }, 404);
  const cursor = parseCursor(url.searchParams.get("before"));
  if (cursor === "invalid") return jsonResponse({ error: '"before" must be a cursor from "next_before"' }, 400);
  const limit = queryInt(url, "limit", 50, 500);
  const runs = data.history.runs({ name, isDefault: name === config.defaultJob }, cursor, limit);
  const last = runs.at(-1);
  return jsonResponse({
    job: name,
    runs: runs.map((run) => ({
      id: run.id,
      ts: run.ts,
      exit: run.exit,
      msg: run.msg,
      duration_ms: run.durationMs,
      output_tail: outputTail(run.extra),
    })),
    next_before: last !== undefined && runs.length === limit ? formatCursor(last) : null,
  });
}

/** GET /api/alerts?before=ID&limit=N&job=NAME: the outbox newest first. */
export function alertsApi({ context, url }: RouteRequest): Response {
  const limit = queryInt(url, "limit", 50, 500);
  const alerts = context.data.history.alerts(idCursor(url.searchParams.get("before")), limit, url.searchParams.get("job") ?? undefined);
  const last = alerts.at(-1);
  const deliveries = context.data.history.deliveries(alerts.map((alert) => alert.id));
  return jsonResponse({
    alerts: alerts.map((alert) => ({
      id: alert.id,
      kind: alert.kind,
      job: alert.job,
      exit: alert.exitCode,
      event: new Date(alert.eventMs).toISOString(),
      title: alert.title,
      message: alert.message,
      status: alert.status,
      created_at: alert.createdAt,
      sent_at: alert.sentAt,
      attempts: alert.attempts,
      error: alert.error,
      covers: alert.covers,
      deliveries: (deliveries.get(alert.id) ?? []).map(({ backend, status, attempts, error }) => ({ backend, status, attempts, error })),
    })),
    next_before: last !== undefined && alerts.length === limit ? last.id : null,
  });
}

/** GET /api/rejects?before=ID&limit=N: rejected input lines newest first (raw cut to 500 chars). */
export function rejectsApi({ context, url }: RouteRequest): Response {
  const limit = queryInt(url, "limit", 50, 500);
  const rejects = context.data.history.rejects(idCursor(url.searchParams.get("before")), limit);
  const last = rejects.at(-1);
  return jsonResponse({
    rejects: rejects.map((reject) => ({ id: reject.id, source: reject.source, offset: reject.offset, reason: reject.reason, raw: reject.raw, rejected_at: reject.rejectedAt })),
    next_before: last !== undefined && rejects.length === limit ? last.id : null,
  });
}

/** GET /api/events: Server-Sent Events, one `change` per ingest, alert or state change. */
export function eventsApi({ context, request, keepOpen }: RouteRequest): Response {
  keepOpen();
  return context.events.subscribe(request.signal);
}
