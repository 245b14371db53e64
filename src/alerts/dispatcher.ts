/**
 * Delivering the alert outbox: expire what is too old, fold what the per-minute limit cannot carry
 * into one summary, send the rest through the notifier, and mark each alert sent or failed.
 * Runs asynchronously beside ingestion and never throws into it.
 */
import type { NotifyConfig } from "../config/config.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Notifier } from "../notify/notifier.ts";
import type { AlertRow, AlertStore } from "../store/alerts.ts";
import { failuresCovered, summaryAlert } from "./format.ts";
import { planDelivery } from "./policy.ts";

export interface DispatchResult {
  readonly sent: number;
  readonly failed: number;
  /** Alerts still pending (held back by the per-minute limit, or to be retried). */
  readonly waiting: number;
  /** When to flush again for them, or null. */
  readonly retryAtMs: number | null;
}

const MINUTE_MS = 60_000;
const MAX_ATTEMPTS = 3;
const RETRY_AFTER_FAILURE_MS = 30_000;

export class AlertDispatcher {
  private inFlight: Promise<DispatchResult> | null = null;
  private rerun = false;

  constructor(
    private readonly store: AlertStore,
    private readonly notifierFor: () => Notifier,
    private readonly notify: NotifyConfig,
    private readonly log: Logger,
    private readonly clock: () => Date,
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
        result = await this.flushOnce();
      }
      return result;
    };
    this.inFlight = run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private summarizeStale(nowIso: string): void {
    const stale = this.store.stale();
    if (stale.length === 0) return;
    this.store.summarize(stale, summaryAlert(stale, "while the collector was not running", this.notify.sound), nowIso);
    this.log.info(`${failuresCovered(stale)} failure(s) older than notify.max_age folded into one summary`);
  }

  private async flushOnce(): Promise<DispatchResult> {
    try {
      return await this.deliver();
    } catch (error) {
      this.log.error(`Alert delivery failed: ${describeError(error)}`);
      return { sent: 0, failed: 0, waiting: 0, retryAtMs: this.clock().getTime() + RETRY_AFTER_FAILURE_MS };
    }
  }

  private async deliver(): Promise<DispatchResult> {
    const now = this.clock();
    const nowMs = now.getTime();
    this.store.expirePending(nowMs - this.notify.maxAgeMs);
    this.summarizeStale(now.toISOString());

    const pending = this.store.pending();
    const sentTimes = this.store.sentSince(nowMs - MINUTE_MS);
    const plan = planDelivery(pending.length, sentTimes.length, this.notify.maxPerMinute);
    const batch: AlertRow[] = pending.slice(0, plan.individual);
    if (plan.summarizeRest) {
      const rest = pending.slice(plan.individual);
      batch.push(this.store.summarize(rest, summaryAlert(rest, "in a burst", this.notify.sound), now.toISOString()));
      this.log.info(`${rest.length} alert(s) over notify.max_per_minute folded into one summary`);
    }

    let sent = 0;
    let failed = 0;
    if (batch.length > 0) {
      const notifier = this.notifierFor();
      for (const alert of batch) {
        const result = await notifier.send(alert);
        if (result.ok) {
          this.store.markSent(alert.id, this.clock());
          sent++;
          this.log.info(`Alert sent via ${notifier.description}: ${alert.title}${alert.subtitle ? ` [${alert.subtitle}]` : ""}: ${alert.message}`);
        } else {
          this.store.markAttemptFailed(alert.id, result.error, MAX_ATTEMPTS);
          failed++;
          const final = alert.attempts + 1 >= MAX_ATTEMPTS ? "; giving up on it" : "; will retry";
          this.log.warn(`Alert not delivered via ${notifier.description}: ${result.error}${final}`);
        }
      }
    }

    const waiting = this.store.pending().length;
    let retryAtMs: number | null = null;
    if (waiting > 0) {
      const oldest = this.store.sentSince(nowMs - MINUTE_MS)[0];
      retryAtMs = failed > 0 || oldest === undefined ? this.clock().getTime() + RETRY_AFTER_FAILURE_MS : oldest + MINUTE_MS;
    }
    return { sent, failed, waiting, retryAtMs };
  }
}
