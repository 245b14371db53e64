/** Output reaches a slow reader of a pipe whole before the process exits (issue 14 item 7). */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSession } from "../src/session.ts";
import { loadConfig } from "../src/config/load.ts";
import { createLogger } from "../src/logger.ts";
import { testSystem } from "./daemon-fakes.ts";
import { cliEnv, guardCalls, jsonl, REPO, tempDir } from "./helpers.ts";

describe("output to a pipe", () => {
  test("--stats --json of more than 64 KiB reaches a slow reader whole", () => {
    const home = tempDir("cc-io-");
    const env = cliEnv(home);
    // Many jobs make a big document; ingested in-process, only the printing needs a process.
    const input = join(home, "runs.jsonl");
    let lines = "";
    for (let job = 0; job < 600; job++) lines += jsonl({ ts: "2025-07-29T04:00:00Z", exit: job % 3, msg: `run of job ${job}`, job: `job-${job}` });
    writeFileSync(input, lines);
    const config = loadConfig({ path: env.CRON_COLLECTOR_CONFIG ?? "", explicit: true }, home);
    const session = openSession({ ...config, input }, createLogger("error", []), () => new Date("2025-07-29T05:00:00Z"), testSystem);
    expect(session.tailer.poll().inserted).toBe(600);
    session.close();

    const out = join(home, "stats.json");
    const collector = ["bun", join(REPO, "collector.ts"), "--stats", "--json", "--now", "2025-07-29T05:00:00Z"].join(" ");
    // The reader starts reading only after the collector had time to write and exit.
    const shell = Bun.spawnSync(["bash", "-c", `${collector} | { sleep 0.5; cat > '${out}'; }; echo "\${PIPESTATUS[0]}"`], { env, stdout: "pipe", stderr: "pipe" });
    expect(shell.stderr.toString()).toBe("");
    expect(shell.stdout.toString().trim()).toBe("0");
    const text = readFileSync(out, "utf8");
    expect(text.length).toBeGreaterThan(128 * 1024);
    expect(JSON.parse(text).jobs).toHaveLength(600);
    expect(guardCalls(home)).toEqual([]);
  });
});
