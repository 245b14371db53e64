import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rotatingFileSink } from "../src/log-file.ts";
import { removePidFile, writePidFile } from "../src/pid-file.ts";
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

describe("symlinks planted in log_dir", () => {
  test("the log is not written through a symlink at its name", () => {
    const dir = tempDir("cc-log-");
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(dir, "daemon.log"));
    const sink = rotatingFileSink(join(dir, "daemon.log"), 1000, 2);
    sink("attacker-controlled text");
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });

  test("the pid file replaces a symlink at its name instead of writing through it", () => {
    const dir = tempDir("cc-pid-");
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    const pidFile = join(dir, "collector.pid");
    symlinkSync(victim, pidFile);
    writePidFile(pidFile, 4242);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(pidFile).isSymbolicLink()).toBe(false);
    expect(readFileSync(pidFile, "utf8")).toBe("4242\n");
    expect(statSync(pidFile).mode & 0o777).toBe(0o600);
    removePidFile(pidFile, 4242);
    expect(existsSync(pidFile)).toBe(false);
  });

  test("removing the pid file leaves a symlink's target alone", () => {
    const dir = tempDir("cc-pid-");
    const victim = join(dir, "victim");
    writeFileSync(victim, "4242\n");
    symlinkSync(victim, join(dir, "collector.pid"));
    removePidFile(join(dir, "collector.pid"), 4242);
    expect(readFileSync(victim, "utf8")).toBe("4242\n");
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
