/**
 * Keeping a catch-up's memory flat: what the committed batches leave behind is collected before
 * it piles up, and handed back once the catch-up is over.
 *
 * Each batch (one chunk of the input, 1 MiB) allocates a few MB of objects and strings that are
 * garbage once it is committed. Left to its own heuristics, JavaScriptCore collects the old
 * generation only when the heap has doubled, and the process grew from 56 MB at the first poll
 * to 125–145 MB while reading a backfill (bench/ingest.ts; SQLite's page cache, the WAL's
 * checkpoint interval and the chunk size made no difference). So after a batch, when the resident
 * size is over the budget, a full collection runs, at most once every FULL_COLLECTION_MIN_BATCHES
 * batches: the heap then holds at most a few batches' garbage whatever the input's size, and a
 * process whose fixed footprint is already over the budget pays at most one full collection (a
 * few ms) per that many batches.
 *
 * A full collection frees the garbage but the allocator keeps the pages for the next batches:
 * while the reading goes on, that is what keeps the resident size flat. When a poll has read the
 * input to its end after at least RELEASE_AFTER_BYTES, the memory is released
 * (`Bun.gc(true)`: a full collection, the sweep, and the allocator handing its free pages back),
 * so what follows the catch-up (the alert delivery spawns the notifier, about 4 MB of Bun's own
 * pages) starts from the floor instead of adding to the catch-up's working set.
 *
 * What was measured and not kept (10M-line backfill, CPU): also a young-generation collection
 * after every batch: +4.3 s (and young ones alone let the process grow to 3.9 GB, since they
 * keep JavaScriptCore from ever running a full one); Bun.gc(true) instead of fullGC (it also
 * hands free pages back to the system): +0.15–0.35 s on 1M lines; a full collection at most every
 * 2 batches: +1.5 s for 1 MB less; a full collection after every batch: 98 → 83 MB for CPU
 * 1.08× → 1.27× the baseline's (README "Peak memory during a catch-up").
 */
import { fullGC } from "bun:jsc";

/** Resident size above which a full collection runs after a batch. */
export const RSS_BUDGET_BYTES = 88 * 1024 * 1024;
/** Fewest batches between two full collections. */
export const FULL_COLLECTION_MIN_BATCHES = 4;
/** Bytes read since the last release for a caught-up poll to release memory (a few batches; never for a line a minute). */
export const RELEASE_AFTER_BYTES = 4 * 1024 * 1024;

export interface GarbageCollector {
  fullCollection(): void;
  /** A full collection that also returns the allocators' free pages to the system (costs ~10 ms). */
  releaseMemory(): void;
  residentBytes(): number;
}

export const bunGarbageCollector: GarbageCollector = {
  fullCollection: () => {
    fullGC();
  },
  releaseMemory: () => {
    Bun.gc(true);
  },
  residentBytes: () => process.memoryUsage.rss(),
};

export class BatchMemory {
  private batchesSinceFull = FULL_COLLECTION_MIN_BATCHES;
  private bytesSinceRelease = 0;

  constructor(
    private readonly gc: GarbageCollector = bunGarbageCollector,
    private readonly budgetBytes = RSS_BUDGET_BYTES,
  ) {}

  /** Call after each committed batch of `bytes`; says whether a full collection ran. */
  afterBatch(bytes: number): boolean {
    this.bytesSinceRelease += bytes;
    this.batchesSinceFull++;
    if (this.batchesSinceFull < FULL_COLLECTION_MIN_BATCHES || this.gc.residentBytes() <= this.budgetBytes) return false;
    this.gc.fullCollection();
    this.batchesSinceFull = 0;
    return true;
  }

  /** Call when a poll has read the input to its end; says whether memory was released. */
  caughtUp(): boolean {
    if (this.bytesSinceRelease < RELEASE_AFTER_BYTES) return false;
    this.gc.releaseMemory();
    this.bytesSinceRelease = 0;
    this.batchesSinceFull = 0;
    return true;
  }
}
