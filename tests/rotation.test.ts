/**
 * Rotation with the real logrotate (Debian's package; .ci/run installs it): any number of
 * rotations between two reads, in create and copytruncate modes, dated and compressed names,
 * a crash in the middle of the chain, and gaps that cannot be followed.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../src/logger.ts";
import { listRotations, openRotated, rotationOrder } from "../src/rotated-file.ts";
import { Tailer } from "../src/tailer.ts";
import { messages, runCli, runLines, tempDir } from "./helpers.ts";
import { cliHome, closeTailFixtures, crashingSink, names, tailFixture, type TailFixture } from "./tail-fixture.ts";

/** logrotate lives in /usr/sbin, which is often not on a user's PATH. */
function findLogrotate(): string {
  const found = Bun.which("logrotate") ?? Bun.which("logrotate", { PATH: "/usr/sbin:/sbin:/usr/local/sbin:/opt/homebrew/sbin" });
  if (found === null) throw new Error("logrotate is not installed: apt-get install logrotate (.ci/run does)");
  return found;
}

const LOGROTATE = findLogrotate();

/** Runs `logrotate -f` once on `input` with these directives. */
function logrotate(dir: string, input: string, directives: readonly string[], keep = 9): void {
  const conf = join(dir, "logrotate.conf");
  writeFileSync(conf, `"${input}" {\n  rotate ${keep}\n  missingok\n  ${directives.join("\n  ")}\n}\n`, { mode: 0o600 });
  const result = Bun.spawnSync([LOGROTATE, "-f", "-s", join(dir, "logrotate.state"), conf], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`logrotate failed: ${result.stderr.toString()}`);
}

const PER_FILE = 150;

/**
 * Reads a first file, stops the collector, then `rotations` times appends and rotates (the
 * directives of rotation i are `directives(i)`), appends once more and reads again after a restart.
 * Returns how many lines were written.
 */
function rotateWhileDown(f: TailFixture, rotations: number, directives: (i: number) => readonly string[]): number {
  writeFileSync(f.input, runLines(0, PER_FILE));
  expect(f.tailer.poll().inserted).toBe(PER_FILE);
  f.tailer.close();
  let written = PER_FILE;
  for (let i = 0; i < rotations; i++) {
    appendFileSync(f.input, runLines(written, PER_FILE)); // the first batch lands in the checkpoint's file
    written += PER_FILE;
    logrotate(f.dir, f.input, directives(i));
  }
  appendFileSync(f.input, runLines(written, PER_FILE));
  return written + PER_FILE;
}

function expectExactlyOnce(f: TailFixture, written: number): void {
  expect(f.msgs()).toEqual(names(0, written)); // every line, once, in the order written
  expect(f.rejects()).toEqual([]);
  f.restart();
  expect(f.tailer.poll()).toMatchObject({ inserted: 0, duplicates: 0, rejected: 0 });
}

afterEach(closeTailFixtures);

describe("rotation with the real logrotate, while the collector is down", () => {
  test.each([
    ["create", 2, ["create"]],
    ["create", 3, ["create"]],
    ["copytruncate", 2, ["copytruncate"]],
    ["copytruncate", 3, ["copytruncate"]],
    ["compress + delaycompress", 3, ["create", "compress", "delaycompress"]],
    ["compress without delaycompress", 2, ["create", "compress"]],
    ["copytruncate + compress", 2, ["copytruncate", "compress"]],
  ] as const)("%s, %d rotations between reads: every file is read once, in order", (_mode, rotations, directives) => {
    const f = tailFixture();
    const written = rotateWhileDown(f, rotations, () => directives);
    f.restart();
    f.tailer.poll();
    expectExactlyOnce(f, written);
  });

  test("dateext names (ladder.jsonl-YYYYMMDD), two rotations between reads", () => {
    const f = tailFixture();
    // Two rotations on one day would want the same name; the first one is dated yesterday.
    const written = rotateWhileDown(f, 2, (i) => ["create", "dateext", "dateformat -%Y%m%d", ...(i === 0 ? ["dateyesterday"] : [])]);
    expect(listRotations(f.input).map((path) => /-\d{8}$/.test(path))).toEqual([true, true]);
    f.restart();
    f.tailer.poll();
    expectExactlyOnce(f, written);
  });

  test("the real CLI's --parse-existing reads the middle file of two rotations", () => {
    const h = cliHome();
    writeFileSync(h.input, runLines(0, PER_FILE));
    expect(runCli(["--parse-existing", ...h.config], h.env).exitCode).toBe(0);
    appendFileSync(h.input, runLines(PER_FILE, PER_FILE));
    logrotate(h.home, h.input, ["create"]);
    appendFileSync(h.input, runLines(2 * PER_FILE, PER_FILE));
    logrotate(h.home, h.input, ["create"]);
    appendFileSync(h.input, runLines(3 * PER_FILE, PER_FILE));
    const result = runCli(["--parse-existing", ...h.config], h.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`${3 * PER_FILE} new run(s)`);
    expect(messages(h.db)).toEqual(names(0, 4 * PER_FILE));
  });
});

