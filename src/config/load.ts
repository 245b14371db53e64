/**
 * Finding and reading config.yaml. Lookup order: --config, then $CRON_COLLECTOR_CONFIG, then
 * config.yaml beside collector.ts. A file named explicitly must exist; the one beside collector.ts
 * may be absent, and then the built-in defaults apply.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from "yaml";
import { CollectorError, describeFileError } from "../errors.ts";
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

/** The dotted name of the key that starts at `offset` ("notify.backend"), for a duplicate-key message. */
function keyNameAt(doc: Document, offset: number): string | null {
  let name: string | null = null;
  visit(doc, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      const outer = path.flatMap((node) => (node && typeof node === "object" && "key" in node && isScalar(node.key) ? [String(node.key.value)] : []));
      name = [...outer, String(pair.key.value)].join(".");
      return visit.BREAK;
    },
  });
  return name;
}

function yamlProblem(error: YAMLError, doc: Document, lines: LineCounter): ConfigProblem {
  // Without prettyErrors the yaml package leaves linePos unset; the offset is always there.
  const position = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
  if (error.code === "DUPLICATE_KEY") {
    const name = keyNameAt(doc, error.pos[0]);
    const message = name === null ? "a key appears twice in one mapping" : `duplicate key "${name}": it is already set above`;
    return { code: "duplicate-key", line: position.line, column: position.col, message };
  }
  return { code: "yaml-syntax", line: position.line, column: position.col, message: `YAML syntax: ${error.message.split("\n")[0]}` };
}

/** Parses config text. Pure apart from the path context it is given. */
export function parseConfig(text: string, file: string | null, context: PathContext): ParsedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = doc.errors.map((error) => yamlProblem(error, doc, lines));
  const contents = doc.contents;
  if (contents !== null && !isMap(contents) && problems.length === 0) {
    const position = contents.range ? lines.linePos(contents.range[0]) : { line: 1, col: 1 };
    problems.push({ code: "not-a-mapping", line: position.line, column: position.col, message: "the file must be a mapping of settings (key: value lines)" });
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
  if (parseDocument(text).contents === null) {
    return `Cannot load config "${path}": the file is empty; to run on the defaults, restart the collector`;
  }
  return null;
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
