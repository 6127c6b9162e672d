/**
 * What every route module receives from `createApp`: the node, the input
 * limits and the settings for errors and forwarding.
 *
 * @module
 */

import type { KvApi } from "../api.ts";
import type { Logger } from "../log.ts";
import type { Limits } from "./input.ts";

/** The shared dependencies of the route modules. */
export interface HttpDeps {
  node: KvApi;
  limits: Limits;
  /** The `Retry-After` of a 503, in seconds. */
  retryAfterSeconds: number;
  /** How long a request forwarded to the leader may take, in milliseconds. */
  forwardTimeoutMs: number;
  /** How forwarded requests are sent (the global `fetch` outside tests). */
  fetch: typeof fetch;
  logger: Logger;
}
