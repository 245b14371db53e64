/**
 * Running a cron job's command on its behalf: output passed through (so cron's mail still works)
 * and its tail kept, the exit status mapped the way shells and timeout(1) do, a deadline enforced.
 */
import { constants } from "node:os";
import { ByteTail } from "./output-tail.ts";

export interface CommandResult {
  /** 0-255 as a shell reports it: 128+N when killed by signal N, 124 on timeout, 126/127 when it cannot start. */
  readonly exit: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outputTail: string;
  /** Why the command did not run or was stopped, in words, or null. */
  readonly problem: string | null;
}

export interface RunOptions {
  readonly argv: readonly string[];
  readonly timeoutMs: number | null;
  readonly env: Record<string, string | undefined>;
  /** How long a command gets between SIGTERM and SIGKILL on timeout. */
  readonly killGraceMs?: number;
  /** How long output is still drained after the command exits (default DRAIN_AFTER_EXIT_MS). */
  readonly drainAfterExitMs?: number;
  readonly clock?: () => Date;
  /**
   * The umask the command gets: the caller's. The collector runs with 077 so its own files are
   * private, but a job's files are none of its business.
   */
  readonly umask?: number;
}

const FORWARDED_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

function signalNumber(name: string): number {
  return (constants.signals as Record<string, number>)[name] ?? 0;
}

/** After the command exits, how long its output may still be drained (see runCommand). */
const DRAIN_AFTER_EXIT_MS = 1000;

interface Pump {
  readonly done: Promise<void>;
  cancel(): void;
}

function pump(stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream, tail: ByteTail): Pump {
  const reader = stream.getReader();
  const done = (async () => {
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) return;
      tail.push(value);
      if (!sink.write(value)) await new Promise((resolve) => sink.once("drain", resolve));
    }
  })().catch(() => {
    // cancelled, or the pipe broke: what was read so far is kept
  });
  return { done, cancel: () => void reader.cancel().catch(() => {}) };
}

export async function runCommand(options: RunOptions): Promise<CommandResult> {
  const clock = options.clock ?? (() => new Date());
  const startedAt = clock();
  const started = performance.now();
  const tail = new ByteTail();
  const finish = (exit: number, problem: string | null): CommandResult => ({
    exit,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    outputTail: tail.text(),
    problem,
  });

  let child;
  // The child inherits the umask at spawn, which is synchronous: nothing else runs in between.
  const ownUmask = options.umask === undefined ? null : process.umask(options.umask);
  try {
    child = Bun.spawn([...options.argv], { env: options.env, stdin: "inherit", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const name = options.argv[0] ?? "";
    if (code === "EACCES") return finish(126, `permission denied: ${name}`);
    return finish(127, `command not found: ${name}`);
  } finally {
    if (ownUmask !== null) process.umask(ownUmask);
  }

  // Signals sent to the wrapper (cron stopping, Ctrl-C) go on to the command, which decides.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | null = null;
  const deadline =
    options.timeoutMs === null
      ? null
      : setTimeout(() => {
          timedOut = true;
          child.kill("SIGTERM");
          killTimer = setTimeout(() => child.kill("SIGKILL"), options.killGraceMs ?? 5000);
        }, options.timeoutMs);

  const pumps = [pump(child.stdout, process.stdout, tail), pump(child.stderr, process.stderr, tail)];
  await child.exited;
  // A background process the command left behind may hold its output open for ever; the run is
  // over when the command is, so its output is drained for a moment and then let go.
  await Promise.race([Promise.all(pumps.map((p) => p.done)), Bun.sleep(options.drainAfterExitMs ?? DRAIN_AFTER_EXIT_MS)]);
  for (const p of pumps) p.cancel();
  if (deadline) clearTimeout(deadline);
  if (killTimer) clearTimeout(killTimer);
  for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);

  if (timedOut) return finish(124, `timed out after ${(options.timeoutMs ?? 0) / 1000}s`);
  const signal = child.signalCode;
  if (signal !== null && signal !== undefined) {
    const number = typeof signal === "number" ? signal : signalNumber(signal);
    return finish(128 + number, `killed by ${signal}`);
  }
  return finish(child.exitCode ?? 1, null);
}
