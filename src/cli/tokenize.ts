/**
 * Splitting argv into the subcommand, its options and positionals, wherever each one stands:
 * `--config X run --job j -- cmd` and `run --job j --config X -- cmd` mean the same. Pure.
 *
 * node:util parseArgs is not used because it must know a command's options before it has seen the
 * command, and it refuses `--exit -1`. Here every option has one type whichever command uses it,
 * so one table decides whether an option takes the next word as its value.
 */
import { closestKey } from "../config/fields.ts";
import { usageError } from "./arg-helpers.ts";
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS, isCommandName, MODE_FLAGS, type CommandName, type OptionSpec, type OptionTable } from "./command-table.ts";

export type OptionValues = Readonly<Record<string, string | boolean>>;

export interface Tokens {
  readonly command: CommandName;
  /** True when the command was named (`stats`, `--stats`), false for the default `watch`. */
  readonly named: boolean;
  readonly values: OptionValues;
  /** Positional arguments after the command's name. */
  readonly positionals: readonly string[];
  /** Everything after the first `--`, or null when there is none. */
  readonly rest: readonly string[] | null;
}

const MODE_FLAG_SPEC: OptionSpec = { type: "boolean", help: "" };

/** Every option any command takes, by name: the types agree across commands. */
function allOptions(): Map<string, OptionSpec> {
  const all = new Map<string, OptionSpec>(Object.entries(GLOBAL_OPTIONS));
  for (const name of Object.keys(MODE_FLAGS)) all.set(name, MODE_FLAG_SPEC);
  for (const spec of Object.values(COMMANDS)) for (const [name, option] of Object.entries(spec.options)) all.set(name, option);
  return all;
}

const ALL_OPTIONS = allOptions();
const SHORT_OPTIONS = new Map(Object.entries(GLOBAL_OPTIONS).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));

/** Whether `word` is the value of an option of `spec` (see OptionSpec.freeText). */
const isValueFor = (spec: OptionSpec, word: string | undefined): word is string =>
  word !== undefined && (spec.freeText === true || !word.startsWith("-") || /^-\d/.test(word));

interface RawToken {
  readonly name: string;
  readonly spelled: string;
  readonly value: string | boolean;
}

function readOptions(head: readonly string[]): { options: RawToken[]; positionals: string[]; unknown: string[] } {
  const options: RawToken[] = [];
  const positionals: string[] = [];
  const unknown: string[] = [];
  for (let index = 0; index < head.length; index++) {
    const word = head[index] ?? "";
    if (!word.startsWith("-") || word === "-" || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    const long = word.startsWith("--");
    const [spelledName = "", inline] = long ? splitInline(word.slice(2)) : [SHORT_OPTIONS.get(word.slice(1)) ?? "", undefined];
    const spec = ALL_OPTIONS.get(spelledName);
    if (!spec) {
      unknown.push(long ? `--${spelledName}` : word);
      continue;
    }
    const spelled = long ? `--${spelledName}` : word;
    if (spec.type === "boolean") {
      if (inline !== undefined) throw usageError(`${spelled} takes no value, got "${inline}"`);
      options.push({ name: spelledName, spelled, value: true });
    } else if (inline !== undefined) {
      options.push({ name: spelledName, spelled, value: inline });
    } else {
      const next = head[index + 1];
      if (!isValueFor(spec, next)) {
        throw usageError(`${spelled} needs a value (${spelled} ${spec.value ?? "VALUE"}; ${spelled}=-x for a value starting with "-")`);
      }
      options.push({ name: spelledName, spelled, value: next });
      index++;
    }
  }
  return { options, positionals, unknown };
}

function splitInline(text: string): [string, string | undefined] {
  const equals = text.indexOf("=");
  return equals < 0 ? [text, undefined] : [text.slice(0, equals), text.slice(equals + 1)];
}

/** The command argv names, by word or by one of the old mode flags, and whether it was named. */
function chooseCommand(positionals: string[], options: readonly RawToken[]): { command: CommandName; named: boolean } {
  const modes = [...new Set(options.filter((option) => option.name in MODE_FLAGS && option.name !== "daemon").map((option) => option.spelled))];
  const first = positionals[0];
  if (first !== undefined && !isCommandName(first)) {
    const suggestion = closestKey(first, COMMAND_NAMES);
    throw usageError(`Unknown command "${first}"${suggestion ? `; did you mean "${suggestion}"?` : `; the commands are ${COMMAND_NAMES.join(", ")}`}`);
  }
  if (modes.length > 1) throw usageError(`${modes[0]} and ${modes[1]} cannot be combined`);
  const byFlag = modes[0] === undefined ? undefined : MODE_FLAGS[modes[0].slice(2)];
  if (first !== undefined) {
    positionals.shift();
    if (byFlag !== undefined && byFlag !== first) throw usageError(`${modes[0]} and the command "${first}" cannot be combined`);
    return { command: first, named: true };
  }
  if (byFlag !== undefined) return { command: byFlag, named: true };
  return { command: "watch", named: options.some((option) => option.name === "daemon") };
}

function optionsOf(command: CommandName, named: boolean): OptionTable {
  const modeFlags = Object.fromEntries(Object.entries(MODE_FLAGS).filter(([, target]) => !named || target === command).map(([flag]) => [flag, MODE_FLAG_SPEC]));
  return { ...GLOBAL_OPTIONS, ...modeFlags, ...COMMANDS[command].options };
}

function commandsTaking(option: string): string {
  return Object.values(COMMANDS)
    .filter((spec) => option in spec.options)
    .map((spec) => spec.name)
    .join(" and ");
}

/** Splits argv; throws a usage CollectorError for an unknown command or option, or a missing value. */
export function tokenize(argv: readonly string[]): Tokens {
  const separator = argv.indexOf("--");
  const head = separator < 0 ? argv : argv.slice(0, separator);
  const rest = separator < 0 ? null : argv.slice(separator + 1);
  const { options, positionals, unknown } = readOptions(head);
  const { command, named } = chooseCommand(positionals, options);
  const allowed = optionsOf(command, named);
  const where = named ? ` for ${command}` : "";
  const [spelled] = unknown;
  if (spelled !== undefined) {
    const candidates = Object.keys(allowed).map((name) => `--${name}`);
    const suggestion = spelled.startsWith("--") ? closestKey(spelled, candidates) : undefined;
    throw usageError(`Unknown option "${spelled}"${where}${suggestion ? `; did you mean "${suggestion}"?` : ""}`, named ? command : undefined);
  }
  const values: Record<string, string | boolean> = {};
  for (const option of options) {
    if (!(option.name in allowed)) {
      const owners = commandsTaking(option.name);
      throw usageError(owners ? `${option.spelled} goes with ${owners}, not ${command}` : `${option.spelled} cannot be combined with ${command}`, named ? command : undefined);
    }
    values[option.name] = option.value;
  }
  return { command, named, values, positionals, rest };
}
