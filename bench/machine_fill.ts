/**
 * What the state machine benchmarks share: a machine filled with N puts of
 * 100-byte values under keys `key-0000000`..., and the live heap (plus
 * external memory) after full collections, which needs `--expose-gc`.
 *
 * @module
 */

import { encodePut } from "../src/kv/command.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";

/** Bytes of every value written by {@link fillMachine}. */
export const VALUE_BYTES = 100;
/** Digits of the number in each key. */
export const KEY_DIGITS = 7;

const gc = (globalThis as { gc?: () => void }).gc;

/** The key of put number `i`. */
export function benchKey(i: number): string {
  return `key-${String(i).padStart(KEY_DIGITS, "0")}`;
}

/** A machine that applied `keys` puts of 100-byte values, one per entry from index 1. */
export function fillMachine(keys: number): KvStateMachine {
  const machine = new KvStateMachine();
  const value = "v".repeat(VALUE_BYTES);
  for (let i = 0; i < keys; i++) {
    machine.apply({ index: i + 1, term: 1, type: "normal", data: encodePut(benchKey(i), value) });
  }
  return machine;
}

/** Exits with a hint unless the run has `--v8-flags=--expose-gc`. */
export function requireGc(): void {
  if (gc !== undefined) return;
  console.error("Run with --v8-flags=--expose-gc");
  Deno.exit(2);
}

/** Heap used plus external memory after two full collections. */
export function liveBytes(): number {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}
