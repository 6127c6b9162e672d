/**
 * 64-bit unsigned integers as two little-endian u32 halves (low first), the
 * one place they are split and joined. Values stay below 2^53, so they are
 * exact as JavaScript numbers.
 *
 * @module
 */

const TWO_POW_32 = 0x100000000;
/** The largest high half of a value below 2^53. */
const HIGH_MAX = 0x1fffff;

/**
 * Writes `value` (a safe non-negative integer) at `at`; throws otherwise.
 *
 * @example
 * ```ts
 * import { getU64, setU64 } from "./u64.ts";
 * const view = new DataView(new ArrayBuffer(8));
 * setU64(view, 0, 2 ** 40 + 7);
 * if (getU64(view, 0) !== 2 ** 40 + 7) throw new Error();
 * ```
 */
export function setU64(view: DataView, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Value "${value}" is not a non-negative safe integer`);
  }
  view.setUint32(at, value % TWO_POW_32, true);
  view.setUint32(at + 4, Math.floor(value / TWO_POW_32), true);
}

/** Reads the u64 at `at`, or -1 when it is 2^53 or more (it cannot be exact). */
export function getU64(view: DataView, at: number): number {
  const high = view.getUint32(at + 4, true);
  if (high > HIGH_MAX) return -1;
  return high * TWO_POW_32 + view.getUint32(at, true);
}

/** `value`'s low and high u32 halves, for writers that append. */
export function splitU64(value: number): [low: number, high: number] {
  return [value % TWO_POW_32, Math.floor(value / TWO_POW_32)];
}

/** The value of `low` and `high` halves read separately. */
export function joinU64(low: number, high: number): number {
  return high * TWO_POW_32 + low;
}
