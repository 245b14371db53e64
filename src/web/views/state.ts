/**
 * How a job state (from collectStats) is shown: its label, its colour class and its rank in the
 * overview. States are strings here on purpose: the status function owns the list, and a state
 * this file does not know yet is still shown (as itself, after the known ones).
 */
import { html, type Html } from "../html.ts";

interface StateLook {
  readonly label: string;
  readonly rank: number;
  readonly attention: boolean;
}

const LOOKS: Readonly<Record<string, StateLook>> = {
  failing: { label: "failing", rank: 0, attention: true },
  late: { label: "late", rank: 1, attention: true },
  too_long: { label: "too long", rank: 2, attention: true },
  running: { label: "running", rank: 3, attention: false },
  up: { label: "up", rank: 4, attention: false },
  paused: { label: "paused", rank: 5, attention: false },
  new: { label: "new", rank: 6, attention: false },
  unknown: { label: "new", rank: 6, attention: false },
};

export const FILTER_STATES = ["failing", "late", "too_long", "running", "up", "paused", "new"] as const;

function look(state: string): StateLook {
  return LOOKS[state] ?? { label: state.replace(/_/g, " "), rank: 7, attention: false };
}

export const stateLabel = (state: string): string => look(state).label;
export const needsAttention = (state: string): boolean => look(state).attention;

/** `unknown` (before the status function named it `new`) filters and looks like `new`. */
export const stateClass = (state: string): string => (state === "unknown" ? "new" : state.replace(/[^a-z_]/g, ""));

/** Most severe first, then by name. */
export function bySeverity<T extends { readonly state: string; readonly name: string }>(jobs: readonly T[]): T[] {
  return [...jobs].sort((a, b) => look(a.state).rank - look(b.state).rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function badge(state: string): Html {
  return html`<span class="badge s-${stateClass(state)}">${stateLabel(state)}</span>`;
}
