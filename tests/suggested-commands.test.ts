/**
 * Every command line the program itself suggests (hints, alerts, the dashboard, usage errors) and
 * every one the README shows uses a command and options the CLI knows: a suggestion that fails when
 * copied is a bug (a dashboard text once said `log --duration`, which the CLI refuses).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMAND_NAMES, COMMANDS, GLOBAL_OPTIONS, type CommandName } from "../src/cli/command-table.ts";
import { REPO } from "./helpers.ts";

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : /\.(ts|js)$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

const COMMAND = new RegExp(`(?:collector\\.ts[ \\t]+|<code>)(${COMMAND_NAMES.join("|")})\\b((?:[ \\t]+(?:--?[a-z][a-z-]*|[^\\s<\`'"|;]+))*)`, "g");

/** Each (file, command, option) the text suggests, e.g. ["src/web/…", "log", "duration-ms"]. */
function suggestedOptions(file: string): Array<[string, CommandName, string]> {
  const found: Array<[string, CommandName, string]> = [];
  for (const match of readFileSync(join(REPO, file), "utf8").matchAll(COMMAND)) {
    const command = match[1] as CommandName;
    const words = (match[2] ?? "").trim().split(/\s+/);
    for (const word of words) {
      if (word === "--") break; // what follows belongs to the wrapped command
      const option = /^--([a-z][a-z-]*)/.exec(word)?.[1];
      if (option) found.push([file, command, option]);
    }
  }
  return found;
}

const suggestions = [...sources("src"), "README.md", "manager.sh"].flatMap(suggestedOptions);

describe("suggested command lines", () => {
  test("the scan finds the suggestions it is meant to check", () => {
    expect(suggestions.some(([, command, option]) => command === "log" && option === "duration-ms")).toBe(true);
    expect(suggestions.length).toBeGreaterThan(20);
  });

  test.each(suggestions)("%s: %s --%s is an option the CLI knows", (_file, command, option) => {
    const known = { ...GLOBAL_OPTIONS, ...COMMANDS[command].options };
    expect(Object.keys(known)).toContain(option);
  });
});
