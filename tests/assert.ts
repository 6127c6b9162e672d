/**
 * Small assertion helpers over `node:assert/strict`, shared by the tests.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `value` is truthy. */
export function assertTrue(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}

/** Asserts that `fn` throws an error whose message matches `pattern`. */
export function assertThrows(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, pattern);
}

/** Asserts that `promise` rejects with an error whose message matches `pattern`. */
export async function assertRejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, pattern);
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  assert.match(text, pattern, message);
}

/** Asserts that `promise` rejects with an instance of `type`; answers the error. */
export async function assertRejectsWith<E extends Error>(
  promise: Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `Expected ${type.name}, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: `Expected ${type.name}, but it resolved` });
}
