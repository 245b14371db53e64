/** Shared test helpers: temp dirs, JSONL lines, running the real CLI. */
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runMain } from "../src/cli/main.ts";
import { tempRoot } from "./temp-root.ts";

export const REPO = join(import.meta.dir, "..");
export const FIXTURES = join(import.meta.dir, "fixtures");

/** A new private dir under the test process's temp root (tests/temp-root.ts), removed after the last test. */
export function tempDir(prefix = "cc-"): string {
  return mkdtempSync(join(tempRoot(), prefix));
}

export function jsonl(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields)}\n`;
}

/** A run line at 2025-07-29T04:MM:SSZ, unique per index. */
export function runLine(index: number, exit = 0, extra: Record<string, unknown> = {}): string {
  const ts = new Date(Date.UTC(2025, 6, 29, 4, 0, 0) + index * 1000).toISOString().replace(".000", "");
  return jsonl({ ts, exit, msg: `run ${index}`, ...extra });
}

export function runLines(from: number, count: number, exit = 0): string {
  let text = "";
  for (let index = from; index < from + count; index++) text += runLine(index, exit);
  return text;
}

export function createPythonDatabase(path: string): void {
  const db = new Database(path, { create: true });
  db.exec(readFileSync(join(FIXTURES, "python-collector.sql"), "utf8"));
  db.close();
}

export function countRows(dbPath: string, table: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query<{ n: number }, []>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
  } finally {
    db.close();
  }
}

export function messages(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query<{ message: string }, []>("SELECT message FROM cron_entries ORDER BY id").all().map((row) => row.message);
  } finally {
    db.close();
  }
}

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Programs a test must never reach on the machine running the suite. */
export const GUARDED_PROGRAMS = ["notify-send", "terminal-notifier", "osascript", "crontab", "launchctl", "systemctl", "brew"] as const;

/**
 * No dashboard: a watching collector in a test must not bind the machine's 127.0.0.1:8765 (the
 * user's own collector may serve there). Tests of the dashboard start it on port 0 themselves.
 */
export const NO_DASHBOARD = "web:\n  listen: off\n";

/** The minimal config every spawned CLI gets unless the test names its own: no notifier, no dashboard. */
export const TEST_CONFIG = `# written by tests/helpers.ts cliEnv: never the repository's config.yaml\nnotify:\n  backend: none\n${NO_DASHBOARD}`;

/**
 * A bin directory of failing fakes of GUARDED_PROGRAMS that record each call in `<home>/guard-calls`
 * (see guardCalls). Put first on PATH by cliEnv, so a spawned CLI that tries a notifier, crontab
 * or launchctl reaches a fake, never the real one of whoever runs the suite.
 */
export function guardBin(home: string): string {
  const bin = join(home, "guard-bin");
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  const log = join(home, "guard-calls");
  writeFileSync(log, "");
  for (const program of GUARDED_PROGRAMS) {
    const path = join(bin, program);
    writeFileSync(path, `#!/bin/sh\nprintf '%s %s\\n' ${program} "$*" >> '${log}'\necho "${program}: blocked by the test suite" >&2\nexit 1\n`);
    chmodSync(path, 0o755);
  }
  return bin;
}

/** Every call a spawned CLI made to a guarded program in this HOME (program and arguments). */
export function guardCalls(home: string): string[] {
  const log = join(home, "guard-calls");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((line) => line !== "") : [];
}