/**
 * The tester's sequence (plain rotations first, then `compress` switched on): logrotate shifts only
 * the `.N.gz` names, so the plain `.2` of before stays beside a `.2.gz` of other, newer content.
 * `poll` says after which steps a running collector polls (its tailer holding the input open);
 * `restart` whether the collector is down for the whole compressed part, as with `parse`.
 */
function plainThenCompressed(f: TailFixture, pollAfter: ReadonlySet<string>): number {
  let written = 0;
  const append = (): void => {
    appendFileSync(f.input, runLines(written, PER_FILE));
    written += PER_FILE;
  };
  for (let i = 0; i < 2; i++) {
    append();
    f.tailer.poll();
    logrotate(f.dir, f.input, ["create"]);
  }
  append();
  f.tailer.poll(); // the checkpoint's file: read to its end, then g appended to it
  if (pollAfter.has("restart")) f.tailer.close();
  const steps: Array<[string, () => void]> = [
    ["g", append],
    ["rotate g", () => logrotate(f.dir, f.input, ["create", "compress"])],
    ["h", append],
    ["rotate h", () => logrotate(f.dir, f.input, ["create", "compress"])],
    ["i", append],
  ];
  for (const [step, run] of steps) {
    run();
    if (pollAfter.has(step)) f.tailer.poll();
  }
  expect(readdirSync(f.dir).filter((name) => name.startsWith("ladder.jsonl")).sort()).toEqual([
    "ladder.jsonl",
    "ladder.jsonl.1.gz",
    "ladder.jsonl.2",
    "ladder.jsonl.2.gz",
  ]);
  return written;
}

describe("plain and compressed siblings side by side (compress switched on later)", () => {
  test("collector down: .2.gz (the checkpoint's file) is read, the older plain .2 is not needed", () => {
    const f = tailFixture();
    const written = plainThenCompressed(f, new Set(["restart"]));
    f.restart();
    f.tailer.poll();
    expect(f.logs.filter((line) => line.includes("Rotation gap"))).toEqual([]);
    expectExactlyOnce(f, written);
  });

  test.each([[[]], [["rotate g"]], [["h"]], [["g", "rotate h"]], [["g", "rotate g", "h", "rotate h", "i"]]])("collector running, polling after %p: every line once", (polls) => {
    const f = tailFixture();
    const written = plainThenCompressed(f, new Set(polls));
    f.tailer.poll();
    f.tailer.poll();
    expect(f.logs.filter((line) => line.includes("Rotation gap"))).toEqual([]);
    expectExactlyOnce(f, written);
  });
});

