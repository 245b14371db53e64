import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { withExclusiveLock } from "../src/file-lock.ts";
import { tempDir } from "./helpers.ts";

describe("withExclusiveLock", () => {
  test("holds flock on the file while the body runs; a second holder waits, then runs without it", () => {
    const path = join(tempDir("cc-lock-"), "input.jsonl");
    const first = openSync(path, "a");
    const second = openSync(path, "a");
    try {
      const order: string[] = [];
      const outer = withExclusiveLock(first, 1000, () => {
        order.push("outer");
        // Same file, another open file description: flock makes it wait, here until its deadline.
        const started = performance.now();
        const inner = withExclusiveLock(second, 50, () => order.push("inner"));
        expect(inner).toBe(false);
        expect(performance.now() - started).toBeGreaterThanOrEqual(45);
      });
      expect(outer).toBe(true);
      expect(order).toEqual(["outer", "inner"]);
      // Released after the body: the second descriptor gets it at once.
      expect(withExclusiveLock(second, 0, () => {})).toBe(true);
    } finally {
      closeSync(first);
      closeSync(second);
    }
  });
});
