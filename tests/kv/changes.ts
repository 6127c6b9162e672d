/**
 * Changes for watch tests: a put of `key` made by the entry at `index`.
 *
 * @module
 */

import type { Change } from "../../src/kv/results.ts";

/** A put of `key` to `v<index>` by the entry at `index`, with no previous record. */
export function put(key: string, index: number): Change {
  return {
    type: "put",
    key,
    value: `v${index}`,
    createIndex: index,
    modIndex: index,
    lease: 0,
    prev: null,
  };
}
