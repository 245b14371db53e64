/**
 * Reading config text with the `yaml` package, which knows where every node starts: what decides
 * whenever the text has a problem (src/config/load.ts reads a plain config with Bun's parser
 * first, see plain-yaml.ts). Loaded only then, since running the package costs the resident
 * collector about 5 MB.
 */
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLError, type YAMLMap } from "yaml";
import type { ConfigProblem, Locate, Mapping, MappingEntry } from "./section.ts";

export interface YamlDocument {
  readonly root: Mapping | null;
  readonly locate: Locate;
  /** Syntax errors, duplicate keys, a file that is not a mapping. */
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

function mappingOf(map: YAMLMap): Mapping {
  const entries = new Map<string, MappingEntry>();
  for (const pair of map.items as Pair[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const node = pair.value as Node | null;
    entries.set(key, {
      value: node && "toJSON" in node ? node.toJSON() : null,
      mapping: isMap(node) ? mappingOf(node) : null,
      mappingOrAbsent: node === null || isMap(node),
      node,
      keyNode: pair.key,
    });
  }
  return { entries, node: map };
}

export function readYamlDocument(text: string): YamlDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = doc.errors.map((error) => yamlProblem(error, doc, lines));
  const contents = doc.contents;
  if (contents !== null && !isMap(contents) && problems.length === 0) {
    const position = contents.range ? lines.linePos(contents.range[0]) : { line: 1, col: 1 };
    problems.push({ code: "not-a-mapping", line: position.line, column: position.col, message: "the file must be a mapping of settings (key: value lines)" });
  }
  const locate: Locate = (node) => {
    const range = (node as Node | null)?.range;
    return range ? lines.linePos(range[0]) : null;
  };
  return { root: isMap(contents) ? mappingOf(contents) : null, locate, problems };
}

/** True when the text holds no document at all (empty, or comments only). */
export function isEmptyDocument(text: string): boolean {
  return parseDocument(text).contents === null;
}
