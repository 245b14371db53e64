#!/usr/bin/env bun
/**
 * cron-collector: tails a JSONL file of cron runs into SQLite, alerts on failures, reports stats.
 * This file only reads the process's arguments and environment and hands them to src/cli/main.ts.
 */
import { homedir } from "node:os";
import { flushOutput } from "./src/cli/io.ts";
import { runMain } from "./src/cli/main.ts";
import { commandEnvironment, residentEnvironment } from "./src/cli/resident-runtime.ts";

const resident = residentEnvironment(process.argv.slice(2), process.env);
if (resident !== null && process.execve) {
  try {
    process.execve(process.execPath, [process.argv0, ...process.execArgv, ...process.argv.slice(1)], resident);
  } catch {
    // execve(2) failed: the process goes on as it is, with Bun's default GC timer.
  }
}

// process.env itself keeps the timer: the collector's own threads read it when they start.
const exitCode = await runMain(process.argv.slice(2), {
  env: commandEnvironment(process.env),
  appDir: import.meta.dir,
  home: process.env.HOME ?? homedir(),
});
// Everything written must reach a slow reader of a pipe before the process ends.
await flushOutput();
process.exit(exitCode);
