/**
 * WAL append throughput: saves of 100-byte entries in batches of 1, 16 and
 * 256, next to a bare loop of one 4 KiB write + `syncData()` on the same disk
 * in the same run (the disk's own limit). Run with `deno task bench:storage`;
 * after deno's report, a table gives entries/s and syncs/s per case.
 *
 * @module
 */

import type { Entry } from "../src/raft/types.ts";
import { FileStorage } from "../src/storage/file_storage.ts";
import { silentLogger } from "../src/log.ts";

const ENTRY_BYTES = 100;
const ITERATIONS = 400;
const WARMUP_ITERATIONS = 20;

/** Time and work measured inside the benchmark functions, for the closing table. */
interface Tally {
  name: string;
  entriesPerIteration: number;
  iterations: number;
  milliseconds: number;
  /** Each iteration's time, for the median (fsync times have long tails). */
  samples: number[];
}

const tallies: Tally[] = [];
const root = await Deno.makeTempDir({ prefix: "rafter-storage-bench-" });

function record(measured: Tally, milliseconds: number): void {
  measured.milliseconds += milliseconds;
  measured.iterations++;
  measured.samples.push(milliseconds);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function tally(name: string, entriesPerIteration: number): Tally {
  const entry = { name, entriesPerIteration, iterations: 0, milliseconds: 0, samples: [] };
  tallies.push(entry);
  return entry;
}

/** Entries reused across iterations (storage keeps no reference); only their indexes move. */
function makeBatch(size: number): Entry[] {
  const data = new Uint8Array(ENTRY_BYTES).fill(0x61);
  return Array.from({ length: size }, () => ({ index: 0, term: 1, type: "normal" as const, data }));
}

/** A bare append loop: one write of `bytes` bytes and one `syncData()` per iteration. */
async function benchBare(bytes: number, baseline: boolean): Promise<Tally> {
  const file = await Deno.open(`${root}/bare-${bytes}.dat`, { create: true, append: true });
  globalThis.addEventListener("unload", () => file.close());
  const chunk = new Uint8Array(bytes).fill(0x62);
  const measured = tally(
    `bare ${bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes}-byte`} write + syncData`,
    0,
  );
  Deno.bench({
    name: measured.name,
    group: "wal",
    baseline,
    n: ITERATIONS,
    warmup: WARMUP_ITERATIONS,
    async fn() {
      const start = performance.now();
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
      await file.syncData();
      record(measured, performance.now() - start);
    },
  });
  return measured;
}

const bare = await benchBare(4096, true);
// The size of one 100-byte entry's record: the same disk work as a batch of 1.
await benchBare(125, false);

for (const size of [1, 16, 256]) {
  const storage = await FileStorage.open(`${root}/batch-${size}`, {
    nodeId: "bench",
    logger: silentLogger,
  });
  const batch = makeBatch(size);
  const measured = tally(`save batch of ${size}`, size);
  let next = 1;
  Deno.bench({
    name: measured.name,
    group: "wal",
    n: ITERATIONS,
    warmup: WARMUP_ITERATIONS,
    async fn() {
      for (const entry of batch) entry.index = next++;
      const start = performance.now();
      await storage.save({ hardState: null, entries: batch });
      record(measured, performance.now() - start);
    },
  });
  globalThis.addEventListener("unload", () => storage.close());
}

function report(): void {
  const bareMedian = median(bare.samples);
  const rows = tallies.map((row) => {
    const syncsPerSecond = row.iterations / (row.milliseconds / 1000);
    const entries = row.entriesPerIteration === 0
      ? "-"
      : Math.round(syncsPerSecond * row.entriesPerIteration).toString();
    const p50 = median(row.samples);
    const ratio = (p50 / bareMedian).toFixed(2);
    return `| ${row.name} | ${entries} | ${Math.round(syncsPerSecond)} | ${
      (p50 * 1000).toFixed(0)
    } µs | ${ratio}x |`;
  });
  // Medians compare the cases: on a shared disk a few slow syncs swing the means.
  const header = "| case | entries/s | syncs/s | median time | median vs bare 4 KiB |";
  console.log(["", header, "|---|---|---|---|---|", ...rows].join("\n"));
}

globalThis.addEventListener("unload", () => {
  report();
  Deno.removeSync(root, { recursive: true });
});
