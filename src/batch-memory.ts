/**
 * Keeping a catch-up's memory flat: what the committed batches leave behind is collected and its
 * pages handed back before it piles up.
 *
 * Each batch (one chunk of the input, 1 MiB) allocates a few MB of objects and strings that are
 * garbage once it is committed. Left to its own heuristics, JavaScriptCore collects the old
 * generation only when the heap has doubled, and the process grew from 56 MB at the first poll
 * to 125–145 MB while reading a backfill (bench/ingest.ts; SQLite's page cache, the WAL's
 * checkpoint interval and the chunk size made no difference). So after a batch, when the resident
 * size is over the budget, memory is released (`Bun.gc(true)`: a full collection, the sweep, and
 * the allocator handing its free pages back), at most once every RELEASE_MIN_BATCHES batches.
 *
 * Why a release and not only a full collection (`bun:jsc` `fullGC`, 3–5 ms against ~10 ms): a
 * full collection frees the garbage but the allocator keeps its pages, so the resident size
 * settles at the highest working set the reading ever had (1M-line future case: 96–98 MB
 * however often the collection ran, every 2, 3 or 4 batches; 93–94 MB with the release), while after a release it drops
 * ~8 MB and climbs back ~2 MB a batch until it is over the budget again: the peak is the budget
 * plus a batch or two (bench/ingest.ts, alternating: −4 to −5 MB in the three catch-up cases for
 * +0.1–0.2 s CPU per million lines; README "Peak memory during a catch-up"). Since the resident
 * size drops under the budget, releases are fewer than the full collections were (24 against 28).
 *
 * Under the budget, a full collection (`bun:jsc` `fullGC`, no release: ~3 ms) runs every
 * COLLECT_EVERY_BYTES read from the first batch on. Each batch's runs live until its commit, so
 * JavaScriptCore's young collections during it promote them: about 0.9 MB of garbage a batch that
 * only a full collection frees. Collected every 4 MiB, that garbage is reused by the next batches
 * instead of climbing to the budget, so releases become rare (10M backfill: 2 releases and 283
 * collections, 0.89 s, against 138 releases, 1.74 s, peak 89 against 92 MB; fewer pages handed
 * back and faulted in again: −0.5 s system time; README "Peak memory during a catch-up"). Tried:
 * every 2 or 3 MiB (1M: 0–3 MB lower peak for 1.2–1.6× the collections' cost), every 6 or 8
 * (8–15 releases per million lines again).
 *
 * When a poll has read the input to its end after at least RELEASE_AFTER_BYTES, memory is also
 * released, whatever the resident size, so what follows the catch-up (the alert delivery spawns
 * the notifier, about 4 MB of Bun's own pages) starts from the floor instead of adding to the
 * catch-up's working set.
 *
 * What was measured and not kept (CPU): also a young-generation collection after every batch
 * (10M lines: +4.3 s, and young ones alone let the process grow to 3.9 GB, since they keep
 * JavaScriptCore from ever running a full one); `gcAndSweep`, or `fullGC` with `Bun.shrink()`,
 * instead of the release (1M future case: 96–97 and 95–100 MB against 93–94); a release at most
 * every 6 batches (no less CPU within the noise, 1–4 MB more).
 */
import { fullGC } from "bun:jsc";

/** Resident size above which memory is released after a batch. */
export const RSS_BUDGET_BYTES = 88 * 1024 * 1024;
/**
 * Fewest batches between two releases after a batch. Only input heavy in rejects (about 4 MB of
 * garbage a batch) stays over the budget between the collections every COLLECT_EVERY_BYTES; 1M
 * future case: peak 92–93 MB with 2, 94–104 MB with 4 (README "Peak memory during a catch-up").
 */
export const RELEASE_MIN_BATCHES = 2;
/** Bytes read since the last release for a caught-up poll to release memory (a few batches; never for a line a minute). */
export const RELEASE_AFTER_BYTES = 4 * 1024 * 1024;
/** Bytes read since the last collection (or release) for a full collection after a batch under the budget. */
export const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

export interface GarbageCollector {
  /** A full collection that also returns the allocators' free pages to the system (costs ~10 ms). */
  releaseMemory(): void;
  /** A full collection only: the garbage is freed for reuse, the pages stay (costs ~3 ms). */
  collect(): void;
  residentBytes(): number;
}

export const bunGarbageCollector: GarbageCollector = {
  releaseMemory: () => {
    Bun.gc(true);
  },
  collect: () => {
    fullGC();
  },
  residentBytes: () => process.memoryUsage.rss(),
};

export class BatchMemory {
  private batchesSinceRelease = RELEASE_MIN_BATCHES;
  private bytesSinceRelease = 0;
  private bytesSinceCollection = 0;

  constructor(
    private readonly gc: GarbageCollector = bunGarbageCollector,
    private readonly budgetBytes = RSS_BUDGET_BYTES,
  ) {}

  /** Call after each committed batch of `bytes`; says whether memory was released (a collection alone is not). */
  afterBatch(bytes: number): boolean {
    // Only caughtUp() resets the bytes: the end of a catch-up releases even if a batch just did (one ~10 ms call).
    this.bytesSinceRelease += bytes;
    this.bytesSinceCollection += bytes;
    this.batchesSinceRelease++;
    if (this.batchesSinceRelease >= RELEASE_MIN_BATCHES && this.gc.residentBytes() > this.budgetBytes) {
      this.gc.releaseMemory();
      this.batchesSinceRelease = 0;
      this.bytesSinceCollection = 0;
      return true;
    }
    if (this.bytesSinceCollection >= COLLECT_EVERY_BYTES) {
      this.gc.collect();
      this.bytesSinceCollection = 0;
    }
    return false;
  }

  /** Call when a poll has read the input to its end; says whether memory was released. */
  caughtUp(): boolean {
    if (this.bytesSinceRelease < RELEASE_AFTER_BYTES) return false;
    this.gc.releaseMemory();
    this.bytesSinceRelease = 0;
    this.bytesSinceCollection = 0;
    this.batchesSinceRelease = 0;
    return true;
  }
}
