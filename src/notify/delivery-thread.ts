/**
 * The main thread's side of the delivery thread (delivery-worker.ts): started on the first
 * delivery, stopped after a few seconds idle (a resident collector mostly has nothing to send), and
 * referenced only while a delivery is under way, so it never keeps a finished command alive.
 */
import type { DeliveryJob, DeliveryReply } from "./delivery-worker.ts";

/**
 * How long the thread outlives its last delivery. An idle thread still costs: its heap (about
 * 1.5 MB of the process's RSS) and Bun's GC timer waking it every second while its heap settles.
 * Starting it again costs the next alert about 5-8 ms (measured: 31-34 ms append → notifier call
 * against 26-27 ms warm), and a burst keeps it warm. It was 60 s: the thread lived through the
 * whole first minute of idleness.
 */
export const DELIVERY_THREAD_IDLE_MS = 5_000;

export class DeliveryThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: DeliveryReply) => void>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly database: string,
    private readonly idleMs = DELIVERY_THREAD_IDLE_MS,
  ) {}

  /** True while the thread exists (from the first delivery until it has been idle for idleMs). */
  get running(): boolean {
    return this.worker !== null;
  }

  private start(): Worker {
    const worker = new Worker(new URL("./delivery-worker.ts", import.meta.url).href);
    worker.onmessage = (event: MessageEvent<DeliveryReply>) => this.settle(event.data);
    worker.onerror = (event) => this.fail(`the delivery thread failed: ${event.message}`);
    return worker;
  }

  private settle(reply: DeliveryReply): void {
    const resolve = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    resolve?.(reply);
    if (this.waiting.size > 0) return;
    this.worker?.unref();
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  /** Answers every delivery under way as failed and drops the worker; the next one starts anew. */
  private fail(error: string): void {
    const waiting = [...this.waiting];
    this.close();
    for (const [id, resolve] of waiting) resolve({ id, result: { ok: false, error }, marked: false });
  }

  /** Performs `job` on the delivery thread, which records its outcome before answering. */
  run(job: Omit<DeliveryJob, "id" | "database">): Promise<DeliveryReply> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.worker ??= this.start();
    this.worker.ref();
    const id = this.nextId++;
    const message: DeliveryJob = { ...job, id, database: this.database };
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker?.postMessage(message);
    });
  }

  /** Stops the thread. A delivery under way is cut short and stays 'delivering': sent again later. */
  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
    this.waiting.clear();
  }
}
