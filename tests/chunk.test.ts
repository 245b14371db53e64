import { describe, expect, test } from "bun:test";
import { parseChunk } from "../src/chunk.ts";

const encoder = new TextEncoder();
const line = (msg: string, exit = 0): string => JSON.stringify({ ts: "2025-07-29T04:30:00Z", exit, msg });

describe("parseChunk", () => {
  test("consumes complete lines only and leaves a trailing fragment", () => {
    const text = `${line("a")}\n${line("b")}\n{"ts":"2025-07-29T04:3`;
    const parsed = parseChunk(encoder.encode(text), 0);
    expect(parsed.runs.map((run) => run.msg)).toEqual(["a", "b"]);
    expect(parsed.consumed).toBe(text.lastIndexOf("\n") + 1);
  });

  test("consumes nothing from a chunk without a newline", () => {
    expect(parseChunk(encoder.encode(line("a")), 0)).toEqual({ runs: [], starts: [], rejects: [], consumed: 0 });
  });

  test("an empty chunk consumes nothing", () => {
    expect(parseChunk(new Uint8Array(0), 0).consumed).toBe(0);
  });

  test("handles CRLF, blank lines and a BOM on the first line", () => {
    const text = `\uFEFF${line("a")}\r\n\r\n\n${line("b")}\r\n`;
    const parsed = parseChunk(encoder.encode(text), 0);
    expect(parsed.runs.map((run) => run.msg)).toEqual(["a", "b"]);
    expect(parsed.rejects).toEqual([]);
  });

  test("gives rejects their absolute byte offset, also after multi-byte text", () => {
    const first = `${line("héllo 🚨")}\n`;
    const text = `${first}oops\n`;
    const parsed = parseChunk(encoder.encode(text), 1000);
    expect(parsed.rejects).toHaveLength(1);
    expect(parsed.rejects[0]?.offset).toBe(1000 + encoder.encode(first).length);
    expect(parsed.rejects[0]?.raw).toBe("oops");
  });

  test("decodes invalid UTF-8 as U+FFFD and keeps reading the lines after it", () => {
    const bad = new Uint8Array([...encoder.encode('{"ts":"2025-07-29T04:30:00Z","exit":0,"msg":"x'), 0xff, 0xfe, ...encoder.encode('"}\n')]);
    const next = encoder.encode(`${line("after")}\n`);
    const parsed = parseChunk(new Uint8Array([...bad, ...next]), 0);
    expect(parsed.runs.map((run) => run.msg)).toEqual(["x\uFFFD\uFFFD", "after"]);
  });

  test("quarantines a line with NUL bytes and shows them escaped", () => {
    const parsed = parseChunk(encoder.encode(`{"ts":\0}\n${line("ok")}\n`), 0);
    expect(parsed.runs).toHaveLength(1);
    expect(parsed.rejects[0]?.raw).toBe('{"ts":\\u0000}');
  });

  test("identical bad lines get the same hash, different ones a different hash", () => {
    const parsed = parseChunk(encoder.encode("oops\noops\nother\n"), 0);
    const [a, b, c] = parsed.rejects;
    expect(a?.hash).toBe(b?.hash ?? "");
    expect(a?.hash).not.toBe(c?.hash ?? "");
  });

  test("enforces max_line_bytes below the chunk size", () => {
    const long = line("x".repeat(100_000));
    const text = `${line("a")}\n${long}\n${line("b")}\n`;
    const parsed = parseChunk(encoder.encode(text), 0, { maxLineBytes: 2000, future: null });
    expect(parsed.runs.map((run) => run.msg)).toEqual(["a", "b"]);
    expect(parsed.rejects.map((reject) => reject.reason)).toEqual([`line is ${long.length} bytes, longer than max_line_bytes (2000)`]);
    expect(parsed.rejects[0]?.raw.length).toBeLessThan(1100);
  });

  test("rejects runs dated beyond max_future", () => {
    const future = { nowMs: Date.UTC(2025, 6, 29), maxFutureMs: 60_000 };
    const parsed = parseChunk(encoder.encode(`${line("a")}\n`), 0, { maxLineBytes: 1 << 20, future });
    expect(parsed.rejects[0]?.reason).toContain("max_future");
  });
});
