import { describe, expect, test } from "bun:test";
import { parseCommand } from "../src/cli/args.ts";
import { CollectorError } from "../src/errors.ts";

describe("parseCommand", () => {
  test.each([
    [[], { kind: "watch", options: {}, daemon: false }],
    [["--daemon"], { kind: "watch", options: {}, daemon: true }],
    [["--parse-existing"], { kind: "parse-existing", options: {} }],
    [["--stats"], { kind: "stats", options: {}, json: false }],
    [["--stats", "--json", "--job", "backup"], { kind: "stats", options: {}, json: true, job: "backup" }],
    [["--help"], { kind: "help" }],
    [["-h"], { kind: "help" }],
    [["--version"], { kind: "version" }],
    [["--test-notification"], { kind: "test-notification", options: {} }],
    [["--config", "c.yaml", "--input", "in.jsonl", "--db", "x.db"], { kind: "watch", options: { config: "c.yaml", input: "in.jsonl", db: "x.db" }, daemon: false }],
    [["--check-interval", "5"], { kind: "watch", options: { checkIntervalMs: 5000 }, daemon: false }],
    [["--stats", "--now", "2025-07-29T06:00:00+02:00"], { kind: "stats", options: { now: new Date("2025-07-29T04:00:00Z") }, json: false }],
  ])("%j", (argv, expected) => {
    expect(parseCommand(argv)).toEqual(expected as never);
  });

  test.each([
    [["--bogus"], "Unknown option '--bogus'"],
    [["--stats", "--parse-existing"], "cannot be combined"],
    [["--json"], "go with --stats"],
    [["--check-interval", "soon"], "--check-interval must be a number of seconds"],
    [["--check-interval", "0"], "--check-interval must be a number of seconds"],
    [["--stats", "--now", "2025-02-30T00:00:00Z"], "--now must be an ISO 8601"],
    [["extra"], "positional"],
  ])("%j is a usage error", (argv, message) => {
    try {
      parseCommand(argv);
      throw new Error("expected a usage error");
    } catch (error) {
      expect(error).toBeInstanceOf(CollectorError);
      expect((error as CollectorError).kind).toBe("usage");
      expect((error as CollectorError).message).toContain(message);
    }
  });
});
