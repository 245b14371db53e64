/** The `--help` texts, generated from the command table so that they list exactly what is accepted. Pure. */
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS, MODE_FLAGS, type CommandName, type OptionTable } from "./command-table.ts";

const PROGRAM = "bun collector.ts";

function optionLines(options: OptionTable): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `, -${spec.short}` : "";
    return [`--${name}${spec.value ? ` ${spec.value}` : ""}${short}`, spec.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`);
}

const GLOBALS_TITLE = "Global options (before or after the command):";
const EXIT_CODES = "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error (run: the command's own exit code).";

export function commandUsage(name: CommandName): string {
  const spec = COMMANDS[name];
  const lines = [`Usage: ${PROGRAM} ${name}${spec.args ? ` ${spec.args}` : ""}`, "", `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`];
  if (spec.details) lines.push(...spec.details);
  if (Object.keys(spec.options).length > 0) lines.push("", "Options:", ...optionLines(spec.options));
  lines.push("", GLOBALS_TITLE, ...optionLines(GLOBAL_OPTIONS), "", EXIT_CODES);
  return lines.join("\n");
}

export function mainUsage(): string {
  const width = Math.max(...COMMAND_NAMES.map((name) => name.length)) + 2;
  const aliases = Object.entries(MODE_FLAGS).map(([flag, command]) => `--${flag} = ${command}${flag === "daemon" ? " --daemon" : ""}`);
  return [
    `Usage: ${PROGRAM} [COMMAND] [options]`,
    "",
    "Tails a JSONL file of cron runs into SQLite, alerts on failed runs, and reports stats.",
    "",
    "Commands:",
    ...COMMAND_NAMES.map((name) => `  ${name.padEnd(width)}${COMMANDS[name].summary}`),
    "",
    `"${PROGRAM} COMMAND --help" shows a command's options.`,
    "The Python collector's flags still work:",
    `  ${aliases.join(", ")}`,
    "",
    GLOBALS_TITLE,
    ...optionLines(GLOBAL_OPTIONS),
    "",
    EXIT_CODES,
  ].join("\n");
}
