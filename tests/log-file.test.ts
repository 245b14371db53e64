import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { rotatingFileSink } from "../src/log-file.ts";
import { createLogger, formatLogLine } from "../src/logger.ts";
import { tempDir } from "./helpers.ts";

describe("rotatingFileSink", () => {
  test("rotates by size and keeps log_keep old files, newest first", () => {
    const path = join(tempDir("cc-log-"), "logs", "daemon.log");
    const sink = rotatingFileSink(path, 100, 2);
    for (let i = 0; i < 10; i++) sink(`line ${i} ${"x".repeat(30)}`); // 40 bytes each: two per file
    expect(readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => line.slice(0, 6))).toEqual(["line 8", "line 9"]);
    expect(readFileSync(`${path}.1`, "utf8")).toStartWith("line 6");
    expect(readFileSync(`${path}.2`, "utf8")).toStartWith("line 4");
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("log_keep 0 keeps no old file", () => {
    const path = join(tempDir("cc-log-"), "collector.log");
    const sink = rotatingFileSink(path, 50, 0);
    for (let i = 0; i < 5; i++) sink(`line ${i} ${"y".repeat(30)}`);
    expect(readFileSync(path, "utf8")).toStartWith("line 4");
    expect(existsSync(`${path}.1`)).toBe(false);
  });
});

describe("logger", () => {
  test("writes timestamped, leveled lines at or above its level, which can change", () => {
    const lines: string[] = [];
    const log = createLogger("info", [(line) => lines.push(line)], () => new Date("2025-07-29T04:30:00Z"));
    log.debug("hidden");
    log.info("shown");
    log.setLevel("debug");
    log.debug("now shown");
    expect(lines).toEqual([formatLogLine(new Date("2025-07-29T04:30:00Z"), "info", "shown"), "2025-07-29T04:30:00.000Z DEBUG now shown"]);
  });
});
