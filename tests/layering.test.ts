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
  test.each(storeFiles)("%s imports no alert policy, notifier, config or ingest", (file) => {
    const upward = imports(file).filter((path) => /\/(alerts\/(policy|state-alerts)|notify\/|config\/|ingest|monitor|session|job-status)/.test(path));
    expect(upward).toEqual([]);
  });

  test.each(["src/line.ts", "src/chunk.ts", "src/records.ts", "src/job-status.ts"])("%s imports nothing from the store", (file) => {
    expect(imports(file).filter((path) => path.includes("store/"))).toEqual([]);
  });

  test("the monitor and ingest hold no SQL", () => {
    for (const file of ["src/monitor.ts", "src/ingest.ts", "src/job-status.ts"]) {
      expect(readFileSync(join(REPO, file), "utf8")).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE)\b/);
    }
  });
});