describe("the checkpoint's file is a plain leftover older than higher-numbered .gz files", () => {
  test("x.2 (plain, read up to its end) is followed by x.3.gz, x.2.gz, x.1.gz: each read once, in order", () => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll();
    f.tailer.close();
    logrotate(f.dir, f.input, ["create"]); // the checkpoint's file becomes .1, then .2 (the new .1 is empty)
    logrotate(f.dir, f.input, ["create"]);
    let written = PER_FILE;
    for (let i = 0; i < 3; i++) {
      appendFileSync(f.input, runLines(written, PER_FILE));
      written += PER_FILE;
      logrotate(f.dir, f.input, ["create", "compress"]); // shifts only the .gz names: the plain .2 stays
    }
    appendFileSync(f.input, runLines(written, PER_FILE));
    written += PER_FILE;
    expect(readdirSync(f.dir).filter((name) => name.startsWith("ladder.jsonl.")).sort()).toEqual(["ladder.jsonl.1.gz", "ladder.jsonl.2", "ladder.jsonl.2.gz", "ladder.jsonl.3.gz"]);
    f.restart();
    f.tailer.poll();
    expect(f.logs.filter((line) => line.includes("Rotation gap"))).toEqual([]);
    expectExactlyOnce(f, written);
  });
});

describe("naming switched between rotations", () => {
  test.each([
    ["dateext switched on: the dated file is newer than the numbered ones", ["create"], ["create", "dateext", "dateformat -%Y%m%d"]],
    ["dateext and compress switched on together", ["create"], ["create", "compress", "dateext", "dateformat -%Y%m%d"]],
    ["compress switched off: the plain .1 is newer than .2.gz", ["create", "compress"], ["create"]],
  ] as const)("%s", (_case, before, after) => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll();
    appendFileSync(f.input, runLines(PER_FILE, PER_FILE));
    f.tailer.poll();
    f.tailer.close();
    appendFileSync(f.input, runLines(2 * PER_FILE, PER_FILE)); // in the checkpoint's file
    logrotate(f.dir, f.input, before);
    appendFileSync(f.input, runLines(3 * PER_FILE, PER_FILE));
    logrotate(f.dir, f.input, after);
    appendFileSync(f.input, runLines(4 * PER_FILE, PER_FILE));
    f.restart();
    f.tailer.poll();
    expect(f.logs.filter((line) => line.includes("Rotation gap"))).toEqual([]);
    expectExactlyOnce(f, 5 * PER_FILE);
  });
});

describe("a crash in the middle of a chain of plain and compressed siblings", () => {
  // ~55-byte lines, 1 KiB chunks: about 9 commits per file; .2.gz, .1.gz and the input are left to read.
  test.each([1, 9, 10, 19, 25])("killed before commit %d, then rotated (compressed) again: resumes exactly once", (failAt) => {
    const f = tailFixture({ chunkBytes: 1024, maxLineBytes: 1000 });
    let written = plainThenCompressed(f, new Set(["restart"]));
    const options = { source: f.input, maxLineBytes: 1000, chunkBytes: 1024, log: createLogger("error", []), clock: () => new Date() };
    const killed = new Tailer(crashingSink(f.writer, failAt), options);
    expect(() => killed.poll()).toThrow("killed");
    killed.close();
    logrotate(f.dir, f.input, ["create", "compress"]); // the file it was reading moves on to .3.gz or .2.gz
    appendFileSync(f.input, runLines(written, PER_FILE));
    written += PER_FILE;
    f.restart();
    f.tailer.poll();
    expect(f.logs.filter((line) => line.includes("Rotation gap"))).toEqual([]);
    expectExactlyOnce(f, written);
  });
});

describe("rotation while running", () => {
  test.each([["create"], ["copytruncate"]] as const)("%s: a tick stalled behind a busy database meets two rotations", (mode) => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll(); // the tailer holds the file open, as the daemon does
    appendFileSync(f.input, runLines(PER_FILE, PER_FILE));
    logrotate(f.dir, f.input, [mode]);
    appendFileSync(f.input, runLines(2 * PER_FILE, PER_FILE));
    logrotate(f.dir, f.input, [mode]);
    appendFileSync(f.input, runLines(3 * PER_FILE, PER_FILE));
    f.tailer.poll(); // the next tick
    expectExactlyOnce(f, 4 * PER_FILE);
  });

  test("copytruncate of lines not read yet while the input is read from byte 0", () => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll();
    logrotate(f.dir, f.input, ["copytruncate"]); // everything was read: the input starts over at 0
    f.tailer.poll();
    appendFileSync(f.input, runLines(PER_FILE, PER_FILE));
    logrotate(f.dir, f.input, ["copytruncate"]); // copied before any of it was read
    appendFileSync(f.input, runLines(2 * PER_FILE, 1));
    f.tailer.poll();
    expectExactlyOnce(f, 2 * PER_FILE + 1);
  });
});

