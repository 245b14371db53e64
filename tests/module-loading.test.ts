import { describe, expect, test } from "bun:test";
import { REPO } from "./helpers.ts";

/** The repository's modules (and packages) a fresh process has loaded after running `script`. */
function loadedModules(script: string): string[] {
  const probe = `${script}\nconsole.log(JSON.stringify(Object.keys(require.cache)));`;
  const child = Bun.spawnSync(["bun", "-e", probe], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  if (child.exitCode !== 0) throw new Error(child.stderr.toString());
  return (JSON.parse(child.stdout.toString()) as string[]).map((path) => path.slice(REPO.length + 1));
}

describe("module loading of the resident collector", () => {
  test("the CLI entry loads no command module until a command runs", () => {
    const loaded = loadedModules('await import("./src/cli/main.ts");');
    expect(loaded.filter((path) => path.startsWith("src/commands/") || path.startsWith("src/daemon/watch"))).toEqual([]);
  });

  test("the watch command leaves out the other commands, the runner (alerts only use its output summary), metrics, heartbeat and the yaml package", () => {
    const loaded = loadedModules('await import("./src/daemon/watch.ts");');
    const unneeded = loaded.filter((path) => /^src\/(commands|metrics)\/|^src\/runner\/run-|^src\/(report|heartbeat)\.ts$|node_modules\/yaml\//.test(path));
    expect(unneeded).toEqual([]);
    expect(loaded).toContain("src/daemon/running.ts");
  });
});
