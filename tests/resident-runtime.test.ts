import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { commandEnvironment, GC_TIMER_VARIABLE, RESIDENT_GC_TIMER_MS, RESTARTED_VARIABLE, residentEnvironment } from "../src/cli/resident-runtime.ts";
import { cliEnv, REPO, tempDir, waitFor } from "./helpers.ts";

const running: Subprocess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGKILL");
});

describe("the watching collector's runtime settings", () => {
  const env = { HOME: "/home/ada", PATH: "/usr/bin" };

  test.each([
    ["watch (the default command)", []],
    ["watch --daemon", ["watch", "--daemon"]],
    ["the Python collector's --daemon", ["--daemon", "--config", "/etc/cc.yaml"]],
  ])("%s starts again with Bun's GC timer at 10 s", (_, argv) => {
    expect(residentEnvironment(argv, env)).toEqual({ ...env, [GC_TIMER_VARIABLE]: String(RESIDENT_GC_TIMER_MS), [RESTARTED_VARIABLE]: "1" });
  });

  test.each([
    ["a command that ends", ["stats", "--json"]],
    ["--help", ["--help"]],
    ["arguments main() will refuse", ["watch", "--no-such-flag"]],
  ])("%s runs as it is", (_, argv) => {
    expect(residentEnvironment(argv, env)).toBeNull();
  });

  test("a timer the environment already sets is kept (and the restarted process does not start again)", () => {
    expect(residentEnvironment([], { ...env, [GC_TIMER_VARIABLE]: "1000" })).toBeNull();
  });

  test("what the restarted collector spawns (a notify.command, say) does not inherit the timer it set for itself", () => {
    const restarted = residentEnvironment([], env);
    expect(restarted).not.toBeNull();
    expect(residentEnvironment([], restarted ?? {})).toBeNull();
    expect(commandEnvironment(restarted ?? {})).toEqual(env);
  });

  test("a timer the user set is passed on as it is", () => {
    const own = { ...env, [GC_TIMER_VARIABLE]: "1000" };
    expect(commandEnvironment(own)).toEqual(own);
    expect(commandEnvironment(env)).toEqual(env);
  });

  test.skipIf(!existsSync("/proc/self/environ"))("the real CLI: same process id, the setting in its environment, stops cleanly", async () => {
    const home = tempDir("cc-resident-");
    const child = Bun.spawn(["bun", join(REPO, "collector.ts")], { env: cliEnv(home), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    running.push(child);
    const environ = (): string[] => {
      try {
        return readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0");
      } catch {
        return [];
      }
    };
    await waitFor(() => environ().includes(`${GC_TIMER_VARIABLE}=${RESIDENT_GC_TIMER_MS}`), 5000, "the restarted collector");
    await waitFor(() => existsSync(join(home, ".cron_dash", "ladder.db")), 5000, "the database");
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(await new Response(child.stderr).text()).toContain("Received SIGTERM; stopping");
  });
});
