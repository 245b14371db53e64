/**
 * What delivering one alert means for a real notifier, as plain data: run a program with a
 * deadline, or POST a request. Data, so that the delivery thread (delivery-worker.ts) can perform
 * it away from the ingest loop; `perform` never throws.
 */
import { runWithTimeout, type DeliveryResult } from "./spawn.ts";

export type DeliveryAction =
  | {
      readonly kind: "spawn";
      readonly argv: readonly string[];
      readonly env: Record<string, string | undefined>;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: "post";
      readonly url: string;
      readonly headers: Record<string, string>;
      readonly body: string;
      readonly timeoutMs: number;
    };

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<DeliveryResult> {
  try {
    // No redirects: a webhook that moved should be reconfigured, not followed blindly.
    const response = await fetch(url, { method: "POST", headers, body, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? { ok: true } : { ok: false, error: `webhook answered HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, error: `webhook failed: ${(error as Error).message}` };
  }
}

export function perform(action: DeliveryAction): Promise<DeliveryResult> {
  switch (action.kind) {
    case "spawn":
      return runWithTimeout(action.argv, action.timeoutMs, action.env);
    case "post":
      return post(action.url, action.headers, action.body, action.timeoutMs);
    default:
      return action satisfies never;
  }
}
