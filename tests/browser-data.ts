/** A realistic week of runs for the browser test and the README screenshot. */
import { NOW } from "./web-fixture.ts";

const MIN = 60_000;

export const DEMO_CONFIG = `jobs:
  backup: { cron: "0 3 * * *", grace: 30m, max_duration: 1h }
  orders: { every: 5m, grace: 1m }
  invoices: { every: 15m, grace: 2m }
  mail-digest: { every: 1h, grace: 5m }
  cleanup: { every: 30m }
  reports: { cron: "0 7 * * 1" }
`;

function line(job: string, minutesBefore: number, exit: number, msg: string, durationMs: number): Record<string, unknown> {
  const ts = new Date(NOW.getTime() - minutesBefore * MIN).toISOString().replace(".000", "");
  return { ts, exit, msg, job, duration_ms: durationMs };
}

/** Deterministic noise, so screenshots are stable. */
function wobble(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

export function demoLines(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (let i = 60; i >= 1; i--) {
    const failed = i === 1 || i === 2;
    lines.push(line("orders", i * 5, failed ? 1 : 0, failed ? "Connection failed - API timeout after 30s" : `Order check completed - ${i % 7} orders tracked`, 800 + wobble(i) * 900));
  }
  for (let i = 50; i >= 1; i--) lines.push(line("invoices", i * 15, i === 17 ? 2 : 0, i === 17 ? "SMTP refused: 451 try again later" : "Invoices sent", 4000 + wobble(i + 100) * 3000));
  // The digest stopped 3 hours ago: late.
  for (let i = 40; i >= 3; i--) lines.push(line("mail-digest", i * 60 + 2, 0, "Digest delivered to 12 subscribers", 20_000 + wobble(i + 200) * 8000));
  for (let i = 7; i >= 1; i--) lines.push(line("backup", (i - 1) * 1440 + 9 * 60 - 2, 0, "Backup of /srv complete: 4.2 GB", 1_500_000 + wobble(i + 300) * 600_000));
  for (let i = 48; i >= 1; i--) lines.push(line("cleanup", i * 30 - 10, 0, "Removed stale temp files", 300 + wobble(i + 400) * 200));
  lines.push(line("ad-hoc export", 400, 0, "Export written", 61_000));
  return lines;
}
