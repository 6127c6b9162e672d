/**
 * Bytes per key of the state machine alone: applies N puts of 100-byte
 * values (keys `key-0000000`...), collects garbage and divides the heap's
 * growth by N; then the same for a machine restored from its snapshot
 * (values left in the snapshot bytes, which count too). Also times the
 * apply, the snapshot and the restore.
 *
 * Run: `deno run --v8-flags=--expose-gc bench/kv_memory.ts [keys]` (default 1000000)
 *
 * @module
 */

import { encodePut } from "../src/kv/command.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";

const KEYS_DEFAULT = 1_000_000;
const VALUE_BYTES = 100;
const KEY_DIGITS = 7;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("Run with --v8-flags=--expose-gc");
  Deno.exit(2);
}

function heapBytes(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
}

function fill(keys: number): KvStateMachine {
  const machine = new KvStateMachine();
  const value = "v".repeat(VALUE_BYTES);
  for (let i = 0; i < keys; i++) {
    const data = encodePut(`key-${String(i).padStart(KEY_DIGITS, "0")}`, value);
    machine.apply({ index: i + 1, term: 1, type: "normal", data });
  }
  return machine;
}

function report(label: string, bytes: number, keys: number, rawBytes: number): void {
  const perKey = bytes / keys;
  console.log(
    `${label}: ${(bytes / 1e6).toFixed(1)} MB, ${perKey.toFixed(0)} bytes/key, ` +
      `${(bytes / rawBytes).toFixed(2)}x the raw key+value bytes`,
  );
}

const keys = Number(Deno.args[0] ?? KEYS_DEFAULT);
const rawBytes = keys * (4 + KEY_DIGITS + VALUE_BYTES);
const base = heapBytes();
let started = performance.now();
const machine = fill(keys);
const applyMs = performance.now() - started;
report(`applied ${keys} puts in ${applyMs.toFixed(0)} ms`, heapBytes() - base, keys, rawBytes);

started = performance.now();
const snapshot = machine.snapshot();
const snapshotMs = performance.now() - started;
console.log(`snapshot: ${(snapshot.length / 1e6).toFixed(1)} MB in ${snapshotMs.toFixed(0)} ms`);

const withSnapshot = heapBytes();
started = performance.now();
const restored = new KvStateMachine();
restored.restore(snapshot);
const restoreMs = performance.now() - started;
report(
  `restored in ${restoreMs.toFixed(0)} ms (snapshot bytes included)`,
  heapBytes() - withSnapshot + snapshot.length,
  keys,
  rawBytes,
);
if (restored.size !== machine.size) throw new Error("restore lost keys");
