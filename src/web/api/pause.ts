/**
 * POST /api/jobs/NAME/pause (`{"for":"2h"}`, or `{}` until resumed) and /resume: the same as
 * `bun collector.ts pause|resume NAME`, through the same JobStateStore.setPause, and refused the
 * same way: a NAME neither configured nor ever seen is a 404 with the CLI's did-you-mean, so a
 * typo never becomes a job.
 */
import { jobKey } from "../../config/jobs.ts";
import { parseDuration } from "../../duration.ts";
import { OPEN_ENDED_PAUSE_MS } from "../../job-status.ts";
import { jsonResponse, type RouteRequest } from "../request.ts";

const MAX_BODY_BYTES = 4096;
const MAX_PAUSE_MS = 366 * 86_400_000;

/** The pause length in a request body: a duration ("2h", or seconds), null for open-ended. Pure. */
export function pauseLength(body: unknown): { ok: true; forMs: number | null } | { ok: false; problem: string } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { ok: false, problem: 'the body must be a JSON object such as {"for":"2h"} or {}' };
  const value = (body as Record<string, unknown>).for;
  if (value === undefined || value === null) return { ok: true, forMs: null };
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0 || ms > MAX_PAUSE_MS) return { ok: false, problem: '"for" must be a duration such as 30m, 2h or 1d (at most 366d)' };
  return { ok: true, forMs: ms };
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) return undefined;
  try {
    return text.trim() === "" ? {} : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function setPause({ context, job }: RouteRequest, untilMs: number | null): Response {
  const name = job ?? "";
  const unknown = context.data.unknownJob(name);
  if (unknown !== null) return jsonResponse({ error: unknown }, 404);
  const now = context.clock();
  context.data.setPause(jobKey(name, context.config.defaultJob), untilMs, now);
  // Our own commit does not move our own data_version: tell the live pages ourselves.
  context.events.broadcast("pause");
  const open = untilMs === OPEN_ENDED_PAUSE_MS;
  return jsonResponse({ job: name, paused: untilMs !== null, paused_until: untilMs === null || open ? null : new Date(untilMs).toISOString() });
}

export async function pauseApi(request: RouteRequest): Promise<Response> {
  const body = await readJson(request.request);
  const length = pauseLength(body);
  if (!length.ok) return jsonResponse({ error: length.problem }, 400);
  return setPause(request, length.forMs === null ? OPEN_ENDED_PAUSE_MS : request.context.clock().getTime() + length.forMs);
}

export function resumeApi(request: RouteRequest): Response {
  return setPause(request, null);
}
