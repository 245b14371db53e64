/**
 * The CLI on real files in a temp HOME: as a subprocess where the process is what is shown (exit
 * codes, no stack trace, output, --help, run), in-process (runCliInProcess) where it is what a
 * command does with its input, database and config.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { cliEnv, CONCURRENT_TEST_TIMEOUT_MS, countRows, createPythonDatabase, FIXTURES, messages, NO_DASHBOARD, REPO, runCliAwaited, runCliInProcess, runLines, tempDir } from "./helpers.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

/** A temp HOME with a config of its own (never the repository's config.yaml, which a user may have edited). */
function home(): { home: string; input: string; db: string; env: Record<string, string> } {
  const dir = tempDir("cc-home-");
  mkdirSync(join(dir, "logs"));
  const config = join(dir, "defaults.yaml");
  writeFileSync(config, "# every setting at its default\n");
  return { home: dir, input: join(dir, "logs", "ladder.jsonl"), db: join(dir, ".cron_dash", "ladder.db"), env: cliEnv(dir, { CRON_COLLECTOR_CONFIG: config }) };
}

describe("collector.ts --parse-existing", () => {
  test("reads every writer's format once, quarantines the rest, and is idempotent", async () => {
    const h = home();
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    const first = await runCliAwaited(["--parse-existing"], h.env);
    expect(first.stderr).not.toContain("    at ");
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain("7 new run(s), 1 already stored, 6 rejected");
    const again = await runCliAwaited(["--parse-existing"], h.env);
    expect(again.stdout).toContain("0 new run(s), 0 already stored, 0 rejected");
    expect(countRows(h.db, "cron_entries")).toBe(7);
    expect(countRows(h.db, "quarantine")).toBe(6);
  });

  test("survives CRLF, a BOM, invalid UTF-8, NUL bytes and a 2 MB line, and reads the lines after them", async () => {
    const h = home();
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [
      enc.encode('\uFEFF{"ts":"2025-07-29T04:30:00Z","exit":0,"msg":"bom"}\r\n'),
      new Uint8Array([...enc.encode('{"ts":"2025-07-29T04:31:00Z","exit":1,"msg":"bad '), 0xc3, 0x28, 0xff, ...enc.encode('"}\n')]),
      enc.encode('{"ts":"2025-07-29T04:32:00Z",\0"exit":0}\n'),
      enc.encode(`{"ts":"2025-07-29T04:33:00Z","exit":0,"msg":"${"z".repeat(2 * 1024 * 1024)}"}\n`),
      enc.encode('{"ts":"2025-07-29T04:34:00Z","exit":0,"msg":"after all that"}\n'),
    ];
    writeFileSync(h.input, Buffer.concat(parts));
    const result = await runCliInProcess(["--parse-existing"], h.env);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("3 new run(s), 0 already stored, 2 rejected");
    expect(messages(h.db)).toEqual(["bom", "bad \uFFFD(\uFFFD", "after all that"]);
  });

  test("upgrades a Python collector database and adds to it", async () => {
    const h = home();
    mkdirSync(join(h.home, ".cron_dash"));
    createPythonDatabase(h.db);
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    const result = await runCliInProcess(["--parse-existing"], h.env);
    expect(result.exitCode).toBe(0);
    // "Monitor started successfully" at 04:30Z was already there.
    expect(result.stdout).toContain("6 new run(s), 2 already stored, 6 rejected");
    expect(countRows(h.db, "cron_entries")).toBe(5 + 6);
  });

  test("tells a newcomer what to do when the input does not exist yet", async () => {
    const h = home();
    // bun on PATH as a link to the real binary (as npm installs it: /usr/bin/bun -> …/bun.exe).
    const bin = join(h.home, "bin");
    mkdirSync(bin);
    const bun = join(bin, "bun");
    symlinkSync(realpathSync(Bun.which("bun", { PATH: h.env.PATH ?? "" }) ?? process.execPath), bun);
    const result = await runCliAwaited(["--parse-existing"], { ...h.env, PATH: `${bin}:${h.env.PATH ?? ""}` });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`"${h.input}" does not exist yet`);
    expect(result.stdout).toContain("jq -cn");
    // The absolute bun (cron's PATH, /usr/bin:/bin, may not find a bun in ~/.bun/bin), and the one
    // on PATH that the user knows rather than the binary it links to.
    expect(result.stdout).toContain(`*/5 * * * * ${bun} ${join(REPO, "collector.ts")} run --job my-job -- /path/to/job.sh`);
  });

  test("--input and --db override the config", async () => {
    const h = home();
    const input = join(h.home, "other.jsonl");
    const db = join(h.home, "other.db");
    writeFileSync(input, runLines(0, 4));
    expect((await runCliInProcess(["--parse-existing", "--input", input, "--db", db], h.env)).exitCode).toBe(0);
    expect(countRows(db, "cron_entries")).toBe(4);
  });
});

