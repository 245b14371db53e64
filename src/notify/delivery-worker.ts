/**
 * The delivery thread (a Bun Worker): performs one notifier call at a time and records its
 * outcome in the outbox the moment the call returns, on its own database connection. The
 * collector's ingest tick is synchronous on the main thread and may take seconds on a big batch;
 * marking here keeps the window in which a crash repeats a notification independent of it.
 */
import type { DeliveryResult } from "./spawn.ts";
import { perform, type DeliveryAction } from "./action.ts";
import { openOutbox, type Outbox } from "../store/outbox.ts";

export interface DeliveryJob {
  readonly id: number;
  readonly database: string;
  readonly action: DeliveryAction;
  readonly alertId: number;
  readonly backend: string;
  readonly backends: readonly string[];
  /** The collector's clock minus the wall clock (non-zero under --now), for done_ms. */
  readonly clockOffsetMs: number;
}

export interface DeliveryReply {
  readonly id: number;
  readonly result: DeliveryResult;
  /** False when the outcome could not be written here; the main thread then writes it. */
  readonly marked: boolean;
}

declare const self: Worker;

const outboxes = new Map<string, Outbox>();

function outboxFor(database: string): Outbox {
  let outbox = outboxes.get(database);
  if (!outbox) {
    outbox = openOutbox(database);
    outboxes.set(database, outbox);
  }
  return outbox;
}

self.onmessage = async (event: MessageEvent<DeliveryJob>) => {
  const job = event.data;
  const result = await perform(job.action);
  let marked = false;
  try {
    const outcome = result.ok ? "sent" : "failed";
    outboxFor(job.database).finishDelivery(job.alertId, job.backend, outcome, result.ok ? null : result.error, Date.now() + job.clockOffsetMs, job.backends);
    marked = true;
  } catch {
    // e.g. the database stayed locked past busy_timeout: the main thread records it instead.
  }
  const reply: DeliveryReply = { id: job.id, result, marked };
  self.postMessage(reply);
};
