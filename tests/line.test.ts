import { describe, expect, test } from "bun:test";
import { parseLine } from "../src/line.ts";

const base = { ts: "2025-07-29T04:31:00Z", exit: 1, msg: "Connection failed - API timeout" };

function run(line: string) {
  const result = parseLine(line);
  if (result.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(result)}`);
  return result.run;
}

function rejectReason(line: string): string {
  const result = parseLine(line);
  if (result.kind !== "reject") throw new Error(`expected a reject, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe("parseLine", () => {
  test("reads the three required fields and normalises the instant", () => {
    expect(run(JSON.stringify(base))).toEqual({
      ts: base.ts,
      epochMs: Date.UTC(2025, 6, 29, 4, 31),
      exit: 1,
      msg: base.msg,
      job: null,
      durationMs: null,
      host: null,
      extra: null,
    });
  });

  test("reads optional job, duration_ms and host, and keeps unknown fields in extra", () => {
    const parsed = run(JSON.stringify({ ...base, job: "backup", duration_ms: 1234.5, host: "mac", output_tail: "x", n: [1] }));
    expect(parsed.job).toBe("backup");
    expect(parsed.durationMs).toBe(1234.5);
    expect(parsed.host).toBe("mac");
    expect(JSON.parse(parsed.extra ?? "null")).toEqual({ output_tail: "x", n: [1] });
  });

  test.each([
    ['"1"', 1],
    ["0", 0],
    ['"0"', 0],
    ["255", 255],
    ["-1", -1],
    ["1.0", 1],
  ])("accepts exit %s", (exit, expected) => {
    expect(run(`{"ts":"2025-07-29T04:31:00Z","exit":${exit},"msg":"m"}`).exit).toBe(expected);
  });

  test.each([
    ["1.5", "must be an integer"],
    ["true", "must be an integer"],
    ['"one"', "must be an integer"],
    ['"1.0"', "must be an integer"],
    ['" 1"', "must be an integer"],
    ["null", "must be an integer"],
    ["[1]", "must be an integer"],
    ["99999999999", "out of range"],
  ])("rejects exit %s", (exit, reason) => {
    expect(rejectReason(`{"ts":"2025-07-29T04:31:00Z","exit":${exit},"msg":"m"}`)).toContain(reason);
  });

  test("a line without msg is a run with an empty message", () => {
    expect(run('{"ts":"2025-07-29T04:31:00Z","exit":3}').msg).toBe("");
    expect(run('{"ts":"2025-07-29T04:31:00Z","exit":3,"msg":null}').msg).toBe("");
  });

  test.each([
    ["not json", "not valid JSON"],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1', "not valid JSON"],
    ["[1,2]", "not a JSON object"],
    ['"text"', "not a JSON object"],
    ["42", "not a JSON object"],
    ['{"exit":1,"msg":"m"}', '"ts" is missing'],
    ['{"ts":1753763460,"exit":1}', '"ts" must be a string'],
    ['{"ts":"2025-07-29T04:31:00Z","msg":"m"}', '"exit" is missing'],
    ['{"ts":"2026-02-30T04:31:00Z","exit":1}', "does not exist"],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1,"msg":5}', '"msg" must be a string'],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1,"job":5}', '"job" must be a string'],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1,"duration_ms":-1}', '"duration_ms" must be a non-negative number'],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1,"duration_ms":"5"}', '"duration_ms" must be a non-negative number'],
    ['{"ts":"2025-07-29T04:31:00Z","exit":1,"msg":"a\u0000b"}', "not valid JSON"],
  ])("rejects %s", (line, reason) => {
    expect(rejectReason(line)).toContain(reason);
  });

  test.each([[""], ["   "], ["\r"], ["\t \r"]])("treats %j as blank", (line) => {
    expect(parseLine(line)).toEqual({ kind: "blank" });
  });

  test("strips a UTF-8 byte order mark and a CR before the LF", () => {
    expect(run(`\uFEFF${JSON.stringify(base)}\r`).msg).toBe(base.msg);
  });

  test("keeps non-ASCII text as written", () => {
    expect(run(JSON.stringify({ ...base, msg: "Sauvegarde échouée 🚨 — 失败" })).msg).toBe("Sauvegarde échouée 🚨 — 失败");
  });

  test("an empty job counts as no job", () => {
    expect(run(JSON.stringify({ ...base, job: "" })).job).toBeNull();
  });

  test("keeps a __proto__ key in extra as a field", () => {
    const parsed = run('{"ts":"2025-07-29T04:31:00Z","exit":0,"__proto__":{"x":1},"other":2}');
    expect(parsed.extra).toBe('{"__proto__":{"x":1},"other":2}');
  });

  test("rejects nesting deeper than 1000 levels, without counting brackets inside strings", () => {
    const deep = (levels: number): string => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    expect(rejectReason(`{"ts":"2025-07-29T04:31:00Z","exit":0,"x":${deep(20_000)}}`)).toBe("nested deeper than 1000 levels");
    expect(run(`{"ts":"2025-07-29T04:31:00Z","exit":0,"x":${deep(900)},"pad":"${"x".repeat(20_000)}"}`).exit).toBe(0);
    expect(run(JSON.stringify({ ...base, msg: `"[\\${"[{".repeat(20_000)}` })).msg).toStartWith('"[\\');
  });

  test("accepts a leap second", () => {
    expect(run('{"ts":"2016-12-31T23:59:60Z","exit":0}').epochMs).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
  });

  describe("max_future", () => {
    const nowMs = Date.UTC(2025, 6, 29, 4, 0);
    const limit = { nowMs, maxFutureMs: 3600_000 };
    const at = (ms: number, extra = ""): string => `{"ts":"${new Date(ms).toISOString()}","exit":0${extra}}`;

    test("rejects a run or start marker dated more than max_future ahead of the clock, with that reason", () => {
      const reason = (line: string): unknown => parseLine(line, limit);
      expect(reason('{"ts":"2199-01-01T00:00:00Z","exit":0}')).toEqual({
        kind: "reject",
        reason: '"ts" "2199-01-01T00:00:00Z" is more than max_future (1h) ahead of the collector\'s clock',
        futureMs: Date.UTC(2199, 0, 1), // the quarantine's key (src/store/rejects.ts)
      });
      expect(parseLine(at(nowMs + 3600_001, ',"event":"start","run_id":"r"'), limit).kind).toBe("reject");
    });

    test("accepts runs up to max_future ahead, and anything without a limit", () => {
      expect(parseLine(at(nowMs + 3600_000), limit).kind).toBe("run");
      expect(parseLine(at(nowMs - 86_400_000), limit).kind).toBe("run");
      expect(parseLine('{"ts":"2199-01-01T00:00:00Z","exit":0}').kind).toBe("run");
    });
  });
});
