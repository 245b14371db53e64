/** The daemon's timer helper and its one debounced directory watch, on a manual clock. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { nearestExistingDirectory, watchFile } from "../src/daemon/dir-watch.ts";
import { Scheduler } from "../src/daemon/scheduler.ts";
import { createLogger } from "../src/logger.ts";
import { FakeDirectoryWatch, ManualTimers } from "./daemon-fakes.ts";

function setup(): { timers: ManualTimers; scheduler: Scheduler; runs: string[] } {
  const timers = new ManualTimers();
  return { timers, scheduler: new Scheduler(timers), runs: [] };
}

describe("Scheduler", () => {
  test("a named task replaces its pending run; cancel and stop remove tasks", () => {
    const { timers, scheduler, runs } = setup();
    scheduler.after("a", 100, () => runs.push("a1"));
    scheduler.after("a", 300, () => runs.push("a2"));
    scheduler.after("b", 200, () => runs.push("b"));
    timers.advance(250);
    expect(runs).toEqual(["b"]);
    timers.advance(50);
    expect(runs).toEqual(["b", "a2"]);
    scheduler.after("c", 10, () => runs.push("c"));
    scheduler.cancel("c");
    scheduler.every("d", 10, () => runs.push("d"));
    scheduler.stop();
    scheduler.after("e", 0, () => runs.push("e"));
    timers.advance(1000);
    expect(runs).toEqual(["b", "a2"]);
    expect(timers.scheduled).toBe(0);
  });

  test("every repeats until cancelled; coalesce runs once per burst, after the first call", () => {
    const { timers, scheduler, runs } = setup();
    scheduler.every("poll", 100, () => runs.push(`poll@${timers.now() - 1_000_000}`));
    timers.advance(350);
    expect(runs).toEqual(["poll@100", "poll@200", "poll@300"]);
    scheduler.cancel("poll");
    runs.length = 0;
    scheduler.coalesce("event", 20, () => runs.push(`event@${timers.now() - 1_000_000}`));
    timers.advance(10);
    scheduler.coalesce("event", 20, () => runs.push("second"));
    timers.advance(30);
    expect(runs).toEqual(["event@370"]);
  });

  test("a deadline beyond setTimeout's limit (about 24.8 days) is re-armed, not fired early", () => {
    const { timers, scheduler, runs } = setup();
    const thirtyDays = 30 * 86_400_000;
    scheduler.at("far", timers.now() + thirtyDays, () => runs.push("far"));
    timers.advance(2 ** 31); // past the first arming
    expect(runs).toEqual([]);
    expect(scheduler.nextRunAt("far")).toBe(1_000_000 + thirtyDays);
    timers.advance(thirtyDays - 2 ** 31);
    expect(runs).toEqual(["far"]);
  });
});

describe("watchFile", () => {
  const log = createLogger("error", []);

  test("the nearest existing directory of a path", () => {
    const exists = (path: string): boolean => ["/", "/home", "/home/ada"].includes(path);
    expect(nearestExistingDirectory("/home/ada/logs/deep", exists)).toBe("/home/ada");
    expect(nearestExistingDirectory("/home/ada", exists)).toBe("/home/ada");
  });

  test("events for the file (and its rotated names) fire once per burst; other names do not", () => {
    const timers = new ManualTimers();
    const scheduler = new Scheduler(timers);
    const watch = new FakeDirectoryWatch();
    let changes = 0;
    const dir = import.meta.dir;
    watchFile({ path: join(dir, "ladder.jsonl"), scheduler, taskName: "t", delayMs: 20, onChange: () => changes++, watchDirectory: watch.watchDirectory, log });
    expect(watch.watched).toEqual([dir]);
    watch.emit(dir, "ladder.jsonl");
    watch.emit(dir, "ladder.jsonl.1");
    watch.emit(dir, null);
    timers.advance(20);
    expect(changes).toBe(1);
    watch.emit(dir, "other.txt");
    timers.advance(100);
    expect(changes).toBe(1);
  });

  test("a missing directory: its existing parent is watched, then the directory once it appears", () => {
    const timers = new ManualTimers();
    const scheduler = new Scheduler(timers);
    const watch = new FakeDirectoryWatch();
    let changes = 0;
    const parent = import.meta.dir; // exists
    const target = join(parent, "fixtures"); // exists too: stands for "created meanwhile"
    const missing = join(parent, "no-such-dir-yet");
    const w = watchFile({ path: join(missing, "x", "runs.jsonl"), scheduler, taskName: "t", delayMs: 20, onChange: () => changes++, watchDirectory: watch.watchDirectory, log });
    expect(watch.watched).toEqual([parent]);
    watch.emit(parent, "unrelated");
    timers.advance(100);
    expect(changes).toBe(0);
    w.close();
    expect(watch.isWatching(parent)).toBe(false);

    const w2 = watchFile({ path: join(target, "runs.jsonl"), scheduler, taskName: "u", delayMs: 20, onChange: () => changes++, watchDirectory: watch.watchDirectory, log });
    expect(watch.watched.at(-1)).toBe(target);
    w2.close();
  });
});
