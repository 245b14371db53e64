import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BatchMemory, COLLECT_EVERY_BYTES, RELEASE_MIN_BATCHES, RELEASE_AFTER_BYTES, type GarbageCollector } from "../src/batch-memory.ts";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { RunWriter } from "../src/store/runs.ts";
import { Tailer, type TailerOptions } from "../src/tailer.ts";
import { runLines, tempDir } from "./helpers.ts";

const MB = 1024 * 1024;
const BATCH = MB; // a full batch of a catch-up

/** A collector whose resident size is whatever the test says, counting its releases and collections. */
function fakeCollector(residentMb: () => number): GarbageCollector & { releases: number; collections: number } {
  const gc = { releases: 0, collections: 0, releaseMemory: () => void gc.releases++, collect: () => void gc.collections++, residentBytes: () => residentMb() * MB };
  return gc;
}

describe("BatchMemory", () => {
  test("under the budget, no release is forced", () => {
    const gc = fakeCollector(() => 60);
    const memory = new BatchMemory(gc, 88 * MB);
    for (let i = 0; i < 50; i++) expect(memory.afterBatch(BATCH)).toBe(false);
    expect(gc.releases).toBe(0);
  });

  test("over the budget, memory is released (not only collected: a full collection leaves the pages resident), at most once per RELEASE_MIN_BATCHES batches", () => {
    const gc = fakeCollector(() => 200); // a footprint a release cannot bring under the budget
    const memory = new BatchMemory(gc, 88 * MB);
    const collected = Array.from({ length: 10 * RELEASE_MIN_BATCHES }, () => memory.afterBatch(BATCH));
    expect(gc.releases).toBe(10);
    expect(collected[0]).toBe(true); // the first batch over the budget is not kept waiting
  });

  test("a release only when the resident size is over the budget", () => {
    let rss = 80;
    const gc = fakeCollector(() => rss);
    const memory = new BatchMemory(gc, 88 * MB);
    const collected = [80, 87, 89, 70, 75, 80, 85, 90, 95].map((mb) => {
      rss = mb;
      return memory.afterBatch(BATCH);
    });
    expect(collected).toEqual([false, false, true, false, false, false, false, true, false]);
  });

  test("under the budget, a full collection (no release) every COLLECT_EVERY_BYTES read, from the first batch on", () => {
    const gc = fakeCollector(() => 60);
    const memory = new BatchMemory(gc, 88 * MB);
    const perCollection = COLLECT_EVERY_BYTES / BATCH;
    const collections = Array.from({ length: 10 * perCollection }, () => {
      memory.afterBatch(BATCH);
      return gc.collections;
    });
    expect(gc.releases).toBe(0);
    expect(collections.slice(0, perCollection)).toEqual([...Array<number>(perCollection - 1).fill(0), 1]);
    expect(gc.collections).toBe(10);
  });

  test("a release counts as a collection: the next collection waits COLLECT_EVERY_BYTES after it", () => {
    let rss = 95;
    const gc = fakeCollector(() => rss);
    const memory = new BatchMemory(gc, 88 * MB);
    expect(memory.afterBatch(BATCH)).toBe(true);
    rss = 60;
    for (let read = BATCH; read < COLLECT_EVERY_BYTES; read += BATCH) memory.afterBatch(BATCH);
    expect(gc.collections).toBe(0);
    memory.afterBatch(BATCH);
    expect(gc.collections).toBe(1);
    expect(gc.releases).toBe(1);
  });

  test("a collector reading a line at a time collects only once COLLECT_EVERY_BYTES of lines add up", () => {
    const gc = fakeCollector(() => 60);
    const memory = new BatchMemory(gc, 88 * MB);
    const lineBytes = 120;
    for (let i = 0; i < Math.floor(COLLECT_EVERY_BYTES / lineBytes); i++) memory.afterBatch(lineBytes);
    expect(gc.collections).toBe(0);
    for (let i = 0; i < 10; i++) memory.afterBatch(lineBytes);
    expect(gc.collections).toBe(1);
  });

  test("a caught-up poll releases memory once RELEASE_AFTER_BYTES were read since the last release, whatever the resident size", () => {
    const gc = fakeCollector(() => 60);
    const memory = new BatchMemory(gc, 88 * MB);
    const batches = Math.ceil(RELEASE_AFTER_BYTES / BATCH);
    for (let i = 0; i < batches - 1; i++) memory.afterBatch(BATCH);
    expect(memory.caughtUp()).toBe(false); // a short catch-up: not worth a release
    memory.afterBatch(BATCH);
    expect(memory.caughtUp()).toBe(true);
    expect(gc.releases).toBe(1);
    expect(memory.caughtUp()).toBe(false); // nothing read since
    expect(gc.releases).toBe(1);
  });

  test("a collector reading a line at a time never releases on every poll: only once the lines add up", () => {
    const gc = fakeCollector(() => 95);
    const memory = new BatchMemory(gc, 88 * MB);
    const lineBytes = 120;
    let releases = 0;
    const polls = Math.ceil(RELEASE_AFTER_BYTES / lineBytes) + 10;
    for (let i = 0; i < polls; i++) {
      memory.afterBatch(lineBytes);
      if (memory.caughtUp()) releases++;
    }
    expect(releases).toBe(1);
  });

  test("a caught-up poll's release counts as a batch's: the next forced one waits RELEASE_MIN_BATCHES batches", () => {
    const gc = fakeCollector(() => 200);
    const memory = new BatchMemory(gc, 88 * MB);
    memory.afterBatch(RELEASE_AFTER_BYTES); // over the budget: collected
    expect(memory.caughtUp()).toBe(true);
    const collected = Array.from({ length: RELEASE_MIN_BATCHES }, () => memory.afterBatch(BATCH));
    expect(collected).toEqual([...Array<boolean>(RELEASE_MIN_BATCHES - 1).fill(false), true]);
  });
});

