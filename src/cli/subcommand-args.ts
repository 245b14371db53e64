/**
 * Parsing the subcommands that report and mute runs: `run`, `log`, `pause`, `resume`. Pure.
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../duration.ts";
import { parseTimestamp } from "../timestamp.ts";
import { parseNow, SHARED_OPTIONS, sharedOptions, usageError, usageOnError } from "./arg-helpers.ts";
import type { Command, CommonOptions } from "./args.ts";

export function parseRun(argv: readonly string[]): Command {
  const separator = argv.indexOf("--");
  if (separator < 0 || separator === argv.length - 1) {
    throw usageError('run needs the command after "--", e.g. bun collector.ts run --job backup -- ./backup.sh');
  }
  const { values } = usageOnError(() =>
    parseArgs({
      args: argv.slice(0, separator),
      strict: true,
      options: { ...SHARED_OPTIONS, job: { type: "string" }, timeout: { type: "string" }, "start-marker": { type: "boolean" } },
    }),
  );
  let timeoutMs: number | null = null;
  if (values.timeout !== undefined) {
    const ms = parseDuration(values.timeout);
    if (ms === undefined || ms <= 0) throw usageError(`--timeout must be a duration such as 90s, 10m or 2h, got "${values.timeout}"`);
    timeoutMs = ms;
  }
  return {
    kind: "run",
    options: sharedOptions(values),
    job: values.job || null,
    timeoutMs,
    startMarker: values["start-marker"] ?? false,
    argv: argv.slice(separator + 1),
  };
}

export function parseLog(argv: readonly string[]): Command {
  const { values } = usageOnError(() =>
    parseArgs({
      args: [...argv],
      strict: true,
      options: {
        ...SHARED_OPTIONS,
        exit: { type: "string" },
        msg: { type: "string" },
        job: { type: "string" },
        "duration-ms": { type: "string" },
        ts: { type: "string" },
      },
    }),
  );
  if (values.exit === undefined) throw usageError("log needs --exit N (the exit code of the run)");
  if (!/^-?\d{1,10}$/.test(values.exit)) throw usageError(`--exit must be an integer, got "${values.exit}"`);
  let durationMs: number | null = null;
  if (values["duration-ms"] !== undefined) {
    durationMs = Number(values["duration-ms"]);
    if (!Number.isFinite(durationMs) || durationMs < 0) throw usageError(`--duration-ms must be a non-negative number, got "${values["duration-ms"]}"`);
  }
  if (values.ts !== undefined && !parseTimestamp(values.ts).ok) {
    throw usageError(`--ts must be an ISO 8601 date-time such as 2025-07-29T04:30:00Z, got "${values.ts}"`);
  }
  return {
    kind: "log",
    options: sharedOptions(values),
    exit: Number(values.exit),
    msg: values.msg ?? "",
    job: values.job || null,
    durationMs,
    ts: values.ts ?? null,
  };
}

export function parsePause(kind: "pause" | "resume", argv: readonly string[]): Command {
  const { values, positionals } = usageOnError(() =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { config: { type: "string" }, db: { type: "string" }, for: { type: "string" }, now: { type: "string" } },
    }),
  );
  const [job, ...rest] = positionals;
  if (!job || rest.length > 0) throw usageError(`${kind} needs exactly one job name, e.g. bun collector.ts ${kind} backup`);
  const options: CommonOptions = {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.db !== undefined && { db: values.db }),
    ...(values.now !== undefined && { now: parseNow(values.now) }),
  };
  if (kind === "resume") {
    if (values.for !== undefined) throw usageError("--for goes with pause");
    return { kind, options, job };
  }
  let forMs: number | null = null;
  if (values.for !== undefined) {
    const ms = parseDuration(values.for);
    if (ms === undefined || ms <= 0) throw usageError(`--for must be a duration such as 30m, 2h or 3d, got "${values.for}"`);
    forMs = ms;
  }
  return { kind, options, job, forMs };
}
