/**
 * State machine benchmarks with 1,000,000 keys of 100-byte values: applying
 * puts, taking a snapshot and restoring it.
 *
 * Run: `deno bench bench/kv_bench.ts`
 *
 * @module
 */

import { encodePut } from "../src/kv/command.ts";
import { KvStateMachine } from "../src/kv/state_machine.ts";
import type { Entry } from "../src/raft/types.ts";

const keyCount = 1_000_000;
const valueBytes = 100;
const value = "v".repeat(valueBytes);

function putEntries(count: number, firstIndex: number): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const data = encodePut(`key-${i}`, value);
    entries.push({ index: firstIndex + i, term: 1, type: "normal", data });
  }
  return entries;
}

const applyEntries = putEntries(keyCount, 1);
const full = new KvStateMachine();
for (const entry of applyEntries) full.apply(entry);
const fullSnapshot = full.snapshot();
console.log(`snapshot of ${keyCount} keys: ${(fullSnapshot.length / 1e6).toFixed(1)} MB`);

Deno.bench("encodePut of a 100-byte value", { group: "codec" }, () => {
  encodePut("key-123456", value);
});

Deno.bench(`apply ${keyCount} puts into an empty machine`, { n: 3, warmup: 1 }, () => {
  const machine = new KvStateMachine();
  for (const entry of applyEntries) machine.apply(entry);
});

Deno.bench(`snapshot of ${keyCount} keys`, { n: 5, warmup: 1 }, () => {
  full.snapshot();
});

Deno.bench(`restore of ${keyCount} keys`, { n: 5, warmup: 1 }, () => {
  new KvStateMachine().restore(fullSnapshot);
});
