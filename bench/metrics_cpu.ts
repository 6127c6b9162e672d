/**
 * What counting adds to the cheapest request, in CPU time rather than wall
 * time (on a busy machine a wall-clock benchmark mostly measures the other
 * processes): stale reads through the whole app in process, the node a stub
 * answering at once, in interleaved blocks with `--metrics off` and on.
 * Prints the medians of the blocks' CPU time per request and of their
 * differences.
 *
 *   deno task bench:metrics   (after the deno bench part)
 *
 * @module
 */

import process from "node:process";
import type { KvApi } from "../src/api.ts";
import { createApp } from "../src/http/app.ts";
import { createMetrics } from "../src/metrics/rafter_metrics.ts";

/** Requests per block. */
const BLOCK_REQUESTS = 3000;
/** Blocks run first and thrown away, so both apps are compiled and warm. */
const WARMUP_BLOCKS = 5;
/** Blocks measured, alternating off and on. */
const BLOCKS = 40;

const record = { value: "v", createIndex: 1, modIndex: 1 };
const stub = {
  get: () => Promise.resolve(record),
  status: () => ({ id: "n1", leaderId: "n1", members: [] }),
} as unknown as KvApi;
const url = "http://127.0.0.1:8001/key?key=k&level=stale";
type App = ReturnType<typeof createApp>;

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** CPU microseconds per request over one block. */
async function block(app: App): Promise<number> {
  const start = cpuUs();
  for (let i = 0; i < BLOCK_REQUESTS; i++) await (await app.request(url)).text();
  return (cpuUs() - start) / BLOCK_REQUESTS;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

const off = createApp(stub, { metrics: createMetrics(), counting: false });
const on = createApp(stub, { metrics: createMetrics() });
for (let i = 0; i < WARMUP_BLOCKS; i++) {
  await block(on);
  await block(off);
}
const offUs: number[] = [];
const onUs: number[] = [];
const extraUs: number[] = [];
for (let i = 0; i < BLOCKS; i++) {
  offUs.push(await block(off));
  onUs.push(await block(on));
  extraUs.push(onUs.at(-1)! - offUs.at(-1)!);
}
const extra = median(extraUs);
console.log(
  `stale read through the app, CPU per request: off ${median(offUs).toFixed(2)} µs, ` +
    `on ${median(onUs).toFixed(2)} µs; counting adds ${extra.toFixed(2)} µs ` +
    `(${(extra / median(offUs) * 100).toFixed(1)}% in process; medians of ${BLOCKS} blocks ` +
    `of ${BLOCK_REQUESTS})`,
);
