/**
 * Reading one YAML mapping field by field, with the line and column of every problem. A key that
 * no field asked for is reported as unknown, with the closest known key as a suggestion.
 */
import { isMap, isScalar, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml";
import { closestKey, describeValue, type Checker } from "./fields.ts";

/**
 * What kind of problem a config has, so problems can be grouped and tested by kind (a closed
 * union, as the `yaml` package's error codes are).
 */
export const configProblemCodes = [
  "yaml-syntax", // the text is not valid YAML
  "duplicate-key", // a key appears twice in one mapping
  "not-a-mapping", // the file or a section is not key: value lines
  "unknown-key", // a key no setting has (a typo, usually)
  "invalid-value", // a value of the wrong kind ("soon" for a duration)
  "out-of-range", // a value of the right kind outside the allowed range
  "conflict", // settings that do not go together
] as const;
export type ConfigProblemCode = (typeof configProblemCodes)[number];

export interface ConfigProblem {
  readonly code: ConfigProblemCode;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export class Section {
  private readonly pairs = new Map<string, Pair>();
  private readonly asked: string[] = [];

  constructor(
    private readonly map: YAMLMap | null,
    private readonly path: string,
    private readonly lines: LineCounter,
    private readonly problems: ConfigProblem[],
  ) {
    for (const pair of map?.items ?? []) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      this.pairs.set(key, pair as Pair);
    }
  }

  private qualified(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  problemAt(node: unknown, message: string, code: ConfigProblemCode = "invalid-value"): void {
    const range = (node as Node | null)?.range ?? this.map?.range;
    const position = range ? this.lines.linePos(range[0]) : { line: 1, col: 1 };
    this.problems.push({ code, line: position.line, column: position.col, message });
  }

  /** The node of `key`'s value (null when absent), so a problem found later can point at it. */
  valueNode(key: string): unknown {
    return this.pairs.get(key)?.value ?? null;
  }

  /** The checked value of `key`, or `fallback` when it is absent or wrong (wrong is recorded). */
  get<T>(key: string, check: Checker<T>, fallback: T): T {
    this.asked.push(key);
    const pair = this.pairs.get(key);
    if (!pair) return fallback;
    const node = pair.value as Node | null;
    const value: unknown = node && "toJSON" in node ? node.toJSON() : null;
    const checked = check(value);
    if (checked.ok) return checked.value;
    const code = checked.outOfRange ? "out-of-range" : "invalid-value";
    this.problemAt(node ?? pair.key, `"${this.qualified(key)}" must be ${checked.expected}, got ${describeValue(value)}`, code);
    return fallback;
  }

  /** A nested mapping; absent gives an empty section, anything else is a problem. */
  section(key: string): Section {
    this.asked.push(key);
    const pair = this.pairs.get(key);
    const node = pair?.value;
    if (pair && node !== null && !isMap(node)) {
      this.problemAt(node, `"${this.qualified(key)}" must be a mapping of settings`, "not-a-mapping");
    }
    return new Section(isMap(node) ? node : null, this.qualified(key), this.lines, this.problems);
  }

  /** Every key of this mapping, with its value node, for sections whose keys are data (maps). */
  entries(): Array<{ key: string; value: unknown; node: unknown }> {
    return [...this.pairs].map(([key, pair]) => {
      const node = pair.value as Node | null;
      return { key, value: node && "toJSON" in node ? node.toJSON() : null, node: node ?? pair.key };
    });
  }

  /** Reports every key that no get()/section() call asked for. */
  rejectUnknownKeys(): void {
    for (const [key, pair] of this.pairs) {
      if (this.asked.includes(key)) continue;
      const suggestion = closestKey(key, this.asked);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : `; known keys: ${this.asked.join(", ")}`;
      this.problemAt(pair.key, `unknown key "${this.qualified(key)}"${hint}`, "unknown-key");
    }
  }
}
