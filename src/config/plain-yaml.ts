/**
 * Reading config.yaml with Bun's built-in YAML parser when that gives exactly what the `yaml`
 * package would. The package is what reports problems (file, line, column, duplicate keys), but
 * running it costs the resident collector about 5 MB of RSS and 16 ms (measured: importing the
 * collector, then parsing config.yaml: +5.6 MB with the package, +0.5 MB with `Bun.YAML.parse`).
 * So a config is read here first; when this returns null, or when the config read from it has any
 * problem, src/config/load.ts reads the text again with the package, which decides.
 *
 * Null ("let the package read it") whenever the two parsers could disagree:
 * - `Bun.YAML.parse` throws (a syntax error: its message has no position);
 * - a tag (`!`), a merge key (`<<`: Bun merges, the package keeps a key "<<" that is then
 *   unknown), several documents or directives, a tab in the indentation;
 * - a key appears twice in one mapping (Bun keeps the last silently; the package reports it),
 *   or a key this scanner cannot read for sure (quoted, `?`, a flow mapping with nested
 *   brackets) that could hide such a duplicate;
 * - a key that JavaScript would move: an object lists integer keys first, so `b: 1` then `10: 2`
 *   would come out in another order than the file's (the order of `notify.sounds` rules matters);
 * - a key the package reads as null or a boolean (`~` and `null`, `true` and `True` are one key
 *   to it, two to this scanner), a line that is a key but not a plain one (`[a]:`, `a#b:`: Bun
 *   and the package name them differently), a line ended by a lone carriage return (a line break
 *   to Bun, not to the package), a byte order mark after the first character (Bun keeps it).
 */

export interface PlainYaml {
  readonly value: unknown;
}

/** Where a mapping's keys are collected while scanning: the column they start at. */
interface Level {
  readonly indent: number;
  readonly keys: Set<string>;
  /** A key other than a plain integer has been seen (integers after it would be reordered). */
  sawText: boolean;
  lastInteger: number;
}

const INTEGER_KEY = /^(0|[1-9]\d{0,8})$/;
/** Keys read as numbers by YAML (and so possibly turned into integer keys): 007, 0x1F, 1e3, +5, .5, -1. */
const NUMBER_LIKE = /^[\d+.-]/;
/** Keys the package resolves to null or a boolean: spelled differently, they are still one key. */
const NULL_OR_BOOLEAN_KEY = /^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
const RANGE_KEY = /^\d{1,3}\s*-\s*\d{1,3}$/;
const BLOCK_SCALAR = /^[|>][-+0-9]*$/;
// Not from ":" on (": {a: 1}" is an empty key; a plain key such as ":a" is left to the package).
const PLAIN_KEY = /^[^\s"'?{}[\],&*!|>%@`#:][^:#]*?(?=\s*:(?:\s|$))/;

/**
 * The line without its comment (a `#` after whitespace, outside quotes); null when a quoted
 * string goes on to the next line (its continuation could look like a key).
 */
function stripComment(line: string): string | null {
  let quote: string | null = null;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote !== null) {
      if (char === "\\" && quote === '"') index++;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === "#" && (index === 0 || /\s/.test(line[index - 1] ?? ""))) return line.slice(0, index);
  }
  return quote === null ? line : null;
}

/** Records `key` in `level`; false when it is a duplicate or would be reordered. */
function addKey(level: Level, key: string): boolean {
  if (level.keys.has(key) || NULL_OR_BOOLEAN_KEY.test(key)) return false;
  level.keys.add(key);
  if (INTEGER_KEY.test(key)) {
    const value = Number(key);
    if (level.sawText || value <= level.lastInteger) return false;
    level.lastInteger = value;
    return true;
  }
  if (NUMBER_LIKE.test(key) && !RANGE_KEY.test(key)) return false;
  level.sawText = true;
  return true;
}

