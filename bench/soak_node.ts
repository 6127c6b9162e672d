/**
 * A rafter node for `deno task soak`: exactly `main.ts`, plus one JSON line
 * on stdout every few seconds with the process' memory figures
 * (`{"rss":..,"heapUsed":..,"heapTotal":..,"external":..}`, bytes), which
 * the soak's sampler reads from the node's stdout log.
 *
 * @module
 */

import { main } from "../main.ts";

/** How often the node prints its memory figures. */
const MEMORY_EVERY_MS = 2_000;

const timer = setInterval(() => {
  const { rss, heapUsed, heapTotal, external } = Deno.memoryUsage();
  console.log(JSON.stringify({ rss, heapUsed, heapTotal, external }));
}, MEMORY_EVERY_MS);
Deno.unrefTimer(timer);
Deno.exit(await main(Deno.args));
