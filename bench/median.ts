/**
 * The median the benchmarks report over rounds: the middle value, or the
 * mean of the two middle values of an even count.
 *
 * @module
 */

/**
 * The median of `values` (NaN when there are none).
 *
 * @example
 * ```ts
 * import { median } from "./median.ts";
 * if (median([3, 1, 2]) !== 2 || median([4, 1, 3, 2]) !== 2.5) throw new Error();
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