describe("collector.ts --stats", () => {
  test("prints the dashboard and the JSON with the documented keys, as of --now", async () => {
    const h = home();
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    await runCliAwaited(["--parse-existing"], h.env);
    const text = await runCliAwaited(["--stats", "--now", "2025-07-29T05:00:00Z"], h.env);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain("   Total runs: 7\n   Success rate: 71.4%\n   Failed runs: 2");
    expect(text.stdout).toContain("💾 Database: 7 total entries");
    expect(text.stdout).toContain("🚫 Quarantined lines: 6");
    expect(text.stdout).not.toContain("\x1b[");

    const json = JSON.parse((await runCliAwaited(["--stats", "--json", "--now", "2025-07-29T05:00:00Z"], h.env)).stdout);
    expect(Object.keys(json)).toEqual(["now", "total_entries", "rejected_lines", "last_24h", "last_7d", "average_interval_seconds", "last_failure", "jobs", "watch_gap", "newest_rejects"]);
    expect(json.last_24h).toEqual({ total: 7, succeeded: 5, failed: 2, success_rate: (5 / 7) * 100 });
    expect(json.last_failure).toEqual({ ts: "2025-07-29T04:33:00Z", exit: 2, msg: "Authentication failed - invalid credentials", job: "ladder" });
    expect(json.average_interval_seconds).toBe(60);
    expect(json.jobs.map((job: { name: string }) => job.name)).toEqual(["backup", "ladder"]);

    const later = JSON.parse((await runCliAwaited(["--stats", "--json", "--now", "2025-07-30T04:33:00Z"], h.env)).stdout);
    expect(later.last_24h.total).toBe(3); // 04:33 is exactly 24h old and falls out; 04:34-04:36 stay
    expect(later.last_7d.total).toBe(7);
  });

  test("--job shows one job with its recent runs", async () => {
    const h = home();
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    await runCliInProcess(["--parse-existing"], h.env);
    const result = await runCliInProcess(["--stats", "--job", "backup", "--now", "2025-07-29T05:00:00Z"], h.env);
    expect(result.stdout).toContain("STATISTICS: backup");
    expect(result.stdout).toContain("   Total runs: 2");
    expect(result.stdout).toContain("🕘 Recent runs:");
  });

  test("--job with a name that is no job exits 2 with a did-you-mean, not an empty report in state new", async () => {
    const h = home();
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    await runCliInProcess(["--parse-existing"], h.env);
    for (const args of [["stats", "--job", "bakup"], ["--stats", "--json", "--job", "bakup"]]) {
      const result = await runCliInProcess([...args, "--now", "2025-07-29T05:00:00Z"], h.env);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain('No job named "bakup": config.yaml does not list it and no run of it was seen; did you mean "backup"?');
    }
  });
});

