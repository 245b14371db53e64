import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSounds } from "../src/config/config.ts";
import { checkInterval } from "../src/config/fields.ts";
import { loadConfig, locateConfig, parseConfig, reloadProblem } from "../src/config/load.ts";
import type { ConfigProblemCode } from "../src/config/section.ts";
import { CollectorError } from "../src/errors.ts";

const context = { home: "/home/ada", baseDir: "/etc/cron-collector" };

function problems(text: string): string[] {
  const parsed = parseConfig(text, "config.yaml", context);
  if (parsed.problems.length === 0) throw new Error("expected problems");
  return parsed.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
}

function config(text: string) {
  const parsed = parseConfig(text, "config.yaml", context);
  if (parsed.problems.length > 0) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe("config", () => {
  test("an empty file gives the defaults", () => {
    const defaults = config("");
    expect(defaults.input).toBe("/home/ada/logs/ladder.jsonl");
    expect(defaults.database).toBe("/home/ada/.cron_dash/ladder.db");
    expect(defaults.logDir).toBe("/home/ada/.cron_dash");
    expect(defaults.checkIntervalMs).toBe(30_000);
    expect(defaults.statsIntervalMs).toBe(300_000);
    expect(defaults.logLevel).toBe("info");
    expect(defaults.defaultJob).toBe("ladder");
    expect(defaults.notify.backend).toBe("auto");
    expect(defaults.notify.maxAgeMs).toBe(3_600_000);
    expect(defaults.notify.maxPerMinute).toBe(5);
    expect(defaults.notify.sounds).toEqual(defaultSounds);
  });

  test("the repository's config.yaml, as committed, holds exactly the defaults", async () => {
    // The committed file: users edit their copy as the README tells them, and the suite must not
    // depend on that (it falls back to the file only outside a git checkout).
    const committed = Bun.spawnSync(["git", "show", "HEAD:config.yaml"], { cwd: join(import.meta.dir, ".."), stdout: "pipe", stderr: "ignore" });
    const text = committed.exitCode === 0 ? committed.stdout.toString() : await Bun.file(join(import.meta.dir, "..", "config.yaml")).text();
    expect({ ...config(text), file: null }).toEqual({ ...config(""), file: null });
  });

  test("expands ~ and resolves relative paths against the config file's directory", () => {
    const parsed = config("input: ~/cron/runs.jsonl\ndatabase: data/runs.db\nlog_dir: /var/log/cc\n");
    expect(parsed.input).toBe("/home/ada/cron/runs.jsonl");
    expect(parsed.database).toBe("/etc/cron-collector/data/runs.db");
    expect(parsed.logDir).toBe("/var/log/cc");
    expect(parsed.defaultJob).toBe("runs");
  });

  test("accepts durations as seconds or with units", () => {
    expect(config("check_interval: 5").checkIntervalMs).toBe(5000);
    expect(config('check_interval: "30"').checkIntervalMs).toBe(30_000); // a quoted number is seconds too
    expect(config("check_interval: 30s").checkIntervalMs).toBe(30_000);
    expect(config("busy_timeout: 250ms").busyTimeoutMs).toBe(250);
    expect(config("check_interval: 2m").checkIntervalMs).toBe(120_000);
    expect(config("check_interval: 0.5").checkIntervalMs).toBe(500);
    expect(config("notify:\n  max_age: 2d\n").notify.maxAgeMs).toBe(2 * 86_400_000);
  });

  test("reads sound rules for single exit codes and ranges", () => {
    expect(config("notify:\n  sounds:\n    2: Frog\n    128-159: Hero\n").notify.sounds).toEqual([
      { first: 2, last: 2, sound: "Frog" },
      { first: 128, last: 159, sound: "Hero" },
    ]);
  });

  test.each([
    ["check_interval: soon\n", "invalid-value", '1:17 "check_interval" must be a number of seconds or a duration such as 30s, got "soon"'],
    ["check_intervall: 5\n", "unknown-key", '1:1 unknown key "check_intervall"; did you mean "check_interval"?'],
    ["input: ~/x\nlog_level: loud\n", "invalid-value", '2:12 "log_level" must be one of debug, info, warn, error, got "loud"'],
    ["check_interval: 0\n", "out-of-range", '1:17 "check_interval" must be a number of seconds or a duration such as 30s, from 100ms to 1d, got 0'],
    ["max_line_bytes: 12\n", "out-of-range", '"max_line_bytes" must be a whole number from 1024 to 67108864, got 12'],
    ["notify:\n  backend: pager\n", "invalid-value", '2:12 "notify.backend" must be one of auto, terminal-notifier'],
    ["notify:\n  max_per_minit: 3\n", "unknown-key", 'unknown key "notify.max_per_minit"; did you mean "max_per_minute"?'],
    ["notify: yes\n", "not-a-mapping", '"notify" must be a mapping of settings'],
    ["notify:\n  backend: command\n", "conflict", '"notify.command" must name the program to run'],
    ["notify:\n  sounds:\n    loud: Basso\n", "invalid-value", '"notify.sounds" keys must be an exit code or a range'],
    ["notify:\n  sounds:\n    2: -remove\n", "invalid-value", '"notify.sounds.2" must be a sound name such as Basso'],
    ["notify:\n  sound: \"[x]\"\n", "invalid-value", '"notify.sound" must be a sound name such as Basso'],
    ["notify:\n  max_age: forever\n", "invalid-value", '"notify.max_age" must be a duration such as 30s, 5m or 1h, got "forever"'],
    ["input: [a, b]\n", "invalid-value", '"input" must be a non-empty string, got a list'],
    ["- a\n- b\n", "not-a-mapping", "the file must be a mapping of settings"],
    ["input: ~/x\ninput: ~/y\n", "duplicate-key", '2:1 duplicate key "input": it is already set above'],
    ["input: 'unterminated\n", "yaml-syntax", "YAML syntax"],
    ["# settings\ninput: ~/x\nlog_level: info\ninput: ~/y\n", "duplicate-key", '4:1 duplicate key "input": it is already set above'],
    ["notify:\n  backend: none\n  max_age: 1h\n  backend: auto\n", "duplicate-key", '4:3 duplicate key "notify.backend"'],
    ["jobs:\n  a: { every: 1m, every: 2m }\n", "duplicate-key", 'duplicate key "jobs.a.every"'],
    ["notify:\n  max_age: 400d\n", "out-of-range", '"notify.max_age" must be a duration such as 30s, 5m or 1h, from 0s to 365d, got "400d"'],
    ["busy_timeout: 1h\n", "out-of-range", '"busy_timeout" must be a duration such as 30s, 5m or 1h, from 0s to 5m, got "1h"'],
    ["notify:\n  max_per_minute: 0\n", "out-of-range", '"notify.max_per_minute" must be a whole number from 1 to 1000, got 0'],
    ["notify:\n  max_per_minute: 2.5\n", "invalid-value", '"notify.max_per_minute" must be a whole number from 1 to 1000, got 2.5'],
  ])("reports %j as %s", (text, code, message) => {
    expect(problems(text).join("\n")).toContain(message);
    expect(parseConfig(text, "config.yaml", context).problems.map((problem) => problem.code)).toEqual([code as ConfigProblemCode]);
  });

  test("a field with a problem falls back to its default, the others are still read", () => {
    const parsed = parseConfig("log_dir: /var/cc\ncheck_interval: soon\n", "config.yaml", context);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.config.logDir).toBe("/var/cc");
    expect(parsed.config.checkIntervalMs).toBe(30_000);
  });

  test("reads jobs with every or cron schedules and their settings", () => {
    const parsed = config(`notify:\n  alert_after: 2\njobs:\n  backup: { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m, max_duration: 1h }\n  ladder: { every: 1m, grace: 30s }\n  order-check: { every: 5m, alert_after: 3 }\n  adhoc: {}\n`);
    expect(parsed.jobs).toEqual([
      { name: "backup", schedule: { kind: "cron", expression: "0 3 * * *", timezone: "Europe/Berlin" }, graceMs: 900_000, maxDurationMs: 3_600_000, alertAfter: 2, remindEveryMs: null },
      { name: "ladder", schedule: { kind: "every", periodMs: 60_000 }, graceMs: 30_000, maxDurationMs: null, alertAfter: 2, remindEveryMs: null },
      { name: "order-check", schedule: { kind: "every", periodMs: 300_000 }, graceMs: 300_000, maxDurationMs: null, alertAfter: 3, remindEveryMs: null },
      { name: "adhoc", schedule: null, graceMs: 300_000, maxDurationMs: null, alertAfter: 2, remindEveryMs: null },
    ]);
    expect(config("retention_days: 90\n").retentionDays).toBe(90);
  });

  test.each([
    ['jobs:\n  backup: { cron: "0 25 * * *" }\n', '"jobs.backup.cron": invalid cron expression "0 25 * * *"'],
    ['jobs:\n  backup: { cron: "0 3 * *" }\n', "a cron expression has 5 fields"],
    ['jobs:\n  backup: { cron: "0 3 * * *", timezone: Mars/Base }\n', '2:42 "jobs.backup.timezone": unknown time zone "Mars/Base"'],
    ["jobs:\n  backup: { every: 1m, cron: \"* * * * *\" }\n", 'has both "every" and "cron"'],
    ["jobs:\n  backup: { every: often }\n", '"jobs.backup.every" must be a duration such as 30s, 5m or 1h, got "often"'],
    ["jobs:\n  backup: { every: 1m, grase: 30s }\n", 'unknown key "jobs.backup.grase"; did you mean "grace"?'],
    ["jobs:\n  backup: { every: 1m, alert_after: 0 }\n", '"jobs.backup.alert_after" must be a whole number from 1 to 1000'],
    ["jobs:\n  backup: { every: 1m, timezone: UTC }\n", '"jobs.backup.timezone" only applies to a "cron" schedule'],
  ])("reports job problem %j", (text, message) => {
    expect(problems(text).join("\n")).toContain(message);
  });

  test("reports every problem, not only the first", () => {
    expect(problems("check_interval: soon\nlog_level: loud\n")).toHaveLength(2);
  });

  test("locates the config: --config, then $CRON_COLLECTOR_CONFIG, then beside collector.ts", () => {
    expect(locateConfig("/a.yaml", { CRON_COLLECTOR_CONFIG: "/b.yaml" }, "/app")).toEqual({ path: "/a.yaml", explicit: true });
    expect(locateConfig(undefined, { CRON_COLLECTOR_CONFIG: "/b.yaml" }, "/app")).toEqual({ path: "/b.yaml", explicit: true });
    expect(locateConfig(undefined, {}, "/app")).toEqual({ path: "/app/config.yaml", explicit: false });
  });

  test("a missing default config gives the defaults; a missing named one is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "cc-config-"));
    expect(loadConfig({ path: join(dir, "config.yaml"), explicit: false }, "/home/ada").checkIntervalMs).toBe(30_000);
    expect(() => loadConfig({ path: join(dir, "nope.yaml"), explicit: true }, "/home/ada")).toThrow(
      new CollectorError(`Cannot load config "${join(dir, "nope.yaml")}": no such file`, "config"),
    );
  });

  test("the error message names the file, line and column", () => {
    const dir = mkdtempSync(join(tmpdir(), "cc-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "# comment\ninput: ~/x\n\ncheck_interval: soon\n");
    expect(() => loadConfig({ path: file, explicit: true }, "/home/ada")).toThrow(
      `Cannot load config "${file}" (line 4, column 17): "check_interval" must be a number of seconds or a duration such as 30s, got "soon"`,
    );
  });

  test("check_interval and --check-interval share one parser: seconds or a duration, as number or text", () => {
    for (const value of [30, "30", "30s", "0.5m"]) expect(checkInterval(value)).toEqual({ ok: true, value: 30_000 });
    expect(checkInterval("0.05")).toEqual({ ok: false, expected: "a number of seconds or a duration such as 30s, from 100ms to 1d", outOfRange: true });
    expect(checkInterval("soon")).toEqual({ ok: false, expected: "a number of seconds or a duration such as 30s" });
  });

  test("a config that must not replace a running one: empty, comments only, unreadable, gone", () => {
    const dir = mkdtempSync(join(tmpdir(), "cc-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "");
    expect(reloadProblem(file)).toBe(`Cannot load config "${file}": the file is empty; to run on the defaults, restart the collector`);
    writeFileSync(file, "# nothing but a comment\n\n");
    expect(reloadProblem(file)).toContain("the file is empty");
    expect(reloadProblem(join(dir, "gone.yaml"))).toBe(`Cannot load config "${join(dir, "gone.yaml")}": no such file`);
    writeFileSync(file, "check_interval: 5\n");
    expect(reloadProblem(file)).toBeNull();
  });
});
