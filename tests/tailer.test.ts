import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { createLogger } from "../src/logger.ts";
import { RunWriter } from "../src/store/runs.ts";
import { Tailer } from "../src/tailer.ts";
import { runLine, runLines } from "./helpers.ts";
import { closeTailFixtures, names, tailFixture, type TailFixture } from "./tail-fixture.ts";

const fixture = (maxLineBytes = 1 << 20, chunkBytes?: number): TailFixture => tailFixture({ maxLineBytes, ...(chunkBytes && { chunkBytes }) });

afterEach(closeTailFixtures);

describe("Tailer", () => {
  test("waits for a missing file, then reads it from the start", () => {
    const f = fixture();
    expect(f.tailer.poll().inserted).toBe(0);
    expect(f.logs.join("\n")).toContain("Waiting for");
    writeFileSync(f.input, runLines(0, 3));
    expect(f.tailer.poll().inserted).toBe(3);
    expect(f.msgs()).toEqual(names(0, 3));
  });

  test("never consumes a partial last line until its newline arrives", () => {
    const f = fixture();
    const line = runLine(1);
    writeFileSync(f.input, runLine(0) + line.slice(0, 20));
    expect(f.tailer.poll().inserted).toBe(1);
    f.restart(); // the fragment must survive a restart too
    expect(f.tailer.poll().inserted).toBe(0);
    appendFileSync(f.input, line.slice(20));
    expect(f.tailer.poll().inserted).toBe(1);
    expect(f.msgs()).toEqual(names(0, 2));
  });

  test("resumes after a restart without reading anything twice", () => {
    const f = fixture();
    writeFileSync(f.input, `${runLines(0, 5)}oops\n`);
    f.tailer.poll();
    f.restart();
    appendFileSync(f.input, runLines(5, 2));
    expect(f.tailer.poll()).toMatchObject({ inserted: 2, duplicates: 0, rejected: 0 });
    expect(f.msgs()).toEqual(names(0, 7));
    expect(f.rejects()).toHaveLength(1);
  });

  test("reads a file in many small chunks exactly once", () => {
    const f = fixture(1024, 100);
    writeFileSync(f.input, runLines(0, 50));
    expect(f.tailer.poll().inserted).toBe(50);
    expect(f.msgs()).toEqual(names(0, 50));
  });

  test("rename rotation: drains what was appended to the old file, then reads the new one", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 3));
    f.tailer.poll();
    appendFileSync(f.input, runLines(3, 2)); // written just before the rotation, not yet read
    renameSync(f.input, `${f.input}.1`);
    writeFileSync(f.input, runLines(5, 2));
    f.tailer.poll();
    expect(f.msgs()).toEqual(names(0, 7));
    appendFileSync(f.input, runLines(7, 1));
    f.tailer.poll();
    expect(f.msgs()).toEqual(names(0, 8));
  });

  test("rename rotation while the collector was down: the rotated file's tail is not lost", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 3));
    f.tailer.poll();
    f.tailer.close();
    appendFileSync(f.input, runLines(3, 2));
    renameSync(f.input, `${f.input}.1`);
    writeFileSync(f.input, runLines(5, 2));
    f.restart();
    f.tailer.poll();
    expect(f.msgs()).toEqual(names(0, 7));
    f.restart();
    expect(f.tailer.poll()).toMatchObject({ inserted: 0, duplicates: 0 });
  });

  test("copytruncate: the lines only in the copy are read, then the truncated file from 0", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 3));
    f.tailer.poll();
    appendFileSync(f.input, runLines(3, 2));
    copyFileSync(f.input, `${f.input}.1`);
    truncateSync(f.input, 0);
    appendFileSync(f.input, runLines(5, 1));
    f.tailer.poll();
    expect(f.msgs()).toEqual(names(0, 6));
    expect(f.logs.join("\n")).toContain("was truncated");
  });

  test("truncated and regrown past the old offset: noticed by content, read from 0", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 2));
    f.tailer.poll();
    truncateSync(f.input, 0);
    appendFileSync(f.input, runLines(100, 6)); // longer than before: size alone would not tell
    f.tailer.poll();
    expect(f.msgs()).toEqual([...names(0, 2), ...names(100, 6)]);
    expect(f.logs.join("\n")).toContain("was rewritten");
  });

  test("truncated while the collector was down: read from 0 on restart", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 4));
    f.tailer.poll();
    f.tailer.close();
    writeFileSync(f.input, runLines(50, 1));
    f.restart();
    f.tailer.poll();
    expect(f.msgs()).toEqual([...names(0, 4), "run 50"]);
  });

  test("delete and recreate: the new file is read from 0", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 2));
    f.tailer.poll();
    rmSync(f.input);
    expect(f.tailer.poll().inserted).toBe(0);
    writeFileSync(f.input, runLines(10, 2));
    f.tailer.poll();
    expect(f.msgs()).toEqual([...names(0, 2), ...names(10, 2)]);
  });

  test("a file recreated with the same content is recognised and not read again", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 3));
    f.tailer.poll();
    rmSync(f.input);
    writeFileSync(f.input, runLines(0, 3));
    expect(f.tailer.poll()).toMatchObject({ inserted: 0, duplicates: 0 });
  });

  test("re-reading the same lines after a rewrite stores no duplicates", () => {
    const f = fixture();
    const text = `${runLines(0, 3)}bad line\n`;
    writeFileSync(f.input, text);
    f.tailer.poll();
    rmSync(f.input);
    f.tailer.poll();
    writeFileSync(f.input, runLine(9) + text); // recreated with one more line in front: read from 0
    expect(f.tailer.poll()).toMatchObject({ inserted: 1, duplicates: 4, rejected: 0 });
    expect(f.msgs()).toEqual([...names(0, 3), "run 9"]);
    expect(f.rejects()).toHaveLength(1);
  });

  test("quarantines a line over max_line_bytes with its offset and keeps reading after it", () => {
    const f = fixture(1024, 512);
    const huge = `{"ts":"2025-07-29T04:30:00Z","exit":0,"msg":"${"x".repeat(5000)}"}\n`;
    writeFileSync(f.input, runLine(0) + huge + runLine(1));
    expect(f.tailer.poll()).toMatchObject({ inserted: 2, rejected: 1 });
    const [reject] = f.rejects();
    expect(reject?.byte_offset).toBe(runLine(0).length);
    expect(reject?.reason).toBe(`line is ${huge.length - 1} bytes, longer than max_line_bytes (1024)`);
    expect(reject?.raw.length).toBeLessThan(1100);
  });

  test("an oversized line still being written is not consumed", () => {
    const f = fixture(1024, 512);
    writeFileSync(f.input, runLine(0) + "y".repeat(3000));
    expect(f.tailer.poll()).toMatchObject({ inserted: 1, rejected: 0 });
    appendFileSync(f.input, `\n${runLine(1)}`);
    expect(f.tailer.poll()).toMatchObject({ inserted: 1, rejected: 1 });
  });

  test("a second tailer on the same database and file does not store anything twice", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 3));
    const other = new Tailer(new RunWriter(f.db), { source: f.input, maxLineBytes: 1 << 20, log: createLogger("error", []), clock: () => new Date() });
    other.poll();
    appendFileSync(f.input, runLines(3, 1));
    f.tailer.poll();
    other.poll();
    expect(f.msgs()).toEqual(names(0, 4));
    other.close();
  });
});
