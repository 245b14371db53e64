/**
 * The SQL that says which alerts a backend still owes and when an alert is settled, shared by the
 * outbox (outbox.ts) and its folds (alert-folds.ts). Fixed text only; values are bound.
 */

/** Which owed alerts a fold takes. */
export type FoldSelection =
  /** Seen older than notify.max_age when read (a backfill, a restart after downtime). */
  | { readonly kind: "stale" }
  /** Pending alerts about events before `beforeMs` (summaries are never folded again). */
  | { readonly kind: "expired"; readonly beforeMs: number }
  /** Every pending alert but summaries and `except` (the ones being sent one by one now). */
  | { readonly kind: "rest"; readonly except: readonly number[] };

export type Params = Record<string, string | number | null>;

const TAKEN = "('sent', 'logged', 'summarized')";

export const OWED = `a.status IN ('pending', 'stale') AND (a.backend IS NULL OR a.backend = $backend)
  AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id AND d.backend = $backend AND d.status IN ${TAKEN})`;

export const SELECTIONS: Record<FoldSelection["kind"], string> = {
  stale: "a.status = 'stale'",
  expired: "a.status = 'pending' AND a.kind != 'summary' AND a.event_ms < $before",
  rest: "a.status = 'pending' AND a.kind != 'summary' AND a.id NOT IN (SELECT value FROM json_each($except))",
};

/** Open alerts that no configured backend ($backends, a JSON array) is owed any more. */
const SETTLED = `alerts.status IN ('pending', 'stale') AND NOT EXISTS (
  SELECT 1 FROM json_each($backends) b WHERE (alerts.backend IS NULL OR alerts.backend = b.value)
    AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.backend = b.value AND d.status IN ${TAKEN}))`;

const deliveredWith = (status: string): string =>
  `EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = '${status}')`;

export const SETTLE = `UPDATE alerts SET
    status = CASE WHEN ${deliveredWith("sent")} THEN 'sent' WHEN ${deliveredWith("summarized")} THEN 'summarized'
      WHEN ${deliveredWith("logged")} THEN 'logged' ELSE 'dropped' END,
    sent_ms = (SELECT MAX(d.done_ms) FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = 'sent'),
    sent_at = (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', MAX(d.done_ms) / 1000.0, 'unixepoch')
      FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.status = 'sent')
  WHERE ${SETTLED}`;
