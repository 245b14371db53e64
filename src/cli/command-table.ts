/**
 * Every subcommand and option the CLI knows, in one table: the parser validates against it and the
 * usage texts are generated from it, so a flag cannot be accepted without being documented. Pure.
 * The subcommands match manager.sh's verbs; the flags of the Python collector (`--stats`,
 * `--parse-existing`, `--daemon`...) stay as aliases.
 */

export const COMMAND_NAMES = [
  "watch",
  "parse",
  "stats",
  "jobs",
  "run",
  "log",
  "pause",
  "resume",
  "forget",
  "open",
  "test-notification",
  "paths",
  "help",
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** The placeholder shown in usage for a string option, e.g. PATH. */
  readonly value?: string;
  readonly short?: string;
  readonly help: string;
  /**
   * Free text that may start with "-" (`--msg "- done"`): the next word is its value, whatever it
   * is. Other options take a next word starting with "-" only when it is a number (`--exit -1`),
   * so that `--job --json` is a missing value rather than a job named "--json".
   */
  readonly freeText?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** Options every command takes, before or after the subcommand. */
export const GLOBAL_OPTIONS: OptionTable = {
  config: { type: "string", value: "PATH", help: "config file (default: $CRON_COLLECTOR_CONFIG, else config.yaml beside collector.ts)" },
  input: { type: "string", value: "PATH", help: 'the JSONL file of runs (overrides "input")' },
  db: { type: "string", value: "PATH", help: 'the SQLite database (overrides "database")' },
  "check-interval": { type: "string", value: "N", help: 'time between polls of the input: seconds or 30s, 2m (overrides "check_interval")' },
  now: { type: "string", value: "ISO", help: "evaluate windows and ages as of this instant, e.g. 2025-07-29T05:00:00Z" },
  help: { type: "boolean", short: "h", help: "show the usage (of the command, when one is given) and exit" },
  version: { type: "boolean", short: "v", help: "show the version and exit" },
};

/** The Python collector's mode flags and the subcommand each one stands for. */
export const MODE_FLAGS: Readonly<Record<string, CommandName>> = {
  "parse-existing": "parse",
  stats: "stats",
  daemon: "watch",
  "test-notification": "test-notification",
  paths: "paths",
};

export interface CommandSpec {
  readonly name: CommandName;
  /** What follows the name in the usage line, options aside. */
  readonly args: string;
  readonly summary: string;
  /** More lines for `COMMAND --help`. */
  readonly details?: readonly string[];
  readonly options: OptionTable;
  /** How many positional arguments after the name: the job name of pause/resume/forget, a topic for help. */
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
}

const NONE = { min: 0, max: 0, name: "" } as const;
const ONE_JOB = { min: 1, max: 1, name: "job name" } as const;
const JOB_OPTION: OptionSpec = { type: "string", value: "NAME", help: "the job's name (default: default_job from config.yaml)" };

export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  watch: {
    name: "watch",
    args: "[--daemon]",
    summary: "catch up on the input, then follow it until Ctrl-C (the default)",
    options: { daemon: { type: "boolean", help: "run without a terminal, as manager.sh start does: pid file, daemon.log" } },
    positionals: NONE,
  },
  parse: {
    name: "parse",
    args: "",
    summary: "ingest everything not yet stored, print a summary, exit (alias: --parse-existing)",
    options: {},
    positionals: NONE,
  },
  stats: {
    name: "stats",
    args: "[--json] [--job NAME]",
    summary: "print the dashboard and exit (alias: --stats)",
    options: {
      json: { type: "boolean", help: "print the numbers as JSON" },
      job: { type: "string", value: "NAME", help: "one job, with its recent runs" },
    },
    positionals: NONE,
  },
  jobs: {
    name: "jobs",
    args: "[--json]",
    summary: "list the jobs with their state, schedule and last run",
    options: { json: { type: "boolean", help: "print the jobs as JSON (the jobs of stats --json)" } },
    positionals: NONE,
  },
  run: {
    name: "run",
    args: "[--job NAME] [--timeout DURATION] [--start-marker] -- COMMAND [ARGS...]",
    summary: "run COMMAND and append one line for the run",
    details: [
      "Passes the command's input and output through and exits with its exit code",
      "(128+N when killed by signal N, 124 on timeout, 126 not executable, 127 not found).",
      "If the line cannot be written, it is printed on stderr instead (cron mails it).",
    ],
    options: {
      job: JOB_OPTION,
      timeout: { type: "string", value: "DURATION", help: "stop the command after this long (90s, 10m, 2h): SIGTERM, SIGKILL 5 s later" },
      "start-marker": { type: "boolean", help: "also append a start line before the command runs" },
    },
    positionals: NONE,
  },
  log: {
    name: "log",
    args: "--exit N [--msg TEXT] [--job NAME] [--duration-ms N] [--ts ISO]",
    summary: "append one line for a run your script did itself",
    options: {
      exit: { type: "string", value: "N", help: "the run's exit code (an integer from -2147483648 to 2147483647)" },
      msg: { type: "string", value: "TEXT", help: "what happened", freeText: true },
      job: JOB_OPTION,
      "duration-ms": { type: "string", value: "N", help: "how long the run took, in milliseconds" },
      ts: { type: "string", value: "ISO", help: "when the run started (default: now)" },
    },
    positionals: NONE,
  },
  pause: {
    name: "pause",
    args: "JOB [--for DURATION]",
    summary: "no alerts for JOB, until resumed or for the given time",
    options: { for: { type: "string", value: "DURATION", help: "pause for this long only (30m, 2h, 3d)" } },
    positionals: ONE_JOB,
  },
  resume: { name: "resume", args: "JOB", summary: "alerts for JOB again", options: {}, positionals: ONE_JOB },
  forget: {
    name: "forget",
    args: "JOB [--runs]",
    summary: "forget a job's state (and with --runs its stored runs too)",
    options: { runs: { type: "boolean", help: "also delete the job's stored runs" } },
    positionals: ONE_JOB,
  },
  open: {
    name: "open",
    args: "[--print]",
    summary: "open the dashboard in the browser",
    options: { print: { type: "boolean", help: "print the dashboard's address instead of opening it" } },
    positionals: NONE,
  },
  "test-notification": {
    name: "test-notification",
    args: "",
    summary: "send one sample alert through the configured backend (alias: --test-notification)",
    options: {},
    positionals: NONE,
  },
  paths: {
    name: "paths",
    args: "",
    summary: "print the config, input, database, log and pid paths in use, as key=value (alias: --paths)",
    options: {},
    positionals: NONE,
  },
  help: { name: "help", args: "[COMMAND]", summary: "show this text, or a command's usage", options: {}, positionals: { min: 0, max: 1, name: "COMMAND" } },
};

export function isCommandName(text: string): text is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(text);
}
