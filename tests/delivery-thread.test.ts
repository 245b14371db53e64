import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DELIVERY_THREAD_IDLE_MS, DeliveryThread } from "../src/notify/delivery-thread.ts";
import { openDatabase } from "../src/store/database.ts";
import { tempDir, waitFor } from "./helpers.ts";

const threads: DeliveryThread[] = [];

afterEach(() => {
  for (const thread of threads.splice(0)) thread.close();
});

function deliveryThread(idleMs: number): DeliveryThread {
  const database = join(tempDir("cc-delivery-"), "ladder.db");
  openDatabase(database).close();
  const thread = new DeliveryThread(database, idleMs);
  threads.push(thread);
  return thread;
}

const job = { action: { kind: "spawn", argv: ["true"], env: { PATH: process.env.PATH }, timeoutMs: 5000 }, alertId: 1, backend: "command", backends: ["command"], clockOffsetMs: 0 } as const;

describe("the delivery thread", () => {
  test("stops within seconds of its last delivery, not after a minute (a resident collector is mostly idle)", () => {
    expect(DELIVERY_THREAD_IDLE_MS).toBeLessThanOrEqual(10_000);
  });

  test("stops once idle for its idle time and starts again for the next delivery", async () => {
    const thread = deliveryThread(50);
    expect(thread.running).toBe(false);
    expect((await thread.run(job)).result).toEqual({ ok: true });
    expect(thread.running).toBe(true);
    await waitFor(() => !thread.running, 5000, "the idle thread to stop");
    expect((await thread.run(job)).result).toEqual({ ok: true });
    expect(thread.running).toBe(true);
  });

  test("stays up while deliveries keep coming within its idle time", async () => {
    const thread = deliveryThread(2000);
    await thread.run(job);
    await thread.run(job);
    expect(thread.running).toBe(true);
  });
});
