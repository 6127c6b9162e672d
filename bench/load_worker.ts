/**
 * Worker entry of the load generator: receives `LoadOptions`, runs them with `runLoad` and
 * posts back `{ result }` or `{ error }`. Started by `runLoadInWorkers`.
 *
 * @module
 */

import { type LoadOptions, runLoad } from "./load.ts";

/** The part of the Worker global scope this file uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<LoadOptions>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  try {
    scope.postMessage({ result: await runLoad(event.data) });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
