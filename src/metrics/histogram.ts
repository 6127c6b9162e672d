/**
 * Histograms with fixed buckets, as Prometheus keeps them: a count per bucket,
 * a sum and a total count, all plain numbers updated in place; nothing is
 * allocated per observation.
 *
 * @module
 */

/** Most buckets a histogram may have (each is one scan step per observation). */
export const BUCKETS_MAX = 64;

/**
 * `count` upper bounds starting at `start`, each `factor` times the last
 * (as Prometheus's `ExponentialBuckets`).
 *
 * @example
 * ```ts
 * import { exponentialBuckets } from "./histogram.ts";
 * const bounds = exponentialBuckets(0.001, 2, 4);
 * if (bounds.join() !== "0.001,0.002,0.004,0.008") throw new Error();
 * ```
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `Exponential buckets need start > 0, factor > 1 and count >= 1, got "${start}", "${factor}", "${count}"`,
    );
  }
  const bounds: number[] = [];
  for (let i = 0, bound = start; i < count; i++, bound *= factor) bounds.push(bound);
  return bounds;
}

function checkBounds(bounds: readonly number[]): void {
  if (bounds.length === 0 || bounds.length > BUCKETS_MAX) {
    throw new RangeError(`A histogram needs 1 to ${BUCKETS_MAX} buckets, got "${bounds.length}"`);
  }
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i]!;
    if (!Number.isFinite(bound)) {
      throw new RangeError(`Bucket bound must be finite, got "${bound}"`);
    }
    if (i > 0 && bound <= bounds[i - 1]!) {
      throw new RangeError(`Bucket bounds must increase, got "${bounds.join(", ")}"`);
    }
  }
}

/**
 * Counts observations into buckets `value <= bound`; the last, implicit bucket is `+Inf`.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const fsync = new Histogram([0.001, 0.01, 0.1]);
 * fsync.observe(0.0005);
 * fsync.observe(0.01);
 * fsync.observe(3);
 * if (fsync.count !== 3 || fsync.cumulative().join() !== "1,2,2,3") throw new Error();
 * ```
 */
export class Histogram {
  /** Upper bounds of the finite buckets, increasing. */
  readonly bounds: Float64Array;
  /** Observations per bucket (not cumulative); the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of every observed value. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  /** @param bounds increasing, finite upper bounds; `+Inf` is added */
  constructor(bounds: readonly number[]) {
    checkBounds(bounds);
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value (NaN is refused: it would poison the sum). */
  observe(value: number): void {
    if (value !== value) {
      throw new RangeError(`Histogram observation must be a number, got "${value}"`);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bucket, `+Inf` last, as the exposition format wants them. */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const count of this.counts) out.push(running += count);
    return out;
  }
}
