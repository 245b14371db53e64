/** `--stats` only looks: it works on a database the user may read but not write (issue 14 item 17). */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { openSession } from "../src/session.ts";
import { testSystem } from "./daemon-fakes.ts";
import { cliEnv, guardCalls, jsonl, REPO, tempDir } from "./helpers.ts";

describe("--stats on a read-only database", () => {
  // Root writes anything, so as root the command runs as "nobody", who may only read.
  const asRoot = process.getuid?.() === 0;

  test("reports without write access to the file or its directory", () => {
    const home = tempDir("cc-ro-");
    const data = join(home, "data");
    mkdirSync(data);
    writeFileSync(join(home, "runs.jsonl"), jsonl({ ts: "2025-07-29T04:00:00Z", exit: 0, msg: "ok", job: "backup" }));
    const env = cliEnv(home);
    writeFileSync(env.CRON_COLLECTOR_CONFIG ?? "", `input: ${join(home, "runs.jsonl")}\ndatabase: ${join(data, "ladder.db")}\nlog_dir: ${join(home, "logs")}\nnotify:\n  backend: none\n`);
    const config = loadConfig({ path: env.CRON_COLLECTOR_CONFIG ?? "", explicit: true }, home);
    const session = openSession(config, createLogger("error", []), () => new Date("2025-07-29T05:00:00Z"), testSystem);
    session.tailer.poll();
    session.close();
    chmodSync(join(data, "ladder.db"), 0o444);
    chmodSync(data, 0o555);
    chmodSync(home, 0o755); // "nobody" must reach the config and the database
    const prefix = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : [];
    const result = Bun.spawnSync([...prefix, "bun", join(REPO, "collector.ts"), "--stats", "--json", "--now", "2025-07-29T05:00:00Z"], { env, cwd: "/", stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout.toString()).jobs.map((job: { name: string }) => job.name)).toContain("backup");
    expect(guardCalls(home)).toEqual([]);
  });

  test.each([["stats"], ["jobs"]])("%s on a database that does not exist yet creates nothing: an empty report and a note", (command) => {
    const home = tempDir("cc-nodb-");
    const env = cliEnv(home);
    const db = join(home, "typo", "ladder.db");
    const result = Bun.spawnSync(["bun", join(REPO, "collector.ts"), command, "--db", db], { env, cwd: "/", stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.toString()).toBe(`cron-collector: No database at "${db}" yet (nothing has been stored there): the report is empty\n`);
    expect(existsSync(join(home, "typo"))).toBe(false);
  });
});
