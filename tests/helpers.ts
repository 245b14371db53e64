/** Shared test helpers: temp dirs, JSONL lines, running the real CLI. */
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO = join(import.meta.dir, "..");
export const FIXTURES = join(import.meta.dir, "fixtures");

export function tempDir(prefix = "cc-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function jsonl(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields)}\n`;
}

/** A run line at 2025-07-29T04:MM:SSZ, unique per index. */
export function runLine(index: number, exit = 0, extra: Record<string, unknown> = {}): string {
  const ts = new Date(Date.UTC(2025, 6, 29, 4, 0, 0) + index * 1000).toISOString().replace(".000", "");
  return jsonl({ ts, exit, msg: `run ${index}`, ...extra });
}

export function runLines(from: number, count: number, exit = 0): string {
  let text = "";
  for (let index = from; index < from + count; index++) text += runLine(index, exit);
  return text;
}

export function createPythonDatabase(path: string): void {
  const db = new Database(path, { create: true });
  db.exec(readFileSync(join(FIXTURES, "python-collector.sql"), "utf8"));
  db.close();
}

export function countRows(dbPath: string, table: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query<{ n: number }, []>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
  } finally {
    db.close();
  }
}

export function messages(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query<{ message: string }, []>("SELECT message FROM cron_entries ORDER BY id").all().map((row) => row.message);
  } finally {
    db.close();
  }
}

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for the real CLI: a temp HOME, no inherited config, no colour. */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "CRON_COLLECTOR_CONFIG") env[key] = value;
  }
  return { ...env, HOME: home, NO_COLOR: "1", ...extra };
}

export function runCli(args: string[], env: Record<string, string>, cwd = REPO): CliResult {
  const result = Bun.spawnSync(["bun", join(REPO, "collector.ts"), ...args], { env, cwd, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** Waits until `check` is true, polling; fails the test after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