describe("Tailer afterBatch and caughtUp", () => {
  let db: Database | null = null;
  afterEach(() => db?.close());

  function tailerOn(dir: string, options: Partial<TailerOptions>): { tailer: Tailer; input: string; commits: () => number } {
    const input = join(dir, "ladder.jsonl");
    db = openDatabase(join(dir, "ladder.db"));
    const writer = new RunWriter(db);
    let commits = 0;
    const sink = { checkpoint: (source: string) => writer.checkpoint(source), commit: (...args: Parameters<RunWriter["commit"]>) => (commits++, writer.commit(...args)) };
    const tailer = new Tailer(sink, { source: input, maxLineBytes: 1024, chunkBytes: 100, log: createLogger("error", []), clock: () => new Date(), ...options });
    return { tailer, input, commits: () => commits };
  }

  test("afterBatch is called once after each committed batch with its bytes, whatever the file's size, and not when there is nothing new", () => {
    const sizes: number[] = [];
    const { tailer, input, commits } = tailerOn(tempDir("cc-batch-memory-"), { afterBatch: (bytes) => sizes.push(bytes) });
    writeFileSync(input, runLines(0, 200));
    expect(tailer.poll().inserted).toBe(200);
    expect(commits()).toBeGreaterThan(10); // many small batches
    expect(sizes.length).toBe(commits());
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(runLines(0, 200))); // every byte counted once
    tailer.poll();
    expect(sizes.length).toBe(commits());
    tailer.close();
  });

  test("caughtUp is called when a poll read the input to its end, not when it stopped early to yield", () => {
    let caughtUp = 0;
    const { tailer, input } = tailerOn(tempDir("cc-batch-memory-"), { caughtUp: () => caughtUp++ });
    writeFileSync(input, runLines(0, 200));
    let first = true;
    tailer.poll(() => first && !(first = false)); // yields after the first batch
    expect(caughtUp).toBe(0);
    tailer.poll();
    expect(caughtUp).toBe(1);
    appendFileSync(input, runLines(200, 1));
    tailer.poll();
    expect(caughtUp).toBe(2);
    tailer.close();
  });
});
