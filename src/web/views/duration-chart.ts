/** A job's run durations over time as inline SVG: a line through every run, failed runs marked. */
import type { HistoryRun } from "../../store/run-history.ts";
import { html, type Html } from "../html.ts";
import { durationText, exactTime } from "./format.ts";

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 24 };

export function durationChart(newestFirst: readonly HistoryRun[]): Html {
  const runs = newestFirst.filter((run) => run.durationMs !== null).reverse();
  if (runs.length === 0) return html`<p class="muted">No run of this job reported a duration yet (<code>run</code> records it; <code>log --duration-ms</code> too).</p>`;
  const first = runs[0]?.epochMs ?? 0;
  const last = runs.at(-1)?.epochMs ?? first;
  const maxMs = Math.max(1, ...runs.map((run) => run.durationMs ?? 0));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (ms: number): number => PAD.left + (last === first ? plotW / 2 : ((ms - first) / (last - first)) * plotW);
  const y = (duration: number): number => PAD.top + plotH - (duration / maxMs) * plotH;
  const points = runs.map((run) => `${x(run.epochMs).toFixed(1)},${y(run.durationMs ?? 0).toFixed(1)}`).join(" ");
  const marks = runs.map((run) => {
    const cx = x(run.epochMs).toFixed(1);
    const cy = y(run.durationMs ?? 0).toFixed(1);
    const tip = `${exactTime(run.ts)} · ${durationText(run.durationMs)} · exit ${run.exit}`;
    return run.exit === 0
      ? html`<circle class="pt" cx="${cx}" cy="${cy}" r="2"><title>${tip}</title></circle>`
      : html`<circle class="pt fail" cx="${cx}" cy="${cy}" r="4"><title>${tip}</title></circle>`;
  });
  const bottom = PAD.top + plotH;
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Duration of the last ${runs.length} runs">
<line class="axis" x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}"></line>
<line class="grid" x1="${PAD.left}" y1="${PAD.top}" x2="${WIDTH - PAD.right}" y2="${PAD.top}"></line>
<text class="label" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${durationText(maxMs)}</text>
<text class="label" x="${PAD.left - 6}" y="${bottom + 4}" text-anchor="end">0</text>
<text class="label" x="${PAD.left}" y="${HEIGHT - 6}">${exactTime(first)}</text>
<text class="label" x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end">${exactTime(last)}</text>
<polyline class="line" points="${points}"></polyline>
${marks}
</svg>`;
}
