/**
 * The daemon's one source of timers. Every timed thing (the poll, the retry after an error, the
 * missed-run deadline, the stats cache, pruning, the debounce of change events) is a named task
 * here, so stopping is one call and tests drive time with a fake TimerSource instead of sleeping.
 */

/** What a timer is made of; `realTimers` in production, a manual clock in tests. */
export interface TimerSource {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: TimerSource = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** setTimeout cannot wait longer than 2^31 - 1 ms; a later deadline is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly tasks = new Map<string, { handle: unknown; atMs: number }>();
  private stopped = false;

  constructor(readonly timers: TimerSource = realTimers) {}

  now(): number {
    return this.timers.now();
  }

  /** Runs `task` once, `delayMs` from now, replacing any pending run of the same name. */
  after(name: string, delayMs: number, task: () => void): void {
    this.at(name, this.timers.now() + Math.max(0, delayMs), task);
  }

  /** Runs `task` once at `atMs` (epoch ms), replacing any pending run of the same name. */
  at(name: string, atMs: number, task: () => void): void {
    this.cancel(name);
    if (this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, atMs - this.timers.now()));
    const handle = this.timers.setTimeout(() => {
      if (this.tasks.get(name)?.handle !== handle) return;
      if (atMs > this.timers.now()) {
        this.at(name, atMs, task); // a deadline beyond MAX_TIMER_MS, or a clock that lags
        return;
      }
      this.tasks.delete(name);
      task();
    }, delay);
    this.tasks.set(name, { handle, atMs });
  }

  /** Runs `task` every `periodMs`, the first time one period from now, until cancelled. */
  every(name: string, periodMs: number, task: () => void): void {
    const run = (): void => {
      this.after(name, periodMs, run);
      task();
    };
    this.after(name, periodMs, run);
  }

  /** Runs `task` once, `delayMs` after the first of a burst of calls (later calls do not delay it). */
  coalesce(name: string, delayMs: number, task: () => void): void {
    if (!this.tasks.has(name)) this.after(name, delayMs, task);
  }

  /** When the named task runs next (epoch ms), or null when it is not scheduled. */
  nextRunAt(name: string): number | null {
    return this.tasks.get(name)?.atMs ?? null;
  }

  cancel(name: string): void {
    const task = this.tasks.get(name);
    if (!task) return;
    this.timers.clearTimeout(task.handle);
    this.tasks.delete(name);
  }

  /** Cancels every task; later scheduling calls do nothing. */
  stop(): void {
    this.stopped = true;
    for (const name of [...this.tasks.keys()]) this.cancel(name);
  }
}
