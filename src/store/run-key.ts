/**
 * The identity of a run: identical lines (same `ts` text, exit code, message and job) are one run,
 * as in the Python collector, whose UNIQUE(timestamp, exit_code, message) this replaces.
 *
 * A signed 64-bit xxHash of the four values joined by NUL. It is unique together with the run's
 * instant (see migrations.ts), so two different runs are merged only if they fall in the same
 * millisecond and their hashes collide: a chance of about 2^-64 per such pair.
 */
export function runKey(ts: string, exit: number, msg: string, job: string | null): bigint {
  return BigInt.asIntN(64, Bun.hash.xxHash64(`${ts}\u0000${exit}\u0000${msg}\u0000${job ?? ""}`));
}
