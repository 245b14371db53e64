/**
 * The strip of a job's last runs: one cell per run, oldest left, coloured by exit code, with a
 * hollow cell where the schedule expected a run that never came. Inline SVG (no script, works
 * under the strict CSP); each cell's <title> is its tooltip.
 */
import type { JobConfig } from "../../config/jobs.ts";
import { nextExpected } from "../../schedule.ts";
import type { HistoryRun } from "../../store/run-history.ts";
import { html, type Html } from "../html.ts";
import { exactTime } from "./format.ts";

export const STRIP_RUNS = 50;
const CELL = 4;
const GAP = 2;
const HEIGHT = 18;

export type StripItem = { readonly kind: "run"; readonly run: HistoryRun } | { readonly kind: "missed"; readonly fromMs: number; readonly toMs: number };

/**
 * Runs oldest first with a `missed` item between two runs wherever the schedule expected one in
 * between (plus grace) and none came, and after the newest when one is overdue now. Pure.
 */
export function stripItems(newestFirst: readonly HistoryRun[], settings: JobConfig, nowMs: number): StripItem[] {
  const runs = [...newestFirst].reverse();
  const items: StripItem[] = [];
  const missedAfter = (fromMs: number, untilMs: number): boolean => {
    if (settings.schedule === null) return false;
    const expected = nextExpected(settings.schedule, fromMs);
    return expected !== null && expected + settings.graceMs < untilMs;
  };
  runs.forEach((run, index) => {
    const previous = runs[index - 1];
    if (previous && missedAfter(previous.epochMs, run.epochMs)) items.push({ kind: "missed", fromMs: previous.epochMs, toMs: run.epochMs });
    items.push({ kind: "run", run });
  });
  const newest = runs.at(-1);
  if (newest && missedAfter(newest.epochMs, nowMs)) items.push({ kind: "missed", fromMs: newest.epochMs, toMs: nowMs });
  return items.slice(-STRIP_RUNS);
}

function cell(item: StripItem, x: number): Html {
  if (item.kind === "missed") {
    // A short mark at mid height: a place where a run should be and none is.
    return html`<rect class="cell missed" x="${x}" y="${HEIGHT / 2 - 3}" width="${CELL}" height="6" rx="1"><title>No run between ${exactTime(item.fromMs)} and ${exactTime(item.toMs)}</title></rect>`;
  }
  const { run } = item;
  const message = run.msg.length > 200 ? `${run.msg.slice(0, 199)}…` : run.msg;
  return html`<rect class="cell ${run.exit === 0 ? "ok" : "fail"}" x="${x}" y="0" width="${CELL}" height="${HEIGHT}" rx="1"><title>${exactTime(run.ts)} · exit ${run.exit}${message ? ` · ${message}` : ""}</title></rect>`;
}

export function runStrip(items: readonly StripItem[]): Html {
  const width = STRIP_RUNS * (CELL + GAP);
  // Right-aligned: the newest run always sits at the right edge.
  const offset = (STRIP_RUNS - items.length) * (CELL + GAP);
  const failed = items.filter((item) => item.kind === "run" && item.run.exit !== 0).length;
  const runs = items.filter((item) => item.kind === "run").length;
  return html`<svg class="strip" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-label="Last ${runs} runs, ${failed} failed">${items.map((item, index) => cell(item, offset + index * (CELL + GAP)))}</svg>`;
}
