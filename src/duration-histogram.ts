/**
 * A fixed, log-spaced histogram of run durations, small enough to keep per job and hour (see
 * src/store/rollups.ts) and exact in its counts, so a percentile read from it is off by at most
 * the width of one bucket. Pure.
 *
 * Buckets: 0 holds [0, 1 ms); bucket k (1..62) holds [2^((k-1)/2), 2^(k/2)) ms, a ratio of √2;
 * bucket 63 holds 2^31 ms (24.8 days) and more. A percentile is read as the geometric middle of its
 * bucket, clamped to the smallest and largest duration of the window, so the value reported for a
 * duration d is within:
 * - a relative error of 2^(1/4) − 1 = 18.92 % when d >= 1 ms (below 24.8 days);
 * - 0.5 ms when d < 1 ms;
 * - for d >= 24.8 days, the largest duration of the window is reported.
 */

export const BUCKET_COUNT = 64;

/**
 * The squares of the bucket bounds: bound k (k = 0..62) is 2^(k/2) ms, so its square 2^k is exact in
 * a double, in JavaScript and in SQLite alike. A duration d falls in the bucket that counts the k
 * with d·d >= 2^k; comparing the square against exact powers of two makes SQL (rollups.ts) and
 * this module agree to the last bit, which bounds written as decimal literals would not promise.
 */
export const SQUARED_BOUNDS: readonly number[] = Array.from({ length: BUCKET_COUNT - 1 }, (_, k) => 2 ** k);

/** The worst relative error of a percentile of durations of at least 1 ms (see the module comment). */
export const MAX_RELATIVE_ERROR = 2 ** 0.25 - 1;
/** The worst absolute error of a percentile under 1 ms. */
export const MAX_ABSOLUTE_ERROR_BELOW_1_MS = 0.5;

export function bucketOf(durationMs: number): number {
  const square = durationMs * durationMs;
  // Binary search for the number of squared bounds <= d·d.
  let low = 0;
  let high = SQUARED_BOUNDS.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((SQUARED_BOUNDS[middle] ?? Infinity) <= square) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface DurationSummary {
  readonly count: number;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /** Counts per bucket, BUCKET_COUNT long. */
  readonly buckets: readonly number[];
}

function representative(bucket: number): number {
  if (bucket === 0) return 0.5;
  // The geometric middle of [2^((k-1)/2), 2^(k/2)); the last bucket has no upper bound.
  return bucket === BUCKET_COUNT - 1 ? Infinity : 2 ** ((2 * bucket - 1) / 4);
}

/**
 * The p-th percentile (nearest rank, 0 < p <= 1) of the durations summarised, within the error
 * documented above; null when there are none.
 */
export function percentile(summary: DurationSummary, p: number): number | null {
  if (summary.count === 0 || summary.minMs === null || summary.maxMs === null) return null;
  const rank = Math.max(1, Math.ceil(p * summary.count));
  let seen = 0;
  for (let bucket = 0; bucket < summary.buckets.length; bucket++) {
    seen += summary.buckets[bucket] ?? 0;
    if (seen >= rank) return Math.min(summary.maxMs, Math.max(summary.minMs, representative(bucket)));
  }
  return summary.maxMs;
}
