/** A temp HOME whose PATH holds fake notifier programs that record every call. */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliEnv, FIXTURES, tempDir } from "./helpers.ts";

export const FAKE_NOTIFIER = join(FIXTURES, "bin", "fake-notifier");

export interface NotifierSetup {
  home: string;
  input: string;
  db: string;
  calls: string;
  env: Record<string, string>;
  config(text: string): void;
}

/** Fakes named `programs` on PATH (and no real notifier); config.yaml in the temp HOME. */
export function notifierSetup(programs: string[], extraEnv: Record<string, string> = {}): NotifierSetup {
  const home = tempDir("cc-notify-");
  const bin = join(home, "bin");
  mkdirSync(bin);
  mkdirSync(join(home, "logs"));
  for (const program of programs) symlinkSync(FAKE_NOTIFIER, join(bin, program));
  const calls = join(home, "calls");
  writeFileSync(calls, "");
  const configPath = join(home, "config.yaml");
  writeFileSync(configPath, "");
  return {
    home,
    input: join(home, "logs", "ladder.jsonl"),
    db: join(home, ".cron_dash", "ladder.db"),
    calls,
    env: cliEnv(home, { PATH: `${bin}:/usr/bin:/bin`, FAKE_NOTIFIER_LOG: calls, CRON_COLLECTOR_CONFIG: configPath, ...extraEnv }),
    config: (text) => writeFileSync(configPath, text),
  };
}

/** Every recorded call: the program name, then its arguments. */
export function calls(s: Pick<NotifierSetup, "calls">): string[][] {
  return readFileSync(s.calls, "utf8")
    .split("\x1e\n")
    .filter((record) => record !== "")
    .map((record) => record.split("\0").slice(0, -1));
}

/** The -title and -message of each terminal-notifier call, without the escaping backslash. */
export function notifications(s: Pick<NotifierSetup, "calls">): Array<[string, string]> {
  return calls(s).map((argv) => [
    (argv[argv.indexOf("-title") + 1] ?? "").slice(1),
    (argv[argv.indexOf("-message") + 1] ?? "").slice(1),
  ]);
}
