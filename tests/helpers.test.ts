/**
 * The environment spawned CLIs get (never the repository's config.yaml, never a real notifier),
 * and the in-process CLI that stands in for a process where only the command is tested.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cliEnv, FIXTURES, guardCalls, REPO, runCli, runCliAwaited, runCliInProcess, TEST_CONFIG, tempDir, type CliResult } from "./helpers.ts";
import { tempRoot } from "./temp-root.ts";

describe("cliEnv", () => {
  test("the config is the temp HOME's own, whatever the repository's config.yaml says", () => {
    const home = tempDir("cc-env-");
    const env = cliEnv(home);
    expect(env.CRON_COLLECTOR_CONFIG).toBe(join(home, "config.yaml"));
    expect(readFileSync(join(home, "config.yaml"), "utf8")).toBe(TEST_CONFIG);
    const paths = runCli(["--paths"], env).stdout;
    expect(paths).toContain(`config=${join(home, "config.yaml")}`);
    expect(paths).not.toContain(join(REPO, "config.yaml"));
  });

  test("a notifier the CLI is told to use is a recording fake that fails, not the machine's", () => {
    const home = tempDir("cc-env-");
    writeFileSync(join(home, "config.yaml"), "notify:\n  backend: notify-send\n");
    const result = runCli(["--test-notification"], cliEnv(home));
    expect(result.exitCode).toBe(1);
    expect(guardCalls(home)).toHaveLength(1);
    expect(guardCalls(home)[0]).toStartWith("notify-send ");
  });
});

describe("runCliInProcess", () => {
  /** A HOME with the writers fixture as its input; its path is replaced by HOME in what is compared. */
  function writersHome(): { home: string; env: Record<string, string> } {
    const home = tempDir("cc-inprocess-");
    mkdirSync(join(home, "logs"));
    copyFileSync(join(FIXTURES, "writers.jsonl"), join(home, "logs", "ladder.jsonl"));
    return { home, env: cliEnv(home) };
  }
  const comparable = (result: CliResult, home: string): CliResult => {
    const text = (output: string): string =>
      output
        .replaceAll(home, "HOME")
        .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "TIME ") // the log's own clock
        .replace(/ in \d+\.\d+s$/gm, " in N s");
    return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
  };

  test("answers as the real CLI does: the same exit code, stdout and stderr", async () => {
    const now = ["--now", "2025-07-29T05:00:00Z"];
    const readOnly = [["--stats", ...now], ["--stats", "--json", ...now], ["jobs", ...now], ["--stats", "--job", "bakup", ...now], ["--stat"], ["pause", "backup", "--for", "soon"]];
    /** Before any database, a parse, what reads it; then the same config broken. */
    const session = async (cli: typeof runCliAwaited): Promise<CliResult[]> => {
      const { home, env } = writersHome();
      const results = [await cli(["--stats", ...now], env), await cli(["--parse-existing", ...now], env)];
      results.push(...(await Promise.all(readOnly.map((args) => cli(args, env)))));
      writeFileSync(join(home, "config.yaml"), "check_interval: soon\n");
      results.push(await cli(["--parse-existing"], env));
      return results.map((result) => comparable(result, home));
    };
    const [real, inProcess] = await Promise.all([session(runCliAwaited), session(runCliInProcess)]);
    expect(real.map((result) => result.exitCode)).toEqual([0, 0, 0, 0, 0, 2, 2, 2, 2]);
    expect(inProcess).toEqual(real);
  });

  test("leaves the process's umask as it was", async () => {
    const before = process.umask();
    const { env } = writersHome();
    await Promise.all([runCliInProcess(["--parse-existing"], env), runCliInProcess(["--stats"], env)]);
    expect(process.umask()).toBe(before);
  });
});

describe("tempDir", () => {
  test("makes private dirs under the test process's temp root, which others may only pass through", () => {
    const dir = tempDir("cc-root-");
    expect(dirname(dir)).toBe(tempRoot());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(tempRoot()).mode & 0o777).toBe(0o711);
  });
});
