/**
 * Runs one load over several Workers, each with its share of the connections, and merges
 * what they measured. The Workers keep the request loops off the main thread, whose event
 * loop supervises the server processes and handles signals.
 *
 * @module
 */

import { type LoadOptions, type LoadResult, mergeResults, validateLoadOptions } from "./load.ts";

/** Most Workers one load may use. */
export const workersMax = 16;
/** Time a Worker gets beyond the run's own duration and timeout before it is stopped. */
const workerGraceMs = 15_000;

/** The Workers of a running load, so a signal handler can stop them. */
const running = new Set<Worker>();

/** Stops every Worker that is running a load (on Ctrl-C). */
export function terminateLoadWorkers(): void {
  for (const worker of running) worker.terminate();
  running.clear();
}

function shares(connections: number, workers: number): number[] {
  const count = Math.max(1, Math.min(workers, connections));
  return Array.from(
    { length: count },
    (_, i) => Math.floor(connections / count) + (i < connections % count ? 1 : 0),
  );
}

function runInWorker(options: LoadOptions): Promise<LoadResult> {
  const worker = new Worker(new URL("./load_worker.ts", import.meta.url).href, {
    type: "module",
  });
  running.add(worker);
  const limitMs = options.durationMs + options.timeoutMs + workerGraceMs;
  return new Promise<LoadResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`Load worker did not finish within ${limitMs} ms`));
    }, limitMs);
    function finish(): void {
      clearTimeout(timer);
      worker.terminate();
      running.delete(worker);
    }
    worker.onmessage = (event: MessageEvent<{ result?: LoadResult; error?: string }>) => {
      finish();
      if (event.data.result !== undefined) resolve(event.data.result);
      else reject(new Error(event.data.error ?? "Load worker failed without a message"));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish();
      reject(new Error(`Load worker crashed: ${event.message}`));
    };
    worker.postMessage(options);
  });
}

/**
 * Runs `options` split over `workers` Workers (at most one per connection) and returns the
 * merged result.
 */
export async function runLoadInWorkers(
  options: LoadOptions,
  workers: number,
): Promise<LoadResult> {
  validateLoadOptions(options);
  if (!Number.isInteger(workers) || workers < 1 || workers > workersMax) {
    throw new RangeError(`Workers must be an integer in 1..${workersMax}, got "${workers}"`);
  }
  let first = 0;
  const runs = shares(options.connections, workers).map((connections) => {
    const share = {
      ...options,
      connections,
      connectionIndexFirst: first,
      connectionsTotal: options.connections,
    };
    first += connections;
    return runInWorker(share);
  });
  const results = await Promise.all(runs);
  return results.reduce((a, b) => mergeResults(a, b));
}
