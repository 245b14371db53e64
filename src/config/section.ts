/**
 * Reading one YAML mapping field by field, with the line and column of every problem. A key that
 * no field asked for is reported as unknown, with the closest known key as a suggestion.
 * The mapping comes from either parser (src/config/load.ts): the `yaml` package's document, whose
 * nodes know their position, or plain data from `Bun.YAML.parse`, which does not (a config read
 * that way with any problem is read again with the package, so positions are never missing).
 */
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

/** One key of a mapping, as either parser read it. */
export interface MappingEntry {
  /** The value as plain data. */
  readonly value: unknown;
  /** The mapping when the value is one. */
  readonly mapping: Mapping | null;
  /** True when the value is a mapping or absent altogether (`? key` without a value). */
  readonly mappingOrAbsent: boolean;
  /** Where a problem with the value (or else the key) is reported; see Mapping.locate. */
  readonly node: unknown;
  readonly keyNode: unknown;
}

export interface Mapping {
  readonly entries: ReadonlyMap<string, MappingEntry>;
  /** Where a problem with the mapping as a whole is reported. */
  readonly node: unknown;
}

/** The line and column of a node (1-based), or null when the parser does not know it. */
export type Locate = (node: unknown) => { readonly line: number; readonly col: number } | null;

export class Section {
  private readonly asked: string[] = [];

  constructor(
    private readonly map: Mapping | null,
    private readonly path: string,
    private readonly locate: Locate,
    private readonly problems: ConfigProblem[],
  ) {}

  private get pairs(): ReadonlyMap<string, MappingEntry> {
    return this.map?.entries ?? new Map();
  }

  private qualified(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  problemAt(node: unknown, message: string, code: ConfigProblemCode = "invalid-value"): void {
    const position = (node === null ? null : this.locate(node)) ?? this.locate(this.map?.node ?? null) ?? { line: 1, col: 1 };
    this.problems.push({ code, line: position.line, column: position.col, message });
  }

  /** The node of `key`'s value (null when absent), so a problem found later can point at it. */
  valueNode(key: string): unknown {
    return this.pairs.get(key)?.node ?? null;
  }

  /** The checked value of `key`, or `fallback` when it is absent or wrong (wrong is recorded). */
  get<T>(key: string, check: Checker<T>, fallback: T): T {
    this.asked.push(key);
    const entry = this.pairs.get(key);
    if (!entry) return fallback;
    const checked = check(entry.value);
    if (checked.ok) return checked.value;
    const code = checked.outOfRange ? "out-of-range" : "invalid-value";
    this.problemAt(entry.node ?? entry.keyNode, `"${this.qualified(key)}" must be ${checked.expected}, got ${describeValue(entry.value)}`, code);
    return fallback;
  }

  /** A nested mapping; absent gives an empty section, anything else is a problem. */
  section(key: string): Section {
    this.asked.push(key);
    const entry = this.pairs.get(key);
    if (entry && !entry.mappingOrAbsent) {
      this.problemAt(entry.node, `"${this.qualified(key)}" must be a mapping of settings`, "not-a-mapping");
    }
    return new Section(entry?.mapping ?? null, this.qualified(key), this.locate, this.problems);
  }

  /** Every key of this mapping, with its value node, for sections whose keys are data (maps). */
  entries(): Array<{ key: string; value: unknown; node: unknown }> {
    return [...this.pairs].map(([key, entry]) => ({ key, value: entry.value, node: entry.node ?? entry.keyNode }));
  }

  /** Reports every key that no get()/section() call asked for. */
  rejectUnknownKeys(): void {
    for (const [key, entry] of this.pairs) {
      if (this.asked.includes(key)) continue;
      const suggestion = closestKey(key, this.asked);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : `; known keys: ${this.asked.join(", ")}`;
      this.problemAt(entry.keyNode, `unknown key "${this.qualified(key)}"${hint}`, "unknown-key");
    }
  }
}

const isPlainMapping = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A mapping of plain data (from `Bun.YAML.parse`): no positions; null when `value` is not a mapping. */
export function plainMapping(value: unknown): Mapping | null {
  if (!isPlainMapping(value)) return null;
  const entries = new Map<string, MappingEntry>();
  for (const [key, item] of Object.entries(value)) {
    const mapping = plainMapping(item);
    entries.set(key, { value: item, mapping, mappingOrAbsent: mapping !== null, node: null, keyNode: null });
  }
  return { entries, node: null };
}
