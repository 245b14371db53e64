/**
 * Keeping a catch-up's memory flat: what each committed batch leaves behind is collected before
 * it piles up.
 *
 * Each batch (one chunk of the input, 1 MiB) allocates a few MB of objects and strings that are
 * garbage once it is committed. Left to its own heuristics, JavaScriptCore collects the old
 * generation only when the heap has doubled, and the process grew from 56 MB to 125–140 MB while
 * reading a backfill (bench/ingest.ts; SQLite's page cache, the WAL and the chunk size made no
 * difference). So after each batch: a young-generation collection (free at that size: it finds
 * little alive between batches), and a full one when the resident size is over the budget, at
 * most once every FULL_COLLECTION_MIN_BATCHES batches. The peak is then the budget plus about
 * what one batch allocates, whatever the input's size, and a process whose fixed footprint is
 * already over the budget pays at most one full collection per that many batches (the 1M backfill
 * ran 25 full and 88 young collections at no CPU time measurable against runs without them).
 */
import { edenGC, fullGC } from "bun:jsc";

/** Resident size above which a full collection runs after a batch. */
export const RSS_BUDGET_BYTES = 88 * 1024 * 1024;
/** Fewest batches between two full collections. */
export const FULL_COLLECTION_MIN_BATCHES = 4;

export interface GarbageCollector {
  /** `full`: the whole heap; otherwise the young generation only. */
  collect(full: boolean): void;
  residentBytes(): number;
}

// JavaScriptCore's own collections: Bun.gc(true) also returns the allocator's free pages to the
// system, which the next batch faults in again (1M backfill: CPU +0.15–0.35 s against ±0.05 s).
export const bunGarbageCollector: GarbageCollector = {
  collect: (full) => {
    if (full) fullGC();
    else edenGC();
  },
  residentBytes: () => process.memoryUsage.rss(),
};

export class BatchMemory {
  private batchesSinceFull = FULL_COLLECTION_MIN_BATCHES;

  constructor(
    private readonly gc: GarbageCollector = bunGarbageCollector,
    private readonly budgetBytes = RSS_BUDGET_BYTES,
  ) {}

  /** Call after each committed batch; says which collection ran. */
  afterBatch(): "young" | "full" {
    this.batchesSinceFull++;
    if (this.batchesSinceFull >= FULL_COLLECTION_MIN_BATCHES && this.gc.residentBytes() > this.budgetBytes) {
      this.gc.collect(true);
      this.batchesSinceFull = 0;
      return "full";
    }
    this.gc.collect(false);
    return "young";
  }
}
