import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, parseConfigWithPackage } from "../src/config/load.ts";
import { parsePlainYaml } from "../src/config/plain-yaml.ts";
import { REPO } from "./helpers.ts";

const context = { home: "/home/ada", baseDir: "/etc/cron-collector" };

/** Texts Bun's parser reads differently from the `yaml` package, or where a duplicate could hide. */
const needsThePackage: Array<[string, string]> = [
  ["a duplicate top-level key", "check_interval: 30\nlog_level: info\ncheck_interval: 60\n"],
  ["a duplicate section (a second notify: block appended)", "notify:\n  backend: none\nweb:\n  listen: 'off'\nnotify:\n  max_per_minute: 3\n"],
  ["a duplicate nested key", "notify:\n  backend: none\n  sound: Ping\n  backend: command\n"],
  ["a duplicate key in a flow mapping", "jobs:\n  backup: { every: 5m, every: 10m }\n"],
  ["a duplicate key in one item of a sequence", "x:\n  - a: 1\n    a: 2\n"],
  ["an integer key after a text key (JavaScript would move it first)", "notify:\n  sounds:\n    128-255: Sosumi\n    130: Ping\n"],
  ["integer keys out of order", "notify:\n  sounds:\n    130: Ping\n    124: Submarine\n"],
  ["a key read as a number", "notify:\n  sounds:\n    0x7C: Ping\n"],
  ["a duplicate key in a flow mapping inside a list", "x: [{ a: 1, a: 2 }]\n"],
  ["a duplicate key in a flow mapping over two lines", "x: [1,\n  { a: 1, a: 2 }]\n"],
  ["a flow mapping over two lines", "jobs:\n  backup: { every: 5m,\n    every: 10m }\n"],
  ["a merge key", "base: &b { every: 5m }\njobs:\n  backup:\n    <<: *b\n"],
  ["a tag", "check_interval: !!int \"30\"\n"],
  ["a quoted key", "\"check_interval\": 30\ncheck_interval: 40\n"],
  ["a quoted key in a flow mapping", "jobs:\n  backup: { \"every\": 5m, every: 10m }\n"],
  ["two documents", "check_interval: 30\n---\ncheck_interval: 40\n"],
  ["a quoted string over two lines", 'notify:\n  backend: "none\n  sound": x\n'],
  ["a syntax error", "notify:\n  backend: [none\n"],
  ["a duplicate key after a byte order mark", "\uFEFFlog_level: info\nlog_level: debug\n"],
  ["two spellings of the key true (one boolean to the package)", "jobs:\n  true: { every: 5m }\n  True: { every: 10m }\n"],
  ["two spellings of a null key", "jobs:\n  ~: { every: 5m }\n  null: { every: 10m }\n"],
  ["a flow sequence as a key (Bun names it a, the package [ a ])", "jobs:\n  [a]:\n    every: 5m\n"],
  ["lines ended by a lone carriage return", "log_level: info\rlog_level: debug\r"],
  ["a duplicate key after a block scalar opened in a list item", "x:\n  - a: |\n    b: 1\n    b: 2\n"],
  ["an empty key in a nested list item, then a flow mapping with a duplicate", "x:\n  - - : {a: 1, a: 2}\n"],
  ["a byte order mark inside the text (files put together), which Bun keeps in the key", "# c\n\uFEFFjobs:\n  a: { every: 5m }\n"],
];

describe("reading config.yaml without the yaml package", () => {
  test("the repository's config.yaml is read by Bun's parser, to the same config as the package reads", () => {
    const text = readFileSync(join(REPO, "config.yaml"), "utf8");
    expect(parsePlainYaml(text)).not.toBeNull();
    expect(parseConfig(text, "config.yaml", context)).toEqual(parseConfigWithPackage(text, "config.yaml", context));
  });

  test.each(needsThePackage)("%s: left to the package, which gives the same result as before", (_, text) => {
    expect(parsePlainYaml(text)).toBeNull();
    expect(parseConfig(text, "config.yaml", context)).toEqual(parseConfigWithPackage(text, "config.yaml", context));
  });

  const plainTexts: Array<[string, string]> = [
    ["empty", ""],
    ["comments only", "# nothing\n  # set\n"],
    ["sounds in ascending exit codes, then ranges", "notify:\n  backend: none\n  sounds:\n    124: Submarine\n    126-127: Funk\n    128-255: Sosumi\n"],
    ["jobs as flow mappings and block mappings", 'jobs:\n  backup: { cron: "0 3 * * *", timezone: Europe/Berlin, grace: 15m }\n  ladder:\n    every: 1m # a comment: with a colon\n'],
    ["lists", 'notify:\n  backends: [none]\n  command: ["/bin/echo", "it\'s # not a comment"]\nweb:\n  allowed_hosts:\n    - dash.lan\n    - box.lan\n'],
    ["a block scalar whose lines look like keys", "notify:\n  backend: none\n  webhook_format: >-\n    json\n    backend: x\n"],
  ];
  test.each(plainTexts)("%s: read by Bun's parser to the same config and problems as the package", (_, text) => {
    expect(parsePlainYaml(text)).not.toBeNull();
    expect(parseConfig(text, "config.yaml", context)).toEqual(parseConfigWithPackage(text, "config.yaml", context));
  });

  test("a config with a problem is read again by the package: the message keeps its line and column", () => {
    const text = "log_level: info\nnotify:\n  max_per_minute: lots\n";
    expect(parsePlainYaml(text)).not.toBeNull();
    expect(parseConfig(text, "config.yaml", context).problems).toEqual([
      { code: "invalid-value", line: 3, column: 19, message: expect.stringContaining('"notify.max_per_minute" must be') },
    ]);
  });

  test("the watching collector's config is read without loading the yaml package (it costs about 5 MB)", () => {
    const script = [
      'const { loadConfig } = await import("./src/config/load.ts");',
      'loadConfig({ path: "config.yaml", explicit: true }, "/tmp");',
      'console.log(Object.keys(require.cache).filter((path) => path.includes("node_modules/yaml/")).length);',
    ].join("\n");
    const child = Bun.spawnSync(["bun", "-e", script], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    expect(child.stderr.toString()).toBe("");
    expect(child.stdout.toString().trim()).toBe("0");
  });
});
