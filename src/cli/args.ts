/**
 * Command-line parsing. Pure: argv in, a Command (or a usage CollectorError) out.
 * Which words and flags exist is in command-table.ts; where they may stand, in tokenize.ts.
 */
import { usageError } from "./arg-helpers.ts";
import { COMMANDS, type CommandName } from "./command-table.ts";
import { buildCommand, runNeedsCommand } from "./subcommand-args.ts";
import { tokenize } from "./tokenize.ts";

export interface CommonOptions {
  readonly config?: string;
  readonly input?: string;
  readonly db?: string;
  readonly checkIntervalMs?: number;
  /** --now: evaluate windows and ages as of this instant instead of the clock. */
  readonly now?: Date;
}

export type Command =
  | { readonly kind: "help"; readonly command?: CommandName }
  | { readonly kind: "version" }
  | { readonly kind: "watch"; readonly options: CommonOptions; readonly daemon: boolean }
  | { readonly kind: "parse"; readonly options: CommonOptions }
  | { readonly kind: "stats"; readonly options: CommonOptions; readonly json: boolean; readonly job?: string }
  | { readonly kind: "jobs"; readonly options: CommonOptions; readonly json: boolean }
  | { readonly kind: "test-notification"; readonly options: CommonOptions }
  | { readonly kind: "paths"; readonly options: CommonOptions }
  | {
      readonly kind: "run";
      readonly options: CommonOptions;
      readonly job: string | null;
      readonly timeoutMs: number | null;
      readonly startMarker: boolean;
      readonly argv: readonly string[];
    }
  | {
      readonly kind: "log";
      readonly options: CommonOptions;
      readonly exit: number;
      readonly msg: string;
      readonly job: string | null;
      readonly durationMs: number | null;
      /** The `ts` text to write; null means now. */
      readonly ts: string | null;
    }
  | { readonly kind: "pause"; readonly options: CommonOptions; readonly job: string; readonly forMs: number | null }
  | { readonly kind: "resume"; readonly options: CommonOptions; readonly job: string }
  | { readonly kind: "forget"; readonly options: CommonOptions; readonly job: string; readonly runs: boolean }
  | { readonly kind: "open"; readonly options: CommonOptions; readonly print: boolean };

/** The command argv asks for; throws a usage CollectorError for anything else. */
export function parseCommand(argv: readonly string[]): Command {
  const tokens = tokenize(argv);
  if (tokens.values.help === true) {
    return tokens.named && tokens.command !== "help" ? { kind: "help", command: tokens.command } : { kind: "help" };
  }
  if (tokens.values.version === true) return { kind: "version" };
  if (tokens.command === "run" && tokens.rest === null) throw runNeedsCommand();
  const { min, max, name } = COMMANDS[tokens.command].positionals;
  if (tokens.positionals.length < min || tokens.positionals.length > max) {
    if (max === 0) throw usageError(`${tokens.command} takes no arguments, got "${tokens.positionals[0]}"`, tokens.command);
    throw usageError(`${tokens.command} needs exactly one ${name}, e.g. bun collector.ts ${tokens.command} backup`, tokens.command);
  }
  if (tokens.rest !== null && tokens.command !== "run") throw usageError(`"--" goes with run, not ${tokens.command}`, tokens.command);
  return buildCommand(tokens);
}
