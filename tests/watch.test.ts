/** The watch mode and crash safety, end to end: the real CLI following real files. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { cliEnv, CONCURRENT_TEST_TIMEOUT_MS, countRows, guardCalls, messages, REPO, runCliAwaited, runLine, runLines, tempDir, TEST_CONFIG, waitFor, withProcesses } from "./helpers.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

function setup(): { home: string; input: string; db: string; env: Record<string, string> } {
  const home = tempDir("cc-watch-");
  mkdirSync(join(home, "logs"));
  return { home, input: join(home, "logs", "ladder.jsonl"), db: join(home, ".cron_dash", "ladder.db"), env: cliEnv(home) };
}

/** Starts the real CLI; `running` is the test's own list of processes to kill when it ends (see withProcesses). */
function start(args: string[], env: Record<string, string>, running: Subprocess[]): Subprocess<"ignore", "pipe", "pipe"> {
  const child = Bun.spawn(["bun", join(REPO, "collector.ts"), ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  running.push(child);
  return child;
}

const rows = (db: string): number => {
  try {
    return countRows(db, "cron_entries");
  } catch {
    return 0; // not created yet
  }
};

describe("watch mode", () => {
  test("follows appends, a rename rotation and a truncation, then stops cleanly on SIGTERM", () => withProcesses(async (running) => {
    const s = setup();
    // A long poll interval: what is seen quickly is seen through the directory watch.
    const child = start(["--check-interval", "60"], s.env, running);
    await waitFor(() => rows(s.db) === 0 && Bun.file(s.db).size > 0, 5000, "database created");

    writeFileSync(s.input, runLines(0, 3)); // the file appears after start
    await waitFor(() => rows(s.db) === 3, 5000, "first lines");

    appendFileSync(s.input, runLine(3)); // (a half-written line: tests/daemon.test.ts)
    await waitFor(() => rows(s.db) === 4, 5000, "appended line");

    appendFileSync(s.input, runLines(4, 2));
    renameSync(s.input, `${s.input}.1`);
    writeFileSync(s.input, runLines(6, 2));
    await waitFor(() => rows(s.db) === 8, 5000, "rotation");

    truncateSync(s.input, 0);
    appendFileSync(s.input, runLines(8, 1));
    await waitFor(() => rows(s.db) === 9, 5000, "truncation");

    const started = performance.now();
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(messages(s.db)).toEqual(Array.from({ length: 9 }, (_, i) => `run ${i}`));
    const log = await new Response(child.stderr).text();
    expect(log).toContain("Received SIGTERM; stopping");
    expect(log).not.toContain("    at ");
    expect(guardCalls(s.home)).toEqual([]); // no notifier, crontab or launchctl of this machine
  }));
});

describe("an unreadable input", () => {
  // Root reads any file, so as root the collector runs as "nobody" for this test.
  const asRoot = process.getuid?.() === 0;

  test("is reported once, retried, and read as soon as it becomes readable", () => withProcesses(async (running) => {
    const s = setup();
    writeFileSync(join(s.home, "config.yaml"), `${TEST_CONFIG}log_level: debug\n`); // a line per poll
    writeFileSync(s.input, runLines(0, 2));
    chmodSync(s.input, 0o000);
    if (asRoot) {
      for (const path of [s.home, join(s.home, "logs"), s.input]) chownSync(path, 65534, 65534);
    }
    const prefix = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : [];
    const child = Bun.spawn([...prefix, "bun", join(REPO, "collector.ts"), "--check-interval", "0.1"], {
      env: s.env,
      cwd: s.home,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    running.push(child);
    const logFile = join(s.home, ".cron_dash", "collector.log");
    const pollsSinceDenied = (): number => {
      const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      const denied = text.indexOf("permission denied");
      return denied < 0 ? 0 : text.slice(denied).split("Read the input: nothing new").length - 1;
    };
    await waitFor(() => pollsSinceDenied() >= 3, 5000, "three polls after the first refusal");
    chmodSync(s.input, 0o644);
    await waitFor(() => rows(s.db) === 2, 5000, "rows after chmod");
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const log = await new Response(child.stderr).text();
    expect(log.match(/permission denied/g)).toHaveLength(1);
    expect(guardCalls(s.home)).toEqual([]);
  }));
});

describe("crash safety", () => {
  test("kill -9 during a large ingest, then a restart: every line stored exactly once", () => withProcesses(async (running) => {
    const s = setup();
    const total = 120_000;
    const chunks: string[] = [];
    for (let start = 0; start < total; start += 10_000) {
      chunks.push(runLines(start, 10_000));
      chunks.push(`garbage ${start}\n`); // one reject every 10k lines
    }
    writeFileSync(s.input, chunks.join(""));
    const child = start(["--parse-existing"], s.env, running);
    await waitFor(() => rows(s.db) > 0, 20_000, "first committed batch");
    child.kill("SIGKILL");
    await child.exited;
    const before = rows(s.db);
    expect(before).toBeLessThan(total); // killed mid-way, or the test proves nothing

    const result = await runCliAwaited(["--parse-existing"], s.env);
    expect(result.exitCode).toBe(0);
    expect(countRows(s.db, "cron_entries")).toBe(total);
    expect(countRows(s.db, "quarantine")).toBe(total / 10_000);
    expect(result.stdout).toContain(`${total - before} new run(s), 0 already stored`);
    expect(guardCalls(s.home)).toEqual([]); // the rejected lines' alerts reach no real notifier
  }), 60_000);
});
