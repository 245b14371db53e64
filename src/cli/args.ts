/**
 * Command-line parsing. Pure: argv in, a Command (or a usage CollectorError) out.
 * The spellings are those of the Python collector, which scripts and crontabs rely on.
 */
import { parseArgs } from "node:util";
import { checkInterval } from "../config/fields.ts";
import { parseNow, usageError, usageOnError } from "./arg-helpers.ts";
import { parseLog, parsePause, parseRun } from "./subcommand-args.ts";

export interface CommonOptions {
  readonly config?: string;
  readonly input?: string;
  readonly db?: string;
  readonly checkIntervalMs?: number;
  /** --now: evaluate windows and ages as of this instant instead of the clock. */
  readonly now?: Date;
}

export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "watch"; readonly options: CommonOptions; readonly daemon: boolean }
  | { readonly kind: "parse-existing"; readonly options: CommonOptions }
  | { readonly kind: "stats"; readonly options: CommonOptions; readonly json: boolean; readonly job?: string }
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
  | { readonly kind: "resume"; readonly options: CommonOptions; readonly job: string };

export const USAGE = `Usage: bun collector.ts [options]

Tails a JSONL file of cron runs into SQLite, alerts on failed runs, and reports stats.

Modes (default: catch up on the input, then watch it until Ctrl-C):
  --parse-existing       ingest everything not yet stored, print a summary, exit
  --stats                print the dashboard and exit
      --json             ... as JSON
      --job NAME         ... for one job, with its recent runs
  --daemon               watch without a terminal (used by manager.sh): pid file, daemon.log
  --test-notification    send one sample alert through the configured backend
  --paths                print the config, input, database and log paths in use (key=value)
  --help, -h             show this help
  --version, -v          show the version

Options:
  --config PATH          config file (default: $CRON_COLLECTOR_CONFIG, else config.yaml beside collector.ts)
  --input PATH           the JSONL file to read (overrides "input")
  --db PATH              the SQLite database (overrides "database")
  --check-interval N     time between polls of the input: seconds or 30s, 5m (overrides "check_interval")
  --now ISO              evaluate windows as of this instant, e.g. 2025-07-29T05:00:00Z

Reporting runs (instead of hand-written echo lines):
  run [--job NAME] [--timeout 10m] [--start-marker] -- COMMAND [ARGS...]
                         run COMMAND, pass its output through, append one line for the run;
                         exits with the command's exit code (124 timeout, 127 not found)
  log --exit N [--msg TEXT] [--job NAME] [--duration-ms N] [--ts ISO]
                         append one line for a run your script did itself

Muting a job:
  pause JOB [--for 2h]   no alerts for JOB (until resumed, or for the given time)
  resume JOB             alerts for JOB again

Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.`;

/** The same parser as config.yaml's check_interval: `30` and `30s` both work. */
function parseInterval(text: string): number {
  const checked = checkInterval(text);
  if (!checked.ok) throw usageError(`--check-interval must be ${checked.expected}, got "${text}"`);
  return checked.value;
}

/** The command argv asks for; throws a usage CollectorError for anything else. */
export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === "run") return parseRun(argv.slice(1));
  if (argv[0] === "log") return parseLog(argv.slice(1));
  if (argv[0] === "pause" || argv[0] === "resume") return parsePause(argv[0], argv.slice(1));
  const parsed = usageOnError(() =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        "parse-existing": { type: "boolean" },
        stats: { type: "boolean" },
        json: { type: "boolean" },
        job: { type: "string" },
        daemon: { type: "boolean" },
        "test-notification": { type: "boolean" },
        paths: { type: "boolean" },
        config: { type: "string" },
        input: { type: "string" },
        db: { type: "string" },
        "check-interval": { type: "string" },
        now: { type: "string" },
      },
    }),
  );
  const values = parsed.values;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const options: CommonOptions = {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.input !== undefined && { input: values.input }),
    ...(values.db !== undefined && { db: values.db }),
    ...(values["check-interval"] !== undefined && { checkIntervalMs: parseInterval(values["check-interval"]) }),
    ...(values.now !== undefined && { now: parseNow(values.now) }),
  };
  const modes = (["parse-existing", "stats", "daemon", "test-notification", "paths"] as const).filter((mode) => values[mode]);
  if (modes.length > 1) throw usageError(`--${modes[0]} and --${modes[1]} cannot be combined`);
  if ((values.json || values.job !== undefined) && !values.stats) throw usageError("--json and --job go with --stats");

  switch (modes[0]) {
    case "parse-existing":
      return { kind: "parse-existing", options };
    case "stats":
      return { kind: "stats", options, json: values.json ?? false, ...(values.job !== undefined && { job: values.job }) };
    case "test-notification":
      return { kind: "test-notification", options };
    case "paths":
      return { kind: "paths", options };
    case "daemon":
      return { kind: "watch", options, daemon: true };
    case undefined:
      return { kind: "watch", options, daemon: false };
    default:
      return modes[0] satisfies never;
  }
}
