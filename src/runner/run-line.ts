/**
 * The JSONL lines the `run` and `log` subcommands append. Pure: JSON.stringify does all escaping,
 * which is the point: quotes, backslashes and newlines in a message cannot break the line.
 */
import { summarizeOutput } from "./output-tail.ts";
import type { CommandResult } from "./run-command.ts";

export interface RunIdentity {
  readonly job: string | null;
  readonly host: string;
  /** Pairs a start marker with its finish line. */
  readonly runId: string | null;
}

function withOptional(record: Record<string, unknown>, extra: Record<string, unknown>): string {
  for (const [key, value] of Object.entries(extra)) if (value !== null && value !== undefined) record[key] = value;
  return JSON.stringify(record);
}

export function finishLine(result: CommandResult, identity: RunIdentity): string {
  const summary = summarizeOutput(result.outputTail, result.exit);
  const lastLine = result.outputTail.trim() === "" ? null : summary;
  const msg = result.problem ? (lastLine ? `${result.problem}: ${lastLine}` : result.problem) : summary;
  return withOptional(
    { ts: result.startedAt.toISOString(), exit: result.exit, msg },
    {
      job: identity.job,
      duration_ms: result.durationMs,
      host: identity.host,
      run_id: identity.runId,
      output_tail: result.outputTail === "" ? null : result.outputTail,
    },
  );
}

export function startLine(startedAt: Date, identity: RunIdentity): string {
  return withOptional({ ts: startedAt.toISOString(), event: "start" }, { run_id: identity.runId, job: identity.job, host: identity.host });
}

export interface LogEntry {
  readonly ts: string;
  readonly exit: number;
  readonly msg: string;
  readonly job: string | null;
  readonly durationMs: number | null;
  readonly host: string;
}

export function logLine(entry: LogEntry): string {
  return withOptional({ ts: entry.ts, exit: entry.exit, msg: entry.msg }, { job: entry.job, duration_ms: entry.durationMs, host: entry.host });
}
