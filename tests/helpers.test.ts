/** The environment spawned CLIs get: never the repository's config.yaml, never a real notifier. */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliEnv, guardCalls, REPO, runCli, TEST_CONFIG, tempDir } from "./helpers.ts";

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