describe("errors are messages, never stack traces", () => {
  test.each([
    ["check_interval: soon\n", 'line 1, column 17): "check_interval" must be a number of seconds'],
    ["check_intervall: 5\n", 'unknown key "check_intervall"; did you mean "check_interval"?'],
    ["input: [unclosed\n", "YAML syntax"],
  ])("a broken config.yaml %j exits 2", async (text, message) => {
    const h = home();
    const config = join(h.home, "config.yaml");
    writeFileSync(config, text);
    for (const args of [["--stats", "--config", config], ["--parse-existing"]]) {
      const env = args.includes("--config") ? h.env : { ...h.env, CRON_COLLECTOR_CONFIG: config };
      const result = await runCliAwaited(args, env);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`cron-collector: Cannot load config "${config}" (`);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain("    at ");
    }
  });

  test("a config with several problems: one line each, every line names the program", async () => {
    const h = home();
    const config = join(h.home, "config.yaml");
    writeFileSync(config, 'jobs:\n  a: { cron: "@daily", timezone: Mars/Base }\n  b: { every: often }\n');
    const result = await runCliInProcess(["stats", "--config", config], h.env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `cron-collector: Cannot load config "${config}" (line 2, column 34): "jobs.a.timezone": unknown time zone "Mars/Base" (use an IANA name such as Europe/Berlin)`,
      `cron-collector: Cannot load config "${config}" (line 3, column 15): "jobs.b.every" must be a duration such as 30s, 5m or 1h, got "often"`,
    ]);
  });

  test("a missing --config file exits 2", async () => {
    const h = home();
    const result = await runCliInProcess(["--stats", "--config", join(h.home, "nope.yaml")], h.env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no such file");
  });

  test("an unknown flag exits 2 with a did-you-mean and a pointer to --help", async () => {
    const result = await runCliInProcess(["--stat"], home().env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown option "--stat"; did you mean "--stats"?');
    expect(result.stderr).toContain("--help");
  });

  test("a database that cannot be created exits 1 with the reason", async () => {
    const h = home();
    writeFileSync(join(h.home, "blocker"), "");
    writeFileSync(h.input, runLines(0, 1));
    const result = await runCliInProcess(["--parse-existing", "--db", join(h.home, "blocker", "x.db")], h.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`"${join(h.home, "blocker")}`);
    expect(result.stderr).toContain("a file is in the way");
    expect(result.stderr).not.toContain("    at ");
  });

  test("--help and --version", async () => {
    const help = await runCliAwaited(["--help"], home().env);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--parse-existing");
    expect((await runCliAwaited(["--version"], home().env)).stdout).toMatch(/^cron-collector \d+\.\d+\.\d+/);
  });
});

describe("subcommands", () => {
  // Every command's --help is parsed in-process in args.test.ts; these are the ones issue 10 names.
  test.each(["log", "run", "pause"])("%s --help prints that command's usage and exits 0", async (command) => {
    const result = await runCliInProcess([command, "--help"], home().env);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith(`Usage: bun collector.ts ${command}`);
  });

  test("global options before the command: --config X run --job j -- cmd", async () => {
    const h = home();
    const config = join(h.home, "elsewhere.yaml");
    const input = join(h.home, "elsewhere.jsonl");
    writeFileSync(config, `input: ${input}\n${NO_DASHBOARD}`);
    const result = await runCliAwaited(["--config", config, "run", "--job", "j", "--", "bash", "-c", "exit 3"], h.env);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(3);
    expect(JSON.parse(readFileSync(input, "utf8"))).toMatchObject({ job: "j", exit: 3 });
  });

  test("jobs lists every job with its state, schedule and last run, from the stats document", async () => {
    const h = home();
    const config = join(h.home, "config.yaml");
    writeFileSync(config, 'jobs:\n  nightly:\n    cron: "0 3 * * *"\n');
    copyFileSync(join(FIXTURES, "writers.jsonl"), h.input);
    const env = { ...h.env, CRON_COLLECTOR_CONFIG: config };
    expect((await runCliInProcess(["parse"], env)).exitCode).toBe(0);
    const now = ["--now", "2025-07-29T05:00:00Z"];
    const table = await runCliInProcess(["jobs", ...now], env);
    expect(table.exitCode).toBe(0);
    const stats = JSON.parse((await runCliInProcess(["stats", "--json", ...now], env)).stdout) as { jobs: Array<{ name: string; state: string; last_run: string | null }> };
    const rows = table.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^JOB +STATE +SCHEDULE +LAST RUN$/);
    expect(rows).toHaveLength(stats.jobs.length + 1);
    for (const job of stats.jobs) {
      const row = rows.find((line) => line.startsWith(`${job.name} `));
      expect(row).toContain(` ${job.state} `);
      expect(row).toContain(job.last_run ?? "never");
    }
    expect(rows.find((line) => line.startsWith("nightly "))).toContain('cron "0 3 * * *"');
    expect(JSON.parse((await runCliInProcess(["jobs", "--json", ...now], env)).stdout)).toEqual(stats.jobs);
  });
});

describe("private directories", () => {
  test.each([
    ["log_dir", ["--daemon"]],
    ["the database directory", ["parse"]],
  ])("%s writable by every user is refused with a clear error", async (setting, args) => {
    const h = home();
    const shared = join(h.home, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const config = join(h.home, "config.yaml");
    writeFileSync(h.input, "");
    writeFileSync(config, setting === "log_dir" ? `log_dir: ${shared}\n` : `database: ${join(shared, "x.db")}\n`);
    const result = await runCliAwaited(args, { ...h.env, CRON_COLLECTOR_CONFIG: config });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`Refusing ${setting} "${shared}": it is writable by every user (mode 0777)`);
    expect(readdirSync(shared)).toEqual([]);
  });
});
