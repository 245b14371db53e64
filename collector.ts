#!/usr/bin/env bun
/**
 * cron-collector: tails a JSONL file of cron runs into SQLite, alerts on failures, reports stats.
 * This file only reads the process's arguments and environment and hands them to src/cli/main.ts.
 */
import { homedir } from "node:os";
import { runMain } from "./src/cli/main.ts";

const exitCode = await runMain(process.argv.slice(2), {
  env: process.env,
  appDir: import.meta.dir,
  home: process.env.HOME ?? homedir(),
});
process.exit(exitCode);
