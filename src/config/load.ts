/**
 * Finding and reading config.yaml. Lookup order: --config, then $CRON_COLLECTOR_CONFIG, then
 * config.yaml beside collector.ts. A file named explicitly must exist; the one beside collector.ts
 * may be absent, and then the built-in defaults apply.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { CollectorError, describeError } from "../errors.ts";
import { readConfig, type Config, type PathContext } from "./config.ts";
import { Section, type ConfigProblem } from "./section.ts";

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

/** Parses config text. Pure apart from the path context it is given. */
export function parseConfig(text: string, file: string | null, context: PathContext): ParsedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = doc.errors.map((error) => ({
    line: error.linePos?.[0].line ?? 1,
    column: error.linePos?.[0].col ?? 1,
    message: `YAML syntax: ${error.message.split("\n")[0]}`,
  }));
  const contents = doc.contents;
  if (contents !== null && !isMap(contents) && problems.length === 0) {
    const position = contents.range ? lines.linePos(contents.range[0]) : { line: 1, col: 1 };
    problems.push({ line: position.line, column: position.col, message: "the file must be a mapping of settings (key: value lines)" });
  }
  // After a syntax error only the parts that parsed are read, and their problems are not reported
  // (they would mostly repeat the syntax error).
  const fieldProblems: ConfigProblem[] = [];
  const root = new Section(isMap(contents) ? contents : null, "", lines, fieldProblems);
  const config = readConfig(root, file, context);
  return { config, problems: problems.length > 0 ? problems : fieldProblems };
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

/** Like loadConfig, but a config with problems is returned with them (a missing file still throws). */
export function readConfigFile(location: ConfigLocation, home: string): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !location.explicit) return parseConfig("", null, { home, baseDir: dirname(location.path) });
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : describeError(error);
    throw new CollectorError(`Cannot load config "${location.path}": ${reason}`, "config");
  }
  return parseConfig(text, location.path, { home, baseDir: dirname(location.path) });
}
