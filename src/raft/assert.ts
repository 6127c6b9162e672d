/**
 * Invariant checks for the core. A failed assertion is a bug, never bad input.
 *
 * @module
 */

/**
 * Thrown when an invariant of the core does not hold.
 *
 * @example
 * ```ts
 * import { AssertionError } from "./assert.ts";
 * if (!new AssertionError("x").message.startsWith("Invariant broken: ")) throw new Error();
 * ```
 */
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

/**
 * Throws an {@link AssertionError} saying which invariant broke. For checks
 * on the hot path or over a whole log, where a message quoting values would
 * cost more than the check: the message is built only once the check failed.
 *
 * @example
 * ```ts
 * import { AssertionError, invariantBroken } from "./assert.ts";
 * const index = 7, last = 5;
 * let thrown = false;
 * try {
 *   if (index > last) invariantBroken(`commit ${index} is within the log (last ${last})`);
 * } catch (error) {
 *   thrown = error instanceof AssertionError;
 * }
 * if (!thrown) throw new Error();
 * ```
 */
export function invariantBroken(message: string): never {
  throw new AssertionError(message);
}
