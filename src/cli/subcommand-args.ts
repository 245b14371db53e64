/**
 * Turning the tokens of one command line into a Command: the values each subcommand takes are
 * checked here, with messages that name the flag. Pure.
 */
import { checkInterval } from "../config/fields.ts";
import { parseDuration } from "../duration.ts";
import type { CollectorError } from "../errors.ts";
import { parseTimestamp } from "../timestamp.ts";
import { parseNow, usageError } from "./arg-helpers.ts";
import type { Command, CommonOptions } from "./args.ts";
import { isCommandName } from "./command-table.ts";
import type { OptionValues, Tokens } from "./tokenize.ts";

/** The range of exit codes the collector stores (line.ts rejects anything outside int32). */
const EXIT_MIN = -2_147_483_648;
const EXIT_MAX = 2_147_483_647;

const text = (values: OptionValues, name: string): string | undefined => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};
const flag = (values: OptionValues, name: string): boolean => values[name] === true;

/** The same parser as config.yaml's check_interval: `30` and `30s` both work. */
function parseInterval(value: string): number {
  const checked = checkInterval(value);
  if (!checked.ok) throw usageError(`--check-interval must be ${checked.expected}, got "${value}"`);
  return checked.value;
}

function positiveDuration(command: string, flagName: string, value: string | undefined, examples: string): number | null {
  if (value === undefined) return null;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw usageError(`${flagName} must be a duration such as ${examples}, got "${value}"`, command);
  return ms;
}

function commonOptions(values: OptionValues): CommonOptions {
  const config = text(values, "config");
  const input = text(values, "input");
  const db = text(values, "db");
  const interval = text(values, "check-interval");
  const now = text(values, "now");
  return {
    ...(config !== undefined && { config }),
    ...(input !== undefined && { input }),
    ...(db !== undefined && { db }),
    ...(interval !== undefined && { checkIntervalMs: parseInterval(interval) }),
    ...(now !== undefined && { now: parseNow(now) }),
  };
}

function parseExit(value: string | undefined): number {
  if (value === undefined) throw usageError("log needs --exit N (the exit code of the run)", "log");
  const exit = Number(value);
  if (!/^-?\d+$/.test(value)) throw usageError(`--exit must be an integer, got "${value}"`, "log");
  if (exit < EXIT_MIN || exit > EXIT_MAX) throw usageError(`--exit must be an integer from ${EXIT_MIN} to ${EXIT_MAX}, got "${value}"`, "log");
  return exit;
}

function parseLog(values: OptionValues, options: CommonOptions): Command {
  const exit = parseExit(text(values, "exit"));
  const duration = text(values, "duration-ms");
  const durationMs = duration === undefined ? null : Number(duration);
  if (durationMs !== null && (!Number.isFinite(durationMs) || durationMs < 0 || duration?.trim() === "")) {
    throw usageError(`--duration-ms must be a non-negative number, got "${duration}"`, "log");
  }
  const ts = text(values, "ts") ?? null;
  if (ts !== null && !parseTimestamp(ts).ok) throw usageError(`--ts must be an ISO 8601 date-time such as 2025-07-29T04:30:00Z, got "${ts}"`, "log");
  return { kind: "log", options, exit, msg: text(values, "msg") ?? "", job: text(values, "job") || null, durationMs, ts };
}

/** Also checked before the positionals are counted, so that `run ./job.sh` gets this message. */
export function runNeedsCommand(): CollectorError {
  return usageError('run needs the command after "--", e.g. bun collector.ts run --job backup -- ./backup.sh', "run");
}

function parseRun(tokens: Tokens, options: CommonOptions): Command {
  if (tokens.rest === null || tokens.rest.length === 0) throw runNeedsCommand();
  return {
    kind: "run",
    options,
    job: text(tokens.values, "job") || null,
    timeoutMs: positiveDuration("run", "--timeout", text(tokens.values, "timeout"), "90s, 10m or 2h"),
    startMarker: flag(tokens.values, "start-marker"),
    argv: tokens.rest,
  };
}

/** The Command for tokens whose positionals are already counted against the command's table entry. */
export function buildCommand(tokens: Tokens): Command {
  const { values } = tokens;
  const options = commonOptions(values);
  const job = tokens.positionals[0] ?? "";
  switch (tokens.command) {
    case "watch":
      return { kind: "watch", options, daemon: flag(values, "daemon") };
    case "parse":
      return { kind: "parse", options };
    case "stats": {
      const only = text(values, "job");
      return { kind: "stats", options, json: flag(values, "json"), ...(only !== undefined && { job: only }) };
    }
    case "jobs":
      return { kind: "jobs", options, json: flag(values, "json") };
    case "run":
      return parseRun(tokens, options);
    case "log":
      return parseLog(values, options);
    case "pause":
      return { kind: "pause", options, job, forMs: positiveDuration("pause", "--for", text(values, "for"), "30m, 2h or 3d") };
    case "resume":
      return { kind: "resume", options, job };
    case "forget":
      return { kind: "forget", options, job, runs: flag(values, "runs") };
    case "open":
      return { kind: "open", options, print: flag(values, "print") };
    case "test-notification":
      return { kind: "test-notification", options };
    case "paths":
      return { kind: "paths", options };
    case "help": {
      const topic = tokens.positionals[0];
      if (topic === undefined) return { kind: "help" };
      if (!isCommandName(topic)) throw usageError(`help: there is no command "${topic}"`);
      return { kind: "help", command: topic };
    }
    default:
      return tokens.command satisfies never;
  }
}
