import { describe, expect, test } from "bun:test";
import { parseCommand, type Command } from "../src/cli/args.ts";
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS } from "../src/cli/command-table.ts";
import { commandUsage, mainUsage } from "../src/cli/usage.ts";
import { CollectorError } from "../src/errors.ts";

describe("parseCommand", () => {
  test.each([
    [[], { kind: "watch", options: {}, daemon: false }],
    [["watch"], { kind: "watch", options: {}, daemon: false }],
    [["--daemon"], { kind: "watch", options: {}, daemon: true }],
    [["watch", "--daemon"], { kind: "watch", options: {}, daemon: true }],
    [["--parse-existing"], { kind: "parse", options: {} }],
    [["parse"], { kind: "parse", options: {} }],
    [["--stats"], { kind: "stats", options: {}, json: false }],
    [["stats", "--json"], { kind: "stats", options: {}, json: true }],
    [["--stats", "--json", "--job", "backup"], { kind: "stats", options: {}, json: true, job: "backup" }],
    [["--json", "stats"], { kind: "stats", options: {}, json: true }],
    [["jobs"], { kind: "jobs", options: {}, json: false }],
    [["jobs", "--json", "--now", "2025-07-29T05:00:00Z"], { kind: "jobs", options: { now: new Date("2025-07-29T05:00:00Z") }, json: true }],
    [["--help"], { kind: "help" }],
    [["-h"], { kind: "help" }],
    [["help"], { kind: "help" }],
    [["help", "run"], { kind: "help", command: "run" }],
    [["--version"], { kind: "version" }],
    [["--test-notification"], { kind: "test-notification", options: {} }],
    [["test-notification"], { kind: "test-notification", options: {} }],
    [["--paths"], { kind: "paths", options: {} }],
    [["paths", "--config", "c.yaml"], { kind: "paths", options: { config: "c.yaml" } }],
    [["--config", "c.yaml", "--input", "in.jsonl", "--db", "x.db"], { kind: "watch", options: { config: "c.yaml", input: "in.jsonl", db: "x.db" }, daemon: false }],
    [["--config=c.yaml"], { kind: "watch", options: { config: "c.yaml" }, daemon: false }],
    [["--check-interval", "5"], { kind: "watch", options: { checkIntervalMs: 5000 }, daemon: false }],
    [["--check-interval", "30s"], { kind: "watch", options: { checkIntervalMs: 30_000 }, daemon: false }],
    [["--stats", "--now", "2025-07-29T06:00:00+02:00"], { kind: "stats", options: { now: new Date("2025-07-29T04:00:00Z") }, json: false }],
    [["pause", "backup", "--for", "2h"], { kind: "pause", options: {}, job: "backup", forMs: 7_200_000 }],
    [["--db", "x.db", "pause", "backup"], { kind: "pause", options: { db: "x.db" }, job: "backup", forMs: null }],
    [["resume", "backup", "--config", "c.yaml"], { kind: "resume", options: { config: "c.yaml" }, job: "backup" }],
    [["forget", "backup"], { kind: "forget", options: {}, job: "backup", runs: false }],
    [["forget", "--runs", "backup"], { kind: "forget", options: {}, job: "backup", runs: true }],
    [["open"], { kind: "open", options: {}, print: false }],
    [["open", "--print"], { kind: "open", options: {}, print: true }],
    [["log", "--exit", "-1"], { kind: "log", options: {}, exit: -1, msg: "", job: null, durationMs: null, ts: null }],
    [["log", "--exit", "2147483647", "--msg", "-x", "--job=-j"], { kind: "log", options: {}, exit: 2147483647, msg: "-x", job: "-j", durationMs: null, ts: null }],
  ])("%j", (argv, expected) => {
    expect(parseCommand(argv)).toEqual(expected as never);
  });

  test("global options go before or after the command, and never past --", () => {
    const expected: Command = { kind: "run", options: { config: "X" }, job: "j", timeoutMs: null, startMarker: false, argv: ["cmd", "--config", "Y", "--help"] };
    expect(parseCommand(["--config", "X", "run", "--job", "j", "--", "cmd", "--config", "Y", "--help"])).toEqual(expected);
    expect(parseCommand(["run", "--job", "j", "--config", "X", "--", "cmd", "--config", "Y", "--help"])).toEqual(expected);
    expect(parseCommand(["run", "--config=X", "--job=j", "--", "cmd", "--config", "Y", "--help"])).toEqual(expected);
  });

  test.each(COMMAND_NAMES.filter((name) => name !== "help"))("%s --help asks for that command's usage", (name) => {
    expect(parseCommand([name, "--help"])).toEqual({ kind: "help", command: name });
    expect(parseCommand(["-h", name])).toEqual({ kind: "help", command: name });
  });

  test.each([
    [["--bogus"], 'Unknown option "--bogus"'],
    [["--stat"], 'Unknown option "--stat"; did you mean "--stats"?'],
    [["stats", "--jsn"], 'Unknown option "--jsn" for stats; did you mean "--json"?'],
    [["stat"], 'Unknown command "stat"; did you mean "stats"?'],
    [["extra"], 'Unknown command "extra"'],
    [["--stats", "--parse-existing"], "--stats and --parse-existing cannot be combined"],
    [["--stats", "parse"], 'cannot be combined'],
    [["--json"], "--json goes with stats and jobs, not watch"],
    [["run", "--json", "--", "true"], "--json goes with stats and jobs, not run"],
    [["--config"], "--config needs a value"],
    [["--job", "--json", "stats"], "--job needs a value"],
    [["--json=yes", "stats"], "--json takes no value"],
    [["--check-interval", "soon"], "--check-interval must be a number of seconds or a duration"],
    [["--check-interval", "0"], "--check-interval must be a number of seconds or a duration"],
    [["--stats", "--now", "2025-02-30T00:00:00Z"], '--now must be an ISO 8601 date-time such as 2025-07-29T05:00:00Z, got "2025-02-30T00:00:00Z"'],
    [["--now", "yesterday", "stats"], '--now must be an ISO 8601 date-time such as 2025-07-29T05:00:00Z, got "yesterday"'],
    [["run", "true"], 'run needs the command after "--"'],
    [["run", "--job", "a", "--"], 'run needs the command after "--"'],
    [["stats", "--", "x"], '"--" goes with run, not stats'],
    [["stats", "backup"], 'stats takes no arguments, got "backup"'],
    [["pause"], "pause needs exactly one job name"],
    [["resume", "a", "b"], "resume needs exactly one job name"],
    [["pause", "a", "--for", "soon"], '--for must be a duration such as 30m, 2h or 3d, got "soon"'],
    [["help", "nope"], 'help: there is no command "nope"'],
    [["log", "--msg", "x"], "log needs --exit N"],
    [["log", "--exit", "one"], '--exit must be an integer, got "one"'],
    [["log", "--exit", "4294967297"], '--exit must be an integer from -2147483648 to 2147483647, got "4294967297"'],
    [["log", "--exit", "2147483648"], "--exit must be an integer from -2147483648 to 2147483647"],
    [["log", "--exit", "0", "--duration-ms=-4"], "--duration-ms must be a non-negative number"],
    [["log", "--exit", "0", "--ts", "2026-02-30T00:00:00Z"], "--ts must be an ISO 8601 date-time"],
  ])("%j is a usage error", (argv, message) => {
    let thrown: unknown;
    try {
      parseCommand(argv);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CollectorError);
    expect((thrown as CollectorError).kind).toBe("usage");
    expect((thrown as CollectorError).message).toContain(message);
    expect((thrown as CollectorError).message).not.toContain('"ts"');
  });
});

describe("usage errors point at the right usage", () => {
  test.each([
    [["--bogus"], 'Run "bun collector.ts --help" for usage.'],
    [["log", "--exit", "x"], 'Run "bun collector.ts log --help" for usage.'],
    [["stats", "--jsn"], 'Run "bun collector.ts stats --help" for usage.'],
    [["run", "true"], 'Run "bun collector.ts run --help" for usage.'],
  ])("%j", (argv, hint) => {
    expect(() => parseCommand(argv)).toThrow(hint);
  });
});

describe("usage texts", () => {
  test.each(COMMAND_NAMES)("%s --help lists the command's options and the global ones", (name) => {
    const text = commandUsage(name);
    expect(text).toStartWith(`Usage: bun collector.ts ${name}`);
    for (const option of [...Object.keys(COMMANDS[name].options), ...Object.keys(GLOBAL_OPTIONS)]) expect(text).toContain(`--${option}`);
  });

  test("the main usage names every command and every old flag", () => {
    const text = mainUsage();
    for (const name of COMMAND_NAMES) expect(text).toContain(`\n  ${name} `);
    for (const flag of ["--parse-existing", "--stats", "--daemon", "--test-notification", "--paths"]) expect(text).toContain(flag);
  });
});
