/**
 * Input files for the bench: JSONL lines as cron jobs write them. Deterministic for a given
 * start instant, so a backfill file can be reused between bench runs (bench/out/ is git-ignored).
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";

const JOBS = [null, "backup", "sync", "report", "cleanup"];
const MESSAGES = ["Monitor started successfully", "Connection failed - API timeout", "Order check completed - 3 orders tracked"];

export interface InputSpec {
  readonly lines: number;
  /** The instant of the first line and the spacing of the following ones. */
  readonly startMs: number;
  readonly stepMs: number;
  /** Every n-th line fails (1: all of them). */
  readonly failEvery: number;
}

function line(spec: InputSpec, index: number): string {
  const ts = new Date(spec.startMs + index * spec.stepMs).toISOString();
  const exit = index % spec.failEvery === 0 ? 1 : 0;
  const job = JOBS[index % JOBS.length];
  const jobField = job ? `,"job":"${job}"` : "";
  // Durations over four orders of magnitude, so the histogram has something to hold.
  const duration = index % 3 === 0 ? "" : `,"duration_ms":${(index * 7919) % 100_000}`;
  return `{"ts":"${ts}","exit":${exit},"msg":"${MESSAGES[index % 3]} #${index}"${jobField}${duration}}\n`;
}

/** Writes the input unless `reuse` and it exists; returns its path. */
export async function generate(path: string, spec: InputSpec, reuse: boolean): Promise<string> {
  if (reuse && existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true }); // a fresh checkout has no bench/out/ yet
  const partial = `${path}.partial`;
  const writer = Bun.file(partial).writer();
  for (let index = 0; index < spec.lines; ) {
    let block = "";
    for (let i = 0; i < 10_000 && index < spec.lines; i++, index++) block += line(spec, index);
    writer.write(block);
    await writer.flush();
  }
  await writer.end();
  renameSync(partial, path);
  return path;
}

/** One line as `run`/`log` would append it now, failing. */
export function failureLine(index: number, now: Date): string {
  return `{"ts":"${now.toISOString()}","exit":1,"msg":"latency probe #${index}","job":"probe"}\n`;
}
