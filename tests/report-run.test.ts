/** `run` and `log`: real subprocesses appending to a real file, then ingested by the collector. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../src/runner/run-command.ts";
import { ByteTail, summarizeOutput } from "../src/runner/output-tail.ts";
import { cliEnv, CONCURRENT_TEST_TIMEOUT_MS, REPO, runCliAwaited, runCliInProcess, spawnAwaited, tempDir, waitFor } from "./helpers.ts";

setDefaultTimeout(CONCURRENT_TEST_TIMEOUT_MS); // run concurrently: see bunfig.toml

/** A temp HOME with a config of its own (never the repository's config.yaml, which a user may have edited). */
function setup() {
  const home = tempDir("cc-run-");
  const config = join(home, "defaults.yaml");
  writeFileSync(config, "# every setting at its default\n");
  return { home, input: join(home, "logs", "ladder.jsonl"), db: join(home, ".cron_dash", "ladder.db"), env: cliEnv(home, { CRON_COLLECTOR_CONFIG: config }) };
}

function lines(input: string): Array<Record<string, unknown>> {
  return readFileSync(input, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("run", () => {
  test("a successful command: exit 0, message ok, duration and host, output passed through", async () => {
    const s = setup();
    const result = await runCliAwaited(["run", "--job", "backup", "--", "true"], s.env);
    expect(result.exitCode).toBe(0);
    const [line] = lines(s.input);
    expect(line).toMatchObject({ exit: 0, msg: "ok", job: "backup", host: expect.any(String), duration_ms: expect.any(Number) });
    expect(Date.parse(String(line?.ts))).toBeGreaterThan(0);
    expect(line).not.toHaveProperty("output_tail");
  });

  test("a failing command: its exit code, its last output line as the message, the tail kept", async () => {
    const s = setup();
    // stdout and stderr are two pipes: the pauses make the order in the combined tail certain.
    const result = await runCliAwaited(["run", "--", "bash", "-c", 'echo "to stdout"; sleep 0.2; echo "Error: disk \\"full\\"" >&2; sleep 0.2; echo; exit 3'], s.env);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe("to stdout\n\n");
    expect(result.stderr).toContain('Error: disk "full"');
    expect(lines(s.input)[0]).toMatchObject({ exit: 3, msg: 'Error: disk "full"', output_tail: 'to stdout\nError: disk "full"\n\n' });
  });

  test.each([
    ["killed by a signal", ["bash", "-c", "kill -KILL $$"], 137],
    ["not found", ["no-such-command-here"], 127],
  ])("%s", async (_name, argv, exit) => {
    const s = setup();
    const result = await runCliAwaited(["run", "--", ...argv], s.env);
    expect(result.exitCode).toBe(exit);
    expect(lines(s.input)[0]?.exit).toBe(exit);
  });

  test("a file that is not executable records 126", async () => {
    const s = setup();
    const script = join(s.home, "script.sh");
    writeFileSync(script, "echo hi\n");
    chmodSync(script, 0o644);
    const result = await runCliAwaited(["run", "--", script], s.env);
    expect(result.exitCode).toBe(126);
    expect(lines(s.input)[0]).toMatchObject({ exit: 126, msg: `permission denied: ${script}` });
  });

  test("--timeout stops the command and records 124, as timeout(1) does", async () => {
    const s = setup();
    const started = performance.now();
    const result = await runCliAwaited(["run", "--timeout", "500ms", "--", "bash", "-c", "echo started; sleep 20"], s.env);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(124);
    expect(lines(s.input)[0]).toMatchObject({ exit: 124, msg: "timed out after 0.5s: started" });
  });

  test("quotes, newlines and invalid UTF-8 in the output still make one valid line", async () => {
    const s = setup();
    const result = await runCliAwaited(["run", "--", "bash", "-c", `printf 'a "q" \\\\ b\\n\\xff\\xfe bad\\r\\nlast'; exit 1`], s.env);
    expect(result.exitCode).toBe(1);
    const [line] = lines(s.input);
    expect(line?.msg).toBe("last");
    expect(line?.output_tail).toBe('a "q" \\ b\n\uFFFD\uFFFD bad\r\nlast');
  });

  test("1 MB of output: the line keeps the last 8 KB; memory does not follow the output's size", async () => {
    const s = setup();
    const rss = async (megabytes: number): Promise<number> => {
      const child = Bun.spawn(["bun", join(REPO, "collector.ts"), "run", "--", "bash", "-c", `head -c ${megabytes * 1024 * 1024} /dev/zero | tr '\\0' x; echo; echo done`], {
        env: s.env,
        stdout: "ignore",
        stderr: "ignore",
      });
      expect(await child.exited).toBe(0);
      return (child.resourceUsage()?.maxRSS ?? 0) / 1024 / 1024;
    };
    const small = await rss(1);
    const large = await rss(64);
    const recorded = lines(s.input);
    expect(String(recorded[0]?.output_tail).length).toBe(8192);
    expect(recorded[0]?.msg).toBe("done");
    expect(large - small).toBeLessThan(40);
  });

  test("10 concurrent runs with long lines append 10 whole lines", async () => {
    const s = setup();
    const children = Array.from({ length: 10 }, (_, i) =>
      Bun.spawn(["bun", join(REPO, "collector.ts"), "run", "--job", `job-${i}`, "--", "bash", "-c", `head -c 12000 /dev/zero | tr '\\0' ${String.fromCharCode(97 + (i % 26))}; echo; echo finished ${i}`], {
        env: s.env,
        stdout: "ignore",
        stderr: "ignore",
      }),
    );
    expect(await Promise.all(children.map((child) => child.exited))).toEqual(Array(10).fill(0));
    const recorded = lines(s.input);
    expect(recorded).toHaveLength(10);
    expect(new Set(recorded.map((line) => line.job))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => `job-${i}`)));
    for (const line of recorded) expect(String(line.output_tail)).toHaveLength(8192);

    const ingest = await runCliInProcess(["--parse-existing"], s.env);
    expect(ingest.stdout).toContain("10 new run(s), 0 already stored, 0 rejected");
  });

  test("--start-marker writes a start line first; the collector pairs it by run_id", async () => {
    const s = setup();
    expect((await runCliAwaited(["run", "--start-marker", "--job", "backup", "--", "true"], s.env)).exitCode).toBe(0);
    const [start, finish] = lines(s.input);
    expect(start).toMatchObject({ event: "start", job: "backup", run_id: expect.any(String) });
    expect(finish).toMatchObject({ exit: 0, job: "backup", run_id: start?.run_id });
    expect((await runCliInProcess(["--parse-existing"], s.env)).stdout).toContain("1 new run(s), 1 start marker(s)");
    const db = new Database(s.db, { readonly: true });
    expect(db.query("SELECT run_id, job FROM run_starts").all()).toEqual([{ run_id: start?.run_id, job: "backup" }]);
    expect(JSON.parse(String(db.query<{ extra: string }, []>("SELECT extra FROM cron_entries").get()?.extra))).toEqual({ run_id: start?.run_id });
    db.close();
  });

  test("an unwritable input is reported, and the command's exit code is kept", async () => {
    const s = setup();
    writeFileSync(join(s.home, "blocker"), "");
    const result = await runCliAwaited(["run", "--input", join(s.home, "blocker", "x.jsonl"), "--", "bash", "-c", "exit 5"], s.env);
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain("could not record the run in");
  });

  test("a line that cannot be written goes to stderr whole, and the command's exit code is kept", async () => {
    const s = setup();
    mkdirSync(s.input, { recursive: true }); // the input is a directory: no line can be appended
    const result = await runCliAwaited(["run", "--job", "backup", "--", "bash", "-c", "echo 'the real reason'; exit 7"], s.env);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(`could not record the run in "${s.input}"`);
    const unwritten = result.stderr.split("\n").find((line) => line.startsWith("{"));
    expect(JSON.parse(unwritten ?? "null")).toMatchObject({ exit: 7, job: "backup", msg: "the real reason" });
  });

  test("the command gets the caller's umask, not the collector's 077", async () => {
    const s = setup();
    const collector = join(REPO, "collector.ts");
    const result = await spawnAwaited(["sh", "-c", `umask 022; exec bun '${collector}' run -- sh -c 'umask; touch "$HOME/made-by-job"'`], { env: s.env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe("0022");
    expect(statSync(join(s.home, "made-by-job")).mode & 0o777).toBe(0o644);
    // The collector's own file stays private.
    expect(statSync(s.input).mode & 0o777).toBe(0o600);
  });

  test("a broken config.yaml does not keep the job from running", async () => {
    const s = setup();
    const config = join(s.home, "config.yaml");
    writeFileSync(config, "check_interval: soon\n");
    const result = await runCliAwaited(["run", "--", "bash", "-c", "exit 0"], { ...s.env, CRON_COLLECTOR_CONFIG: config });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("Cannot load config");
    expect(lines(s.input)).toHaveLength(1);
  });

  test("usage errors", async () => {
    const s = setup();
    expect((await runCliInProcess(["run", "true"], s.env)).stderr).toContain('run needs the command after "--"');
    expect((await runCliInProcess(["run", "--timeout", "soon", "--", "true"], s.env)).exitCode).toBe(2);
  });
});

describe("what the collector does with the output tail", () => {
  test("--stats --job shows the end of the last failure's output; an alert without msg uses its last line", async () => {
    const s = setup();
    writeFileSync(join(s.home, "config.yaml"), "notify:\n  backend: none\n");
    const env = { ...s.env, CRON_COLLECTOR_CONFIG: join(s.home, "config.yaml") };
    expect((await runCliAwaited(["run", "--job", "backup", "--", "bash", "-c", "echo step 1; echo step 2; echo 'rsync: connection refused'; exit 12"], env)).exitCode).toBe(12);
    writeFileSync(s.input, `${readFileSync(s.input, "utf8")}${JSON.stringify({ ts: new Date().toISOString(), exit: 4, msg: "", job: "other", output_tail: "a\nthe real reason\n" })}\n`);
    const ingest = await runCliInProcess(["--parse-existing"], env);
    expect(ingest.stderr).toContain(": 🚨 Cron Job Failed [backup]: Exit code 12: rsync: connection refused");
    expect(ingest.stderr).toContain(": 🚨 Cron Job Failed [other]: Exit code 4: the real reason");
    const stats = await runCliInProcess(["--stats", "--job", "backup"], env);
    expect(stats.stdout).toContain("📄 Output of the last failure (last lines):\n   step 1\n   step 2\n   rsync: connection refused");
    const json = JSON.parse((await runCliInProcess(["--stats", "--json", "--job", "backup"], env)).stdout);
    expect(json.last_failure.output_tail).toBe("step 1\nstep 2\nrsync: connection refused\n");
  });
});

describe("lines over 4 KB", () => {
  const longMessage = "m".repeat(6000);

  test("are appended without creating anything beside the input", async () => {
    const s = setup();
    expect((await runCliInProcess(["log", "--exit", "1", "--msg", longMessage], s.env)).exitCode).toBe(0);
    expect(readdirSync(join(s.home, "logs"))).toEqual(["ladder.jsonl"]);
    expect(lines(s.input)[0]?.msg).toBe(longMessage);
  });

  test("wait for a flock held on the input file itself", async () => {
    const s = setup();
    mkdirSync(join(s.home, "logs"));
    writeFileSync(s.input, "");
    const holding = join(s.home, "holding");
    const released = join(s.home, "released");
    // flock(1) takes flock(2) on the input, the lock every writer of long lines shares.
    const holder = Bun.spawn(["flock", s.input, "sh", "-c", `touch '${holding}'; sleep 0.3; touch '${released}'`]);
    await waitFor(() => existsSync(holding), 5000, "the lock holder");
    const writer = Bun.spawn(["bun", join(REPO, "collector.ts"), "log", "--exit", "0", "--msg", longMessage], { env: s.env, stderr: "pipe" });
    expect(await writer.exited).toBe(0);
    expect(existsSync(released)).toBe(true); // the writer went on only once the holder was done
    await holder.exited;
    expect(lines(s.input)).toHaveLength(1);
  });

  test("reach an input in a directory the writer cannot write to", async () => {
    const s = setup();
    const shared = join(s.home, "shared");
    mkdirSync(shared);
    const input = join(shared, "ladder.jsonl");
    writeFileSync(input, "");
    chmodSync(input, 0o666);
    chmodSync(shared, 0o555);
    chmodSync(s.home, 0o755);
    chmodSync(join(s.home, "defaults.yaml"), 0o644); // whatever the umask it was written under
    // Root may write anywhere: as root, the writer runs as nobody; any other user cannot write there anyway.
    const asNobody = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : [];
    const result = await spawnAwaited([...asNobody, process.execPath, join(REPO, "collector.ts"), "log", "--input", input, "--exit", "1", "--msg", longMessage], { env: { ...s.env, HOME: shared } });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(lines(input)[0]?.msg).toBe(longMessage);
    expect(readdirSync(shared)).toEqual(["ladder.jsonl"]);
  });
});

describe("log", () => {
  test("JSON-escapes everything and defaults ts to now", async () => {
    const s = setup();
    const msg = 'He said "hi"\\n and left\nsecond line `$(x)`';
    expect((await runCliInProcess(["log", "--exit", "2", "--msg", msg, "--job", "py", "--duration-ms", "1500"], s.env)).exitCode).toBe(0);
    const [line] = lines(s.input);
    expect(line).toMatchObject({ exit: 2, msg, job: "py", duration_ms: 1500 });
    expect(Math.abs(Date.parse(String(line?.ts)) - Date.now())).toBeLessThan(60_000);
    expect((await runCliInProcess(["log", "--exit", "0", "--ts", "2025-07-29T06:30:00+02:00"], s.env)).exitCode).toBe(0);
    expect(lines(s.input)[1]).toMatchObject({ ts: "2025-07-29T06:30:00+02:00", exit: 0, msg: "" });
    expect((await runCliInProcess(["--parse-existing"], s.env)).stdout).toContain("2 new run(s)");
  });

  // The other usage errors are parsed in-process in args.test.ts.
  test("a usage error exits 2 and writes nothing", async () => {
    const s = setup();
    const result = await runCliInProcess(["log", "--exit", "4294967297"], s.env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--exit must be an integer from -2147483648 to 2147483647, got "4294967297"');
    expect(existsSync(s.input)).toBe(false);
  });
});

describe("pieces", () => {
  test("ByteTail keeps exactly the last bytes, across chunk sizes", () => {
    const tail = new ByteTail(10);
    const bytes = new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz");
    for (let i = 0; i < bytes.length; i += 3) tail.push(bytes.subarray(i, i + 3));
    expect(tail.text()).toBe("qrstuvwxyz");
    tail.push(new TextEncoder().encode("0123456789ABC"));
    expect(tail.text()).toBe("3456789ABC");
  });

  test.each([
    ["", 0, "ok"],
    ["\n\n", 3, "exit 3"],
    ["one\ntwo\n\n  ", 1, "two"],
    ["x".repeat(300), 1, `${"x".repeat(199)}…`],
  ])("summarizeOutput(%j, %i)", (tail, exit, msg) => {
    expect(summarizeOutput(tail, exit)).toBe(msg);
  });

  test("a command that ignores SIGTERM is killed after the grace period", async () => {
    const result = await runCommand({
      argv: ["bash", "-c", "trap '' TERM; sleep 10 & wait; sleep 10"],
      timeoutMs: 200,
      killGraceMs: 300,
      drainAfterExitMs: 100, // the background sleep keeps the output open; the run is over anyway
      env: process.env,
    });
    expect(result.exit).toBe(124);
    expect(result.durationMs).toBeLessThan(3000);
  });
});
