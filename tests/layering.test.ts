/** The layers, read from the imports: the store is the bottom, parsing knows nothing of it. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./helpers.ts";

function imports(file: string): string[] {
  const text = readFileSync(join(REPO, file), "utf8");
  return [...text.matchAll(/^(?:import|export)[^;]*?from "([^"]+)"/gms)].map((match) => match[1] ?? "");
}

const storeFiles = readdirSync(join(REPO, "src", "store")).map((name) => `src/store/${name}`);

describe("layering", () => {
  test.each(storeFiles)("%s imports no alerts, notifier, config or ingest", (file) => {
    const upward = imports(file).filter((path) => /\/(alerts\/|notify\/|config\/|ingest|monitor|session|job-status)/.test(path));
    expect(upward).toEqual([]);
  });

  test.each(["src/line.ts", "src/chunk.ts", "src/line-batch.ts", "src/timestamp.ts", "src/records.ts", "src/job-status.ts"])("%s imports nothing from the store", (file) => {
    expect(imports(file).filter((path) => path.includes("store/"))).toEqual([]);
  });

  test("no SQL outside src/store", () => {
    const sources = (dir: string): string[] =>
      readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
      );
    const withSql = sources("src")
      .filter((file) => !file.startsWith(join("src", "store")))
      .filter((file) => /\b(SELECT \S|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|INDEX)|PRAGMA \w)/.test(readFileSync(join(REPO, file), "utf8")));
    expect(withSql).toEqual([]);
  });
});
