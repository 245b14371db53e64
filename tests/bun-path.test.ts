/** src/cli/bun-path.ts: the bun shown in a command to copy, on real files and links in a temp dir. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bunForCommands } from "../src/cli/bun-path.ts";
import { tempDir } from "./helpers.ts";

/** An npm-style install: the real binary lib/bun.exe, and bin/bun linking to it. */
function install(): { real: string; link: string; other: string } {
  const dir = tempDir("cc-bun-path-");
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "bin"));
  const real = join(dir, "lib", "bun.exe");
  writeFileSync(real, "");
  const link = join(dir, "bin", "bun");
  symlinkSync("../lib/bun.exe", link);
  const other = join(dir, "other-bun");
  writeFileSync(other, "");
  return { real, link, other };
}

describe("bunForCommands", () => {
  test("the bun on PATH when it links to the running binary", () => {
    const { real, link } = install();
    expect(bunForCommands(() => link, real)).toBe(link);
  });

  test("the running bun when PATH has another bun, none, a relative one or a dangling link", () => {
    const { real, other } = install();
    expect(bunForCommands(() => other, real)).toBe(real);
    expect(bunForCommands(() => null, real)).toBe(real);
    expect(bunForCommands(() => "bun", real)).toBe(real);
    const dangling = join(tempDir("cc-bun-path-"), "bun");
    symlinkSync("/nonexistent/bun", dangling);
    expect(bunForCommands(() => dangling, real)).toBe(real);
  });
});
