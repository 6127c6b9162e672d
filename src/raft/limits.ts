/**
 * The ranges every number in a Raft message and in durable state must fall
 * in. Input from the network is checked against them before the core acts on
 * it, so no path can produce a term or index that cannot be encoded.
 *
 * @module
 */

/**
 * Terms at or above this are refused: 2^48, far beyond any real cluster (a
 * new term every millisecond for eight thousand years) and far below the
 * largest integer a float64 holds exactly (2^53), so `term + 1` always is.
 */
export const TERM_MAX = 2 ** 48;

/** Log indexes at or above this are refused: 2^48, for the same reasons as {@link TERM_MAX}. */
export const INDEX_MAX = 2 ** 48;

/** Heartbeat rounds and read ids are counters: at most 2^53 - 1. */
export const COUNTER_MAX = Number.MAX_SAFE_INTEGER;

/** Most members a configuration may list (a snapshot's or a change's). */
export const MEMBERS_MAX = 1024;

/** Longest node id, in UTF-16 code units (ids are short ASCII in practice). */
export const NODE_ID_LENGTH_MAX = 255;

/** Longest member address (`host:port`), in UTF-16 code units. */
export const ADDRESS_LENGTH_MAX = 512;

/**
 * True when `value` is an integer in `[0, max)`.
 *
 * @example
 * ```ts
 * import { inRange, TERM_MAX } from "./limits.ts";
 * if (!inRange(3, TERM_MAX) || inRange(TERM_MAX, TERM_MAX) || inRange(-1, TERM_MAX)) {
 *   throw new Error();
 * }
 * ```
 */
export function inRange(value: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value < max;
}