function newLevel(indent: number): Level {
  return { indent, keys: new Set(), sawText: false, lastInteger: -1 };
}

const QUOTED = /"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g;

/** The keys of a one-line flow mapping `{ a: 1, b: 2 }`, or null when it is not that simple. */
function flowKeys(text: string): string[] | null {
  // Quoted values may hold commas and colons: blank them out (a quoted key is not read here).
  const inner = text.trim().slice(1, -1).replace(QUOTED, "\u0000");
  if (/[{}[\]"']/.test(inner)) return null;
  if (inner.trim() === "") return [];
  const keys: string[] = [];
  for (const part of inner.split(",")) {
    const match = /^\s*([^\s:][^:]*?)\s*:(?:\s|$)/.exec(part);
    if (!match?.[1] || match[1].includes("\u0000")) return null;
    keys.push(match[1]);
  }
  return keys;
}

/** True when every mapping's keys are distinct, readable here, and keep their order in JavaScript. */
function keysAreSafe(text: string): boolean {
  const levels: Level[] = [];
  let blockScalarIndent: number | null = null;
  // A byte order mark is not indentation (trimStart would count it as one column).
  for (const rawLine of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    const indent = rawLine.length - rawLine.trimStart().length;
    if (blockScalarIndent !== null) {
      if (rawLine.trim() === "" || indent > blockScalarIndent) continue;
      blockScalarIndent = null;
    }
    const line = stripComment(rawLine)?.trimEnd();
    if (line === undefined) return false;
    if (line.trim() === "") continue;
    let column = indent;
    let content = line.slice(indent);
    // Each "- " opens a new item: a mapping in it starts afresh.
    while (content === "-" || content.startsWith("- ")) {
      const rest = content.slice(1);
      column += 1 + (rest.length - rest.trimStart().length);
      content = rest.trimStart();
      while (levels.length > 0 && (levels.at(-1)?.indent ?? -1) >= column) levels.pop();
    }
    if (content === "") continue;
    if (BLOCK_SCALAR.test(content)) {
      blockScalarIndent = indent; // "- |": the item is a block of text
      continue;
    }
    const match = PLAIN_KEY.exec(content);
    if (!match) {
      // Not a key: a value continuing a sequence or scalar. A key hidden in it is not allowed.
      const unquoted = content.replace(QUOTED, "");
      if (/^["'?]/.test(content) || unquoted.includes("{") || /:(\s|$)/.test(unquoted)) return false;
      continue;
    }
    const key = match[0].trimEnd();
    while (levels.length > 0 && (levels.at(-1)?.indent ?? -1) > column) levels.pop();
    let level = levels.at(-1);
    if (level?.indent !== column) {
      level = newLevel(column);
      levels.push(level);
    }
    if (!addKey(level, key)) return false;
    const value = content.slice(match[0].length).replace(/^\s*:/, "").trim();
    // Its lines are those indented past the key (not past the line: "- a: |" starts after the dash).
    if (BLOCK_SCALAR.test(value)) blockScalarIndent = column;
    else if (value.replace(QUOTED, "").includes("{")) {
      // Only a whole one-line flow mapping is read here (not one inside a list or over lines).
      const keys = value.startsWith("{") && value.endsWith("}") ? flowKeys(value) : null;
      if (keys === null) return false;
      const flow = newLevel(Number.MAX_SAFE_INTEGER);
      if (!keys.every((inner) => addKey(flow, inner))) return false;
    }
  }
  return true;
}

/** The parsed config text, or null when the `yaml` package must read it (see above). */
export function parsePlainYaml(text: string): PlainYaml | null {
  if (/[!\t]|<<|\r(?!\n)/.test(text) || text.includes("\uFEFF", 1) || /^(---|\.\.\.|%)/m.test(text)) return null;
  let value: unknown;
  try {
    value = Bun.YAML.parse(text);
  } catch {
    return null;
  }
  return keysAreSafe(text) ? { value } : null;
}
