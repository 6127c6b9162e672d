/**
 * Invariant checks for the core. A failed assertion is a bug, never bad input.
 *
 * @module
 */

/** Thrown when an invariant of the core does not hold. */
export class AssertionError extends Error {
  /** @param message the invariant that broke */
  constructor(message: string) {
    super(`Invariant broken: ${message}`);
    this.name = "AssertionError";
  }
}

/**
 * Throws an {@link AssertionError} unless `condition` holds.
 *
 * @example
 * ```ts
 * import { assert } from "./assert.ts";
 * assert(1 + 1 === 2, "arithmetic works");
 * ```
 */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
