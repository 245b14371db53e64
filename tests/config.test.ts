import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSounds } from "../src/config/config.ts";
import { loadConfig, locateConfig, parseConfig } from "../src/config/load.ts";
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

  test("the repository's config.yaml holds exactly the defaults", async () => {
    const text = await Bun.file(join(import.meta.dir, "..", "config.yaml")).text();
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
    ["check_interval: soon\n", '1:17 "check_interval" must be a number of seconds or a duration such as 30s, got "soon"'],
    ["check_intervall: 5\n", '1:1 unknown key "check_intervall"; did you mean "check_interval"?'],
    ["input: ~/x\nlog_level: loud\n", '2:12 "log_level" must be one of debug, info, warn, error, got "loud"'],
    ["check_interval: 0\n", "must be a number of seconds or a duration such as 30s, between 0.1s and 86400s"],
    ["max_line_bytes: 12\n", '"max_line_bytes" must be a whole number from 1024 to 67108864, got 12'],
    ["notify:\n  backend: pager\n", '2:12 "notify.backend" must be one of auto, terminal-notifier'],
    ["notify:\n  max_per_minit: 3\n", 'unknown key "notify.max_per_minit"; did you mean "max_per_minute"?'],
    ["notify: yes\n", '"notify" must be a mapping of settings'],
    ["notify:\n  backend: command\n", '"notify.command" must name the program to run'],
    ["notify:\n  sounds:\n    loud: Basso\n", '"notify.sounds" keys must be an exit code or a range'],
    ["notify:\n  sounds:\n    2: -remove\n", '"notify.sounds.2" must be a sound name such as Basso'],
    ["notify:\n  sound: \"[x]\"\n", '"notify.sound" must be a sound name such as Basso'],
    ["notify:\n  max_age: forever\n", '"notify.max_age" must be a duration such as 30s, 5m or 1h, got "forever"'],
    ["input: [a, b]\n", '"input" must be a non-empty string, got a list'],
    ["- a\n- b\n", "the file must be a mapping of settings"],
    ["input: ~/x\ninput: ~/y\n", "YAML syntax: Map keys must be unique"],
    ["input: 'unterminated\n", "YAML syntax"],
  ])("reports %j", (text, message) => {
    expect(problems(text).join("\n")).toContain(message);
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
    ['jobs:\n  backup: { cron: "0 3 * * *", timezone: Mars/Base }\n', 'unknown time zone "Mars/Base"'],
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
});
