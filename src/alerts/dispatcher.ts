/**
 * Delivering the alert outbox to each notification backend: fold what cannot go out one by one
 * (alerts read too old, alerts that waited past notify.max_age, the rest of a burst over
 * notify.max_per_minute, the backlog of an outage) into one summary, send the rest, and record
 * each outcome the moment the notifier returns. Runs asynchronously beside ingestion and never
 * throws into it.
 *
 * A backend that fails is retried with capped exponential backoff and never given up: while it is
 * down, each retry sends one alert (the oldest); the first success ends the outage and folds what
 * it still owes into one summary. Backends are independent: one that is down never holds back
 * another, and a backend that took an alert never receives it again.
 */
import type { NotifyConfig } from "../config/config.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { DeliveryThread } from "../notify/delivery-thread.ts";
import type { NamedNotifier } from "../notify/notifier.ts";
import type { DeliveryResult } from "../notify/spawn.ts";
import type { FoldSelection, Outbox, OwedAlert } from "../store/outbox.ts";
import { planDelivery } from "./policy.ts";
import { failuresIn, notificationText, summaryAlert, type FoldReason } from "./summary.ts";
import { MINUTE_MS } from "../time.ts";

export interface DispatchResult {
  /** Notifications a real notifier took. */
  readonly sent: number;
  /** Alerts not delivered: the notifier failed, or there is none and they only reached the log. */
  readonly failed: number;
  /** Of `failed`, the ones that only reached the log. */
  readonly logged: number;
  /** Deliveries still owed (held back by the per-minute limit, or waiting for a retry). */
  readonly waiting: number;
  /** When to flush again for them, or null. */
  readonly retryAtMs: number | null;
}

/** The first retry after a failed delivery; each further failure doubles the wait … */
export const RETRY_FIRST_MS = 30_000;
/** … up to this: a notifier that comes back is used again within the hour. */
export const RETRY_MAX_MS = 3_600_000;
/** An outage's backlog is folded into a summary only from this many alerts on. */
const FOLD_OUTAGE_FROM = 2;

export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

interface Outage {
  readonly failures: number;
  readonly retryAtMs: number;
}

interface Tally {
  sent: number;
  failed: number;
  logged: number;
  waiting: number;
  retryAtMs: number | null;
}

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

