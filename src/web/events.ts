/**
 * Server-Sent Events for live pages: one `change` event within a second of every ingest, alert or
 * state change. While at least one page listens, the dashboard's own connection polls SQLite's
 * data_version (it moves whenever another connection commits: every batch the collector ingests,
 * every alert it writes) and a deadline timer catches the changes that only time makes (a job
 * becoming late, a pause running out). Nothing runs while nobody listens.
 *
 * The dashboard reuses a stats document for a short window across commits (src/web/data.ts), so a
 * `change` for a commit is held back until `settledAtMs`: the moment no document computed before
 * the commit can be served any more. A page refetching on the event then always sees the commit.
 * Commits seen while an event is held back get an event of their own, scheduled when the first
 * one goes out (never postponed further, so a steady ingest cannot starve the events). With the
 * 250 ms poll and a 250 ms window a commit is announced within about 750 ms.
 */
export interface EventHubOptions {
  readonly dataVersion: () => number;
  /** The next instant a job's state may change by time alone, or null when none is known. */
  readonly nextDeadlineMs: () => number | null;
  readonly clock: () => Date;
  /**
   * The monotonic instant (same source as `monotonicMs`) from which pages refetching get a
   * document that includes every commit made so far; absent: at once.
   */
  readonly settledAtMs?: () => number;
  readonly monotonicMs?: () => number;
  /** Called before a deadline's `change` goes out (e.g. to forget documents computed before it). */
  readonly onDeadline?: () => void;
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
  /** A `change` for data held back until this monotonic instant, or null. */
  private dueAtMs: number | null = null;
  /** The data version when the held-back change was scheduled. */
  private dueVersion = 0;
  private dueTimer: ReturnType<typeof setTimeout> | null = null;
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
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.pollTimer = null;
    this.pingTimer = null;
    this.dueTimer = null;
    this.dueAtMs = null;
  }

  private monotonicMs(): number {
    return this.options.monotonicMs?.() ?? performance.now();
  }

  /** Schedules the `change` for the commits seen up to now, at the first instant pages see them. */
  private holdDataChange(version: number): void {
    const nowMs = this.monotonicMs();
    const dueAtMs = Math.max(nowMs, this.options.settledAtMs?.() ?? nowMs);
    this.dueVersion = version;
    if (dueAtMs <= nowMs) {
      this.broadcast("data");
      return;
    }
    this.dueAtMs = dueAtMs;
    // The poll would catch it too, up to pollMs late; the timer is on time.
    this.dueTimer = setTimeout(() => this.poll(), Math.ceil(dueAtMs - nowMs));
  }

  private poll(): void {
    const version = this.options.dataVersion();
    if (this.dueAtMs !== null && this.monotonicMs() >= this.dueAtMs) {
      this.dueAtMs = null;
      if (this.dueTimer) clearTimeout(this.dueTimer);
      this.dueTimer = null;
      this.broadcast("data");
      // Commits seen while it was held back: their own change, scheduled from now.
      if (this.lastVersion !== this.dueVersion) this.holdDataChange(this.lastVersion);
    }
    if (version !== this.lastVersion) {
      this.lastVersion = version;
      if (this.dueAtMs === null) this.holdDataChange(version);
      return;
    }
    const nowMs = this.options.clock().getTime();
    if (this.deadlineMs !== null && nowMs >= this.deadlineMs) {
      this.deadlineMs = null;
      this.options.onDeadline?.();
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
