import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { CollectorError } from "../src/errors.ts";
import { createLogger } from "../src/logger.ts";
import { assertDatabaseFile } from "../src/store/database.ts";
import { RunWriter } from "../src/store/runs.ts";
import { Tailer } from "../src/tailer.ts";
import { countRows, jsonl, messages, runCli, runLine, runLines } from "./helpers.ts";
import { cliHome, closeTailFixtures, names, tailFixture, type TailFixture } from "./tail-fixture.ts";

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

  test("a rotated file's last line without its newline is read as a line: that file gets no more bytes", () => {
    const f = fixture();
    writeFileSync(f.input, runLines(0, 2) + runLine(2).trimEnd());
    expect(f.tailer.poll().inserted).toBe(2);
    renameSync(f.input, `${f.input}.1`);
    writeFileSync(f.input, runLine(3));
    expect(f.tailer.poll().inserted).toBe(2);
    expect(f.msgs()).toEqual(names(0, 4));
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

  test("a 200 KB line of nested arrays (JSON.stringify would throw) is quarantined; the lines around it are stored", () => {
    const f = fixture();
    writeFileSync(f.input, runLine(0) + poisonLine() + runLine(1));
    expect(f.tailer.poll()).toMatchObject({ inserted: 2, rejected: 1 });
    expect(f.msgs()).toEqual(names(0, 2));
    expect(f.rejects().map((row) => row.reason)).toEqual(["nested deeper than 1000 levels"]);
  });

  test("max_line_bytes below the chunk size is enforced: with 2000, a 100 KB line is quarantined", () => {
    const f = fixture(2000);
    const long = runLine(1, 0, { output_tail: "x".repeat(100_000) });
    writeFileSync(f.input, runLine(0) + long + runLine(2));
    expect(f.tailer.poll()).toMatchObject({ inserted: 2, rejected: 1 });
    expect(f.rejects()[0]?.reason).toBe(`line is ${long.length - 1} bytes, longer than max_line_bytes (2000)`);
  });

  test("a run dated beyond max_future is quarantined with that reason", () => {
    const f = tailFixture({ clock: () => new Date(Date.UTC(2025, 6, 29, 4)), maxFutureMs: 3600_000 });
    writeFileSync(f.input, runLine(0) + jsonl({ ts: "2199-01-01T00:00:00Z", exit: 0, msg: "from the future" }) + runLine(1));
    expect(f.tailer.poll()).toMatchObject({ inserted: 2, rejected: 1 });
    expect(f.rejects()[0]?.reason).toContain("more than max_future (1h) ahead");
  });

  test("an input that is a directory is one clear error, not a retried failure", () => {
    const f = fixture();
    mkdirSync(f.input);
    expect(() => f.tailer.poll()).toThrow(new CollectorError(`The input "${f.input}" is a directory (EISDIR): set "input" to the JSONL file the jobs append to`, "config"));
  });

  test("the database deleted or replaced while running stops ingestion before anything is written", () => {
    for (const change of ["delete", "replace"] as const) {
      const f = fixture();
      const tailer = new Tailer(f.writer, { source: f.input, maxLineBytes: 1 << 20, log: createLogger("error", []), clock: () => new Date(), checkDatabase: () => assertDatabaseFile(f.db) });
      writeFileSync(f.input, runLine(0));
      expect(tailer.poll().inserted).toBe(1);
      appendFileSync(f.input, runLine(1));
      if (change === "delete") rmSync(f.dbPath);
      else renameSync(f.dbPath, `${f.dbPath}.old`), writeFileSync(`${f.dbPath}.new`, ""), renameSync(`${f.dbPath}.new`, f.dbPath);
      expect(() => tailer.poll()).toThrow(change === "delete" ? "was deleted while the collector was running" : "was replaced by another file");
      expect(f.msgs()).toEqual(names(0, 1));
      // Checked at every poll, before reading: an idle daemon notices it too.
      expect(() => tailer.poll()).toThrow("while the collector was running");
      tailer.close();
    }
  });
});

/** A line whose extra field is nested so deep that JSON.stringify throws (issue 14, item 2). */
function poisonLine(): string {
  const depth = 100_000;
  return `{"ts":"2025-07-29T04:30:00Z","exit":0,"deep":${"[".repeat(depth)}${"]".repeat(depth)}}\n`;
}

describe("collector.ts --parse-existing", () => {
  test("a poison line between good lines: good lines stored, the poison line quarantined, exit 0", () => {
    const h = cliHome();
    writeFileSync(h.input, runLine(0) + poisonLine() + runLine(1));
    const result = runCli(["--parse-existing", ...h.config], h.env);
    expect(result.stderr).not.toContain("    at ");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("2 new run(s), 0 already stored, 1 rejected");
    expect(messages(h.db)).toEqual(names(0, 2));
    expect(countRows(h.db, "quarantine")).toBe(1);
  });
});
