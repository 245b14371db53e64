/**
 * Server-Sent Events for live pages: one `change` event within a second of every ingest, alert or
 * state change. While at least one page listens, the dashboard's own connection polls SQLite's
 * data_version (it moves whenever another connection commits: every batch the collector ingests,
 * every alert it writes) and a deadline timer catches the changes that only time makes (a job
 * becoming late, a pause running out). Nothing runs while nobody listens.
 */
export interface EventHubOptions {
  readonly dataVersion: () => number;
  /** The next instant a job's state may change by time alone, or null when none is known. */
  readonly nextDeadlineMs: () => number | null;
  readonly clock: () => Date;
  readonly pollMs?: number;
  readonly pingMs?: number;
  /** How often the deadline is recomputed when nothing else happens. */
  readonly refreshMs?: number;
}

type Send = (text: string) => boolean;

const encoder = new TextEncoder();

export class EventHub {
  private readonly subscribers = new Set<{ send: Send; close(): void }>();
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastVersion = 0;
  private deadlineMs: number | null = null;
  /** Recompute the deadline at the next poll (after a change, or when listening starts). */
  private deadlineDue = true;
  private deadlineCheckedAtMs = 0;

  constructor(private readonly options: EventHubOptions) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** A text/event-stream response that stays subscribed until the client goes away. */
  subscribe(signal: AbortSignal): Response {
    let subscriber: { send: Send; close(): void } | null = null;
    const remove = (): void => {
      if (subscriber) this.subscribers.delete(subscriber);
      subscriber = null;
      if (this.subscribers.size === 0) this.stopTimers();
    };
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const entry = {
          send: (text: string): boolean => {
            try {
              controller.enqueue(encoder.encode(text));
              return true;
            } catch {
              remove();
              return false;
            }
          },
          close: () => {
            remove();
            try {
              controller.close();
            } catch {
              // already closed by the client
            }
          },
        };
        subscriber = entry;
        this.subscribers.add(entry);
        this.startTimers();
        entry.send(`retry: 2000\nevent: hello\ndata: {}\n\n`);
        signal.addEventListener("abort", () => entry.close(), { once: true });
      },
      cancel: () => remove(),
    });
    return new Response(stream, { headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store" } });
  }

  /** Tells every page that something changed (also for this process's own writes, e.g. a pause). */
  broadcast(reason: string): void {
    const message = `event: change\ndata: ${JSON.stringify({ reason, at: this.options.clock().toISOString() })}\n\n`;
    for (const subscriber of [...this.subscribers]) subscriber.send(message);
    this.deadlineDue = true; // the change may move the next deadline
  }

  stop(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.stopTimers();
  }

  private startTimers(): void {
    if (this.pollTimer) return;
    this.lastVersion = this.options.dataVersion();
    this.deadlineDue = true;
    this.pollTimer = setInterval(() => this.poll(), this.options.pollMs ?? 250);
    this.pingTimer = setInterval(() => {
      for (const subscriber of [...this.subscribers]) subscriber.send(": ping\n\n");
    }, this.options.pingMs ?? 15_000);
  }

  private stopTimers(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pollTimer = null;
    this.pingTimer = null;
  }

  private poll(): void {
    const version = this.options.dataVersion();
    if (version !== this.lastVersion) {
      this.lastVersion = version;
      this.broadcast("data");
      return;
    }
    const nowMs = this.options.clock().getTime();
    if (this.deadlineMs !== null && nowMs >= this.deadlineMs) {
      this.deadlineMs = null;
      this.broadcast("time");
      return;
    }
    if (this.deadlineDue || nowMs - this.deadlineCheckedAtMs >= (this.options.refreshMs ?? 60_000)) {
      this.deadlineDue = false;
      this.deadlineCheckedAtMs = nowMs;
      this.deadlineMs = this.options.nextDeadlineMs();
    }
  }
}
