/**
 * Finding and reading config.yaml. Lookup order: --config, then $CRON_COLLECTOR_CONFIG, then
 * config.yaml beside collector.ts. A file named explicitly must exist; the one beside collector.ts
 * may be absent, and then the built-in defaults apply.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CollectorError, describeFileError } from "../errors.ts";
import { readConfig, type Config, type PathContext } from "./config.ts";
import { parsePlainYaml } from "./plain-yaml.ts";
import { plainMapping, Section, type ConfigProblem, type Locate, type Mapping } from "./section.ts";

export interface ConfigLocation {
  readonly path: string;
  /** True when the user named the file (flag or environment), so it must exist. */
  readonly explicit: boolean;
}

export function locateConfig(flag: string | undefined, env: Record<string, string | undefined>, appDir: string): ConfigLocation {
  if (flag) return { path: resolve(flag), explicit: true };
  const fromEnv = env.CRON_COLLECTOR_CONFIG;
  if (fromEnv) return { path: resolve(fromEnv), explicit: true };
  return { path: join(appDir, "config.yaml"), explicit: false };
}

/**
 * The config read from the text, and the problems found. The config is always built: a field
 * with a problem falls back to its default, so that tools that only need paths (manager.sh stop,
 * status) keep working while config.yaml is broken. Everything else refuses a config with problems.
 */
export interface ParsedConfig {
  readonly config: Config;
  readonly problems: readonly ConfigProblem[];
}

/** The `yaml` package, loaded only for a config that needs it (see plain-yaml.ts). */
function yamlDocument(): typeof import("./yaml-document.ts") {
  return require("./yaml-document.ts") as typeof import("./yaml-document.ts");
}

/** Builds the config from a parsed mapping; its problems are collected in `problems`. */
function configFrom(root: Mapping | null, locate: Locate, file: string | null, context: PathContext, problems: ConfigProblem[]): Config {
  return readConfig(new Section(root, "", locate, problems), file, context);
}

/**
 * Parses config text. Pure apart from the path context it is given. A plain config is read with
 * Bun's parser; any problem, or text it cannot read exactly as the `yaml` package would, is read
 * (again) with the package, which gives every problem its line and column.
 */
export function parseConfig(text: string, file: string | null, context: PathContext): ParsedConfig {
  const plain = parsePlainYaml(text);
  const root = plain === null ? null : plainMapping(plain.value);
  if (plain !== null && (root !== null || isCommentsOnly(text))) {
    const problems: ConfigProblem[] = [];
    const config = configFrom(root, () => null, file, context, problems);
    if (problems.length === 0) return { config, problems };
  }
  return parseConfigWithPackage(text, file, context);
}

/** parseConfig with the `yaml` package only: what decides, and what tests compare the plain path with. */
export function parseConfigWithPackage(text: string, file: string | null, context: PathContext): ParsedConfig {
  const doc = yamlDocument().readYamlDocument(text);
  // After a syntax error only the parts that parsed are read, and their problems are not reported
  // (they would mostly repeat the syntax error).
  const fieldProblems: ConfigProblem[] = [];
  const config = configFrom(doc.root, doc.locate, file, context, fieldProblems);
  return { config, problems: doc.problems.length > 0 ? doc.problems : fieldProblems };
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => `Cannot load config "${file}" (line ${problem.line}, column ${problem.column}): ${problem.message}`)
    .join("\n");
}

/** Reads and validates the config; throws CollectorError (kind "config") with every problem found. */
export function loadConfig(location: ConfigLocation, home: string): Config {
  const { config, problems } = readConfigFile(location, home);
  if (problems.length > 0) throw new CollectorError(formatProblems(location.path, problems), "config");
  return config;
}

/**
 * Why the file at `path` must not replace a running config, or null. An empty file (or one of
 * comments only) would switch to all defaults (another database, the lock on the real one let
 * go): what an editor that truncates then writes leaves for a moment, so it counts as an invalid
 * edit, as does a file that cannot be read or is gone.
 */
export function reloadProblem(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return `Cannot load config "${path}": ${describeFileError(error)}`;
  }
  if (isEmptyText(text)) {
    return `Cannot load config "${path}": the file is empty; to run on the defaults, restart the collector`;
  }
  return null;
}

const isCommentsOnly = (text: string): boolean => text.split(/\r?\n/).every((line) => /^\s*(#.*)?$/.test(line));

/** Empty, or comments only: what the `yaml` package reads as no document (checked with it when unsure). */
function isEmptyText(text: string): boolean {
  if (isCommentsOnly(text)) return true;
  return parsePlainYaml(text) === null ? yamlDocument().isEmptyDocument(text) : false;
}

/** Like loadConfig, but a config with problems is returned with them (a missing file still throws). */
export function readConfigFile(location: ConfigLocation, home: string): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !location.explicit) return parseConfig("", null, { home, baseDir: dirname(location.path) });
    throw new CollectorError(`Cannot load config "${location.path}": ${describeFileError(error)}`, "config");
  }
  return parseConfig(text, location.path, { home, baseDir: dirname(location.path) });
}
