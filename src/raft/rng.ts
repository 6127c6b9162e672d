/**
 * A small seeded pseudo-random generator. The core never touches global
 * randomness: whoever builds a node passes one of these in, so a seed replays
 * the same elections.
 *
 * @module
 */

/** A deterministic source of random integers. */
export interface Rng {
  /** A uniformly distributed integer in `[0, bound)`; `bound` must be a positive integer. */
  int(bound: number): number;
}

/**
 * Creates a generator from a 32-bit seed (mulberry32).
 *
 * @example
 * ```ts
 * import { createRng } from "./rng.ts";
 * const a = createRng(7), b = createRng(7);
 * if (a.int(1000) !== b.int(1000)) throw new Error("same seed, same numbers");
 * ```
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int(bound: number): number {
      if (!(Number.isInteger(bound) && bound > 0)) {
        throw new RangeError(`Random bound must be a positive integer, got "${bound}"`);
      }
      return Math.floor(next() * bound);
    },
  };
}
