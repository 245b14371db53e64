/**
 * Running the collector (or the baseline) as a child process and reading what it cost: wall
 * time, CPU time (user + system: on a shared machine the wall time also holds the waiting for a
 * core), peak RSS; and the alerts a fake `command` notifier recorded.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");

export interface Measurement {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  readonly stdout: string;
}

export function measure(argv: string[], home: string): Measurement {
  const started = performance.now();
  const child = Bun.spawnSync(argv, { cwd: ROOT, env: { ...process.env, HOME: home }, stdout: "pipe", stderr: "pipe" });
  const seconds = (performance.now() - started) / 1000;
  if (child.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${child.stderr.toString()}`);
  const usage = child.resourceUsage;
  const cpuSeconds = usage ? (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1e6 : Number.NaN;
  return { seconds, cpuSeconds, maxRssMb: (usage?.maxRSS ?? 0) / 1024 / 1024, stdout: child.stdout.toString() };
}

export interface Case {
  readonly dir: string;
  readonly config: string;
  readonly input: string;
  readonly database: string;
  readonly alertLog: string;
}

/**
 * A fresh directory with a config whose notifier is a shell line that records the wall-clock
 * instant of each call (bash's EPOCHREALTIME, no extra process) and the alert's kind.
 */
export function prepareCase(name: string, maxPerMinute: number, inputPath?: string): Case {
  const dir = join(ROOT, "bench", "out", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const input = inputPath ?? join(dir, "ladder.jsonl");
  const alertLog = join(dir, "alerts.log");
  const database = join(dir, "ladder.db");
  const config = join(dir, "config.yaml");
  const record = `echo "$EPOCHREALTIME $CRON_ALERT_KIND" >> ${JSON.stringify(alertLog)}`;
  writeFileSync(
    config,
    [
      `input: ${JSON.stringify(input)}`,
      `database: ${JSON.stringify(database)}`,
      `log_dir: ${JSON.stringify(dir)}`,
      "default_job: ladder",
      "check_interval: 30",
      "notify:",
      "  backend: command",
      `  command: ${JSON.stringify(["/bin/bash", "-c", record, "fake-notifier"])}`,
      `  max_per_minute: ${maxPerMinute}`,
      "",
    ].join("\n"),
  );
  return { dir, config, input, database, alertLog };
}

/** Epoch seconds of each notifier call recorded so far. */
export function alertTimes(alertLog: string): number[] {
  if (!existsSync(alertLog)) return [];
  return readFileSync(alertLog, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => Number(line.split(" ")[0]));
}

/** The most notifier calls within any 60 s. */
export function maxPerMinute(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 60) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
