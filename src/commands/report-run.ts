/**
 * `run` and `log`: how a cron job reports itself. They never stand in the job's way: a broken
 * config or an unwritable input is reported on stderr, and `run` still runs the command and exits
 * with its exit code.
 */
import { appendLine } from "../append-line.ts";
import type { Output } from "../cli/io.ts";
import { describeError } from "../errors.ts";
import { runCommand } from "../runner/run-command.ts";
import { finishLine, logLine, startLine, type RunIdentity } from "../runner/run-line.ts";

export interface ReportContext {
  readonly input: string;
  readonly host: string;
  readonly env: Record<string, string | undefined>;
  readonly clock: () => Date;
  readonly output: Output;
  /** The caller's umask, for the wrapped command (see RunOptions.umask). */
  readonly umask?: number;
}

/** Appends the line; when that fails, prints the reason and the line itself on stderr, so cron mails what would be lost. */
function record(context: ReportContext, line: string): boolean {
  try {
    appendLine(context.input, line);
    return true;
  } catch (error) {
    context.output.err(`cron-collector: could not record the run in "${context.input}": ${describeError(error)}\nThe line that was not written:\n${line}`);
    return false;
  }
}

export interface RunRequest {
  readonly argv: readonly string[];
  readonly job: string | null;
  readonly timeoutMs: number | null;
  readonly startMarker: boolean;
}

export async function runSubcommand(request: RunRequest, context: ReportContext): Promise<number> {
  const identity: RunIdentity = {
    job: request.job,
    host: context.host,
    runId: request.startMarker ? crypto.randomUUID() : null,
  };
  if (request.startMarker) record(context, startLine(context.clock(), identity));
  const result = await runCommand({
    argv: request.argv,
    timeoutMs: request.timeoutMs,
    env: context.env,
    clock: context.clock,
    ...(context.umask !== undefined && { umask: context.umask }),
  });
  if (result.problem) context.output.err(`cron-collector run: ${result.problem}`);
  record(context, finishLine(result, identity));
  return result.exit;
}

export interface LogRequest {
  readonly ts: string | null;
  readonly exit: number;
  readonly msg: string;
  readonly job: string | null;
  readonly durationMs: number | null;
}

export function logSubcommand(request: LogRequest, context: ReportContext): number {
  const line = logLine({ ...request, ts: request.ts ?? context.clock().toISOString(), host: context.host });
  return record(context, line) ? 0 : 1;
}
