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

import { KvStateMachine } from "../src/kv/state_machine.ts";
import { fillMachine, KEY_DIGITS, liveBytes, requireGc, VALUE_BYTES } from "./machine_fill.ts";

const KEYS_DEFAULT = 1_000_000;

requireGc();

function report(label: string, bytes: number, keys: number, rawBytes: number): void {
  const perKey = bytes / keys;
  console.log(
    `${label}: ${(bytes / 1e6).toFixed(1)} MB, ${perKey.toFixed(0)} bytes/key, ` +
      `${(bytes / rawBytes).toFixed(2)}x the raw key+value bytes`,
  );
}

const keys = Number(Deno.args[0] ?? KEYS_DEFAULT);
const rawBytes = keys * (4 + KEY_DIGITS + VALUE_BYTES);
const base = liveBytes();
let started = performance.now();
const machine = fillMachine(keys);
const applyMs = performance.now() - started;
report(`applied ${keys} puts in ${applyMs.toFixed(0)} ms`, liveBytes() - base, keys, rawBytes);

started = performance.now();
const snapshot = machine.snapshot();
const snapshotMs = performance.now() - started;
console.log(`snapshot: ${(snapshot.length / 1e6).toFixed(1)} MB in ${snapshotMs.toFixed(0)} ms`);

const withSnapshot = liveBytes();
started = performance.now();
const restored = new KvStateMachine();
restored.restore(snapshot);
const restoreMs = performance.now() - started;
report(
  `restored in ${restoreMs.toFixed(0)} ms (snapshot bytes included)`,
  liveBytes() - withSnapshot + snapshot.length,
  keys,
  rawBytes,
);
if (restored.size !== machine.size) throw new Error("restore lost keys");
