/**
 * Runtime settings Bun reads only from the environment when a process starts, chosen for the
 * watching collector, which stays resident and is idle nearly all the time.
 *
 * Bun's own GC timer collects every second while a thread's heap keeps changing and only every
 * 30 s once it has not changed for 5 ticks, on each JavaScript thread (the collector, the
 * delivery thread, and then the dashboard's own). After any burst of activity (a catch-up, a few
 * alerts) that kept three threads waking every second for the better part of a minute: measured with
 * `perf stat` on a collector idle after catching up on a day of a line a minute (dashboard on),
 * 47 ms of CPU in the first 30 s; with a 10 s timer 29 ms (the next 30 s: 4.2 and 6.9 ms, within
 * the noise). RSS was unchanged (65.1 / 66.1 MB). The heap's own allocation-driven collections
 * are untouched, and a catch-up still runs its full collections (src/batch-memory.ts).
 *
 * So `watch` starts itself again (execve: same process id, arguments and descriptors) with the
 * setting in its environment, unless the environment already sets it (the user's choice wins).
 * A second variable says the restart set it, so that the commands' environment, which the
 * processes the collector starts inherit (a notify.command), is the one the user gave.
 */
import { parseCommand } from "./args.ts";

export const GC_TIMER_VARIABLE = "BUN_GC_TIMER_INTERVAL";
export const RESIDENT_GC_TIMER_MS = 10_000;
/** Set beside the timer by the restart (see above). */
export const RESTARTED_VARIABLE = "CRON_COLLECTOR_RESTARTED";

/** The environment to start the process again with, or null to go on as it is. Pure. */
export function residentEnvironment(argv: readonly string[], env: Record<string, string | undefined>): Record<string, string | undefined> | null {
  if (env[GC_TIMER_VARIABLE] !== undefined) return null;
  let kind: string;
  try {
    kind = parseCommand(argv).kind;
  } catch {
    return null; // bad arguments: reported by main(), no need to start again for that
  }
  return kind === "watch" ? { ...env, [GC_TIMER_VARIABLE]: String(RESIDENT_GC_TIMER_MS), [RESTARTED_VARIABLE]: "1" } : null;
}

/** The environment the commands see and pass on: without the timer when the restart set it. Pure. */
export function commandEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (env[RESTARTED_VARIABLE] === undefined) return env;
  const { [GC_TIMER_VARIABLE]: _timer, [RESTARTED_VARIABLE]: _restarted, ...given } = env;
  return given;
}