describe("a crash in the middle of the chain", () => {
  // Small chunks: one commit per 18 lines, 9 per file, 25 for the three files still to read.
  const crashAt = [1, 2, 9, 10, 17, 25];
  test.each(crashAt)("killed before commit %d, then rotated again and compressed: resumes exactly once", (failAt) => {
    const directives = ["create", "compress", "delaycompress"];
    const f = tailFixture({ chunkBytes: 1024, maxLineBytes: 1000 });
    let written = rotateWhileDown(f, 2, () => directives);
    const options = { source: f.input, maxLineBytes: 1000, chunkBytes: 1024, log: createLogger("error", []), clock: () => new Date() };
    const killed = new Tailer(crashingSink(f.writer, failAt), options);
    expect(() => killed.poll()).toThrow("killed");
    killed.close();
    // While it was down, the file it was in the middle of may be renamed and compressed.
    logrotate(f.dir, f.input, directives);
    appendFileSync(f.input, runLines(written, PER_FILE));
    written += PER_FILE;
    f.restart();
    f.tailer.poll();
    expectExactlyOnce(f, written);
  });
});

describe("gaps: a chain that cannot be followed", () => {
  test("the checkpoint's file deleted by rotate 1: WARN, a quarantine row, and the newer files read", () => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll();
    f.tailer.close();
    const offset = runLines(0, PER_FILE).length;
    appendFileSync(f.input, runLines(PER_FILE, PER_FILE)); // lost with the file
    const rotate1 = (): void => logrotate(f.dir, f.input, ["create"], 1);
    rotate1();
    appendFileSync(f.input, runLines(2 * PER_FILE, PER_FILE));
    rotate1();
    appendFileSync(f.input, runLines(3 * PER_FILE, PER_FILE));
    f.restart();
    f.tailer.poll();
    expect(f.msgs()).toEqual([...names(0, PER_FILE), ...names(2 * PER_FILE, 2 * PER_FILE)]);
    const [gap, ...others] = f.rejects();
    expect(others).toEqual([]);
    expect(gap?.reason).toStartWith(`rotation gap: the file read up to byte ${offset} `);
    expect(gap?.reason).toContain("may be missing");
    expect(f.logs.some((line) => line.includes("WARN") && line.includes("Rotation gap"))).toBe(true);
    f.restart();
    expect(f.tailer.poll()).toMatchObject({ inserted: 0, rejected: 0 });
  });

  test("an unreadable compressed file in the chain: a gap row with its size, the rest is read", () => {
    const f = tailFixture();
    const written = rotateWhileDown(f, 2, () => ["create", "compress"]);
    const broken = join(f.dir, "ladder.jsonl.1.gz");
    writeFileSync(broken, "this is not gzip data");
    f.restart();
    f.tailer.poll();
    expect(f.msgs()).toEqual([...names(0, 2 * PER_FILE), ...names(3 * PER_FILE, written - 3 * PER_FILE)]);
    expect(f.rejects().map((row) => row.reason)).toEqual([
      `rotation gap: "${broken}" cannot be read (gzip failed: gzip: stdin: not in gzip format): up to 21 compressed bytes may be missing`,
    ]);
  });

  test("a directory with a rotated name is a gap, not an error that stops ingestion", () => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, 2));
    f.tailer.poll();
    f.tailer.close();
    mkdirSync(`${f.input}.1`);
    writeFileSync(f.input, runLines(2, 1)); // replaced while down: the chain is walked
    f.restart();
    f.tailer.poll();
    expect(f.msgs()).toEqual(names(0, 3));
    expect(f.rejects().map((row) => row.reason)).toContain(`rotation gap: "${f.input}.1" cannot be read (not a regular file): up to 0 bytes may be missing`);
  });
});

