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

export type ParsedConfig = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** Parses config text. Pure apart from the path context it is given. */
export function parseConfig(text: string, file: string | null, context: PathContext): ParsedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = doc.errors.map((error) => ({
    line: error.linePos?.[0].line ?? 1,
    column: error.linePos?.[0].col ?? 1,
    message: `YAML syntax: ${error.message.split("\n")[0]}`,
  }));
  if (problems.length > 0) return { ok: false, problems };
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    const position = contents.range ? lines.linePos(contents.range[0]) : { line: 1, col: 1 };
    return { ok: false, problems: [{ line: position.line, column: position.col, message: "the file must be a mapping of settings (key: value lines)" }] };
  }
  const root = new Section(isMap(contents) ? contents : null, "", lines, problems);
  const config = readConfig(root, file, context);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => `Cannot load config "${file}" (line ${problem.line}, column ${problem.column}): ${problem.message}`)
    .join("\n");
}

/** Reads and validates the config; throws CollectorError (kind "config") with every problem found. */
export function loadConfig(location: ConfigLocation, home: string): Config {
  let text: string;
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !location.explicit) {
      const parsed = parseConfig("", null, { home, baseDir: dirname(location.path) });
      if (parsed.ok) return parsed.config;
    }
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : describeError(error);
    throw new CollectorError(`Cannot load config "${location.path}": ${reason}`, "config");
  }
  const context: PathContext = { home, baseDir: dirname(location.path) };
  const parsed = parseConfig(text, location.path, context);
  if (!parsed.ok) throw new CollectorError(formatProblems(location.path, parsed.problems), "config");
  return parsed.config;
}
