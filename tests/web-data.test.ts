/** The dashboard's stats documents: reused across commits for a short window, never past it. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jobKey } from "../src/config/jobs.ts";
import { openWebData, STATS_REUSE_MS, type WebData } from "../src/web/data.ts";
import { NOW, run, startFixture, type WebFixture } from "./web-fixture.ts";

let f: WebFixture;
let data: WebData;
let monotonicMs = 0;

beforeAll(async () => {
  f = await startFixture("", [run("backup", 30), run("api", 20)]);
  data = openWebData(f.config, { monotonicMs: () => monotonicMs });
});

afterAll(async () => {
  data.close();
  await f.close();
});

describe("stats documents", () => {
  test("a commit within the reuse window is missed, and seen from settledAtMs on", () => {
    monotonicMs = 10_000;
    const before = data.stats(NOW);
    f.ingest([run("api", 1, 1)]);
    monotonicMs = 10_000 + STATS_REUSE_MS - 1;
    expect(data.stats(NOW)).toBe(before);
    expect(data.settledAtMs()).toBe(10_000 + STATS_REUSE_MS);
    monotonicMs = data.settledAtMs();
    const after = data.stats(NOW);
    expect(after).not.toBe(before);
    expect(after.total_entries).toBe(before.total_entries + 1);
    expect(after.jobs.find((job) => job.name === "api")?.state).toBe("failing");
  });

  test("without a commit a document outlives the window; a pause of our own is seen at once", () => {
    monotonicMs = 20_000;
    const first = data.stats(NOW);
    monotonicMs = 60_000;
    expect(data.stats(NOW)).toBe(first);
    data.setPause(jobKey("backup", f.config.defaultJob), NOW.getTime() + 3_600_000, NOW);
    const paused = data.stats(NOW);
    expect(paused).not.toBe(first);
    expect(paused.jobs.find((job) => job.name === "backup")?.state).toBe("paused");
  });

  test("each job's document has its own window; forget() drops them all", () => {
    monotonicMs = 70_000;
    const all = data.stats(NOW);
    const one = data.stats(NOW, "api");
    expect(data.stats(NOW, "api")).toBe(one);
    data.forget();
    expect(data.stats(NOW)).not.toBe(all);
    expect(data.stats(NOW, "api")).not.toBe(one);
  });

  test("a document a second old by the clock it shows is recomputed, committed or not", () => {
    monotonicMs = 80_000;
    const first = data.stats(NOW);
    expect(data.stats(new Date(NOW.getTime() + 999))).toBe(first);
    expect(data.stats(new Date(NOW.getTime() + 1000))).not.toBe(first);
  });

  test("a document that took long to compute is reused four times as long, across commits and by its clock", () => {
    // The monotonic clock moves 1 s while the document is computed (read before and after).
    let reads = 0;
    const slow = openWebData(f.config, { monotonicMs: () => (monotonicMs += reads++ % 2 === 1 ? 1000 : 0) });
    try {
      monotonicMs = 100_000;
      const first = slow.stats(NOW);
      expect(slow.settledAtMs()).toBe(104_000);
      f.ingest([run("api", 1)]);
      monotonicMs = 103_000 - 1; // the next read is "before a computation": no move
      reads = 0;
      expect(slow.stats(new Date(NOW.getTime() + 3_999))).toBe(first);
      monotonicMs = 104_000;
      reads = 0;
      expect(slow.stats(new Date(NOW.getTime() + 3_999))).not.toBe(first);
    } finally {
      slow.close();
    }
  });
});
