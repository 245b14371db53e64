import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BatchMemory, FULL_COLLECTION_MIN_BATCHES, type GarbageCollector } from "../src/batch-memory.ts";
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { RunWriter } from "../src/store/runs.ts";
import { Tailer } from "../src/tailer.ts";
import { runLines, tempDir } from "./helpers.ts";

const MB = 1024 * 1024;

/** A collector whose resident size is whatever the test says, counting its full collections. */
function fakeCollector(residentMb: () => number): GarbageCollector & { fulls: number } {
  const gc = { fulls: 0, fullCollection: () => void gc.fulls++, residentBytes: () => residentMb() * MB };
  return gc;
}

describe("BatchMemory", () => {
  test("under the budget, no collection is forced", () => {
    const gc = fakeCollector(() => 60);
    const memory = new BatchMemory(gc, 88 * MB);
    for (let i = 0; i < 50; i++) expect(memory.afterBatch()).toBe(false);
    expect(gc.fulls).toBe(0);
  });

  test("over the budget, a full collection runs, at most once per FULL_COLLECTION_MIN_BATCHES batches", () => {
    const gc = fakeCollector(() => 200); // a footprint a full collection cannot bring under the budget
    const memory = new BatchMemory(gc, 88 * MB);
    const collected = Array.from({ length: 10 * FULL_COLLECTION_MIN_BATCHES }, () => memory.afterBatch());
    expect(gc.fulls).toBe(10);
    expect(collected[0]).toBe(true); // the first batch over the budget is not kept waiting
  });

  test("a full collection only when the resident size is over the budget", () => {
    let rss = 80;
    const gc = fakeCollector(() => rss);
    const memory = new BatchMemory(gc, 88 * MB);
    const collected = [80, 87, 89, 70, 75, 80, 85, 90, 95].map((mb) => {
      rss = mb;
      return memory.afterBatch();
    });
    expect(collected).toEqual([false, false, true, false, false, false, false, true, false]);
  });
});

describe("Tailer afterBatch", () => {
  let db: Database | null = null;
  afterEach(() => db?.close());

  test("is called once after each committed batch, whatever the file's size, and not when there is nothing new", () => {
    const dir = tempDir("cc-batch-memory-");
    const input = join(dir, "ladder.jsonl");
    db = openDatabase(join(dir, "ladder.db"));
    const writer = new RunWriter(db);
    let commits = 0;
    const sink = { checkpoint: (source: string) => writer.checkpoint(source), commit: (...args: Parameters<RunWriter["commit"]>) => (commits++, writer.commit(...args)) };
    let batches = 0;
    const tailer = new Tailer(sink, { source: input, maxLineBytes: 1024, chunkBytes: 100, log: createLogger("error", []), clock: () => new Date(), afterBatch: () => batches++ });
    writeFileSync(input, runLines(0, 200));
    expect(tailer.poll().inserted).toBe(200);
    expect(commits).toBeGreaterThan(10); // many small batches
    expect(batches).toBe(commits);
    tailer.poll();
    expect(batches).toBe(commits);
    tailer.close();
  });
});