/**
 * Environment for the real CLI: a temp HOME, no colour, and isolated from the machine: the config
 * is `<home>/config.yaml` (written with TEST_CONFIG when the test has not written one), never the
 * repository's config.yaml that a user may have edited; guarded programs are fakes first on PATH.
 * A test that passes its own PATH or CRON_COLLECTOR_CONFIG in `extra` takes charge of that part
 * (guards found on PATH would change which notifier "auto" picks, which is what such tests test).
 */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "CRON_COLLECTOR_CONFIG") env[key] = value;
  }
  const config = join(home, "config.yaml");
  if (!existsSync(config)) writeFileSync(config, TEST_CONFIG);
  return {
    ...env,
    HOME: home,
    NO_COLOR: "1",
    CRON_COLLECTOR_CONFIG: config,
    PATH: `${guardBin(home)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    ...extra,
  };
}

export function runCli(args: string[], env: Record<string, string>, cwd = REPO): CliResult {
  const result = Bun.spawnSync(["bun", join(REPO, "collector.ts"), ...args], { env, cwd, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/**
 * The default per-test timeout of the files in bunfig.toml's concurrentTestGlob (each calls
 * setDefaultTimeout with it). Their tests run together, so each one's time is about the whole
 * file's, not its own: on a machine busy with other work, more than bun's default 5 s.
 */
export const CONCURRENT_TEST_TIMEOUT_MS = 30_000;

/**
 * At most this many programs started by `spawnAwaited` run at once in this test process. Tests of
 * the files in bunfig.toml's concurrentTestGlob run together; unbounded, a file's twenty tests
 * would each start a bun on 2 cores and every one would take long enough to meet its timeout.
 * A few at a time keep both cores busy while one waits on its disk or its child.
 */
const SPAWN_SLOTS = 3;
let spawnsRunning = 0;
const spawnQueue: Array<() => void> = [];

async function spawnSlot(): Promise<() => void> {
  if (spawnsRunning >= SPAWN_SLOTS) await new Promise<void>((resolve) => spawnQueue.push(resolve));
  else spawnsRunning++;
  // A released slot passes straight to the next in the queue, so spawnsRunning stays as it is.
  return () => {
    const next = spawnQueue.shift();
    if (next) next();
    else spawnsRunning--;
  };
}

export interface SpawnOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/**
 * Runs a program to its end without blocking the test process (unlike Bun.spawnSync), so that
 * the other tests of a concurrent file go on meanwhile; the exit code is -1 when a signal ended it.
 */
export async function spawnAwaited(argv: string[], options: SpawnOptions = {}): Promise<CliResult> {
  const release = await spawnSlot();
  try {
    const child = Bun.spawn(argv, { ...options, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { exitCode: child.exitCode ?? -1, stdout, stderr };
  } finally {
    release();
  }
}

/** runCli, awaited: for tests that run concurrently (see spawnAwaited). */
export function runCliAwaited(args: string[], env: Record<string, string>, cwd = REPO): Promise<CliResult> {
  return spawnAwaited(["bun", join(REPO, "collector.ts"), ...args], { env, cwd });
}

/**
 * Runs `body` with a list for the processes it starts; those still running when it ends, pass or
 * fail, are killed. Each test has its own list: an afterEach over one shared list would kill the
 * processes of the tests still running beside it in a concurrent file.
 */
export async function withProcesses<T>(body: (started: Subprocess[]) => Promise<T>): Promise<T> {
  const started: Subprocess[] = [];
  try {
    return await body(started);
  } finally {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

/** Waits until `check` is true, polling; fails the test after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** The tail of the chain of in-process commands: each waits for the one before it (see runCliInProcess). */
let inProcessTail: Promise<unknown> = Promise.resolve();

/**
 * What runCli shows, without the process: the CLI's own main (src/cli/main.ts) in this process,
 * with `env` as its environment and its output captured. For tests of what a command does with
 * its files, config and clock; the real CLI stays where only a process shows the behaviour (exit
 * on a signal, output to a pipe, stdin, a daemon). One command at a time: runMain sets the
 * process's umask to 077 while it runs, so two interleaved in concurrent tests would leave the
 * wrong one behind. Meanwhile the files other tests of a concurrent file write are private too: a
 * test that lets another user read its files sets their modes itself.
 */
export function runCliInProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    let stdout = "";
    let stderr = "";
    const line = (text: string): string => (text.endsWith("\n") ? text : `${text}\n`);
    const output = { out: (text: string) => (stdout += line(text)), err: (text: string) => (stderr += line(text)), color: false };
    const exitCode = await runMain(args, { env, appDir: REPO, home: env.HOME ?? tmpdir() }, output);
    return { exitCode, stdout, stderr };
  };
  const result = inProcessTail.then(run, run);
  inProcessTail = result.catch(() => undefined);
  return result;
}
