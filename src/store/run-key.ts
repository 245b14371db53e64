/**
 * The identity of a run: identical lines (same `ts` text, exit code, message and job) are one run,
 * as in the Python collector, whose UNIQUE(timestamp, exit_code, message) this replaces.
 *
 * A signed 64-bit xxHash of the four values joined by NUL. It is unique together with the run's
 * instant (see migrations.ts), so two different runs are merged only if they fall in the same
 * millisecond and their hashes collide: a chance of about 2^-64 per such pair.
 */
export function runKey(ts: string, exit: number, msg: string, job: string | null): bigint {
  return BigInt.asIntN(64, runKeyBits(ts, exit, msg, job));
}

/**
 * The same key as xxHash64 returns it, unsigned: for binding only. bun:sqlite binds a BigInt as
 * its low 64 bits in two's complement unless the connection has `safeIntegers` (then a value past
 * 2^63 is a RangeError, as Bun's reference documents; the store never sets it), so binding this
 * stores exactly runKey's value (tests/runs.test.ts compares them, golden values included, and
 * would fail on a Bun that bound it otherwise), without a second BigInt per run:
 * `BigInt.asIntN` cost about 0.1 s per million lines (a micro-bench over the 1M backfill's lines:
 * 202–266 ms with it, 106–108 ms without).
 */
export function runKeyBits(ts: string, exit: number, msg: string, job: string | null): bigint {
  return Bun.hash.xxHash64(`${ts}\u0000${exit}\u0000${msg}\u0000${job ?? ""}`);
}