describe("openRotated", () => {
  test("reads a .gz through a private temporary copy that close() removes, also when gzip fails", () => {
    const dir = tempDir("cc-gz-");
    const temp = join(dir, "tmp");
    mkdirSync(temp);
    const text = runLines(0, 100);
    writeFileSync(join(dir, "ladder.jsonl.1.gz"), Bun.gzipSync(new TextEncoder().encode(text)));
    const opened = openRotated(join(dir, "ladder.jsonl.1.gz"), temp);
    if (!opened.ok) throw new Error(opened.reason);
    const [copy] = readdirSync(temp);
    expect(statSync(join(temp, copy ?? "")).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(temp, copy ?? "", "plain"), "utf8")).toBe(text);
    opened.file.close();
    expect(readdirSync(temp)).toEqual([]);
    writeFileSync(join(dir, "ladder.jsonl.2.gz"), "not gzip");
    expect(openRotated(join(dir, "ladder.jsonl.2.gz"), temp)).toMatchObject({ ok: false, size: 8 });
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe("rotationOrder", () => {
  const at = (entries: ReadonlyArray<readonly [string, number]>) => entries.map(([name, mtimeMs]) => ({ name, mtimeMs }));

  test("numbered oldest first, dated by name, compressed ones included, other siblings left out", () => {
    // dateext switched on later: the numbered files of before are older.
    const listing = at([["ladder.jsonl", 9], ["ladder.jsonl.1", 3], ["ladder.jsonl.10.gz", 1], ["ladder.jsonl.2.gz", 2], ["ladder.jsonl.lock", 0], ["ladder.db", 0], ["ladder.jsonl-20261127.gz", 4], ["ladder.jsonl-20261128", 5]]);
    expect(rotationOrder("ladder.jsonl", listing)).toEqual(["ladder.jsonl.10.gz", "ladder.jsonl.2.gz", "ladder.jsonl.1", "ladder.jsonl-20261127.gz", "ladder.jsonl-20261128"]);
  });

  test("a plain .2 and a compressed .2.gz side by side: interleaved by mtime, either way round", () => {
    // compress switched on later: the plain .2 of before is older than every .gz.
    expect(rotationOrder("x", at([["x.2", 1], ["x.2.gz", 3], ["x.1.gz", 4], ["x.3.gz", 2]]))).toEqual(["x.2", "x.3.gz", "x.2.gz", "x.1.gz"]);
    // compress switched off later: the .gz files of before are older than every plain one.
    expect(rotationOrder("x", at([["x.2", 3], ["x.2.gz", 1], ["x.1", 4], ["x.3.gz", 0]]))).toEqual(["x.3.gz", "x.2.gz", "x.2", "x.1"]);
  });

  test("inside one series the name decides, whatever the mtimes (a file touched by hand)", () => {
    expect(rotationOrder("x", at([["x.9", 5], ["x.10", 1], ["x.1", 2]]))).toEqual(["x.10", "x.9", "x.1"]);
    expect(rotationOrder("x", at([["x-20261128.gz", 1], ["x-20261127.gz", 9]]))).toEqual(["x-20261127.gz", "x-20261128.gz"]);
  });
});

describe("a compressed file beside its plain twin (logrotate compressing it right now)", () => {
  test.each([["half-written", true], ["finished, plain not yet removed", false]] as const)("%s .1.gz: the plain .1 is read once, no gap", (_state, partial) => {
    const f = tailFixture();
    writeFileSync(f.input, runLines(0, PER_FILE));
    f.tailer.poll();
    f.tailer.close();
    appendFileSync(f.input, runLines(PER_FILE, PER_FILE));
    const rotated = `${f.input}.1`;
    renameSync(f.input, rotated);
    writeFileSync(f.input, runLines(2 * PER_FILE, PER_FILE));
    const gz = Bun.gzipSync(readFileSync(rotated));
    writeFileSync(`${rotated}.gz`, partial ? gz.subarray(0, gz.length >> 1) : gz);
    f.restart();
    expect(f.tailer.poll()).toMatchObject({ inserted: 2 * PER_FILE, duplicates: 0, rejected: 0 });
    expectExactlyOnce(f, 3 * PER_FILE);
  });
});