export class AlertDispatcher {
  private inFlight: Promise<DispatchResult> | null = null;
  private rerun = false;
  private readonly outages = new Map<string, Outage>();
  private announcedInterrupted = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly notifiers: () => readonly NamedNotifier[],
    private readonly notify: Pick<NotifyConfig, "maxAgeMs" | "maxPerMinute" | "sound">,
    private readonly log: Logger,
    private readonly clock: () => Date,
    /** Where real notifiers are called and their outcome recorded; null: in this thread. */
    private readonly thread: DeliveryThread | null = null,
  ) {}

  /** Delivers what is pending. Concurrent calls share one run, followed by one more if needed. */
  flush(): Promise<DispatchResult> {
    if (this.inFlight) {
      this.rerun = true;
      return this.inFlight;
    }
    const run = async (): Promise<DispatchResult> => {
      let result = await this.flushOnce();
      while (this.rerun) {
        this.rerun = false;
        const next = await this.flushOnce();
        result = { ...next, sent: result.sent + next.sent, failed: result.failed + next.failed, logged: result.logged + next.logged };
      }
      return result;
    };
    this.inFlight = run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async flushOnce(): Promise<DispatchResult> {
    try {
      const targets = this.notifiers();
      const names = targets.map((target) => target.backend);
      const tally: Tally = { sent: 0, failed: 0, logged: 0, waiting: 0, retryAtMs: null };
      for (const target of targets) await this.deliverTo(target, names, tally);
      this.announcedInterrupted = true;
      return tally;
    } catch (error) {
      this.log.error(`Alert delivery failed: ${describeError(error)}`);
      return { sent: 0, failed: 0, logged: 0, waiting: 0, retryAtMs: this.clock().getTime() + RETRY_FIRST_MS };
    }
  }

  private fold(target: NamedNotifier, selection: FoldSelection, reason: FoldReason, names: readonly string[]): OwedAlert | null {
    const folded = this.outbox.fold(
      target.backend,
      selection,
      (digest) => ({ ...summaryAlert(digest, reason, target.backend, this.notify.sound), covers: failuresIn(digest) }),
      this.clock(),
      names,
    );
    if (!folded) return null;
    this.log.info(`Alerts folded into one summary for ${target.backend}: ${folded.text.message}`);
    return { ...folded.text, id: folded.id, interrupted: false, covers: failuresIn(folded.digest), firstEventMs: null };
  }

  private async deliverTo(target: NamedNotifier, names: readonly string[], tally: Tally): Promise<void> {
    const { backend } = target;
    const nowMs = this.clock().getTime();
    if (!this.announcedInterrupted) {
      const interrupted = this.outbox.interruptedCount(backend);
      if (interrupted > 0) this.log.warn(`${interrupted} alert(s) were being delivered via ${backend} when the collector stopped; sending them again (they may arrive twice)`);
    }
    const outage = this.outages.get(backend);
    if (outage && nowMs < outage.retryAtMs) {
      tally.waiting += this.outbox.owedCount(backend);
      tally.retryAtMs = earliest(tally.retryAtMs, outage.retryAtMs);
      return;
    }
    this.fold(target, { kind: "stale" }, "backlog", names);
    this.fold(target, { kind: "expired", beforeMs: nowMs - this.notify.maxAgeMs }, "expired", names);

    let batch: OwedAlert[];
    if (outage) {
      batch = this.outbox.nextOwed(backend, 1); // one alert probes whether the backend is back
    } else {
      const window = this.outbox.deliveredSince(backend, nowMs - MINUTE_MS);
      const plan = planDelivery(this.outbox.owedCount(backend), window.count, this.notify.maxPerMinute);
      batch = this.outbox.nextOwed(backend, plan.individual);
      if (plan.summarizeRest) {
        const summary = this.fold(target, { kind: "rest", except: batch.map((alert) => alert.id) }, "burst", names);
        if (summary) batch.push(summary);
      }
    }

    for (const alert of batch) {
      if (!(await this.deliverOne(target, alert, names, tally))) break;
      if (this.outages.delete(backend)) {
        this.log.info(`${target.notifier.description} works again`);
        if (this.outbox.owedCount(backend) >= FOLD_OUTAGE_FROM) this.fold(target, { kind: "rest", except: [] }, "outage", names);
        this.rerun = true; // what it still owes goes out now, within the per-minute limit
        break;
      }
    }

    const waiting = this.outbox.owedCount(backend);
    tally.waiting += waiting;
    const after = this.outages.get(backend);
    if (after) tally.retryAtMs = earliest(tally.retryAtMs, after.retryAtMs);
    else if (waiting > 0) {
      const oldest = this.outbox.deliveredSince(backend, this.clock().getTime() - MINUTE_MS).oldestMs;
      tally.retryAtMs = earliest(tally.retryAtMs, oldest === null ? this.clock().getTime() : oldest + MINUTE_MS);
    }
  }

  /** Sends one alert to one backend; false when the backend failed. */
  private async deliverOne(target: NamedNotifier, owed: OwedAlert, names: readonly string[], tally: Tally): Promise<boolean> {
    const { backend, notifier } = target;
    const startedMs = this.clock().getTime();
    // Read again as delivery begins: a gathered row counts what ingestion added since it was listed.
    const current = this.outbox.beginDelivery(owed.id, backend, startedMs);
    if (!current) return true; // pruned meanwhile
    const alert = { ...notificationText(current, startedMs), id: current.id, interrupted: owed.interrupted };
    // The outcome is recorded the moment the notifier returns: that gap is the only window in which
    // a crash makes the alert go out twice. On the delivery thread it does not wait for the
    // synchronous ingest tick that may be running here; in this thread it would.
    const action = notifier.actionFor?.(alert);
    let result: DeliveryResult;
    let marked = false;
    if (action && this.thread) {
      const reply = await this.thread.run({ action, alertId: alert.id, backend, backends: names, clockOffsetMs: startedMs - Date.now() });
      ({ result, marked } = reply);
    } else {
      result = await notifier.send(alert);
    }
    const outcome = result.ok ? (notifier.logOnly ? "logged" : "sent") : "failed";
    if (!marked) this.outbox.finishDelivery(alert.id, backend, outcome, result.ok ? null : result.error, this.clock().getTime(), names);
    const text = `${alert.title}${alert.subtitle ? ` [${alert.subtitle}]` : ""}: ${alert.message}`;
    const again = alert.interrupted ? " (again: its delivery was interrupted)" : "";
    switch (outcome) {
      case "sent":
        tally.sent++;
        this.log.info(`Alert sent via ${notifier.description}${again}: ${text}`);
        return true;
      case "logged":
        tally.failed++;
        tally.logged++;
        this.log.warn(`Alert not delivered, it reached ${notifier.description}: ${text}`);
        return true;
      case "failed": {
        tally.failed++;
        const failures = (this.outages.get(backend)?.failures ?? 0) + 1;
        const delay = retryDelayMs(failures);
        this.outages.set(backend, { failures, retryAtMs: this.clock().getTime() + delay });
        this.log.warn(`Alert not delivered via ${notifier.description}: ${result.ok ? "" : result.error}; will retry in ${Math.round(delay / 1000)}s (attempt ${failures} failed)`);
        return false;
      }
      default:
        return outcome satisfies never;
    }
  }
}
