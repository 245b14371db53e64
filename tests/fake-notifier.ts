/** A temp HOME whose PATH holds fake notifier programs that record every call. */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AlertText } from "../src/alerts/format.ts";
import type { Notifier } from "../src/notify/notifier.ts";
import { cliEnv, FIXTURES, NO_DASHBOARD, tempDir } from "./helpers.ts";

export const FAKE_NOTIFIER = join(FIXTURES, "bin", "fake-notifier");

export interface NotifierSetup {
  home: string;
  input: string;
  db: string;
  calls: string;
  env: Record<string, string>;
  config(text: string): void;
}

/** Programs a test must never find on PATH, even where the machine has them. */
const REAL_NOTIFIERS = new Set(["notify-send", "terminal-notifier", "osascript", "brew", "crontab", "launchctl", "systemctl"]);
let systemTools: string | null = null;

/**
 * A directory with the system's programs (those of /usr/bin, /bin and bun's own directory) minus
 * REAL_NOTIFIERS, made once per test process: on PATH instead of /usr/bin:/bin, so a machine with
 * libnotify-bin installed still shows a test no notifier.
 */
function toolsWithoutNotifiers(): string {
  if (systemTools) return systemTools;
  const tools = join(tempDir("cc-tools-"), "bin");
  mkdirSync(tools);
  for (const dir of [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (REAL_NOTIFIERS.has(name) || existsSync(join(tools, name))) continue;
      symlinkSync(join(dir, name), join(tools, name));
    }
  }
  systemTools = tools;
  return tools;
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
  writeFileSync(configPath, NO_DASHBOARD);
  return {
    home,
    input: join(home, "logs", "ladder.jsonl"),
    db: join(home, ".cron_dash", "ladder.db"),
    calls,
    env: cliEnv(home, { PATH: `${bin}:${toolsWithoutNotifiers()}`, FAKE_NOTIFIER_LOG: calls, CRON_COLLECTOR_CONFIG: configPath, ...extraEnv }),
    config: (text) => writeFileSync(configPath, `${NO_DASHBOARD}${text}`),
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

/** The status of every alert row, oldest first. */
export function alertStatuses(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query<{ status: string }, []>("SELECT status FROM alerts ORDER BY id").all().map((row) => row.status);
  } finally {
    db.close();
  }
}

/** An in-process notifier that records what it is sent; `failing` switches it off and on. */
export interface RecordingNotifier extends Notifier {
  readonly sent: AlertText[];
  /** Every call, delivered or not. */
  attempts: number;
  failing: boolean;
  /** Called inside send(), before the outcome (to look at the database mid-delivery). */
  during?: () => void;
}

export function recordingNotifier(description = "fake", logOnly = false): RecordingNotifier {
  const notifier: RecordingNotifier = {
    description,
    logOnly,
    available: true,
    sent: [],
    attempts: 0,
    failing: false,
    async send(alert) {
      notifier.attempts++;
      notifier.during?.();
      if (notifier.failing) return { ok: false, error: `${description} is down` };
      notifier.sent.push(alert);
      return { ok: true };
    },
  };
  return notifier;
}
